package scanner

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf8"
)

// lineState carries what a window needs to know about the windows before
// it: how many line breaks they held, how many characters of the line still
// open at their end, and whether that open line holds the allow marker.
//
// A line break is "\n", "\r\n" or a lone "\r", so files with Windows and
// old Mac line endings are numbered as an editor numbers them.
//
// Carrying it past a window costs a few vectorised searches and, for the
// part of the window after its last line break, a character count that
// takes eight ASCII bytes at a time: a window of a line that never ends (a
// NUL-filled image, a minified bundle) costs about as much as reading it.
type lineState struct {
	breaks    int
	col       int
	allowOpen bool
	// noAllow is Options.NoAllow; allowed counts the tokens the marker
	// kept out.
	noAllow bool
	allowed int
	// bom is set when the item starts with a UTF-16 byte order mark,
	// which an editor does not show as a column.
	bom bool
	// utf16 is set when the item is UTF-16 text, big-endian when be
	// (utf16lines.go). Then breaks16 counts the line breaks before the
	// window among the units at even (0) and odd (1) offsets of the item,
	// and lineStart16 is where, in the item, the line open at the
	// window's start began.
	utf16, be   bool
	breaks16    [2]int
	lineStart16 [2]int64
	// log, when set, holds the windows not yet counted (see lineLog),
	// and err why they could not be.
	log *lineLog
	err error
}

// advance moves the state past buf[:end], which starts at offset base of
// the item; buf[end:] is the start of the next window.
func (l *lineState) advance(buf []byte, base int64, end int) {
	if l.utf16 {
		utf16Breaks(buf, 0, end, l.be, func(u int) {
			q := (base + int64(u)) & 1
			l.breaks16[q]++
			l.lineStart16[q] = base + int64(u) + 2
		})
	}
	region := buf[:end]
	// A "\r" that ends the region and whose "\n" starts the next window is
	// counted there, once, as the "\n".
	crlfSplit := end > 0 && end < len(buf) && (region[end-1] == '\r' && (buf[end] == '\n' ||
		buf[end] == 0 && end+1 < len(buf) && buf[end+1] == '\n') ||
		end > 1 && region[end-2] == '\r' && region[end-1] == 0 && buf[end] == '\n')
	n := countBreaks(region, crlfSplit)
	open := region
	if n > 0 || crlfSplit {
		open = region[lastTerm(region)+1:]
		l.breaks += n
		l.col = 0
		l.allowOpen = false
	}
	l.col += runeCount(open)
	// A marker that starts in the open line, possibly running into the
	// overlap, belongs to that line.
	if !l.allowOpen {
		from := len(region) - len(open)
		to := min(end+len(AllowMarker)-1, len(buf))
		l.allowOpen = bytes.Contains(buf[from:to], []byte(AllowMarker))
	}
}

// cursor places the matches of one window, which come in order of their
// start, in one forward pass: each match costs the bytes from the match
// before it, not from the window's start, so a window that holds many
// tokens on one line costs the same as one that holds them on many.
type cursor struct {
	buf   []byte
	lines *lineState
	pos   int // the bytes before pos are counted
	// breaks and newlines count the line breaks and the '\n' bytes in
	// buf[:pos] (the environment search numbers lines by '\n' alone).
	breaks, newlines int
	// lineStart is where the line holding pos starts in buf, 0 when it
	// began in an earlier window; col counts its characters before pos,
	// those of earlier windows included.
	lineStart, col int
	// nextTerm caches the first line end at or after the from of the
	// last lineEnd call: -1 when buf has none there, -2 before the first
	// call.
	nextTerm int
}

func newCursor(buf []byte, lines *lineState) cursor {
	return cursor{buf: buf, lines: lines, col: lines.col, nextTerm: -2}
}

// moveTo counts the bytes from the cursor up to s, which is not before it.
func (c *cursor) moveTo(s int) {
	if s <= c.pos {
		return
	}
	seg := c.buf[c.pos:s]
	nl := bytes.Count(seg, []byte{'\n'})
	n := nl
	if bytes.IndexByte(seg, '\r') >= 0 {
		n = countBreaks(seg, false)
	}
	// A "\r\n" (or UTF-16's "\r\x00\n") cut by pos was counted twice:
	// once as the "\r" before pos, once as the "\n" after.
	if p := c.pos; p > 0 && (c.buf[p-1] == '\r' && (c.buf[p] == '\n' || c.buf[p] == 0 && p+1 < s && c.buf[p+1] == '\n') ||
		p > 1 && c.buf[p-2] == '\r' && c.buf[p-1] == 0 && c.buf[p] == '\n') {
		n--
	}
	if n > 0 || nl > 0 || bytes.IndexByte(seg, '\r') >= 0 {
		lt := c.pos + lastTerm(seg)
		c.lineStart, c.col = lt+1, 0
		seg = c.buf[lt+1 : s]
	}
	c.breaks += n
	c.newlines += nl
	c.col += runeCount(seg)
	c.pos = s
}

// lineEnd returns the first line end at or after from, which is not before
// the from of the call before, or -1 when the window has none.
func (c *cursor) lineEnd(from int) int {
	if c.nextTerm == -2 || c.nextTerm >= 0 && c.nextTerm < from {
		c.nextTerm = indexTermFrom(c.buf, from)
	}
	return c.nextTerm
}

// countBreaks counts line breaks in b. A "\r\x00\n" is one break: it is
// the "\r\n" of UTF-16 text, little- or big-endian. dropLastCR says that
// the last "\r" of b is the first half of a "\r\n" or "\r\x00\n" split
// off at the end of b.
func countBreaks(b []byte, dropLastCR bool) int {
	n := bytes.Count(b, []byte{'\n'})
	if bytes.IndexByte(b, '\r') >= 0 {
		n += loneCRs(b)
		if dropLastCR {
			n--
		}
	}
	return n
}

// loneCRs counts the '\r' in b that no "\n" or "\x00\n" follows in b.
// Where '\r' is rare (binary data: one byte in 256) it goes from one to the
// next with bytes.IndexByte, which is vectorised; where it is frequent
// (Windows line ends) it tests eight bytes at a time, as a call per '\r'
// would cost more.
func loneCRs(b []byte) int {
	crs := bytes.Count(b, []byte{'\r'})
	if crs > len(b)/64 {
		return loneCRWords(b)
	}
	n := 0
	for i := 0; crs > 0; i++ {
		i += bytes.IndexByte(b[i:], '\r')
		crs--
		if !(i+1 < len(b) && (b[i+1] == '\n' || b[i+1] == 0 && i+2 < len(b) && b[i+2] == '\n')) {
			n++
		}
	}
	return n
}

// loneCRWords is loneCRs eight bytes at a time.
func loneCRWords(b []byte) int {
	n, i := 0, 0
	for ; i+10 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		cr := zeroBytes(x ^ crs)
		if cr == 0 {
			continue
		}
		// The bytes one and two places on, in the same lanes as x's.
		y, z := binary.LittleEndian.Uint64(b[i+1:]), binary.LittleEndian.Uint64(b[i+2:])
		pair := zeroBytes(y^lfs) | zeroBytes(y)&zeroBytes(z^lfs)
		n += bits.OnesCount64(cr &^ pair)
	}
	for ; i < len(b); i++ {
		if b[i] == '\r' && !(i+1 < len(b) && (b[i+1] == '\n' || b[i+1] == 0 && i+2 < len(b) && b[i+2] == '\n')) {
			n++
		}
	}
	return n
}

// Word masks for testing eight bytes at a time.
const (
	low7s = 0x7f7f7f7f7f7f7f7f
	highs = 0x8080808080808080
	lfs   = 0x0a0a0a0a0a0a0a0a
	crs   = 0x0d0d0d0d0d0d0d0d
)

// zeroBytes sets the top bit of each byte of x that is zero, and no other
// bit: unlike the usual (x-0x01..)&^x trick it carries nothing from one
// byte to the next, so the highest bit set marks the last zero byte.
func zeroBytes(x uint64) uint64 {
	return ^((x&low7s + low7s) | x) & highs
}

// lastTerm returns the index of the last '\n' or '\r' in b, or -1. It tests
// eight bytes at a time from the end, since bytes.LastIndexByte goes a byte
// at a time and the line before a match may be long.
func lastTerm(b []byte) int {
	i := len(b)
	for ; i >= 8; i -= 8 {
		x := binary.LittleEndian.Uint64(b[i-8:])
		if m := zeroBytes(x^lfs) | zeroBytes(x^crs); m != 0 {
			return i - 1 - bits.LeadingZeros64(m)/8
		}
	}
	for i > 0 {
		i--
		if b[i] == '\n' || b[i] == '\r' {
			return i
		}
	}
	return -1
}

// indexTermFrom returns the index of the first '\n' or '\r' in b at or after
// from, or -1.
func indexTermFrom(b []byte, from int) int {
	if from > len(b) {
		return -1
	}
	rest := b[from:]
	n := bytes.IndexByte(rest, '\n')
	// A '\r' can only come first before the first '\n': search only there.
	before := rest
	if n >= 0 {
		before = rest[:n]
	}
	if r := bytes.IndexByte(before, '\r'); r >= 0 {
		return from + r
	}
	if n < 0 {
		return -1
	}
	return from + n
}

// runeCount is utf8.RuneCount, 64 bytes at a time over ASCII: the same
// count (each invalid byte is one character), at several times its speed
// on ASCII text and NUL bytes. The block is resliced to its own length so
// that its eight loads are not bounds-checked: with the checks, the loop
// ran at a fifth of this speed, and it runs over every window of a line
// that never ends.
func runeCount(b []byte) int {
	n, i := 0, 0
	for i+64 <= len(b) {
		c := b[i : i+64 : i+64]
		if (binary.LittleEndian.Uint64(c[0:])|binary.LittleEndian.Uint64(c[8:])|
			binary.LittleEndian.Uint64(c[16:])|binary.LittleEndian.Uint64(c[24:])|
			binary.LittleEndian.Uint64(c[32:])|binary.LittleEndian.Uint64(c[40:])|
			binary.LittleEndian.Uint64(c[48:])|binary.LittleEndian.Uint64(c[56:]))&highs == 0 {
			i += 64
			n += 64
			continue
		}
		// Decode up to the end of these 64 bytes; a sequence may run a
		// few bytes past it, and the loop goes on from where it ends.
		for stop := i + 64; i < stop; n++ {
			if b[i] < utf8.RuneSelf {
				i++
				continue
			}
			_, size := utf8.DecodeRune(b[i:])
			i += size
		}
	}
	if i < len(b) {
		n += utf8.RuneCount(b[i:])
	}
	return n
}

// safeEnd moves a window's end forward to the start of a UTF-8 sequence, so
// that counting characters on both sides of it gives the same total as
// counting them all at once. It steps at most utf8.UTFMax-1 bytes, which the
// slack in rules.MaxSpan absorbs.
func safeEnd(buf []byte, end int) int {
	for i := 0; i < utf8.UTFMax-1 && end < len(buf) && !utf8.RuneStart(buf[end]); i++ {
		end++
	}
	return end
}

// lineLog defers the line counting of windows that hold no match, for an
// item whose bytes can be read again (a Rereader: a regular file). Counting
// line breaks, lone "\r" and the characters of the open line is most of the
// cost of a large file without findings (in random bytes a "\r" comes every
// 256 bytes, and each costs a search), and a file without findings needs no
// line numbers at all. So each window's state change is logged instead: the
// window's offset, the end of what it owns and how many bytes it held (or
// the characters of a run of NUL bytes passed over). When a window holds a
// match, catchUp reads the logged windows again, the very bytes they held,
// and replays each through advance, exactly as it would have run: the state
// it reaches is the one counting as it went would have reached. A window
// that holds a match is counted as it goes, since its bytes are at hand.
//
// A file that changes between the two reads can get line numbers counted
// over its new bytes; one that shrank is an error of the item (its findings
// are kept).
type lineLog struct {
	r      Rereader
	data   []byte // or, for a mapped item, its bytes, read in place
	events []lineEvent
	buf    []byte // for the windows read again, made at the first catchUp
}

// lineEvent is one deferred change of a lineState: advance over a window of
// n bytes at offset base owning end of them, or, when n is 0, end more
// characters on the open line.
type lineEvent struct {
	base   int64
	end, n int
}

// addCol adds n characters to the open line: now, or after the windows
// still to be counted.
func (l *lineState) addCol(n int) {
	if l.log != nil && len(l.log.events) > 0 {
		l.log.events = append(l.log.events, lineEvent{end: n})
		return
	}
	l.col += n
}

// later moves the state past buf[:end] as advance does: at once when the
// window held a match (counted, so the log is empty) or the item cannot be
// read again, otherwise by logging it for catchUp.
func (l *lineState) later(buf []byte, base int64, end int, counted bool) {
	if l.log == nil || counted {
		l.advance(buf, base, end)
		return
	}
	l.log.events = append(l.log.events, lineEvent{base: base, end: end, n: len(buf)})
}

// catchUp replays the logged windows, reading each again.
func (l *lineState) catchUp() error {
	if l.log == nil || len(l.log.events) == 0 {
		return nil
	}
	lg := l.log
	events := lg.events
	lg.events = nil // advance and addCol below apply at once
	for _, e := range events {
		if e.n == 0 {
			l.col += e.end
			continue
		}
		if lg.data != nil {
			l.advance(lg.data[e.base:e.base+int64(e.n)], e.base, e.end)
			continue
		}
		if cap(lg.buf) < e.n {
			lg.buf = make([]byte, e.n)
		}
		b := lg.buf[:e.n]
		if _, err := lg.r.RereadAt(b, e.base); err != nil {
			return fmt.Errorf("reading again to count lines at offset %d: %w", e.base, err)
		}
		l.advance(b, e.base, e.end)
	}
	return nil
}
