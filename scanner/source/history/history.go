// Package history holds [Source], the scan of a git repository's whole
// history: every blob, commit message and tag message in its object store
// (or in a range of commits), each read once, and the tracing of each blob
// finding to the commit that introduced it ([Source.Resolve]).
package history

import (
	"context"
	"os"
	"runtime"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/dtleaks/dtleaks/internal/gitrepo"
	"github.com/dtleaks/dtleaks/scanner"
)

// Source scans the object store of a git repository: every distinct blob
// once, however many commits and paths share it, plus every commit message
// and annotated tag message. After the scan, [Source.Resolve] traces each
// blob finding to the commit that introduced the blob at its path.
//
// By default Source reads the object store itself rather than walking
// commits, so it also finds what no ref reaches any more: a deleted branch's
// commits, a dropped stash, a blob that was added to the index and never
// committed. With Range or Since it scans only the commits of a range and
// the blobs they introduce, which is what a CI job needs for a push or a
// pull request.
//
// A Source value is used for one scan: Items records which blobs it
// yielded, for Resolve.
type Source struct {
	// Path is the repository: its working tree, any directory below it,
	// or a bare repository. Empty means ".".
	Path string
	// Jobs bounds how many objects are decoded and scanned at once; 0
	// means GOMAXPROCS.
	Jobs int
	// Range limits the scan to the commits reachable from B and not from
	// A, written "A..B"; an empty A or B means HEAD, and an A of 40 zeros
	// (what git gives a hook for a new ref) means no commit.
	Range string
	// Since limits the scan to the commits after the given revision, up
	// to HEAD: the same as Range "REV..HEAD".
	Since string
	// NoUnreachable leaves out the objects no ref reaches. It has no
	// effect with Range or Since, which only ever scan reachable commits.
	NoUnreachable bool
	// Getenv reads the environment git would: GIT_DIR and GIT_WORK_TREE
	// (see gitrepo.OpenEnv). Nil means os.Getenv.
	Getenv func(string) string
	// NoIgnore keeps the findings at paths that the .dtleaksignore files
	// of their commit leave out (see Resolve).
	NoIgnore bool

	// ignored is the paths Resolve left out, for IgnoredPaths.
	ignored int

	// introduced is filled by a range scan: for each blob it yielded, the
	// commits of the range that introduced it and where.
	introduced map[plumbing.Hash][]intro
	// rangeGraph is the commits of the range, for ordering by ancestry.
	rangeGraph map[plumbing.Hash]*commit
	// repo is the repository Items opened, for Resolve.
	repo *repository
	// packs are the packs Items read, with their delta graphs, for
	// Resolve to read trees through.
	packs []*pack
	// loose holds the loose objects Items listed, for treeLinks.
	loose map[plumbing.Hash]bool
	// borrows is set when the repository borrows objects from a store
	// that cannot be read (see gitrepo.Alternates): the objects its trees name
	// may be there, so the missing-object checks are off.
	borrows bool
}

// intro is one introduction of a blob: the commit whose tree has the
// blob at path while none of its parents does. commit is the zero hash for
// a blob reachable from a ref without any commit (a tag of a tree).
type intro struct {
	path   string
	commit plumbing.Hash
}

// problemsPerPack bounds the problems reported of one pack: the rest are
// counted, so that a store that lost thousands of objects gets a readable
// report.
const problemsPerPack = 20

// Items yields every blob of the repository once, then the commit and tag
// messages; see [Source]. Blob items have an empty Path and Origin.Blob set.
func (h *Source) Items(ctx context.Context, yield func(scanner.Item, error) error) error {
	repo, err := h.open()
	if err != nil {
		return err
	}
	h.repo = repo
	if h.Range != "" || h.Since != "" {
		err = h.rangeItems(ctx, repo, yield)
	} else {
		err = h.storeItems(ctx, repo, yield)
		if err == nil {
			err = h.refItems(ctx, repo, nil, yield)
		}
	}
	if err != nil {
		// Resolve, which would close it, is not called after a failure.
		repo.Close()
		h.repo = nil
	}
	return err
}

// repository is an open repository, and what tracing keeps of the commits
// Items decoded.
type repository struct {
	*gitrepo.Repo

	// commits holds what tracing needs of the commits Items decoded, so
	// that Resolve need not read them again; readCommit takes each
	// out as it reads it, so the graph is never held twice.
	commitsMu sync.Mutex
	commits   map[plumbing.Hash]*commit
}

// keepCommit records a commit Items decoded, for readCommit.
func (r *repository) keepCommit(h plumbing.Hash, c *commit) {
	r.commitsMu.Lock()
	defer r.commitsMu.Unlock()
	if r.commits == nil {
		r.commits = map[plumbing.Hash]*commit{}
	}
	r.commits[h] = c
}

// takeCommit returns and forgets a commit keepCommit recorded.
func (r *repository) takeCommit(h plumbing.Hash) *commit {
	r.commitsMu.Lock()
	defer r.commitsMu.Unlock()
	c := r.commits[h]
	delete(r.commits, h)
	return c
}

// open opens the repository at h.Path (see gitrepo.Open).
func (h *Source) open() (*repository, error) {
	path := h.Path
	if path == "" {
		path = "."
	}
	getenv := h.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	r, err := gitrepo.OpenEnv(path, getenv)
	if err != nil {
		return nil, err
	}
	return &repository{Repo: r}, nil
}

// IgnoredPaths returns how many paths of commits the last Resolve left out
// by the .dtleaksignore rules of their commits.
func (h *Source) IgnoredPaths() int64 { return int64(h.ignored) }

// jobs is the number of workers to run.
func (h *Source) jobs() int {
	if h.Jobs > 0 {
		return h.Jobs
	}
	return runtime.GOMAXPROCS(0)
}
