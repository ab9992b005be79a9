package scanner

import (
	"bytes"

	"github.com/dtleaks/dtleaks/internal/linediff"
	"github.com/dtleaks/dtleaks/rules"
)

// This file numbers the lines of UTF-16 text as an editor does. Counted as
// bytes, a character whose UTF-16 form holds a byte 0x0A or 0x0D (č is
// 0D 01 in little-endian, 《 is 0A 30) would end a line, and "Počítač"
// would add two. In an item that is UTF-16 text, the lines of a token found
// in UTF-16 are counted in code units instead: a line break is the unit
// U+000A, U+000D followed by U+000A, or a lone U+000D, and the column
// counts units from the line's start.
//
// An item is UTF-16 text when it starts with a byte order mark, or when,
// in its first rules.MaxSpan bytes (all in its first window, whatever the
// window size), one byte in four or more is NUL at one parity and fewer
// than one in eight at the other: ASCII-heavy UTF-16 does this, text and
// binary data (random or NUL-filled) do not. It is little-endian unless its
// mark says big-endian. A unit starts at an even or an odd offset of the
// item; lines are counted for both, and a token's unit, the one that holds
// its first character, says which to use.

// utf16Text reports whether head, the start of an item, looks like UTF-16
// text, and whether big-endian: linediff.UTF16Text, the test the staged
// diff splits lines by too.
func utf16Text(head []byte) (text, bigEndian bool) { return linediff.UTF16Text(head) }

// utf16Unit returns where the UTF-16 unit holding the character byte at i
// starts: at i in little-endian text, at i-1 in big-endian.
func utf16Unit(i int, bigEndian bool) int {
	if bigEndian {
		return i - 1
	}
	return i
}

// utf16Breaks calls fn with the start u of every unit in buf, from <= u <
// to, that breaks a line: U+000A, or U+000D unless the unit after it is
// U+000A (the break is counted there). Units are read up to the end of
// buf, which may run past to (a window's overlap).
func utf16Breaks(buf []byte, from, to int, bigEndian bool, fn func(u int)) {
	unit := func(u int) rune { // the unit at u, or -1 past buf
		if u < 0 || u+1 >= len(buf) {
			return -1
		}
		if bigEndian {
			return rune(buf[u])<<8 | rune(buf[u+1])
		}
		return rune(buf[u+1])<<8 | rune(buf[u])
	}
	// Every break unit holds a byte '\n' or '\r': the character byte.
	limit := min(len(buf), to+1)
	for i := max(from, 0); ; i++ {
		i = indexTermFrom(buf[:limit], i)
		if i < 0 {
			return
		}
		u := utf16Unit(i, bigEndian)
		if u < from || u >= to {
			continue
		}
		switch unit(u) {
		case '\n':
			fn(u)
		case '\r':
			if unit(u+2) != '\n' {
				fn(u)
			}
		}
	}
}

// utf16Cursor places the UTF-16 matches of one window in one forward pass,
// as cursor does the others: the window's line breaks are listed once, at
// its first UTF-16 match, and each match counts those before it from where
// the match before it stopped.
type utf16Cursor struct {
	buf   []byte
	base  int64
	lines *lineState
	// breaks lists the break units of the window, once found; next is the
	// first not yet counted, and count and start are, for each parity,
	// how many were counted and where the last of them ends (-1: none).
	breaks []int
	listed bool
	next   int
	count  [2]int
	start  [2]int
	// The environments of the window read as UTF-16 text, for units
	// at even (0) and odd (1) offsets of buf: found at the first token
	// of that parity, with the '\n' counted up to the last token placed.
	env [2]*utf16Envs
}

// utf16Envs is what utf16Cursor.environment keeps for one parity.
type utf16Envs struct {
	text        []byte // the units as bytes: ASCII as it is, any other unit 0xFF
	envs        []rules.Environment
	lines       []int
	at, counted int // '\n' in text[:at]
}

// environment returns the base URL of the Dynatrace environment nearest to
// the UTF-16 token whose first character is the byte at s, found in the
// window's text read as UTF-16 (the units of the token's parity), or "".
// The calls come in order of s.
func (c *utf16Cursor) environment(s int) string {
	t := utf16Unit(s, c.lines.be)
	r := t & 1
	e := c.env[r]
	if e == nil {
		e = &utf16Envs{}
		if r < len(c.buf) {
			e.text = rules.UTF16Units(nil, c.buf[r:], c.lines.be)
		}
		e.envs = rules.Environments(e.text)
		e.lines = rules.EnvironmentLines(e.text, e.envs)
		c.env[r] = e
	}
	k := min(max(0, (t-r)/2), len(e.text))
	if utf16InBase64(e.text, k) {
		// A token in base64 inside the UTF-16 text: a URL encoded with
		// it names its environment, as in plain text (scan.go).
		if env, ok := rules.DecodedEnvironment(e.text, rules.Match{Start: k, End: k + 1, Encoding: rules.EncodingBase64}); ok {
			return env
		}
	}
	if len(e.envs) == 0 {
		return ""
	}
	if k > e.at {
		e.counted += bytes.Count(e.text[e.at:k], []byte{'\n'})
		e.at = k
	}
	env, _ := rules.NearestOnLine(e.envs, e.lines, e.counted, k)
	return env
}

// place returns the line and column of the UTF-16 token whose first
// character is the byte at s. The calls come in order of s.
func (c *utf16Cursor) place(s int) (line, col int) {
	if !c.listed {
		c.listed = true
		c.start = [2]int{-1, -1}
		utf16Breaks(c.buf, 0, len(c.buf), c.lines.be, func(u int) { c.breaks = append(c.breaks, u) })
	}
	t := utf16Unit(s, c.lines.be)
	for ; c.next < len(c.breaks) && c.breaks[c.next] < t; c.next++ {
		u := c.breaks[c.next]
		q := (c.base + int64(u)) & 1
		c.count[q]++
		c.start[q] = u + 2
	}
	q := (c.base + int64(t)) & 1
	ls := c.lines.lineStart16[q]
	if c.start[q] >= 0 {
		ls = c.base + int64(c.start[q])
	}
	line = c.lines.breaks16[q] + c.count[q] + 1
	col = int((c.base+int64(t)-ls)/2) + 1
	if c.lines.bom && q == 0 && ls == 0 {
		col-- // the byte order mark is no column
	}
	return line, col
}

// utf16InBase64 reports whether the token whose first character is text[k]
// may be one found in base64: base64 characters start it, more than a
// legacy token has (line breaks and indentation between them, in a block
// wrapped over lines), while a token standing as it is has a dot among
// them. It reads at most rules.MaxLead characters.
func utf16InBase64(text []byte, k int) bool {
	n := 0
	for _, c := range text[k:min(len(text), k+rules.MaxLead)] {
		switch {
		case n == 24:
			return true
		case 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_':
			n++
		case c != '\n' && c != '\r' && c != ' ' && c != '\t':
			return false
		}
	}
	return n == 24
}
