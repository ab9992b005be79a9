package gitpack

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/klauspost/compress/zlib"
	"golang.org/x/sync/errgroup"
)

// PackError is a pack that cannot be indexed: cut short, corrupt, or
// thin (a delta whose base is not in it). Offset is where the pack goes
// wrong, or -1 when no one place does (a bad checksum).
type PackError struct {
	Offset int64
	Err    error
}

func (e *PackError) Error() string {
	if e.Offset < 0 {
		return "bad pack: " + e.Err.Error()
	}
	return fmt.Sprintf("bad pack at offset %d: %v", e.Offset, e.Err)
}

func (e *PackError) Unwrap() error { return e.Err }

// ixObj is what [IndexPack] keeps of one entry of the pack, in pack order.
type ixObj struct {
	off  int64
	size int64 // inflated size: of the object, or of the delta
	base int32 // index of an OFS delta's base; -1 otherwise
	hdr  uint8 // header length: the zlib stream starts at off+hdr
	typ  uint8 // raw header type
}

// packIndexer holds the state of one [IndexPack].
type packIndexer struct {
	f      io.ReaderAt
	size   int64 // of the pack file, trailer included
	objs   []ixObj
	hashes []plumbing.Hash
	crcs   []uint32
	done   []atomic.Bool // the object's hash is known
	// refBase is the base of each REF delta, and refWait the REF deltas
	// waiting on each base, found once the base is resolved.
	refBase map[int32]plumbing.Hash
	refWait map[plumbing.Hash][]int32
	// kids[kidAt[i]:kidAt[i+1]] are the OFS deltas whose base is i.
	kids  []int32
	kidAt []int32
}

// Smallest entry of a pack: a one-byte header, and a zlib stream of an
// empty object (two bytes of header, two of deflate, four of checksum).
const minEntry = 1 + 2 + 2 + 4

// IndexPack reads the pack f, of size bytes, checks every object of it,
// and writes its version 2 index (the .idx git and go-git read) to w. It
// returns the pack's checksum, which names it.
//
// It does what git index-pack does: one sequential pass inflates every
// entry to find where the next starts, and hashes whole objects; then
// GOMAXPROCS workers resolve the delta trees, each delta inflated once
// more and its result hashed, while another goroutine checks the pack's
// checksum and takes the CRC of each entry. Memory is the list of
// entries plus, per worker, the chain of bases from a whole object to the
// delta at hand.
//
// Every flaw is an error, a [*PackError] for a bad pack: an entry that
// does not inflate to its size, a delta that does not apply, a delta
// whose base is not in the pack (a thin pack: fix it with git index-pack
// --fix-thin), a wrong checksum, bytes past the last entry, an object
// twice.
func IndexPack(ctx context.Context, f io.ReaderAt, size int64, w io.Writer) (plumbing.Hash, error) {
	if size < 12+20 {
		return plumbing.ZeroHash, &PackError{0, errors.New("shorter than a pack's header and checksum")}
	}
	return IndexPackStream(ctx, io.NewSectionReader(f, 0, size), f, size, w)
}

// IndexPackStream is [IndexPack] for a pack still arriving, as a fetch
// receives it: the sequential pass reads src, the pack's bytes in order,
// as they come, and the rest reads f, which must hold every byte src has
// yielded once src is at its end. size is the pack's size if known, or
// -1; it bounds the object count the pack's header claims.
func IndexPackStream(ctx context.Context, src io.Reader, f io.ReaderAt, size int64, w io.Writer) (plumbing.Hash, error) {
	x := &packIndexer{f: f, size: size}
	if err := x.scan(ctx, src); err != nil {
		return plumbing.ZeroHash, err
	}
	x.link()
	var sum plumbing.Hash
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		sum, err = x.checksum(gctx)
		return err
	})
	x.resolve(gctx, g)
	if err := g.Wait(); err != nil {
		return plumbing.ZeroHash, err
	}
	for i := range x.objs {
		if !x.done[i].Load() {
			return plumbing.ZeroHash, &PackError{x.objs[i].off, errors.New("delta base not in the pack (a thin pack?)")}
		}
	}
	return sum, x.write(w, sum)
}

// countReader counts the bytes read through it: less what the bufio.Reader
// above it holds, the position in the pack.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// scan is the sequential pass: it reads the pack's header and each
// entry's, inflates each entry to find where it ends (zlib, reading
// through a bufio.Reader, reads no byte past its stream), hashes the
// whole objects, and sets x.size to where the pack ends.
func (x *packIndexer) scan(ctx context.Context, src io.Reader) error {
	cr := &countReader{r: src}
	br := bufio.NewReaderSize(cr, 128<<10)
	pos := func() int64 { return cr.n - int64(br.Buffered()) }
	short := func(err error) error {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("cut short: %w", io.ErrUnexpectedEOF)
		}
		return &PackError{pos(), err}
	}
	var head [12]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return short(err)
	}
	if string(head[:4]) != "PACK" {
		return &PackError{0, errors.New("not a pack")}
	}
	if v := binary.BigEndian.Uint32(head[4:]); v != 2 && v != 3 {
		return &PackError{4, fmt.Errorf("unknown pack version %d", v)}
	}
	n := int64(binary.BigEndian.Uint32(head[8:]))
	if x.size >= 0 && n > (x.size-12-20)/minEntry {
		// Checked before anything is sized by it: a 32-byte pack can
		// claim four billion objects. A pack of unknown size grows its
		// lists as its entries come.
		return &PackError{8, fmt.Errorf("claims %d objects, more than its %d bytes can hold", n, x.size)}
	}
	x.objs = make([]ixObj, 0, min(n, 1<<20))
	x.hashes = make([]plumbing.Hash, 0, min(n, 1<<20))
	x.refBase = map[int32]plumbing.Hash{}
	offs := make([]int64, 0, min(n, 1<<20))
	var zr io.ReadCloser
	h := sha1.New()
	buf := make([]byte, 32<<10)
	var hdr []byte
	for i := range n {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		x.objs = append(x.objs, ixObj{off: pos(), base: -1})
		x.hashes = append(x.hashes, plumbing.ZeroHash)
		o := &x.objs[i]
		offs = append(offs, o.off)
		eh, err := readHeader(br, o.off, -1)
		if err != nil {
			return &PackError{o.off, err}
		}
		o.size, o.typ, o.hdr = eh.size, eh.typ, uint8(eh.n)
		var dst io.Writer = io.Discard
		switch o.typ {
		case 1, 2, 3, 4:
			h.Reset()
			hdr = objectHeader(hdr[:0], o.typ, o.size)
			h.Write(hdr)
			dst = h
		case rawOFSDelta:
			b, ok := slices.BinarySearch(offs[:i], eh.baseOff)
			if !ok {
				return &PackError{o.off, errors.New("delta base is not an entry of the pack")}
			}
			o.base = int32(b)
		case rawREFDelta:
			x.refBase[int32(i)] = eh.baseRef
		default:
			return &PackError{o.off, fmt.Errorf("unknown object type %d", o.typ)}
		}
		if zr == nil {
			zr, err = zlib.NewReader(br)
		} else {
			err = zr.(zlib.Resetter).Reset(br, nil)
		}
		if err == nil {
			// One byte more than the header says is enough to tell a lie.
			var got int64
			got, err = io.CopyBuffer(dst, io.LimitReader(zr, o.size+1), buf)
			if err == nil && got == o.size {
				// The stream must end here, its checksum read and checked.
				var one [1]byte
				k, e := io.ReadAtLeast(zr, one[:], 1)
				got += int64(k)
				if e != io.EOF {
					err = e
				}
			}
			if err == nil && got != o.size {
				err = fmt.Errorf("inflates to other than the %d bytes its header says", o.size)
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				err = fmt.Errorf("entry cut short: %w", io.ErrUnexpectedEOF)
			}
			return &PackError{o.off, fmt.Errorf("inflating: %w", err)}
		}
		if dst == h {
			h.Sum(x.hashes[i][:0])
		}
	}
	end := pos()
	var trailer [20]byte
	if _, err := io.ReadFull(br, trailer[:]); err != nil {
		return short(err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		if err != nil {
			return &PackError{pos(), err}
		}
		return &PackError{end, errors.New("bytes past the last entry")}
	}
	x.size = end + 20
	x.done = make([]atomic.Bool, len(x.objs))
	for i := range x.objs {
		if x.objs[i].typ < rawOFSDelta {
			x.done[i].Store(true)
		}
	}
	return nil
}

// objectHeader appends the header git hashes before an object's content.
func objectHeader(b []byte, typ uint8, size int64) []byte {
	b = append(b, plumbing.ObjectType(typ).Bytes()...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, size, 10)
	return append(b, 0)
}

// link builds the lists of OFS deltas by base, and of REF deltas by the
// hash of their base.
func (x *packIndexer) link() {
	x.kidAt, x.kids = children(len(x.objs), func(i int) int32 { return x.objs[i].base })
	x.refWait = make(map[plumbing.Hash][]int32, len(x.refBase))
	for i, h := range x.refBase {
		x.refWait[h] = append(x.refWait[h], i)
	}
	for _, l := range x.refWait {
		slices.Sort(l)
	}
}

// end is where entry i ends: where the next starts, or the checksum.
func (x *packIndexer) end(i int32) int64 {
	if int(i)+1 < len(x.objs) {
		return x.objs[i+1].off
	}
	return x.size - 20
}

// checksum reads the pack once more, in order, to check its trailing
// checksum and take the CRC-32 of each entry, which the index keeps.
func (x *packIndexer) checksum(ctx context.Context) (plumbing.Hash, error) {
	x.crcs = make([]uint32, len(x.objs))
	h := sha1.New()
	r := io.NewSectionReader(x.f, 0, x.size-20)
	buf := make([]byte, 1<<20)
	var pos int64 // of buf[0]
	i := 0
	for pos < x.size-20 {
		if err := ctx.Err(); err != nil {
			return plumbing.ZeroHash, err
		}
		n, err := io.ReadFull(r, buf[:min(int64(len(buf)), x.size-20-pos)])
		if err != nil {
			return plumbing.ZeroHash, err
		}
		h.Write(buf[:n])
		// The entries, or parts of them, in this chunk.
		for i < len(x.objs) {
			start, end := max(x.objs[i].off, pos), min(x.end(int32(i)), pos+int64(n))
			if start < end {
				x.crcs[i] = crc32.Update(x.crcs[i], crc32.IEEETable, buf[start-pos:end-pos])
			}
			if x.end(int32(i)) > pos+int64(n) {
				break
			}
			i++
		}
		pos += int64(n)
	}
	var sum, want plumbing.Hash
	h.Sum(sum[:0])
	if _, err := x.f.ReadAt(want[:], x.size-20); err != nil {
		return plumbing.ZeroHash, err
	}
	if sum != want {
		return plumbing.ZeroHash, &PackError{-1, errors.New("checksum does not match its content")}
	}
	return sum, nil
}

// resolve starts GOMAXPROCS workers in g, which resolve the delta trees
// of the whole objects in pack order, each tree on one worker.
func (x *packIndexer) resolve(ctx context.Context, g *errgroup.Group) {
	var roots []int32
	for i := range x.objs {
		if x.objs[i].typ < rawOFSDelta && (x.kidAt[i+1] > x.kidAt[i] || len(x.refWait[x.hashes[i]]) > 0) {
			roots = append(roots, int32(i))
		}
	}
	var next atomic.Int64
	for range min(runtime.GOMAXPROCS(0), max(len(roots), 1)) {
		g.Go(func() error {
			wk := &ixWorker{x: x, pool: NewInflater(x.f), br: bufio.NewReaderSize(nil, 64<<10), h: sha1.New()}
			for {
				k := next.Add(1) - 1
				if k >= int64(len(roots)) {
					return nil
				}
				root := roots[k]
				data, err := wk.inflate(root)
				if err != nil {
					return &PackError{x.objs[root].off, err}
				}
				if err := wk.down(ctx, root, x.objs[root].typ, data); err != nil {
					return err
				}
			}
		})
	}
}

// ixWorker resolves delta trees.
type ixWorker struct {
	x    *packIndexer
	pool *Inflater // its buffers only
	br   *bufio.Reader
	zr   io.ReadCloser
	h    hash.Hash
	hdr  []byte
	kids []int32
}

// inflate returns the inflated content of entry i, whose size the
// sequential pass has checked.
func (wk *ixWorker) inflate(i int32) ([]byte, error) {
	o := &wk.x.objs[i]
	if o.size > MaxObject {
		return nil, &SizeError{Size: o.size}
	}
	start := o.off + int64(o.hdr)
	wk.br.Reset(io.NewSectionReader(wk.x.f, start, wk.x.end(i)-start))
	if wk.zr == nil {
		zr, err := zlib.NewReader(wk.br)
		if err != nil {
			return nil, err
		}
		wk.zr = zr
	} else if err := wk.zr.(zlib.Resetter).Reset(wk.br, nil); err != nil {
		return nil, err
	}
	buf := wk.pool.get(o.size)
	if _, err := io.ReadFull(wk.zr, buf); err != nil {
		wk.pool.put(buf)
		return nil, err
	}
	return buf, nil
}

// down hashes the deltas built on object i, of type typ, whose content is
// data, and those built on them, depth first. It owns data. The last
// child is resolved in the loop rather than by recursion, so that a long
// chain holds three objects (the base, the object, its delta).
func (wk *ixWorker) down(ctx context.Context, i int32, typ uint8, data []byte) error {
	x := wk.x
	for {
		kids := append(wk.kids[:0], x.kids[x.kidAt[i]:x.kidAt[i+1]]...)
		for _, c := range x.refWait[x.hashes[i]] {
			// Claimed, for an object twice in the pack would find its
			// REF deltas twice (and the index then refuses the pack).
			if x.done[c].CompareAndSwap(false, true) {
				kids = append(kids, c)
			}
		}
		wk.kids = kids
		if len(kids) == 0 {
			wk.pool.put(data)
			return nil
		}
		if err := ctx.Err(); err != nil {
			wk.pool.put(data)
			return err
		}
		// The recursion below reuses wk.kids: keep this level's own.
		if len(kids) > 1 {
			kids = slices.Clone(kids)
		}
		next, nextData := int32(-1), []byte(nil)
		for k, c := range kids {
			out, err := wk.patch(c, data)
			if err != nil {
				wk.pool.put(data)
				return &PackError{x.objs[c].off, err}
			}
			wk.h.Reset()
			wk.hdr = objectHeader(wk.hdr[:0], typ, int64(len(out)))
			wk.h.Write(wk.hdr)
			wk.h.Write(out)
			wk.h.Sum(x.hashes[c][:0])
			x.done[c].Store(true)
			if k == len(kids)-1 {
				next, nextData = c, out
				break
			}
			if err := wk.down(ctx, c, typ, out); err != nil {
				wk.pool.put(data)
				return err
			}
		}
		wk.pool.put(data)
		i, data = next, nextData
	}
}

// patch inflates delta c and applies it to its base's content.
func (wk *ixWorker) patch(c int32, base []byte) ([]byte, error) {
	delta, err := wk.inflate(c)
	if err != nil {
		return nil, err
	}
	defer wk.pool.put(delta)
	return Patch(wk.pool, base, delta)
}

// write writes the version 2 index: the fan-out table, the names in
// order, their CRCs, their offsets (those past 2 GiB in a table of
// 64-bit offsets), the pack's checksum and the index's own.
func (x *packIndexer) write(w io.Writer, sum plumbing.Hash) error {
	order := make([]int32, len(x.objs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return bytes.Compare(x.hashes[a][:], x.hashes[b][:]) })
	for k := 1; k < len(order); k++ {
		if x.hashes[order[k]] == x.hashes[order[k-1]] {
			return &PackError{x.objs[order[k]].off, fmt.Errorf("object %s twice in the pack", x.hashes[order[k]])}
		}
	}
	h := sha1.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 64<<10)
	var b [8]byte
	put32 := func(v uint32) {
		binary.BigEndian.PutUint32(b[:4], v)
		bw.Write(b[:4])
	}
	bw.WriteString("\377tOc")
	put32(2)
	var fan [256]uint32
	for _, i := range order {
		fan[x.hashes[i][0]]++
	}
	var total uint32
	for _, c := range fan {
		total += c
		put32(total)
	}
	for _, i := range order {
		bw.Write(x.hashes[i][:])
	}
	for _, i := range order {
		put32(x.crcs[i])
	}
	var large []int64
	for _, i := range order {
		off := x.objs[i].off
		if off < 1<<31 {
			put32(uint32(off))
			continue
		}
		put32(1<<31 | uint32(len(large)))
		large = append(large, off)
	}
	for _, off := range large {
		binary.BigEndian.PutUint64(b[:], uint64(off))
		bw.Write(b[:])
	}
	bw.Write(sum[:])
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(h.Sum(nil))
	return err
}
