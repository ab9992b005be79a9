package history

import (
	"bytes"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestParseReflog(t *testing.T) {
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	zero := strings.Repeat("0", 40)
	in := zero + " " + a + " A <a@example.com> 1700000000 +0000\tcommit (initial): x\n" +
		a + " " + b + " A <a@example.com> 1700000001 +0000\tcommit: y\n" +
		"garbage line\n" +
		b + " " + a + " A <a@example.com> 1700000002 +0000\tcheckout: moving\n"
	got, err := parseReflog(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []plumbing.Hash{plumbing.NewHash(a), plumbing.NewHash(b)}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %v; want %v", got, want)
	}
}

// FuzzParseReflog: any input parses without a panic, and every object
// found is written in it, in lower-case hex.
func FuzzParseReflog(f *testing.F) {
	f.Add([]byte(strings.Repeat("0", 40) + " " + strings.Repeat("a", 40) + " A <a@b> 1 +0000\tx\n"))
	f.Add([]byte("\n\n \t"))
	f.Fuzz(func(t *testing.T, in []byte) {
		hs, err := parseReflog(bytes.NewReader(in))
		if err != nil {
			return
		}
		for _, h := range hs {
			if h.IsZero() || !bytes.Contains(bytes.ToLower(in), []byte(h.String())) {
				t.Errorf("object %s not in the input", h)
			}
		}
	})
}
