package gitindex

import (
	"crypto/sha1"
	"encoding/binary"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
)

// Link is the "link" extension of a split index: the shared index it
// changes (the file sharedindex.<Shared> beside it, in the git directory)
// and which of the shared entries it deletes and replaces.
type Link struct {
	Shared plumbing.Hash
	// del and repl are the EWAH bitmaps, decoded by Merge, which knows
	// how many shared entries they may name.
	del, repl []byte
}

// parseLink reads a link extension: the shared index's hash, then, when
// present, the delete and replace bitmaps.
func parseLink(b []byte) (*Link, error) {
	if len(b) < sha1.Size {
		return nil, malformed("link extension truncated")
	}
	l := &Link{}
	copy(l.Shared[:], b)
	b = b[sha1.Size:]
	if len(b) == 0 {
		return l, nil
	}
	n, err := ewahLen(b)
	if err != nil {
		return nil, err
	}
	l.del, b = b[:n], b[n:]
	if n, err = ewahLen(b); err != nil {
		return nil, err
	}
	l.repl, b = b[:n], b[n:]
	if len(b) != 0 {
		return nil, malformed("link extension: trailing bytes")
	}
	return l, nil
}

// ewahLen returns the length of the serialised EWAH bitmap b starts with:
// bit count, word count, the 64-bit words, the last RLW's position.
func ewahLen(b []byte) (int, error) {
	if len(b) < 8 {
		return 0, malformed("link extension: bitmap truncated")
	}
	words := uint64(binary.BigEndian.Uint32(b[4:]))
	n := 8 + 8*words + 4
	if n > uint64(len(b)) {
		return 0, malformed("link extension: bitmap truncated")
	}
	return int(n), nil
}

// ewahBits returns the bitmap b (see ewahLen) as one bool per position
// below limit; a set bit at limit or above is an error.
func ewahBits(b []byte, limit int) ([]bool, error) {
	out := make([]bool, limit)
	if len(b) == 0 {
		return out, nil
	}
	words := int(binary.BigEndian.Uint32(b[4:]))
	w := func(i int) uint64 { return binary.BigEndian.Uint64(b[8+8*i:]) }
	pos := uint64(0)
	set := func(p uint64) error {
		if p >= uint64(limit) {
			return malformed("link extension: bitmap names entry %d of %d", p, limit)
		}
		out[p] = true
		return nil
	}
	for i := 0; i < words; {
		rlw := w(i)
		i++
		run := (rlw >> 1) & 0xffffffff
		lit := int(rlw >> 33)
		if rlw&1 != 0 {
			for k := uint64(0); k < run*64; k++ {
				if err := set(pos + k); err != nil {
					return nil, err
				}
			}
		}
		pos += run * 64
		if lit > words-i {
			return nil, malformed("link extension: bitmap truncated")
		}
		for ; lit > 0; lit-- {
			x := w(i)
			i++
			for bit := uint64(0); bit < 64; bit++ {
				if x>>bit&1 != 0 {
					if err := set(pos + bit); err != nil {
						return nil, err
					}
				}
			}
			pos += 64
		}
	}
	return out, nil
}

// Merge returns the index a split index stands for: the shared index's
// entries with the split index's replacements and deletions applied and
// its added entries merged in, as git reads it; the cached tree is the
// split index's (git writes extensions there). shared is the index read
// from the file sharedindex.<idx.Link.Shared>.
func Merge(idx, shared *Index) (*Index, error) {
	if idx.Link == nil {
		return idx, nil
	}
	n := len(shared.Entries)
	del, err := ewahBits(idx.Link.del, n)
	if err != nil {
		return nil, err
	}
	repl, err := ewahBits(idx.Link.repl, n)
	if err != nil {
		return nil, err
	}
	out := &Index{Version: idx.Version, Cache: idx.Cache}
	base := make([]Entry, 0, n)
	k := 0
	for i, e := range shared.Entries {
		if repl[i] {
			if k >= len(idx.Entries) {
				return nil, malformed("split index: fewer entries than replacements")
			}
			r := idx.Entries[k]
			k++
			if r.Name == "" {
				r.Name = e.Name
			}
			e = r
		}
		if !del[i] {
			base = append(base, e)
		}
	}
	added := idx.Entries[k:]
	if slices.ContainsFunc(added, func(e Entry) bool { return e.Name == "" }) {
		return nil, malformed("split index: an added entry has no name")
	}
	// Both lists are sorted; an added entry replaces a base entry of the
	// same name and stage.
	out.Entries = make([]Entry, 0, len(base)+len(added))
	i, j := 0, 0
	for i < len(base) || j < len(added) {
		switch {
		case j == len(added) || i < len(base) && entryLess(&base[i], &added[j]):
			out.Entries = append(out.Entries, base[i])
			i++
		case i == len(base) || entryLess(&added[j], &base[i]):
			out.Entries = append(out.Entries, added[j])
			j++
		default: // same name and stage
			out.Entries = append(out.Entries, added[j])
			i++
			j++
		}
	}
	if err := checkEntries(out.Entries); err != nil {
		return nil, err
	}
	return out, nil
}
