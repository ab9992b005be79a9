package staged

import (
	"os"
	"path/filepath"
	"testing"
)

// TestGitDirEnv: with GIT_DIR (and GIT_WORK_TREE) set, as by hand or by a
// hook, staged reads that repository, not the one of the current
// directory; GIT_INDEX_FILE names the index; an explicit path wins.
func TestGitDirEnv(t *testing.T) {
	r := newTestRepo(t)
	tok := r.token()
	r.Write("a.env", "k="+tok.Text+"\n")
	r.Git("add", "a.env")

	other := newTestRepo(t) // the current directory: nothing staged
	other.Write("b.txt", "clean\n")
	other.Git("add", "b.txt")
	t.Chdir(other.Dir)

	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	gitDir := filepath.Join(r.Dir, ".git")
	r.checkSrc(&Source{Getenv: env(map[string]string{"GIT_DIR": gitDir})}, hit("a.env", 1, tok))
	r.checkSrc(&Source{Getenv: env(map[string]string{"GIT_DIR": gitDir, "GIT_WORK_TREE": r.Dir})}, hit("a.env", 1, tok))
	rel, err := filepath.Rel(other.Dir, gitDir)
	if err != nil {
		t.Fatal(err)
	}
	r.checkSrc(&Source{Path: ".", Getenv: env(map[string]string{"GIT_DIR": rel})}, hit("a.env", 1, tok))
	// An explicit path names the repository.
	r.checkSrc(&Source{Path: other.Dir, Getenv: env(map[string]string{"GIT_DIR": gitDir})})
	// Without GIT_DIR, the current directory's.
	r.checkSrc(&Source{Getenv: env(nil)})

	// GIT_INDEX_FILE: an index of the other repository's own, read with
	// its GIT_DIR.
	idx := filepath.Join(t.TempDir(), "index")
	b, err := os.ReadFile(filepath.Join(gitDir, "index"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(idx, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r.Git("rm", "-q", "--cached", "a.env")
	r.checkSrc(&Source{Getenv: env(map[string]string{"GIT_DIR": gitDir})})
	r.checkSrc(&Source{Getenv: env(map[string]string{"GIT_DIR": gitDir, "GIT_INDEX_FILE": idx})}, hit("a.env", 1, tok))
}
