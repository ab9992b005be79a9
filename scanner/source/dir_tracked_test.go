package source

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dtleaks/dtleaks/scanner"
)

// gitIn runs git in dir with a clean configuration.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs the git executable, which this machine lacks (Windows tests under Wine)")
	}
	x := exec.Command("git", args...)
	x.Dir = dir
	x.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@b", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@b")
	out, err := x.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// walked returns the paths Dir yields for root, relative to base.
func walked(t *testing.T, base, root string) []string {
	t.Helper()
	var (
		mu  sync.Mutex
		got []string
	)
	err := Dir{Roots: []string{root}, Jobs: 2}.Items(context.Background(), func(it scanner.Item, err error) error {
		if err != nil {
			t.Errorf("%s: %v", it.Path, err)
			return nil
		}
		rel, _ := filepath.Rel(base, filepath.FromSlash(it.Path))
		mu.Lock() // Items may call yield from several workers at once
		got = append(got, filepath.ToSlash(rel))
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

// TestDirTrackedNeverIgnored (issue 11, item 8): inside a repository the
// ignore rules apply to untracked files only. git is the oracle: the walk
// yields what `git ls-files --cached --others --exclude-standard` lists.
func TestDirTrackedNeverIgnored(t *testing.T) {
	dir := t.TempDir()
	gitIn(t, dir, "init", "-q")
	files := map[string]string{
		".gitignore":             "*.env\nbuild/\n/logs\n!keep.env\n",
		"prod.env":               "tracked, forced",
		"local.env":              "untracked",
		"keep.env":               "re-included",
		"build/keep.txt":         "tracked in an ignored directory",
		"build/junk.txt":         "untracked in an ignored directory",
		"build/sub/deep.txt":     "tracked, deeper",
		"build/sub/junk.txt":     "untracked, deeper",
		"build/other/x.txt":      "untracked directory in an ignored one",
		"logs/today.log":         "untracked",
		"logs/tracked.log":       "tracked",
		"app/config/secrets.env": "tracked below",
		"app/config/draft.env":   "untracked below",
		"app/readme.txt":         "plain",
		"intent.env":             "git add -N",
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitIn(t, dir, "add", ".gitignore", "keep.env", "app/readme.txt")
	gitIn(t, dir, "add", "-f", "prod.env", "build/keep.txt", "build/sub/deep.txt", "logs/tracked.log", "app/config/secrets.env")
	gitIn(t, dir, "add", "-f", "-N", "intent.env")
	gitIn(t, dir, "commit", "-q", "-m", "x")
	for _, root := range []string{".", "build", "app", "app/config"} {
		t.Run(root, func(t *testing.T) {
			out := gitIn(t, filepath.Join(dir, root), "ls-files", "--cached", "--others", "--exclude-standard", "--full-name", ".")
			want := strings.Fields(out)
			slices.Sort(want)
			got := walked(t, dir, filepath.Join(dir, root))
			if !slices.Equal(got, want) {
				t.Errorf("walk of %s yields\n%s\ngit lists\n%s", root, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
