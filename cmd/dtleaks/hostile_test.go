package main

// Hostile input, end to end (issue 5): every case runs the built binary and
// checks a clear outcome — what is found, the exit status, and what is said
// about what could not be read. A scan may report a problem (exit 2), never
// panic, hang, or exit 0 having skipped data silently.

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/scanner/report"
)

// rusageRun runs the binary in dir and returns its result and peak resident
// set size in bytes, for the cases whose point is bounded memory.
//
// The peak is measured by a fresh copy of the test binary that runs dtleaks
// as its own child (see init): Linux charges a child forked from a process
// with the memory of that process until it execs, so the child of a test
// process that has held hundreds of megabytes would report them as its own.
func rusageRun(t *testing.T, dir string, args ...string) (result, int64) {
	t.Helper()
	if !haveRusage {
		t.Skip("the peak memory of a child is measured with getrusage, which this system lacks")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	self, err := os.Executable()
	must(t, err)
	spec, err := json.Marshal(append([]string{binary}, args...))
	must(t, err)
	rssFile := filepath.Join(t.TempDir(), "rss")
	x := exec.CommandContext(ctx, self)
	x.Dir = dir
	x.Env = []string{"HOME=/nonexistent", "PATH=" + os.Getenv("PATH"), rusageEnv + "=" + string(spec), rusageFileEnv + "=" + rssFile}
	var out, errb bytes.Buffer
	x.Stdout, x.Stderr = &out, &errb
	err = x.Run()
	if ctx.Err() != nil {
		t.Fatalf("dtleaks %s did not finish in time", strings.Join(args, " "))
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running dtleaks: %v", err)
	}
	data, err := os.ReadFile(rssFile)
	if err != nil {
		t.Fatalf("no peak RSS from the wrapper (exit %d, stderr %s)", code, errb.Bytes())
	}
	var rss int64
	fmt.Sscan(string(data), &rss)
	return result{out.Bytes(), errb.Bytes(), code}, rss
}

const (
	rusageEnv     = "DTLEAKS_TEST_RUSAGE_CMD"
	rusageFileEnv = "DTLEAKS_TEST_RUSAGE_FILE"
)

// init turns the test binary into rusageRun's wrapper when asked: it runs
// the command in its environment with the same streams, writes the child's
// peak RSS in bytes to a file, and exits with the child's status.
func init() {
	spec := os.Getenv(rusageEnv)
	if spec == "" {
		return
	}
	var argv []string
	if err := json.Unmarshal([]byte(spec), &argv); err != nil || len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "bad", rusageEnv)
		os.Exit(3)
	}
	x := exec.Command(argv[0], argv[1:]...)
	x.Stdin, x.Stdout, x.Stderr = os.Stdin, os.Stdout, os.Stderr
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, rusageEnv+"=") && !strings.HasPrefix(e, rusageFileEnv+"=") {
			env = append(env, e)
		}
	}
	x.Env = env
	err := x.Run()
	if x.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "running", argv[0], err)
		os.Exit(3)
	}
	rss, ok := peakRSS(x.ProcessState)
	if !ok {
		os.Exit(3)
	}
	if err := os.WriteFile(os.Getenv(rusageFileEnv), fmt.Appendf(nil, "%d", rss), 0o644); err != nil {
		os.Exit(3)
	}
	os.Exit(x.ProcessState.ExitCode())
}

// noCrash fails the test if stderr looks like a Go panic or runtime crash.
func noCrash(t *testing.T, r result) {
	t.Helper()
	for _, s := range []string{"panic:", "goroutine ", "fatal error:", "SIGSEGV"} {
		if bytes.Contains(r.stderr, []byte(s)) {
			t.Errorf("stderr shows a crash (%q), exit %d", s, r.code)
		}
	}
}

// wantRun checks a run's exit status and findings (as "path:line:column
// id"), that it did not crash, and that it leaked no secret.
func wantRun(t *testing.T, r result, code int, want []string, toks ...tokentest.Token) []jsonFinding {
	t.Helper()
	noCrash(t, r)
	m := map[string]tokentest.Token{}
	for i, tok := range toks {
		m[fmt.Sprint(i)] = tok
	}
	noLeak(t, r, m)
	if r.code != code {
		t.Errorf("exit = %d; want %d (stderr %s)", r.code, code, shown(r.stderr, toks...))
	}
	fs := decode(t, r)
	if want != nil && !equal(where(fs), want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(where(fs), "\n"), strings.Join(want, "\n"))
	}
	return fs
}

// TestHostileFiles scans files that are empty, tiny, binary, badly encoded
// or oddly terminated: each token is found at the line and column an editor
// shows, and nothing else is reported.
func TestHostileFiles(t *testing.T) {
	g := tokentest.New(500)
	a, b, c, d, e := g.Token("dt0c01"), g.Token("dt0s16"), g.Token("dt0c01"), g.Token("dt0c01"), g.Token("dt0g02")
	rnd := rand.New(rand.NewPCG(5, 5))
	random := make([]byte, 3<<20)
	for i := range random {
		random[i] = byte(rnd.IntN(256))
	}
	utf16le := func(s string) []byte {
		var out []byte
		for _, u := range utf16.Encode([]rune(s)) {
			out = append(out, byte(u), byte(u>>8))
		}
		return out
	}
	utf16be := func(s string) []byte {
		var out []byte
		for _, u := range utf16.Encode([]rune(s)) {
			out = append(out, byte(u>>8), byte(u))
		}
		return out
	}
	cat := func(parts ...any) []byte {
		var buf bytes.Buffer
		for _, p := range parts {
			switch p := p.(type) {
			case string:
				buf.WriteString(p)
			case []byte:
				buf.Write(p)
			}
		}
		return buf.Bytes()
	}
	cases := []struct {
		name    string
		content []byte
		code    int
		want    []string // "line:column id", the path added by the test
	}{
		{"empty", nil, 0, nil},
		{"one byte", []byte("d"), 0, nil},
		{"one newline", []byte("\n"), 0, nil},
		{"one CR", []byte("\r"), 0, nil},
		{"token alone", []byte(a.Text), 1, []string{"1:1 " + a.ID}},
		{"NUL filled", cat(bytes.Repeat([]byte{0}, 1<<20), a.Text, bytes.Repeat([]byte{0}, 1<<20)), 1, []string{fmt.Sprintf("1:%d %s", 1<<20+1, a.ID)}},
		{"NUL glued", cat("\x00", a.Text, "\x00"), 1, []string{"1:2 " + a.ID}},
		// Random bytes hold line breaks, so only the token is checked.
		{"random binary", cat(random[:1<<20], "\n", a.Text, "\n", random[1<<20:2<<20], "\n", b.Text, "\n", random[2<<20:]), 1, nil},
		// Each invalid byte counts as one column (the encoded surrogate
		// \xed\xa0\x80 is three), as Finding documents.
		{"invalid UTF-8", cat("\xff\xfe\xc3(\xed\xa0\x80 ", a.Text, "\n\x80\x80", b.Text), 1, []string{"1:9 " + a.ID, "2:3 " + b.ID}},
		{"multibyte before", cat("ключ «", a.Text, "» 🔑 ", b.Text), 1, []string{"1:7 " + a.ID, "1:107 " + b.ID}},
		{"CRLF", cat("x\r\ny\r\n\r\n  ", a.Text, "\r\n", b.Text, "\r\n"), 1, []string{"4:3 " + a.ID, "5:1 " + b.ID}},
		{"CR only", cat("x\ry\r\r  ", a.Text, "\r", b.Text, "\r"), 1, []string{"4:3 " + a.ID, "5:1 " + b.ID}},
		{"mixed endings", cat("a\nb\r\nc\rd\n\r", a.Text, "\n\r\n", b.Text), 1, []string{"6:1 " + a.ID, "8:1 " + b.ID}},
		{"LF CR pairs", cat("\n\r\n\r", a.Text), 1, []string{"4:1 " + a.ID}},
		// An ASCII token in UTF-16 text has a NUL beside each of its
		// characters (PowerShell 5 output, registry exports): found, at
		// the line and column an editor shows, whatever the line breaks.
		{"UTF-16LE with BOM", cat("\xff\xfe", utf16le("token: "+c.Text+"\n")), 1, []string{"1:8 " + c.ID}},
		{"UTF-16LE CRLF", cat("\xff\xfe", utf16le("a\r\nb\r\n  $t = '"+c.Text+"'\r\n"+b.Text)), 1, []string{"3:9 " + c.ID, "4:1 " + b.ID}},
		{"UTF-16BE with BOM", cat("\xfe\xff", utf16be("x\r\ny: "+c.Text)), 1, []string{"2:4 " + c.ID}},
		{"UTF-16LE without BOM", utf16le("é\n\tk=" + c.Text), 1, []string{"2:4 " + c.ID}},
		{"UTF-16 allow marker", cat("\xff\xfe", utf16le("x = '"+c.Text+"' # dtleaks:allow\r\ny = '"+d.Text+"'\r\n"), "\n", utf16be("z = '"+e.Text+"' // dtleaks:allow\n")), 1, []string{"2:6 " + d.ID}},
		// A UTF-16 file is still searched as bytes: a token in an ASCII
		// trailer is found.
		{"UTF-16LE then ASCII", cat("\xff\xfe", utf16le("x\n"), "\n", d.Text), 1, nil},
		{"UTF-16 surrogates broken", cat("\xff\xfe\x00\xd8\x00\xd8", e.Text), 1, []string{"1:7 " + e.ID}},
	}
	dir := t.TempDir()
	for i, tc := range cases {
		sub := filepath.Join(dir, fmt.Sprintf("case%02d", i))
		must(t, os.Mkdir(sub, 0o755))
		must(t, os.WriteFile(filepath.Join(sub, "f"), tc.content, 0o644))
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, w := range tc.want {
				want = append(want, "f:"+w)
			}
			r := dtleaks(t, filepath.Join(dir, fmt.Sprintf("case%02d", i)), "scan", "--format", "json", ".")
			fs := wantRun(t, r, tc.code, want, a, b, c, d, e)
			if tc.want == nil && tc.code == 1 && len(fs) == 0 {
				t.Errorf("no finding")
			}
		})
	}
	// An empty directory is clean, not an error.
	empty := filepath.Join(dir, "emptydir")
	must(t, os.Mkdir(empty, 0o755))
	if r := dtleaks(t, empty, "scan", "--format", "json"); r.code != 0 || strings.TrimSpace(string(r.stdout)) != "[]" {
		t.Errorf("empty directory: exit %d, stdout %q; want 0 and []", r.code, r.stdout)
	}
}

// TestHostileLongLine scans a single 100 MB line with tokens at its start,
// across a read boundary in its middle and at its end: each is found with
// its exact column, and memory stays bounded.
func TestHostileLongLine(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writes a 100 MB file")
	}
	g := tokentest.New(501)
	toks := []tokentest.Token{g.Token("dt0c01"), g.Token("dt0c01"), g.Token("dt0s16")}
	const size = 100 << 20
	line := bytes.Repeat([]byte("abcdefghij"), size/10)
	offs := []int{0, 50<<20 - 40, size - len(toks[2].Text)}
	for i, off := range offs {
		copy(line[off:], toks[i].Text)
	}
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "line.txt"), line, 0o644))
	line = nil
	r, rss := rusageRun(t, dir, "scan", "--format", "json", "--jobs", "2")
	var want []string
	for i, off := range offs {
		want = append(want, fmt.Sprintf("line.txt:1:%d %s", off+1, toks[i].ID))
	}
	wantRun(t, r, 1, want, toks...)
	if rss > 200<<20 {
		t.Errorf("peak RSS %d MB scanning a 100 MB line; want under 200 MB", rss>>20)
	}
}

// TestHostileSparseFile scans a 5 GB sparse file, zeros but for a token at
// its very end: the token is found at its line, and memory stays bounded.
// Reading 5 GB of zeros from the page cache takes about 25 s on the 2-core
// CI machine, so -short skips it.
func TestHostileSparseFile(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: reads a 5 GB sparse file (about 25 s)")
	}
	tok := tokentest.New(502).Token("dt0c01")
	const size = 5 << 30
	dir := t.TempDir()
	p := filepath.Join(dir, "sparse.img")
	f, err := os.Create(p)
	must(t, err)
	must(t, f.Truncate(size))
	tail := "\n" + tok.Text + "\n"
	_, err = f.WriteAt([]byte(tail), size-int64(len(tail)))
	must(t, err)
	must(t, f.Close())
	r, rss := rusageRun(t, dir, "scan", "--format", "json")
	wantRun(t, r, 1, []string{"sparse.img:2:1 " + tok.ID}, tok)
	if rss > 200<<20 {
		t.Errorf("peak RSS %d MB scanning a 5 GB file; want under 200 MB", rss>>20)
	}
	if !bytes.Contains(r.stderr, []byte("5.4 GB")) {
		t.Errorf("summary does not count the 5.4 GB read: %s", shown(r.stderr, tok))
	}
}

// hostileNames are file names chosen to break a report or a terminal:
// control characters, escape sequences, a fake workflow command, invalid
// UTF-8, a bidirectional override, quoting characters.
var hostileNames = []string{
	"with space.txt",
	"new\nline.txt",
	"bad\xff\xfe.txt",
	"\x1b[31mred\x1b[0m\x1b]0;title\x07.txt",
	"x\n::error file=fake,line=1::fake finding",
	"\r\x1b[2Kover.txt",
	`"quoted.txt`,
	"\u202eevil.txt",
	"tab\tname",
	"%0A::error file=pct.txt",
	"back\\slash | pipe `tick` <b>.md",
}

// jsonPath is how the JSON report writes a path: each byte that is not
// part of valid UTF-8 becomes U+FFFD.
func jsonPath(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += n
	}
	return b.String()
}

// terminalSafe fails the test if out holds anything that a terminal would
// act on rather than print: a control character other than the line feed
// ending each line, DEL, a C1 control, a bidirectional or other format
// character, or invalid UTF-8.
func terminalSafe(t *testing.T, what string, out []byte) {
	t.Helper()
	for i := 0; i < len(out); {
		r, n := utf8.DecodeRuneInString(string(out[i:]))
		bad := ""
		switch {
		case r == 0xFFFD && n == 1:
			bad = "invalid UTF-8"
		case r == '\n':
		case r < 0x20 || r == 0x7f || 0x80 <= r && r < 0xa0:
			bad = fmt.Sprintf("control character %U", r)
		case 0x200b <= r && r <= 0x200f, 0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069, r == 0xfeff:
			bad = fmt.Sprintf("format character %U", r)
		}
		if bad != "" {
			t.Errorf("%s holds a %s at offset %d", what, bad, i)
			return
		}
		i += n
	}
}

// TestHostilePaths scans files with hostile names in every format: each
// report stays well-formed (one line per finding, valid JSON and SARIF, a
// Markdown table that keeps its rows), nothing a terminal would act on
// reaches the text or GitHub output, and no name can fake a finding or an
// annotation.
func TestHostilePaths(t *testing.T) {
	g := tokentest.New(503)
	dir := t.TempDir()
	toks := map[string]tokentest.Token{}
	wantPaths := map[string]string{} // JSON path -> token ID
	for i, name := range hostileNames {
		tok := g.Token("dt0c01")
		toks[fmt.Sprint(i)] = tok
		must(t, os.WriteFile(filepath.Join(dir, name), []byte("k: "+tok.Text+"\n"), 0o644))
		wantPaths[jsonPath(name)] = tok.ID
	}
	n := len(hostileNames)
	md := filepath.Join(t.TempDir(), "summary.md")
	for _, format := range []string{"json", "text", "github", "sarif"} {
		t.Run(format, func(t *testing.T) {
			args := []string{"scan", "--format", format, "--no-color"}
			if format == "text" {
				args = append(args, "--report", "markdown="+md)
			}
			r := dtleaks(t, dir, append(args, ".")...)
			noCrash(t, r)
			noLeak(t, r, toks)
			if r.code != 1 {
				t.Errorf("exit = %d; want 1 (stderr %s)", r.code, shownMap(r.stderr, toks))
			}
			terminalSafe(t, "stderr", r.stderr)
			lines := strings.Split(strings.TrimSuffix(string(r.stdout), "\n"), "\n")
			switch format {
			case "json":
				got := map[string]string{}
				for _, f := range decode(t, r) {
					got[f.Path] = f.TokenID
				}
				if len(got) != n {
					t.Errorf("%d distinct paths in JSON; want %d", len(got), n)
				}
				for p, id := range wantPaths {
					if got[p] != id {
						t.Errorf("JSON path %+q: token %q; want %s", p, got[p], id)
					}
				}
			case "text":
				terminalSafe(t, "stdout", r.stdout)
				if len(lines) != n {
					t.Errorf("%d text lines for %d findings", len(lines), n)
				}
				for i, l := range lines {
					if strings.Count(l, ".****") != 1 || !strings.Contains(l, ":1:4: ") {
						t.Errorf("text line %d is not one whole finding at 1:4 (%d bytes)", i, len(l))
					}
				}
				data, err := os.ReadFile(md)
				must(t, err)
				terminalSafe(t, "markdown report", data)
				noLeak(t, result{stdout: data}, toks)
				rows := 0
				for _, l := range strings.Split(string(data), "\n") {
					if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| Location") && !strings.HasPrefix(l, "| ---") {
						rows++
						// Five cells: six unescaped bars.
						if c := strings.Count(l, "|") - strings.Count(l, `\|`); c != 6 {
							t.Errorf("markdown row %d has %d cell bars; want 6", rows, c)
						}
					}
				}
				if rows != n {
					t.Errorf("markdown table has %d rows; want %d", rows, n)
				}
			case "github":
				terminalSafe(t, "stdout", r.stdout)
				// GitHub shows 10 error annotations a step; one notice
				// counts the rest.
				want := min(n, report.MaxAnnotations)
				if n > report.MaxAnnotations {
					want++
				}
				if len(lines) != want {
					t.Errorf("%d workflow commands for %d findings; want %d", len(lines), n, want)
				}
				for i, l := range lines {
					if i == report.MaxAnnotations {
						if !strings.HasPrefix(l, "::notice ") || !strings.Contains(l, fmt.Sprintf("%d more finding", n-i)) {
							t.Errorf("line %d is not the notice of %d more findings: %q", i, n-i, l)
						}
						continue
					}
					if !strings.HasPrefix(l, "::error ") || strings.Count(l, ".****") != 1 {
						t.Errorf("line %d is not one whole ::error command", i)
					}
					if strings.HasPrefix(l, "::error file=fake") || strings.HasPrefix(l, "::error file=pct.txt") {
						t.Errorf("line %d is a command faked by a file name", i)
					}
				}
			case "sarif":
				var s struct {
					Runs []struct {
						Results []struct {
							Locations []struct {
								PhysicalLocation struct {
									ArtifactLocation struct {
										URI string `json:"uri"`
									} `json:"artifactLocation"`
								} `json:"physicalLocation"`
							} `json:"locations"`
						} `json:"results"`
					} `json:"runs"`
				}
				if err := json.Unmarshal(r.stdout, &s); err != nil || len(s.Runs) != 1 {
					t.Fatalf("SARIF does not parse as one run: %v", err)
				}
				if got := len(s.Runs[0].Results); got != n {
					t.Errorf("%d SARIF results; want %d", got, n)
				}
				for _, res := range s.Runs[0].Results {
					for _, loc := range res.Locations {
						u := loc.PhysicalLocation.ArtifactLocation.URI
						if strings.ContainsFunc(u, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
							t.Errorf("SARIF URI %+q is not plain ASCII", u)
						}
					}
				}
			}
		})
	}
}

// TestHostileUnreadableNames drops to an unprivileged user and scans a tree
// whose unreadable file and directory have names with escape sequences: the
// problems are reported (exit 2) with the names escaped, and the readable
// token is still found.
func TestHostileUnreadableNames(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run the binary as another user")
	}
	dir, toks := tree(t, 505, map[string]string{"ok.txt": "{a}"})
	for d := dir; d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
		if strings.Count(d, string(filepath.Separator)) <= 2 {
			break
		}
	}
	lockedDir := filepath.Join(dir, "\x1b[2Jlocked\ndir")
	lockedFile := filepath.Join(dir, "\x1b]8;;http:x\x07file\n::error file=fake::x")
	must(t, os.Mkdir(lockedDir, 0o755))
	must(t, os.WriteFile(filepath.Join(lockedDir, "in.txt"), []byte(toks["a"].Text), 0o644))
	must(t, os.WriteFile(lockedFile, []byte(toks["a"].Text), 0o644))
	must(t, os.Chmod(lockedDir, 0))
	must(t, os.Chmod(lockedFile, 0))
	t.Cleanup(func() { os.Chmod(lockedDir, 0o755) })
	for _, format := range []string{"text", "github"} {
		r := cmd{dir: dir, uid: 65534, args: []string{"scan", "--format", format}}.run(t)
		noCrash(t, r)
		if r.code != 2 {
			t.Errorf("%s: exit %d; want 2", format, r.code)
		}
		terminalSafe(t, format+" stdout", r.stdout)
		terminalSafe(t, format+" stderr", r.stderr)
		if n := bytes.Count(r.stderr, []byte("permission denied")); n != 2 {
			t.Errorf("%s: stderr reports %d unreadable paths; want 2", format, n)
		}
		if n := bytes.Count(r.stdout, []byte(toks["a"].ID+".****")); n != 1 {
			t.Errorf("%s: stdout reports the readable token %d times; want 1", format, n)
		}
		for _, l := range strings.Split(string(r.stdout)+string(r.stderr), "\n") {
			if strings.HasPrefix(l, "::error file=fake") {
				t.Errorf("%s: a file name faked a workflow command", format)
			}
		}
	}
}

// packObject is one object for writePack.
type packObject struct {
	typ  string // "blob", "tree" or "commit"
	data []byte
}

// hash returns the object's name.
func (o packObject) hash() [20]byte {
	return sha1.Sum(append(fmt.Appendf(nil, "%s %d\x00", o.typ, len(o.data)), o.data...))
}

// writePack writes objects as one pack (with its index, made by git
// index-pack) into the repository at gitDir: far faster than git
// fast-import or one loose object per file for the 100k-object cases.
func writePack(t *testing.T, gitDir string, objs []packObject) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("PACK")
	n := len(objs)
	b.Write([]byte{0, 0, 0, 2, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	types := map[string]byte{"commit": 1, "tree": 2, "blob": 3}
	z, _ := zlib.NewWriterLevel(&b, zlib.BestSpeed) // one writer, reset per object: 100k new ones cost half a minute
	for _, o := range objs {
		size := len(o.data)
		c := types[o.typ]<<4 | byte(size&0x0f)
		size >>= 4
		for size > 0 {
			b.WriteByte(c | 0x80)
			c = byte(size & 0x7f)
			size >>= 7
		}
		b.WriteByte(c)
		z.Reset(&b)
		z.Write(o.data)
		must(t, z.Close())
	}
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	p := filepath.Join(gitDir, "objects", "pack", fmt.Sprintf("pack-%x.pack", sum))
	must(t, os.WriteFile(p, b.Bytes(), 0o644))
	git(t, gitDir, "index-pack", p)
}

// treeObject builds a tree from entries of mode, name and object.
func treeObject(entries []treeEntry) packObject {
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i].name, entries[j].name
		if entries[i].mode == "40000" {
			a += "/"
		}
		if entries[j].mode == "40000" {
			b += "/"
		}
		return a < b
	})
	var d []byte
	for _, e := range entries {
		d = fmt.Appendf(d, "%s %s\x00", e.mode, e.name)
		d = append(d, e.hash[:]...)
	}
	return packObject{"tree", d}
}

type treeEntry struct {
	mode, name string
	hash       [20]byte
}

// commitObject builds a commit of tree with parents, at a fixed time.
func commitObject(tree [20]byte, msg string, when int, parents ...[20]byte) packObject {
	d := fmt.Appendf(nil, "tree %x\n", tree)
	for _, p := range parents {
		d = fmt.Appendf(d, "parent %x\n", p)
	}
	d = fmt.Appendf(d, "author Dee Veloper <dee@example.com> %d +0000\ncommitter Dee Veloper <dee@example.com> %d +0000\n\n%s\n", when, when, msg)
	return packObject{"commit", d}
}

// looseObject returns the path of a loose object in the repository at dir.
func looseObject(dir, hash string) string {
	return filepath.Join(dir, ".git", "objects", hash[:2], hash[2:])
}

// TestHostileGit damages a repository in the ways disks, interrupted
// transfers and hand edits do. Every case must end with exit 2, name what
// could not be read, and still report the tokens in what could be: never a
// crash, a hang, or a clean exit over skipped data.
func TestHostileGit(t *testing.T) {
	// a.txt is packed; c.txt, its commit and tree are loose.
	build := func(t *testing.T) (string, map[string]tokentest.Token) {
		dir, toks := tree(t, 506, map[string]string{"a.txt": "k={a}\n", "b.txt": "other\n", "later/c.txt": "k={c}\n"})
		later := filepath.Join(t.TempDir(), "c.txt")
		must(t, os.Rename(filepath.Join(dir, "later", "c.txt"), later))
		gitInit(t, dir)
		commit(t, dir, "one", nil)
		git(t, dir, "repack", "-q", "-a", "-d")
		must(t, os.Rename(later, filepath.Join(dir, "c.txt")))
		commit(t, dir, "two", nil)
		return dir, toks
	}
	obj := func(t *testing.T, dir, rev string) string { return git(t, dir, "rev-parse", rev) }
	writeObj := func(t *testing.T, path string, data []byte) {
		os.Chmod(path, 0o644)
		must(t, os.WriteFile(path, data, 0o644))
	}
	deflate := func(s string) []byte {
		var b bytes.Buffer
		z := zlib.NewWriter(&b)
		z.Write([]byte(s))
		z.Close()
		return b.Bytes()
	}
	cases := []struct {
		name   string
		args   []string
		damage func(t *testing.T, dir string) string // returns what stderr must name
		found  []string                              // tokens still found
	}{
		{"truncated pack", nil, func(t *testing.T, dir string) string {
			packs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.pack"))
			if len(packs) != 1 {
				t.Fatalf("%d packs; want 1", len(packs))
			}
			fi, err := os.Stat(packs[0])
			must(t, err)
			must(t, os.Truncate(packs[0], fi.Size()/2))
			return filepath.Base(packs[0])
		}, []string{"c"}},
		{"corrupt loose object", nil, func(t *testing.T, dir string) string {
			h := obj(t, dir, "HEAD:c.txt")
			writeObj(t, looseObject(dir, h), []byte("\x78\x9c not zlib at all \xff\x00"))
			return h
		}, []string{"a"}},
		{"loose object cut short", nil, func(t *testing.T, dir string) string {
			h := obj(t, dir, "HEAD:c.txt")
			writeObj(t, looseObject(dir, h), deflate("blob 500\x00k=dt0c01"))
			return h
		}, []string{"a"}},
		{"loose object with wrong content", nil, func(t *testing.T, dir string) string {
			h := obj(t, dir, "HEAD:c.txt")
			writeObj(t, looseObject(dir, h), deflate("blob 6\x00hello\n"))
			return h
		}, []string{"a"}},
		{"corrupt commit", nil, func(t *testing.T, dir string) string {
			h := obj(t, dir, "HEAD")
			writeObj(t, looseObject(dir, h), deflate("commit 20\x00tree zzzz\nparent \x00\x01\n"))
			return h[:12]
		}, []string{"a", "c"}},
		{"missing tree", nil, func(t *testing.T, dir string) string {
			h := obj(t, dir, "HEAD^{tree}")
			must(t, os.Remove(looseObject(dir, h)))
			return h
		}, []string{"a", "c"}},
		{"missing blob, range", []string{"--range", "HEAD~1..HEAD"}, func(t *testing.T, dir string) string {
			h := obj(t, dir, "HEAD:c.txt")
			must(t, os.Remove(looseObject(dir, h)))
			return h
		}, nil},
		{"missing blob", nil, func(t *testing.T, dir string) string {
			h := obj(t, dir, "HEAD:c.txt")
			must(t, os.Remove(looseObject(dir, h)))
			return h
		}, []string{"a"}},
		{"missing blob, --no-unreachable", []string{"--no-unreachable"}, func(t *testing.T, dir string) string {
			h := obj(t, dir, "HEAD:c.txt")
			must(t, os.Remove(looseObject(dir, h)))
			return h
		}, []string{"a"}},
		{"ref to a missing object", nil, func(t *testing.T, dir string) string {
			must(t, os.WriteFile(filepath.Join(dir, ".git", "refs", "heads", "ghost"), []byte("1234567890123456789012345678901234567890\n"), 0o644))
			return "1234567890123456789012345678901234567890"
		}, []string{"a", "c"}},
		{"symbolic ref to nothing", nil, func(t *testing.T, dir string) string {
			must(t, os.WriteFile(filepath.Join(dir, ".git", "refs", "heads", "sym"), []byte("ref: refs/heads/nothing\n"), 0o644))
			return "refs/heads/sym"
		}, []string{"a", "c"}},
		{"garbage ref", nil, func(t *testing.T, dir string) string {
			must(t, os.WriteFile(filepath.Join(dir, ".git", "refs", "heads", "junk"), []byte("\x1b[31mnot a hash\n"), 0o644))
			return "not found"
		}, []string{"a", "c"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, toks := build(t)
			name := c.damage(t, dir)
			r := dtleaks(t, dir, append(append([]string{"history", "--format", "json"}, c.args...), ".")...)
			noCrash(t, r)
			noLeak(t, r, toks)
			terminalSafe(t, "stderr", r.stderr)
			if r.code != 2 {
				t.Errorf("exit = %d; want 2 (stderr %s)", r.code, shownMap(r.stderr, toks))
			}
			if !bytes.Contains(r.stderr, []byte(name)) {
				t.Errorf("stderr does not name %s: %s", name, shownMap(r.stderr, toks))
			}
			found := map[string]bool{}
			for _, f := range decode(t, r) {
				found[f.TokenID] = true
			}
			for _, n := range c.found {
				if !found[toks[n].ID] {
					t.Errorf("token %s (%s) not found beside the damage", n, toks[n].ID)
				}
			}
		})
	}
}

// TestHostileStagedMissingBlob stages a file and then loses its blob: the
// pre-commit scan must fail (exit 2, naming the object), not let the commit
// through.
func TestHostileStagedMissingBlob(t *testing.T) {
	dir, _ := tree(t, 507, map[string]string{"a.txt": "base\n"})
	gitInit(t, dir)
	commit(t, dir, "base", nil)
	must(t, os.WriteFile(filepath.Join(dir, "new.txt"), []byte("k="+tokentest.New(508).Token("dt0c01").Text+"\n"), 0o644))
	git(t, dir, "add", "new.txt")
	h := git(t, dir, "rev-parse", ":new.txt")
	must(t, os.Remove(looseObject(dir, h)))
	r := dtleaks(t, dir, "staged")
	noCrash(t, r)
	if r.code != 2 || !bytes.Contains(r.stderr, []byte(h[:12])) {
		t.Errorf("staged with a missing blob: exit %d, stderr %q; want 2 naming %s", r.code, r.stderr, h[:12]) // the lost blob's token is not in stderr: no content was read
	}
}

// newRepo makes an empty repository and returns its directory.
func newRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	gitInit(t, dir)
	return dir
}

func blobObject(s string) packObject { return packObject{"blob", []byte(s)} }

// TestHostileGitManyFiles scans a repository whose one tree holds 100k
// small files: history finds the one token among them, and staged, with the
// index of that tree and one file added, reports only the added token.
// Building the pack takes a few seconds; the scans about as long.
func TestHostileGitManyFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a 100k-file repository")
	}
	const n = 100_000
	g := tokentest.New(509)
	old, added := g.Token("dt0c01"), g.Token("dt0s16")
	dir := newRepo(t)
	objs := make([]packObject, 0, n+2)
	entries := make([]treeEntry, 0, n)
	for i := range n {
		content := fmt.Sprintf("file %d\n", i)
		if i == 54321 {
			content = "k=" + old.Text + "\n"
		}
		b := blobObject(content)
		objs = append(objs, b)
		entries = append(entries, treeEntry{"100644", fmt.Sprintf("f%06d.txt", i), b.hash()})
	}
	root := treeObject(entries)
	c := commitObject(root.hash(), "many files", 1700000000)
	objs = append(objs, root, c)
	start := time.Now()
	writePack(t, filepath.Join(dir, ".git"), objs)
	git(t, dir, "update-ref", "refs/heads/master", fmt.Sprintf("%x", c.hash()))
	t.Logf("built in %v", time.Since(start))

	start = time.Now()
	r := dtleaks(t, dir, "history", "--format", "json", ".")
	t.Logf("history in %v", time.Since(start))
	fs := wantRun(t, r, 1, []string{"f054321.txt:1:3 " + old.ID}, old, added)
	if len(fs) == 1 && fs[0].Path == "f054321.txt" && !bytes.Contains(r.stdout, fmt.Appendf(nil, "%x", c.hash())) {
		t.Errorf("finding not traced to commit %x", c.hash())
	}
	// The blobs, the commit's message and headers, the branch's name.
	if !bytes.Contains(r.stderr, []byte("100003 objects")) {
		t.Errorf("summary does not count 100003 objects: %s", shown(r.stderr, old, added))
	}

	start = time.Now()
	git(t, dir, "read-tree", "HEAD")
	must(t, os.WriteFile(filepath.Join(dir, "new.txt"), []byte("a\nk="+added.Text+"\n"), 0o644))
	git(t, dir, "add", "new.txt")
	t.Logf("index in %v", time.Since(start))
	start = time.Now()
	r = dtleaks(t, dir, "staged", "--format", "json")
	t.Logf("staged in %v", time.Since(start))
	wantRun(t, r, 1, []string{"new.txt:2:3 " + added.ID}, old, added)
}

// TestHostileGitMerges scans a history of 3000 merge commits, each merging
// a side branch commit into the main line: the token that a side commit
// introduced is traced to that commit, not to the merge that brought it in.
func TestHostileGitMerges(t *testing.T) {
	const n = 3000
	tok := tokentest.New(510).Token("dt0c01")
	dir := newRepo(t)
	mainBlob := blobObject("main\n")
	tokBlob := blobObject("k=" + tok.Text + "\n")
	objs := []packObject{mainBlob, tokBlob}
	var mainTip, sideTip [20]byte
	var introducer [20]byte
	for i := 1; i <= n; i++ {
		side := blobObject(fmt.Sprintf("side %d\n", i))
		sideEntries := []treeEntry{{"100644", "side.txt", side.hash()}}
		if i >= n/2 {
			sideEntries = append(sideEntries, treeEntry{"100644", "tok.txt", tokBlob.hash()})
		}
		sideTree := treeObject(sideEntries)
		var sc packObject
		if i == 1 {
			sc = commitObject(sideTree.hash(), fmt.Sprintf("side %d", i), 1700000000+2*i)
		} else {
			sc = commitObject(sideTree.hash(), fmt.Sprintf("side %d", i), 1700000000+2*i, sideTip)
		}
		sideTip = sc.hash()
		if i == n/2 {
			introducer = sideTip
		}
		mainTree := treeObject(append(sideEntries, treeEntry{"100644", "main.txt", mainBlob.hash()}))
		var mc packObject
		if i == 1 {
			mc = commitObject(mainTree.hash(), fmt.Sprintf("merge %d", i), 1700000001+2*i, sideTip)
		} else {
			mc = commitObject(mainTree.hash(), fmt.Sprintf("merge %d", i), 1700000001+2*i, mainTip, sideTip)
		}
		mainTip = mc.hash()
		objs = append(objs, side, sideTree, sc, mainTree, mc)
	}
	writePack(t, filepath.Join(dir, ".git"), objs)
	git(t, dir, "update-ref", "refs/heads/master", fmt.Sprintf("%x", mainTip))
	git(t, dir, "update-ref", "refs/heads/side", fmt.Sprintf("%x", sideTip))

	for _, jobs := range []string{"1", "2"} {
		r := dtleaks(t, dir, "history", "--format", "json", "--jobs", jobs, ".")
		wantRun(t, r, 1, []string{"tok.txt:1:3 " + tok.ID}, tok)
		var fs []struct {
			Commit string `json:"commit"`
			AtHead bool   `json:"at_head"`
		}
		if err := json.Unmarshal(r.stdout, &fs); err != nil || len(fs) != 1 {
			t.Fatalf("--jobs %s: %d findings (%v); want 1", jobs, len(fs), err)
		}
		if want := fmt.Sprintf("%x", introducer); fs[0].Commit != want || !fs[0].AtHead {
			t.Errorf("--jobs %s: traced to commit %s (at_head %v); want side commit %s, still at HEAD", jobs, fs[0].Commit, fs[0].AtHead, want)
		}
	}
	r := dtleaks(t, dir, "history", "--format", "json", "--range", "master~10..master", ".")
	if r.code != 0 {
		t.Errorf("a range of merges after the token: exit %d; want 0 (the token was introduced before it) (stderr %s)", r.code, shown(r.stderr, tok))
	}
}

// TestHostileGitHugeBlob scans a 256 MB blob, packed and loose, with a
// token at its very end: found, with memory bounded well below the blob's
// size.
func TestHostileGitHugeBlob(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a 256 MB blob")
	}
	const size = 256 << 20
	tok := tokentest.New(511).Token("dt0c01")
	data := bytes.Repeat([]byte("0123456789abcdef\n"), size/17)
	data = append(data, "k="+tok.Text+"\n"...)
	line := bytes.Count(data, []byte("\n"))
	big := packObject{"blob", data}
	root := treeObject([]treeEntry{{"100644", "huge.bin", big.hash()}})
	c := commitObject(root.hash(), "huge", 1700000000)

	for _, how := range []string{"packed", "loose"} {
		t.Run(how, func(t *testing.T) {
			dir := newRepo(t)
			gitDir := filepath.Join(dir, ".git")
			if how == "packed" {
				writePack(t, gitDir, []packObject{big, root, c})
			} else {
				writePack(t, gitDir, []packObject{root, c})
				h := fmt.Sprintf("%x", big.hash())
				must(t, os.MkdirAll(filepath.Dir(looseObject(dir, h)), 0o755))
				f, err := os.Create(looseObject(dir, h))
				must(t, err)
				z, _ := zlib.NewWriterLevel(f, zlib.BestSpeed)
				fmt.Fprintf(z, "blob %d\x00", len(data))
				z.Write(data)
				must(t, z.Close())
				must(t, f.Close())
			}
			git(t, dir, "update-ref", "refs/heads/master", fmt.Sprintf("%x", c.hash()))
			r, rss := rusageRun(t, dir, "history", "--format", "json", ".")
			wantRun(t, r, 1, []string{fmt.Sprintf("huge.bin:%d:3 %s", line, tok.ID)}, tok)
			if rss > 200<<20 {
				t.Errorf("peak RSS %d MB on a 256 MB blob; want under 200 MB", rss>>20)
			}
			t.Logf("peak RSS %d MB", rss>>20)
		})
	}
}

// TestHostileCommandLine gives every command the mistakes users make: each
// is one line on stderr naming the problem, exit 2, nothing on stdout, and
// no work done (no summary, no report file created). TestScanErrorsBeforeWork
// covers scan's basic cases; this covers history and staged too, bad flag
// values, every kind of bad baseline, and report paths.
func TestHostileCommandLine(t *testing.T) {
	dir, toks := tree(t, 512, map[string]string{"a.txt": "{a}\n"})
	gitInit(t, dir)
	commit(t, dir, "one", nil)
	must(t, os.WriteFile(filepath.Join(dir, "notjson.json"), []byte("{not json"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "object.json"), []byte(`{"a": 1}`), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "numbers.json"), []byte(`[1, 2]`), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "empty.json"), nil, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "binary.json"), []byte("\x00\xff\x1b[2J"), 0o644))
	must(t, os.Mkdir(filepath.Join(dir, "adir.json"), 0o755))
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--frobnicate"}, "frobnicate"},
		{[]string{"--jobs", "many"}, "jobs"},
		{[]string{"--jobs", "-3"}, "jobs"},
		{[]string{"--format", "\x1b[31mxml"}, "format"},
		{[]string{"--report", "xml=out.xml"}, "--report"},
		{[]string{"--report", "json"}, "--report"},
		{[]string{"--report", "json="}, "--report"},
		{[]string{"--baseline", "nope.json"}, "nope.json"},
		{[]string{"--baseline", "notjson.json"}, "notjson.json"},
		{[]string{"--baseline", "object.json"}, "object.json"},
		{[]string{"--baseline", "numbers.json"}, "numbers.json"},
		{[]string{"--baseline", "empty.json"}, "empty.json"},
		{[]string{"--baseline", "binary.json"}, "binary.json"},
		{[]string{"--baseline", "adir.json"}, "adir.json"},
		{[]string{"--output", "no/dir/out.json"}, "no/dir"},
		{[]string{"--report", "sarif=no/dir/out.sarif"}, "no/dir"},
		{[]string{"--output", "adir.json"}, "adir.json"},
		{[]string{"nosuch/path"}, "nosuch/path"},
	}
	for _, command := range []string{"scan", "history", "staged"} {
		for _, c := range cases {
			if command == "scan" && c.args[0] == "nosuch/path" {
				continue // a problem beside the other paths' findings: scan_missing_path.txtar
			}
			args := append([]string{command, "--output", "made.out"}, c.args...)
			if c.args[0] == "--output" {
				args = append([]string{command}, c.args...)
			}
			label := strings.Join(args, " ")
			r := dtleaks(t, dir, args...)
			noCrash(t, r)
			terminalSafe(t, label+": stderr", r.stderr)
			lines := strings.Split(strings.TrimSuffix(string(r.stderr), "\n"), "\n")
			if r.code != 2 || len(r.stdout) != 0 || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
				t.Errorf("%+q: exit %d, %d bytes of stdout, stderr %s; want 2, nothing, one line naming %q", label, r.code, len(r.stdout), shownMap(r.stderr, toks), c.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "made.out")); err == nil {
				t.Errorf("%+q: the report file was created before the error", label)
				os.Remove(filepath.Join(dir, "made.out"))
			}
		}
	}
	// Too many repositories, and stdin mixed with paths. (history takes
	// many repositories since issue 13.)
	for _, args := range [][]string{{"staged", ".", "."}, {"scan", "-", "."}} {
		if r := dtleaks(t, dir, args...); r.code != 2 || bytes.Count(r.stderr, []byte("\n")) != 1 {
			t.Errorf("%q: exit %d, stderr %s; want 2 and one line", args, r.code, shownMap(r.stderr, toks))
		}
	}
	// --help is not an error: the usage goes to stdout.
	for _, command := range []string{"scan", "history", "staged"} {
		r := dtleaks(t, dir, command, "--help")
		if r.code != 0 || !bytes.Contains(r.stdout, []byte("Usage: dtleaks "+command)) {
			t.Errorf("%s --help: exit %d, stdout %q; want 0 and the usage", command, r.code, r.stdout)
		}
	}
	if os.Getuid() != 0 {
		return
	}
	// A baseline the user cannot read, for real: as an unprivileged user.
	for d := dir; d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
		if strings.Count(d, string(filepath.Separator)) <= 2 {
			break
		}
	}
	must(t, os.WriteFile(filepath.Join(dir, "locked.json"), []byte("[]"), 0o600))
	for _, command := range []string{"scan", "history", "staged"} {
		r := cmd{dir: dir, uid: 65534, args: []string{command, "--baseline", "locked.json"}}.run(t)
		if r.code != 2 || !bytes.Contains(r.stderr, []byte("locked.json: permission denied")) || bytes.Count(r.stderr, []byte("\n")) != 1 {
			t.Errorf("%s with an unreadable baseline: exit %d, stderr %s; want 2 and one line", command, r.code, shownMap(r.stderr, toks))
		}
	}
}

// TestHostileHistoryTerminal commits files with hostile names, by an author
// whose name and e-mail hold escape sequences and a fake workflow command,
// with such a message: history and staged output in text and github format
// stay free of anything a terminal acts on, one line per finding, and no
// line is a workflow command the repository wrote.
func TestHostileHistoryTerminal(t *testing.T) {
	g := tokentest.New(513)
	dir := newRepo(t)
	toks := map[string]tokentest.Token{}
	var names []string
	for i, name := range hostileNames {
		if strings.ContainsAny(name, "\n\r\t") && i%2 == 0 {
			continue // git stores these too, but keep the tree small
		}
		tok := g.Token("dt0c01")
		toks[fmt.Sprint(i)] = tok
		names = append(names, name)
		must(t, os.WriteFile(filepath.Join(dir, name), []byte("k="+tok.Text+"\n"), 0o644))
	}
	msgTok := g.Token("dt0s16")
	toks["msg"] = msgTok
	git(t, dir, "add", "-A")
	evil := "\x1b]0;pwned\x07Eve\x1b[2K\n::error file=fake::x"
	x := exec.Command("git", "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "-m", "\x1b[31mfix\n::error file=msg::fake "+msgTok.Text)
	x.Dir = dir
	x.Env = append(os.Environ(), "GIT_AUTHOR_NAME="+evil, "GIT_AUTHOR_EMAIL=e\x1b[1m@x", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	if out, err := x.CombinedOutput(); err != nil {
		t.Fatalf("git commit: %v\n%s", err, out)
	}
	// git drops some control characters from identities; whatever it
	// kept is what dtleaks must escape.
	stagedTok := g.Token("dt0c01")
	toks["staged"] = stagedTok
	must(t, os.WriteFile(filepath.Join(dir, "\x1b[1mstaged\n::error file=s::x"), []byte(stagedTok.Text), 0o644))
	git(t, dir, "add", "-A")

	for _, c := range []struct {
		args []string
		n    int
	}{
		{[]string{"history", "--format", "text"}, len(names) + 2}, // + the message, + the staged blob (unreachable)
		{[]string{"history", "--format", "github"}, len(names) + 2},
		{[]string{"staged", "--format", "text"}, 1},
		{[]string{"staged", "--format", "github"}, 1},
	} {
		label := strings.Join(c.args, " ")
		r := dtleaks(t, dir, c.args...)
		noCrash(t, r)
		noLeak(t, r, toks)
		if r.code != 1 {
			t.Errorf("%s: exit %d; want 1 (stderr %s)", label, r.code, shownMap(r.stderr, toks))
		}
		terminalSafe(t, label+": stdout", r.stdout)
		terminalSafe(t, label+": stderr", r.stderr)
		lines := strings.Split(strings.TrimSuffix(string(r.stdout), "\n"), "\n")
		want := c.n
		if c.args[len(c.args)-1] == "github" && c.n > report.MaxAnnotations {
			// GitHub shows 10 error annotations a step; a notice counts
			// the rest.
			want = report.MaxAnnotations
			if len(lines) == want+1 && strings.HasPrefix(lines[want], "::notice ") {
				lines = lines[:want]
			}
		}
		if len(lines) != want {
			t.Errorf("%s: %d lines for %d findings; want %d", label, len(lines), c.n, want)
		}
		for i, l := range lines {
			if strings.Count(l, ".****") != 1 {
				t.Errorf("%s: line %d is not one whole finding", label, i)
			}
			for _, fake := range []string{"::error file=fake", "::error file=msg", "::error file=s:", "::error file=pct"} {
				if strings.HasPrefix(l, fake) {
					t.Errorf("%s: line %d is a workflow command written by the repository", label, i)
				}
			}
		}
	}
	r := dtleaks(t, dir, "history", "--format", "json")
	var fs []struct {
		AuthorName string `json:"author_name"`
	}
	if err := json.Unmarshal(r.stdout, &fs); err != nil {
		t.Fatalf("history JSON does not parse: %v", err)
	}
}

// TestHostileGitBrokenRefClean points a ref at an object the store lacks in
// a repository with no token at all, so that nothing but the broken ref
// can make the exit status 2: the scan must not call it clean.
func TestHostileGitBrokenRefClean(t *testing.T) {
	for _, c := range []struct {
		name  string
		args  []string
		empty bool
	}{
		{"no-unreachable", []string{"--no-unreachable"}, false},
		{"default", nil, false},
		{"empty store", nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := newRepo(t)
			if !c.empty {
				commit(t, dir, "clean", map[string]*string{"a.txt": str("nothing\n")})
			}
			ghost := "1234567890123456789012345678901234567890"
			must(t, os.WriteFile(filepath.Join(dir, ".git", "refs", "heads", "ghost"), []byte(ghost+"\n"), 0o644))
			r := dtleaks(t, dir, append(append([]string{"history"}, c.args...), ".")...)
			noCrash(t, r)
			if r.code != 2 || !bytes.Contains(r.stderr, []byte(ghost)) {
				t.Errorf("exit %d, stderr %q; want 2 naming %s", r.code, r.stderr, ghost)
			}
		})
	}
}

// TestHostileGitSHA256 runs history and staged on a repository that names
// its objects with SHA-256, which go-git cannot read: each must fail with
// exit 2 and say why, not scan nothing and call it clean.
func TestHostileGitSHA256(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", "--object-format=sha256", dir).CombinedOutput(); err != nil {
		t.Skipf("this git cannot make a SHA-256 repository: %v: %s", err, out)
	}
	tok := tokentest.New(510).Token("dt0c01")
	commit(t, dir, "one", map[string]*string{"a.env": str("K=" + tok.Text + "\n")})
	must(t, os.WriteFile(filepath.Join(dir, "b.env"), []byte("K="+tok.Text+"\n"), 0o644))
	git(t, dir, "add", "b.env")
	for _, mode := range []string{"history", "staged"} {
		r := dtleaks(t, dir, mode, ".")
		noCrash(t, r)
		noLeak(t, r, map[string]tokentest.Token{"t": tok})
		if r.code != 2 || !bytes.Contains(r.stderr, []byte("SHA-256 repositories are not supported")) {
			t.Errorf("%s: exit %d, stderr %q; want 2 saying SHA-256 is not supported", mode, r.code, r.stderr)
		}
	}
}
