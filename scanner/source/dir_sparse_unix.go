//go:build linux || freebsd

package source

import (
	"io/fs"
	"syscall"
)

// seekData is lseek's SEEK_DATA: the offset of the next byte at or after
// the given one that is not in a hole.
const seekData = 3

// ZerosAhead implements scanner.ZeroSkipper with SEEK_DATA: the bytes
// between the position and the next data are a hole, zeros by definition.
// A file system without holes gives the position itself: no zeros known.
func (f *dirFile) ZerosAhead() (int64, error) {
	if f.size-f.read < 2<<20 {
		return 0, nil // too little left to be worth a system call
	}
	next, err := syscall.Seek(f.fd, f.read, seekData)
	switch {
	case err == syscall.ENXIO:
		// No data after the position: a hole up to the end of the
		// file as it was opened.
		return f.size - f.read, nil
	case err == syscall.EINVAL || err == syscall.EOPNOTSUPP:
		return 0, nil
	case err != nil:
		return 0, &fs.PathError{Op: "seek", Path: f.path, Err: err}
	}
	// Whatever the call did to the offset, the next read starts where the
	// last one ended.
	if _, err := syscall.Seek(f.fd, f.read, 0); err != nil {
		return 0, &fs.PathError{Op: "seek", Path: f.path, Err: err}
	}
	return max(next-f.read, 0), nil
}

// SkipZeros implements scanner.ZeroSkipper.
func (f *dirFile) SkipZeros(n int64) error {
	if _, err := syscall.Seek(f.fd, f.read+n, 0); err != nil {
		return &fs.PathError{Op: "seek", Path: f.path, Err: err}
	}
	f.read += n
	return nil
}
