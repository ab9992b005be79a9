package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/dtleaks/dtleaks/internal/audit"
	"github.com/dtleaks/dtleaks/internal/forge"
	"github.com/dtleaks/dtleaks/internal/mirror"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
	"github.com/dtleaks/dtleaks/scanner/source/history"
)

// historySource is the one place the audit reads a repository's history:
// the source of "dtleaks history" for the repository at path.
func historySource(path string, o *options) scanner.Source {
	return &history.Source{Path: path, Jobs: o.jobs, NoUnreachable: o.noUnreachable, NoIgnore: o.noIgnore}
}

// auditOptions are the flags of "dtleaks history" that scan many
// repositories, or repositories named by URL.
type auditOptions struct {
	githubOrgs, githubUsers, gitlabGroups listFlag
	reposFile                             string
	includeForks, includeArchived         bool
	githubAPI, gitlabURL                  string
	cloneDir                              string
	shard                                 string
	parallel                              int
	quiet                                 bool
}

// auditFlags adds the audit flags to the history command.
func auditFlags(fs *flag.FlagSet, o *options) {
	a := &o.audit
	fs.Var(&a.githubOrgs, "github-org", "scan every repository of GitHub organisation `ORG` (repeatable; token: GITHUB_TOKEN)")
	fs.Var(&a.githubUsers, "github-user", "scan every repository GitHub user `USER` owns (repeatable; token: GITHUB_TOKEN)")
	fs.Var(&a.gitlabGroups, "gitlab-group", "scan every project of GitLab group `GROUP` and its subgroups (repeatable; token: GITLAB_TOKEN)")
	fs.StringVar(&a.reposFile, "repos", "", "also scan the repositories in `FILE`: one URL or path a line (# starts a comment)")
	fs.BoolVar(&a.includeForks, "include-forks", false, "with --github-*/--gitlab-group, also scan forks")
	fs.BoolVar(&a.includeArchived, "include-archived", false, "with --github-*/--gitlab-group, also scan archived repositories")
	fs.StringVar(&a.githubAPI, "github-api-url", forge.GitHubAPI, "GitHub API `URL` (GitHub Enterprise Server: https://HOST/api/v3)")
	fs.StringVar(&a.gitlabURL, "gitlab-url", forge.GitLabURL, "GitLab `URL` (self-managed: https://HOST)")
	fs.StringVar(&a.cloneDir, "clone-dir", "", "keep the mirrors of repositories given by URL in `DIR`, and fetch only what is new\n"+
		"into them on the next run (default: a temporary directory, removed at the end).\n"+
		"A clone holds every secret its repository holds: keep DIR as private as the repositories")
	fs.StringVar(&a.shard, "shard", "", "scan only shard `K/N` of the repositories (by a stable hash of each URL),\nso N machines can split one list without coordination; merge their JSON reports with dtleaks merge")
	fs.IntVar(&a.parallel, "parallel-repos", 4, "fetch and scan `N` repositories at once")
	fs.BoolVar(&a.quiet, "quiet", false, "no progress line (there is none anyway when standard error is not a terminal)")
}

// auditRun is the source of a history command over several repositories
// or over URLs. It is not scanned as one source: scan runs it.
type auditRun struct {
	o       *options
	targets []audit.Target
	shard   audit.Shard
	creds   mirror.Credentials
	// summary is filled by run, for the summary line.
	summary audit.Summary
	// refs, filled by run with --group token, are the branches and tags
	// that contain the findings' commits, by repository.
	refs report.Refs
	// ignored, filled by run, is how many paths the repositories'
	// .dtleaksignore rules left out, all together.
	ignored int64
}

// IgnoredPaths returns how many paths the ignore rules of the repositories
// left out, summed over them, for the summary line.
func (a *auditRun) IgnoredPaths() int64 { return a.ignored }

// Items is never called: runCommand scans an auditRun through scan.
func (a *auditRun) Items(context.Context, func(scanner.Item, error) error) error {
	return errors.New("an audit is run repository by repository")
}

// auditSource returns the audit for these arguments and flags, and
// ok=false when they name one local repository (or none), which the plain
// history command scans.
func auditSource(o *options, args []string) (scanner.Source, bool, error) {
	a := &o.audit
	wanted := len(args) > 1 || len(a.githubOrgs)+len(a.githubUsers)+len(a.gitlabGroups) > 0 || a.reposFile != "" || a.shard != ""
	for _, arg := range args {
		if mirror.IsURL(arg) {
			wanted = true
		}
	}
	if !wanted {
		return nil, false, nil
	}
	if o.rangeSpec != "" || o.since != "" {
		return nil, true, errors.New("--range and --since-commit apply to one local repository, not to an audit of URLs or of several repositories")
	}
	if a.parallel < 1 {
		return nil, true, fmt.Errorf("--parallel-repos must be at least 1, got %d", a.parallel)
	}
	run := &auditRun{o: o}
	if a.shard != "" {
		s, err := audit.ParseShard(a.shard)
		if err != nil {
			return nil, true, err
		}
		run.shard = s
	}
	for _, arg := range args {
		t, err := audit.ParseTarget(arg)
		if err != nil {
			return nil, true, err
		}
		// A path on the command line that does not exist is a typo, told
		// before any work; one in a --repos list is a problem of the run.
		if t.Remote == nil {
			if _, err := os.Stat(t.Path); err != nil {
				return nil, true, err
			}
		}
		run.targets = append(run.targets, t)
	}
	if a.reposFile != "" {
		ts, err := readRepos(a.reposFile)
		if err != nil {
			return nil, true, err
		}
		run.targets = append(run.targets, ts...)
	}
	ghHost, err := forge.GitHubHost(a.githubAPI)
	if err != nil {
		return nil, true, fmt.Errorf("--github-api-url: %w", err)
	}
	glHost, err := forge.GitLabHost(a.gitlabURL)
	if err != nil {
		return nil, true, fmt.Errorf("--gitlab-url: %w", err)
	}
	// Tokens come from the environment only: a flag's value would be in
	// the shell's history and in ps.
	run.creds = mirror.Credentials{
		GitHubToken: os.Getenv("GITHUB_TOKEN"), GitHubHosts: []string{ghHost},
		GitLabToken: os.Getenv("GITLAB_TOKEN"), GitLabHosts: []string{glHost},
	}
	return run, true, nil
}

// readRepos reads a --repos file. A line that is not a usable URL is an
// error naming the line, not quoting it: it may hold a password.
func readRepos(name string) ([]audit.Target, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []audit.Target
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		t, err := audit.ParseTarget(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// scan runs src: an audit repository by repository, any other source with
// scanner.Scan. An interrupted audit returns what was done, with a problem
// saying what was not.
func scan(ctx context.Context, src scanner.Source, opts scanner.Options) (scanner.Result, error) {
	a, ok := src.(*auditRun)
	if !ok {
		return scanner.Scan(ctx, src, opts)
	}
	return a.run(ctx, opts)
}

func (a *auditRun) run(ctx context.Context, sopts scanner.Options) (scanner.Result, error) {
	start := time.Now()
	p := newProgress(a.o.stderr, a.o.audit.quiet)
	defer p.close()

	targets, problems := a.list(ctx, p)
	if a.shard.N > 1 {
		var in []audit.Target
		for _, t := range targets {
			if a.shard.Has(t) {
				in = append(in, t)
			}
		}
		targets = in
	}
	p.start(len(targets))
	opts := audit.Options{
		Jobs:        a.o.audit.parallel,
		CloneDir:    a.o.audit.cloneDir,
		Credentials: a.creds,
		Source:      func(path string) scanner.Source { return historySource(path, a.o) },
		Scan:        sopts,
		Event:       p.event,
	}
	if a.o.group == "token" {
		a.refs = report.Refs{}
		opts.Refs = func(repo string, refs map[string][]string) { a.refs[repo] = refs }
	}
	res, sum, err := audit.Run(ctx, targets, opts)
	a.summary = sum
	a.ignored = res.Stats.Ignored
	res.Problems = append(problems, res.Problems...)
	if err != nil && ctx.Err() == nil {
		return res, err
	}
	if ctx.Err() != nil {
		res.Problems = append(res.Problems, scanner.Problem{Err: fmt.Errorf("interrupted: %d of %d repositories not scanned", sum.NotScanned, sum.Repositories)})
	}
	res.Stats.Duration = time.Since(start)
	return res, nil
}

// list gathers the targets: those given, then those the forges list. A
// listing that fails is a problem naming the organisation or group.
func (a *auditRun) list(ctx context.Context, p *progress) ([]audit.Target, []scanner.Problem) {
	ao := &a.o.audit
	targets := append([]audit.Target(nil), a.targets...)
	var problems []scanner.Problem
	client := &forge.Client{Wait: func(what string, d time.Duration) {
		p.describe(fmt.Sprintf("%s: rate limited, waiting %s", what, d.Round(time.Second)))
	}}
	filter := forge.Filter{Forks: ao.includeForks, Archived: ao.includeArchived}
	type listing struct {
		name string
		fn   func() ([]forge.Repo, error)
	}
	var ls []listing
	for _, org := range ao.githubOrgs {
		ls = append(ls, listing{"GitHub organisation " + org, func() ([]forge.Repo, error) {
			return client.GitHubOrg(ctx, ao.githubAPI, org, a.creds.GitHubToken, filter)
		}})
	}
	for _, user := range ao.githubUsers {
		ls = append(ls, listing{"GitHub user " + user, func() ([]forge.Repo, error) {
			return client.GitHubUser(ctx, ao.githubAPI, user, a.creds.GitHubToken, filter)
		}})
	}
	for _, group := range ao.gitlabGroups {
		ls = append(ls, listing{"GitLab group " + group, func() ([]forge.Repo, error) {
			return client.GitLabGroup(ctx, ao.gitlabURL, group, a.creds.GitLabToken, filter)
		}})
	}
	for _, l := range ls {
		if ctx.Err() != nil {
			break
		}
		p.describe("listing " + l.name)
		repos, err := l.fn()
		if err != nil {
			if ctx.Err() == nil {
				problems = append(problems, scanner.Problem{Err: fmt.Errorf("listing: %w", err)})
			}
			continue
		}
		for _, r := range repos {
			t, err := audit.ParseTarget(r.CloneURL)
			if err != nil || t.Remote == nil {
				problems = append(problems, scanner.Problem{Err: fmt.Errorf("%s: repository %s: unusable clone URL", l.name, r.Name)})
				continue
			}
			targets = append(targets, t)
		}
	}
	return targets, problems
}

// auditSummary writes the repository counts of an audit under the scan's
// summary line; it writes nothing for any other source.
func auditSummary(w io.Writer, src scanner.Source) {
	a, ok := src.(*auditRun)
	if !ok {
		return
	}
	s := a.summary
	line := fmt.Sprintf("dtleaks: %s: %d scanned (%d empty), %d failed, %d with findings",
		report.Plural(int64(s.Repositories), "repository", "repositories"), s.Scanned, s.Empty, s.Failed, s.WithFindings)
	if s.NotScanned > 0 {
		line += fmt.Sprintf(", %d not scanned", s.NotScanned)
	}
	if a.shard.N > 1 {
		line += "; shard " + a.shard.String()
	}
	fmt.Fprintln(w, line)
}

// progress is the live line on a terminal: repositories done of total,
// objects and bytes scanned, findings, and what is being fetched. A nil
// *progress draws nothing.
type progress struct {
	mu       sync.Mutex
	bar      *progressbar.ProgressBar
	objects  int64
	bytes    int64
	findings int
	current  string
}

// newProgress returns a progress line on w when w is a terminal and quiet
// is false; otherwise nil, which draws nothing.
func newProgress(w io.Writer, quiet bool) *progress {
	if quiet || w == nil || !isTerminal(w) {
		return nil
	}
	bar := progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("dtleaks: listing repositories"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionFullWidth(),
		progressbar.OptionSetRenderBlankState(true),
	)
	return &progress{bar: bar}
}

func (p *progress) describe(s string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.Describe(message(s))
}

func (p *progress) start(total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.ChangeMax(total)
	p.bar.Describe("dtleaks: repositories")
}

// event takes the runner's events; they come one at a time.
func (p *progress) event(e audit.Event) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Kind {
	case audit.Fetching:
		p.current = "fetching " + e.Repository
		if e.Progress != "" {
			p.current += ": " + e.Progress
		}
	case audit.Scanning:
		p.current = "scanning " + e.Repository
	case audit.Done:
		p.objects += e.Stats.Items
		p.bytes += e.Stats.Bytes
		p.findings += e.Findings
		p.bar.Add(1)
	}
	p.bar.Describe(message(fmt.Sprintf("%d objects, %s, %d findings · %s",
		p.objects, report.Size(p.bytes), p.findings, p.current)))
}

func (p *progress) close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.Finish()
	p.bar.Clear()
}
