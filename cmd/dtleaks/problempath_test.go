package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestProblemNamesPath (issue 11, item 23): a problem line names its path
// even when the path's text appears in the message: a conflicted file "f"
// (or "path", or "unmerged") is named before "unmerged path: ...".
func TestProblemNamesPath(t *testing.T) {
	for _, name := range []string{"f", "path", "unmerged", "resolve"} {
		t.Run(name, func(t *testing.T) {
			dir := newRepo(t)
			p := filepath.Join(dir, name)
			must(t, os.WriteFile(p, []byte("base\n"), 0o644))
			commit(t, dir, "base", nil)
			git(t, dir, "checkout", "-q", "-b", "other")
			must(t, os.WriteFile(p, []byte("other\n"), 0o644))
			commit(t, dir, "other", nil)
			git(t, dir, "checkout", "-q", "-")
			must(t, os.WriteFile(p, []byte("mine\n"), 0o644))
			commit(t, dir, "mine", nil)
			x := exec.Command("git", "merge", "-q", "other")
			x.Dir = dir
			x.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@b", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@b")
			if out, err := x.CombinedOutput(); err == nil {
				t.Fatalf("git merge did not conflict: %s", out)
			}
			r := dtleaks(t, dir, "staged")
			noCrash(t, r)
			if r.code != 2 {
				t.Errorf("exit %d; want 2 (stderr %s)", r.code, r.stderr)
			}
			want := "dtleaks staged: " + name + ": unmerged path"
			if !strings.Contains(string(r.stderr), want) {
				t.Errorf("stderr %q; want a line starting %q", r.stderr, want)
			}
		})
	}
}
