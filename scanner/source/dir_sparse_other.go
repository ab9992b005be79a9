//go:build !(linux || freebsd)

package source

// ZerosAhead implements scanner.ZeroSkipper where holes cannot be found:
// sparse files are read as they are, zeros and all.
func (f *dirFile) ZerosAhead() (int64, error) { return 0, nil }

// SkipZeros implements scanner.ZeroSkipper; ZerosAhead never offers any.
func (f *dirFile) SkipZeros(n int64) error { return nil }
