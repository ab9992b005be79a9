// Package ignore holds gitignore semantics as a directory walk applies
// them: [Parse] compiles an ignore file into a [List], whose last matching
// rule decides about a path as in git, and a chain of [Node] values holds
// the rules in force in each directory: .dtleaksignore files first, then
// the .gitignore files of the repository and its info/exclude, as ripgrep
// orders them. It is the one importer of go-gitignore.
package ignore

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	gitignore "github.com/sabhiram/go-gitignore"
)

// The ignore files a directory walk honours, and the names around them.
// Their syntax is gitignore's.
const (
	GitFile     = ".gitignore"     // a repository's ignore rules, per directory
	DtleaksFile = ".dtleaksignore" // dtleaks' own, in or out of a repository
	GitDir      = ".git"           // where a repository starts; never walked
	ExcludeFile = "info/exclude"   // the repository's own rules, in its common git directory
)

// List is the rules of one ignore file, in file order: the last rule
// that matches a path decides, as in git.
//
// Each line is compiled by go-gitignore, one line per matcher, after a thin
// rewrite that works around where go-gitignore and git disagree (each case
// has a test in ignore_test.go):
//
//   - "!" (negation) and a trailing "/" (directories only) are taken off
//     here, since go-gitignore can only tell a directory by a trailing slash
//     on the path, and "foo/*" then matches the directory "foo/" itself.
//   - A pattern with a slash before its end is anchored to the ignore file's
//     directory; go-gitignore anchors only some ("a/b" matched "x/a/b").
//   - Every compiled expression ends "(|/.*)$", so a pattern also matched
//     every path below what it names ("/a" matched "a/f" even after "!a"
//     had re-included the directory). Both the pattern and the path get a
//     NUL appended, which no path can hold, so only the whole path matches.
//     A walk that prunes ignored directories never needs more.
//   - A trailing "/**" matches inside a directory, not the directory, so
//     "abc/**" with "!abc/keep" keeps abc/keep; it is rewritten "abc/**/*".
//   - "?" was a literal question mark, "[!a]" a class holding "!", regexp
//     operators such as "+", "(" or "{" were passed through (so "c++" made
//     an invalid expression and the rule vanished), "\ " (an escaped
//     trailing space) was lost, and invalid UTF-8 made an invalid
//     expression: each is escaped or translated before compiling.
//   - Bracket expressions are read as git's wildmatch reads them (POSIX
//     classes such as "[:digit:]", "]" first, ranges) and compiled to the
//     exact set of bytes they match. A line wildmatch aborts on (an
//     unclosed "[", an unknown class, a trailing lone backslash) matches
//     nothing in git, so it makes no rule.
type List struct {
	rules []rule
}

type rule struct {
	m        *gitignore.GitIgnore
	negate   bool // "!pattern": a match keeps the path
	dirOnly  bool // "pattern/": matches directories only
	anchored bool // the pattern holds a slash: match the path relative to the ignore file's directory, else the base name
}

// Parse compiles the content of an ignore file.
func Parse(content []byte) *List {
	l := &List{}
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf")) // a UTF-8 BOM, as git skips it
	for len(content) > 0 {
		line := content
		if i := bytes.IndexByte(content, '\n'); i >= 0 {
			line, content = content[:i], content[i+1:]
		} else {
			content = nil
		}
		if r, ok := compile(string(line)); ok {
			l.rules = append(l.rules, r)
		}
	}
	return l
}

// Empty reports whether the list has no rules: an ignore file of blank
// lines and comments.
func (l *List) Empty() bool { return len(l.rules) == 0 }

// compile turns one line of an ignore file into a rule; ok is false
// for blank lines, comments and lines that name nothing.
func compile(line string) (r rule, ok bool) {
	line = strings.TrimSuffix(line, "\r")
	if line == "" || line[0] == '#' {
		return r, false
	}
	line = trimSpaces(line)
	if line != "" && line[0] == '!' {
		r.negate = true
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") { // as in git, even after a backslash
		r.dirOnly = true
		line = strings.TrimSuffix(line, "/")
	}
	if line == "" || line == "/" {
		return r, false
	}
	r.anchored = strings.Contains(line, "/")
	if r.anchored && !strings.HasPrefix(line, "/") {
		line = "/" + line
	}
	if strings.HasSuffix(line, "/**") {
		line += "/*"
	}
	expr, ok := escape(line)
	if !ok {
		return r, false // git's wildmatch never matches it: no rule
	}
	r.m = gitignore.CompileIgnoreLines(expr + "\x00")
	return r, true
}

// trimSpaces drops trailing spaces that are not escaped with a
// backslash, as git does.
func trimSpaces(line string) string {
	for strings.HasSuffix(line, " ") {
		body := line[:len(line)-1]
		// The space is escaped if an odd number of backslashes precede it.
		n := len(body) - len(strings.TrimRight(body, `\`))
		if n%2 == 1 {
			break
		}
		line = body
	}
	return line
}

// bytewise spells each byte of s at or above 0x80 as the rune of the same
// value (U+0080 to U+00FF), leaving ASCII as it is. git matches names byte
// by byte: "?" and a bracket expression match one byte, so "backup-?.env"
// does not match "backup-é.env", whose "é" is two bytes. Go's regular
// expressions match runes; spelling patterns and paths alike this way makes
// one rune one byte, and leaves no invalid UTF-8 on either side.
func bytewise(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) * 2)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

// escape rewrites a glob, byte by byte, so that go-gitignore's translation
// to a regular expression means what git means: the glob characters "*" and
// "**" are left for go-gitignore, everything else is made literal or
// translated here, and each byte at or above 0x80 is spelled as [bytewise]
// spells it. ok is false for a glob that git's wildmatch can never match: one
// ending in a backslash that escapes nothing, or holding a bracket expression
// that is not closed, names an unknown POSIX class or holds no byte a name
// can (wildmatch aborts when it reaches such a bracket, and a match must
// reach every part of the pattern).
func escape(glob string) (expr string, ok bool) {
	var b strings.Builder
	b.Grow(len(glob) + 8)
	literal := func(c byte) {
		switch {
		case c >= utf8.RuneSelf:
			b.WriteRune(rune(c)) // as bytewise spells it
		case c == ' ':
			// go-gitignore trims spaces at both ends; git keeps a
			// leading one and an escaped trailing one.
			b.WriteString(`[ ]`)
		case c == '?':
			b.WriteString(`[?]`)
		case strings.IndexByte(`\*+()[]{}|^$#!`, c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			// Letters, digits, "/" (a separator) and "." (which
			// go-gitignore escapes itself) among others.
			b.WriteByte(c)
		}
	}
	for i := 0; i < len(glob); {
		c := glob[i]
		i++
		switch c {
		case '\\':
			if i == len(glob) {
				return "", false // escapes nothing: wildmatch never matches
			}
			literal(glob[i])
			i++
		case '?':
			b.WriteString(`[^\x2f]`)
		case '*':
			// As wildmatch reads a run of stars: "**" (any number of
			// directories) only where the run stands alone between
			// slashes or the ends; anywhere else, however long, it is
			// one "*".
			start := i - 1
			for i < len(glob) && glob[i] == '*' {
				i++
			}
			alone := (start == 0 || glob[start-1] == '/') && (i == len(glob) || glob[i] == '/')
			if i-start > 1 && alone {
				b.WriteString("**")
			} else {
				b.WriteByte('*')
			}
		case '[':
			class, n, ok := class(glob[i:])
			if !ok {
				return "", false
			}
			b.WriteString(class)
			i += n
		default:
			literal(c)
		}
	}
	return b.String(), true
}

// class translates a bracket expression as git's wildmatch reads it, s
// being what follows its "[". It returns a regexp class listing every byte
// the bracket matches (as [bytewise] spells them), and how many bytes of s
// the bracket used; ok is false when wildmatch aborts on the bracket (it is
// not closed, or names an unknown POSIX class) or it matches no byte a name
// can hold: either way the pattern can match nothing.
//
// wildmatch's reading, in order: a leading "!" or "^" negates; a "]" right
// after that is a member, any later one closes; "\" makes the next byte a
// member; "x-y" is a range when "-" follows a member that was neither a
// range nor a POSIX class and comes before a byte other than "]" (the upper
// bound may be escaped); "[:name:]" is a POSIX class; a "[:" without a
// ":]" before the next "]" is a "[" member. No bracket matches "/"
// (FNM_PATHNAME), nor NUL, which no name holds.
func class(s string) (expr string, n int, ok bool) {
	var set [256]bool
	i := 0
	negated := i < len(s) && (s[i] == '!' || s[i] == '^')
	if negated {
		i++
	}
	prev := -1 // the last member, if a range may start from it
	for first := true; ; first = false {
		if i >= len(s) {
			return "", 0, false // not closed
		}
		c := s[i]
		switch {
		case c == ']' && !first:
			expr := byteClass(&set, negated)
			return expr, i + 1, expr != ""
		case c == '\\':
			i++
			if i >= len(s) {
				return "", 0, false
			}
			set[s[i]] = true
			prev = int(s[i])
		case c == '-' && prev >= 0 && i+1 < len(s) && s[i+1] != ']':
			i++
			hi := s[i]
			if hi == '\\' {
				i++
				if i >= len(s) {
					return "", 0, false
				}
				hi = s[i]
			}
			for x := prev; x <= int(hi); x++ {
				set[x] = true
			}
			prev = -1
		case c == '[' && i+1 < len(s) && s[i+1] == ':':
			end := strings.IndexByte(s[i+2:], ']')
			if end < 0 {
				return "", 0, false // wildmatch aborts: nothing closes it
			}
			name, isClass := strings.CutSuffix(s[i+2:i+2+end], ":")
			if end == 0 || !isClass {
				// No ":]": the "[" is a member, and the ":" is read next.
				set['['] = true
				prev = '['
				break
			}
			in, known := posixClasses[name]
			if !known {
				return "", 0, false
			}
			for x := range 128 {
				if in(byte(x)) {
					set[x] = true
				}
			}
			prev = -1
			i += 2 + end // at the "]" that ends "[:name:]"
		default:
			set[c] = true
			prev = int(c)
		}
		i++
	}
}

// byteClass spells the bytes of set (or those not in it, if negated) as a
// regexp class of ranges, leaving out NUL and "/"; it is "" when that
// leaves no byte.
func byteClass(set *[256]bool, negated bool) string {
	var b strings.Builder
	b.WriteByte('[')
	for x := 1; x < 256; {
		if set[x] == negated || x == '/' {
			x++
			continue
		}
		lo := x
		for x < 256 && set[x] != negated && x != '/' {
			x++
		}
		fmt.Fprintf(&b, `\x{%x}`, lo)
		if x-1 > lo {
			fmt.Fprintf(&b, `-\x{%x}`, x-1)
		}
	}
	if b.Len() == 1 {
		return ""
	}
	b.WriteByte(']')
	return b.String()
}

// posixClasses are the classes wildmatch takes in "[:name:]", as git
// defines them: ASCII only, with git's own ctype, whose space is only
// "\t", "\n", "\r" and " " (checked against git in oracle_test.go).
var posixClasses = map[string]func(c byte) bool{
	"alnum":  func(c byte) bool { return isAlpha(c) || isDigit(c) },
	"alpha":  isAlpha,
	"blank":  func(c byte) bool { return c == ' ' || c == '\t' },
	"cntrl":  func(c byte) bool { return c < 0x20 || c == 0x7f },
	"digit":  isDigit,
	"graph":  func(c byte) bool { return c > ' ' && c < 0x7f },
	"lower":  func(c byte) bool { return 'a' <= c && c <= 'z' },
	"print":  func(c byte) bool { return c >= ' ' && c < 0x7f },
	"punct":  func(c byte) bool { return c > ' ' && c < 0x7f && !isAlpha(c) && !isDigit(c) },
	"space":  func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' },
	"upper":  func(c byte) bool { return 'A' <= c && c <= 'Z' },
	"xdigit": func(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' },
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Match reports whether the list decides about a path: ignored is the
// decision, decided false when no rule matches. rel is the path relative to
// the ignore file's directory, name its last element.
func (l *List) Match(rel, name string, isDir bool) (ignored, decided bool) {
	var relZ, nameZ string
	for i := len(l.rules) - 1; i >= 0; i-- {
		r := &l.rules[i]
		if r.dirOnly && !isDir {
			continue
		}
		var p string
		if r.anchored {
			if relZ == "" {
				relZ = bytewise(rel) + "\x00"
			}
			p = relZ
		} else {
			if nameZ == "" {
				nameZ = bytewise(name) + "\x00"
			}
			p = nameZ
		}
		if r.m.MatchesPath(p) {
			return !r.negate, true
		}
	}
	return false, false
}

// Node holds the ignore rules in force in one directory of a walk; it
// points to its parent's, so a directory's rules are shared by everything
// below it. Nodes are immutable once made, so workers share them freely.
type Node struct {
	parent *Node
	// dir is the directory's key: its path relative to the walk's anchor
	// (the repository's top when the root is in one, else the root), ""
	// for the anchor itself.
	dir     string
	dtleaks *List // .dtleaksignore here
	git     *List // .gitignore here
	// inRepo says gitignore rules apply here; repoTop marks the top of a
	// repository, where the chain of .gitignore files ends.
	inRepo, repoTop bool
	// exclude is the repository's info/exclude, relative to excludeDir.
	exclude    *List
	excludeDir string
	// tracked is what the repository's index holds, nil when unknown
	// (outside a repository, or an index that could not be read): tracked
	// paths are never ignored by git's rules. inIgnored marks a directory
	// that git's rules ignore, walked only for the tracked paths below it:
	// every untracked path there is ignored, as git ignores it.
	tracked   *Tracked
	inIgnored bool
}

// Child returns the node for a directory below n, given what it holds.
// repo says the directory holds a .git: a repository (or submodule) starts
// there and the .gitignore files above it no longer apply.
func (n *Node) Child(dir string, dtleaks, git, exclude *List, repo bool) *Node {
	c := &Node{parent: n, dir: dir, dtleaks: dtleaks, git: git}
	switch {
	case repo:
		c.inRepo, c.repoTop, c.exclude, c.excludeDir = true, true, exclude, dir
	case n != nil:
		c.inRepo, c.exclude, c.excludeDir, c.tracked = n.inRepo, n.exclude, n.excludeDir, n.tracked
		// Walked although git ignores it, for its tracked paths: the rest
		// of it is ignored.
		c.inIgnored = c.tracked != nil && dir != "" && (n.inIgnored || n.gitIgnored(dir, dir[strings.LastIndexByte(dir, '/')+1:], true))
	}
	if !c.inRepo {
		c.git = nil
	}
	if c.dtleaks == nil && c.git == nil && !c.repoTop && c.inIgnored == (n != nil && n.inIgnored) {
		// Nothing new here: share the parent's rules, keyed by its
		// directory, which every path below this one is also under.
		return n
	}
	return c
}

// Ignored reports whether the entry with the given key (path relative to
// the anchor), base name and kind is ignored by the rules in force in its
// directory n. As in ripgrep, .dtleaksignore files decide first (the
// nearest that has a matching rule), then .gitignore files within the
// repository, then its info/exclude.
func (n *Node) Ignored(key, name string, isDir bool) bool {
	for m := n; m != nil; m = m.parent {
		if m.dtleaks != nil {
			if ig, ok := m.dtleaks.Match(rel(key, m.dir), name, isDir); ok {
				return ig
			}
		}
	}
	if n == nil || !n.inRepo {
		return false
	}
	if n.tracked != nil {
		if n.tracked.has(rel(key, n.excludeDir), isDir) {
			return false
		}
		if n.inIgnored {
			return true
		}
	}
	return n.gitIgnored(key, name, isDir)
}

// gitIgnored reports whether the .gitignore files and info/exclude in
// force at n ignore the path, tracked or not.
func (n *Node) gitIgnored(key, name string, isDir bool) bool {
	if n == nil || !n.inRepo {
		return false
	}
	for m := n; m != nil; m = m.parent {
		if m.git != nil {
			if ig, ok := m.git.Match(rel(key, m.dir), name, isDir); ok {
				return ig
			}
		}
		if m.repoTop {
			break
		}
	}
	if n.exclude != nil {
		ig, _ := n.exclude.Match(rel(key, n.excludeDir), name, isDir)
		return ig
	}
	return false
}

// DtleaksIgnored reports whether the .dtleaksignore files in force at n
// (the node of key's directory) ignore the file key or any directory above
// it. Only nodes whose directory holds the path being checked are asked.
func (n *Node) DtleaksIgnored(key string) bool {
	if key == "" {
		return false
	}
	elems := strings.Split(key, "/")
	for i := 1; i <= len(elems); i++ {
		sub := strings.Join(elems[:i], "/")
		isDir := i < len(elems)
		for m := n; m != nil; m = m.parent {
			if m.dtleaks == nil || m.dir != "" && !strings.HasPrefix(sub, m.dir+"/") {
				continue
			}
			if ig, ok := m.dtleaks.Match(rel(sub, m.dir), elems[i-1], isDir); ok {
				if ig {
					return true
				}
				break
			}
		}
	}
	return false
}

// rel returns key relative to dir, which is key's ancestor.
func rel(key, dir string) string {
	if dir == "" {
		return key
	}
	return key[len(dir)+1:]
}

// Join joins a directory key and a name.
func Join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
