//go:build unix

package gitindex

import (
	"os"
	"syscall"
)

// Map maps a file into memory read-only, sparing the copy and the
// zeroed heap buffer of os.ReadFile for an index of many megabytes. The
// returned function unmaps it: nothing that points into the bytes may be
// used after it is called.
func Map(name string) ([]byte, func(), error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := fi.Size()
	if size == 0 || size != int64(int(size)) {
		b, err := os.ReadFile(name)
		return b, func() {}, err
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		// Some file systems cannot map files: read it instead.
		b, err := os.ReadFile(name)
		return b, func() {}, err
	}
	return b, func() { syscall.Munmap(b) }, nil
}
