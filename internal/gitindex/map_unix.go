//go:build unix

package gitindex

import (
	"io"
	"os"
	"syscall"

	"github.com/dtleaks/dtleaks/internal/regfile"
)

// Map maps a file into memory read-only, sparing the copy and the
// zeroed heap buffer of os.ReadFile for an index of many megabytes. The
// returned function unmaps it: nothing that points into the bytes may be
// used after it is called.
func Map(name string) ([]byte, func(), error) {
	// Not os.Open: $GIT_INDEX_FILE may name a FIFO or a device
	// (/dev/zero would be read for ever).
	f, err := regfile.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := fi.Size()
	if size == 0 {
		return nil, func() {}, nil
	}
	if size != int64(int(size)) {
		return nil, nil, &os.PathError{Op: "read", Path: name, Err: errTooLarge}
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		// Some file systems cannot map files: read it instead.
		b, err := io.ReadAll(f)
		return b, func() {}, err
	}
	return b, func() { syscall.Munmap(b) }, nil
}
