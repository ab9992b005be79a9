package report_test

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
)

// unescapeProperty and unescapeData undo the runner's escapes, as
// actions/runner's ActionCommand does.
var (
	unescapeData     = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%")
	unescapeProperty = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")
)

// command is a workflow command parsed the way the runner parses it.
type command struct {
	name  string
	props map[string]string
	msg   string
}

func parseCommand(t *testing.T, line string) command {
	t.Helper()
	rest, ok := strings.CutPrefix(line, "::")
	if !ok {
		t.Fatalf("line %q does not start a workflow command", line)
	}
	head, msg, ok := strings.Cut(rest, "::")
	if !ok {
		t.Fatalf("line %q has no message separator", line)
	}
	name, props, _ := strings.Cut(head, " ")
	c := command{name: name, props: map[string]string{}, msg: unescapeData.Replace(msg)}
	if props != "" {
		for _, kv := range strings.Split(props, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("property %q in %q has no '='", kv, line)
			}
			c.props[k] = unescapeProperty.Replace(v)
		}
	}
	return c
}

func TestGitHubCommands(t *testing.T) {
	res, toks := fixture()
	out, ok := render(t, "github", func(w io.Writer, r scanner.Result) error { return report.GitHub(w, r) }, res, toks)
	if !ok {
		return
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(res.Findings) {
		t.Fatalf("GitHub wrote %d lines for %d findings", len(lines), len(res.Findings))
	}
	for i, l := range lines {
		f := res.Findings[i]
		c := parseCommand(t, l)
		if c.name != "error" {
			t.Errorf("line %d command = %q; want error", i+1, c.name)
		}
		if !strings.Contains(c.props["title"], f.Kind.Name) {
			t.Errorf("line %d title = %q; want the type %s", i+1, c.props["title"], f.Kind.Name)
		}
		name := string(f.ID) + ".****"
		if f.ID == "" {
			name = string(f.Fingerprint[:8])
		}
		if !strings.Contains(c.msg, name) {
			t.Errorf("line %d message %q does not name the token %s", i+1, c.msg, name)
		}
		if strings.ContainsAny(c.msg, "\r\n\x1b") {
			t.Errorf("line %d message %q holds a control character after unescaping", i+1, c.msg)
		}
		switch {
		case f.Path == "":
			if _, ok := c.props["file"]; ok {
				t.Errorf("line %d: a message finding has a file property %q", i+1, c.props["file"])
			}
			if !strings.Contains(c.msg, string(f.Location)) {
				t.Errorf("line %d message %q does not say it is in a %s", i+1, c.msg, f.Location)
			}
		case (f.Origin.Commit != "" || f.Origin.Blob != "") && !f.Origin.AtHead:
			// In history only: HEAD's file at that line holds something
			// else, so the annotation is on no file and names the place.
			if _, ok := c.props["file"]; ok {
				t.Errorf("line %d: a history-only finding has a file property %q", i+1, c.props["file"])
			}
			if !strings.Contains(c.msg, fmt.Sprintf("%s:%d:%d in history", f.Path, f.Line, f.Column)) {
				t.Errorf("line %d message %q does not name the place in history", i+1, c.msg)
			}
		case f.Path == hostilePath:
			// No escape in the runner can carry ESC or invalid UTF-8.
			if _, ok := c.props["file"]; ok {
				t.Errorf("line %d: the hostile path went into a file property", i+1)
			}
			if !strings.Contains(c.msg, report.Escape(f.Path)) {
				t.Errorf("line %d message %q does not name the escaped path", i+1, c.msg)
			}
		default:
			if c.props["file"] != f.Path || c.props["line"] != strconv.Itoa(f.Line) || c.props["col"] != strconv.Itoa(f.Column) {
				t.Errorf("line %d file, line, col = %q, %q, %q; want %q, %d, %d", i+1, c.props["file"], c.props["line"], c.props["col"], f.Path, f.Line, f.Column)
			}
		}
	}
}

// A path with the runner's special characters round-trips through the file
// property, and a hostile author cannot start a second command.
func TestGitHubEscaping(t *testing.T) {
	paths := []string{
		"a,b:c%d.txt",
		"new\nline.txt",
		"cr\r.txt",
		"%0A literally",
		"x::error file=y::fake",
	}
	for _, p := range paths {
		f := scanner.Finding{ID: "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX", Kind: rules.Classify("dt0c01", rules.Standard),
			Fingerprint: rules.Fingerprint(strings.Repeat("ab", 32)), Path: p, Line: 1, Column: 2,
			Origin: scanner.Origin{Commit: strings.Repeat("c", 40), AuthorName: "a\n::error::b%0A", Blob: strings.Repeat("b", 40), AtHead: true}}
		var buf bytes.Buffer
		if err := report.GitHub(&buf, scanner.Result{Findings: []scanner.Finding{f}}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
			t.Errorf("path %q: output %q is not exactly one line", p, out)
			continue
		}
		c := parseCommand(t, strings.TrimSuffix(out, "\n"))
		if c.props["file"] != p {
			t.Errorf("path %q: file property unescapes to %q", p, c.props["file"])
		}
		if strings.Contains(c.msg, "\n") {
			t.Errorf("path %q: message %q unescapes to more than one line", p, c.msg)
		}
	}
}

func TestStepSummary(t *testing.T) {
	res, toks := fixture()
	out, ok := render(t, "summary", report.StepSummary, res, toks)
	if !ok {
		return
	}
	rows := 0
	sep := regexp.MustCompile(`[^\\]\|`) // an unescaped '|' ends a cell
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(l, "| ") {
			continue
		}
		rows++
		if cells := len(sep.FindAllString(l, -1)); cells != 5 {
			t.Errorf("table row %q has %d cell separators; want 5", l, cells)
		}
	}
	if want := len(res.Findings) + 2; rows != want {
		t.Errorf("table has %d rows; want %d (header, rule, one per finding)", rows, want)
	}
	for _, f := range res.Findings {
		if f.ID != "" && !strings.Contains(string(out), "`"+string(f.ID)+"`") {
			t.Errorf("summary does not list the token %s", f.ID)
		}
	}
	if want := "docs/a\\|b\\`c \\<x\\> \\[y\\](z).md"; !strings.Contains(string(out), want) {
		t.Errorf("summary does not hold the path escaped for Markdown, %s", want)
	}
}
