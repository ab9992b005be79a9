//go:build unix

package regfile

import (
	"os"
	"syscall"
)

// open opens name with O_NONBLOCK, which makes opening a FIFO return at
// once instead of waiting for a writer (and is no-op for a regular file).
func open(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
}
