package rules

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"iter"
	"math/bits"
	"slices"
	"sort"
	"sync"
)

// This file finds tokens that stand base64-encoded in the input: Kubernetes
// Secret data values, a .dockerconfigjson (whose "auth" values are base64 of
// user:password and which a Secret holds base64-encoded once more), Helm
// values, env files.
//
// A token starts with "dt0". Encoded, those three bytes become a fixed run of
// base64 characters that depends only on where they fall in a three-byte
// quantum: "ZHQw" at offset 0, "R0M" at offset 1 and "kdD" at offset 2 (the
// characters on either side also carry bits of the neighbouring bytes, so
// they vary). Both alphabets agree on these characters. A token encoded twice
// is found the same way, one level up: each of those three runs, encoded at
// each of the three offsets, gives a fixed run again (derived in
// decodeInit, not written out by hand).
//
// Searching the whole input for twelve patterns would cost twelve passes.
// Instead Decoded looks only inside runs of base64 characters long enough to
// hold an encoded token (decodeMinRun), and finds those runs by testing one
// word of eight bytes in every decodeStride: such a run must contain a whole
// word tested (decodeNextRun). Source code seldom has such runs, and a word
// almost always holds a space, a line end or a bracket, so most words cost
// one load, a few arithmetic operations and one well-predicted branch.

// Decoded yields the tokens that stand base64-encoded in b, in the standard
// or the URL-safe alphabet, padded or not, and those encoded twice (base64 of
// text that is itself base64 holding the token: a .dockerconfigjson inside a
// Secret). It does not look deeper than two levels. At either level it finds
// what [Matcher.All] finds in the decoded text: the tokens standing there,
// the legacy tokens [LegacyTokens] recognises there, and the plain and
// legacy tokens in UTF-16 text there ([UTF16]; base64 of a PowerShell output
// file). A legacy token and a token in UTF-16 text are found in any run of 40
// characters or more (every such run holds a tested word, below), a legacy
// token in UTF-16 text wherever it starts, as [UTF16] says.
//
// Each Match has Encoding EncodingBase64; Start and End are the span of the encoded
// text in b: the base64 quanta whose decoding holds the token, plus their
// padding when the run ends there. Kind, ID and Fingerprint are those of the
// decoded token. Matches come in order of Start and never overlap: when two
// tokens encoded back to back share a quantum, the later one's Start is moved
// to the earlier one's End. No span holds more than about 200 base64
// characters; in a wrapped block it holds the line breaks and indentation
// between them too (at most 65 bytes for every 41 characters, as the block
// rules below allow), still within [MaxSpan].
//
// Base64 wrapped over lines (base64's 76 columns, PEM's 64, indented in
// YAML) is joined before decoding: see decodeBlockLines. So is base64
// wrapped one level down, inside base64 (a Secret holding a file that
// base64(1) wrote), without indentation: a token there is found wherever
// the inner line breaks fall (decodeTwiceWrapped); a legacy token only
// when no break falls inside the characters that encode "token" in its
// context.
//
// Decoded does not report a token that stands in b as it is ([Matcher.All]
// does): the dot in a token is not a base64 character, so plain text never
// decodes to a token by accident. For a legacy token, Lead covers the
// quanta that encode its context.
func Decoded(b []byte) iter.Seq[Match] {
	return func(yield func(Match) bool) { decoded(b, yield) }
}

// decoded is Decoded as a plain function, so that Matcher.All can call it
// without allocating a closure.
func decoded(b []byte, yield func(Match) bool) { decodedAt(b, 0, yield) }

// decodedAt is decoded on text that is already lvl levels of base64 down
// (see decodeNested): at lvl 0, the input itself, the patterns of "dt0" are
// searched and every run is decoded for what they cannot find; below, only
// the latter, the patterns having found the tokens encoded twice already.
func decodedAt(b []byte, lvl int, yield func(Match) bool) {
	// Most blocks have a few lines and join to a few hundred characters:
	// room for them on the stack, so that text without tokens costs no
	// allocation.
	var (
		lineBuf [8]decodeLine
		joinBuf [512]byte
	)
	d := decoder{lines: lineBuf[:0], joined: joinBuf[:0], lvl: lvl}
	if lvl > 0 {
		// Below the input, b is a piece decodeNested decoded, a few
		// KiB at most, reached only by an anchor: every run of
		// decodeBlock characters or more is decoded, not only those of
		// decodeShortRun.
		for i := 0; i < len(b); {
			if decodeSextet[b[i]] == decodeInvalid {
				i++
				continue
			}
			j := decodeRunEnd(b, i)
			if j-i < decodeBlock {
				i = j
				continue
			}
			var more bool
			if d, more = d.run(b, i, j, yield); !more {
				return
			}
			i = max(j, d.done+1)
		}
		return
	}
	for p := 0; ; {
		s, e := decodeNextRun(b, p)
		if s < 0 {
			return
		}
		var more bool
		if d, more = d.run(b, s, e, yield); !more {
			return
		}
		// b[d.done] is not a base64 character, so the next run starts
		// after it.
		p = d.done + 1
	}
}

// decodeNextRun returns the first run of decodeShortRun base64 characters
// or more in b that starts at or after p, b[s:e], or -1, -1 when there is
// none; p is 0, or b[p-1] is not a base64 character. A shorter run holds
// nothing Decoded finds, and is no full line of a wrapped block: such a
// block has a full line, which is found, and gathers its short lines from
// there.
//
// Every such run holds a whole word of eight bytes at p+decodeStride-1,
// p+2*decodeStride-1, ...: it starts at or before one of those words and
// its decodeShortRun characters reach past the word's end, as
// decodeStride+7 <= decodeShortRun. So the loop tests one word every
// decodeStride bytes, for a byte outside 0x2B..0x7A ('+' to 'z'): in source
// text most words hold a space, a line end, a quote or a bracket, and cost
// a load, a few arithmetic operations and a well-predicted branch. Nothing
// in a loop iteration depends on the one before, so that they overlap.
//
// A word in range (an identifier, a path, a hash) is settled in two steps,
// each of which stops as soon as it can. First the words around it are
// tested for bytes out of range too, with decodeOutside, which flags
// exactly those: the nearest on either side bound any run that holds the
// word, and when they are closer than decodeShortRun, as around most
// identifiers, the search goes on past the last byte flagged after the
// word. Then the bytes are looked up, a word at a time (decodeNotWord): the
// word itself, back to where a run that holds it can start, and on to the
// run's end (decodeRunEnd); a run found short moves p past its end.
//
// Each way on keeps one fact true at the word at blk: no run of
// decodeShortRun characters starts from p to blk-decodeStride (it would
// hold a word tested before). So a run of that length that holds this
// word starts after blk-decodeStride, and one that starts before the next
// word tested holds this one whole; which is what lets this word and its
// neighbours rule runs out.
func decodeNextRun(b []byte, p int) (s, e int) {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
		w     = decodeStride - 1 // from p to the first word tested
	)
	for blk := p + w; blk+8 <= len(b); blk += decodeStride {
		x := binary.LittleEndian.Uint64(b[blk : blk+8])
		// x-0x2B in a byte borrows, setting its high bit, when the byte
		// is below 0x2B; x+5 sets it when the byte is above 0x7A. A
		// borrow or carry that crosses into the next byte starts at a
		// byte that already failed, so it cannot make a good word fail.
		if (x|(x-0x2B*ones)|(x+5*ones))&highs != 0 {
			continue
		}
		// The words on either side, out to where a run that holds this
		// word can reach: g is the last byte outside the range before
		// the word, or the byte before the earliest start of such a run,
		// and f the first byte outside the range after the word (len(b)
		// at the end), l the last in f's word. Not knowing f, or f-g-1
		// of decodeShortRun or more, leaves the run to the next step.
		g := blk - decodeStride
		for q := blk - 8; q >= blk-decodeStride+1; q -= 8 {
			if m := decodeOutside(binary.LittleEndian.Uint64(b[q : q+8])); m != 0 {
				g = q + (63-bits.LeadingZeros64(m))/8
				break
			}
		}
		f, l := -1, -1
		for q := blk + 8; q-g-1 < decodeShortRun; q += 8 {
			if q+8 > len(b) {
				f, l = len(b), len(b)
				break
			}
			if m := decodeOutside(binary.LittleEndian.Uint64(b[q : q+8])); m != 0 {
				f = q + bits.TrailingZeros64(m)/8
				l = q + (63-bits.LeadingZeros64(m))/8
				break
			}
		}
		if f >= 0 && f-g-1 < decodeShortRun {
			// A run that starts after the word ends at l or before,
			// too short as well.
			p = l + 1
			blk = p + w - decodeStride
			continue
		}
		// The bytes are looked up, a word at a time: first the word
		// itself, which a run sought holds whole, then back to where such
		// a run starts at the earliest, then on to the run's end.
		if m := decodeNotWord((*[8]byte)(b[blk : blk+8])); m != 0 {
			// No run holds the word whole, and one that starts after
			// it, up to its last byte that is not base64, is short.
			p = blk + (63-bits.LeadingZeros64(m))/8 + 1
			blk = p + w - decodeStride
			continue
		}
		s = blk - decodeStride + 1
		for q := blk - 8; q >= s; q -= 8 {
			if m := decodeNotWord((*[8]byte)(b[q : q+8])); m != 0 {
				s = q + (63-bits.LeadingZeros64(m))/8 + 1
				break
			}
		}
		e = decodeRunEnd(b, blk+8)
		if e-s >= decodeShortRun {
			return s, e
		}
		// The run holding the word is short, and no run starts inside
		// it; b[e] is not base64 (or e is len(b)).
		p = e + 1
		blk = p + w - decodeStride
	}
	return -1, -1
}

// decodeRunEnd returns where the run of base64 characters that goes on at
// b[i] ends: the first byte from i on that is not base64, or len(b). It
// looks the bytes up a word at a time.
func decodeRunEnd(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if m := decodeNotWord((*[8]byte)(b[i : i+8])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(b) && decodeNot[b[i]] == 0 {
		i++
	}
	return i
}

// decodeNotWord returns the eight bytes of v as a little-endian word with
// the high bit set in each byte that is not a base64 character, and no
// other bit set.
func decodeNotWord(v *[8]byte) uint64 {
	t := &decodeNot
	return uint64(t[v[0]]) | uint64(t[v[1]])<<8 | uint64(t[v[2]])<<16 | uint64(t[v[3]])<<24 |
		uint64(t[v[4]])<<32 | uint64(t[v[5]])<<40 | uint64(t[v[6]])<<48 | uint64(t[v[7]])<<56
}

// decodeNot is 0x80 for a byte that is not a base64 character of either
// alphabet and 0 for one that is.
var decodeNot = func() (t [256]byte) {
	for i, v := range decodeSextet {
		if v == decodeInvalid {
			t[i] = 0x80
		}
	}
	return t
}()

// decodeOutside returns x, eight bytes, with the high bit set in each byte
// outside 0x2B..0x7A and no other bit set. Each test adds to a byte's low
// seven bits, which cannot carry into the next byte, so a byte is flagged
// for itself only (its own high bit flags 0x80 and above): decodeNextRun
// takes the last byte flagged for one that is not base64.
func decodeOutside(x uint64) uint64 {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	low := x &^ highs
	// low+0x55 reaches the high bit when low >= 0x2B, low+0x05 when
	// low >= 0x7B.
	return (x | ^(low + 0x55*ones) | (low + 0x05*ones)) & highs
}

// decoder holds what decoded needs once decodeNextRun has found a run, out
// of the search, which stays a few instructions per word. It is passed and
// returned by value, so that its buffers can stay on decoded's stack.
type decoder struct {
	found  []Match
	lines  []decodeLine
	joined []byte
	done   int // bytes before done belong to a run or block already decoded
	lvl    int // levels of base64 above b (decodedAt)
}

// run decodes b[s:e], a whole run of base64 characters that starts after
// done, or the wrapped block that holds that run, and yields its tokens. It
// returns the decoder with done where the run or block ends, and whether
// yield asked for more.
//
//go:noinline
func (d decoder) run(b []byte, s, e int, yield func(Match) bool) (decoder, bool) {
	d.lines = d.lines[:0]
	if decodeMayWrap(b, s, e) {
		d.lines = decodeBlockLines(b, s, e, d.done, d.lines)
	}
	d.found = d.found[:0]
	if len(d.lines) > 1 {
		d.joined, d.found = decodeJoined(b, d.lines, d.joined, d.found, d.lvl)
		e = d.lines[len(d.lines)-1].e
	} else if e-s >= decodeMinNested {
		d.found = decodeRun(b, s, e, d.found, d.lvl)
	}
	d.done = e
	for _, m := range d.found {
		if !yield(m) {
			return d, false
		}
	}
	return d, true
}

// Base64 is often wrapped: base64(1) breaks its output every 76 characters,
// openssl and PEM every 64, and YAML indents a block scalar holding it. The
// lines of such a block are joined before decoding. A line's run of base64
// characters B is joined to the run A before it when a line break and at
// most decodeMaxIndent spaces or tabs are all that stand between them, and
// one of the two is a full line (decodeWrapMin characters or more): the
// lines of a wrapped block are full but for the last, while two short runs
// meeting at a line end (a word ending a line of source code, the next
// starting one) are not joined. Decoding finds a token wherever its quanta
// start, so the lines need not be of a length that is a multiple of four.
//
// A block is found as any run is, by a line of decodeShortRun characters or
// more (decodeNextRun), which every block that joins has; so every block
// that base64 and PEM write with a token in it (a token's encoding needs
// two lines of 64 or 76, the first of them whole).
const (
	decodeMaxIndent = 64
	decodeWrapMin   = 40
)

// decodeLine is one line's run of base64 characters, b[s:e], in a block;
// j is where it starts once the block's lines are joined.
type decodeLine struct{ s, e, j int }

// decodeNextLine returns the run of base64 characters that starts the line
// after the run ending at e, after at most decodeMaxIndent spaces or tabs,
// or an empty run when there is none.
func decodeNextLine(b []byte, e int) decodeLine {
	i := e
	if i < len(b) && b[i] == '\r' {
		i++
	}
	if i >= len(b) || b[i] != '\n' {
		return decodeLine{}
	}
	i++
	for n := 0; i < len(b) && n < decodeMaxIndent && (b[i] == ' ' || b[i] == '\t'); n++ {
		i++
	}
	return decodeLine{s: i, e: decodeRunEnd(b, i)}
}

// decodeJoins reports whether the run b joins the run a before it, given
// that it follows a as decodeNextLine finds.
func decodeJoins(a, b decodeLine) bool {
	return a.e-a.s >= decodeWrapMin || b.e-b.s >= decodeWrapMin
}

// decodeBlockLines appends to lines the runs of the block that holds the run
// b[s:e], in order, going back no further than lo: just b[s:e] when the run
// stands alone.
func decodeBlockLines(b []byte, s, e, lo int, lines []decodeLine) []decodeLine {
	lines = append(lines, decodeLine{s: s, e: e})
	for {
		next := decodeNextLine(b, lines[len(lines)-1].e)
		if next.e == next.s || !decodeJoins(lines[len(lines)-1], next) {
			break
		}
		lines = append(lines, next)
	}
	// Back: the line before ends where this one's indentation starts.
	for {
		i := lines[0].s
		j := i
		for j > lo && i-j < decodeMaxIndent && (b[j-1] == ' ' || b[j-1] == '\t') {
			j--
		}
		if j <= lo || b[j-1] != '\n' {
			break
		}
		pe := j - 1
		if pe > lo && b[pe-1] == '\r' {
			pe--
		}
		ps := pe
		for ps > lo && decodeSextet[b[ps-1]] != decodeInvalid {
			ps--
		}
		if ps == pe || !decodeJoins(decodeLine{s: ps, e: pe}, lines[0]) {
			break
		}
		lines = slices.Insert(lines, 0, decodeLine{s: ps, e: pe})
	}
	return lines
}

// decodeJoined decodes the block made of lines: it joins their characters
// in joined (reused), finds the tokens there as in one run, and appends
// them to found with their spans mapped back to b. A span then runs from
// the line of its first quantum to that of its last, the line breaks and
// indentation between included.
func decodeJoined(b []byte, lines []decodeLine, joined []byte, found []Match, lvl int) ([]byte, []Match) {
	n := 0
	for _, l := range lines {
		n += l.e - l.s
	}
	if n < decodeMinNested {
		return joined, found
	}
	joined = decodeJoinLines(slices.Grow(joined[:0], n+2), b, lines)
	// The padding after the last line, which decodePadded looks for.
	last := lines[len(lines)-1].e
	for k := 0; k < 2 && last+k < len(b) && b[last+k] == '='; k++ {
		joined = append(joined, '=')
	}
	at := func(j int) int { // b's offset of joined[j]
		if j >= n {
			return last + j - n // in the padding
		}
		return decodeLineAt(lines, j)
	}
	from := len(found)
	found = decodeRun(joined, 0, n, found, lvl)
	for k := from; k < len(found); k++ {
		m := &found[k]
		lead := at(m.Start - m.Lead)
		m.Start, m.End = at(m.Start), at(m.End-1)+1
		m.Lead = min(m.Start-lead, MaxLead)
	}
	return joined, found
}

const (
	// decodeMaxToken is the length of the longest token shape (Standard:
	// 6+1+24+1+64) and decodeMinToken of the shortest (Short and Agent:
	// 6+1+8+1+64).
	decodeMaxToken = 95
	decodeMinToken = 80
	// decodeMinRun is the fewest base64 characters that can encode a
	// token: every one of the token's 8*decodeMinToken bits is in some
	// character, so at least ceil(8*80/6) = 107 of them.
	decodeMinRun = (8*decodeMinToken + 5) / 6
	// decodeMinRun2 is the same for a token encoded twice.
	decodeMinRun2 = (8*decodeMinRun + 5) / 6
	// decodeMinNested is the fewest base64 characters decodeNested
	// decodes: those of the shortest legacy token with its context,
	// "apiToken=" and 21 characters.
	decodeMinNested = (8*(len("apiToken=")+legacyLen) + 5) / 6
	// decodeMaxDepth is how many levels of base64 are decoded.
	decodeMaxDepth = 2
	// decodeNestPiece is the most characters decodeNested decodes at
	// once, and decodeNestStep how far apart its pieces start: they
	// overlap by 1024 characters, which no match with its context spans
	// (decodeNestBefore of them and a token in UTF-16, encoded).
	decodeNestPiece = 4096
	decodeNestStep  = decodeNestPiece - 1024
	// decodeWindow is how many characters, from the quantum where a token
	// starts, are decoded to find it: up to 2 bytes of the quantum before
	// the token, the token, and one quantum after it for the matcher's
	// boundary rules.
	decodeWindow = (2 + decodeMaxToken + 3 + 2) / 3 * 4
	// decodeWindow2 is the same one level up: the characters that decode
	// to decodeWindow characters of base64, plus the quantum before them.
	decodeWindow2 = (2 + decodeWindow + 4 + 2) / 3 * 4

	// decodeStride is how far apart decodeNextRun tests the words of
	// eight bytes that every run of decodeShortRun characters holds one
	// of, wherever it starts: the most that keeps that true.
	decodeStride = decodeShortRun - 7
	// decodeShortRun is the shortest run the top level decodes: the
	// shortest that can hold a legacy token with its context, or be a
	// full line of a wrapped block.
	decodeShortRun = min(decodeMinNested, decodeWrapMin)
	// decodeBlock is the shortest run decodedAt decodes below the top
	// level.
	decodeBlock = 16

	decodeInvalid = 0xff
)

// Every run of decodeShortRun characters holds a tested word: the array
// length is negative, and the build fails, if a change of the constants
// breaks that.
var _ [decodeShortRun - (decodeStride + 7)]struct{}

// decodeSextet maps a base64 character of either alphabet to its value, and
// every other byte to decodeInvalid.
var decodeSextet = func() (t [256]byte) {
	for i := range t {
		t[i] = decodeInvalid
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range len(std) {
		t[std[i]] = byte(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

// decodePattern is a fixed run of base64 characters that some known bytes
// encode to at one offset in a quantum.
type decodePattern struct {
	text string
	// lead is how many characters of the quantum come before text.
	lead int
	// off is the offset, in the decoded quantum, of the first known byte.
	off int
	// parent is, for a pattern of a token encoded twice, the pattern its
	// known bytes spell one level down; nil for a token encoded once.
	parent *decodePattern
}

// decodePatterns holds the patterns of a token encoded once and, after them,
// twice.
var decodePatterns = decodeInit()

// decodeInit derives decodePatterns. A token encoded twice may have its
// inner base64 wrapped (base64 of a file base64(1) wrote, in a Secret):
// the line break, "\n" or "\r\n", may then fall inside the pattern one
// level down, and what the outer base64 encodes is that pattern with the
// break in it. Each such split is a parent pattern too, with the lead and
// offset of the pattern it splits; decodeTwiceWrapped joins the lines
// before decoding. A break with indentation after it is not covered: the
// spaces vary.
func decodeInit() []decodePattern {
	var once []decodePattern
	for off := range 3 {
		once = decodeFixed(once, []byte("dt0"), off, nil)
	}
	var split []decodePattern
	for _, p := range once {
		for k := 1; k < len(p.text); k++ {
			for _, br := range []string{"\n", "\r\n"} {
				q := p
				q.text = p.text[:k] + br + p.text[k:]
				split = append(split, q)
			}
		}
	}
	all := slices.Clone(once)
	for _, parents := range [][]decodePattern{once, split} {
		for i := range parents {
			for off := range 3 {
				all = decodeFixed(all, []byte(parents[i].text), off, &parents[i])
			}
		}
	}
	return all
}

// decodeFixed appends the patterns that known encodes to when it starts at
// byte off of a quantum: the characters all of whose bits come from known,
// in the standard and, where it differs, the URL-safe alphabet.
func decodeFixed(ps []decodePattern, known []byte, off int, parent *decodePattern) []decodePattern {
	buf := make([]byte, (off+len(known)+2)/3*3)
	copy(buf[off:], known)
	enc := base64.StdEncoding.EncodeToString(buf)
	first, last := -1, -1
	for j := range enc {
		lo, hi := 6*j/8, (6*j+5)/8
		if lo >= off && hi < off+len(known) {
			if first < 0 {
				first = j
			}
			last = j
		}
	}
	p := decodePattern{text: enc[first : last+1], lead: first, off: off, parent: parent}
	ps = append(ps, p)
	if url := decodeToURL(p.text); url != p.text {
		p.text = url
		ps = append(ps, p)
	}
	return ps
}

func decodeToURL(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch c {
		case '+':
			b[i] = '-'
		case '/':
			b[i] = '_'
		}
	}
	return string(b)
}

// decodeRun appends to found the tokens encoded in the run b[s:e] of base64
// characters, with spans in b, sorted and made disjoint: at lvl 0 those the
// patterns of "dt0" find, and, while lvl is below decodeMaxDepth, those
// decodeNested finds.
func decodeRun(b []byte, s, e int, found []Match, lvl int) []Match {
	run := b[s:e]
	n := len(found)
	if lvl < decodeMaxDepth {
		found = decodeNested(b, s, e, lvl, found)
	}
	if lvl == 0 && len(run) >= decodeMinRun {
		found = decodePatternsIn(b, s, e, found)
	}
	return decodeDisjoint(found, n)
}

// decodePatternsIn appends to found the tokens the patterns of "dt0" find
// in the run b[s:e] (decodeMinRun characters or more): those encoded once,
// and, in a run of decodeMinRun2 characters or more, twice. One pass looks
// for all the patterns (decodePatternScan), not one pass each: in a long
// run, a file's worth of base64, twelve passes cost more than the rest of
// its decoding. The hits are taken pattern by pattern, each in order, as
// those passes found them, so that decodeDisjoint, which sorts the matches,
// meets them in the same order.
//
// The hits are kept on the stack, or, when a run has more than that holds
// (random base64 has one in about 40,000 characters), in a buffer from
// decodeHitPool, so that text without tokens costs no allocation.
func decodePatternsIn(b []byte, s, e int, found []Match) []Match {
	run := b[s:e]
	npat := len(decodePatterns)
	if len(run) < decodeMinRun2 {
		npat = decodeOnceLen
	}
	var (
		buf    [32]decodeHit
		pooled *[]decodeHit
		big    []decodeHit // not buf, which stays on the stack
	)
	hits, all := decodePatternScan(run, npat, buf[:0], false)
	if !all {
		pooled = decodeHitPool.Get().(*[]decodeHit)
		big, _ = decodePatternScan(run, npat, (*pooled)[:0], true)
		hits = big
	}
	slices.SortFunc(hits, func(x, y decodeHit) int {
		if x.k != y.k {
			return x.k - y.k
		}
		return x.at - y.at
	})
	for _, h := range hits {
		p := &decodePatterns[h.k]
		var (
			m  Match
			ok bool
		)
		if p.parent == nil {
			m, ok = decodeOnce(run, h.at-p.lead, p.off)
		} else {
			m, ok = decodeTwice(run, h.at-p.lead, p)
		}
		if ok {
			m.Start += s
			m.End = decodePadded(b, e, m.Start, m.End+s)
			m.Encoding = EncodingBase64
			found = append(found, m)
		}
	}
	if pooled != nil {
		*pooled = big[:0]
		decodeHitPool.Put(pooled)
	}
	return found
}

// decodeHit is where pattern k of decodePatterns stands in a run.
type decodeHit struct{ k, at int }

// decodePatternScan appends to hits every place where one of the first
// npat patterns stands in run, and reports whether hits held them all:
// unless grow is set, it stops when hits is full. Every pattern is three characters or more,
// so it holds a pair of them at an even offset in run, at its own offset 0
// or 1: the scan looks up the pair at every even offset, as a 16-bit
// number, in a bit set of those pairs (decodePatternBits, 8 KiB; base64
// text hits it at about one pair in 170), and compares only the patterns
// that hold that pair (decodePatternRank).
func decodePatternScan(run []byte, npat int, hits []decodeHit, grow bool) ([]decodeHit, bool) {
	for i := 0; i+1 < len(run); i += 2 {
		v := uint16(run[i]) | uint16(run[i+1])<<8
		if decodePatternBits[v/64]&(1<<(v%64)) == 0 {
			continue
		}
		var all bool
		if hits, all = decodePatternsAt(run, i, v, npat, hits, grow); !all {
			return hits, false
		}
	}
	return hits, true
}

// decodePatternsAt is decodePatternScan where the pair v at run[i] is in
// decodePatternBits: it compares the patterns that hold v, found by its
// rank among the pairs set (decodePatternRank). It is a function of its
// own so that the scan's loop keeps its few values in registers.
//
//go:noinline
func decodePatternsAt(run []byte, i int, v uint16, npat int, hits []decodeHit, grow bool) ([]decodeHit, bool) {
	below := decodePatternBits[v/64] & (1<<(v%64) - 1)
	r := int(decodePatternRank[v/64]) + bits.OnesCount64(below)
	for _, key := range decodePatternKeys[decodePatternStart[r]:decodePatternStart[r+1]] {
		at := i - key.shift
		if key.k >= npat || at < 0 {
			continue
		}
		if bytes.HasPrefix(run[at:], []byte(decodePatterns[key.k].text)) {
			if len(hits) == cap(hits) && !grow {
				return hits, false
			}
			hits = append(hits, decodeHit{key.k, at})
		}
	}
	return hits, true
}

var decodeHitPool = sync.Pool{New: func() any { return new([]decodeHit) }}

// decodePatternKey says that pattern k of decodePatterns holds the pair
// of characters pair (little-endian) at its offset shift, 0 or 1.
// decodePatternKeys holds them sorted by pair.
type decodePatternKey struct {
	pair  uint16
	k     int
	shift int
}

var (
	decodePatternKeys []decodePatternKey
	decodePatternBits [1 << 16 / 64]uint64
	// decodePatternRank counts the pairs set in decodePatternBits before
	// each of its words, and decodePatternStart is where the keys of the
	// pair of each rank start in decodePatternKeys (and, last, its
	// length): a pair's keys, found in a few operations.
	decodePatternRank  [1 << 16 / 64]uint16
	decodePatternStart []uint16
	// decodeOnceLen is how many of decodePatterns are of a token
	// encoded once: they come first.
	decodeOnceLen int
)

func init() {
	for k, p := range decodePatterns {
		if len(p.text) < 3 {
			panic("rules: base64 pattern " + p.text + " is too short for the scan")
		}
		if p.parent == nil {
			decodeOnceLen = k + 1
		}
		for shift := range 2 {
			pair := uint16(p.text[shift]) | uint16(p.text[shift+1])<<8
			decodePatternBits[pair/64] |= 1 << (pair % 64)
			decodePatternKeys = append(decodePatternKeys, decodePatternKey{pair, k, shift})
		}
	}
	// By pair, so that each pair's keys stand together; the hits are
	// sorted after the scan.
	slices.SortStableFunc(decodePatternKeys, func(a, b decodePatternKey) int { return cmp.Compare(a.pair, b.pair) })
	n := 0
	for w, x := range decodePatternBits {
		decodePatternRank[w] = uint16(n)
		n += bits.OnesCount64(x)
	}
	decodePatternStart = make([]uint16, 0, n+1)
	for j, key := range decodePatternKeys {
		if j == 0 || key.pair != decodePatternKeys[j-1].pair {
			decodePatternStart = append(decodePatternStart, uint16(j))
		}
	}
	decodePatternStart = append(decodePatternStart, uint16(len(decodePatternKeys)))
}

// decodeNested appends to found the tokens the patterns of "dt0" cannot
// find in the run b[s:e] of base64 characters, lvl levels of base64 down
// from the input: legacy tokens, and tokens in UTF-16 text (whose
// "d\x00t\x000" encodes to other runs than "dt0").
//
// Decoding every run would cost more than the rest of the search on text
// that has many runs and no tokens (each token's secret is a run), so the
// run is first searched for anchors (decodeAnchors): the fixed base64
// characters of bytes every such token has near it, found in one pass over
// the run. A hit also tells where a quantum starts, which a run does not
// otherwise say (it may start with characters that are not part of the
// encoding, such as a path). At each offset where a hit says quanta start,
// the run is decoded from decodeNestBefore characters before the first such
// hit to its end, in pieces of decodeNestPiece characters that overlap by
// far more than a match spans, and decodeInner searches each decoding. The
// spans found are mapped back as decodeOnce's are: the quanta that encode
// the token, with Lead covering those of its context.
func decodeNested(b []byte, s, e, lvl int, found []Match) []Match {
	from, any := decodeAnchorScan(b[s:e], lvl)
	if !any {
		return found
	}
	n := decodeNestPool.Get().(*decodeNest)
	defer decodeNestPool.Put(n)
	n.found = n.found[:0]
	for a, f := range from {
		if f < 0 {
			continue
		}
		for p := s + f; ; p += decodeNestStep {
			q := min(e, p+decodeNestPiece)
			dec := decodeQuanta(n.buf[:0], b[p:q])
			// A match belongs to the piece that holds its context, as a
			// window's do in the scanner: this piece's first
			// decodeNestStep characters, or all of the last piece; and
			// not the match whose context starts at the very start of a
			// piece after the run's first quantum, which may be cut.
			n.p, n.q = p, q
			n.first, n.own = p == s+a, len(dec)
			if q != e {
				n.own = decodeNestStep / 4 * 3
			}
			from := len(n.found)
			decodeInnerFunc(dec, lvl+1, n.yield)
			// The padding after the run, in the input; a level down,
			// Decoded's spans end with the quanta, as decodeTwice's
			// do.
			for k := from; lvl == 0 && k < len(n.found); k++ {
				m := &n.found[k]
				m.End = decodePadded(b, e, m.Start, m.End)
			}
			if q == e {
				break
			}
		}
	}
	return append(found, n.found...)
}

// decodeNestBefore is how many characters before an anchor decodeNested
// starts decoding: more than the encoding of the context that may stand
// before it, a legacy token's name and header in UTF-16 and encoded twice.
const decodeNestBefore = 512

// decodeAnchorScan searches run, lvl levels of base64 down, for the
// anchors, and returns, for each of the four offsets of a quantum start in
// run, where decoding starts (decodeNestBefore characters before the first
// hit there, or -1 for no hit), and whether there was a hit. Every anchor is
// six characters or more, so it holds three characters that start at a
// multiple of four: the scan looks up those of every fourth offset (their
// sextets, 18 bits) in a bit set of every anchor's three characters at its
// offsets 0 to 3 (decodeAnchorBits, 32 KiB: exact, so that text made of
// such characters, "tokentoken...", does not hit by collision), and only
// a hit there is compared with the anchors.
func decodeAnchorScan(run []byte, lvl int) (from [4]int, any bool) {
	from = [4]int{-1, -1, -1, -1}
	found := 0
	for i := 0; i+decodeAnchorKeyLen <= len(run); i += decodeAnchorStride {
		v := uint32(decodeSextet[run[i]])<<12 | uint32(decodeSextet[run[i+1]])<<6 | uint32(decodeSextet[run[i+2]])
		if decodeAnchorBits[v/64]&(1<<(v%64)) == 0 {
			continue
		}
		for _, k := range decodeAnchorIndex[v] {
			p := &decodeAnchors[k.anchor]
			at := i - k.shift
			if p.lvl > decodeMaxDepth-lvl || at < p.lead || !decodeSextetsAt(run, at, p.text) {
				continue
			}
			g := at - p.lead
			if a := g % 4; from[a] < 0 {
				from[a] = max(a, g-decodeNestBefore)
				found++
				if found == 4 {
					return from, true
				}
			}
		}
	}
	return from, found > 0
}

// decodeSextetsAt reports whether run, from at, holds characters of the
// same values as text: either alphabet matches either.
func decodeSextetsAt(run []byte, at int, text string) bool {
	if len(run)-at < len(text) {
		return false
	}
	for j := range len(text) {
		if decodeSextet[run[at+j]] != decodeSextet[text[j]] {
			return false
		}
	}
	return true
}

// decodeAnchor is a fixed run of base64 characters that some bytes a
// nested token has near it encode to, lvl levels of base64 up (1 or 2),
// and lead characters of the quantum before it at the level of the run.
type decodeAnchor struct {
	text      string
	lead, lvl int
}

// The anchors are the bytes every token decodeInner finds has within a few
// dozen bytes: "token" in every casing of its letters, which every legacy
// context holds (apiToken, API_TOKEN, Api-Token, and ApitokEn too, since
// the legacy search ignores case: with the three usual casings alone, a
// context written otherwise was found in plain text and missed in base64);
// "oken" in every casing in UTF-16 text of either byte order; and "dt0" in
// UTF-16 text, where every token starts. Their encodings once, at each offset in a
// quantum, and twice, are the anchors: six characters or more each.
var (
	decodeAnchors     []decodeAnchor
	decodeAnchorIndex map[uint32][]decodeAnchorKey
	decodeAnchorBits  [1 << (6 * decodeAnchorKeyLen) / 64]uint64
)

// decodeAnchorKey is an anchor whose characters from shift on are the
// characters looked up.
type decodeAnchorKey struct{ anchor, shift int }

const (
	// decodeAnchorKeyLen characters are looked up at every
	// decodeAnchorStride-th offset: every anchor, six characters or more,
	// holds such a key.
	decodeAnchorKeyLen = 3
	decodeAnchorStride = 4
)

func init() {
	var known [][]byte
	for _, w := range decodeCasings("token") {
		known = append(known, []byte(w))
	}
	for _, w := range append(decodeCasings("oken"), "dt0") {
		var le, be []byte
		for _, c := range []byte(w) {
			le = append(le, c, 0)
			be = append(be, 0, c)
		}
		known = append(known, le, be)
	}
	var once []decodePattern
	for _, k := range known {
		for off := range 3 {
			once = decodeFixed(once, k, off, nil)
		}
	}
	twice := slices.Clone(once)
	for i := range once {
		for off := range 3 {
			twice = decodeFixed(twice, []byte(once[i].text), off, &once[i])
		}
	}
	decodeAnchorIndex = map[uint32][]decodeAnchorKey{}
	for i, p := range twice {
		a := decodeAnchor{text: p.text, lead: p.lead, lvl: 1}
		if p.parent != nil {
			a.lvl = 2
		}
		if len(p.text) < decodeAnchorKeyLen+decodeAnchorStride-1 {
			panic("rules: base64 anchor " + p.text + " is too short for the scan")
		}
		for shift := range decodeAnchorStride {
			var v uint32
			for j := range decodeAnchorKeyLen {
				v = v<<6 | uint32(decodeSextet[p.text[shift+j]])
			}
			decodeAnchorBits[v/64] |= 1 << (v % 64)
			decodeAnchorIndex[v] = append(decodeAnchorIndex[v], decodeAnchorKey{i, shift})
		}
		decodeAnchors = append(decodeAnchors, a)
	}
}

// decodeCasings returns w in every casing of its letters: the legacy
// search compares "token" without regard to case, so the anchors that let
// a run be decoded for it must too.
func decodeCasings(w string) []string {
	out := []string{""}
	for _, c := range []byte(w) {
		var next []string
		for _, p := range out {
			next = append(next, p+string(c|0x20))
			if c|0x20 >= 'a' && c|0x20 <= 'z' {
				next = append(next, p+string(c&^0x20))
			}
		}
		out = next
	}
	return out
}

// decodeNest is what decodeNested needs for one run: a buffer for a piece's
// decoding and yield, which maps a match found there back to the run. They
// come from decodeNestPool: decodeNested calls itself, one level down, so
// the compiler would move buffers on its stack to the heap, and an
// allocation per run would make a scan of text without tokens allocate.
type decodeNest struct {
	buf     [decodeNestPiece / 4 * 3]byte
	b       []byte
	p, q, e int
	first   bool
	own     int
	found   []Match
	yield   func(Match) bool
}

var decodeNestPool = sync.Pool{New: func() any {
	n := new(decodeNest)
	n.yield = func(m Match) bool {
		owner := m.Start - m.Lead
		if owner > n.own || owner == 0 && !n.first {
			return true
		}
		start := n.p + m.Start/3*4
		end := min(n.q, n.p+(m.End+2)/3*4)
		m.Lead = min(start-(n.p+owner/3*4), MaxLead)
		m.Start, m.End = start, end
		m.Encoding = EncodingBase64
		n.found = append(n.found, m)
		return true
	}
	return n
}}

// decodeInner yields what decodeNested looks for in dec, text lvl levels of
// base64 down from the input: legacy tokens; tokens in UTF-16 text, plain or
// legacy; and, while lvl is below decodeMaxDepth, the same one level further
// down, in the base64 runs of dec. The "dt0" tokens that stand in dec, or
// in its base64, are not yielded: the patterns find them.
func decodeInner(dec []byte, lvl int, yield func(Match) bool) {
	legacyTokens(dec, yield)
	utf16Scan(dec, true, yield)
	if lvl < decodeMaxDepth {
		decodedAt(dec, lvl, yield)
	}
}

// decodeInnerFunc is decodeInner, which decodeNested calls through this
// variable: the indirect call keeps decodedAt and utf16Scan, which
// decodeInner calls, out of a cycle of calls, so that the compiler can keep
// their buffers and their callers' on the stack. What decodeNested passes
// it is on the heap already.
var decodeInnerFunc func(dec []byte, lvl int, yield func(Match) bool)

func init() { decodeInnerFunc = decodeInner }

// decodeOnce looks for a token whose first byte is byte off of the quantum
// that starts at run[g], and returns it with Start and End the span of the
// quanta that encode it in run.
func decodeOnce(run []byte, g, off int) (Match, bool) {
	if g < 0 {
		return Match{}, false
	}
	// One quantum before the token, when there is one, so that the matcher
	// sees the byte before the token as the whole run would show it.
	from := g - min(g/4, 1)*4
	var buf [(decodeWindow + 4) / 4 * 3]byte
	dec := decodeQuanta(buf[:0], run[from:min(len(run), g+decodeWindow)])
	want := (g-from)/4*3 + off
	// Only a plain token can start at want: the window is too short for
	// base64 inside it, holds no NUL for UTF-16, and has too little before
	// want for a legacy token's context.
	var found Match
	ok := false
	plain(dec, func(m Match) bool {
		if m.Start < want {
			return true
		}
		if m.Start == want {
			m.Start = g
			m.End = min(len(run), from+(m.End+2)/3*4)
			found, ok = m, true
		}
		return false
	})
	return found, ok
}

// decodeTwice looks for a token encoded twice, where the bytes of the
// pattern p.parent start at byte p.off of the quantum that starts at run[g].
func decodeTwice(run []byte, g int, p *decodePattern) (Match, bool) {
	if g < 0 {
		return Match{}, false
	}
	// Two quanta before: the parent pattern's quantum may start up to
	// three characters before it, and the matcher wants one more quantum.
	from := g - min(g/4, 2)*4
	var buf [(decodeWindow2 + 8) / 4 * 3]byte
	dec := decodeQuanta(buf[:0], run[from:min(len(run), g+decodeWindow2)])
	t := (g-from)/4*3 + p.off // where the parent pattern starts in dec
	rs, re := decodeRunAround(dec, t)
	m, ok := decodeOnce(dec[rs:re], t-p.parent.lead-rs, p.parent.off)
	if !ok {
		// The run may be a line of a wrapped block, or be cut by the
		// window, which then ends a line for all it shows.
		if rs > 0 && re < len(dec) && !decodeMayWrap(dec, rs, re) {
			return Match{}, false
		}
		return decodeTwiceWrapped(run, g, p)
	}
	start, end := rs+m.Start, rs+m.End
	m.Start = from + start/3*4
	m.End = min(len(run), from+(end+2)/3*4)
	return m, true
}

// decodeMayWrap reports whether the run b[s:e] can be a line of a wrapped
// block: only a run that ends a line, or starts one after its indentation,
// can.
func decodeMayWrap(b []byte, s, e int) bool {
	return e < len(b) && (b[e] == '\n' || b[e] == '\r') || s > 0 && (b[s-1] == '\n' || b[s-1] == ' ' || b[s-1] == '\t')
}

// decodeRunAround returns the run of base64 characters in b that holds
// b[t], b[s:e].
func decodeRunAround(b []byte, t int) (s, e int) {
	s = t
	for s > 0 && decodeSextet[b[s-1]] != decodeInvalid {
		s--
	}
	return s, decodeRunEnd(b, t)
}

// decodeJoinLines appends the characters of lines, runs of b, to joined,
// which is empty, and sets each line's j, where it starts there.
func decodeJoinLines(joined, b []byte, lines []decodeLine) []byte {
	for k, l := range lines {
		lines[k].j = len(joined)
		joined = append(joined, b[l.s:l.e]...)
	}
	return joined
}

// decodeLineAt returns the offset, in the text the lines were found in, of
// the character at j in their joined characters: the line holding j is the
// last whose start in joined is at or before it (a binary search: a block
// may have many lines).
func decodeLineAt(lines []decodeLine, j int) int {
	k := sort.Search(len(lines), func(k int) bool { return lines[k].j > j }) - 1
	return lines[k].s + j - lines[k].j
}

// decodeTwiceWrapped is decodeTwice for a token whose base64, one level
// down, is wrapped over lines: the inner encoding of a token is 128
// characters or more, longer than a line of 64 or 76, and its first quantum
// may start on the line before its pattern. The lines of the block around
// the pattern are joined as decodeBlockLines joins them at the top level,
// in a window wide enough for the line breaks and indentation, and the
// token is looked for in the joined characters; its span maps back through
// the lines.
func decodeTwiceWrapped(run []byte, g int, p *decodePattern) (Match, bool) {
	// The window, one level down: a line before the pattern (its lead
	// may start there) and the token's characters after it, with room
	// for a line break and full indentation every decodeWrapMin of them.
	const (
		before = decodeWrapMin + 1 + decodeMaxIndent + 8
		after  = (decodeWindow/decodeWrapMin + 2) * (decodeWrapMin + 2 + decodeMaxIndent)
	)
	from := g - min(g/4, (before+2)/3)*4
	var buf [before + after + 8]byte
	dec := decodeQuanta(buf[:0], run[from:min(len(run), g+(after+2)/3*4)])
	t := (g-from)/4*3 + p.off // where the parent pattern starts in dec
	if t >= len(dec) {
		return Match{}, false
	}
	rs, re := decodeRunAround(dec, t)
	var lineBuf [8]decodeLine
	lines := decodeBlockLines(dec, rs, re, 0, lineBuf[:0])
	if len(lines) < 2 {
		return Match{}, false
	}
	var joinBuf [len(buf)]byte
	joined := decodeJoinLines(joinBuf[:0], dec, lines)
	tj := -1 // where the parent pattern starts in joined
	for _, l := range lines {
		if l.s <= t && t < l.e {
			tj = l.j + t - l.s
		}
	}
	if tj < 0 {
		return Match{}, false
	}
	m, ok := decodeOnce(joined, tj-p.parent.lead, p.parent.off)
	if !ok {
		return Match{}, false
	}
	start, end := decodeLineAt(lines, m.Start), decodeLineAt(lines, m.End-1)+1
	m.Start = from + start/3*4
	m.End = min(len(run), from+(end+2)/3*4)
	return m, true
}

// decodeQuanta appends to dst the decoding of src, whose characters are all
// base64 and whose first character starts a quantum. A final quantum of two
// or three characters gives one or two bytes, and a lone final character
// none, as an unpadded decoder would; the bits left over are ignored.
func decodeQuanta(dst, src []byte) []byte {
	for len(src) >= 4 {
		v := uint(decodeSextet[src[0]])<<18 | uint(decodeSextet[src[1]])<<12 | uint(decodeSextet[src[2]])<<6 | uint(decodeSextet[src[3]])
		dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
		src = src[4:]
	}
	switch len(src) {
	case 2:
		dst = append(dst, decodeSextet[src[0]]<<2|decodeSextet[src[1]]>>4)
	case 3:
		v := uint(decodeSextet[src[0]])<<12 | uint(decodeSextet[src[1]])<<6 | uint(decodeSextet[src[2]])
		dst = append(dst, byte(v>>10), byte(v>>2))
	}
	return dst
}

// decodePadded extends a span b[start:end] of quanta that ends in a short
// quantum at the end of its run, runEnd, over the padding that completes it.
func decodePadded(b []byte, runEnd, start, end int) int {
	if end != runEnd {
		return end
	}
	switch (end - start) % 4 {
	case 2:
		if len(b)-end >= 2 && b[end] == '=' && b[end+1] == '=' {
			return end + 2
		}
	case 3:
		if len(b)-end >= 1 && b[end] == '=' {
			return end + 1
		}
	}
	return end
}

// decodeDisjoint sorts found[n:] by Start and makes the spans disjoint: a
// match that overlaps the one before it is dropped when it is the same token
// found twice, and otherwise starts where the one before it ends.
func decodeDisjoint(found []Match, n int) []Match {
	ms := found[n:]
	slices.SortFunc(ms, func(a, b Match) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return a.End - b.End
	})
	out := found[:n]
	for _, m := range ms {
		if len(out) > n {
			prev := out[len(out)-1]
			if m.Start < prev.End {
				if m.Fingerprint == prev.Fingerprint || m.End <= prev.End {
					continue
				}
				m.Start = prev.End
			}
		}
		out = append(out, m)
	}
	return out
}
