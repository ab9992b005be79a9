package source

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDirSymlinkRootRules (issue 11, item 13): a root given through a
// symbolic link inside a repository is walked under the rules of where the
// link leads, not of the repository that holds the link.
func TestDirSymlinkRootRules(t *testing.T) {
	base := t.TempDir()
	repo, outside := filepath.Join(base, "repo"), filepath.Join(base, "outside")
	for _, d := range []string{repo, outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	gitIn(t, repo, "init", "-q")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(repo, ".gitignore"), []byte("*.env\n"), 0o644))
	must(os.WriteFile(filepath.Join(outside, "prod.env"), []byte("x"), 0o644))
	must(os.WriteFile(filepath.Join(repo, "local.env"), []byte("x"), 0o644))
	must(os.Symlink(outside, filepath.Join(repo, "link")))
	got := walked(t, repo, filepath.Join(repo, "link"))
	if want := []string{"link/prod.env"}; !slices.Equal(got, want) {
		t.Errorf("walk of a link out of the repository yields [%s]; want [%s]", strings.Join(got, " "), strings.Join(want, " "))
	}
	// A link to a directory inside the same repository keeps its rules.
	must(os.MkdirAll(filepath.Join(repo, "in"), 0o755))
	must(os.WriteFile(filepath.Join(repo, "in", "a.env"), []byte("x"), 0o644))
	must(os.WriteFile(filepath.Join(repo, "in", "a.txt"), []byte("x"), 0o644))
	must(os.Symlink(filepath.Join(repo, "in"), filepath.Join(repo, "inlink")))
	got = walked(t, repo, filepath.Join(repo, "inlink"))
	if want := []string{"inlink/a.txt"}; !slices.Equal(got, want) {
		t.Errorf("walk of a link inside the repository yields [%s]; want [%s]", strings.Join(got, " "), strings.Join(want, " "))
	}
}
