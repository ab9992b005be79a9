package source

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

// This file reads git's index file (.git/index). go-git can decode it
// (plumbing/format/index), but it reads every field of every entry through
// reflection (about 150 ms for 100k entries, more than the whole budget of
// `dtleaks staged`) and drops invalidated cached-tree entries, which loses
// the shape of the cached tree. Staged needs only the path, mode, hash and
// flags of each entry and the cached tree, so it reads them here, from one
// buffer, without a copy per entry for versions 2 and 3. The format is
// git's Documentation/gitformat-index.txt; go-git's decoder is the oracle in
// FuzzStagedIndex.

// stagedEntry is one index entry.
type stagedEntry struct {
	name  string // path from the top of the work tree, forward slashes
	hash  plumbing.Hash
	mode  uint32 // git mode: 0100644, 0100755, 0120000, 0160000, or 040000 for a sparse directory
	stage uint8  // 0, or 1-3 for an unmerged path
	// intentToAdd marks `git add -N`: the path is known, its content is
	// not staged, and the next commit leaves it out.
	intentToAdd  bool
	skipWorktree bool
}

// stagedCacheTree is one node of the index's cached-tree extension (TREE):
// the tree object that the entries under a directory would make, as git
// last wrote it. A node whose entries changed since is invalid (count < 0);
// its children may still be valid.
type stagedCacheTree struct {
	name     string // path component; "" for the root
	count    int    // index entries under the directory, or -1 when invalid
	hash     plumbing.Hash
	children []*stagedCacheTree
}

// stagedIndex is what Staged needs from the index.
type stagedIndex struct {
	version uint32
	entries []stagedEntry
	cache   *stagedCacheTree // nil without a TREE extension
}

// errStagedIndex is wrapped by every error about a malformed index, so that
// the message says which file is broken without quoting its bytes.
var errStagedIndex = errors.New("malformed index")

func stagedIndexErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errStagedIndex}, args...)...)
}

const (
	stagedEntryHeader  = 62 // ctime..flags: 10 uint32s, a SHA-1, a uint16
	stagedFlagExtended = 0x4000
	stagedFlagNameMask = 0x0fff
	stagedExtSkipWT    = 0x4000
	stagedExtITA       = 0x2000
)

// stagedParseIndex parses the bytes of an index file. The entries' names
// share b's memory: b must not be modified afterwards.
func stagedParseIndex(b []byte) (*stagedIndex, error) {
	const hashLen = sha1.Size
	if len(b) < 12+hashLen {
		return nil, stagedIndexErrorf("too short")
	}
	if string(b[:4]) != "DIRC" {
		return nil, stagedIndexErrorf("bad signature")
	}
	// The trailing checksum is not verified: git itself checks it only in
	// `git fsck`, since hashing a large index costs more than reading it.
	// Every length and offset is bounds-checked instead.
	body := b[:len(b)-hashLen]
	idx := &stagedIndex{version: binary.BigEndian.Uint32(b[4:])}
	if idx.version < 2 || idx.version > 4 {
		return nil, stagedIndexErrorf("unsupported version %d", idx.version)
	}
	n := binary.BigEndian.Uint32(b[8:])
	// Every entry takes at least its header and a NUL (v4: a varint and a
	// NUL), so a count larger than that is a lie; checking it first keeps a
	// corrupt count from allocating gigabytes.
	if uint64(n)*(stagedEntryHeader+2) > uint64(len(body)) {
		return nil, stagedIndexErrorf("entry count %d larger than the file", n)
	}
	// One string for the whole file: names of version 2 and 3 entries are
	// substrings of it, with no allocation per entry. b is the caller's
	// and never written again, so the string need not copy it.
	s := unsafe.String(&body[0], len(body))
	idx.entries = make([]stagedEntry, n)
	p := 12
	var prev string // v4: the previous name, which the next one is relative to
	for i := range idx.entries {
		e := &idx.entries[i]
		start := p
		if len(s)-p < stagedEntryHeader {
			return nil, stagedIndexErrorf("entry %d truncated", i)
		}
		e.mode = binary.BigEndian.Uint32(body[p+24:])
		copy(e.hash[:], body[p+40:p+60])
		flags := binary.BigEndian.Uint16(body[p+60:])
		e.stage = uint8(flags>>12) & 3
		p += stagedEntryHeader
		if flags&stagedFlagExtended != 0 {
			if idx.version < 3 {
				return nil, stagedIndexErrorf("entry %d: extended flags in version 2", i)
			}
			if len(s)-p < 2 {
				return nil, stagedIndexErrorf("entry %d truncated", i)
			}
			x := binary.BigEndian.Uint16(body[p:])
			e.skipWorktree = x&stagedExtSkipWT != 0
			e.intentToAdd = x&stagedExtITA != 0
			p += 2
		}
		if idx.version == 4 {
			strip, m, ok := stagedVarint(body[p:])
			if !ok || strip > uint64(len(prev)) {
				return nil, stagedIndexErrorf("entry %d: bad name prefix", i)
			}
			p += m
			end := bytes.IndexByte(body[p:], 0)
			if end < 0 {
				return nil, stagedIndexErrorf("entry %d: unterminated name", i)
			}
			keep := len(prev) - int(strip)
			if keep == 0 {
				e.name = s[p : p+end]
			} else {
				e.name = prev[:keep] + s[p:p+end]
			}
			p += end + 1
			prev = e.name
		} else {
			nameLen := int(flags & stagedFlagNameMask)
			end := -1
			if nameLen < stagedFlagNameMask {
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
				return nil, stagedIndexErrorf("entry %d: bad name length", i)
			}
			e.name = s[p : p+end]
			// An entry is NUL-padded to a multiple of 8 bytes, with at
			// least one NUL.
			p = start + (p-start+end+8)&^7
			if p > len(s) {
				return nil, stagedIndexErrorf("entry %d truncated", i)
			}
		}
		if e.name == "" {
			return nil, stagedIndexErrorf("entry %d: empty name", i)
		}
		if i > 0 && !stagedEntryLess(&idx.entries[i-1], e) {
			return nil, stagedIndexErrorf("entry %d out of order", i)
		}
	}
	for p < len(body) {
		if len(body)-p < 8 {
			return nil, stagedIndexErrorf("extension header truncated")
		}
		sig := body[p : p+4]
		size := binary.BigEndian.Uint32(body[p+4:])
		p += 8
		if uint64(size) > uint64(len(body)-p) {
			return nil, stagedIndexErrorf("extension %s truncated", stagedPrintable(sig))
		}
		data := body[p : p+int(size)]
		p += int(size)
		switch {
		case string(sig) == "TREE":
			t, err := stagedParseCacheTree(data)
			if err != nil {
				return nil, err
			}
			idx.cache = t
		case string(sig) == "sdir":
			// A sparse index: directory entries stand for whole
			// subtrees. Staged handles them; nothing more to read.
		case sig[0] >= 'A' && sig[0] <= 'Z':
			// Optional extension (REUC, UNTR, FSMN, EOIE, IEOT ...).
		default:
			// "link" (split index) and anything newer change what the
			// entries mean; guessing would scan the wrong blobs.
			return nil, fmt.Errorf("index extension %s is not supported", stagedPrintable(sig))
		}
	}
	return idx, nil
}

// stagedEntryLess orders entries as git does: by name, then by stage.
func stagedEntryLess(a, b *stagedEntry) bool {
	if a.name != b.name {
		return a.name < b.name
	}
	return a.stage < b.stage
}

// stagedVarint decodes the offset varint of index version 4 (the encoding
// of OFS_DELTA offsets in packs). It returns the value and the bytes used.
func stagedVarint(b []byte) (uint64, int, bool) {
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

// stagedParseCacheTree reads a TREE extension: nodes in pre-order, each
// "name NUL count SP subtrees LF" followed by a hash when count >= 0.
func stagedParseCacheTree(b []byte) (*stagedCacheTree, error) {
	var read func(depth int) (*stagedCacheTree, error)
	read = func(depth int) (*stagedCacheTree, error) {
		if depth > 4096 {
			return nil, stagedIndexErrorf("cached tree too deep")
		}
		nul := bytes.IndexByte(b, 0)
		if nul < 0 {
			return nil, stagedIndexErrorf("cached tree truncated")
		}
		t := &stagedCacheTree{name: string(b[:nul])}
		b = b[nul+1:]
		sp := bytes.IndexByte(b, ' ')
		if sp < 0 {
			return nil, stagedIndexErrorf("cached tree truncated")
		}
		count, err := strconv.Atoi(string(b[:sp]))
		if err != nil || count < -1 {
			return nil, stagedIndexErrorf("cached tree: bad entry count")
		}
		b = b[sp+1:]
		lf := bytes.IndexByte(b, '\n')
		if lf < 0 {
			return nil, stagedIndexErrorf("cached tree truncated")
		}
		subtrees, err := strconv.Atoi(string(b[:lf]))
		if err != nil || subtrees < 0 || subtrees > len(b) {
			return nil, stagedIndexErrorf("cached tree: bad subtree count")
		}
		b = b[lf+1:]
		t.count = count
		if count >= 0 {
			if len(b) < len(t.hash) {
				return nil, stagedIndexErrorf("cached tree truncated")
			}
			copy(t.hash[:], b)
			b = b[len(t.hash):]
		}
		for range subtrees {
			c, err := read(depth + 1)
			if err != nil {
				return nil, err
			}
			t.children = append(t.children, c)
		}
		return t, nil
	}
	t, err := read(0)
	if err != nil {
		return nil, err
	}
	if len(b) != 0 {
		return nil, stagedIndexErrorf("cached tree: trailing bytes")
	}
	return t, nil
}

// stagedPrintable renders an extension signature for an error message.
func stagedPrintable(sig []byte) string {
	for _, c := range sig {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("%x", sig)
		}
	}
	return strconv.Quote(string(sig))
}
