// Package linediff is the line diff a staged scan uses to keep only the
// findings on lines a commit adds: [ReadLines] reduces a text to one hash
// per line, [Match] pairs the lines of two texts.
//
// Lines are compared by a 64-bit hash (hash/maphash, seeded
// per process, so no input can be built to collide on purpose), which keeps
// memory at a few bytes per line however long the lines are. Lines are split
// exactly as scanner.Scan numbers them, so that a finding's line number
// indexes the same line here: "\n", "\r\n" and a lone "\r" each end a line.
// A line's terminator is not part of it: converting a file's line endings
// adds no token, so it does not make every old token new.
package linediff

import (
	"bufio"
	"bytes"
	"errors"
	"hash/maphash"
	"io"
)

// Text is a text reduced to what the diff needs.
type Text struct {
	Hash []uint64 // one per line
	Size []int    // bytes of each line, terminator included
}

var seed = maphash.MakeSeed()

// end ends a line of *size bytes whose content h has hashed, and readies
// both for the next line.
func (t *Text) end(h *maphash.Hash, size *int) {
	t.Hash = append(t.Hash, h.Sum64())
	t.Size = append(t.Size, *size)
	h.Reset()
	*size = 0
}

// ReadLines splits r into lines and hashes each. A text always has at
// least one line (possibly empty): the line after the last break. A text
// that UTF16Text calls UTF-16 is split in UTF-16 units, as scanner.Scan
// numbers the lines of a token in it (see unitLines), so that a character
// whose UTF-16 form holds a byte 0x0A or 0x0D ends no line here either.
func ReadLines(r io.Reader) (Text, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(headSize) // a short text peeks short; the error comes again below
	if text, big := UTF16Text(head); text {
		return unitLines(br, big)
	}
	var (
		t      Text
		h      maphash.Hash
		size   int
		lastCR bool // the previous byte was a "\r": a "\n" now completes it
	)
	h.SetSeed(seed)
	end := func() { t.end(&h, &size) }
	for {
		chunk, err := br.ReadSlice('\n')
		for len(chunk) > 0 {
			if lastCR && chunk[0] == '\n' {
				// The "\n" of a "\r\n" whose "\r" ended the last line.
				t.Size[len(t.Size)-1]++
				chunk = chunk[1:]
				lastCR = false
				continue
			}
			lastCR = false
			i := indexTerm(chunk)
			if i < 0 {
				h.Write(chunk)
				size += len(chunk)
				break
			}
			h.Write(chunk[:i])
			size += i + 1
			end()
			lastCR = chunk[i] == '\r'
			chunk = chunk[i+1:]
		}
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) {
				end()
				return t, nil
			}
			return t, err
		}
	}
}

// headSize is how much of a text UTF16Text looks at: the first
// rules.MaxSpan bytes, all in the scanner's first window whatever its size.
const headSize = 1024

// UTF16Text reports whether head, the start of an item, looks like UTF-16
// text, and whether big-endian. It is the one test of the scanner (which
// numbers lines of UTF-16 tokens in units) and of the staged diff, so that
// both split a text into the same lines.
//
// An item is UTF-16 text when it starts with a byte order mark, or when,
// in head, one byte in four or more is NUL at one parity and fewer than
// one in eight at the other: ASCII-heavy UTF-16 does this, text and binary
// data (random or NUL-filled) do not. Its byte order is its mark's, or
// without one, big-endian when the NULs are at even offsets (ASCII's high
// byte first). Read as little-endian units at odd offsets instead, such
// text would break a line at every character (č, 《) whose low byte is 0x0D
// or 0x0A and whose next character is ASCII.
func UTF16Text(head []byte) (text, bigEndian bool) {
	if len(head) >= 2 && (head[0] == 0xff && head[1] == 0xfe || head[0] == 0xfe && head[1] == 0xff) {
		return true, head[0] == 0xfe
	}
	if bytes.IndexByte(head, 0) < 0 {
		// Nearly every text: no NUL, so no parity to weigh. The
		// vectorised search keeps this test, run on every item the
		// scanner reads, from costing a loop over its first kilobyte.
		return false, false
	}
	var nul [2]int
	for i, c := range head {
		if c == 0 {
			nul[i&1]++
		}
	}
	n := len(head) / 2
	switch {
	case n >= 8 && 4*nul[1] >= n && 8*nul[0] < n:
		return true, false
	case n >= 8 && 4*nul[0] >= n && 8*nul[1] < n:
		return true, true
	}
	return false, false
}

// unitLines is ReadLines for UTF-16 text: a line break is the unit U+000A,
// U+000D followed by U+000A, or a lone U+000D, read big-endian or
// little-endian. A line's size counts bytes, terminator included.
func unitLines(br *bufio.Reader, bigEndian bool) (Text, error) {
	var (
		t      Text
		h      maphash.Hash
		size   int
		lastCR bool
		pair   [2]byte
	)
	h.SetSeed(seed)
	end := func() { t.end(&h, &size) }
	for {
		n, err := io.ReadFull(br, pair[:])
		if n < 2 {
			h.Write(pair[:n])
			size += n
			if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				end()
				return t, nil
			}
			return t, err
		}
		u := rune(pair[1])<<8 | rune(pair[0])
		if bigEndian {
			u = rune(pair[0])<<8 | rune(pair[1])
		}
		switch {
		case lastCR && u == '\n':
			t.Size[len(t.Size)-1] += 2
			lastCR = false
		case u == '\n' || u == '\r':
			size += 2
			end()
			lastCR = u == '\r'
		default:
			lastCR = false
			h.Write(pair[:])
			size += 2
		}
	}
}

// indexTerm returns the index of the first "\r" or "\n" in b, or -1.
func indexTerm(b []byte) int {
	for i, c := range b {
		if c == '\n' || c == '\r' {
			return i
		}
	}
	return -1
}

// DefaultWork bounds the work of one exact diff, in steps of the
// Myers search (each a few nanoseconds): about a second at worst.
const DefaultWork = 200 << 20

// Match returns, for each line of b, the index of the line of a it is
// matched to, or -1 when the line is added. The matches form a common
// subsequence of a and b: increasing in both, between equal lines. It is a
// longest one (Myers' O(ND) algorithm, in linear space) unless that would
// cost more than work steps; then the texts are cut at lines that occur once
// in each (as patience diff does) and each piece is diffed on its own, and a
// piece with no such line has no matches. So the answer errs only towards
// reporting a line as added, never towards hiding one.
func Match(a, b []uint64, work int) []int {
	m := make([]int, len(b))
	for i := range m {
		m[i] = -1
	}
	d := &differ{a: a, b: b, match: m, work: work}
	d.compare(0, len(a), 0, len(b), true)
	return m
}

type differ struct {
	a, b   []uint64
	match  []int
	work   int
	vf, vb []int32 // furthest x on each diagonal, forward and backward; index k+off
	off    int
}

// compare matches a[alo:ahi] against b[blo:bhi]. checkBudget says whether
// the budget check still applies: once a piece's edit distance is known to be
// affordable, its halves are too.
func (d *differ) compare(alo, ahi, blo, bhi int, checkBudget bool) {
	for alo < ahi && blo < bhi && d.a[alo] == d.b[blo] {
		d.match[blo] = alo
		alo++
		blo++
	}
	for alo < ahi && blo < bhi && d.a[ahi-1] == d.b[bhi-1] {
		ahi--
		bhi--
		d.match[bhi] = ahi
	}
	if alo == ahi || blo == bhi {
		return
	}
	maxD := -1
	if checkBudget {
		maxD = d.work / (ahi - alo + bhi - blo)
	}
	x, y, ok := d.split(alo, ahi, blo, bhi, maxD)
	if !ok {
		d.anchor(alo, ahi, blo, bhi)
		return
	}
	d.compare(alo, x, blo, y, false)
	d.compare(x, ahi, y, bhi, false)
}

// split finds a point (x, y) on a shortest edit path from (alo, blo) to
// (ahi, bhi) such that both halves are strictly smaller problems (Myers
// 1986, section 4b: the middle snake). The ends must differ, so the edit
// distance is at least 2. It gives up when half the edit distance exceeds
// maxD (unless maxD < 0).
func (d *differ) split(alo, ahi, blo, bhi, maxD int) (int, int, bool) {
	a, b := d.a[alo:ahi], d.b[blo:bhi]
	n, m := len(a), len(b)
	if d.vf == nil {
		// The first piece split is the largest; every later one fits.
		// Diagonals reach |delta| + D + 1 <= 2(n+m) + 1.
		d.off = 2*(n+m) + 2
		d.vf = make([]int32, 2*d.off+1)
		d.vb = make([]int32, 2*d.off+1)
	}
	delta := n - m
	odd := delta&1 != 0
	vf, vb, off := d.vf, d.vb, d.off
	vf[off+1] = 0
	vb[off+delta-1] = int32(n)
	for D := 0; D <= (n+m+1)/2; D++ {
		if maxD >= 0 && D > maxD {
			return 0, 0, false
		}
		// Forward: furthest-reaching D-paths from (0, 0).
		for k := -D; k <= D; k += 2 {
			var x int
			if k == -D || k != D && vf[off+k-1] < vf[off+k+1] {
				x = int(vf[off+k+1]) // down: an insertion from b
			} else {
				x = int(vf[off+k-1]) + 1 // right: a deletion from a
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			vf[off+k] = int32(x)
			if odd && k >= delta-(D-1) && k <= delta+(D-1) && x >= int(vb[off+k]) {
				return alo + x, blo + x - k, true
			}
		}
		// Backward: furthest-reaching D-paths from (n, m), on diagonals
		// centred on delta.
		for k := delta - D; k <= delta+D; k += 2 {
			var x int
			if k == delta+D || k != delta-D && vb[off+k-1] < vb[off+k+1]-1 {
				x = int(vb[off+k-1]) // up
			} else {
				x = int(vb[off+k+1]) - 1 // left
			}
			y := x - k
			for x > 0 && y > 0 && a[x-1] == b[y-1] {
				x--
				y--
			}
			vb[off+k] = int32(x)
			if !odd && k >= -D && k <= D && x <= int(vf[off+k]) {
				return alo + x, blo + x - k, true
			}
		}
	}
	// Unreachable: the paths meet by D = ceil((n+m)/2).
	return 0, 0, false
}

// anchor splits a piece too costly to diff exactly at the lines that occur
// exactly once in each side, keeping the longest increasing run of them, and
// diffs the gaps between these anchors. A piece without anchors is left
// unmatched.
func (d *differ) anchor(alo, ahi, blo, bhi int) {
	type seen struct{ na, nb, ia, ib int }
	count := make(map[uint64]*seen)
	for i := alo; i < ahi; i++ {
		s := count[d.a[i]]
		if s == nil {
			s = &seen{}
			count[d.a[i]] = s
		}
		s.na++
		s.ia = i
	}
	var pairs [][2]int // (index in a, index in b), in b order
	for j := blo; j < bhi; j++ {
		if s := count[d.b[j]]; s != nil {
			s.nb++
			s.ib = j
		}
	}
	for j := blo; j < bhi; j++ {
		if s := count[d.b[j]]; s != nil && s.na == 1 && s.nb == 1 {
			pairs = append(pairs, [2]int{s.ia, j})
		}
	}
	run := longestRun(pairs)
	if len(run) == 0 {
		return
	}
	pa, pb := alo, blo
	for _, p := range run {
		d.compare(pa, p[0], pb, p[1], true)
		d.match[p[1]] = p[0]
		pa, pb = p[0]+1, p[1]+1
	}
	d.compare(pa, ahi, pb, bhi, true)
}

// longestRun returns the longest subsequence of pairs (already increasing
// in their second element) whose first elements increase too.
func longestRun(pairs [][2]int) [][2]int {
	if len(pairs) == 0 {
		return nil
	}
	tails := []int{}                // tails[l]: index in pairs of the smallest end of a run of length l+1
	prev := make([]int, len(pairs)) // predecessor in the best run ending here
	for i, p := range pairs {
		lo, hi := 0, len(tails)
		for lo < hi {
			mid := (lo + hi) / 2
			if pairs[tails[mid]][0] < p[0] {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		prev[i] = -1
		if lo > 0 {
			prev[i] = tails[lo-1]
		}
		if lo == len(tails) {
			tails = append(tails, i)
		} else {
			tails[lo] = i
		}
	}
	run := make([][2]int, len(tails))
	for i, k := len(tails)-1, tails[len(tails)-1]; i >= 0; i, k = i-1, prev[k] {
		run[i] = pairs[k]
	}
	return run
}
