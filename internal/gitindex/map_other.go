//go:build !unix

package gitindex

import (
	"io"

	"github.com/dtleaks/dtleaks/internal/regfile"
)

// Map reads a file, which must be a regular file; see the unix version.
func Map(name string) ([]byte, func(), error) {
	f, err := regfile.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	return b, func() {}, err
}
