package ignore

import (
	"strings"
	"testing"
	"unicode/utf8"

	gitignore "github.com/sabhiram/go-gitignore"
)

// TestGitignoreGaps shows each place where go-gitignore, used as it
// is, disagrees with git, and that List agrees with git. If a case's
// raw result starts to agree with git, go-gitignore was fixed and the
// workaround in compile can go.
func TestGitignoreGaps(t *testing.T) {
	tests := []struct {
		why     string
		lines   string
		path    string // relative to the ignore file's directory
		isDir   bool
		rawPath string // the path as one would pass it to go-gitignore
		want    bool   // git's answer: ignored
	}{
		{"a pattern with an inner slash is anchored", "a/b", "x/a/b", false, "x/a/b", false},
		{"dir-only matches only with a trailing slash on the path", "foo/", "foo", true, "foo", true},
		{"with that slash, foo/* matches the directory foo itself", "foo/*", "foo", true, "foo/", false},
		{"a pattern also matched every path below what it names", "/a", "a/f", false, "a/f", false},
		{"a basename pattern matched below a re-included directory", "*.txt\n!important", "important/x.txt", false, "important/x.txt", true},
		{"abc/** matches inside abc, not abc", "abc/**", "abc", true, "abc/", false},
		{"? matches one character", "a?c", "abc", false, "abc", true},
		{"[!a] is a negated class", "[!a]bc", "xbc", false, "xbc", true},
		{"regexp operators are literal", "c++", "c++", false, "c++", true},
		{"parentheses are literal", "f(1).txt", "f(1).txt", false, "f(1).txt", true},
		{"an escaped trailing space is kept", `sp\ `, "sp ", false, "sp ", true},
		{"a leading space is kept", " lead", " lead", false, " lead", true},
		{"!# negates a pattern starting with #", "*\n!#x", "#x", false, "#x", false},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			lines := strings.Split(tt.lines, "\n")
			raw := gitignore.CompileIgnoreLines(lines...).MatchesPath(tt.rawPath)
			if raw == tt.want {
				t.Errorf("go-gitignore alone: %q on %q = %v, which is now git's answer: drop the workaround?", tt.lines, tt.rawPath, raw)
			}
			name := tt.path[strings.LastIndexByte(tt.path, '/')+1:]
			got, _ := Parse([]byte(tt.lines)).Match(tt.path, name, tt.isDir)
			if got != tt.want {
				t.Errorf("List: %q on %q (dir %v) = %v, want %v", tt.lines, tt.path, tt.isDir, got, tt.want)
			}
		})
	}
}

// TestMatch checks single ignore files against paths, as git reads
// them (gitignore(5)).
func TestMatch(t *testing.T) {
	tests := []struct {
		lines   string
		path    string
		isDir   bool
		ignored bool
		decided bool
	}{
		{"", "a", false, false, false},
		{"# comment\n\n   \n", "# comment", false, false, false},
		{"*.log", "a.log", false, true, true},
		{"*.log", "d/a.log", false, true, true},
		{"*.log", "a.logx", false, false, false},
		{"*.log\n!keep.log", "keep.log", false, false, true},
		{"*.log\n!keep.log", "d/keep.log", false, false, true},
		{"!keep.log\n*.log", "keep.log", false, true, true}, // last match wins
		{"build/", "build", true, true, true},
		{"build/", "build", false, false, false},
		{"build/", "d/build", true, true, true},
		{"/build", "build", false, true, true},
		{"/build", "d/build", false, false, false},
		{"d/build", "d/build", false, true, true},
		{"d/build", "x/d/build", false, false, false},
		{"d/*.c", "d/x.c", false, true, true},
		{"d/*.c", "d/e/x.c", false, false, false},
		{"**/foo", "foo", false, true, true},
		{"**/foo", "a/b/foo", false, true, true},
		{"**/foo/bar", "a/foo/bar", false, true, true},
		{"a/**/b", "a/b", false, true, true},
		{"a/**/b", "a/x/y/b", false, true, true},
		{"a/**/b", "x/a/b", false, false, false},
		{"a/**", "a/x", false, true, true},
		{"a/**", "a/x/y", false, true, true},
		{"a/**", "a", true, false, false},
		{"*", "anything", false, true, true},
		{"*", "d/anything", true, true, true},
		{"/*", "top", false, true, true},
		{"/*", "d/x", false, false, false},
		{"f?o", "foo", false, true, true},
		{"f?o", "fo", false, false, false},
		{"d?x", "d/x", false, false, false},
		{"[abc].txt", "b.txt", false, true, true},
		{"[abc].txt", "d.txt", false, false, false},
		{"[a-c].txt", "b.txt", false, true, true},
		{"[!a-c].txt", "d.txt", false, true, true},
		{"[!a-c].txt", "a.txt", false, false, false},
		{"[^a].txt", "b.txt", false, true, true},
		{"[]].txt", "].txt", false, true, true},
		// As git's wildmatch: a pattern it aborts on matches nothing.
		{"[.txt", "[.txt", false, false, false}, // an unclosed bracket
		{"x[", "x[", false, false, false},
		{"a[b\\]", "a[b]", false, false, false},   // the "]" is escaped: still unclosed
		{"[[:digit:]", "1", false, false, false},  // a class, then nothing closes the bracket
		{"*.txt\n[x", "a.txt", false, true, true}, // only that rule goes
		{`t\`, `t\`, false, false, false},         // a lone trailing backslash
		{`t\   `, `t\`, false, false, false},
		{`t\/`, "t", true, false, false}, // "/" makes it dir-only, leaving "t\"
		{`t\\`, `t\`, false, true, true},
		{`t\\/`, `t\`, true, true, true},
		{"[[:nope:]]", "n", false, false, false}, // an unknown POSIX class
		{"[[::]]", ":", false, false, false},
		{"[!\x01-\xff]", "a", false, false, false}, // no byte a name holds
		// POSIX classes, ASCII only, with git's ctype.
		{"[[:digit:]]d", "1d", false, true, true},
		{"[[:digit:]]d", "xd", false, false, false},
		{"[[:alpha:]]", "\u00e9", false, false, false},
		{"[[:alpha:]][[:alpha:]]", "\u00e9", false, false, false},
		{"[[:upper:]]u", "Xu", false, true, true},
		{"[[:upper:]]u", "xu", false, false, false},
		{"[[:lower:]]", "x", false, true, true},
		{"[[:space:]]s", " s", false, true, true},
		{"[[:space:]]s", "\ts", false, true, true},
		{"[[:space:]]s", "\vs", false, false, false}, // not in git's isspace
		{"[[:blank:]]", "\n", false, false, false},
		{"[[:xdigit:]]", "F", false, true, true},
		{"[[:xdigit:]]", "g", false, false, false},
		{"x[[:punct:]]", "x.", false, true, true},
		{"[[:punct:]]", "_", false, true, true},
		{"[[:alnum:]]", "_", false, false, false},
		{"[[:cntrl:]]", "\x7f", false, true, true},
		{"[[:graph:]]", " ", false, false, false},
		{"[[:print:]]", " ", false, true, true},
		{"d[[:punct:]]", "d/", true, false, false}, // never a slash
		// Negated classes with POSIX classes.
		{"[![:alpha:]]a", "1a", false, true, true},
		{"[![:alpha:]]a", "ba", false, false, false},
		{"[^[:digit:]x]", "x", false, false, false},
		{"[^[:digit:]x]", "y", false, true, true},
		{"[![:digit:]]", "\u00e9", false, false, false}, // one byte, and "\u00e9" is two
		{"[![:digit:]][![:digit:]]", "\u00e9", false, true, true},
		// "]" first is a member, "]" later closes.
		{"[]a]", "]", false, true, true},
		{"[]a]", "a", false, true, true},
		{"[!]a]", "]", false, false, false},
		{"[!]a]", "b", false, true, true},
		{"[]]]", "]]", false, true, true},
		{"[]-a]", "^", false, true, true}, // "]" to "a"
		{"[]-a]", "b", false, false, false},
		// Ranges with classes: no range starts from a class; a range's
		// end is a byte, so "[" there is not a class.
		{"[[:digit:]-z]", "-", false, true, true},
		{"[[:digit:]-z]", "y", false, false, false},
		{"[[:digit:]-z]", "z", false, true, true},
		{"[a-c[:digit:]]", "b", false, true, true},
		{"[a-c[:digit:]]", "5", false, true, true},
		{"[a-c[:digit:]]", "d", false, false, false},
		{"[a-c-e]", "-", false, true, true}, // no range starts from a range
		{"[a-c-e]", "d", false, false, false},
		{"a[+-[:x]", "a:", false, true, true}, // "+" to "[", then ":" and "x"
		{"[+-[:x]", "A", false, true, true},
		{"[+-[:x]", "/", false, false, false},
		// "[:" with no ":]" before the next "]": "[" and ":" are members.
		{"[[:]]", "[]", false, true, true},
		{"a[[:]]", "a:]", false, true, true},
		{"[[:a]", "a", false, true, true},
		{"[\\]]", "]", false, true, true}, // an escaped "]" in a class
		{"[a\\-c]", "b", false, false, false},
		{"[a\\-c]", "-", false, true, true},
		{"[a-\\c]", "b", false, true, true}, // an escaped upper bound
		{"[\\[-\\]]", "\\", false, true, true},
		{`\*.txt`, "*.txt", false, true, true},
		{`\*.txt`, "a.txt", false, false, false},
		{`\?`, "?", false, true, true},
		{`\?`, "a", false, false, false},
		{`\!x`, "!x", false, true, true},
		{`\#x`, "#x", false, true, true},
		{"a.b", "axb", false, false, false},
		{"a.b", "a.b", false, true, true},
		{"a^b$", "a^b$", false, true, true},
		{"{a,b}", "{a,b}", false, true, true},
		{"x|y", "x|y", false, true, true},
		{"trailing   ", "trailing", false, true, true},
		{"crlf\r", "crlf", false, true, true},
		{"\ufeffbom", "bom", false, true, true},
		{"/", "a", false, false, false},
		{"!", "!", false, false, false},
		{"caf\u00e9", "caf\u00e9", false, true, true},
		{"bad\xffname", "bad\xffname", false, true, true},
		{"new\\\nline", "new\nline", false, false, false}, // one file line per line: never matches across
	}
	for _, tt := range tests {
		name := tt.path[strings.LastIndexByte(tt.path, '/')+1:]
		ignored, decided := Parse([]byte(tt.lines)).Match(tt.path, name, tt.isDir)
		if ignored != tt.ignored || decided != tt.decided {
			t.Errorf("%q on %q (dir %v): ignored, decided = %v, %v; want %v, %v", tt.lines, tt.path, tt.isDir, ignored, decided, tt.ignored, tt.decided)
		}
	}
}

// quote escapes every character of a name that gitignore syntax
// gives a meaning, so that the pattern names exactly that file.
func quote(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if strings.IndexByte(`\*?[]!# `, name[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(name[i])
	}
	return b.String()
}

// FuzzIgnore checks that no ignore file or path makes the rules panic, and
// that a pattern naming a file exactly (every special character escaped)
// matches it, anchored or not, and its negation keeps it.
func FuzzIgnore(f *testing.F) {
	for _, s := range []struct{ content, path string }{
		{"*.log\n!keep.log\nbuild/\n", "a.log"},
		{"a/**/b\n**/c\n/d/*.e", "a/x/b"},
		{"[!a-z]?[]\\\n\\ \n\\", "x/y"},
		{"c++\n(a|b)\n{x}\n$^", "c++"},
		{"bad\xff\n\xfe*", "bad\xff"},
		{"#x\n!#x\n\\#y\n!!z", "!z"},
		{"   \n\r\n/\n//\n/**\n**\n***", "a"},
		{"x[", "x["},
		{"a/b/", "a/b"},
	} {
		f.Add(s.content, s.path)
	}
	f.Fuzz(func(t *testing.T, content, path string) {
		l := Parse([]byte(content))
		name := path[strings.LastIndexByte(path, '/')+1:]
		l.Match(path, name, false)
		l.Match(path, name, true)

		// Properties of an exactly quoted name: a path element holds no
		// slash or NUL, and "." and ".." are not names.
		if name == "" || name == "." || name == ".." || strings.IndexByte(name, 0) >= 0 || strings.ContainsAny(name, "\n\r") {
			return
		}
		for _, tc := range []struct {
			pattern, rel string
		}{
			{quote(name), "d/" + name},
			{"/" + quote(name), name},
			{"d/" + quote(name), "d/" + name},
		} {
			l := Parse([]byte(tc.pattern))
			if ig, _ := l.Match(tc.rel, name, false); !ig {
				t.Errorf("pattern %q does not match %q", tc.pattern, tc.rel)
			}
			l = Parse([]byte(tc.pattern + "\n!" + tc.pattern))
			if ig, ok := l.Match(tc.rel, name, false); ig || !ok {
				t.Errorf("negated pattern %q: ignored, decided = %v, %v on %q", tc.pattern, ig, ok, tc.rel)
			}
			if !utf8.ValidString(name) {
				continue // an invalid byte matches any invalid byte
			}
			other := name + "x"
			if ig, _ := Parse([]byte(tc.pattern)).Match("d/"+other, other, false); ig {
				t.Errorf("pattern %q matches %q", tc.pattern, "d/"+other)
			}
		}
	})
}
