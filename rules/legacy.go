package rules

import (
	"bytes"
	"iter"
	"strings"
)

// This file finds legacy tokens: the 21-character tokens Dynatrace issued
// before the prefixed format (version 1.210), which stay valid until
// revoked. Dynatrace does not document their alphabet; its own
// platform-constants library (github.com/Dynatrace-ESA/platform-constants,
// dynatraceTokenRegex) matches them as [A-Za-z0-9_-]{21}, and that is the
// alphabet used here.
//
// Twenty-one such characters are nothing special on their own, so a
// candidate counts only where a person would recognise a token:
//
//   - an Authorization header with the Api-Token scheme
//     ("Authorization: Api-Token <t>", also inside curl -H '...' and as a
//     JSON or YAML key and value), any case;
//   - an assignment to one of the names below, in YAML (apiToken: <t>),
//     JSON ("apiToken": "<t>"), env and shell (DT_API_TOKEN=<t>, export,
//     quoted), HCL (api_token = "<t>"), command-line flags
//     (--api-token=<t>) and URL queries (?api-token=<t>).
//
// The names are apiToken, paasToken, dataIngestToken, DT_API_TOKEN and
// DYNATRACE_API_TOKEN, compared without regard to case, '_' or '-': so
// api_token, API-TOKEN, paas_token and dt_api_token count too, because
// Helm values, env files and HCL spell the same setting in their own case.
// A longer name that merely contains one (TF_VAR_dt_api_token,
// GITHUB_API_TOKEN) does not.
//
// A value counts only if it is exactly 21 characters of the alphabet,
// closed by the matching quote or by the end of the value, and looks
// random: it has both an upper- and a lower-case letter, no character
// four times in a row, and no placeholder word (token, your, example...).
// A random 21-character value fails that test about once in 30,000; a
// hand-written placeholder nearly always does.
//
// The same contexts are recognised base64-encoded, once or twice, and in
// UTF-16 text, either inside the other (see Decoded and UTF16).

// LegacyTokens yields the legacy tokens in b, in order and never overlapping.
// Each Match has the Kind Classify("", Legacy), no ID (a legacy token has no
// public portion, so no character of it is ever shown), the fingerprint of
// its 21 characters, and Start and End the token itself. The context it was
// recognised by lies before Start, within a few dozen bytes: well inside
// [MaxSpan].
func LegacyTokens(b []byte) iter.Seq[Match] {
	return func(yield func(Match) bool) { legacyTokens(b, yield) }
}

// legacyTokens is LegacyTokens as a plain function, so that Matcher.All can
// call it without allocating a closure.
//
// A value LegacyTokens accepts is a whole run of name characters, exactly
// legacyLen long: the byte before it is a separator, space or quote, and
// the byte after it a quote or a terminator (or b ends). The keywords are
// searched for only before such a run, from legacyReach bytes ahead of it
// (extended back to the start of the name there): random bytes and most
// text hold no such run, and then no keyword is searched for at all.
//
// Searching from there finds exactly what a search from the start would:
// after each keyword, the search resumes at the end of a name or value,
// where no name character stands, so it resumes from a place a search
// started at p (with no name character at p-1) would also pass through,
// unless an earlier keyword yields a value past p; and that value would be
// a run legacyRuns finds first.
func legacyTokens(b []byte, yield func(Match) bool) {
	if legacyWordy(b) {
		// Text: most bytes are name characters and runs of them are
		// short, so that looking for runs reads most of the bytes, where
		// 'k' is rare and the vectorised search for it skips them.
		legacyTokensBefore(b, 0, len(b), yield)
		return
	}
	// Binary data without a 'k' (NUL-filled files, many images) holds no
	// keyword: two vectorised searches say so faster than the runs do.
	if bytes.IndexByte(b, 'k') < 0 && bytes.IndexByte(b, 'K') < 0 {
		return
	}
	legacyTokensByRun(b, yield)
}

// legacyTokensByRun is legacyTokens searching for keywords only before
// runs of legacyLen name characters.
func legacyTokensByRun(b []byte, yield func(Match) bool) {
	i := 0 // where the next keyword search starts, as in the plain loop
	for r := legacyRun(b, 0); r >= 0; r = legacyRun(b, r+legacyLen+1) {
		if r < i {
			continue // inside a value already yielded
		}
		p := max(i, r-legacyReach)
		for p > i && legacyNameChar(b[p-1]) {
			p--
		}
		var more bool
		if i, more = legacyTokensBefore(b, p, r, yield); !more {
			return
		}
	}
}

// legacyWordy reports whether b looks like text rather than binary or
// random bytes, from a sample of legacySample bytes spread over it: whether
// at least half of them are name characters. In random bytes a quarter
// are; in source code and prose, most. Both ways of searching find the same
// tokens; this picks the faster.
func legacyWordy(b []byte) bool {
	if len(b) < 4*legacySample {
		return true // small enough that the plain search costs little
	}
	n, step := 0, len(b)/legacySample
	for i := step / 2; i < len(b); i += step {
		if legacyNameChar(b[i]) {
			n++
		}
	}
	return 2*n >= legacySample
}

const legacySample = 64

// legacyReach bounds how far a name can end before its value: a quote,
// two runs of at most 32 spaces (legacySpaces), a separator of up to two
// bytes and a quote; and one more byte, for the last character of the name.
const legacyReach = 1 + 32 + 2 + 32 + 1 + 1

// legacyRun returns the start of the first run of exactly legacyLen name
// characters at or after i (not preceded or followed by one), or -1. Such a
// run holds, for exactly one of the offsets q = i, i+step, i+2*step, ...
// (step = legacyLen-2), the three bytes from q: only those triples are
// read until one is all name characters, and only then is the run around
// it measured. In random bytes a triple passes one time in 64, so the test
// is a few loads and a branch the processor predicts; two triples are
// tested at a time, under one bounds check. Each byte is read at most
// three times.
func legacyRun(b []byte, i int) int {
	const step = legacyLen - 2
	t := &legacyNameChars
	q := i
	for {
		// Two triples at a time while neither passes: one bounds check
		// for both, and half the loop's branches.
		for q+2*step+2 < len(b) {
			w := b[q : q+2*step+3]
			if t[w[0]]&t[w[1]]&t[w[2]]|t[w[step]]&t[w[step+1]]&t[w[step+2]] != 0 {
				break
			}
			q += 2 * step
		}
		if q+2 >= len(b) {
			return -1
		}
		if t[b[q]]&t[b[q+1]]&t[b[q+2]] == 0 {
			q += step
			continue
		}
		s, e := q, q+3
		for s > i && t[b[s-1]] != 0 {
			s--
		}
		for e < len(b) && t[b[e]] != 0 {
			e++
		}
		if e-s == legacyLen && (s == 0 || t[b[s-1]] == 0) {
			return s
		}
		// b[e] is no name character: the next run starts after it.
		i = e + 1
		q = i
	}
}

// legacyTokensBefore is the plain loop of keyword searches, from p, over the
// keywords that end by r; it returns where the search would go on, and
// whether yield asked for more.
func legacyTokensBefore(b []byte, p, r int, yield func(Match) bool) (int, bool) {
	kw := legacyKeywords{b: b[:r], lower: legacyIndex(b[:r], p, 'k'), upper: legacyIndex(b[:r], p, 'K')}
	for i := p; ; {
		k := kw.next(i)
		if k < 0 {
			return i, true
		}
		// The name that holds the keyword.
		s, e := k, k+len("token")
		for s > 0 && k-s < legacyMaxName && legacyNameChar(b[s-1]) {
			s--
		}
		for e < len(b) && legacyNameChar(b[e]) {
			e++
		}
		i = e
		if s > 0 && legacyNameChar(b[s-1]) {
			continue // a name too long to be one of ours
		}
		cs, ts, ok := legacyValue(b, s, e)
		if !ok {
			continue
		}
		te := ts + legacyLen
		i = te
		if !yield(Match{
			Start:       ts,
			End:         te,
			Lead:        min(ts-cs, MaxLead),
			Kind:        Classify("", Legacy),
			Fingerprint: FingerprintOf(b[ts:te]),
		}) {
			return i, false
		}
	}
}

const (
	legacyLen = 21
	// legacyMaxName bounds the name scanned around a keyword; the longest
	// name recognised, DYNATRACE_API_TOKEN, is 19.
	legacyMaxName = 32
)

// legacyKeywords finds "token", in any case, in b: every context
// LegacyTokens knows holds that word. 'k' and 'K' are rare enough in text
// (about one byte in 150 of Go source) that IndexByte, which is vectorised,
// skips most of the input; the next offset of each is kept, so neither is
// searched for twice over the same bytes. (Measured against a word-at-a-time
// search for either letter, this is twice as fast.)
type legacyKeywords struct {
	b            []byte
	lower, upper int // the next 'k' and 'K' not yet looked at, or -1
}

func legacyIndex(b []byte, i int, c byte) int {
	if i >= len(b) {
		return -1
	}
	if j := bytes.IndexByte(b[i:], c); j >= 0 {
		return i + j
	}
	return -1
}

// next returns the offset of the next "token" that starts at or after i,
// or -1.
func (k *legacyKeywords) next(i int) int {
	for {
		// The 'k' of a "token" at or after i is at i+2 or later.
		if k.lower >= 0 && k.lower < i+2 {
			k.lower = legacyIndex(k.b, i+2, 'k')
		}
		if k.upper >= 0 && k.upper < i+2 {
			k.upper = legacyIndex(k.b, i+2, 'K')
		}
		j := k.lower
		if j < 0 || k.upper >= 0 && k.upper < j {
			j = k.upper
		}
		if j < 0 {
			return -1
		}
		if p := legacyTokenAt(k.b, j); p >= 0 {
			return p
		}
		i = j - 1 // past this 'k'
	}
}

// legacyTokenAt returns where "token" starts if b[j] is its 'k', or -1.
func legacyTokenAt(b []byte, j int) int {
	if b[j]|0x20 != 'k' || j < 2 || j+3 > len(b) || !legacyFold(b[j-2:j+3], "token") {
		return -1
	}
	return j - 2
}

// legacyValue looks, after the name b[s:e], for the separator and value of
// a context Legacy knows, and returns where the context starts (the name,
// or the Authorization header before it) and where a valid token value
// starts.
func legacyValue(b []byte, s, e int) (cs, ts int, ok bool) {
	name := b[s:e]
	switch {
	case legacyFold(name, "api-token"):
		// The Authorization scheme: Api-Token, spaces, the token.
		if cs, ts, ok := legacyHeader(b, s, e); ok {
			return cs, ts, true
		}
	case !legacyIsName(name):
		return 0, 0, false
	}
	i := e
	quote := byte(0)
	if i < len(b) && (b[i] == '"' || b[i] == '\'') && s > 0 && b[s-1] == b[i] {
		i++ // a quoted key: "apiToken":
	}
	i = legacySpaces(b, i)
	switch {
	case i < len(b) && b[i] == '=':
		i++
	case i+1 < len(b) && b[i] == ':' && b[i+1] == '=':
		i += 2
	case i < len(b) && b[i] == ':':
		i++
	default:
		return 0, 0, false
	}
	i = legacySpaces(b, i)
	if i < len(b) && (b[i] == '"' || b[i] == '\'') {
		quote = b[i]
		i++
	}
	return s, i, legacyToken(b, i, quote)
}

// legacyHeader recognises "Authorization: Api-Token <t>", where b[s:e] is
// "Api-Token": the name before it must be Authorization, separated by a
// colon (or, in JSON and YAML, by quotes around key and value). It returns
// where "Authorization" starts and where the token value does.
func legacyHeader(b []byte, s, e int) (cs, ts int, ok bool) {
	i := e
	if i >= len(b) || b[i] != ' ' && b[i] != '\t' {
		return 0, 0, false
	}
	i = legacySpaces(b, i)
	j := s
	for n := 0; j > 0 && n < 8 && strings.IndexByte(" \t\"':=", b[j-1]) >= 0; n++ {
		j--
	}
	const auth = "authorization"
	if j < len(auth) || !legacyFold(b[j-len(auth):j], auth) || j > len(auth) && legacyNameChar(b[j-len(auth)-1]) {
		return 0, 0, false
	}
	if bytes.IndexByte(b[j:s], ':') < 0 && bytes.IndexByte(b[j:s], '=') < 0 {
		return 0, 0, false
	}
	quote := byte(0)
	if s > 0 && (b[s-1] == '"' || b[s-1] == '\'') {
		quote = b[s-1] // "Authorization": "Api-Token <t>"
	}
	return j - len(auth), i, legacyToken(b, i, quote)
}

// legacyToken reports whether a valid token value starts at b[i] and ends
// with the closing quote, or with the end of an unquoted value.
func legacyToken(b []byte, i int, quote byte) bool {
	if len(b)-i < legacyLen {
		return false
	}
	e := i + legacyLen
	for _, c := range b[i:e] {
		if !legacyNameChar(c) {
			return false
		}
	}
	if quote != 0 {
		if e >= len(b) || b[e] != quote {
			return false
		}
	} else if e < len(b) && strings.IndexByte(" \t\r\n,;&#}])\"'", b[e]) < 0 {
		return false
	}
	return legacyRandom(b[i:e])
}

// legacyRandom reports whether a candidate looks like a generated token
// rather than a placeholder someone typed.
func legacyRandom(t []byte) bool {
	var upper, lower bool
	run := 1
	for i, c := range t {
		upper = upper || 'A' <= c && c <= 'Z'
		lower = lower || 'a' <= c && c <= 'z'
		if i > 0 && c == t[i-1] {
			run++
			if run >= 4 {
				return false
			}
		} else {
			run = 1
		}
	}
	if !upper || !lower {
		return false
	}
	for _, w := range legacyPlaceholders {
		for i := 0; i+len(w) <= len(t); i++ {
			if legacyFold(t[i:i+len(w)], w) {
				return false
			}
		}
	}
	return true
}

// legacyPlaceholders are words found in hand-written stand-ins for a
// token. A random token holds one of them with odds below one in a million.
var legacyPlaceholders = []string{"token", "your", "example", "placeholder", "secret", "dummy", "changeme", "redacted", "sample", "fake", "test"}

// legacyNames are the names assigned a legacy token, lower case, without
// '_' and '-'.
var legacyNames = []string{"apitoken", "paastoken", "dataingesttoken", "dtapitoken", "dynatraceapitoken"}

// legacyIsName reports whether name, ignoring case, '_' and '-', is one of
// legacyNames.
func legacyIsName(name []byte) bool {
	var buf [legacyMaxName + len("token")]byte
	n := 0
	for _, c := range name {
		if c == '_' || c == '-' {
			continue
		}
		if n == len(buf) {
			return false
		}
		buf[n] = legacyLower(c)
		n++
	}
	for _, w := range legacyNames {
		if string(buf[:n]) == w {
			return true
		}
	}
	return false
}

func legacyNameChar(c byte) bool { return legacyNameChars[c] != 0 }

// legacyNameChars holds 1 for every name character, [A-Za-z0-9_-] (the
// alphabet of a legacy token), and 0 for every other byte.
var legacyNameChars = func() (t [256]uint8) {
	for c := range t {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' {
			t[c] = 1
		}
	}
	return t
}()

func legacyLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// legacyFold reports whether b equals the lower-case ASCII word w, ignoring
// case.
func legacyFold(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i := range b {
		if legacyLower(b[i]) != w[i] {
			return false
		}
	}
	return true
}

// legacySpaces skips spaces and tabs, at most a few dozen, from b[i].
func legacySpaces(b []byte, i int) int {
	for n := 0; i < len(b) && n < 32 && (b[i] == ' ' || b[i] == '\t'); n++ {
		i++
	}
	return i
}
