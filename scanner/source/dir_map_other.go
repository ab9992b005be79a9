//go:build !unix

package source

// unmap does nothing: files are read, never mapped, on this system.
func (f *dirFile) unmap() error { return nil }
