package rules

import (
	"bytes"
	"encoding/base64"
)

// DecodedEnvironment returns the base URL of the Dynatrace environment
// named in the same base64 text as the token m, a match of EncodingBase64
// in b: the run of base64 characters on m's line that holds m is decoded
// (and decoded once more when the result is base64 text itself, as
// Decoded reads a token encoded twice), and the environment nearest to the
// token in the decoded text is returned. A URL written beside the encoded
// text, not inside it, is found by Nearest on b; this finds the one a
// Kubernetes Secret or an env file encodes together with the token.
// When the decoded text is UTF-16 (base64 of a PowerShell output file), the
// URL is read in its characters.
//
// b may itself be the characters of UTF-16 text, for a token found in
// base64 inside it ([UTF16]); then m's span need only start inside the
// base64 run.
func DecodedEnvironment(b []byte, m Match) (string, bool) {
	if m.Encoding != EncodingBase64 || m.Start < 0 || m.End > len(b) || m.Start >= m.End {
		return "", false
	}
	s, e := m.Start, m.End
	for s > 0 && base64Char(b[s-1]) {
		s--
	}
	for e < len(b) && base64Char(b[e]) {
		e++
	}
	// A block wrapped over lines (base64's 76 columns, PEM's 64, indented
	// in YAML): the lines before and after that are base64 characters
	// only, once their indentation is trimmed, are part of the text.
	// The span of a match in a wrapped block holds line breaks and
	// indentation; the text is the base64 characters only.
	run := bytes.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, b[s:e])
	before := 0 // characters of the lines joined before m's
	if s > 0 && (b[s-1] == ' ' || b[s-1] == '\t' || b[s-1] == '\n' || b[s-1] == '\r') {
		for ls := bytes.LastIndexByte(b[:s], '\n'); ls > 0; {
			ps := bytes.LastIndexByte(b[:ls], '\n') + 1
			line := bytes.TrimSpace(b[ps:ls])
			// The line's last run of base64 characters, as Decoded
			// joins it: what stands before it (a byte order mark, a
			// key) ends the block.
			j := len(line)
			for j > 0 && base64Char(line[j-1]) {
				j--
			}
			prev := line[j:]
			if len(prev) == 0 || bytes.HasSuffix(prev, []byte("=")) {
				break
			}
			run = append(append([]byte(nil), prev...), run...)
			before += len(prev)
			if j > 0 {
				break
			}
			ls = ps - 1
		}
	}
	for ne := e; ne < len(b) && (b[ne] == '\r' || b[ne] == '\n') && !bytes.HasSuffix(run, []byte("=")); {
		ns := ne
		for ns < len(b) && (b[ns] == '\r' || b[ns] == '\n') {
			ns++
		}
		le := bytes.IndexByte(b[ns:], '\n')
		if le < 0 {
			le = len(b) - ns
		}
		next := bytes.TrimSpace(b[ns : ns+le])
		if len(next) == 0 || !allBase64(next) {
			break
		}
		run = append(run, next...)
		ne = ns + le
	}
	text := decodeAny(run)
	// Where the token is in the decoded text, near enough for the
	// nearest environment: three bytes for four characters.
	at := (before + m.Start - s) * 3 / 4
	for range decodeMaxDepth {
		if text == nil {
			return "", false
		}
		at = min(at, len(text))
		if envs := Environments(text); len(envs) > 0 {
			return Nearest(text, envs, at)
		}
		if bytes.IndexByte(text, 0) >= 0 {
			// UTF-16 text inside the base64, as Decoded reads it: its
			// characters, for a URL written in ASCII. Only when the
			// bytes as they are name no environment, as text that is
			// not UTF-16 but holds a stray NUL does.
			text, at = utf16Chars(text), at/2
			if envs := Environments(text); len(envs) > 0 {
				return Nearest(text, envs, min(at, len(text)))
			}
		}
		text = decodeAny(bytes.TrimSpace(text))
		at = at * 3 / 4
	}
	return "", false
}

// utf16Chars returns the characters of b read as UTF-16 text, as
// [UTF16Units] gives them, in the byte order that puts more NULs in the
// high bytes.
func utf16Chars(b []byte) []byte {
	var nul [2]int // NULs at even and at odd offsets
	for i, c := range b {
		if c == 0 {
			nul[i&1]++
		}
	}
	return UTF16Units(nil, b, nul[0] > nul[1])
}

// base64Char reports whether c is a character of either base64 alphabet,
// or padding.
func base64Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_' || c == '='
}

// decodeAny decodes run in the standard or the URL-safe alphabet, padded or
// not, or returns nil.
func decodeAny(run []byte) []byte {
	r := bytes.TrimRight(run, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if out, err := enc.DecodeString(string(r)); err == nil {
			return out
		}
	}
	return nil
}

// allBase64 reports whether every byte of l is a base64 character.
func allBase64(l []byte) bool {
	for _, c := range l {
		if !base64Char(c) {
			return false
		}
	}
	return true
}
