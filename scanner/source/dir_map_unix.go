//go:build unix

package source

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// dirMapMin is the size from which a file is mapped into memory rather than
// read (scanner.Mapper): below it, mapping and unmapping cost more than the
// copy a read makes, and the file is a window or two, which leaves nothing
// to search on other processors.
const dirMapMin = 4 << 20

// Map implements scanner.Mapper: a regular file of dirMapMin bytes or more,
// not sparse and not yet read, is mapped whole, read-only. A file that
// cannot be mapped is read instead.
func (f *dirFile) Map() []byte {
	if f.read != 0 || f.sparse || f.size < dirMapMin || int64(int(f.size)) != f.size {
		return nil
	}
	b, err := unix.Mmap(f.fd, 0, int(f.size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil
	}
	f.mapped = b
	return b
}

// unmap releases the mapping Map made, if any.
func (f *dirFile) unmap() error {
	b := f.mapped
	if b == nil {
		return nil
	}
	f.mapped = nil
	if err := unix.Munmap(b); err != nil {
		return &fs.PathError{Op: "munmap", Path: f.path, Err: err}
	}
	return nil
}
