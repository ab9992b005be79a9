package report

import (
	"testing"

	"github.com/dtleaks/dtleaks/scanner"
)

func TestWhere(t *testing.T) {
	cases := []struct {
		f    scanner.Finding
		want string
	}{
		{scanner.Finding{Path: "a/b.env"}, "a/b.env"},
		{scanner.Finding{Path: "new\nline"}, `"new\nline"`},
		{scanner.Finding{Location: "commit-message", Origin: scanner.Origin{Commit: "abc"}}, "commit-message"},
		{scanner.Finding{Origin: scanner.Origin{Blob: "2b1d5f4bbeee8d7b953a7b82c709ebf231d8d998", Unreachable: true}}, "blob:2b1d5f4bbeee"},
		{scanner.Finding{Path: "-"}, "-"},
	}
	for _, c := range cases {
		if got := where(&c.f); got != c.want {
			t.Errorf("where(%+v) = %q; want %q", c.f.Origin, got, c.want)
		}
	}
}
