package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testOptions are the options every golden is rendered with: a fixed
// version, so the SARIF golden does not change with releases, and a fixed
// command and time for the HTML page.
var testOptions = report.Options{
	ToolVersion: "0.0.0-test",
	Command:     "dtleaks history --format html .",
	Targets:     []string{"."},
	Time:        time.Date(2026, 12, 2, 3, 40, 0, 0, time.UTC),
}

// formats maps a golden file's extension to the output it holds.
var formats = []struct {
	ext    string
	render func(io.Writer, scanner.Result) error
}{
	{"txt", func(w io.Writer, r scanner.Result) error { return report.Write(w, "text", r, testOptions) }},
	{"json", func(w io.Writer, r scanner.Result) error { return report.Write(w, "json", r, testOptions) }},
	{"sarif", func(w io.Writer, r scanner.Result) error { return report.Write(w, "sarif", r, testOptions) }},
	{"github", func(w io.Writer, r scanner.Result) error { return report.Write(w, "github", r, testOptions) }},
	{"html", func(w io.Writer, r scanner.Result) error { return report.Write(w, "html", r, testOptions) }},
	{"md", report.StepSummary},
	{"summary", func(w io.Writer, r scanner.Result) error { return report.Summary(w, report.Objects, r, 0) }},
}

// render runs one format and fails the test on an error or on any leaked
// secret. It returns ok=false after a leak, so that callers never go on to
// print the output in a diff.
func render(t *testing.T, name string, fn func(io.Writer, scanner.Result) error, res scanner.Result, toks []tokentest.Token) ([]byte, bool) {
	t.Helper()
	var buf bytes.Buffer
	if err := fn(&buf, res); err != nil {
		t.Errorf("%s: %v", name, err)
		return nil, false
	}
	if desc, leaked := tokentest.Leak(buf.Bytes(), toks...); leaked {
		t.Errorf("%s leaks a secret: %s", name, desc)
		return nil, false
	}
	return buf.Bytes(), true
}

func TestGolden(t *testing.T) {
	full, toks := fixture()
	verified, vtoks := verifiedFixture()
	toks = append(toks, vtoks...)
	cases := []struct {
		name string
		res  scanner.Result
	}{
		{"fixture", full},
		{"empty", scanner.Result{}},
		{"verified", verified},
		{"repositories", withRepositories(full)},
	}
	for _, c := range cases {
		for _, f := range formats {
			t.Run(c.name+"."+f.ext, func(t *testing.T) {
				got, ok := render(t, f.ext, f.render, c.res, toks)
				if !ok {
					return
				}
				if i := controlByte(got); i >= 0 {
					t.Errorf("output has control byte %#x at offset %d; every format must escape them", got[i], i)
				}
				if f.ext == "sarif" {
					validateSARIF(t, got)
				}
				golden(t, filepath.Join("testdata", c.name+"."+f.ext), got)
			})
		}
	}
}

// controlByte returns the offset of the first control byte other than a
// newline in b, or -1.
func controlByte(b []byte) int {
	for i, c := range b {
		if c < ' ' && c != '\n' || c == 0x7f {
			return i
		}
	}
	return -1
}

// golden compares got with the named file, or rewrites the file with -update.
// Callers have checked got for leaks, so printing its lines is safe.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", path, lineDiff(got, want))
	}
}

// lineDiff describes the first line where got and want differ.
func lineDiff(got, want []byte) string {
	g := strings.Split(string(got), "\n")
	w := strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) || i >= len(w) {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, gl, wl)
		}
	}
	return "same lines, different bytes"
}

func TestEmpty(t *testing.T) {
	var empty scanner.Result
	for _, f := range []string{"text", "github"} {
		var buf bytes.Buffer
		if err := report.Write(&buf, f, empty, testOptions); err != nil {
			t.Fatal(err)
		}
		if buf.Len() != 0 {
			t.Errorf("Write(%s) of an empty result wrote %d bytes; want none", f, buf.Len())
		}
	}
	// A nil and an empty slice must both be "[]", never "null".
	for _, fs := range [][]scanner.Finding{nil, {}} {
		var buf bytes.Buffer
		if err := report.JSON(&buf, scanner.Result{Findings: fs}); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != "[]\n" {
			t.Errorf("JSON of %#v = %q; want %q", fs, got, "[]\n")
		}
	}
	var buf bytes.Buffer
	if err := report.SARIF(&buf, empty, report.Options{}); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, buf.Bytes())
	var log struct {
		Runs []struct {
			Results []any `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 || log.Runs[0].Results == nil || len(log.Runs[0].Results) != 0 {
		t.Errorf("SARIF of an empty result: runs = %+v; want one run with results []", log.Runs)
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	err := report.Write(&buf, "xml", scanner.Result{}, report.Options{})
	if err == nil {
		t.Fatal(`Write("xml") = nil; want an error`)
	}
	for _, want := range append([]string{"xml"}, report.Formats()...) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Write(%q) error %q does not mention %q", "xml", err, want)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("Write(%q) wrote %d bytes; want none", "xml", buf.Len())
	}
}

func TestFormats(t *testing.T) {
	got := report.Formats()
	want := []string{"text", "json", "sarif", "github", "html"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Formats() = %q; want %q", got, want)
	}
	got[0] = "changed"
	if report.Formats()[0] != "text" {
		t.Error("Formats() returns the package's own slice; a caller can change it")
	}
	res, toks := fixture()
	for _, f := range want {
		if _, ok := render(t, f, func(w io.Writer, r scanner.Result) error { return report.Write(w, f, r, report.Options{}) }, res, toks); !ok {
			continue
		}
	}
}

// failWriter fails every write after the first n bytes.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		n := w.n
		w.n = 0
		return n, io.ErrShortWrite
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	res, _ := fixture()
	for _, f := range report.Formats() {
		if err := report.Write(&failWriter{n: 10}, f, res, report.Options{}); err == nil {
			t.Errorf("Write(%s) to a failing writer = nil; want the write error", f)
		}
	}
	if err := report.StepSummary(&failWriter{n: 10}, res); err == nil {
		t.Error("StepSummary to a failing writer = nil; want the write error")
	}
}

// withRepositories is the result of a run over several repositories: the
// fixture's findings spread over two, one of them a local path holding a
// terminal escape, in the order an audit sorts them (by repository).
func withRepositories(res scanner.Result) scanner.Result {
	out := res
	out.Findings = slices.Clone(res.Findings)
	for i := range out.Findings {
		out.Findings[i].Repository = "https://git.example.com/org/a"
		if i >= len(out.Findings)/2 {
			out.Findings[i].Repository = "/srv/git/b\x1b[31m"
		}
	}
	return out
}
