package scanner_test

// Every source agrees with scan on the same bytes (issue 11, "properties,
// not cases"): for any file content, staged of that file added new, staged
// of a line added to it, and history of a repository holding it report the
// tokens scan reports for those bytes, at the same lines and columns, with
// the same encoding, fingerprint and environment. Whatever counts lines,
// decodes or filters in one source must be what every source uses, so the
// test compares sources with each other rather than with hand-written cases.

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/source"
	"github.com/dtleaks/dtleaks/scanner/source/history"
	"github.com/dtleaks/dtleaks/scanner/source/staged"
)

// agreeKey is what two sources must agree on for one finding: everything
// but the path and origin, which differ by design. It holds no secret.
type agreeKey struct {
	ID          string
	Fingerprint string
	Encoding    string
	Location    string
	Line, Col   int
	Environment string
}

func (k agreeKey) String() string {
	id := k.ID
	if id == "" {
		id = "legacy:" + k.Fingerprint[:12]
	}
	enc := k.Encoding
	if enc == "" {
		enc = "plain"
	}
	return fmt.Sprintf("%s %s %d:%d env=%q loc=%q", id, enc, k.Line, k.Col, k.Environment, k.Location)
}

func agreeKeys(fs []scanner.Finding, keep func(scanner.Finding) bool) []agreeKey {
	var out []agreeKey
	for _, f := range fs {
		if f.Location != scanner.LocationContent || (keep != nil && !keep(f)) {
			continue
		}
		out = append(out, agreeKey{string(f.ID), string(f.Fingerprint), string(f.Encoding), string(f.Location), f.Line, f.Column, f.Environment})
	}
	slices.SortFunc(out, func(a, b agreeKey) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// agreeRepo is one repository reused by every content a test checks: each
// check writes its blobs with git plumbing, points the index and main at
// them, and reads only what it wrote, so a fuzz exec costs a few git
// commands, not a new repository.
type agreeRepo struct {
	dir, home string
	empty     string // a commit of the empty tree
}

func newAgreeRepo(t testing.TB) *agreeRepo {
	r := gittest.New(t)
	a := &agreeRepo{dir: r.Dir, home: r.Home}
	// No reflogs: a commit of an earlier check must not stay reachable.
	r.Git("config", "core.logAllRefUpdates", "false")
	tree := r.Git("write-tree")
	a.empty = r.Git("commit-tree", tree, "-m", "empty")
	r.Git("update-ref", "refs/heads/main", a.empty)
	return a
}

func (a *agreeRepo) git(t testing.TB, in string, args ...string) string {
	t.Helper()
	return gittest.Run(t, a.dir, a.home, gittest.Epoch, in, args...)
}

// stage makes the index hold content at f.txt, and main the commit of base
// at f.txt (or the empty tree for a nil base). It returns the blob of
// content.
func (a *agreeRepo) stage(t testing.TB, base, content []byte) string {
	t.Helper()
	head := a.empty
	a.git(t, "", "read-tree", "--empty")
	if base != nil {
		b := a.git(t, string(base), "hash-object", "-w", "--stdin")
		a.git(t, "", "update-index", "--add", "--cacheinfo", "100644,"+b+",f.txt")
		head = a.git(t, "", "commit-tree", a.git(t, "", "write-tree"), "-p", a.empty, "-m", "base")
	}
	a.git(t, "", "update-ref", "refs/heads/main", head)
	blob := a.git(t, string(content), "hash-object", "-w", "--stdin")
	a.git(t, "", "update-index", "--add", "--cacheinfo", "100644,"+blob+",f.txt")
	return blob
}

func scanOf(t testing.TB, src scanner.Source) scanner.Result {
	t.Helper()
	res, err := scanner.Scan(context.Background(), src, scanner.Options{})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if len(res.Problems) > 0 {
		t.Fatalf("problems: %v", res.Problems)
	}
	return res
}

// scanBytes is the reference: dtleaks scan of a file holding content.
func scanBytes(t testing.TB, dir string, content []byte) []scanner.Finding {
	t.Helper()
	p := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return scanOf(t, &source.Dir{Roots: []string{p}, NoIgnore: true}).Findings
}

// oncePerToken is what history reports of the findings of one blob at one
// path: each token once, at its first place (by line, then column), as
// history.Source.Resolve documents, so that a token kept over many commits
// is one finding.
func oncePerToken(ks []agreeKey) []agreeKey {
	first := map[string]agreeKey{}
	for _, k := range ks {
		if o, ok := first[k.Fingerprint]; !ok || k.Line < o.Line || k.Line == o.Line && k.Col < o.Col {
			first[k.Fingerprint] = k
		}
	}
	var out []agreeKey
	for _, k := range first {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b agreeKey) int { return strings.Compare(a.String(), b.String()) })
	return out
}

func agreeDiff(t testing.TB, what string, got, want []agreeKey) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	t.Errorf("%s disagrees with scan:\n got  %v\n want %v", what, got, want)
}

// checkAgree checks content at f.txt in every source, and, when insert is
// within content (a line start), staged of content whose line at insert
// is new: base is content without content[insert:insertEnd].
func checkAgree(t testing.TB, a *agreeRepo, scratch string, content []byte, insert, insertEnd int) {
	t.Helper()
	want := scanBytes(t, scratch, content)
	wantKeys := agreeKeys(want, nil)

	// staged: f.txt added new.
	a.stage(t, nil, content)
	agreeDiff(t, "staged (new file)", agreeKeys(scanOf(t, &staged.Source{Path: a.dir, Getenv: noEnv}).Findings, nil), wantKeys)

	// history of the commit holding it, by range and by the store.
	a.git(t, "", "update-ref", "refs/heads/main", a.git(t, "", "commit-tree", a.git(t, "", "write-tree"), "-p", a.empty, "-m", "add"))
	h := scanOf(t, &history.Source{Path: a.dir, Range: strings.Repeat("0", 40) + "..main", Getenv: noEnv}).Findings
	agreeDiff(t, "history --range", agreeKeys(h, func(f scanner.Finding) bool { return f.Path == "f.txt" }), oncePerToken(wantKeys))

	if insert < 0 || insertEnd > len(content) || insert >= insertEnd {
		return
	}
	// staged: one line added to f.txt.
	base := append(append([]byte(nil), content[:insert]...), content[insertEnd:]...)
	a.stage(t, base, content)
	added := agreeKeys(want, func(f scanner.Finding) bool { return f.Offset >= int64(insert) && f.Offset < int64(insertEnd) })
	got := agreeKeys(scanOf(t, &staged.Source{Path: a.dir, Getenv: noEnv}).Findings, nil)
	agreeDiff(t, "staged (line added)", got, added)
}

func noEnv(string) string { return "" }

// Encodings of a text, as an editor would save it.
type agreeEncoding struct {
	name   string
	encode func(string) []byte
}

func utf16Bytes(s string, big, bom bool) []byte {
	u := utf16.Encode([]rune(s))
	var out []byte
	if bom {
		u = append([]uint16{0xFEFF}, u...)
	}
	for _, c := range u {
		if big {
			out = binary.BigEndian.AppendUint16(out, c)
		} else {
			out = binary.LittleEndian.AppendUint16(out, c)
		}
	}
	return out
}

var agreeEncodings = []agreeEncoding{
	{"utf-8", func(s string) []byte { return []byte(s) }},
	{"utf-8 bom", func(s string) []byte { return append([]byte("\uFEFF"), s...) }},
	{"utf-16le", func(s string) []byte { return utf16Bytes(s, false, false) }},
	{"utf-16le bom", func(s string) []byte { return utf16Bytes(s, false, true) }},
	{"utf-16be", func(s string) []byte { return utf16Bytes(s, true, false) }},
	{"utf-16be bom", func(s string) []byte { return utf16Bytes(s, true, true) }},
}

// agreeBodies returns the texts checked, as lines, and for each the index
// of the line that holds a token and is the one "added" in staged.
func agreeBodies(g *tokentest.Gen) []struct {
	name  string
	lines []string
	added int
} {
	tok := func(p string) string { return g.Token(p).Text }
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	wrap := func(s string, n int) []string {
		var out []string
		for len(s) > n {
			out = append(out, "  "+s[:n])
			s = s[n:]
		}
		return append(out, "  "+s)
	}
	legacy := g.String("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 20) + "Q"
	env := "DT_URL=https://abc12345.live.dynatrace.com/api"
	type body = struct {
		name  string
		lines []string
		added int
	}
	bodies := []body{
		{"plain", []string{"a: 1", "T=" + tok("dt0c01"), "b: 2"}, 1},
		{"environment", []string{env, "T=" + tok("dt0c01"), "b"}, 1},
		{"non-ascii before", []string{"Počítač 《x》 മലയാളം ਪੰਜਾਬੀ ગુજરાતી", "čč T=" + tok("dt0s16") + " 《》", "end"}, 1},
		{"two on a line", []string{"x", tok("dt0c01") + " " + tok("dt0s01"), "y"}, 1},
		{"base64", []string{"kind: Secret", "data:", "  t: " + b64(tok("dt0c01")), "z"}, 2},
		{"base64 twice", []string{"auth: " + b64(b64(tok("dt0c01")))}, 0},
		{"legacy", []string{"dynatrace:", "  apiToken: " + legacy, "  other: 1"}, 1},
		{"legacy header", []string{"curl -H 'Authorization: Api-Token " + legacy + "' https://abc12345.live.dynatrace.com/api/v2"}, 0},
		{"long line", []string{strings.Repeat("x", 70000), "y " + tok("dt0c01"), strings.Repeat("é", 40000) + tok("dt0c01")}, 1},
		{"empty lines", []string{"", "", "T=" + tok("dt0c01"), "", ""}, 2},
		{"agent glued", []string{"", "agent " + g.Shaped("dt0a01", g.String("abcdefgh", 8), g.String("0123456789abcdef", 63)+"d").Text + "t0c01." + strings.Repeat("A", 24) + "." + strings.Repeat("B", 64)}, 1},
	}
	block := wrap(b64("apiVersion: v1\nkind: Secret\ntoken: "+tok("dt0c01")+"\nmore: "+strings.Repeat("z", 80)+"\n"), 76)
	bodies = append(bodies, body{"base64 wrapped", append([]string{"data: |"}, block...), 1})
	return bodies
}

func TestSourcesAgree(t *testing.T) {
	a := newAgreeRepo(t)
	scratch := t.TempDir()
	g := tokentest.New(1111)
	for _, b := range agreeBodies(g) {
		for _, enc := range agreeEncodings {
			for _, eol := range []string{"\n", "\r\n", "\r"} {
				t.Run(b.name+"/"+enc.name+"/"+strings.NewReplacer("\r", "CR", "\n", "LF").Replace(eol), func(t *testing.T) {
					text := strings.Join(b.lines, eol) + eol
					content := enc.encode(text)
					// The added line's bytes: after the lines before it
					// (and the byte order mark, which enc adds to each).
					mark := len(enc.encode(""))
					pre := len(enc.encode(strings.Join(b.lines[:b.added], eol)+eol)) - mark
					if b.added == 0 {
						pre = 0
					}
					lineLen := len(enc.encode(b.lines[b.added]+eol)) - mark
					// scan itself: what is on the added line is on its line,
					// whatever the characters before it.
					for _, f := range scanBytes(t, scratch, content) {
						if f.Offset >= int64(mark+pre) && f.Offset < int64(mark+pre+lineLen) && f.Line != b.added+1 {
							t.Errorf("scan puts %s on line %d; want %d", f.ID, f.Line, b.added+1)
						}
					}
					checkAgree(t, a, scratch, content, mark+pre, mark+pre+lineLen)
				})
			}
		}
	}
	t.Run("binary", func(t *testing.T) {
		tk := g.Token("dt0c01").Text
		content := []byte("\x00\x01\xff\xfe" + tk + "\x00\n\x00\x00" + base64.StdEncoding.EncodeToString([]byte(tk)) + "\n\xff")
		checkAgree(t, a, scratch, content, -1, -1)
	})
	t.Run("across chunks", func(t *testing.T) {
		tk := g.Token("dt0c01").Text
		filler := strings.Repeat("abcdefghi\n", scanner.DefaultChunkSize/10)
		content := []byte(filler[:scanner.DefaultChunkSize-40] + "T=" + tk + "\nhttps://abc12345.live.dynatrace.com\n")
		checkAgree(t, a, scratch, content, -1, -1)
	})
	t.Run("history store", func(t *testing.T) {
		// The default history scan reads the object store, not a range.
		r := gittest.New(t)
		tk := g.Token("dt0c01").Text
		text := "Počítač\r\nDT_URL=https://abc12345.live.dynatrace.com\r\nT=" + tk + "\r\n"
		content := utf16Bytes(text, false, true)
		r.Write("f.txt", string(content))
		r.Commit("add")
		want := agreeKeys(scanBytes(t, scratch, content), nil)
		got := agreeKeys(scanOf(t, &history.Source{Path: r.Dir, Getenv: noEnv}).Findings, nil)
		agreeDiff(t, "history", got, oncePerToken(want))
	})
}

// FuzzSourcesAgree splices generated tokens into arbitrary bytes and checks
// that staged and history report what scan does.
func FuzzSourcesAgree(f *testing.F) {
	g := tokentest.New(1112)
	toks := []string{g.Token("dt0c01").Text, g.Token("dt0s16").Text, "apiToken: " + g.String("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 20) + "Q",
		"https://abc12345.live.dynatrace.com", base64.StdEncoding.EncodeToString([]byte(g.Token("dt0c01").Text))}
	f.Add([]byte("a\nb\n"), uint8(0), uint16(2), uint8(0))
	f.Add([]byte("Počítač\r\nx\r\n"), uint8(1), uint16(9), uint8(1))
	f.Add([]byte("x\ry\rz"), uint8(2), uint16(2), uint8(2))
	f.Add([]byte("\x00\xff bin \x00"), uint8(3), uint16(3), uint8(3))
	f.Add([]byte("data:\n  "), uint8(4), uint16(8), uint8(4))
	a := newAgreeRepo(f)
	scratch := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, which uint8, at uint16, mode uint8) {
		if len(data) > 4096 {
			data = data[:4096]
		}
		eols := []string{"\n", "\r\n", "\r"}
		eol := eols[int(mode)%3]
		line := "T=" + toks[int(which)%len(toks)] + eol
		text := string(data)
		// The line goes in at a line start, so that it is one line added.
		pos := int(at) % (len(text) + 1)
		for pos > 0 && text[pos-1] != '\n' && text[pos-1] != '\r' {
			pos--
		}
		if pos > 0 && text[pos-1] == '\r' && pos < len(text) && text[pos] == '\n' {
			pos++ // not between \r and \n
		}
		if pos == len(text) && pos > 0 && text[pos-1] != '\n' && text[pos-1] != '\r' {
			text += eol
			pos = len(text)
		}
		text = text[:pos] + line + text[pos:]
		if mode/3%2 == 1 {
			// UTF-16 of the text, when it is valid UTF-8.
			// The line splits the text at ASCII bytes, which no rune
			// spans, so its encoded bytes are where its text's are.
			big := mode/6%2 == 1
			enc := utf16Bytes(text, big, false)
			at := len(utf16Bytes(text[:pos], big, false))
			checkAgree(t, a, scratch, enc, at, at+len(utf16Bytes(line, big, false)))
			return
		}
		checkAgree(t, a, scratch, []byte(text), pos, pos+len(line))
	})
}
