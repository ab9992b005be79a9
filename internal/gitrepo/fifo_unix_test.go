//go:build unix

// FIFOs are unix things: on Windows a named pipe is another kind of
// object, which cannot stand in a repository's directory.

package gitrepo

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/regfile"
)

// TestFIFOInGitDir: a FIFO where git keeps a regular file (a loose ref, a
// loose object) is an error naming it, at once: go-git opens these with a
// plain open, which would wait for a writer for ever (issue 11, item 17).
func TestFIFOInGitDir(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	r := gittest.New(t)
	r.Write("a.txt", "a\n")
	head := r.Commit("a")
	gitDir := filepath.Join(r.Dir, ".git")
	if err := syscall.Mkfifo(filepath.Join(gitDir, "refs", "heads", "x"), 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	blob := strings.TrimSpace(r.Git("rev-parse", "HEAD:a.txt"))
	loose := filepath.Join(gitDir, "objects", blob[:2], blob[2:])
	must(t, syscall.Unlink(loose))
	must(t, syscall.Mkfifo(loose, 0o644))

	repo, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	// within fails the test, instead of hanging it, when fn blocks.
	within := func(what string, fn func() error) error {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- fn() }()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatalf("%s blocked on a FIFO", what)
			return nil
		}
	}
	err = within("listing the refs", func() error {
		iter, err := repo.References()
		if err != nil {
			return err
		}
		return iter.ForEach(func(*plumbing.Reference) error { return nil })
	})
	var fe *GitFileError
	if !errors.Is(err, regfile.ErrNotRegular) || !errors.As(err, &fe) || fe.Path != "refs/heads/x" {
		t.Errorf("listing the refs = %v; want a GitFileError for refs/heads/x wrapping ErrNotRegular", err)
	}
	if err != nil && err.Error() != "ref refs/heads/x: not a regular file" {
		t.Errorf("message %q does not say which ref plainly", err)
	}

	err = within("reading a loose object", func() error {
		_, err := repo.Object(plumbing.AnyObject, plumbing.NewHash(blob))
		return err
	})
	if !errors.Is(err, regfile.ErrNotRegular) || !errors.As(err, &fe) || fe.Path != "objects/"+blob[:2]+"/"+blob[2:] {
		t.Errorf("reading a FIFO loose object = %v; want a GitFileError wrapping ErrNotRegular", err)
	}
	// The commit, a regular file, reads as before.
	if _, err := repo.CommitObject(plumbing.NewHash(head)); err != nil {
		t.Errorf("reading the commit: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
