// Package regfile opens files named from outside (a flag, an environment
// variable, a repository's own files) that must be regular files, without
// ever blocking: a FIFO put where a regular file is expected would hold
// open(2) until a writer came, and a device such as /dev/zero would be read
// for ever. Open refuses both; ReadFile also bounds what it reads of a file
// that should be small.
package regfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular is the error, wrapped in an *fs.PathError, of a path that
// is a FIFO, a device, a socket or a directory where a regular file was
// expected.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is the error, wrapped in an *fs.PathError, of a file larger
// than the bound ReadFile was given.
var ErrTooLarge = errors.New("file too large")

// Open opens a regular file for reading, without blocking on a FIFO, and
// fails with ErrNotRegular when the path is anything else.
func Open(name string) (*os.File, error) {
	f, err := open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrNotRegular}
	}
	return f, nil
}

// ReadFile reads a regular file of at most max bytes (see Open); a larger
// one fails with ErrTooLarge and nothing of it is returned.
func ReadFile(name string, max int64) ([]byte, error) {
	f, err := Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)}
	}
	return b, nil
}

// Check returns an error wrapping ErrNotRegular when name exists and is
// not a regular file (following symbolic links): the check for files a
// library opens itself, with a plain open that a FIFO would block.
func Check(name string) error {
	fi, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &fs.PathError{Op: "open", Path: name, Err: ErrNotRegular}
	}
	return nil
}
