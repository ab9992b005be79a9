package rules

import (
	"cmp"
	"encoding/binary"
	"iter"
	"math/bits"
	"slices"
)

// Matcher finds tokens in bytes. The zero value is ready to use and safe for
// concurrent use.
type Matcher struct {
	// NoDecode turns off the search for encoded tokens: base64 ([Decoded])
	// and UTF-16 ([UTF16]) alike.
	NoDecode bool
}

// Lengths of the parts of a token.
const (
	prefixLen   = 6
	publicLen   = 24 // Standard
	compactLen  = 8  // Short and Agent public portion
	secretLen   = 64
	standardLen = prefixLen + 1 + publicLen + 1 + secretLen  // 96
	compactTLen = prefixLen + 1 + compactLen + 1 + secretLen // 80
)

// All yields the tokens in b in order of their start, overlapping only where
// one token's last byte is the first of the next (see below): every
// Standard-shaped token exactly as
// regexp.MustCompile(Pattern).FindAllIndex(b, -1) finds it, and every Short-
// and Agent-shaped token with a prefix the catalogue lists for that shape. It
// works on any bytes (binary, invalid UTF-8, NUL) and allocates only for the
// matches it yields.
//
// # Why the matcher skips 63 bytes out of 64
//
// Every token of every shape ends in a secret of exactly 64 characters of
// one class, [A-Z0-9] or [0-9a-f], just after a dot. Any 64 consecutive
// positions hold exactly one multiple of 64 (offset by 63), so the matcher
// reads only b[63], b[127], ...: a sample whose byte is outside both classes
// lies in no secret. For a sample s inside a class, a secret holding it
// starts at t with s-63 <= t <= s, b[t-1] == '.', and b[t..s] all of the
// class. Every secret character is at least '0' and the dot is below it, so
// the last byte below '0' before s, found eight bytes at a time, is the only
// candidate for t-1; a dot there and "dt0" at t-32 (Standard) or t-16
// (Short, Agent) select the shape, and only then is the whole token
// checked. No two tokens share a sample, since two secrets holding one
// sample would need a dot inside a secret. The work is one load per 64
// bytes, plus at most eight word tests and one token check at a sample
// inside a class: linear in the worst case, and a small fraction of a
// byte-wise scan on ordinary text.
//
// # Why the hits never overlap, and the one exception
//
// Let q be a token starting inside token p (p < q < p+len(p)). The byte at
// q is 'd' and q+1 is 't'. In p, lower-case letters occur only in the
// prefix, where 'd' can only be at p+3 and p+4 is a digit, not 't', and in
// the Agent shape's environment ID and hex secret. Both of p's dots are at
// fixed places (p+6, and p+15 or p+31), and q needs dots at q+6 and at q+15
// or q+31. If q starts in p's public portion, q+6 must be p's second dot,
// and q's second dot then falls inside p's secret, which has none. If q
// starts in p's secret, q+1 = 't' is in no secret class, so q is p's last
// byte; only a hex secret can end in 'd'. Hence the one overlap possible: an
// Agent token whose secret ends in 'd', glued to "t0..." that completes a
// token starting at that 'd'. Each of the two is a secret someone can use,
// so both are yielded, sharing that byte; a Standard token there is still
// exactly what [Pattern] finds. Everywhere else the hits are disjoint.
//
// # Encoded and legacy tokens
//
// Unless NoDecode is set, All also yields the tokens [Decoded] finds in
// base64 text and those [UTF16] finds in UTF-16 text, and always the legacy
// tokens [LegacyTokens] recognises from their context. All are rare, so
// they are collected first and merged into
// the stream of plain matches by Start; where two spans overlap, the one
// that starts first (a plain match on a tie) is kept, except that a token
// starting at the 'd' that ends the one before is kept as well, as above
// (in UTF-16 text too).
func (m *Matcher) All(b []byte) iter.Seq[Match] {
	return func(yield func(Match) bool) {
		var extra []Match
		collect := func(x Match) bool { extra = append(extra, x); return true }
		if !m.NoDecode {
			decoded(b, collect)
			utf16Tokens(b, collect)
		}
		legacyTokens(b, collect)
		if len(extra) == 0 {
			plain(b, yield)
			return
		}
		slices.SortStableFunc(extra, func(x, y Match) int { return cmp.Compare(x.Start, y.Start) })
		end, i := 0, 0
		emit := func(x Match) bool {
			if x.Start < end && !(x.Start == end-1 && b[x.Start] == 'd') {
				return true
			}
			end = x.End
			return yield(x)
		}
		if !plain(b, func(p Match) bool {
			for ; i < len(extra) && extra[i].Start < p.Start; i++ {
				if !emit(extra[i]) {
					return false
				}
			}
			return emit(p)
		}) {
			return
		}
		for ; i < len(extra); i++ {
			if !emit(extra[i]) {
				return
			}
		}
	}
}

// plain yields the tokens that stand in b as they are, as All documents,
// and reports whether yield asked for more.
//
// Every shape's secret is secretLen characters of one class. The probes
// are the pairs b[s], b[s+1] at every plainStride bytes: the first
// secretLen-1 bytes of a secret hold exactly one probe's first byte, so
// each token is found from exactly one probe (one whose first byte is the
// secret's last is left to the probe before), in order. A pair whose
// bytes share no secret class (all but about one in forty in random
// bytes; one in six had a single byte been tested) is passed over with
// two loads and a branch the processor predicts.
func plain(b []byte, yield func(Match) bool) bool {
	for s := plainStride - 1; s+1 < len(b); s += plainStride {
		if secretClass[b[s]]&secretClass[b[s+1]] == 0 {
			continue
		}
		start, shape, ok := tokenAround(b, s)
		if !ok {
			continue
		}
		n := standardLen
		if shape != Standard {
			n = compactTLen
		}
		if s == start+n-1 {
			// b[s] is the secret's last byte, b[s+1] a byte after it:
			// the probe plainStride before holds the secret's first
			// two bytes, and found it there.
			continue
		}
		if !yield(newMatch(b, start, start+n, shape, identLen(shape), EncodingNone)) {
			return false
		}
	}
	return true
}

// plainStride is the distance between plain's probes: secretLen-1, so that
// every secretLen bytes hold one probe's two bytes.
const plainStride = secretLen - 1

// Character classes, as bits in classes.
const (
	clUpperDigit = 1 << iota // [A-Z0-9]: Standard and Short parts
	clHex                    // [0-9a-f]: Agent secret
	clLowerDigit             // [a-z0-9]: Agent environment ID
	clLetter                 // [a-zA-Z]
	clDigit                  // [0-9]
)

// classes maps every byte to its class bits; secretClass keeps only the
// classes a secret can be made of.
var classes, secretClass = func() (t, s [256]uint8) {
	for c := 0; c < 256; c++ {
		var v uint8
		switch {
		case '0' <= c && c <= '9':
			v = clUpperDigit | clHex | clLowerDigit | clDigit
		case 'A' <= c && c <= 'Z':
			v = clUpperDigit | clLetter
		case 'a' <= c && c <= 'f':
			v = clHex | clLowerDigit | clLetter
		case 'g' <= c && c <= 'z':
			v = clLowerDigit | clLetter
		}
		t[c] = v
		s[c] = v & (clUpperDigit | clHex)
	}
	return t, s
}()

// tokenAround finds the token whose secret holds b[s], if there is one, and
// returns its start and shape. It reads a few words unless b[s] lies in a
// run of secret characters just after a dot and "dt0" stands where a shape
// puts the prefix; only then does it check a whole token.
func tokenAround(b []byte, s int) (start int, shape Shape, ok bool) {
	// Every secret character is at least '0', and the dot before a secret
	// is below it: if a secret holding s starts at t, the last byte below
	// '0' before s is the dot at t-1, with s-64 <= t-1, and no token fits
	// before that dot unless t-1 >= 15. The dot found may still be followed
	// by bytes of no secret class; the whole-token check below rules those
	// out.
	lo := max(s-secretLen, compactTLen-secretLen-1)
	d := lastBelowZero(b, lo, s)
	if d < 0 || b[d] != '.' || d+1+secretLen > len(b) {
		return 0, 0, false
	}
	t := d + 1
	cl := secretClass[b[s]]
	if cl&clUpperDigit != 0 {
		if p := t - (standardLen - secretLen); p >= 0 && b[p] == 'd' && b[p+1] == 't' && b[p+2] == '0' {
			if _, ok := standardAt(b, p); ok {
				return p, Standard, true
			}
		}
		if p := t - (compactTLen - secretLen); b[p] == 'd' && b[p+1] == 't' && b[p+2] == '0' {
			if _, ok := shortAt(b, p); ok {
				return p, Short, true
			}
		}
	}
	if cl&clHex != 0 {
		if p := t - (compactTLen - secretLen); b[p] == 'd' && b[p+1] == 't' && b[p+2] == '0' {
			if _, ok := agentAt(b, p); ok {
				return p, Agent, true
			}
		}
	}
	return 0, 0, false
}

// lastBelowZero returns the index of the last byte below '0' in b[lo:hi],
// or -1 if there is none. It tests eight bytes at a time: for a byte v,
// (v&0x7f)+0x50 reaches 0x80 exactly when v&0x7f >= 0x30, never carrying
// into the next byte, so with v's own top bit or-ed in, the top bit of each
// byte is clear exactly when v < '0'.
func lastBelowZero(b []byte, lo, hi int) int {
	const (
		low7 = 0x7f7f7f7f7f7f7f7f
		add  = 0x5050505050505050 // 0x80 - '0' in every byte
		top  = 0x8080808080808080
	)
	i := hi
	for ; i-8 >= lo; i -= 8 {
		x := binary.LittleEndian.Uint64(b[i-8 : i])
		if below := ^((x&low7 + add) | x) & top; below != 0 {
			return i - 1 - bits.LeadingZeros64(below)/8
		}
	}
	for i > lo {
		i--
		if b[i] < '0' {
			return i
		}
	}
	return -1
}

// standardAt reports whether a documented token starts at p, and where it ends.
func standardAt(b []byte, p int) (int, bool) {
	const n = standardLen
	if p < 0 || len(b)-p < n {
		return 0, false
	}
	t := b[p : p+n]
	// The last byte first: it rejects a secret one character short at once.
	if classes[t[n-1]]&clUpperDigit == 0 || t[0] != 'd' || t[1] != 't' || t[2] != '0' || classes[t[3]]&clLetter == 0 ||
		classes[t[4]]&clDigit == 0 || classes[t[5]]&clDigit == 0 || t[6] != '.' || t[31] != '.' {
		return 0, false
	}
	if !all(t[7:31], clUpperDigit) || !all(t[32:], clUpperDigit) {
		return 0, false
	}
	return p + n, true
}

// shortAt reports whether a Short-shaped token with a prefix the catalogue
// lists for that shape starts at p, and where it ends.
func shortAt(b []byte, p int) (int, bool) {
	const n = compactTLen
	if p < 0 || len(b)-p < n {
		return 0, false
	}
	t := b[p : p+n]
	if classes[t[n-1]]&clUpperDigit == 0 {
		return 0, false
	}
	switch string(t[:prefixLen]) {
	case "dt0g02", "dt0s02", "dt0s03", "dt0s08", "dt0s16":
	default:
		return 0, false
	}
	if t[6] != '.' || t[15] != '.' || !all(t[7:15], clUpperDigit) || !all(t[16:], clUpperDigit) {
		return 0, false
	}
	return p + n, true
}

// agentAt reports whether an agent connection token (dt0a01, an environment
// ID, a hex secret) starts at p, and where it ends.
func agentAt(b []byte, p int) (int, bool) {
	const n = compactTLen
	if p < 0 || len(b)-p < n {
		return 0, false
	}
	t := b[p : p+n]
	if classes[t[n-1]]&clHex == 0 || string(t[:prefixLen]) != "dt0a01" || t[6] != '.' || t[15] != '.' ||
		!all(t[7:15], clLowerDigit) || !all(t[16:], clHex) {
		return 0, false
	}
	return p + n, true
}

// all reports whether every byte of t is in class cl.
func all(t []byte, cl uint8) bool {
	for _, c := range t {
		if classes[c]&cl == 0 {
			return false
		}
	}
	return true
}

// identLen is the length of the identifier (prefix, dot, public portion) of a
// token of the given shape.
func identLen(shape Shape) int {
	if shape == Standard {
		return prefixLen + 1 + publicLen
	}
	return prefixLen + 1 + compactLen
}

// newMatch builds a Match for the token b[start:end]; idLen is the length of
// its identifier (prefix, dot, public portion).
func newMatch(b []byte, start, end int, shape Shape, idLen int, encoding Encoding) Match {
	tok := b[start:end]
	return Match{
		Start:       start,
		End:         end,
		Kind:        Classify(string(tok[:6]), shape),
		ID:          ID(tok[:idLen]),
		Fingerprint: FingerprintOf(tok),
		Encoding:    encoding,
	}
}
