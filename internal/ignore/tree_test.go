package ignore

import (
	"errors"
	"testing"
)

func TestTreeIgnored(t *testing.T) {
	files := map[string]string{
		"":        "testdata/\n*.secret\n",
		"sub":     "local.env\n!keep.secret\n",
		"sub/bad": "",
	}
	bad := errors.New("unreadable")
	tr := &Tree{Read: func(dir string) ([]byte, error) {
		if dir == "broken" {
			return nil, bad
		}
		s, ok := files[dir]
		if !ok {
			return nil, nil
		}
		return []byte(s), nil
	}}
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"a.txt", false},
		{"testdata/x.txt", true},
		{"deep/testdata/x.txt", true},
		{"testdata", false}, // a file named so: the rule is for directories
		{"x.secret", true},
		{"sub/keep.secret", false},
		{"sub/local.env", true},
		{"local.env", false},
		{"sub/bad/local.env", true},
	} {
		got, err := tr.Ignored(tc.path)
		if err != nil || got != tc.want {
			t.Errorf("Ignored(%q) = %v, %v; want %v", tc.path, got, err, tc.want)
		}
	}
	if _, err := tr.Ignored("broken/a.txt"); !errors.Is(err, bad) {
		t.Errorf("Ignored under an unreadable file: err = %v, want %v", err, bad)
	}
}
