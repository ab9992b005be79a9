// Package report renders a [scanner.Result] in every output format dtleaks
// has, chosen by name in one switch ([Write]), and reads an earlier JSON
// report back as a [Baseline].
//
// Every format is a function of the sorted result and prints findings in the
// order the result holds them. A [scanner.Finding] has no field that could
// hold a secret, so no format can print one; the token is shown as its
// identifier (prefix and public portion) followed by "****", and a legacy
// token, which has no public portion, by the first characters of its
// fingerprint only.
//
// # Terminal safety
//
// Paths, author names, e-mail addresses and environment URLs come from the
// scanned content or the repository, not from us. Before any of them reaches
// a terminal (text format, problems, GitHub workflow commands) it goes
// through [Escape], which leaves a string alone when it is printable UTF-8
// and otherwise prints it quoted with Go escapes, so that no file name can
// move the cursor, change colours or print a fake finding line.
//
// # JSON
//
// The json format is an indented array of objects, "[]" when there is no
// finding. Field names are a contract: fields are added, never renamed or
// removed. Every object has token_id, prefix, type, description, path (with
// forward slashes; "" for a commit or tag message), line, column and
// fingerprint; encoding, location and environment appear when set; a
// finding from history adds commit, author_name, author_email and date
// (when there is a commit), at_head, blob (when the finding is in a blob)
// and reachable; a finding of a run over several repositories or URLs
// starts with repository (the URL without credentials, or the path).
// [ReadJSON] reads the format back. JSON strings are UTF-8: a path that is not valid UTF-8 is
// written with each invalid byte replaced by U+FFFD, the replacement
// character, and a baseline matches paths after the same replacement.
//
// A finding that was verified (--verify) adds verified ("live", "invalid"
// or "unknown"), verified_reason and verified_environment (the API base
// that answered), and for a live token what Dynatrace said of it:
// privileged (true when it has a write or admin scope), token_name,
// token_owner, token_scopes, created, expires and last_used (RFC 3339). A
// finding nobody verified has none of these fields.
//
// # Fingerprints and baselines
//
// The fingerprint is the hex SHA-256 of the whole token. It is safe to commit
// in a baseline file: SHA-256 cannot be inverted, and guessing is hopeless
// because the secret portion of a token is 64 characters of [A-Z0-9], about
// 64 × log2(36) ≈ 330 bits, far beyond any search. (A legacy 21-character
// token carries about 125 bits, still out of reach.) A baseline therefore
// lists which tokens are known without helping anyone to use them.
//
// # SARIF
//
// The sarif format is SARIF 2.1.0 as GitHub code scanning accepts it, one
// run, mapped as follows:
//
//   - tool.driver is dtleaks, with one rule per catalogue row
//     ([rules.Kinds]): the rule id is the kind's stable name, the
//     descriptions come from the catalogue, help says how to revoke, remove
//     and rotate a token, helpUri is where Dynatrace documents the prefix,
//     and properties carry the kind's security-severity and the tags
//     "security" and "secret".
//   - Each finding is a result with ruleId and ruleIndex of its kind, level
//     "error" (a leaked credential is never a warning), and a message that
//     names the token identifier and type, never the secret.
//   - The location is the finding's path as a relative URI against
//     %SRCROOT%, every byte outside [A-Za-z0-9-._~/] percent-encoded (so a
//     path that is not UTF-8 survives exactly), with a region of start and
//     end line and column (endColumn is exclusive: the token's length; an
//     encoded token is marked by its first column). Columns count Unicode
//     code points, which the run declares with columnKind
//     "unicodeCodePoints".
//   - A finding from history is placed on its path only when it is in the
//     checkout of HEAD there ([Options.AtHead]). Otherwise the path names
//     where it really is, under ".git/dtleaks/", a directory git never
//     tracks, so no file of the checkout is marked: "commit/<commit>/<path>"
//     for the path as the commit that introduced the token holds it,
//     "blob/<blob>[/<path>]" for an object no commit reaches, and
//     "commit-message/<commit>" (or tag-message, commit-header, tag-header,
//     ref-name) for a message, with a logicalLocation naming the commit.
//   - partialFingerprints["dtleaks/v1"] is the SHA-256 of the token's
//     fingerprint and its path (or message location and commit): the same
//     token in the same file stays the same alert across runs and edits,
//     while the same token in two files is two alerts.
//     partialFingerprints["primaryLocationLineHash"], which GitHub tracks
//     alerts by, is its first 16 digits and ":1", so GitHub does not hash
//     a line of the checkout that the token may not be on.
//   - A run holds at most [MaxSARIFResults] results, GitHub's limit; an
//     invocation's toolExecutionNotification counts those left out.
//   - History details (commit, blob, at_head, reachable) and encoding and
//     environment are result properties.
//   - A verified finding adds its verdict and the token's metadata as
//     result properties (verified, verifiedReason, tokenScopes, …); a live
//     token with a write or admin scope gets the result property
//     security-severity "10.0", the highest, above its rule's, and its
//     message starts by saying so.
//
// # HTML
//
// The html format is one self-contained page for the people who act on an
// audit ([HTML]): no external script, style, font or image, so it can be
// attached to a ticket, opened offline and printed. At the top: what was
// scanned ([Options] Command, Targets, Time and ToolVersion), the counts
// (distinct tokens; live, invalid and unverified; still at HEAD; problems),
// and inline-SVG charts of the tokens by month of their introducing commit
// and by type. Then the problems, never hidden, and one expandable row per
// distinct token (grouped by fingerprint), most urgent first: live with a
// write scope, live, still at HEAD (or in the scanned files), history
// only. Each row shows the identifier, type, environment, verification and
// scopes when known and the introducing commit, author and date, and opens
// to every place the token was found (repository, path, line, commit) and
// where to revoke it. The places are a JSON data island in the page, not
// markup, so that a page of 10,000 places opens in well under a second; the
// script builds a row's table of places when the row opens, and every
// shown row's before printing, so a printed page lists them all. A short
// script filters the rows by type, status,
// repository and text, offline, keeping the filter in the URL fragment
// (#status=live&repo=…&q=…; open=all expands every row shown). Last, per
// token type, what to do: where in Dynatrace to revoke it (the
// environment's Access tokens page when the environment is known) and the
// dtleaks revoke command for each token.
//
// Every string from the scan is escaped by html/template after tokens in it
// are redacted and control characters quoted as [Escape] quotes them, and
// the page's Content Security Policy allows no request and no script or
// style but the page's own, named by hash.
//
// # GitHub Actions
//
// The github format prints one workflow command per finding,
// "::error file=…,line=…,col=…,title=…::message", escaped as the runner
// expects, for the first [MaxAnnotations] findings and then one notice
// counting the rest (see [GitHub]); [StepSummary] writes the Markdown table
// for $GITHUB_STEP_SUMMARY, under GitHub's 1 MiB.
package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// Options tunes the output. The zero value gives plain, uncoloured output.
type Options struct {
	// Color turns on colour in the text format. The caller decides (a
	// terminal, no --no-color, no NO_COLOR); the report never looks at the
	// environment or at the global color.NoColor.
	Color bool
	// ToolVersion is dtleaks's version, written into SARIF and the HTML
	// page.
	ToolVersion string
	// Command, Targets and Time say what made the result, for the top of
	// the HTML page: the command line as the user ran it, the paths or
	// repositories it scanned, and when. Tokens in them are redacted;
	// zero values are left out.
	Command string
	Targets []string
	Time    time.Time
	// AtHead, when set, reports whether a finding from history is in the
	// checkout of HEAD at its path, line and column (its blob is the one
	// HEAD holds at its path). SARIF and GitHub annotations place only
	// those on the file; the others name the commit instead, so HEAD's
	// unrelated line is never marked. When nil, a history finding counts
	// as placed when its token is still at HEAD (Origin.AtHead).
	AtHead func(f *scanner.Finding) bool
}

// placed reports whether a finding is where it says in the files of the
// checkout: its path, line and column.
func placed(f *scanner.Finding, opts Options) bool {
	switch {
	case f.Path == "":
		return false
	case !history(f):
		return true
	case opts.AtHead != nil:
		return opts.AtHead(f)
	}
	return f.Origin.AtHead
}

// formats lists the format names in the order --help shows them.
var formats = []string{"text", "json", "sarif", "github", "html"}

// Formats returns the names [Write] accepts, for --help and error messages.
func Formats() []string { return append([]string(nil), formats...) }

// Write renders res in the named format.
func Write(w io.Writer, format string, res scanner.Result, opts Options) error {
	switch format {
	case "text":
		return Text(w, res, opts)
	case "json":
		return JSON(w, res)
	case "sarif":
		return SARIF(w, res, opts)
	case "github":
		return gitHub(w, res, opts)
	case "html":
		return HTML(w, res, opts)
	}
	return fmt.Errorf("unknown format %s (want one of %s)", Escape(format), strings.Join(formats, ", "))
}

// buffered runs fn on a buffered writer and returns the first error of
// either fn or the final flush.
func buffered(w io.Writer, fn func(*bufio.Writer) error) error {
	bw := bufio.NewWriter(w)
	if err := fn(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// kindName returns the finding's type name; a finding always has a kind, but
// a report must not panic on one that does not.
func kindName(f *scanner.Finding) string {
	if f.Kind == nil {
		return "unknown"
	}
	return f.Kind.Name
}

func kindDescription(f *scanner.Finding) string {
	if f.Kind == nil {
		return ""
	}
	return f.Kind.Description
}

// prefix returns the token's prefix, taken from its identifier: the part
// before the first dot, empty for a legacy token.
func prefix(id rules.ID) string {
	s := string(id)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i]
	}
	return s
}

// short returns the abbreviated form of a commit or blob hash.
func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

// shortFingerprint is how a legacy token is named where it has no
// identifier: enough of its fingerprint to tell tokens apart, nothing of the
// token.
func shortFingerprint(fp rules.Fingerprint) string {
	s := string(fp)
	if len(s) > 8 {
		s = s[:8]
	}
	return s + "…"
}

// redacted is the token as a report shows it: the identifier and "****"
// where the secret portion stands, or, for a legacy token, "****" and a
// fingerprint prefix.
func redacted(f *scanner.Finding) string {
	if f.ID == "" {
		return "**** (fingerprint " + shortFingerprint(f.Fingerprint) + ")"
	}
	return string(f.ID) + ".****"
}

// history reports whether the finding came from a repository's history.
func history(f *scanner.Finding) bool {
	return f.Origin.Blob != "" || f.Origin.Commit != ""
}

// where names the place of a finding for people: its path, or for a message
// its location.
func where(f *scanner.Finding) string {
	switch {
	case f.Path != "":
		return Escape(f.Path)
	case f.Location != "":
		return string(f.Location)
	case f.Origin.Blob != "":
		// An object no commit holds has no path: name the blob, which
		// git cat-file -p shows.
		return "blob:" + short(f.Origin.Blob)
	}
	return Escape(f.Path)
}

// distinct counts the distinct tokens among the findings.
func distinct(fs []scanner.Finding) int {
	seen := make(map[rules.Fingerprint]bool, len(fs))
	for _, f := range fs {
		seen[f.Fingerprint] = true
	}
	return len(seen)
}

// Plural returns n with the noun that fits it: "1 file" or "2 files".
func Plural(n int64, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
