// Package history holds [Source], the scan of a git repository's whole
// history: every blob, commit and tag message and header, and tree entry
// name in its object store (or in a range of commits), each read once, and
// the names of its refs; and the tracing of each blob finding to the commit
// that introduced it ([Source.Resolve]).
package history

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/dtleaks/dtleaks/internal/gitrepo"
	"github.com/dtleaks/dtleaks/scanner"
)

// Source scans the object store of a git repository: every distinct blob
// once, however many commits and paths share it, plus every commit's and
// annotated tag's message and headers, the names in its trees and the names
// of its refs. After the scan, [Source.Resolve] traces each
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
	// AllowPromised skips the objects a partial clone (git clone
	// --filter) lacks and its promisor remote holds, as git rev-list
	// --missing=allow-promisor does, and counts them in a note (see
	// Notes). Without it they are problems: content the scan did not read.
	// An object is promised when an object of a promisor pack (one with a
	// .promisor file) names it, as git has it.
	AllowPromised bool
	// Getenv reads the environment git would: GIT_DIR, GIT_WORK_TREE and
	// the object-directory variables (see gitrepo.OpenEnv). Nil means
	// os.Getenv.
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
	// reach is the walk from the refs Items made for NoUnreachable, for
	// Resolve to use rather than walk the commits again.
	reach *reachGraph
	// packs are the packs Items read, with their delta graphs, for
	// Resolve to read trees through.
	packs []*pack
	// loose holds the loose objects Items listed, for treeLinks.
	loose map[plumbing.Hash]bool
	// borrows is set when the repository borrows objects from a store
	// that cannot be read (see gitrepo.Alternates): the objects its trees name
	// may be there, so the missing-object checks are off.
	borrows bool
	// names holds the tree entry names with tokens the scan met (see
	// names.go).
	names names
	// rangeNames holds, for a range scan, the introduced paths that hold
	// a token, with their commits.
	rangeNames []intro

	// promised holds the missing objects skipped under AllowPromised.
	promisedMu sync.Mutex
	promised   map[plumbing.Hash]bool
	// partial is set when the repository has a promisor pack.
	partial bool
	notesMu sync.Mutex
	notes   []string
}

// Notes returns what the scan has to say that is neither a finding nor a
// problem: that a shallow repository's history is partial, how many
// promised objects a partial clone lacks. Call it after Resolve.
func (h *Source) Notes() []string {
	h.notesMu.Lock()
	defer h.notesMu.Unlock()
	return slices.Clone(h.notes)
}

// note adds a note (see Notes).
func (h *Source) note(format string, args ...any) {
	h.notesMu.Lock()
	defer h.notesMu.Unlock()
	h.notes = append(h.notes, fmt.Sprintf(format, args...))
}

// promisedNote adds the note of the promised objects skipped, if any.
func (h *Source) promisedNote() {
	h.promisedMu.Lock()
	n := len(h.promised)
	h.promisedMu.Unlock()
	if n > 0 {
		h.note("%d objects missing from this partial clone were not scanned: its promisor remote holds them (--allow-missing-promised)", n)
	}
}

// skipPromised reports whether an object the store lacks, named by an
// object of a promisor pack (promisor), is skipped under AllowPromised,
// and counts it if so.
func (h *Source) skipPromised(promisor bool, missing plumbing.Hash) bool {
	if !h.AllowPromised || !promisor {
		return false
	}
	h.promisedMu.Lock()
	defer h.promisedMu.Unlock()
	if h.promised == nil {
		h.promised = map[plumbing.Hash]bool{}
	}
	h.promised[missing] = true
	return true
}

// dropPromised leaves out of ps, under AllowPromised in a partial clone,
// the objects the store lacks that tracing and the walk from the refs
// found (see skipPromised).
func (h *Source) dropPromised(ps []scanner.Problem) []scanner.Problem {
	if !h.AllowPromised || !h.partial {
		return ps
	}
	return slices.DeleteFunc(ps, func(p scanner.Problem) bool {
		var oe *gitrepo.ObjectError
		return errors.Is(p.Err, plumbing.ErrObjectNotFound) && errors.As(p.Err, &oe) && h.skipPromised(true, oe.Hash)
	})
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

// Items yields every blob of the repository once, the commit and tag
// messages and headers, then the ref names; see [Source]. Blob items have an empty Path and Origin.Blob set.
func (h *Source) Items(ctx context.Context, yield func(scanner.Item, error) error) error {
	repo, err := h.open()
	if err != nil {
		return err
	}
	h.repo = repo
	if n := len(shallowCommits(repo)); n > 0 {
		// Not an error: the scan reads all the repository holds. But a
		// clean result speaks only for the history it holds.
		h.note("the repository is a shallow clone: its history stops at %d shallow commit(s), what came before is not in it and was not scanned (git fetch --unshallow fetches it)", n)
	}
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
	r, err := gitrepo.OpenEnv(path, h.Getenv)
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
