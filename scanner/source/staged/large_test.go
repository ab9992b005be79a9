package staged

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/scanner"
)

// TestStagedLargeNotDiffed (issue 11, item 18): a staged file above
// DiffLimit is not diffed (which would hold both versions in memory) but
// scanned whole, every token in it reported as added, even one HEAD has.
func TestStagedLargeNotDiffed(t *testing.T) {
	tok := tokentest.New(1180).Token("dt0c01")
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		x := exec.Command("git", args...)
		x.Dir = dir
		x.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@b", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@b")
		if out, err := x.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	git("init", "-q")
	line := "an ordinary line of a large file, nothing in it at all\n"
	body := "T=" + tok.Text + "\n" + strings.Repeat(line, DiffLimit/len(line)+1)
	p := filepath.Join(dir, "big.txt")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "big.txt")
	git("commit", "-q", "-m", "big")
	if err := os.WriteFile(p, []byte(body+"one more\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "big.txt")
	res, err := scanner.Scan(context.Background(), &Source{Path: dir}, scanner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) > 0 {
		t.Fatalf("problems: %v", res.Problems)
	}
	if len(res.Findings) != 1 || string(res.Findings[0].ID) != tok.ID || res.Findings[0].Line != 1 {
		t.Errorf("%d findings; want the token of line 1, reported whole", len(res.Findings))
	}
}
