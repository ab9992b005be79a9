package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dtleaks/dtleaks/scanner"
)

// GitHub writes one GitHub Actions workflow command per finding, which the
// runner turns into an error annotation on the file and line:
//
//	::error file=PATH,line=N,col=M,title=Dynatrace token leaked (TYPE)::TYPE ID.**** …: revoke it …
//
// Values are escaped as the runner unescapes them (actions/toolkit's
// escapeData and escapeProperty): '%' as %25, CR as %0D and LF as %0A
// everywhere, and in properties also ':' as %3A and ',' as %2C. The runner
// has no escape for other control characters, so a path holding one (or
// invalid UTF-8) gets no file property: the annotation is not attached to a
// file, and its message names the path escaped as in the text format. A
// finding in a commit or tag message has no file either.
func GitHub(w io.Writer, res scanner.Result) error {
	return buffered(w, func(bw *bufio.Writer) error {
		for i := range res.Findings {
			if _, err := io.WriteString(bw, githubLine(&res.Findings[i])); err != nil {
				return err
			}
		}
		return nil
	})
}

func githubLine(f *scanner.Finding) string {
	var props []string
	msg := ""
	if f.Repository != "" {
		// The file of another repository is not in this checkout: the
		// message names the repository and the place instead.
		msg = fmt.Sprintf("%s: %s:%d:%d: ", Escape(f.Repository), where(f), f.Line, f.Column)
	} else if f.Path != "" && annotatable(f.Path) {
		props = append(props, "file="+escapeProperty(f.Path))
		if f.Line > 0 {
			props = append(props, "line="+strconv.Itoa(f.Line))
			if f.Column > 0 {
				props = append(props, "col="+strconv.Itoa(f.Column))
			}
		}
	} else {
		msg = fmt.Sprintf("%s:%d:%d: ", where(f), f.Line, f.Column)
	}
	props = append(props, "title="+escapeProperty("Dynatrace token leaked ("+kindName(f)+")"))
	msg += "Dynatrace " + kindName(f) + " " + redacted(f)
	if e := extras(f); len(e) > 0 {
		msg += " " + strings.Join(e, " ")
	}
	msg += ": revoke it in Dynatrace (Access tokens), remove it and rotate it"
	return "::error " + strings.Join(props, ",") + "::" + escapeData(msg) + "\n"
}

// annotatable reports whether a path can go into a file property as it is:
// valid UTF-8 whose only control characters are the CR and LF the runner's
// escapes carry.
func annotatable(p string) bool {
	if !utf8.ValidString(p) {
		return false
	}
	for _, r := range p {
		if r != '\n' && r != '\r' && !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// escapeData escapes a workflow command's message.
func escapeData(s string) string { return dataEscaper.Replace(s) }

// escapeProperty escapes a workflow command's property value.
func escapeProperty(s string) string { return propertyEscaper.Replace(s) }

// StepSummary writes a Markdown report for $GITHUB_STEP_SUMMARY: a heading
// with the count and a table of the findings by location, type, token
// identifier and commit. It shows token identifiers only. Paths are escaped
// for the terminal first and then for Markdown, so that '|' cannot split a
// table cell and a backtick, bracket or '<' cannot start code, a link or
// HTML.
func StepSummary(w io.Writer, res scanner.Result) error {
	return buffered(w, func(bw *bufio.Writer) error {
		n := len(res.Findings)
		if n == 0 {
			_, err := io.WriteString(bw, "### dtleaks: no Dynatrace tokens found\n")
			return err
		}
		fmt.Fprintf(bw, "### dtleaks: %s (%s)\n\n",
			plural(int64(n), "Dynatrace token finding", "Dynatrace token findings"),
			plural(int64(distinct(res.Findings)), "distinct token", "distinct tokens"))
		verified := anyVerified(res.Findings)
		if verified {
			bw.WriteString("| Location | Type | Token | Commit | Environment | Verified |\n")
			bw.WriteString("| --- | --- | --- | --- | --- | --- |\n")
		} else {
			bw.WriteString("| Location | Type | Token | Commit | Environment |\n")
			bw.WriteString("| --- | --- | --- | --- | --- |\n")
		}
		for i := range res.Findings {
			f := &res.Findings[i]
			loc := markdown(fmt.Sprintf("%s:%d:%d", where(f), f.Line, f.Column))
			if f.Repository != "" {
				loc = markdown(Escape(f.Repository)) + " " + loc
			}
			token := "`" + string(f.ID) + "`"
			if f.ID == "" {
				token = "legacy token, fingerprint `" + shortFingerprint(f.Fingerprint) + "`"
			}
			if f.Encoding != "" {
				token += " (" + markdown(string(f.Encoding)) + ")"
			}
			commit := ""
			switch {
			case f.Origin.Commit != "":
				commit = "`" + short(f.Origin.Commit) + "`"
			case f.Origin.Unreachable:
				commit = "unreachable blob `" + short(f.Origin.Blob) + "`"
			}
			if f.Origin.AtHead {
				commit += " (still at HEAD)"
			}
			if verified {
				fmt.Fprintf(bw, "| %s | %s | %s | %s | %s | %s |\n",
					loc, markdown(kindName(f)), token, commit, markdown(Escape(f.Environment)), verifiedColumn(f))
				continue
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %s | %s |\n",
				loc, markdown(kindName(f)), token, commit, markdown(Escape(f.Environment)))
		}
		_, err := io.WriteString(bw, "\nRevoke each token in Dynatrace (Access tokens, found by its identifier), "+
			"remove it from the repository, and rotate it. The secret portion is never shown.\n")
		return err
	})
}

// markdown backslash-escapes the ASCII punctuation that could end a table
// cell or start inline Markdown or HTML. CommonMark allows a backslash
// before any ASCII punctuation, so the rendered text is the input.
func markdown(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '&', '!', '#':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
