//go:build !unix

package regfile

import "os"

// open opens name: there are no FIFOs to block on here.
func open(name string) (*os.File, error) { return os.Open(name) }
