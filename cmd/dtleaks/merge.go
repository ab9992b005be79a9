package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
)

const mergeUsage = `Usage: dtleaks merge [flags] REPORT.json ...

Merge JSON reports (--format json) of several runs, such as the shards of
one audit (history --shard K/N), into one report in any format. A finding
that two reports both hold (same repository, fingerprint and path, at the
same place) is kept once. Findings are ordered by repository, then as one
run orders them, so the merge of shards 1/N..N/N is the report of one
unsharded run. A report that cannot be read is an error (exit 2); the
others are merged.

The html page's header says what the merged reports cover: this command,
the repositories their findings name and the reports with findings that
name none (scans of files or of one repository), and when the newest
report was written. A JSON report holds
findings only: a repository that was scanned clean is not named.

Flags (anywhere among the arguments; "--" ends them):
`

// runMerge is "dtleaks merge".
func runMerge(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dtleaks merge", flag.ContinueOnError)
	format := fs.String("format", "text", "report `format`: "+strings.Join(reportFormats(), ", "))
	output := fs.String("output", "", "write the report to `FILE` instead of standard output")
	noColor := fs.Bool("no-color", false, "no colour in text output (also: NO_COLOR set in the environment)")
	addShortFlags(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), mergeUsage)
		printFlags(fs.Output(), fs)
		fmt.Fprintf(fs.Output(), "\nExit status: 0 nothing found, 1 tokens found, 2 an error.\n")
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "dtleaks merge: %s\n", message(err.Error()))
		return exitError
	}
	if code, ok := parseFlags(fs, args, stdout, fail, "run 'dtleaks merge --help'"); !ok {
		return code
	}
	if !slices.Contains(reportFormats(), *format) {
		return fail(fmt.Errorf("unknown --format %q; want one of %s", *format, strings.Join(reportFormats(), ", ")))
	}
	if fs.NArg() == 0 {
		return fail(errors.New("no report to merge; run 'dtleaks merge --help'"))
	}
	var res scanner.Result
	var reports [][]scanner.Finding
	var names []string
	var newest time.Time
	for _, name := range fs.Args() {
		if ctx.Err() != nil {
			return fail(errors.New("interrupted"))
		}
		fsr, err := readReport(name)
		if err != nil {
			res.Problems = append(res.Problems, scanner.Problem{Path: name, Err: err})
			continue
		}
		reports = append(reports, fsr)
		names = append(names, name)
		// The report was written when its run ended; a report whose
		// time cannot be read adds none.
		if fi, err := os.Stat(name); err == nil && fi.Mode().IsRegular() && fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
	}
	res.Findings = mergeFindings(reports...)
	res.Stats.Findings = len(res.Findings)

	out := stdout
	if *output != "" {
		f, err := os.Create(*output)
		if err != nil {
			return fail(err)
		}
		defer f.Close()
		out = f
	}
	opts := report.Options{ToolVersion: version(), Time: newest,
		Command: strings.Join(append([]string{"dtleaks", "merge"}, args...), " "),
		Targets: mergeTargets(reports, names)}
	opts.Color = *output == "" && !*noColor && os.Getenv("NO_COLOR") == "" && isTerminal(stdout)
	if err := writeReport(out, *format, res, opts); err != nil {
		return fail(fmt.Errorf("writing report: %w", err))
	}
	if f, ok := out.(*os.File); ok && *output != "" {
		if err := f.Close(); err != nil {
			return fail(err)
		}
	}
	for _, p := range res.Problems {
		fmt.Fprintf(stderr, "dtleaks merge: %s\n", message(p.Error()))
	}
	fmt.Fprintf(stderr, "dtleaks merge: %s, %s in %s\n",
		report.Plural(int64(len(reports)), "report", "reports"), report.Plural(int64(len(res.Findings)), "finding", "findings"),
		report.Plural(int64(countRepositories(res.Findings)), "repository", "repositories"))
	switch {
	case len(res.Problems) > 0:
		return exitError
	case len(res.Findings) > 0:
		return exitFindings
	}
	return exitClean
}

func readReport(name string) ([]scanner.Finding, error) {
	return readJSONFile(name, name, report.ReadJSON)
}

// mergeKey identifies a finding across reports: its repository,
// fingerprint and path, and where in them it is, so that two findings of
// one run (the same token twice in a file) both stay while a repository
// that two reports both scanned counts once.
type mergeKey struct {
	repository, fingerprint, path, location, commit, blob, encoding string
	line, column                                                    int
}

// mergeFindings concatenates reports, drops repeated findings, and orders
// the rest as an audit does: by repository, then as scanner.Sort.
func mergeFindings(reports ...[]scanner.Finding) []scanner.Finding {
	seen := map[mergeKey]bool{}
	var out []scanner.Finding
	for _, r := range reports {
		for _, f := range r {
			k := mergeKey{f.Repository, string(f.Fingerprint), f.Path, string(f.Location), f.Origin.Commit, f.Origin.Blob, string(f.Encoding), f.Line, f.Column}
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, f)
		}
	}
	scanner.Sort(out)
	slices.SortStableFunc(out, func(a, b scanner.Finding) int { return cmp.Compare(a.Repository, b.Repository) })
	return out
}

// mergeTargets is what the merged reports cover, for the report's header:
// the repositories their findings name, sorted, then each report holding a
// finding that names none (a scan of files, or of one repository's
// history), by its file name; when that leaves nothing (no report found
// anything), the reports.
func mergeTargets(reports [][]scanner.Finding, names []string) []string {
	seen := map[string]bool{}
	var repos, files []string
	for i, r := range reports {
		named := true
		for _, f := range r {
			switch {
			case f.Repository == "":
				named = false
			case !seen[f.Repository]:
				seen[f.Repository] = true
				repos = append(repos, f.Repository)
			}
		}
		if !named {
			files = append(files, names[i])
		}
	}
	slices.Sort(repos)
	if out := append(repos, files...); len(out) > 0 {
		return out
	}
	return names
}

func countRepositories(fs []scanner.Finding) int {
	seen := map[string]bool{}
	for _, f := range fs {
		seen[f.Repository] = true
	}
	return len(seen)
}
