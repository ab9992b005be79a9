package staged

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/internal/gitindex"
	"github.com/dtleaks/dtleaks/internal/gitrepo"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/source/history"
)

// lsFiles is the index as git reads it: "mode hash stage\tpath" lines.
func (r *testRepo) lsFiles() string { r.T.Helper(); return r.Git("ls-files", "-s", "--sparse") }

// ourFiles is the index as readIndex reads it, in the form of lsFiles.
func ourFiles(t *testing.T, r *testRepo) string {
	t.Helper()
	repo, err := gitrepo.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	idx, unmap, err := (&Source{Path: r.Dir}).readIndex(repo)
	if err != nil {
		t.Fatalf("readIndex: %v", err)
	}
	defer unmap()
	var b strings.Builder
	for _, e := range idx.Entries {
		fmt.Fprintf(&b, "%06o %s %d\t%s\n", e.Mode, e.Hash, e.Stage, e.Name)
	}
	return strings.TrimSpace(b.String())
}

// TestSplitIndex: a split index (git update-index --split-index) holds only
// the changes to a shared index; read together they are the index git
// lists, and the staged token is found.
func TestSplitIndex(t *testing.T) {
	r := newTestRepo(t)
	for i := range 40 {
		r.Write(fmt.Sprintf("f%02d.txt", i), fmt.Sprintf("file %d\n", i))
	}
	age(t, r)
	r.Commit("many")
	r.Git("update-index", "--split-index")
	r.Git("config", "splitIndex.maxPercentChange", "100")
	tok, edit := r.token(), r.token()
	r.Write("f05.txt", "file 5\nk="+edit.Text+"\n") // replaced
	r.Git("rm", "-q", "f07.txt")                    // deleted
	r.Write("new.env", "k="+tok.Text+"\n")          // added
	r.Write("f39b.txt", "after the last\n")         // added, between
	age(t, r)
	r.Git("add", "-A")
	if out := r.Git("rev-parse", "--shared-index-path"); out == "" {
		t.Fatal("git wrote no shared index: bad fixture")
	}
	b, err := os.ReadFile(filepath.Join(r.Dir, ".git", "index"))
	if err != nil {
		t.Fatal(err)
	}
	split, err := gitindex.Parse(b)
	if err != nil || split.Link == nil || len(split.Entries) == 0 {
		t.Fatalf("the index is not a split index (%v, link %v, %d entries): bad fixture", err, split.Link != nil, len(split.Entries))
	}
	if got, want := ourFiles(t, r), r.lsFiles(); got != want {
		t.Errorf("index read:\n%s\nwant (git ls-files -s):\n%s", got, want)
	}
	r.check(hit("f05.txt", 2, edit), hit("new.env", 1, tok))
}

// age sets the times of the work tree's files an hour back, so that no
// entry is racily clean: git would write those to the split index whole.
func age(t *testing.T, r *testRepo) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	err := filepath.WalkDir(r.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() == ".git" {
			return cmp.Or(err, filepath.SkipDir)
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSparseCheckout: a sparse checkout with a sparse index and
// extensions.worktreeConfig (which go-git refuses by itself) is read:
// staged finds what is staged, history what is committed out of the cone.
func TestSparseCheckout(t *testing.T) {
	r := newTestRepo(t)
	old, tok := r.token(), r.token()
	r.Write("a/x.txt", "x\n")
	r.Write("b/y.env", "k="+old.Text+"\n")
	r.Commit("one")
	r.Git("config", "extensions.worktreeConfig", "true")
	r.Git("sparse-checkout", "set", "--sparse-index", "a")
	if !strings.Contains(r.lsFiles(), "\tb/") {
		t.Fatal("no sparse directory entry: bad fixture")
	}
	r.Write("a/x.txt", "x\nk="+tok.Text+"\n")
	r.Git("add", "a/x.txt")
	if got, want := ourFiles(t, r), r.lsFiles(); got != want {
		t.Errorf("index read:\n%s\nwant (git ls-files -s --sparse):\n%s", got, want)
	}
	r.check(hit("a/x.txt", 2, tok))
	res, err := scanner.Scan(context.Background(), &history.Source{Path: r.Dir}, scanner.Options{})
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	// The staged blob is in the store too: history finds it, unreachable.
	found := slices.ContainsFunc(res.Findings, func(f scanner.Finding) bool { return f.ID == rules.ID(old.ID) && f.Path == "b/y.env" })
	if len(res.Problems) > 0 || !found {
		t.Errorf("history: problems %v; %s in b/y.env found: %v", res.Problems, old.ID, found)
	}
}
