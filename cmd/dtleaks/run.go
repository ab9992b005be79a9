package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dtleaks/dtleaks/internal/regfile"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
	"github.com/dtleaks/dtleaks/scanner/source"
	"github.com/dtleaks/dtleaks/scanner/source/history"
	"github.com/dtleaks/dtleaks/scanner/source/staged"
)

// Exit statuses. The worst one wins: an error outranks findings.
const (
	exitClean    = 0
	exitFindings = 1
	exitError    = 2
)

const usage = `dtleaks finds leaked Dynatrace access tokens.

Usage:
  dtleaks scan [flags] [PATH ...]   scan files and directories (default "."); "-" reads standard input
  dtleaks history [flags] [REPO|URL ...]  scan every blob and message in a git repository's history
                                    (also of URLs, many repositories, GitHub orgs, GitLab groups)
  dtleaks merge [flags] REPORT.json ...  merge the JSON reports of shards into one report
  dtleaks staged [flags] [REPO]     scan what the next commit would add (for a pre-commit hook)
  dtleaks revoke [flags] [REPORT.json | ID ...]
                                    disable (or delete) leaked tokens by identifier (a dry run unless --yes)
  dtleaks rules                     list the token types dtleaks knows (also: --list-types)
  dtleaks version                   print the version
  dtleaks help [COMMAND]            show help for a command

A finding names the token identifier (prefix and public portion, which
Dynatrace allows to be shown and logged, and which identifies the token to
revoke) and never a character of the secret portion.

Exit status: 0 nothing found, 1 tokens found, 2 an error (a bad flag, a path
or object that could not be read: the rest is still scanned and reported).

Keeping known findings out of a report, three ways, each visible in the repo:
  dtleaks:allow    on a line, keeps the tokens on that line out (for docs and examples)
  .dtleaksignore   gitignore-syntax file of paths never to scan, at any level
  --baseline FILE  a JSON report of an earlier run: the findings it lists are hidden
`

// command is one subcommand: its flags and what it runs.
type command struct {
	name, args, short string
	items             report.Items // what the summary counts
	setup             func(fs *flag.FlagSet, o *options)
	source            func(o *options, args []string) (scanner.Source, error)
	// blocked, when set, is printed after the summary of a run with
	// findings: what to do next.
	blocked string
}

// options are every flag's values.
type options struct {
	format, output, baseline string
	reports                  listFlag
	noColor, noDecode        bool
	noAllow                  bool
	group                    string
	jobs                     int
	// scan, history, staged
	noIgnore bool
	// scan
	archiveDepth int
	// history
	rangeSpec, since string
	noUnreachable    bool
	// --verify (scan, history)
	verify       bool
	environments listFlag
	caFile       string
	// audit holds the flags of history over URLs and many repositories.
	audit auditOptions
	// stderr is where a progress line may be drawn.
	stderr        io.Writer
	allowPromised bool
	// note is a line for standard error about choices made for the user.
	note string
	// warning is a line for standard error (and a ::warning annotation
	// with --format github) about a scan that does less or other than
	// asked.
	warning string
	// atHead places history findings on HEAD's files (report.Options.AtHead).
	atHead func(*scanner.Finding) bool
	// stdin is what "scan -" reads, and getenv the environment: run's
	// arguments, so that nothing reads the process's own.
	stdin  io.Reader
	getenv func(string) string
}

var commands = []command{
	{
		name: "scan", args: "[PATH ...]",
		short: `Scan files and directories (default "."); "-" reads standard input.

Honours .gitignore files (inside a git repository), .git/info/exclude and
.dtleaksignore files; hidden files are scanned; .git directories are not
walked. Symbolic links are not followed, except a PATH given on the command
line; FIFOs, sockets and devices are skipped unread. Binary files are scanned:
a token compiled into an artefact is a leak.`,
		setup: func(fs *flag.FlagSet, o *options) {
			fs.BoolVar(&o.noIgnore, "no-ignore", false, "scan everything: ignore no .gitignore, .git/info/exclude or .dtleaksignore")
			fs.IntVar(&o.archiveDepth, "max-archive-depth", 2, "open archives (zip, jar, war, apk, tar, tar.gz, gz) `N` levels deep and scan their members\n(\"bundle.zip!config/app.env\"); 0 scans archives as plain bytes")
			verifyFlags(fs, o)
		},
		source: func(o *options, args []string) (scanner.Source, error) {
			if len(args) == 0 {
				args = []string{"."}
			}
			for _, a := range args {
				if a == "-" {
					if len(args) > 1 {
						return nil, errors.New(`standard input ("-") cannot be combined with other paths`)
					}
					return &source.Reader{R: o.stdin, Name: "-"}, nil
				}
			}
			if o.archiveDepth < 0 {
				return nil, fmt.Errorf("--max-archive-depth must be at least 0, got %d", o.archiveDepth)
			}
			return &source.Dir{Roots: args, Jobs: o.jobs, NoIgnore: o.noIgnore, MaxArchiveDepth: o.archiveDepth, Ignored: new(atomic.Int64)}, nil
		},
	},
	{
		name: "history", args: "[REPO|URL ...]", items: report.Objects,
		short: `Scan every blob a git repository holds, each distinct blob once: blobs
reachable from every ref (branches, remote-tracking branches, tags, stash,
notes) and, unless --no-unreachable, objects no ref reaches any more. Commit
and annotated tag messages and headers (author, committer, tagger), file
names and ref names are scanned too. Each finding names the commit that
introduced the token at its path.

Given git URLs (https://, ssh://, git@host:org/repo.git, file://), several
repositories, --repos, --github-org, --github-user or --gitlab-group, it
fetches each URL as a bare mirror (every ref: branches, tags, notes, pull and
merge request refs) and scans the repositories in parallel; each finding
names its repository. Tokens come from GITHUB_TOKEN and GITLAB_TOKEN (sent
only to their hosts) or from a URL; ssh uses the ssh agent. A clone holds
every secret its repository holds (see --clone-dir).`,
		setup: func(fs *flag.FlagSet, o *options) {
			fs.StringVar(&o.rangeSpec, "range", "", "scan only the commits in `A..B` and the blobs they introduce;\n\"auto\" takes the range from pre-commit's pre-push stage or the GitHub Actions event\n(pull request: its commits; push: the pushed commits; otherwise the whole history)")
			fs.StringVar(&o.since, "since-commit", "", "scan only the commits after `REV` (REV..HEAD)")
			fs.BoolVar(&o.noUnreachable, "no-unreachable", false, "skip objects that no ref reaches")
			fs.BoolVar(&o.noIgnore, "no-ignore", false, "report findings at paths the .dtleaksignore files of their commit leave out")
			verifyFlags(fs, o)
			auditFlags(fs, o)
			fs.BoolVar(&o.allowPromised, "allow-missing-promised", false, "in a partial clone (git clone --filter), skip the objects its promisor remote holds\nand count them on stderr, rather than report each as a problem (exit 2)")
		},
		source: func(o *options, args []string) (scanner.Source, error) {
			if src, ok, err := auditSource(o, args); ok {
				return src, err
			}
			repo, err := oneRepo(args)
			if err != nil {
				return nil, err
			}
			if o.rangeSpec != "" && o.since != "" {
				return nil, errors.New("--range and --since-commit cannot be combined")
			}
			if o.rangeSpec == autoRange {
				spec, why, warn, err := ciRange(o.getenv, openClone(repo, o.getenv))
				if err != nil {
					return nil, err
				}
				o.rangeSpec = spec
				o.note = "range " + why
				if spec != "" {
					o.note += " (" + spec + ")"
				}
				o.warning = warn
			}
			o.atHead = headPlacer(repo, o.getenv)
			return &history.Source{Path: repo, Jobs: o.jobs, Range: o.rangeSpec, Since: o.since, NoUnreachable: o.noUnreachable, Getenv: o.getenv, AllowPromised: o.allowPromised, NoIgnore: o.noIgnore}, nil
		},
	},
	{
		name: "staged", args: "[REPO]",
		short: `Scan what the next commit would add: the staged blobs that differ from
HEAD, reporting only tokens on the lines the commit adds. Unstaged edits are
not scanned. Use it as a plain .git/hooks/pre-commit line: "dtleaks staged".
Paths the staged .dtleaksignore files list are left out.`,
		setup: func(fs *flag.FlagSet, o *options) {
			fs.BoolVar(&o.noIgnore, "no-ignore", false, "scan the staged paths .dtleaksignore files leave out")
		},
		source: func(o *options, args []string) (scanner.Source, error) {
			repo, err := oneRepo(args)
			if err != nil {
				return nil, err
			}
			return &staged.Source{Path: repo, Jobs: o.jobs, Getenv: o.getenv, NoIgnore: o.noIgnore}, nil
		},
		blocked: stagedBlocked,
	},
}

func oneRepo(args []string) (string, error) {
	switch len(args) {
	case 0:
		return ".", nil
	case 1:
		// A path that does not exist is an error here, before any
		// work: git's discovery would otherwise look for a repository
		// above it and scan the one the working directory is in.
		if _, err := os.Stat(args[0]); err != nil {
			return "", err
		}
		return args[0], nil
	}
	return "", fmt.Errorf("takes at most one repository, got %d arguments", len(args))
}

// run is the whole program as a function of its arguments, its streams and
// its environment (getenv, as os.Getenv): it reads no global state and never
// calls os.Exit, so tests can run it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError
	}
	switch args[0] {
	case "revoke":
		return runRevoke(ctx, args[1:], stdout, stderr, getenv)
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[1] == "revoke" {
			return runRevoke(ctx, []string{"--help"}, stdout, stderr, getenv)
		}
		if len(args) > 1 && args[1] == "merge" {
			return runMerge(ctx, []string{"--help"}, stdout, stderr)
		}
		if len(args) > 1 {
			for _, c := range commands {
				if c.name == args[1] {
					fs, _ := newFlagSet(c, stderr)
					fs.SetOutput(stdout)
					fs.Usage()
					return exitClean
				}
			}
			return unknownCommand(stderr, args[1])
		}
		fmt.Fprint(stdout, usage)
		return exitClean
	case "merge":
		return runMerge(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		writeVersion(stdout)
		return exitClean
	case "rules", "--list-types", "list-types":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "dtleaks %s: takes no arguments\n", args[0])
			return exitError
		}
		listRules(stdout)
		return exitClean
	}
	for _, c := range commands {
		if c.name == args[0] {
			return runCommand(ctx, c, args[1:], stdin, stdout, stderr, getenv)
		}
	}
	return unknownCommand(stderr, args[0])
}

func newFlagSet(c command, stderr io.Writer) (*flag.FlagSet, *options) {
	o := &options{}
	fs := flag.NewFlagSet("dtleaks "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.format, "format", "text", "report `FORMAT`: "+strings.Join(reportFormats(), ", "))
	fs.StringVar(&o.output, "output", "", "write the report to `FILE` instead of standard output")
	fs.Var(&o.reports, "report", "also write the report in `FORMAT=FILE` (repeatable; FORMAT one of "+strings.Join(reportFormats(), ", ")+"),\nfrom the same scan")
	fs.StringVar(&o.baseline, "baseline", "", "hide the findings listed in `FILE`, a JSON report of an earlier run (matched by fingerprint and path)")
	fs.BoolVar(&o.noColor, "no-color", false, "no colour in text output (also: NO_COLOR set in the environment)")
	fs.BoolVar(&o.noDecode, "no-decode", false, "do not look for encoded tokens (base64, UTF-16)")
	fs.StringVar(&o.group, "group", "", "with the text format, `BY` \"token\": one block per distinct token (identifier, type, environment,\nintroducing commit and author, branches and tags that contain it, at HEAD or history only), then each place")
	fs.BoolVar(&o.noAllow, "no-allow", false, "also report tokens on lines marked dtleaks:allow (for audits)")
	fs.IntVar(&o.jobs, "jobs", runtime.GOMAXPROCS(0), "read and match with `N` parallel workers")
	if c.setup != nil {
		c.setup(fs, o)
	}
	addShortFlags(fs)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: dtleaks %s [flags] %s\n\n%s\n\nFlags (anywhere among the arguments; \"--\" ends them):\n", c.name, c.args, c.short)
		printFlags(w, fs)
		fmt.Fprintf(w, "\nExit status: 0 nothing found, 1 tokens found, 2 an error.\n")
	}
	return fs, o
}

func runCommand(ctx context.Context, c command, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fs, o := newFlagSet(c, stderr)
	o.stdin, o.getenv = stdin, getenv
	o.stderr = stderr
	// With --format github, errors and warnings are also workflow
	// commands on standard output, which the runner shows as annotations.
	annotate := func(level, msg string) {
		if o.format == "github" {
			io.WriteString(stdout, report.Annotation(level, "dtleaks "+c.name, msg))
		}
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "dtleaks %s: %s\n", c.name, message(err.Error()))
		annotate("error", message(err.Error()))
		return exitError
	}
	// The flag package would print the whole usage after a bad flag:
	// a one-line error says more, and --help asks for the usage.
	fs.SetOutput(io.Discard)
	positional, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitClean
		}
		return fail(fmt.Errorf("%w; run 'dtleaks help %s'", err, c.name))
	}
	fs.SetOutput(stderr)
	// Everything the user got wrong is reported before any work is done.
	if !slices.Contains(reportFormats(), o.format) {
		return fail(fmt.Errorf("unknown --format %q; want one of %s", o.format, strings.Join(reportFormats(), ", ")))
	}
	for _, spec := range o.reports {
		format, name, ok := strings.Cut(spec, "=")
		if !ok || name == "" || !slices.Contains(reportFormats(), format) {
			return fail(fmt.Errorf("--report %q: want FORMAT=FILE with FORMAT one of %s", spec, strings.Join(reportFormats(), ", ")))
		}
	}
	if o.group != "" && (o.group != "token" || o.format != "text") {
		return fail(fmt.Errorf("--group %q: only --group token, with the text format", o.group))
	}
	if o.jobs < 1 {
		return fail(fmt.Errorf("--jobs must be at least 1, got %d", o.jobs))
	}
	src, err := c.source(o, positional)
	if err != nil {
		return fail(err)
	}
	vr, err := newVerifier(o)
	if err != nil {
		return fail(err)
	}
	orig := src
	src = vr.wrap(src)
	if o.note != "" {
		fmt.Fprintf(stderr, "dtleaks %s: %s\n", c.name, message(o.note))
	}
	if o.warning != "" {
		fmt.Fprintf(stderr, "dtleaks %s: warning: %s\n", c.name, message(o.warning))
		annotate("warning", message(o.warning))
	}
	var base *report.Baseline
	if o.baseline != "" {
		if base, err = readBaseline(o.baseline); err != nil {
			return fail(err)
		}
	}
	// Every file is created before the scan, so a bad path costs nothing.
	type extraReport struct {
		format string
		f      *os.File
	}
	var extras []extraReport
	for _, spec := range o.reports {
		format, name, _ := strings.Cut(spec, "=")
		f, err := os.Create(name)
		if err != nil {
			return fail(err)
		}
		defer f.Close()
		extras = append(extras, extraReport{format, f})
	}
	out := stdout
	var outFile *os.File
	if o.output != "" {
		if outFile, err = os.Create(o.output); err != nil {
			return fail(err)
		}
		defer outFile.Close()
		out = outFile
	}

	res, err := scan(ctx, src, scanner.Options{Matcher: &rules.Matcher{NoDecode: o.noDecode}, NoAllow: o.noAllow})
	if err != nil {
		if ctx.Err() != nil {
			return fail(errors.New("interrupted"))
		}
		return fail(err)
	}
	res.Stats.Ignored = ignoredPaths(orig)
	hidden := 0
	if base != nil {
		res.Findings, hidden = base.Filter(res.Findings)
		res.Stats.Findings = len(res.Findings)
	}
	if err := vr.run(ctx, res.Findings); err != nil {
		return fail(errors.New("interrupted"))
	}
	report.CarryEnvironment(res.Findings)
	status := exitClean
	if len(res.Findings) > 0 {
		status = exitFindings
	}
	ropts := report.Options{ToolVersion: version(), AtHead: o.atHead, Time: time.Now(),
		Command: strings.Join(append([]string{"dtleaks", c.name}, args...), " "), Targets: fs.Args()}
	if len(ropts.Targets) == 0 {
		ropts.Targets = []string{"."}
	}
	for _, extra := range extras {
		if err := writeReport(extra.f, extra.format, res, ropts); err != nil {
			return fail(fmt.Errorf("writing %s report %s: %w", extra.format, extra.f.Name(), err))
		}
		if err := extra.f.Close(); err != nil {
			return fail(err)
		}
	}
	ropts.Color = o.output == "" && !o.noColor && colorAllowed(getenv) && isTerminal(stdout)
	if o.group == "token" {
		err = writeByToken(ctx, out, orig, res, ropts)
	} else {
		err = writeReport(out, o.format, res, ropts)
	}
	if err != nil {
		return fail(fmt.Errorf("writing report: %w", err))
	}
	if outFile != nil {
		if err := outFile.Close(); err != nil {
			return fail(err)
		}
	}
	if n, ok := src.(interface{ Notes() []string }); ok {
		for _, note := range n.Notes() {
			fmt.Fprintf(stderr, "dtleaks %s: note: %s\n", c.name, message(note))
		}
	}
	for _, p := range res.Problems {
		fmt.Fprintf(stderr, "dtleaks %s: %s\n", c.name, message(p.Error()))
		annotate("error", message(p.Error()))
	}
	if len(res.Problems) > 0 {
		status = exitError
	}
	report.Summary(stderr, c.items, res, hidden)
	auditSummary(stderr, src)
	if status == exitFindings && c.blocked != "" {
		io.WriteString(stderr, c.blocked)
	}
	return status
}

// writeByToken writes the text report grouped by token, naming for a
// history scan the branches and tags that contain each token's commits (an
// audit learnt them from each repository while it was there).
func writeByToken(ctx context.Context, w io.Writer, src scanner.Source, res scanner.Result, opts report.Options) error {
	if a, ok := src.(*auditRun); ok {
		return report.TextByToken(w, res, a.refs, opts)
	}
	var refs map[string][]string
	if h, ok := src.(*history.Source); ok && len(res.Findings) > 0 {
		var commits []string
		for _, f := range res.Findings {
			commits = append(commits, f.Origin.Commit)
		}
		var err error
		if refs, err = h.RefsContaining(ctx, commits); err != nil {
			return err
		}
		if refs == nil {
			refs = map[string][]string{}
		}
	}
	if refs == nil {
		return report.TextByToken(w, res, nil, opts)
	}
	return report.TextByToken(w, res, report.Refs{"": refs}, opts)
}

// ignoredPaths is how many paths src's ignore rules left out.
func ignoredPaths(src scanner.Source) int64 {
	switch s := src.(type) {
	case *source.Dir:
		if s.Ignored != nil {
			return s.Ignored.Load()
		}
	case interface{ IgnoredPaths() int64 }:
		return s.IgnoredPaths()
	}
	return 0
}

// message makes an error message safe for standard error: every token in it
// is redacted to its identifier and "****", and what remains is escaped for
// the terminal. Our own errors never hold scanned bytes, but errors from
// libraries quote what they failed to parse (go-git quotes a ref name read
// from .git/HEAD), and flag errors quote arguments: a token there must not
// be printed back.
func message(s string) string {
	return report.Escape(rules.Redact(s))
}

// listFlag is a flag that may be given many times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// reportFormats are the formats --format and --report write: those of the
// report package, and "markdown", the table GitHub shows as a job summary.
func reportFormats() []string { return append(report.Formats(), "markdown") }

// writeReport writes res in format, including the formats only --report
// writes.
func writeReport(w io.Writer, format string, res scanner.Result, opts report.Options) error {
	if format == "markdown" {
		return report.StepSummary(w, res)
	}
	return report.Write(w, format, res, opts)
}

func readBaseline(name string) (*report.Baseline, error) {
	return readJSONFile(name, "baseline "+name, report.ReadBaseline)
}

// readJSONFile reads the file name with read, the one way a report or a
// baseline named on the command line is opened; read's errors are prefixed
// with label.
func readJSONFile[T any](name, label string, read func(io.Reader) (T, error)) (T, error) {
	var zero T
	// Not os.Open: a FIFO given as the file would block the open, deaf to
	// Ctrl-C. read bounds how much it reads.
	f, err := regfile.Open(name)
	if err != nil {
		return zero, err
	}
	defer f.Close()
	v, err := read(f)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", label, err)
	}
	return v, nil
}

func listRules(w io.Writer) {
	for _, k := range rules.Kinds() {
		prefix := k.Prefix
		if prefix == "" {
			prefix = "-"
		}
		fmt.Fprintf(w, "%-8s %-9s %-34s %s\n         %s\n", prefix, k.Shape, k.Name, k.Description, k.Source)
	}
}

// isTerminal reports whether w is a character device, as a terminal is: the
// standard library's way, with no dependency for it.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
