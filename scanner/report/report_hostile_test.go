package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
)

// FuzzTerminalSafe renders findings whose path, author, e-mail and
// environment are arbitrary bytes, as a hostile repository can make them,
// and checks what a terminal and the Actions runner would see: the text and
// github formats are exactly one line per finding, hold no control
// character (other than the line feed ending each line), no DEL, C1 or
// bidirectional control and no invalid UTF-8; the github lines each start a
// single ::error command; the JSON and SARIF stay valid; the problems line
// is one line too.
func FuzzTerminalSafe(f *testing.F) {
	for _, s := range []string{
		"plain/path.txt",
		"new\nline",
		"\x1b[31mred\x1b[0m",
		"\x1b]0;title\x07",
		"x\n::error file=fake,line=1::fake",
		"%0A::error file=pct",
		"\r\x1b[2K",
		"\u202eevil",
		"\xff\xfe",
		"\u0085next line",
		`"quoted`,
		"tab\there",
	} {
		f.Add(s, s, s, s)
	}
	tok := tokentest.New(900).Token("dt0c01")
	f.Fuzz(func(t *testing.T, path, author, email, env string) {
		fd := scanner.Finding{
			ID:          rules.ID(tok.ID),
			Kind:        rules.Classify("dt0c01", rules.Standard),
			Fingerprint: rules.Fingerprint(tok.Fingerprint),
			Path:        path,
			Line:        3,
			Column:      7,
			Environment: env,
			Origin: scanner.Origin{
				Commit:      "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",
				AuthorName:  author,
				AuthorEmail: email,
				Date:        time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
				Blob:        "0badc0de0badc0de0badc0de0badc0de0badc0de",
			},
		}
		msg := fd
		msg.Path, msg.Location = "", "commit-message"
		res := scanner.Result{Findings: []scanner.Finding{fd, msg}}
		for _, format := range []string{"text", "github"} {
			var b bytes.Buffer
			if err := report.Write(&b, format, res, report.Options{Color: format == "text"}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if format == "text" {
				// Colour is ours: strip the SGR sequences the palette
				// writes before looking for anything else.
				out = stripSGR(out)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != 2 || !strings.HasSuffix(out, "\n") {
				t.Fatalf("%s: %d lines for 2 findings", format, len(lines))
			}
			for i, l := range lines {
				if at, what := unsafeAt(l); at >= 0 {
					t.Errorf("%s line %d: %s at byte %d", format, i, what, at)
				}
				if format != "github" {
					continue
				}
				if !strings.HasPrefix(l, "::error ") {
					t.Errorf("github line %d is not an ::error command", i)
					continue
				}
				// As the runner reads it: properties up to the first
				// "::", then the message, unescaped. Nothing from the
				// repository may put a line break into the message.
				_, data, ok := strings.Cut(l[len("::error "):], "::")
				if !ok {
					t.Errorf("github line %d has no message", i)
				}
				data = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(data)
				if strings.ContainsAny(data, "\r\n") {
					t.Errorf("github line %d: the runner would read a line break in the message", i)
				}
			}
		}
		for _, format := range []string{"json", "sarif"} {
			var b bytes.Buffer
			if err := report.Write(&b, format, res, report.Options{}); err != nil {
				t.Fatal(err)
			}
			if !json.Valid(b.Bytes()) {
				t.Errorf("%s output is not valid JSON", format)
			}
		}
		var b bytes.Buffer
		if err := report.Problems(&b, []scanner.Problem{{Path: path, Err: &strError{author}}}); err != nil {
			t.Fatal(err)
		}
		out := strings.TrimSuffix(b.String(), "\n")
		if strings.Contains(out, "\n") {
			t.Errorf("a problem takes more than one line")
		}
		if at, what := unsafeAt(out); at >= 0 {
			t.Errorf("problem line: %s at byte %d", what, at)
		}
	})
}

type strError struct{ s string }

func (e *strError) Error() string { return e.s }

// unsafeAt returns the offset and a description of the first thing in s a
// terminal would act on, or -1.
func unsafeAt(s string) (int, string) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return i, "invalid UTF-8"
		case r < 0x20, r == 0x7f, 0x80 <= r && r < 0xa0:
			return i, "control character"
		case 0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069, r == 0x200e, r == 0x200f:
			return i, "bidirectional control"
		}
		i += n
	}
	return -1, ""
}

// stripSGR removes the colour sequences "ESC [ digits;… m" the text format
// writes when colour is on.
func stripSGR(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';') {
				j++
			}
			if j < len(s) && s[j] == 'm' {
				i = j
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
