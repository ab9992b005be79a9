package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	billy "github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"

	"github.com/dtleaks/dtleaks/scanner"
)

// History scans the object store of a git repository: every distinct blob
// once, however many commits and paths share it, plus every commit message
// and annotated tag message. After the scan, [History.Resolve] traces each
// blob finding to the commit that introduced the blob at its path.
//
// By default History reads the object store itself rather than walking
// commits, so it also finds what no ref reaches any more: a deleted branch's
// commits, a dropped stash, a blob that was added to the index and never
// committed. With Range or Since it scans only the commits of a range and
// the blobs they introduce, which is what a CI job needs for a push or a
// pull request.
//
// A History value is used for one scan: Items records which blobs it
// yielded, for Resolve.
type History struct {
	// Path is the repository: its working tree, any directory below it,
	// or a bare repository. Empty means ".".
	Path string
	// Jobs bounds how many objects are decoded and scanned at once; 0
	// means GOMAXPROCS.
	Jobs int
	// Range limits the scan to the commits reachable from B and not from
	// A, written "A..B"; an empty A or B means HEAD.
	Range string
	// Since limits the scan to the commits after the given revision, up
	// to HEAD: the same as Range "REV..HEAD".
	Since string
	// NoUnreachable leaves out the objects no ref reaches. It has no
	// effect with Range or Since, which only ever scan reachable commits.
	NoUnreachable bool

	// introduced is filled by a range scan: for each blob it yielded, the
	// commits of the range that introduced it and where.
	introduced map[plumbing.Hash][]histIntro
	// repo is the repository Items opened, for Resolve.
	repo *histRepo
	// packs are the packs Items read, with their delta graphs, for
	// Resolve to read trees through.
	packs []*histPack
	// loose holds the loose objects Items listed, for treeLinks.
	loose map[plumbing.Hash]bool
	// borrows is set when the repository borrows objects from a store
	// that cannot be read (see histAlternates): the objects its trees name
	// may be there, so the missing-object checks are off.
	borrows bool
}

// histIntro is one introduction of a blob: the commit whose tree has the
// blob at path while none of its parents does. commit is the zero hash for
// a blob reachable from a ref without any commit (a tag of a tree).
type histIntro struct {
	path   string
	commit plumbing.Hash
}

// Locations of message items, as in scanner.Item.Location.
const (
	histCommitMessage = "commit-message"
	histTagMessage    = "tag-message"
)

// Bounds on what History keeps in memory: the shared object cache of a
// storage, and the size above which a packed object no delta is built on
// is streamed rather than inflated in memory.
const (
	histObjectCache     = 32 << 20
	histLargeObject     = 1 << 20
	histProblemsPerPack = 20
)

// Items yields every blob of the repository once, then the commit and tag
// messages; see [History]. Blob items have an empty Path and Origin.Blob set.
func (h *History) Items(ctx context.Context, yield func(scanner.Item, error) error) error {
	repo, err := h.open()
	if err != nil {
		return err
	}
	h.repo = repo
	if h.Range != "" || h.Since != "" {
		err = h.rangeItems(ctx, repo, yield)
	} else {
		err = h.storeItems(ctx, repo, yield)
	}
	if err != nil {
		// Resolve, which would close it, is not called after a failure.
		repo.close()
		h.repo = nil
	}
	return err
}

// histRepo is an open repository with the storage History reads through.
type histRepo struct {
	*git.Repository
	st  *filesystem.Storage
	fs  billy.Filesystem
	dir *dotgit.DotGit
	// newStorage returns a fresh storage on the same object store, for a
	// worker that decodes objects beside others.
	newStorage func() *filesystem.Storage

	// alts are the object stores the repository borrows from, and
	// altProblems the ones it names and cannot be read (see
	// histAlternates).
	alts        []histAlt
	altProblems []scanner.Problem

	// commits holds what tracing needs of the commits Items decoded, so
	// that Resolve need not read them again; histReadCommit takes each
	// out as it reads it, so the graph is never held twice.
	commitsMu sync.Mutex
	commits   map[plumbing.Hash]*histCommit
}

// keepCommit records a commit Items decoded, for histReadCommit.
func (r *histRepo) keepCommit(h plumbing.Hash, c *histCommit) {
	r.commitsMu.Lock()
	defer r.commitsMu.Unlock()
	if r.commits == nil {
		r.commits = map[plumbing.Hash]*histCommit{}
	}
	r.commits[h] = c
}

// takeCommit returns and forgets a commit keepCommit recorded.
func (r *histRepo) takeCommit(h plumbing.Hash) *histCommit {
	r.commitsMu.Lock()
	defer r.commitsMu.Unlock()
	c := r.commits[h]
	delete(r.commits, h)
	return c
}

// open finds the repository at h.Path the way git does (a working tree, a
// subdirectory of one, a bare repository, a worktree whose .git is a file)
// and reopens its object store with bounded caches.
func (h *History) open() (*histRepo, error) {
	path := h.Path
	if path == "" {
		path = "."
	}
	var repo *git.Repository
	err := histSafe("open "+path, func() error {
		var err error
		// A bare repository has no .git to detect, and detecting one
		// would find the working tree a bare repository sits in.
		detect := !histIsBare(path)
		repo, err = git.PlainOpenWithOptions(path, &git.PlainOpenOptions{DetectDotGit: detect, EnableDotGitCommonDir: true})
		return err
	})
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, fmt.Errorf("history: %s: not a git repository", path)
		}
		return nil, fmt.Errorf("history: %s: %w", path, err)
	}
	st0, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return nil, fmt.Errorf("history: %s: unsupported repository storage", path)
	}
	fs := st0.Filesystem()
	newStorage := func() *filesystem.Storage {
		// AlternatesFS lets go-git follow absolute alternates paths
		// itself (revisions, the range walk); relative ones it cannot,
		// and histRepo.object reads those.
		return histStorage(fs, osfs.New("/"))
	}
	st := newStorage()
	r, err := git.Open(st, nil)
	if err != nil {
		return nil, fmt.Errorf("history: %s: %w", path, err)
	}
	hr := &histRepo{Repository: r, st: st, fs: fs, dir: dotgit.New(fs), newStorage: newStorage}
	hr.alts, hr.altProblems = histAlternates(histObjectsDir(fs.Root()))
	return hr, nil
}

// histStorage opens the object storage of the git directory fs with the
// bounds History reads under: a bounded object cache, large objects
// streamed, pack files kept open. alternates, if not nil, is the file system
// go-git follows objects/info/alternates paths in.
func histStorage(fs, alternates billy.Filesystem) *filesystem.Storage {
	return filesystem.NewStorageWithOptions(fs, cache.NewObjectLRU(histObjectCache),
		filesystem.Options{LargeObjectThreshold: histLargeObject, KeepDescriptors: true, AlternatesFS: alternates})
}

// histIsBare reports whether dir looks like a bare repository: no .git, but
// HEAD, objects and refs of its own.
func histIsBare(dir string) bool {
	if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
		return false
	}
	for _, name := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// jobs is the number of workers to run.
func (h *History) jobs() int {
	if h.Jobs > 0 {
		return h.Jobs
	}
	return runtime.GOMAXPROCS(0)
}

// histSafe runs f and turns a panic in it (go-git panics on some corrupt
// data) into an error naming what was being read. The panic value is kept
// only when it is a runtime error, whose text holds no scanned bytes.
func histSafe(what string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if re, ok := p.(runtime.Error); ok {
				err = fmt.Errorf("%s: corrupt data (%v)", what, re)
				return
			}
			err = fmt.Errorf("%s: corrupt data", what)
		}
	}()
	return f()
}

// histShort abbreviates a hash for messages.
func histShort(h plumbing.Hash) string { return h.String()[:12] }
