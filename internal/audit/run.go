package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dtleaks/dtleaks/internal/mirror"
	"github.com/dtleaks/dtleaks/scanner"
)

// Options are what a run needs besides its targets.
type Options struct {
	// Jobs bounds how many repositories are fetched and scanned at once;
	// 0 means 4.
	Jobs int
	// CloneDir keeps the mirrors of URLs below it, to be fetched into
	// (only what is new) by the next run. Empty: the mirrors go to a
	// temporary directory, each removed once scanned and the whole removed
	// when Run returns, on error and on cancellation too.
	CloneDir string
	// TempDir is where the temporary directory is made; empty means the
	// system's.
	TempDir string
	// Credentials authenticate fetches over HTTP(S).
	Credentials mirror.Credentials
	// Source returns the source that reads the history of the repository
	// at path.
	Source func(path string) scanner.Source
	// Scan are the options of each repository's scan.
	Scan scanner.Options
	// Event, when set, is told what happens, for a progress line. Calls
	// are serialised.
	Event func(Event)
	// Refs, when set, is told for each scanned repository with findings in
	// its commits which branches and tags contain those commits: by a
	// commit's full hash, the full ref names, as [RefsContainer] gives
	// them. They are asked of the repository's source right after its scan,
	// while the repository is still there: a temporary mirror is removed
	// once scanned. Calls are serialised.
	Refs func(repository string, refs map[string][]string)
}

// RefsContainer is a source that can tell which branches and tags contain
// given commits, as history's does; [Options.Refs] asks it.
type RefsContainer interface {
	RefsContaining(ctx context.Context, commits []string) (map[string][]string, error)
}

// EventKind says what an [Event] reports.
type EventKind int

// The events of a run, in the order a repository goes through them.
const (
	Fetching EventKind = iota // a URL's fetch starts
	Scanning                  // the scan of a repository starts
	Done                      // a repository is scanned (Err nil) or failed
)

// Event is one step of one repository.
type Event struct {
	Kind       EventKind
	Repository string
	// Progress is the server's last progress message while fetching.
	Progress string
	// Stats and Findings are the repository's, when Done.
	Stats    scanner.Stats
	Findings int
	Err      error
}

// Summary counts repositories.
type Summary struct {
	// Repositories is how many distinct repositories the run was given.
	Repositories int
	// Scanned were read to the end (Empty of them had no commit); Failed
	// could not be fetched or read; WithFindings had at least one finding.
	Scanned, Failed, Empty, WithFindings int
	// NotScanned were not done when the run was cancelled.
	NotScanned int
}

// RepositoryError is a repository that could not be fetched or scanned, or
// a problem within one; it names the repository.
type RepositoryError struct {
	Repository string
	Err        error
}

// Error names the repository once: not again when what went wrong already
// names it (a local path that is no repository).
func (e *RepositoryError) Error() string {
	if scanner.NamesPath(e.Err, e.Repository) {
		return e.Err.Error()
	}
	return e.Repository + ": " + e.Err.Error()
}
func (e *RepositoryError) Unwrap() error { return e.Err }

// Run scans every target (each distinct Key once) and returns all findings,
// each with its Repository, sorted by repository and then as [scanner.Sort]
// sorts them, and every problem, each naming its repository. Its Stats sum
// those of the repositories scanned, what they left out too: Allowed, and
// Ignored as a source with an IgnoredPaths method counts it. A repository
// that fails is a problem; the others are scanned. When ctx ends, Run stops
// fetching and scanning, drops the repositories it had not finished, and
// returns what was done with ctx's error.
func Run(ctx context.Context, targets []Target, opts Options) (scanner.Result, Summary, error) {
	start := time.Now()
	seen := map[string]bool{}
	var uniq []Target
	for _, t := range targets {
		if k := t.Key(); !seen[k] {
			seen[k] = true
			uniq = append(uniq, t)
		}
	}
	sum := Summary{Repositories: len(uniq)}
	var res scanner.Result

	root := opts.CloneDir
	temporary := root == ""
	if temporary && slices.ContainsFunc(uniq, func(t Target) bool { return t.Remote != nil }) {
		tmp, err := os.MkdirTemp(opts.TempDir, "dtleaks-clones-")
		if err != nil {
			return res, sum, err
		}
		defer os.RemoveAll(tmp)
		root = tmp
	}

	var mu sync.Mutex // guards res, sum and calls of opts.Event
	event := func(e Event) {
		if opts.Event != nil {
			opts.Event(e)
		}
	}
	g := &errgroup.Group{}
	g.SetLimit(cmp.Or(opts.Jobs, 4))
	for _, t := range uniq {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			r, refs, empty, err := scanOne(ctx, t, root, temporary, opts, func(e Event) {
				mu.Lock()
				defer mu.Unlock()
				event(e)
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && ctx.Err() != nil:
				// Cancelled: neither scanned nor failed.
				return nil
			case err != nil:
				sum.Failed++
				res.Problems = append(res.Problems, scanner.Problem{Err: &RepositoryError{t.Name, err}})
			default:
				sum.Scanned++
				if empty {
					sum.Empty++
				}
				if len(r.Findings) > 0 {
					sum.WithFindings++
				}
				for i := range r.Findings {
					r.Findings[i].Repository = t.Name
				}
				res.Findings = append(res.Findings, r.Findings...)
				for _, p := range r.Problems {
					res.Problems = append(res.Problems, scanner.Problem{Err: &RepositoryError{t.Name, p}})
				}
				res.Stats.Items += r.Stats.Items
				res.Stats.Bytes += r.Stats.Bytes
				res.Stats.Allowed += r.Stats.Allowed
				res.Stats.Ignored += r.Stats.Ignored
				if refs != nil && opts.Refs != nil {
					opts.Refs(t.Name, refs)
				}
			}
			event(Event{Kind: Done, Repository: t.Name, Stats: r.Stats, Findings: len(r.Findings), Err: err})
			return nil
		})
	}
	g.Wait()
	sum.NotScanned = sum.Repositories - sum.Scanned - sum.Failed
	// Findings of one repository come from one scan, already sorted: a
	// stable sort by repository makes the whole order independent of
	// which repository finished first.
	slices.SortStableFunc(res.Findings, func(a, b scanner.Finding) int { return cmp.Compare(a.Repository, b.Repository) })
	slices.SortStableFunc(res.Problems, func(a, b scanner.Problem) int { return cmp.Compare(a.Error(), b.Error()) })
	res.Stats.Findings = len(res.Findings)
	res.Stats.Duration = time.Since(start)
	return res, sum, ctx.Err()
}

// scanOne fetches t when it is a URL and scans it. empty is true for a
// repository without commits. refs, with opts.Refs, are the branches and
// tags that contain the commits of the findings; a failure to tell is a
// problem of the result.
func scanOne(ctx context.Context, t Target, root string, temporary bool, opts Options, event func(Event)) (res scanner.Result, refs map[string][]string, empty bool, err error) {
	path := t.Path
	if t.Remote != nil {
		path = filepath.Join(root, t.Remote.Dir())
		if temporary {
			defer os.RemoveAll(path)
		}
		event(Event{Kind: Fetching, Repository: t.Name})
		err := mirror.Fetch(ctx, *t.Remote, path, opts.Credentials, progressWriter(func(msg string) {
			event(Event{Kind: Fetching, Repository: t.Name, Progress: msg})
		}))
		if errors.Is(err, mirror.ErrEmpty) {
			return scanner.Result{}, nil, true, nil
		}
		var fe *mirror.Error
		if errors.As(err, &fe) {
			return res, nil, false, fmt.Errorf("fetch: %w", fe.Err)
		}
		if err != nil {
			return res, nil, false, err
		}
	} else if _, err := os.Stat(path); err != nil {
		// The problem names the repository, which is this path.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return res, nil, false, pe.Err
		}
		return res, nil, false, err
	}
	event(Event{Kind: Scanning, Repository: t.Name})
	src := opts.Source(path)
	res, err = scanner.Scan(ctx, src, opts.Scan)
	if err != nil {
		return res, nil, false, err
	}
	if ig, ok := src.(interface{ IgnoredPaths() int64 }); ok {
		res.Stats.Ignored = ig.IgnoredPaths()
	}
	rc, ok := src.(RefsContainer)
	if opts.Refs == nil || !ok || len(res.Findings) == 0 {
		return res, nil, false, nil
	}
	commits := make([]string, 0, len(res.Findings))
	for _, f := range res.Findings {
		commits = append(commits, f.Origin.Commit)
	}
	refs, err = rc.RefsContaining(ctx, commits)
	if err != nil {
		if ctx.Err() != nil {
			return res, nil, false, ctx.Err()
		}
		res.Problems = append(res.Problems, scanner.Problem{Err: fmt.Errorf("telling the branches and tags that contain its findings: %w", err)})
		return res, nil, false, nil
	}
	if refs == nil {
		refs = map[string][]string{} // asked, and no ref contains them
	}
	return res, refs, false, nil
}

// progressWriter turns the sideband progress a git server sends ("Counting
// objects:  45% (9/20)\r") into its last complete message.
type progressWriter func(string)

func (p progressWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != '\r' && b[i] != '\n' {
			i++
		}
		if msg := string(b[:i]); msg != "" {
			p(msg)
		}
		if i < len(b) {
			i++
		}
		b = b[i:]
	}
	return n, nil
}

var _ io.Writer = progressWriter(nil)
