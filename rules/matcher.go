package rules

import (
	"bytes"
	"iter"
)

// Matcher finds tokens in bytes. The zero value is ready to use and safe for
// concurrent use.
type Matcher struct{}

// All yields the tokens in b in order of their start, leftmost first and
// never overlapping, exactly as [Pattern] would find them.
func (m *Matcher) All(b []byte) iter.Seq[Match] {
	return func(yield func(Match) bool) {
		for i := 0; ; {
			j := bytes.Index(b[i:], []byte("dt0"))
			if j < 0 {
				return
			}
			p := i + j
			if end, ok := standardAt(b, p); ok {
				if !yield(newMatch(b, p, end, Standard, 6+1+24, "")) {
					return
				}
				i = end
				continue
			}
			i = p + 1
		}
	}
}

func isUpperDigit(c byte) bool { return 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }
func isLetter(c byte) bool     { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool      { return '0' <= c && c <= '9' }

// standardAt reports whether a documented token starts at p, and where it ends.
func standardAt(b []byte, p int) (int, bool) {
	const n = 6 + 1 + 24 + 1 + 64
	if len(b)-p < n {
		return 0, false
	}
	t := b[p : p+n]
	if !isLetter(t[3]) || !isDigit(t[4]) || !isDigit(t[5]) || t[6] != '.' || t[31] != '.' {
		return 0, false
	}
	for i := 7; i < n; i++ {
		if i != 31 && !isUpperDigit(t[i]) {
			return 0, false
		}
	}
	return p + n, true
}

// newMatch builds a Match for the token b[start:end]; idLen is the length of
// its identifier (prefix, dot, public portion).
func newMatch(b []byte, start, end int, shape Shape, idLen int, encoding string) Match {
	tok := b[start:end]
	return Match{
		Start:       start,
		End:         end,
		Kind:        Classify(string(tok[:6]), shape),
		ID:          ID(tok[:idLen]),
		Fingerprint: fingerprint(tok),
		Encoding:    encoding,
	}
}
