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
//
// GitHub shows at most 10 error annotations of a step ("Workflow commands
// for GitHub Actions", https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions;
// the rest are dropped without a word, github/community discussion 68471):
// the first [MaxAnnotations] findings get one, and one notice then counts
// the rest and says where they are listed. A finding from history that is
// not in the checkout of HEAD at its line (see [Options.AtHead]) gets no
// file property: its message names the path, line and commit, so HEAD's
// unrelated line is never marked.
func GitHub(w io.Writer, res scanner.Result) error {
	return gitHub(w, res, Options{})
}

// MaxAnnotations is the number of error annotations [GitHub] writes: the
// most GitHub shows for a step.
const MaxAnnotations = 10

func gitHub(w io.Writer, res scanner.Result, opts Options) error {
	return buffered(w, func(bw *bufio.Writer) error {
		for i := range res.Findings {
			if i == MaxAnnotations {
				rest := len(res.Findings) - i
				msg := fmt.Sprintf("%s not annotated: GitHub shows %d error annotations per step. "+
					"The job summary and the other reports list every finding.", Plural(int64(rest), "more finding", "more findings"), MaxAnnotations)
				_, err := io.WriteString(bw, Annotation("notice", "dtleaks", msg))
				return err
			}
			if _, err := io.WriteString(bw, githubLine(&res.Findings[i], opts)); err != nil {
				return err
			}
		}
		return nil
	})
}

func githubLine(f *scanner.Finding, opts Options) string {
	var props []string
	msg := ""
	if f.Repository != "" {
		// The file of another repository is not in this checkout: the
		// message names the repository and the place instead.
		msg = fmt.Sprintf("%s: %s:%d:%d: ", Escape(f.Repository), where(f), f.Line, f.Column)
	} else if f.Path != "" && history(f) && !placed(f, opts) {
		msg = fmt.Sprintf("%s:%d:%d in history, not at this line at HEAD: ", where(f), f.Line, f.Column)
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

// Annotation returns a workflow command that is not about a finding: an
// "error", "warning" or "notice" with a title, on no file, escaped as
// [GitHub]'s commands are. The caller makes msg safe for a terminal.
func Annotation(level, title, msg string) string {
	return "::" + level + " title=" + escapeProperty(title) + "::" + escapeData(msg) + "\n"
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
			Plural(int64(n), "Dynatrace token finding", "Dynatrace token findings"),
			Plural(int64(distinct(res.Findings)), "distinct token", "distinct tokens"))
		verified := anyVerified(res.Findings)
		if verified {
			bw.WriteString("| Location | Type | Token | Commit | Environment | Verified |\n")
			bw.WriteString("| --- | --- | --- | --- | --- | --- |\n")
		} else {
			bw.WriteString("| Location | Type | Token | Commit | Environment |\n")
			bw.WriteString("| --- | --- | --- | --- | --- |\n")
		}
		// GitHub refuses a step summary over 1 MiB and shows none of it
		// ("$GITHUB_STEP_SUMMARY upload aborted, supports content up to a
		// size of 1024k"; "Workflow commands for GitHub Actions", Adding a
		// job summary): rows stop at maxSummaryRows bytes, and a note
		// counts the rest.
		written := 0
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
			var row string
			if verified {
				row = fmt.Sprintf("| %s | %s | %s | %s | %s | %s |\n",
					loc, markdown(kindName(f)), token, commit, markdown(Escape(f.Environment)), verifiedColumn(f))
			} else {
				row = fmt.Sprintf("| %s | %s | %s | %s | %s |\n",
					loc, markdown(kindName(f)), token, commit, markdown(Escape(f.Environment)))
			}
			if written+len(row) > maxSummaryRows {
				fmt.Fprintf(bw, "\n%s not listed: GitHub shows at most 1 MiB of a step summary. "+
					"The other reports (JSON, SARIF) hold every finding.\n", Plural(int64(len(res.Findings)-i), "more finding", "more findings"))
				break
			}
			bw.WriteString(row)
			written += len(row)
		}
		_, err := io.WriteString(bw, "\nRevoke each token in Dynatrace (Access tokens, found by its identifier), "+
			"remove it from the repository, and rotate it. The secret portion is never shown.\n")
		return err
	})
}

// maxSummaryRows is how many bytes of table rows StepSummary writes: 1 MiB
// less 4 KiB for the heading and the closing notes, which are short.
const maxSummaryRows = 1<<20 - 4<<10

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
