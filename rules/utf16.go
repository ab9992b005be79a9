package rules

import (
	"encoding/binary"
	"iter"
)

// This file finds tokens in UTF-16 text: PowerShell 5 writes its output
// files and transcripts in UTF-16LE, and so do Windows registry exports and
// many Windows tools. There an ASCII token stands with a NUL after (or,
// big-endian, before) each of its characters, and the plain matcher,
// which looks for 64 token characters in a row, never sees it.
//
// Every character of a token is ASCII, so its UTF-16 form alternates
// between token characters and NULs over at least 160 bytes (the 80
// characters of a Short or Agent token), and a legacy token with the
// shortest context it is recognised by (apiToken= and its 21 characters)
// over 60. Such a span holds one of the blocks tested below, in which every
// other byte is NUL and the others are not, which costs one word test per
// block to rule out: text seldom has a NUL, and binary data seldom
// alternates. Around such a block the run of alternating bytes is taken
// out, its characters are matched as any text is (plain, base64 and legacy
// tokens), and each hit is mapped back to the UTF-16 bytes it came from.
// So a legacy token is found in UTF-16 text wherever it starts, however
// short the text (a whole file is one run: its line breaks alternate too).
// With a block every 128 bytes, as before, one in a run shorter than 80
// characters was found only when a tested block happened to fall inside
// it: at some byte offsets and not at others.
// Which of the two bytes is the NUL is all that is needed: the same test
// finds little-endian text at an even offset and big-endian text at an odd
// one.

// utf16Matcher finds the tokens in the characters of UTF-16 text: plain,
// base64-encoded and legacy ones, as in any text. (The characters hold no
// NUL, so it finds no UTF-16 inside them.)
var utf16Matcher Matcher

// The blocks tested are utf16Block bytes at every utf16Stride: the
// shortest UTF-16 span a token is found in is utf16MinRun bytes (a legacy
// token and its context), and any utf16Stride+utf16Block-1 bytes hold such
// a block, which the check below keeps true.
const (
	utf16Block  = 16
	utf16Stride = 44
	utf16MinRun = 2 * (len("apiToken=") + legacyLen)
)

var _ [utf16MinRun - (utf16Stride + utf16Block - 1)]struct{} // no run too short to hold a block

// Masks of the bytes at even and at odd offsets of a little-endian word.
const (
	utf16Even = 0x00FF00FF00FF00FF
	utf16Odd  = 0xFF00FF00FF00FF00
	utf16Ones = 0x0101010101010101
	utf16High = 0x8080808080808080
)

// UTF16 yields the tokens that stand in b as UTF-16 text, little- or
// big-endian, as [Matcher.All] does unless NoDecode is set: plain tokens,
// and those base64-encoded or recognised as legacy tokens in the text.
// Each Match has Encoding EncodingUTF16; Start is the byte of the token's first character and
// End is one past the byte of its last, so that the span holds the NULs
// between the characters whichever the byte order (which the bytes around
// a token seldom settle). Kind, ID and Fingerprint are those of the token.
// Matches come in order of Start and overlap only as [Matcher.All]'s do,
// by the 'd' an Agent token ends in and the next token starts with.
func UTF16(b []byte) iter.Seq[Match] {
	return func(yield func(Match) bool) { utf16Tokens(b, yield) }
}

// utf16Tokens is UTF16 as a plain function, for Matcher.All; it reports
// whether yield asked for more.
func utf16Tokens(b []byte, yield func(Match) bool) bool {
	return utf16Scan(b, false, yield)
}

// utf16Scan finds the runs of UTF-16 text in b and yields the tokens in
// their characters, mapped back to b, as utf16Tokens documents; it reports
// whether yield asked for more. When nested is set, b is the decoding of
// base64 (decodeInner) and only the plain and legacy tokens in the
// characters are yielded, in no particular order: base64 is not decoded
// again inside them, nor UTF-16 searched for.
func utf16Scan(b []byte, nested bool, yield func(Match) bool) bool {
	var narrow []byte
	done := 0 // bytes before this are part of a run already matched
	for i := 0; ; i += utf16Stride {
		if i = utf16Next(b, i); i < 0 {
			break
		}
		if i+utf16Block <= done {
			continue
		}
		nul := utf16Phase(b[i : i+utf16Block])
		if nul < 0 {
			continue
		}
		// The characters are the bytes of the other parity, with a NUL
		// between each two: first and last are the run's first and last.
		ch := i + 1 - nul // the block's first character
		first, last := ch, ch
		for c := ch - 2; c >= done && b[c] != 0 && b[c+1] == 0; c -= 2 {
			first = c
		}
		for c := ch + 2; c < len(b) && b[c] != 0 && b[c-1] == 0; c += 2 {
			last = c
		}
		narrow = narrow[:0]
		for c := first; c <= last; c += 2 {
			narrow = append(narrow, b[c])
		}
		put := func(m Match) bool {
			m.Start, m.End = first+2*m.Start, first+2*m.End-1
			m.Lead = min(2*m.Lead, MaxLead)
			m.Encoding = EncodingUTF16
			return yield(m)
		}
		if nested {
			if !plain(narrow, put) {
				return false
			}
			more := true
			legacyTokens(narrow, func(m Match) bool { more = put(m); return more })
			if !more {
				return false
			}
		} else {
			for m := range utf16Matcher.All(narrow) {
				if !put(m) {
					return false
				}
			}
		}
		done = last + 1
	}
	return true
}

// UTF16Units appends to dst the UTF-16 units of b, from its first byte,
// big- or little-endian, a byte each: an ASCII unit as it is, 0xFF (which
// no URL holds) for any other. A unit U+0000 stays a NUL, which parts what
// stands before it from a URL after it, as it does in the text. It is how
// an environment URL written in ASCII is looked for in UTF-16 text.
func UTF16Units(dst, b []byte, bigEndian bool) []byte {
	for u := 0; u+1 < len(b); u += 2 {
		lo, hi := b[u], b[u+1]
		if bigEndian {
			lo, hi = hi, lo
		}
		if hi != 0 || lo >= 0x80 {
			lo = 0xFF
		}
		dst = append(dst, lo)
	}
	return dst
}

// utf16Next returns the first of the offsets i, i+utf16Stride, ... at
// which a block fits in b and its first word could be UTF-16 text: not all
// NUL, and NUL in every byte of one parity; -1 when there is none. Text
// has no NUL, and fails on its one word; NUL-filled data (a disk image, a
// sparse file) fails on x == 0. Two words are tested at a time, under one
// bounds check, while neither passes.
func utf16Next(b []byte, i int) int {
	for i+utf16Stride+utf16Block <= len(b) {
		w := b[i : i+utf16Stride+8]
		x, y := binary.LittleEndian.Uint64(w), binary.LittleEndian.Uint64(w[utf16Stride:])
		if utf16Maybe(x) || utf16Maybe(y) {
			break
		}
		i += 2 * utf16Stride
	}
	for ; i+utf16Block <= len(b); i += utf16Stride {
		if utf16Maybe(binary.LittleEndian.Uint64(b[i:])) {
			return i
		}
	}
	return -1
}

// utf16Maybe reports whether the word x could start UTF-16 text: it is not
// all NUL, and its bytes of one parity are.
func utf16Maybe(x uint64) bool { return x != 0 && (x&utf16Odd == 0 || x&utf16Even == 0) }

// utf16Phase tests a block: it returns 1 when the bytes at odd offsets are
// all NUL and those at even offsets none, 0 for the reverse, and -1 when the
// block alternates neither way.
func utf16Phase(blk []byte) int {
	var w [utf16Block / 8]uint64
	for k := range w {
		w[k] = binary.LittleEndian.Uint64(blk[8*k:])
	}
	// In a little-endian word the byte at an even offset is the low one.
	for _, nul := range [2]int{1, 0} {
		zero := uint64(utf16Odd)
		if nul == 0 {
			zero = utf16Even
		}
		ok := true
		for _, x := range w {
			// The NUL bytes must be zero and, with them set, no byte
			// may be zero: the characters are not NUL.
			y := x | zero
			if x&zero != 0 || (y-utf16Ones)&^y&utf16High != 0 {
				ok = false
				break
			}
		}
		if ok {
			return nul
		}
	}
	return -1
}
