package report_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"config/app.env", "config/app.env"},
		{"dir with space/a b.txt", "dir with space/a b.txt"},
		{"ünïcödé/日本語.yaml", "ünïcödé/日本語.yaml"},
		{"new\nline", `"new\nline"`},
		{"cr\rhere", `"cr\rhere"`},
		{"tab\there", `"tab\there"`},
		{"esc\x1b[31mred", `"esc\x1b[31mred"`},
		{"bell\a", `"bell\a"`},
		{"del\x7f", `"del\x7f"`},
		{"nul\x00", `"nul\x00"`},
		{"c1\u009b31m", `"c1\u009b31m"`},
		{"bad\xffutf8", `"bad\xffutf8"`},
		{"trunc\xe6\x97", `"trunc\xe6\x97"`},
		{"bidi\u202eevil", `"bidi\u202eevil"`},
		{"sep\u2028line", `"sep\u2028line"`},
		{`"quoted"`, `"\"quoted\""`},
		{`mid"quote`, `mid"quote`},
		{`back\slash`, `back\slash`},
		// A fake findings line needs a newline, which is always escaped.
		{"a.txt\nb.txt:1:1: classic-access-token dt0c01.X.****", `"a.txt\nb.txt:1:1: classic-access-token dt0c01.X.****"`},
	}
	for _, tt := range tests {
		got := report.Escape(tt.in)
		if got != tt.want {
			t.Errorf("Escape(%q) = %q; want %q", tt.in, got, tt.want)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			t.Errorf("Escape(%q) = %q holds a control character", tt.in, got)
		}
		// The quoted form is unambiguous: it unquotes to the input.
		if strings.HasPrefix(got, `"`) {
			if back, err := strconv.Unquote(got); err != nil || back != tt.in {
				t.Errorf("strconv.Unquote(Escape(%q)) = %q, %v; want the input", tt.in, back, err)
			}
		}
	}
}

func TestTextLines(t *testing.T) {
	res, toks := fixture()
	out, ok := render(t, "text", func(w io.Writer, r scanner.Result) error { return report.Text(w, r, report.Options{}) }, res, toks)
	if !ok {
		return
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(res.Findings) {
		t.Fatalf("Text wrote %d lines for %d findings", len(lines), len(res.Findings))
	}
	line := regexp.MustCompile(`^(.+):(\d+):(\d+): ([a-z-]+) (\S+\.\*\*\*\*|\*\*\*\* \(fingerprint [0-9a-f]{8}…\))( .*)?$`)
	for i, l := range lines {
		f := res.Findings[i]
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("line %d = %q; want path:line:column: type id.**** [context]", i+1, l)
			continue
		}
		if f.Path != "" && m[1] != report.Escape(f.Path) {
			t.Errorf("line %d path = %q; want %q", i+1, m[1], report.Escape(f.Path))
		}
		if m[2] != strconv.Itoa(f.Line) || m[3] != strconv.Itoa(f.Column) {
			t.Errorf("line %d position = %s:%s; want %d:%d", i+1, m[2], m[3], f.Line, f.Column)
		}
		if m[4] != f.Kind.Name {
			t.Errorf("line %d type = %q; want %q", i+1, m[4], f.Kind.Name)
		}
		if f.ID != "" && m[5] != string(f.ID)+".****" {
			t.Errorf("line %d token = %q; want %q", i+1, m[5], f.ID+".****")
		}
		if f.ID == "" && !strings.Contains(m[5], string(f.Fingerprint[:8])) {
			t.Errorf("line %d legacy token = %q; want the fingerprint prefix %s", i+1, m[5], f.Fingerprint[:8])
		}
		ctx := m[6]
		for _, want := range wantContext(f) {
			if !strings.Contains(ctx, want) {
				t.Errorf("line %d context = %q; want it to contain %q", i+1, ctx, want)
			}
		}
	}
}

// wantContext lists what a finding's text line must add after the token.
func wantContext(f scanner.Finding) []string {
	var want []string
	if f.Encoding != "" {
		want = append(want, "["+string(f.Encoding)+"]")
	}
	if f.Environment != "" {
		want = append(want, "env "+f.Environment)
	}
	if f.Origin.Commit != "" {
		want = append(want, "commit "+f.Origin.Commit[:12], report.Escape(f.Origin.AuthorName), "2024-03-05")
	}
	if f.Origin.Unreachable {
		want = append(want, "blob "+f.Origin.Blob[:12]+" (unreachable)")
	}
	if f.Origin.AtHead {
		want = append(want, "still at HEAD")
	}
	return want
}

func TestTextColor(t *testing.T) {
	res, toks := fixture()
	plain, ok1 := render(t, "plain", func(w io.Writer, r scanner.Result) error { return report.Text(w, r, report.Options{}) }, res, toks)
	colored, ok2 := render(t, "color", func(w io.Writer, r scanner.Result) error { return report.Text(w, r, report.Options{Color: true}) }, res, toks)
	if !ok1 || !ok2 {
		return
	}
	if bytes.Equal(plain, colored) {
		t.Fatal("Text with Color: true wrote no colour")
	}
	sgr := regexp.MustCompile(`\x1b\[[0-9;]*m`)
	if got := sgr.ReplaceAll(colored, nil); !bytes.Equal(got, plain) {
		t.Errorf("coloured text without its SGR sequences differs from plain text:\n%s", lineDiff(got, plain))
	}
	// The only escape sequences are our own colours: none from the paths.
	if i := bytes.IndexByte(sgr.ReplaceAll(colored, nil), 0x1b); i >= 0 {
		t.Errorf("coloured text has a stray ESC at offset %d", i)
	}
}

func TestSummary(t *testing.T) {
	res, _ := fixture()
	res.Problems = []scanner.Problem{{Path: "a", Err: errors.New("boom")}}
	tests := []struct {
		name   string
		items  report.Items
		res    scanner.Result
		hidden int
		want   string
	}{
		{"empty", report.Files, scanner.Result{}, 0,
			"dtleaks: 0 findings (0 distinct tokens), 0 problems; 0 files, 0 B in 0s\n"},
		{"scan", report.Files, res, 0,
			"dtleaks: 9 findings (9 distinct tokens), 1 problem; 1520 files, 270.1 MB in 1.235s\n"},
		{"history hidden", report.Objects, res, 2,
			"dtleaks: 9 findings (9 distinct tokens), 2 hidden by the baseline, 1 problem; 1520 objects, 270.1 MB in 1.235s\n"},
		{"one of each", report.Files, scanner.Result{
			Findings: []scanner.Finding{{Fingerprint: "a"}},
			Stats:    scanner.Stats{Items: 1, Bytes: 999, Duration: time.Millisecond},
		}, 0,
			"dtleaks: 1 finding (1 distinct token), 0 problems; 1 file, 999 B in 1ms\n"},
		{"same token twice", report.Files, scanner.Result{
			Findings: []scanner.Finding{{Fingerprint: "a", Path: "x"}, {Fingerprint: "a", Path: "y"}},
			Stats:    scanner.Stats{Items: 2, Bytes: 5_000_000_000_000_000},
		}, 0,
			"dtleaks: 2 findings (1 distinct token), 0 problems; 2 files, 5000.0 TB in 0s\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := report.Summary(&buf, tt.items, tt.res, tt.hidden); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != tt.want {
			t.Errorf("%s: Summary = %q; want %q", tt.name, got, tt.want)
		}
	}
}

// namedError is an error whose message names a path, and says so.
type namedError struct{ path, msg string }

func (e namedError) Error() string     { return e.msg }
func (e namedError) NamedPath() string { return e.path }

func TestProblems(t *testing.T) {
	tests := []struct {
		p    scanner.Problem
		want string
	}{
		{scanner.Problem{Path: "a/b", Err: errors.New("read failed")}, "dtleaks: a/b: read failed\n"},
		{scanner.Problem{Path: "a/b", Err: &fs.PathError{Op: "open", Path: "a/b", Err: fs.ErrPermission}},
			"dtleaks: open a/b: permission denied\n"},
		{scanner.Problem{Err: errors.New("corrupt pack")}, "dtleaks: corrupt pack\n"},
		{scanner.Problem{Path: "a", Err: errors.New("read failed")}, "dtleaks: a: read failed\n"},
		{scanner.Problem{Path: "b.txt", Err: namedError{"b.txt", "blob 1a2b of b.txt: zlib: invalid header"}}, "dtleaks: blob 1a2b of b.txt: zlib: invalid header\n"},
		{scanner.Problem{Path: "b.txt", Err: errors.New("blob 1a2b of b.txt: zlib: invalid header")}, "dtleaks: b.txt: blob 1a2b of b.txt: zlib: invalid header\n"},
		{scanner.Problem{Path: "sub/a", Err: &fs.PathError{Op: "read", Path: "/abs/root/sub/a", Err: fs.ErrClosed}}, "dtleaks: read /abs/root/sub/a: file already closed\n"},
		{scanner.Problem{Path: "x\x1b[2Jy", Err: errors.New("short read")}, "dtleaks: \"x\\x1b[2Jy\": short read\n"},
		{scanner.Problem{Path: "n\nl", Err: &fs.PathError{Op: "open", Path: "n\nl", Err: fs.ErrNotExist}},
			"dtleaks: \"open n\\nl: file does not exist\"\n"},
		{scanner.Problem{Path: "p"}, "dtleaks: p: <nil>\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := report.Problems(&buf, []scanner.Problem{tt.p}); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != tt.want {
			t.Errorf("Problems(%q, %v) = %q; want %q", tt.p.Path, tt.p.Err, got, tt.want)
		}
	}
}

func TestNilKind(t *testing.T) {
	res := scanner.Result{Findings: []scanner.Finding{{ID: rules.ID("dt0x01.ABC"), Path: "a", Line: 1, Column: 1}}}
	for _, f := range report.Formats() {
		var buf bytes.Buffer
		if err := report.Write(&buf, f, res, report.Options{}); err != nil {
			t.Errorf("Write(%s) of a finding without a kind: %v", f, err)
		}
	}
}
