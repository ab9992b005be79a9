//go:build !unix

package gitindex

import "os"

// Map reads a file; see the unix version.
func Map(name string) ([]byte, func(), error) {
	b, err := os.ReadFile(name)
	return b, func() {}, err
}
