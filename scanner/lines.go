package scanner

import (
	"bytes"
	"unicode/utf8"
)

// lineState carries what a window needs to know about the windows before
// it: how many line breaks they held, how many characters of the line still
// open at their end, and whether that open line holds the allow marker.
//
// A line break is "\n", "\r\n" or a lone "\r", so files with Windows and
// old Mac line endings are numbered as an editor numbers them.
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
}

// position returns the 1-based line and column of region[s].
func (l *lineState) position(region []byte, s int) (line, col int) {
	before := region[:s]
	line = l.breaks + countBreaks(before, false) + 1
	if lt := lastTerm(before); lt >= 0 {
		return line, utf8.RuneCount(before[lt+1:]) + 1
	}
	return line, l.col + utf8.RuneCount(before) + 1
}

// advance moves the state past buf[:end]; buf[end:] is the start of the next
// window.
func (l *lineState) advance(buf []byte, end int) {
	region := buf[:end]
	// A "\r" that ends the region and whose "\n" starts the next window is
	// counted there, once, as the "\n".
	crlfSplit := end > 0 && end < len(buf) && (region[end-1] == '\r' && (buf[end] == '\n' ||
		buf[end] == 0 && end+1 < len(buf) && buf[end+1] == '\n') ||
		end > 1 && region[end-2] == '\r' && region[end-1] == 0 && buf[end] == '\n')
	l.breaks += countBreaks(region, crlfSplit)
	lt := lastTerm(region)
	open := region
	if lt >= 0 {
		open = region[lt+1:]
		l.col = 0
		l.allowOpen = false
	}
	l.col += utf8.RuneCount(open)
	// A marker that starts in the open line, possibly running into the
	// overlap, belongs to that line.
	from := len(region) - len(open)
	to := min(end+len(AllowMarker)-1, len(buf))
	if bytes.Contains(buf[from:to], []byte(AllowMarker)) {
		l.allowOpen = true
	}
}

// countBreaks counts line breaks in b. A "\r\x00\n" is one break: it is
// the "\r\n" of UTF-16 text, little- or big-endian. dropLastCR says that
// the last "\r" of b is the first half of a "\r\n" or "\r\x00\n" split
// off at the end of b.
func countBreaks(b []byte, dropLastCR bool) int {
	n := bytes.Count(b, []byte{'\n'})
	if bytes.IndexByte(b, '\r') >= 0 {
		n += bytes.Count(b, []byte{'\r'}) - bytes.Count(b, []byte("\r\n")) - bytes.Count(b, []byte("\r\x00\n"))
		if dropLastCR {
			n--
		}
	}
	return n
}

// lastTerm returns the index of the last '\n' or '\r' in b, or -1.
func lastTerm(b []byte) int {
	// A '\r' can only be later than the last '\n' in what follows it:
	// search only there, not the whole of b (which, for files with '\n'
	// endings, is every byte before each match).
	n := bytes.LastIndexByte(b, '\n')
	if r := bytes.LastIndexByte(b[n+1:], '\r'); r >= 0 {
		return n + 1 + r
	}
	return n
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
