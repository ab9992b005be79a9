package report

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Escape makes text from scanned content or a repository safe to print on a
// terminal. A string of printable UTF-8 is returned as it is; any other
// (control characters such as ESC, CR or LF, invisible format characters
// such as bidirectional overrides, invalid UTF-8) is returned quoted with
// Go escapes, as [strconv.Quote] writes it. A string that begins with a
// double quote is quoted too, so that a quoted form is never ambiguous: an
// output beginning with '"' is always one to unquote.
func Escape(s string) string {
	if !needsQuote(s) {
		return s
	}
	return strconv.Quote(s)
}

func needsQuote(s string) bool {
	if strings.HasPrefix(s, `"`) {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < ' ' || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || !strconv.IsPrint(r) {
			return true
		}
		i += n
	}
	return false
}

// validUTF8 returns s with each byte that is not part of valid UTF-8
// replaced by U+FFFD, exactly as encoding/json writes such a string. JSON
// output and baseline matching both use it, so a path that is not UTF-8
// matches itself across a JSON round trip.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
