package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fatih/color"

	"github.com/dtleaks/dtleaks/scanner"
)

// palette holds the text format's colours. Each is its own *color.Color
// with colour switched on or off on that value, so parallel tests and
// callers never race on the global color.NoColor.
type palette struct {
	where, kind, secret, extra, warn *color.Color
}

func newPalette(on bool) palette {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return palette{
		where:  mk(color.Bold),
		kind:   mk(color.FgYellow),
		secret: mk(color.FgRed, color.Bold),
		extra:  mk(color.FgCyan),
		warn:   mk(color.FgRed),
	}
}

// Text writes one line per finding, in the form
//
//	path:line:column: type identifier.**** [context]
//
// The context, each part only when it applies, is "[base64]" for an encoded
// token, "env URL" for the environment it opens, and for a finding from
// history "commit HASH (author, date)", "blob HASH (unreachable)" and "still
// at HEAD". A finding in a commit or tag message shows its location in place
// of the path. A legacy token is shown as "**** (fingerprint 1a2b3c4d…)".
// Nothing is written for a clean result.
//
// Findings of a run over several repositories are grouped by repository:
// each group starts with a line "repository NAME" (a blank line before every
// group but the first), and its findings follow in the result's order.
func Text(w io.Writer, res scanner.Result, opts Options) error {
	p := newPalette(opts.Color)
	return buffered(w, func(bw *bufio.Writer) error {
		repo := ""
		for i := range res.Findings {
			f := &res.Findings[i]
			if f.Repository != "" && (i == 0 || f.Repository != repo) {
				head := ""
				if i > 0 {
					head = "\n"
				}
				head += p.where.Sprint("repository "+Escape(f.Repository)) + "\n"
				if _, err := io.WriteString(bw, head); err != nil {
					return err
				}
			}
			repo = f.Repository
			if _, err := io.WriteString(bw, textLine(f, p)); err != nil {
				return err
			}
		}
		return nil
	})
}

func textLine(f *scanner.Finding, p palette) string {
	var b strings.Builder
	b.WriteString(p.where.Sprintf("%s:%d:%d:", where(f), f.Line, f.Column))
	b.WriteString(" ")
	b.WriteString(p.kind.Sprint(kindName(f)))
	b.WriteString(" ")
	if f.ID == "" {
		b.WriteString(p.secret.Sprint("****"))
		b.WriteString(" (fingerprint " + shortFingerprint(f.Fingerprint) + ")")
	} else {
		b.WriteString(string(f.ID) + ".")
		b.WriteString(p.secret.Sprint("****"))
	}
	for _, e := range extras(f) {
		b.WriteString(" ")
		b.WriteString(p.extra.Sprint(e))
	}
	b.WriteString("\n")
	return b.String()
}

// extras lists the extra facts a text line or message adds to a finding,
// each already escaped.
func extras(f *scanner.Finding) []string {
	var out []string
	if f.Encoding != "" {
		out = append(out, "["+Escape(string(f.Encoding))+"]")
	}
	if f.Environment != "" {
		out = append(out, "env "+Escape(f.Environment))
	}
	o := f.Origin
	if o.Commit != "" {
		s := "commit " + short(o.Commit)
		var who []string
		if o.AuthorName != "" {
			who = append(who, Escape(o.AuthorName))
		}
		if !o.Date.IsZero() {
			who = append(who, o.Date.Format(time.DateOnly))
		}
		if len(who) > 0 {
			s += " (" + strings.Join(who, ", ") + ")"
		}
		out = append(out, s)
	}
	if o.Unreachable {
		s := "unreachable"
		if o.Blob != "" {
			s = "blob " + short(o.Blob) + " (unreachable)"
		}
		out = append(out, s)
	}
	if o.AtHead {
		out = append(out, "still at HEAD")
	}
	if v := verifiedExtra(f); v != "" {
		out = append(out, v)
	}
	return out
}

// Summary writes the one-line summary of a scan for standard error, such as
//
//	dtleaks: 3 findings (2 distinct tokens), 1 problem; 1520 files, 270.1 MB in 1.234s
//
// items says what the scan's items were, which the line counts; hidden is
// how many findings a baseline hid, mentioned when not zero. The caller
// prints the problems themselves, with [Problems].
func Summary(w io.Writer, items Items, res scanner.Result, hidden int) error {
	noun, nouns := items.nouns()
	s := fmt.Sprintf("dtleaks: %s (%s%s)",
		Plural(int64(len(res.Findings)), "finding", "findings"),
		Plural(int64(distinct(res.Findings)), "distinct token", "distinct tokens"),
		verifiedSummary(res.Findings))
	if hidden > 0 {
		s += fmt.Sprintf(", %d hidden by the baseline", hidden)
	}
	s += ", " + Plural(int64(len(res.Problems)), "problem", "problems")
	s += fmt.Sprintf("; %s, %s in %s",
		Plural(res.Stats.Items, noun, nouns), Size(res.Stats.Bytes), res.Stats.Duration.Round(time.Millisecond))
	// What was left out, so that a clean run says what it did not report.
	if res.Stats.Ignored > 0 {
		s += "; " + Plural(res.Stats.Ignored, "path", "paths") + " ignored"
	}
	if res.Stats.Allowed > 0 {
		s += "; " + Plural(res.Stats.Allowed, "token", "tokens") + " on dtleaks:allow lines not reported (--no-allow reports them)"
	}
	s += "\n"
	_, err := io.WriteString(w, s)
	return err
}

// Items says what the items of a scan are, for Summary to count them by
// name.
type Items int

const (
	Files   Items = iota // files, and standard input: scan and staged
	Objects              // the objects of a git repository: history
)

// nouns returns the name of one item and of several.
func (it Items) nouns() (string, string) {
	if it == Objects {
		return "object", "objects"
	}
	return "file", "files"
}

// Size formats a byte count for people, in decimal units as du -h --si and
// most tools' throughput figures do: "512 B", "1.5 MB". The text summary
// and audit's progress line both write sizes with it.
func Size(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"kB", "MB", "GB", "TB"} {
		f /= unit
		if f < unit || u == "TB" {
			return fmt.Sprintf("%.1f %s", f, u)
		}
	}
	panic("unreachable")
}

// Problems writes one line per problem, "dtleaks: path: error", with the path
// and the error text escaped: both may hold a file name from the scanned
// tree. The path is left out when the error already names it (see
// scanner.NamesPath), as os errors do.
func Problems(w io.Writer, ps []scanner.Problem) error {
	return buffered(w, func(bw *bufio.Writer) error {
		for _, p := range ps {
			msg := "<nil>"
			if p.Err != nil {
				msg = p.Err.Error()
			}
			line := "dtleaks: " + Escape(msg) + "\n"
			if p.Path != "" && !scanner.NamesPath(p.Err, p.Path) {
				line = "dtleaks: " + Escape(p.Path) + ": " + Escape(msg) + "\n"
			}
			if _, err := io.WriteString(bw, line); err != nil {
				return err
			}
		}
		return nil
	})
}
