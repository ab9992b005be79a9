// Package gitindex reads git's index file (.git/index): the path, mode,
// hash and flags of each entry and the cached tree, which is what a scan of
// staged content needs. [Parse] reads the bytes of an index, [Map] maps an
// index file into memory for it.
//
// go-git can decode an index (plumbing/format/index), but it reads every
// field of every entry through reflection (about 150 ms for 100k entries,
// more than the whole budget of `dtleaks staged`) and drops invalidated
// cached-tree entries, which loses the shape of the cached tree. Parse reads
// from one buffer, without a copy per entry for versions 2 and 3. The format
// is git's Documentation/gitformat-index.txt; go-git's decoder is the oracle
// in FuzzParse.
package gitindex

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/go-git/go-git/v5/plumbing"
)

// Entry is one index entry.
type Entry struct {
	Name  string // path from the top of the work tree, forward slashes
	Hash  plumbing.Hash
	Mode  uint32 // git mode: 0100644, 0100755, 0120000, 0160000, or 040000 for a sparse directory
	Stage uint8  // 0, or 1-3 for an unmerged path
	// IntentToAdd marks `git add -N`: the path is known, its content is
	// not staged, and the next commit leaves it out.
	IntentToAdd bool
	// SkipWorktree marks an entry of a sparse checkout outside its cone.
	SkipWorktree bool
}

// CacheTree is one node of the index's cached-tree extension (TREE):
// the tree object that the entries under a directory would make, as git
// last wrote it. A node whose entries changed since is invalid (Count < 0);
// its children may still be valid.
type CacheTree struct {
	Name     string // path component; "" for the root
	Count    int    // index entries under the directory, or -1 when invalid
	Hash     plumbing.Hash
	Children []*CacheTree
}

// Index is what a staged scan needs from an index file.
type Index struct {
	Version uint32
	Entries []Entry
	Cache   *CacheTree // nil without a TREE extension
	// Link is set for a split index (`git update-index --split-index`):
	// Entries are then only the changes to a shared index, which Merge
	// applies.
	Link *Link
}

// ErrMalformed is wrapped by every error about a malformed index, so that
// the message says which file is broken without quoting its bytes.
var ErrMalformed = errors.New("malformed index")

// errTooLarge is the error of an index file too large to map.
var errTooLarge = errors.New("index file too large")

// malformed returns an error wrapping ErrMalformed.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

const (
	entryHeader  = 62 // ctime..flags: 10 uint32s, a SHA-1, a uint16
	flagExtended = 0x4000
	flagNameMask = 0x0fff
	extSkipWT    = 0x4000
	extITA       = 0x2000
)

// Parse parses the bytes of an index file. The entries' names
// share b's memory: b must not be modified afterwards.
func Parse(b []byte) (*Index, error) {
	const hashLen = sha1.Size
	if len(b) < 12+hashLen {
		return nil, malformed("too short")
	}
	if string(b[:4]) != "DIRC" {
		return nil, malformed("bad signature")
	}
	// The trailing checksum is not verified: git itself checks it only in
	// `git fsck`, since hashing a large index costs more than reading it.
	// Every length and offset is bounds-checked instead.
	body := b[:len(b)-hashLen]
	idx := &Index{Version: binary.BigEndian.Uint32(b[4:])}
	if idx.Version < 2 || idx.Version > 4 {
		return nil, malformed("unsupported version %d", idx.Version)
	}
	n := binary.BigEndian.Uint32(b[8:])
	// Every entry takes at least its header and a NUL (v4: a varint and a
	// NUL), so a count larger than that is a lie; checking it first keeps a
	// corrupt count from allocating gigabytes.
	if uint64(n)*(entryHeader+2) > uint64(len(body)) {
		return nil, malformed("entry count %d larger than the file", n)
	}
	// One string for the whole file: names of version 2 and 3 entries are
	// substrings of it, with no allocation per entry. b is the caller's
	// and never written again, so the string need not copy it.
	s := unsafe.String(&body[0], len(body))
	idx.Entries = make([]Entry, n)
	p := 12
	var prev string // v4: the previous name, which the next one is relative to
	for i := range idx.Entries {
		e := &idx.Entries[i]
		start := p
		if len(s)-p < entryHeader {
			return nil, malformed("entry %d truncated", i)
		}
		e.Mode = binary.BigEndian.Uint32(body[p+24:])
		copy(e.Hash[:], body[p+40:p+60])
		flags := binary.BigEndian.Uint16(body[p+60:])
		e.Stage = uint8(flags>>12) & 3
		p += entryHeader
		if flags&flagExtended != 0 {
			if idx.Version < 3 {
				return nil, malformed("entry %d: extended flags in version 2", i)
			}
			if len(s)-p < 2 {
				return nil, malformed("entry %d truncated", i)
			}
			x := binary.BigEndian.Uint16(body[p:])
			e.SkipWorktree = x&extSkipWT != 0
			e.IntentToAdd = x&extITA != 0
			p += 2
		}
		if idx.Version == 4 {
			strip, m, ok := varint(body[p:])
			if !ok || strip > uint64(len(prev)) {
				return nil, malformed("entry %d: bad name prefix", i)
			}
			p += m
			end := bytes.IndexByte(body[p:], 0)
			if end < 0 {
				return nil, malformed("entry %d: unterminated name", i)
			}
			keep := len(prev) - int(strip)
			if keep == 0 {
				e.Name = s[p : p+end]
			} else {
				e.Name = prev[:keep] + s[p:p+end]
			}
			p += end + 1
			prev = e.Name
		} else {
			nameLen := int(flags & flagNameMask)
			end := -1
			if nameLen < flagNameMask {
				if len(s)-p > nameLen && body[p+nameLen] == 0 {
					end = nameLen
				}
			} else {
				// 0xfff means "this long or longer": look for the NUL.
				if j := bytes.IndexByte(body[p:], 0); j >= nameLen {
					end = j
				}
			}
			if end < 0 {
				return nil, malformed("entry %d: bad name length", i)
			}
			e.Name = s[p : p+end]
			// An entry is NUL-padded to a multiple of 8 bytes, with at
			// least one NUL.
			p = start + (p-start+end+8)&^7
			if p > len(s) {
				return nil, malformed("entry %d truncated", i)
			}
		}
	}
	for p < len(body) {
		if len(body)-p < 8 {
			return nil, malformed("extension header truncated")
		}
		sig := body[p : p+4]
		size := binary.BigEndian.Uint32(body[p+4:])
		p += 8
		if uint64(size) > uint64(len(body)-p) {
			return nil, malformed("extension %s truncated", printable(sig))
		}
		data := body[p : p+int(size)]
		p += int(size)
		switch {
		case string(sig) == "link":
			l, err := parseLink(data)
			if err != nil {
				return nil, err
			}
			idx.Link = l
		case string(sig) == "TREE":
			t, err := parseCacheTree(data)
			if err != nil {
				return nil, err
			}
			idx.Cache = t
		case string(sig) == "sdir":
			// A sparse index: directory entries stand for whole
			// subtrees, which the staged source handles; nothing more to read.
		case sig[0] >= 'A' && sig[0] <= 'Z':
			// Optional extension (REUC, UNTR, FSMN, EOIE, IEOT ...).
		default:
			// Anything newer may change what the entries mean; guessing
			// would scan the wrong blobs.
			return nil, fmt.Errorf("index extension %s is not supported", printable(sig))
		}
	}
	if idx.Link != nil {
		// Replaced entries may have empty names; Merge checks the
		// merged entries.
		return idx, nil
	}
	if err := checkEntries(idx.Entries); err != nil {
		return nil, err
	}
	return idx, nil
}

// checkEntries checks that every entry has a name and that they are in
// git's order.
func checkEntries(es []Entry) error {
	for i := range es {
		if es[i].Name == "" {
			return malformed("entry %d: empty name", i)
		}
		if i > 0 && !entryLess(&es[i-1], &es[i]) {
			return malformed("entry %d out of order", i)
		}
	}
	return nil
}

// entryLess orders entries as git does: by name, then by stage.
func entryLess(a, b *Entry) bool {
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.Stage < b.Stage
}

// varint decodes the offset varint of index version 4 (the encoding
// of OFS_DELTA offsets in packs). It returns the value and the bytes used.
func varint(b []byte) (uint64, int, bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	c := b[0]
	v := uint64(c & 0x7f)
	n := 1
	for c&0x80 != 0 {
		if n >= len(b) || n >= 9 {
			return 0, 0, false
		}
		c = b[n]
		n++
		v = (v+1)<<7 | uint64(c&0x7f)
	}
	return v, n, true
}

// parseCacheTree reads a TREE extension: nodes in pre-order, each
// "name NUL count SP subtrees LF" followed by a hash when count >= 0.
func parseCacheTree(b []byte) (*CacheTree, error) {
	var read func(depth int) (*CacheTree, error)
	read = func(depth int) (*CacheTree, error) {
		if depth > 4096 {
			return nil, malformed("cached tree too deep")
		}
		nul := bytes.IndexByte(b, 0)
		if nul < 0 {
			return nil, malformed("cached tree truncated")
		}
		t := &CacheTree{Name: string(b[:nul])}
		b = b[nul+1:]
		sp := bytes.IndexByte(b, ' ')
		if sp < 0 {
			return nil, malformed("cached tree truncated")
		}
		count, err := strconv.Atoi(string(b[:sp]))
		if err != nil || count < -1 {
			return nil, malformed("cached tree: bad entry count")
		}
		b = b[sp+1:]
		lf := bytes.IndexByte(b, '\n')
		if lf < 0 {
			return nil, malformed("cached tree truncated")
		}
		subtrees, err := strconv.Atoi(string(b[:lf]))
		if err != nil || subtrees < 0 || subtrees > len(b) {
			return nil, malformed("cached tree: bad subtree count")
		}
		b = b[lf+1:]
		t.Count = count
		if count >= 0 {
			if len(b) < len(t.Hash) {
				return nil, malformed("cached tree truncated")
			}
			copy(t.Hash[:], b)
			b = b[len(t.Hash):]
		}
		for range subtrees {
			c, err := read(depth + 1)
			if err != nil {
				return nil, err
			}
			t.Children = append(t.Children, c)
		}
		return t, nil
	}
	t, err := read(0)
	if err != nil {
		return nil, err
	}
	if len(b) != 0 {
		return nil, malformed("cached tree: trailing bytes")
	}
	return t, nil
}

// printable renders an extension signature for an error message.
func printable(sig []byte) string {
	for _, c := range sig {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("%x", sig)
		}
	}
	return strconv.Quote(string(sig))
}
