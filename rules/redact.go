package rules

import "strings"

// Redact returns s with every token the [Matcher] finds in it replaced by its
// identifier and ".****", or by "****" where there is no identifier to show
// (a legacy token, or a token found encoded, whose text is not its
// identifier). It is for text that may hold a token and is shown to a
// person: an error message, an author name, a ref name.
func Redact(s string) string {
	var b strings.Builder
	last := 0
	for m := range (&Matcher{}).All([]byte(s)) {
		if m.End <= last {
			continue
		}
		b.WriteString(s[last:max(m.Start, last)])
		if m.ID != "" && m.Encoding == "" && m.Start >= last {
			b.WriteString(string(m.ID) + ".")
		}
		b.WriteString("****")
		last = m.End
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
