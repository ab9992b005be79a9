package rules

import "strings"

// Redact returns s with every token the [Matcher] finds in it (with its
// default settings: decoded forms included) replaced by the token's
// identifier and ".****", or by "****" where the token has no identifier
// to show (a legacy token, or a token found in an encoded form, whose
// surrounding text would otherwise still hold the encoded secret). Text
// that is not part of a match is returned as it is.
//
// Every string that is printed and may hold bytes taken from outside (a
// file name, an error message quoting an argument, an author name) goes
// through Redact before it leaves the program.
func Redact(s string) string {
	var (
		b    strings.Builder
		last int
		m    Matcher
	)
	for mt := range m.All([]byte(s)) {
		if mt.Start < last {
			continue
		}
		b.WriteString(s[last:mt.Start])
		if mt.ID != "" && mt.Encoding == "" {
			b.WriteString(string(mt.ID) + ".")
		}
		b.WriteString("****")
		last = mt.End
	}
	if last == 0 && b.Len() == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
