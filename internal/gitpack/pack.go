// Package gitpack reads the packfiles of a git object store the way git
// index-pack does: [ReadIndex] reads a pack's index, [ReadGraph] the header
// of every object, which gives the delta graph (each delta's base), and a
// [Walker] then resolves each whole object and, depth first, the deltas
// built on it, through an [Inflater] and [Patch]. Every object is inflated
// exactly once and no delta base is ever looked up in a cache, and whole
// delta trees of a type nobody wants are never inflated.
package gitpack

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/klauspost/compress/zlib"

	"github.com/dtleaks/dtleaks/internal/gitrepo"
)

// Raw object types of a pack entry header.
const (
	rawOFSDelta = 6
	rawREFDelta = 7
)

// entry is what the graph keeps of one object of a pack, in offset order.
type entry struct {
	size int64 // inflated size, from the header
	base int32 // index of the delta base; -1 for a whole object
	hdr  uint8 // header length: the zlib stream starts at offset+hdr
	typ  uint8 // raw header type
	bad  bool  // header unreadable, or base missing
}

// MaxObject bounds the size of an object, or of a delta, resolved in
// memory (see gitrepo.MaxObject).
const MaxObject = gitrepo.MaxObject

// SizeError is an object whose size is beyond MaxObject.
type SizeError = gitrepo.SizeError

// Layout of a version 2 pack index: magic, version and a 256-entry
// fan-out table, then per object a name, a CRC and a 32-bit offset, and
// two checksums at the end.
const (
	idxHeader    = 8 + 256*4
	idxPerObject = 20 + 4 + 4
	idxTrailer   = 2 * 20
)

// Index is a pack's index: its objects by hash, and by offset.
type Index struct {
	idx     *idxfile.MemoryIndex
	entries []idxfile.Entry // by offset
}

// ReadIndex reads a pack index file of size bytes. The object count its
// fan-out table claims is checked against size before anything is sized
// by it: a 1 KiB index can claim four billion objects.
func ReadIndex(r io.Reader, size int64) (*Index, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(idxHeader)
	if err != nil {
		return nil, fmt.Errorf("index cut short: %w", err)
	}
	if n := int64(binary.BigEndian.Uint32(head[idxHeader-4:])); string(head[:4]) == "\377tOc" && n*idxPerObject+idxHeader+idxTrailer > size {
		return nil, fmt.Errorf("index claims %d objects, more than its %d bytes can hold", n, size)
	}
	x := &Index{idx: idxfile.NewMemoryIndex()}
	if err := idxfile.NewDecoder(br).Decode(x.idx); err != nil {
		return nil, err
	}
	// Entries by offset, sorted here rather than by EntriesByOffset,
	// whose sort.Sort through an interface of pointers was most of the
	// time to read a large index, before any worker can start.
	n, err := x.idx.Count()
	if err != nil {
		return nil, err
	}
	it, err := x.idx.Entries()
	if err != nil {
		return nil, err
	}
	defer it.Close()
	x.entries = make([]idxfile.Entry, 0, n)
	for {
		e, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		x.entries = append(x.entries, *e)
	}
	slices.SortFunc(x.entries, func(a, b idxfile.Entry) int {
		return cmp.Or(cmp.Compare(a.Offset, b.Offset), bytes.Compare(a.Hash[:], b.Hash[:]))
	})
	return x, nil
}

// Contains reports whether the pack holds the object. It searches the
// index's sorted names itself, comparing eight bytes at a time: go-git's
// search calls bytes.Compare at every step, and a history scan asks once
// per commit and per new tree entry, hundreds of thousands of times.
func (x *Index) Contains(h plumbing.Hash) bool {
	k := x.idx.FanoutMapping[h[0]]
	if k < 0 || k >= len(x.idx.Names) {
		return false // no name starts with h[0]
	}
	names := x.idx.Names[k] // the names starting with h[0], sorted
	key := binary.BigEndian.Uint64(h[:8])
	lo, hi := 0, len(names)/hashLen
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		name := names[mid*hashLen : mid*hashLen+hashLen]
		c := cmp.Compare(key, binary.BigEndian.Uint64(name[:8]))
		if c == 0 {
			c = bytes.Compare(h[8:], name[8:])
		}
		switch {
		case c == 0:
			return true
		case c < 0:
			hi = mid
		default:
			lo = mid + 1
		}
	}
	return false
}

// hashLen is the length of an object name (SHA-1).
const hashLen = 20

// Graph is the delta graph of one pack. Objects are numbered by their
// order in the pack file.
type Graph struct {
	idx  *Index
	size int64 // of the pack file
	objs []entry
	// kids[kidAt[i]:kidAt[i+1]] are the deltas whose base is object i,
	// by offset.
	kids  []int32
	kidAt []int32
	// roots are the whole objects, by offset, with their types.
	roots []int32
	// Bad are the objects that cannot be resolved, with why.
	Bad []Bad
}

// Bad is an object of a pack that cannot be read, and why.
type Bad struct {
	Obj int32
	Err error
}

func (g *Graph) offset(i int32) int64 { return int64(g.idx.entries[i].Offset) }

// Hash is the name of object i.
func (g *Graph) Hash(i int32) plumbing.Hash { return g.idx.entries[i].Hash }

// Size is the size object i inflates to, as its header says.
func (g *Graph) Size(i int32) int64 { return g.objs[i].size }

// Roots are the whole objects (those no delta), in pack order.
func (g *Graph) Roots() []int32 { return g.roots }

// Type is the type of the whole object i: commit, tree, blob or tag.
func (g *Graph) Type(i int32) plumbing.ObjectType { return typeOf(g.objs[i].typ) }

// end is where object i's data ends: where the next object starts, or the
// pack's trailing checksum.
func (g *Graph) end(i int32) int64 {
	if int(i)+1 < len(g.objs) {
		return g.offset(i + 1)
	}
	return g.size - 20
}

func (g *Graph) children(i int32) []int32 { return g.kids[g.kidAt[i]:g.kidAt[i+1]] }

// Cost is the bytes the delta tree under object i inflates to, plus one
// per object for its fixed cost.
func (g *Graph) Cost(i int32) int64 {
	var n int64
	stack := []int32{i}
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = append(stack[:len(stack)-1], g.children(j)...)
		n += g.objs[j].size + 1
	}
	return n
}

// typeOf is the git type of a whole object's raw header type.
func typeOf(t uint8) plumbing.ObjectType {
	switch t {
	case 1:
		return plumbing.CommitObject
	case 2:
		return plumbing.TreeObject
	case 3:
		return plumbing.BlobObject
	case 4:
		return plumbing.TagObject
	}
	return plumbing.InvalidObject
}

// ReadGraph reads the header of every object of the pack f, whose index is
// idx, in one sequential pass over the file, and builds its delta graph.
func ReadGraph(ctx context.Context, idx *Index, f io.ReadSeeker) (*Graph, error) {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	n := len(idx.entries)
	g := &Graph{idx: idx, size: size, objs: make([]entry, n)}
	br := bufio.NewReaderSize(f, 64<<10)
	pos := int64(-1)
	var refs []int32 // REF deltas, resolved once every offset is known
	// The offsets side by side, for the base lookups: a binary search
	// through idx.entries' pointers misses the cache at every step.
	offs := make([]uint64, n)
	for i, e := range idx.entries {
		offs[i] = e.Offset
	}
	refBase := map[int32]plumbing.Hash{}
	for i := range n {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		o := &g.objs[i]
		o.base = -1
		off := g.offset(int32(i))
		end := g.end(int32(i))
		if off < 12 || end <= off || end > g.size-20 {
			o.bad = true
			g.Bad = append(g.Bad, Bad{int32(i), errors.New("entry outside the pack")})
			continue
		}
		if pos < 0 || off < pos || off-pos > 1<<20 {
			if _, err := f.Seek(off, io.SeekStart); err != nil {
				return nil, err
			}
			br.Reset(f)
		} else if _, err := br.Discard(int(off - pos)); err != nil {
			pos = -1
			o.bad = true
			g.Bad = append(g.Bad, Bad{int32(i), fmt.Errorf("reading header: %w", err)})
			continue
		}
		pos = off
		h, err := readHeader(br, off, end)
		pos += int64(h.n)
		if err != nil {
			pos = -1
			o.bad = true
			g.Bad = append(g.Bad, Bad{int32(i), fmt.Errorf("reading header: %w", err)})
			continue
		}
		o.size, o.typ, o.hdr = h.size, h.typ, uint8(h.n)
		switch h.typ {
		case 1, 2, 3, 4:
			g.roots = append(g.roots, int32(i))
		case rawOFSDelta:
			b, ok := slices.BinarySearch(offs[:i], uint64(h.baseOff))
			if !ok {
				o.bad = true
				g.Bad = append(g.Bad, Bad{int32(i), errors.New("delta base is not an object of the pack")})
				continue
			}
			o.base = int32(b)
		case rawREFDelta:
			refs = append(refs, int32(i))
			refBase[int32(i)] = h.baseRef
		default:
			o.bad = true
			g.Bad = append(g.Bad, Bad{int32(i), fmt.Errorf("unknown object type %d", h.typ)})
		}
	}
	for _, i := range refs {
		o := &g.objs[i]
		off, err := idx.idx.FindOffset(refBase[i])
		b, ok := 0, false
		if err == nil {
			b, ok = slices.BinarySearch(offs, uint64(off))
		}
		if !ok {
			o.bad = true
			g.Bad = append(g.Bad, Bad{i, fmt.Errorf("delta base %s is not in the pack", refBase[i])})
			continue
		}
		o.base = int32(b)
	}
	// Children lists, in offset order.
	g.kidAt, g.kids = children(n, func(i int) int32 {
		if g.objs[i].bad {
			return -1
		}
		return g.objs[i].base
	})
	// A delta that no whole object leads to (its base is bad, or a cycle
	// of REF deltas in a corrupt pack) cannot be resolved.
	seen := make([]bool, n)
	stack := slices.Clone(g.roots)
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		seen[i] = true
		stack = append(stack, g.children(i)...)
	}
	for i := range g.objs {
		if !seen[i] && !g.objs[i].bad {
			g.Bad = append(g.Bad, Bad{int32(i), errors.New("delta base cannot be read")})
		}
	}
	return g, nil
}

// header is a pack entry header.
type header struct {
	typ     uint8
	size    int64
	baseOff int64         // OFS delta
	baseRef plumbing.Hash // REF delta
	n       int           // bytes read
}

// readHeader parses the pack entry header at off. end, when not negative,
// bounds it: a pack read whole knows where each entry ends, one read as it
// arrives (IndexPackStream) does not, and meets the end of its input.
func readHeader(r io.ByteReader, off, end int64) (header, error) {
	var h header
	next := func() (byte, error) {
		if end >= 0 && off+int64(h.n) >= end {
			return 0, errors.New("header runs past the entry")
		}
		c, err := r.ReadByte()
		if err == io.EOF {
			err = fmt.Errorf("entry cut short: %w", io.ErrUnexpectedEOF)
		}
		if err == nil {
			h.n++
		}
		return c, err
	}
	c, err := next()
	if err != nil {
		return h, err
	}
	h.typ = (c >> 4) & 7
	h.size = int64(c & 15)
	for shift := 4; c&0x80 != 0; shift += 7 {
		if shift > 64-7 {
			return h, errors.New("object size overflows")
		}
		if c, err = next(); err != nil {
			return h, err
		}
		h.size |= int64(c&0x7f) << shift
	}
	if h.size < 0 {
		return h, errors.New("object size overflows")
	}
	switch h.typ {
	case rawOFSDelta:
		if c, err = next(); err != nil {
			return h, err
		}
		d := int64(c & 0x7f)
		for c&0x80 != 0 {
			if d >= 1<<(63-7)-1 {
				return h, errors.New("delta offset overflows")
			}
			if c, err = next(); err != nil {
				return h, err
			}
			d = (d+1)<<7 | int64(c&0x7f)
		}
		if d <= 0 || d > off {
			return h, errors.New("delta base offset outside the pack")
		}
		h.baseOff = off - d
	case rawREFDelta:
		for i := range h.baseRef {
			if h.baseRef[i], err = next(); err != nil {
				return h, err
			}
		}
	}
	return h, nil
}

// Inflater inflates pack entries through one file handle, and keeps
// the buffers its walker releases for reuse. It is meant to live as long
// as its file handle: its zlib state and buffers are warm after the first
// objects.
type Inflater struct {
	f    io.ReaderAt
	br   *bufio.Reader
	raw  []byte       // the compressed bytes of an entry up to rawMax
	rr   bytes.Reader // reads raw
	zr   io.ReadCloser
	pool [][]byte
}

// rawMax is the largest compressed entry read whole, with one read of
// exactly its size, rather than through br, which reads 32 KiB at a time:
// most entries of a pack are deltas of a few hundred bytes.
const rawMax = 256 << 10

// NewInflater returns an inflater reading the pack f.
func NewInflater(f io.ReaderAt) *Inflater {
	return &Inflater{f: f, br: bufio.NewReaderSize(nil, 32<<10)}
}

// Bounds of the buffer pool: how many buffers, and the largest one kept.
const (
	poolBuffers = 16
	poolMax     = 4 << 20
)

// get returns a buffer of n bytes, of unspecified content.
func (in *Inflater) get(n int64) []byte {
	best := -1
	for i, b := range in.pool {
		if int64(cap(b)) >= n && (best < 0 || cap(b) < cap(in.pool[best])) {
			best = i
		}
	}
	if best < 0 {
		return make([]byte, n)
	}
	b := in.pool[best]
	in.pool[best] = in.pool[len(in.pool)-1]
	in.pool = in.pool[:len(in.pool)-1]
	return b[:n]
}

// put gives back a buffer nothing refers to any more.
func (in *Inflater) put(b []byte) {
	if b == nil || cap(b) > poolMax {
		return
	}
	if len(in.pool) < poolBuffers {
		in.pool = append(in.pool, b)
		return
	}
	// Keep the larger buffers.
	for i, o := range in.pool {
		if cap(o) < cap(b) {
			in.pool[i] = b
			return
		}
	}
}

// stream returns the inflated content of object i, which must be read to
// its end (io.EOF) before the next call.
func (in *Inflater) stream(g *Graph, i int32) (io.Reader, error) {
	o := &g.objs[i]
	start := g.offset(i) + int64(o.hdr)
	var src io.Reader = in.br
	if n := g.end(i) - start; n <= rawMax {
		if int64(cap(in.raw)) < n {
			in.raw = make([]byte, n)
		}
		// A short read (a truncated pack) leaves zlib the bytes there
		// are, so that it fails as it would reading them through br.
		got, err := in.f.ReadAt(in.raw[:n], start)
		if err != nil && err != io.EOF {
			return nil, err
		}
		in.rr.Reset(in.raw[:got])
		src = &in.rr
	} else {
		in.br.Reset(io.NewSectionReader(in.f, start, n))
	}
	if in.zr == nil {
		zr, err := zlib.NewReader(src)
		if err != nil {
			return nil, err
		}
		in.zr = zr
	} else if err := in.zr.(zlib.Resetter).Reset(src, nil); err != nil {
		return nil, err
	}
	return &gitrepo.Sized{R: in.zr, Size: o.size}, nil
}

// inflate returns the whole inflated content of object i.
func (in *Inflater) inflate(g *Graph, i int32) ([]byte, error) {
	r, err := in.stream(g, i)
	if err != nil {
		return nil, err
	}
	size := g.objs[i].size
	if size > (g.end(i)-g.offset(i))*1032+64 {
		// Beyond what zlib can inflate the entry to: a lying header.
		return nil, fmt.Errorf("object size %d impossible for its entry", size)
	}
	if size > MaxObject {
		return nil, &SizeError{Size: size}
	}
	buf := in.get(size)
	if _, err := io.ReadFull(r, buf); err != nil {
		in.put(buf)
		return nil, err
	}
	var one [1]byte
	if _, err := r.Read(one[:]); err != io.EOF {
		in.put(buf)
		if err == nil {
			err = errors.New("more data than its header says")
		}
		return nil, err
	}
	return buf, nil
}

// Patch applies a git delta to its base, into a buffer from in's
// pool, which in may hand out again once it is given back (see Walker).
// Unlike packfile.PatchDelta it sizes its output once and takes an empty
// base, which is odd but valid. A size the delta's header claims beyond
// patchTrust is believed only once its commands are found to make exactly
// that many bytes, and up to MaxObject: a few kilobytes of delta can
// claim, or even make, a terabyte.
func Patch(in *Inflater, base, delta []byte) ([]byte, error) {
	src, delta, ok := deltaSize(delta)
	if !ok || src != uint64(len(base)) {
		return nil, packfile.ErrInvalidDelta
	}
	size, delta, ok := deltaSize(delta)
	if !ok {
		return nil, packfile.ErrInvalidDelta
	}
	if size > patchTrust {
		// Counted before the buffer is made: see patchTrust.
		made, err := deltaResult(uint64(len(base)), delta, size)
		if err != nil {
			return nil, err
		}
		if made != size {
			return nil, packfile.ErrInvalidDelta
		}
	}
	if size > MaxObject {
		return nil, &SizeError{Size: int64(size)}
	}
	out := in.get(int64(size))
	n, err := applyDelta(out, base, delta)
	if err != nil || n != len(out) {
		in.put(out)
		return nil, packfile.ErrInvalidDelta
	}
	return out, nil
}

// patchTrust is the largest result size Patch believes before counting
// what the delta's commands make: a buffer of up to this size is made
// for a lying delta, and applyDelta finds the lie with the same checks as
// deltaResult. Almost every delta is below it and so read once, not twice.
const patchTrust = 1 << 20

// deltaSize reads a size at the start of a delta. Like git, it takes
// a size cut short by the end of the delta, and an empty delta as size 0.
func deltaSize(d []byte) (uint64, []byte, bool) {
	var v uint64
	for i := range d {
		if i*7 > 64-7 {
			return 0, nil, false
		}
		v |= uint64(d[i]&0x7f) << (7 * i)
		if d[i]&0x80 == 0 || i == len(d)-1 {
			return v, d[i+1:], true
		}
	}
	return 0, d, true
}

// deltaResult returns how many bytes the commands of a delta (past its
// two sizes) make from a base of baseLen bytes, without making them; it
// stops with an error as soon as they make more than want, or a command
// is malformed, so a lying header costs one pass over the delta.
func deltaResult(baseLen uint64, delta []byte, want uint64) (uint64, error) {
	var n uint64
	for i := 0; i < len(delta); {
		cmd := delta[i]
		i++
		switch {
		case cmd&0x80 != 0:
			off, size, next, ok := copyCommand(cmd, delta, i)
			if !ok {
				return n, packfile.ErrInvalidDelta
			}
			i = next
			if off+size > baseLen {
				return n, packfile.ErrInvalidDelta
			}
			n += size
		case cmd != 0:
			if i+int(cmd) > len(delta) {
				return n, packfile.ErrInvalidDelta
			}
			n += uint64(cmd)
			i += int(cmd)
		default:
			return n, packfile.ErrInvalidDelta
		}
		if n > want {
			return n, packfile.ErrInvalidDelta
		}
	}
	return n, nil
}

// children builds the lists of the children of n entries, each entry's
// base given by baseOf (-1 for none): those of entry b are
// kids[at[b]:at[b+1]], in entry order. Counted first, then filled, so
// that two slices hold them all.
func children(n int, baseOf func(int) int32) (at, kids []int32) {
	at = make([]int32, n+1)
	for i := range n {
		if b := baseOf(i); b >= 0 {
			at[b+1]++
		}
	}
	for i := range n {
		at[i+1] += at[i]
	}
	kids = make([]int32, at[n])
	fill := slices.Clone(at[:n])
	for i := range n {
		if b := baseOf(i); b >= 0 {
			kids[fill[b]] = int32(i)
			fill[b]++
		}
	}
	return at, kids
}

// copyCommand reads the offset and size of the copy command cmd, whose
// operand bytes start at delta[i], and returns them with the index past
// them; ok is false when the delta ends first. A size of 0 means 0x10000,
// as git writes it.
func copyCommand(cmd byte, delta []byte, i int) (off, size uint64, next int, ok bool) {
	for b := range 4 {
		if cmd&(1<<b) != 0 {
			if i >= len(delta) {
				return 0, 0, i, false
			}
			off |= uint64(delta[i]) << (8 * b)
			i++
		}
	}
	for b := range 3 {
		if cmd&(0x10<<b) != 0 {
			if i >= len(delta) {
				return 0, 0, i, false
			}
			size |= uint64(delta[i]) << (8 * b)
			i++
		}
	}
	if size == 0 {
		size = 0x10000
	}
	return off, size, i, true
}

// applyDelta runs the commands of a delta (past its two sizes) into
// out, and returns how many bytes they wrote.
func applyDelta(out, base, delta []byte) (int, error) {
	n := 0
	for i := 0; i < len(delta); {
		cmd := delta[i]
		i++
		switch {
		case cmd&0x80 != 0:
			off, size, next, ok := copyCommand(cmd, delta, i)
			if !ok {
				return n, packfile.ErrInvalidDelta
			}
			i = next
			if off+size > uint64(len(base)) || uint64(n)+size > uint64(len(out)) {
				return n, packfile.ErrInvalidDelta
			}
			n += copy(out[n:], base[off:off+size])
		case cmd != 0:
			size := int(cmd)
			if i+size > len(delta) || n+size > len(out) {
				return n, packfile.ErrInvalidDelta
			}
			n += copy(out[n:], delta[i:i+size])
			i += size
		default:
			return n, packfile.ErrInvalidDelta
		}
	}
	return n, nil
}

// Walker resolves delta trees of one pack: each whole object of a
// wanted type and, depth first, the deltas built on it, each inflated once.
// Memory is the chain of bases from the root to the object at hand, minus
// every base whose last child is being resolved.
type Walker struct {
	Graph *Graph
	In    *Inflater
	// Want says which types of whole objects, with the deltas built on
	// them, to resolve.
	Want func(plumbing.ObjectType) bool
	// Visit is called with each object's content and, for a delta, its
	// base's content (nil for a whole object), neither of which it may
	// keep or change; an error from it ends the walk.
	Visit func(i int32, typ plumbing.ObjectType, data, base []byte) error
	// Stream, if set, is called instead of Visit for an object larger
	// than Large on which no delta is built, with its content as a
	// stream, which must be read to its end.
	Stream func(i int32, typ plumbing.ObjectType, r io.Reader) error
	Large  int64
	// Bad reports an object that cannot be read; an error from it ends
	// the walk.
	Bad func(i int32, err error) error
}

// Walk resolves the delta tree under the whole object root.
func (w *Walker) Walk(ctx context.Context, root int32) error {
	g := w.Graph
	typ := typeOf(g.objs[root].typ)
	if !w.Want(typ) {
		return nil
	}
	if w.Stream != nil && len(g.children(root)) == 0 && g.objs[root].size > w.Large {
		r, err := w.In.stream(g, root)
		if err != nil {
			return w.Bad(root, err)
		}
		return w.Stream(root, typ, r)
	}
	data, err := w.In.inflate(g, root)
	if err != nil {
		return w.Bad(root, w.lost(root, err))
	}
	return w.down(ctx, root, typ, data, nil)
}

// down visits object i, whose delta base holds base, and resolves the
// deltas built on it. The last child is resolved in the loop rather than
// by recursion, so that a long chain holds three objects (the base, the
// object, its delta), not the whole chain.
func (w *Walker) down(ctx context.Context, i int32, typ plumbing.ObjectType, data, base []byte) error {
	var owned []byte // a base this call took over, returned after its visit
	for {
		err := w.Visit(i, typ, data, base)
		if owned != nil {
			w.In.put(owned)
			owned = nil
		}
		if err != nil {
			return err
		}
		kids := w.Graph.children(i)
		if len(kids) == 0 {
			w.In.put(data)
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		next, nextData := int32(-1), []byte(nil)
		for k, c := range kids {
			out, err := w.patch(c, data)
			if err != nil {
				if err := w.Bad(c, w.lost(c, err)); err != nil {
					return err
				}
				continue
			}
			if k == len(kids)-1 {
				next, nextData = c, out
				break
			}
			if err := w.down(ctx, c, typ, out, data); err != nil {
				return err
			}
		}
		if next < 0 {
			w.In.put(data)
			return nil
		}
		i, data, base, owned = next, nextData, data, data
	}
}

// patch inflates delta c and applies it to its base's content.
func (w *Walker) patch(c int32, base []byte) ([]byte, error) {
	delta, err := w.In.inflate(w.Graph, c)
	if err != nil {
		return nil, err
	}
	defer w.In.put(delta)
	return Patch(w.In, base, delta)
}

// lost adds to err how many deltas built on object i are lost with it.
func (w *Walker) lost(i int32, err error) error {
	n := -1
	stack := []int32{i}
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = append(stack[:len(stack)-1], w.Graph.children(j)...)
		n++
	}
	if n > 0 {
		return fmt.Errorf("%w (and %d deltas built on it)", err, n)
	}
	return err
}
