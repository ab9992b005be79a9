package gitrepo

import (
	"errors"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestOpenErrors(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	if _, err := Open(dir); !errors.Is(err, ErrNotRepository) {
		t.Errorf("Open(empty directory) = %v; want ErrNotRepository", err)
	}
	sha := filepath.Join(dir, "sha256")
	if out, err := exec.Command("git", "init", "-q", "--object-format=sha256", sha).CombinedOutput(); err != nil {
		t.Skipf("this git cannot make a SHA-256 repository: %v: %s", err, out)
	}
	for _, p := range []string{sha, filepath.Join(sha, ".git")} {
		if _, err := Open(p); !errors.Is(err, ErrSHA256) {
			t.Errorf("Open(%s) = %v; want ErrSHA256", p, err)
		}
	}
}

func TestObjectErr(t *testing.T) {
	h := plumbing.NewHash("1111111111111111111111111111111111111111")
	other := plumbing.NewHash("2222222222222222222222222222222222222222")
	inner := errors.New("zlib: invalid header")
	err := ObjectErr("object", h, inner)
	if got, want := err.Error(), "object "+h.String()+": zlib: invalid header"; got != want {
		t.Errorf("ObjectErr = %q; want %q", got, want)
	}
	if again := ObjectErr("object", h, err); again != err {
		t.Errorf("ObjectErr of an error naming the same object = %q; want it unchanged", again)
	}
	if outer := ObjectErr("tree", other, err); !errors.Is(outer, inner) || outer == err {
		t.Errorf("ObjectErr of another object's error = %q; want it wrapped", outer)
	}
	staged := &ObjectError{Op: "blob", Hash: h, Path: "a/b.env", Err: inner}
	if got, want := staged.Error(), "blob 111111111111 of a/b.env: zlib: invalid header"; got != want {
		t.Errorf("ObjectError with a path = %q; want %q", got, want)
	}
	if ObjectErr("object", h, nil) != nil {
		t.Error("ObjectErr(nil) is not nil")
	}
}

func TestGuard(t *testing.T) {
	var m map[string]int
	err := Guard(func() error { m["x"] = 1; return nil })
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("Guard(panic) = %v; want ErrCorrupt", err)
	}
	err = Safe("tree 1234", func() error { panic("scanned bytes must not show") })
	if got, want := err.Error(), "tree 1234: corrupt data"; got != want {
		t.Errorf("Safe(panic with a string) = %q; want %q (the value is not shown)", got, want)
	}
	plain := errors.New("plain")
	if err := Safe("x", func() error { return plain }); err != plain {
		t.Errorf("Safe(error) = %v; want it unchanged", err)
	}
}
