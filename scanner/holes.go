package scanner

import "github.com/dtleaks/dtleaks/rules"

// ZeroSkipper is implemented by an item's reader that can tell, without
// reading them, that the bytes ahead of it are zeros: a sparse file's holes,
// which a file system gives as zeros but stores nowhere. Scan skips such a
// run instead of reading it, so a 1 TiB disk image with a few megabytes of
// data is scanned in the time its data takes.
//
// Nothing is lost: no match holds rules.MaxSpan zero bytes in a row, and
// Scan keeps that many zeros on each side of what it skips, so every match
// that touches the run is still read whole. Lines and columns stay those of
// the whole content: zeros hold no line break, and each is one character.
type ZeroSkipper interface {
	// ZerosAhead returns how many bytes from the reader's position are
	// known to be zero; 0 when none are, or it cannot tell.
	ZerosAhead() (int64, error)
	// SkipZeros moves the reader's position n bytes forward, n at most
	// what ZerosAhead returned.
	SkipZeros(n int64) error
}

// minSkip is the shortest run of zeros worth skipping rather than reading:
// below it the system calls cost more than the reading.
const minSkip = 1 << 20

// skipZeros skips the zeros ahead of r when buf, the bytes read but not yet
// searched, is all zeros too, leaving rules.MaxSpan zeros ahead to be read
// as usual. It returns how many bytes it skipped.
func skipZeros(r ZeroSkipper, buf []byte) (int64, error) {
	if len(buf) == 0 {
		// The first read, or one that ended on a window's edge: not
		// worth a system call per item.
		return 0, nil
	}
	for _, c := range buf {
		if c != 0 {
			return 0, nil
		}
	}
	z, err := r.ZerosAhead()
	if err != nil || z < minSkip {
		return 0, err
	}
	n := z - rules.MaxSpan
	if err := r.SkipZeros(n); err != nil {
		return 0, err
	}
	return n, nil
}
