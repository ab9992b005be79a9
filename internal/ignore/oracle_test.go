package ignore

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dtleaks/dtleaks/internal/gittest"
)

// oracleCase is a tree of .gitignore files and the paths to ask about:
// a path ending in "/" is a directory.
type oracleCase struct {
	name    string
	ignores map[string]string // directory ("" for the top) -> .gitignore
	paths   []string
	// known, when set, names the open bug that makes the rules disagree
	// with git on this case; the test then skips it, saying so.
	known string
}

var oracleCases = []oracleCase{
	{name: "star", ignores: map[string]string{"": "*.log\n"},
		paths: []string{"a.log", "d/b.log", "a.logx", "log", ".log", "d.log/", "d.log/x"}},
	{name: "star does not cross a slash", ignores: map[string]string{"": "d/*.c\n"},
		paths: []string{"d/x.c", "d/e/x.c", "x.c", "e/d/x.c"}},
	{name: "double star", ignores: map[string]string{"": "**/foo\na/**/b\nabc/**\n"},
		paths: []string{"foo", "x/foo", "x/y/foo/", "a/b", "a/x/b", "a/x/y/b", "xa/b", "abc/", "abc/f", "abc/d/e"}},
	{name: "double star inside a name", ignores: map[string]string{"": "a**b\n**x\n"},
		paths: []string{"ab", "aXb", "a/b", "d/ab", "x", "d/ax", "d/e/x"}},
	{name: "question mark", ignores: map[string]string{"": "a?c\n?\n"},
		paths: []string{"abc", "ac", "abbc", "a/c", "z", "d/z", "zz"}},
	{name: "classes and ranges", ignores: map[string]string{"": "[abc]1\n[a-c]2\n[!a-c]3\n[^x]4\n[]]5\n[a-]6\n"},
		paths: []string{"a1", "d1", "b2", "z2", "a3", "z3", "x4", "y4", "]5", "a5", "-6", "a6", "b6"}},
	{name: "unclosed bracket matches nothing", ignores: map[string]string{"": "x[\n[y\n"},
		paths: []string{"x[", "x", "[y", "y"}},
	{name: "escapes", ignores: map[string]string{"": "\\*\n\\?q\n\\[r]\n\\#h\n\\!bang\n\\\\back\n"},
		paths: []string{"*", "a", "?q", "aq", "[r]", "r", "#h", "!bang", "\\back"}},
	{name: "comments and a pattern starting with #", ignores: map[string]string{"": "# comment\n#x\n\\#y\n"},
		paths: []string{"# comment", "#x", "#y"}},
	{name: "trailing spaces", ignores: map[string]string{"": "sp   \nesc\\ \n mid dle \n"},
		paths: []string{"sp", "sp ", "esc ", "esc", " mid dle", "mid dle", " mid dle "}},
	{name: "negation", ignores: map[string]string{"": "*.log\n!keep.log\n!d/\nd/*\n!d/x\n"},
		paths: []string{"a.log", "keep.log", "e/keep.log", "d/", "d/x", "d/y"}},
	{name: "no re-inclusion below an ignored directory", ignores: map[string]string{"": "build/\n!build/keep\n"},
		paths: []string{"build/", "build/keep", "build/other"}},
	{name: "dir-only", ignores: map[string]string{"": "out/\ntmp/*\n"},
		paths: []string{"out/", "f/out", "d/out/", "d/out/f", "tmp/", "tmp/f", "e/tmp"}},
	{name: "anchored", ignores: map[string]string{"": "/top\nmid/file\n/a/b/\n"},
		paths: []string{"top", "d/top", "mid/file", "x/mid/file", "a/b/", "a/b/c", "x/a/b/"}},
	{name: "nested levels", ignores: map[string]string{
		"":    "*.tmp\n!keep.tmp\n/root-only\n",
		"a":   "!*.tmp\nlocal\n/anch\n",
		"a/b": "*.tmp\n!local\n",
	}, paths: []string{"x.tmp", "keep.tmp", "a/x.tmp", "a/b/x.tmp", "a/b/keep.tmp", "a/local", "a/b/local",
		"a/c/local", "a/anch", "a/c/anch", "root-only", "a/root-only"}},
	{name: "a nested file cannot re-include below an ignored directory", ignores: map[string]string{
		"": "logs/\n", "logs": "!*\n",
	}, paths: []string{"logs/", "logs/a", "logs/.gitignore"}},
	{name: "edge patterns", ignores: map[string]string{"": "/**/q\nr/**/\n***s\n"},
		paths: []string{"q", "x/q", "r/", "r/x/", "r/x/f", "r/y", "s", "x/ys"}},
	{name: "double star then slash: every directory", ignores: map[string]string{"": "**/\n"},
		paths: []string{"a/", "a/f", "f"}},
	{name: "trailing backslash matches nothing", ignores: map[string]string{"": "t\\\n"},
		paths: []string{"t", "t\\"}},
	{name: "POSIX character classes", ignores: map[string]string{"": "[[:digit:]]d\n[[:upper:]]u\n[![:alpha:]]a\n"},
		paths: []string{"1d", "xd", "Xu", "xu", "1a", "ba"}},
	{name: "POSIX classes negated, ranged, with ] first", ignores: map[string]string{"": "[^[:digit:]x]n\n[][:space:]]s\n[[:digit:]-z]r\n[a-c[:upper:]]c\n[[:]]q\n"},
		paths: []string{"1n", "xn", "yn", "]s", " s", "as", "-r", "yr", "zr", "5r", "bc", "Qc", "dc", "[]q", "]q"}},
	{name: "malformed brackets match nothing", ignores: map[string]string{"": "[[:nope:]]\n[[::]]\n[[:digit:]\na[b\\]\nt\\/\n"},
		paths: []string{"n", "o", "1", "a[b]", "t/", "t\\/"}},
	{name: "an escaped backslash before a trailing slash", ignores: map[string]string{"": "t\\\\/\n"},
		paths: []string{"t\\/", "t"}},
	{name: "non-ASCII names, whole", ignores: map[string]string{"": "café\n*é\nñ*/\n"},
		paths: []string{"café", "d/café", "thé", "ñandú/", "ñandú/f"}},
	{name: "non-ASCII, question mark", ignores: map[string]string{"": "caf?\n"},
		paths: []string{"café", "cafe"}},
	{name: "non-ASCII, class", ignores: map[string]string{"": "[éa]x\n[!a]y\n"},
		paths: []string{"éx", "ax", "éy", "by"}},
	{name: "runs of stars: ** only alone between slashes", ignores: map[string]string{"": "***/oo\na**b\nc/***\n"},
		paths: []string{"foo", "oo", "d/oo", "d/e/oo", "ab", "axb", "ax/yb", "c/x", "c/y/z"}},
}

// TestAgainstGit asks git check-ignore --no-index, path by path, about the
// paths of each case, with the .gitignore files written where the case
// says, and checks that a walk that asks Node.Ignored about each directory
// on the way down, and then the path, comes to git's answer. (git does not
// look into an ignored directory, so neither does the walk.)
func TestAgainstGit(t *testing.T) {
	for _, tc := range oracleCases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.known != "" {
				want := checkIgnore(t, tc)
				if dis := disagreements(tc, want); len(dis) > 0 {
					t.Skipf("known: %s (disagrees on %s)", tc.known, strings.Join(dis, ", "))
				}
				t.Errorf("case marked known (%s) now agrees with git: drop the mark", tc.known)
				return
			}
			want := checkIgnore(t, tc)
			for _, d := range disagreements(tc, want) {
				t.Errorf("%s: git says ignored = %v, the rules say %v", d, want[strings.TrimSuffix(d, "/")], !want[strings.TrimSuffix(d, "/")])
			}
		})
	}
}

// TestPOSIXClassesAgainstGit checks every POSIX class wildmatch knows,
// plain and negated, against git on every byte a name can hold.
func TestPOSIXClassesAgainstGit(t *testing.T) {
	var paths []string
	for c := 1; c < 256; c++ {
		if c != '/' {
			paths = append(paths, "x"+string([]byte{byte(c)}))
		}
	}
	for name := range posixClasses {
		for _, neg := range []string{"", "!"} {
			tc := oracleCase{ignores: map[string]string{"": "x[" + neg + "[:" + name + ":]]\n"}, paths: paths}
			want := checkIgnore(t, tc)
			if dis := disagreements(tc, want); len(dis) > 0 {
				t.Errorf("[%s[:%s:]] disagrees with git on %q", neg, name, dis)
			}
		}
	}
}

// disagreements lists the paths of tc on which the rules' walk and git's
// answers want differ.
func disagreements(tc oracleCase, want map[string]bool) []string {
	lists := map[string]*List{}
	for dir, content := range tc.ignores {
		lists[dir] = Parse([]byte(content))
	}
	var out []string
	for _, p := range tc.paths {
		if walkIgnored(lists, p) != want[strings.TrimSuffix(p, "/")] {
			out = append(out, p)
		}
	}
	return out
}

// walkIgnored says whether a walk from the top of a repository whose
// .gitignore files are lists (by directory) skips path: it asks about
// each directory on the way, then the path.
func walkIgnored(lists map[string]*List, path string) bool {
	isDir := strings.HasSuffix(path, "/")
	elems := strings.Split(strings.TrimSuffix(path, "/"), "/")
	node := (*Node)(nil).Child("", nil, lists[""], nil, true)
	dir := ""
	for i, name := range elems {
		key := Join(dir, name)
		last := i == len(elems)-1
		if node.Ignored(key, name, !last || isDir) {
			return true
		}
		if !last {
			node = node.Child(key, nil, lists[key], nil, false)
			dir = key
		}
	}
	return false
}

// checkIgnore builds the case's tree in a repository and returns git's
// answer for each path (without its trailing slash).
func checkIgnore(t *testing.T, tc oracleCase) map[string]bool {
	t.Helper()
	r := gittest.New(t)
	for dir, content := range tc.ignores {
		r.Write(filepath.ToSlash(filepath.Join(dir, ".gitignore")), content)
	}
	var in bytes.Buffer
	for _, p := range tc.paths {
		full := filepath.Join(r.Dir, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
		} else if _, err := os.Stat(full); err != nil {
			r.Write(p, "x\n")
		}
		in.WriteString(strings.TrimSuffix(p, "/"))
		in.WriteByte(0)
	}
	cmd := exec.Command("git", "check-ignore", "--no-index", "--stdin", "-z", "-v", "-n")
	cmd.Dir = r.Dir
	cmd.Env = gittest.Env(r.Home, gittest.Epoch)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 1) {
		t.Fatalf("git check-ignore: %v", err)
	}
	// -z -v -n: source, line number, pattern, path, each NUL-ended; an
	// empty pattern is no match, a "!" pattern a re-inclusion.
	f := strings.Split(string(out), "\x00")
	want := map[string]bool{}
	for i := 0; i+3 < len(f); i += 4 {
		pattern, path := f[i+2], f[i+3]
		want[path] = pattern != "" && !strings.HasPrefix(pattern, "!")
	}
	if len(want) != len(tc.paths) {
		t.Fatalf("git check-ignore answered about %d paths of %d", len(want), len(tc.paths))
	}
	return want
}

// FuzzAgainstGit checks one .gitignore line against git check-ignore on
// one path, file and directory. Fuzzing runs git for every input: keep it
// short (go test -fuzz FuzzAgainstGit -fuzztime 10s).
func FuzzAgainstGit(f *testing.F) {
	for _, tc := range oracleCases {
		if tc.known != "" {
			continue
		}
		for dir, content := range tc.ignores {
			if dir == "" {
				for line := range strings.Lines(content) {
					f.Add(strings.TrimSuffix(line, "\n"), strings.TrimSuffix(tc.paths[0], "/"))
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		if strings.ContainsAny(pattern, "\n\r\x00") || !validPath(path) {
			return
		}
		if !utf8.ValidString(pattern + path) {
			return // a name git and the file system may each spell differently
		}
		for _, p := range []string{path, path + "/"} {
			tc := oracleCase{ignores: map[string]string{"": pattern + "\n"}, paths: []string{p}}
			want := checkIgnore(t, tc)
			if dis := disagreements(tc, want); len(dis) > 0 {
				t.Errorf("pattern %q, path %q: git says ignored = %v", pattern, p, want[path])
			}
		}
	})
}

// validPath says whether path is one a work tree can hold and git can be
// asked about: relative, elements that are names, none of them .git.
func validPath(path string) bool {
	if path == "" || len(path) > 200 || strings.ContainsAny(path, "\x00\n\r\\") {
		return false
	}
	for _, e := range strings.Split(path, "/") {
		if e == "" || e == "." || e == ".." || strings.EqualFold(e, ".git") || strings.EqualFold(e, ".gitignore") {
			return false
		}
	}
	return true
}
