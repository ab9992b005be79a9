package report_test

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
)

// TestTextByTokenGolden pins the text grouped by token: for one
// repository, one "contained in" line; for an audit, one line a repository
// holding the token, each from that repository's own refs (the same commit
// hash in two repositories names different refs), and the introducing
// commit's repository.
func TestTextByTokenGolden(t *testing.T) {
	full, toks := fixture()
	repos, rtoks := reposFixture()
	toks = append(toks, rtoks...)
	// The commit hashes of reposFixture.
	hash := func(i int) string { return fmt.Sprintf("%02x", i) + strings.Repeat("c0ffee", 6) + "ab" }
	cases := []struct {
		name string
		res  scanner.Result
		refs report.Refs
	}{
		{"fixture", full, report.Refs{"": {
			commitA: {"refs/heads/main", "refs/remotes/origin/main", "refs/tags/v1"},
			commitB: {"refs/heads/dev\x1b[2J"},
		}}},
		// A working tree's scan: nothing is said of refs.
		{"fixture-dir", full, nil},
		{"repositories", repos, report.Refs{
			"https://github.com/acme/api": {
				hash(1): {"refs/heads/main", "refs/tags/v1.0"},
				hash(7): {"refs/heads/main"},
				// hash(3) is in no ref.
			},
			"https://gitlab.example.com/ops/deploy": {
				hash(1): {"refs/heads/not-this-one"}, // another repository's commit
				hash(2): {"refs/heads/main", "refs/heads/release/2"},
				hash(4): {"refs/tags/old"},
			},
			// /srv/git/legacy.git: none known.
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := render(t, "text by token", func(w io.Writer, r scanner.Result) error {
				return report.TextByToken(w, r, c.refs, testOptions)
			}, c.res, toks)
			if !ok {
				return
			}
			if i := controlByte(got); i >= 0 {
				t.Errorf("output has control byte %#x at offset %d", got[i], i)
			}
			if strings.Contains(string(got), "not-this-one") {
				t.Error("a finding was told the refs of another repository's commit of the same hash")
			}
			golden(t, filepath.Join("testdata", c.name+".bytoken"), got)
		})
	}
}
