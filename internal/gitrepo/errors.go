package gitrepo

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// ErrNotRepository is the error of Open for a path in no git repository.
var ErrNotRepository = errors.New("not a git repository")

// ErrSHA256 is wrapped by the error of Open for a repository whose objects
// are named by SHA-256.
var ErrSHA256 = errors.New("SHA-256 repositories are not supported: go-git reads SHA-1 ones only")

// ErrCorrupt is wrapped by the error of a panic in go-git (see Safe): the
// data it read was corrupt.
var ErrCorrupt = errors.New("corrupt data")

// RepoError is a repository that could not be opened: its message names
// the path once, "path: what went wrong".
type RepoError struct {
	Path string
	Err  error
}

// Error names the repository's path and says what went wrong.
func (e *RepoError) Error() string { return e.Path + ": " + e.Err.Error() }

// Unwrap returns what went wrong.
func (e *RepoError) Unwrap() error { return e.Err }

// NamedPath is the path the message names, so that a problem about it does
// not name it again.
func (e *RepoError) NamedPath() string { return e.Path }

// GitFileError is a file of the git directory that was not read: Path is
// its path there, slash-separated ("refs/heads/main", "packed-refs",
// "objects/1a/2b3c…"). Its message calls a ref a ref: "ref
// refs/heads/main: not a regular file".
type GitFileError struct {
	Path string
	Err  error
}

// Error names the file and says what went wrong.
func (e *GitFileError) Error() string {
	what := "git directory file "
	if e.Path == "HEAD" || strings.HasPrefix(e.Path, "refs/") {
		what = "ref "
	}
	return what + e.Path + ": " + e.Err.Error()
}

// Unwrap returns what went wrong.
func (e *GitFileError) Unwrap() error { return e.Err }

// ObjectError is an object that could not be read: Op says what it was
// read as ("object", "blob", "tree", "commit"), Path where a tree has it,
// when that is known. Its message names the object once: "blob 1a2b3c4d5e6f
// of a/b.env: ...", or with the whole hash when there is no path.
type ObjectError struct {
	Op   string
	Hash plumbing.Hash
	Path string
	Err  error
}

// Error names the object and says what went wrong.
func (e *ObjectError) Error() string {
	if e.Path == "" {
		return e.Op + " " + e.Hash.String() + ": " + e.Err.Error()
	}
	return e.Op + " " + Short(e.Hash) + " of " + e.Path + ": " + e.Err.Error()
}

// Unwrap returns what went wrong.
func (e *ObjectError) Unwrap() error { return e.Err }

// NamedPath is the path the message names, so that a problem about it does
// not name it again.
func (e *ObjectError) NamedPath() string { return e.Path }

// ObjectErr returns err as an error about the object h: err itself when it
// already is one (a lower layer named h), else an ObjectError. A nil err
// stays nil.
func ObjectErr(op string, h plumbing.Hash, err error) error {
	if err == nil {
		return nil
	}
	var oe *ObjectError
	if errors.As(err, &oe) && oe.Hash == h {
		return err
	}
	return &ObjectError{Op: op, Hash: h, Err: err}
}

// panicError is what Safe makes of a panic: corrupt data, and the panic
// value when it is a runtime error, whose text holds no scanned bytes.
type panicError struct{ re runtime.Error }

func (e panicError) Error() string {
	if e.re != nil {
		return fmt.Sprintf("corrupt data (%v)", e.re)
	}
	return "corrupt data"
}

func (e panicError) Is(target error) bool { return target == ErrCorrupt }

// recovered turns a recovered panic value into a panicError.
func recovered(p any) panicError {
	re, _ := p.(runtime.Error)
	return panicError{re}
}

// Guard runs f and turns a panic in it (go-git panics on some corrupt data)
// into an error wrapping ErrCorrupt, for the caller to say what was being
// read. Other errors of f are returned as they are.
func Guard(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = recovered(p)
		}
	}()
	return f()
}

// Safe is Guard for reading what, which the error of a panic names.
func Safe(what string, f func() error) error {
	err := Guard(f)
	if errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return err
}
