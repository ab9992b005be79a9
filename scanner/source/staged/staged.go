package staged

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/sync/errgroup"

	"github.com/dtleaks/dtleaks/internal/gitindex"
	"github.com/dtleaks/dtleaks/internal/gitrepo"
	"github.com/dtleaks/dtleaks/internal/linediff"
	"github.com/dtleaks/dtleaks/scanner"
)

// Source is what the next commit would add to a git repository: the blobs in
// its index that differ from HEAD's at the same path (every staged blob when
// there is no commit yet). It is what a pre-commit hook scans.
//
// Items yields each such blob, named by its path from the top of the work
// tree, with the staged content: the index's version, not the file in the
// work tree, so edits not staged are not scanned and a file staged and then
// changed back is scanned as staged. Deleted paths and submodule entries
// have nothing to scan; a symbolic link's blob is the link's target text,
// which is what is committed. An unmerged path (a conflict not yet resolved)
// is reported as a problem: there is no single blob to scan.
//
// Resolve keeps only the findings on lines the commit adds: each file's
// staged lines are diffed against HEAD's blob at the same path, and a token
// on an unchanged line, already committed, does not block the commit. A new
// path that is a rename is diffed against the blob it was renamed from: a
// blob HEAD has at a path the index no longer has, with the same content
// (then nothing is added), or, as git's rename detection, at least half the
// same lines. A line whose only change is its line ending is not added.
//
// A Source value is for one scan at a time: Resolve uses what Items found,
// and closes the repository Items opened.
type Source struct {
	// Path is a directory inside the repository's work tree (the top, or
	// any directory below it, or a linked worktree); "" means ".".
	Path string
	// IndexFile is the index to read. Empty means $GIT_INDEX_FILE, which
	// git sets for hooks when a commit uses a temporary index (`git commit
	// -a`, `git commit <paths>`), and otherwise the repository's own
	// index. A relative path is relative to the current directory, as git
	// has it.
	IndexFile string
	// Jobs bounds how many blobs are read at once; 0 means GOMAXPROCS.
	Jobs int
	// Getenv reads the environment git would: GIT_DIR and GIT_WORK_TREE
	// (see gitrepo.OpenEnv) and GIT_INDEX_FILE. Nil means os.Getenv.
	Getenv func(string) string
	// NoIgnore scans the staged paths that the staged .dtleaksignore
	// files leave out.
	NoIgnore bool

	state *state
	// ignored is what the last Items left out, for IgnoredPaths.
	ignored int
}

// IgnoredPaths returns how many staged paths the last scan left out by
// the .dtleaksignore rules.
func (s *Source) IgnoredPaths() int64 { return int64(s.ignored) }

// state is what Items learns and Resolve needs.
type state struct {
	repo    *gitrepo.Repo
	changes []change
	gone    []deleted
	byPath  map[string]*change
	reads   int // HEAD tree objects read
	// ignored counts the staged paths .dtleaksignore left out, and
	// problems are its files that could not be read.
	ignored  int
	problems []scanner.Problem
}

// DiffLimit is the largest blob whose lines are diffed against the version
// HEAD has, to report only the lines a commit adds. A staged file larger
// than this, or whose HEAD version is, is reported whole: every token in it
// counts as added. Diffing needs both versions in memory; scanning does not.
const DiffLimit = 32 << 20

// ErrUnmerged is the problem reported for a path with conflicts.
var ErrUnmerged = errors.New("unmerged path: resolve the conflict and stage the result")

// Items implements scanner.Source.
func (s *Source) Items(ctx context.Context, yield func(scanner.Item, error) error) error {
	st, err := s.load(ctx)
	if err != nil {
		return err
	}
	s.state = st
	s.ignored = st.ignored
	if err := s.items(ctx, st, yield); err != nil {
		// Resolve, which would close it, is not called after a failure.
		st.repo.Close()
		s.state = nil
		return err
	}
	return nil
}

// items yields what load found: the problems of the stores the repository
// borrows from, the unmerged paths, and each staged blob.
func (s *Source) items(ctx context.Context, st *state, yield func(scanner.Item, error) error) error {
	for _, p := range st.repo.AltProblems {
		if err := yield(scanner.Item{Path: p.Path}, p.Err); err != nil {
			return err
		}
	}
	for _, p := range st.problems {
		if err := yield(scanner.Item{Path: p.Path}, p.Err); err != nil {
			return err
		}
	}
	var todo []*change
	for i := range st.changes {
		ch := &st.changes[i]
		if ch.unmerged {
			if err := yield(scanner.Item{Path: ch.path}, ErrUnmerged); err != nil {
				return err
			}
			continue
		}
		todo = append(todo, ch)
	}
	jobs := s.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	// go-git's object storage is not safe for concurrent use, so each
	// worker has its own storer; opening one (and its pack indexes) costs
	// milliseconds, worth it only for many blobs.
	jobs = min(jobs, (len(todo)+31)/32)
	if jobs <= 1 {
		for _, ch := range todo {
			if err := yieldBlob(ctx, st.repo.Store, ch, yield); err != nil {
				return err
			}
		}
		return ctx.Err()
	}
	g, gctx := errgroup.WithContext(ctx)
	var (
		mu   sync.Mutex
		next int
	)
	for w := range jobs {
		g.Go(func() error {
			store := st.repo.Store
			if w > 0 {
				store = st.repo.NewStorer()
				defer store.Close()
			}
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(todo) {
					return nil
				}
				if err := yieldBlob(gctx, store, todo[i], yield); err != nil {
					return err
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// yieldBlob passes one staged blob to yield, or the error reading it.
func yieldBlob(ctx context.Context, store *gitrepo.Storer, ch *change, yield func(scanner.Item, error) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rc, err := openBlob(store, ch.path, ch.hash)
	if err != nil {
		return yield(scanner.Item{Path: ch.path}, err)
	}
	defer rc.Close()
	return yield(scanner.Item{Path: ch.path, R: rc}, nil)
}

// openBlob opens a blob's content, read under the panic guard.
func openBlob(store *gitrepo.Storer, path string, h plumbing.Hash) (io.ReadCloser, error) {
	var rc io.ReadCloser
	err := gitrepo.Guard(func() error {
		b, err := object.GetBlob(store, h)
		if err != nil {
			return err
		}
		rc, err = b.Reader()
		return err
	})
	if err != nil {
		return nil, objectError("blob", path, h, err)
	}
	return gitrepo.NewObjectReader(rc, "blob", h, path), nil
}

// objectError is the error of an object that could not be read, at path
// in the tree ("" for the top).
func objectError(op, path string, h plumbing.Hash, err error) error {
	if path == "" {
		path = "/"
	}
	var oe *gitrepo.ObjectError
	if errors.As(err, &oe) && oe.Hash == h {
		return err // named already, by the blob's reader
	}
	return &gitrepo.ObjectError{Op: op, Hash: h, Path: path, Err: err}
}

// load opens the repository, reads its index and compares it with HEAD.
func (s *Source) load(ctx context.Context) (*state, error) {
	path := s.Path
	if path == "" {
		path = "."
	}
	repo, err := gitrepo.OpenEnv(path, s.getenv())
	if errors.Is(err, gitrepo.ErrNotRepository) {
		return nil, fmt.Errorf("%s is not in a git repository: %w", path, git.ErrRepositoryNotExists)
	}
	if err != nil {
		return nil, err
	}
	st, err := s.compare(ctx, path, repo)
	if err != nil {
		repo.Close()
		return nil, err
	}
	return st, nil
}

// compare reads the index of repo and compares it with HEAD.
func (s *Source) compare(ctx context.Context, path string, repo *gitrepo.Repo) (*state, error) {
	if _, err := repo.Worktree(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}

	// HEAD's tree and the index are independent: read them at once. The
	// first object read loads the pack indexes, the larger cost.
	var (
		head    plumbing.Hash
		headErr error
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		headErr = gitrepo.Safe("HEAD", func() error {
			var err error
			head, err = headTree(repo)
			return err
		})
	}()
	idx, unmap, idxErr := s.readIndex(repo)
	<-done
	if idxErr != nil {
		return nil, idxErr
	}
	defer unmap()
	if headErr != nil {
		return nil, headErr
	}
	c := &comparer{ctx: ctx, repo: repo, entries: idx.Entries}
	var root *gitindex.CacheTree
	if idx.Cache != nil && idx.Cache.Name == "" {
		root = idx.Cache
	}
	err := gitrepo.Safe("HEAD's tree", func() error { return c.dir("", 0, len(idx.Entries), root, head) })
	if err != nil {
		return nil, err
	}
	// Index names point into the mapped index; those that outlive it are
	// copied.
	for i := range c.changes {
		c.changes[i].path = strings.Clone(c.changes[i].path)
	}
	for i := range c.gone {
		c.gone[i].path = strings.Clone(c.gone[i].path)
	}
	st := &state{repo: repo, changes: c.changes, gone: c.gone, reads: c.reads}
	if !s.NoIgnore {
		s.dropIgnored(st, idx.Entries)
	}
	st.byPath = make(map[string]*change, len(st.changes))
	for i := range st.changes {
		st.byPath[st.changes[i].path] = &st.changes[i]
	}
	return st, nil
}

// headTree returns the hash of HEAD's tree, or zero when HEAD names
// no commit yet.
func headTree(repo *gitrepo.Repo) (plumbing.Hash, error) {
	ref, err := repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("HEAD: %w", err)
	}
	c, err := repo.CommitObject(ref.Hash())
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("HEAD commit %s: %w", gitrepo.Short(ref.Hash()), err)
	}
	return c.TreeHash, nil
}

// getenv is s.Getenv, or os.Getenv.
func (s *Source) getenv() func(string) string {
	if s.Getenv != nil {
		return s.Getenv
	}
	return os.Getenv
}

// readIndex reads the index Source is to compare; a repository without one
// has nothing staged. The entries' names point into the mapped file until
// the returned function unmaps it.
func (s *Source) readIndex(repo *gitrepo.Repo) (*gitindex.Index, func(), error) {
	name := s.IndexFile
	if name == "" {
		name = s.getenv()("GIT_INDEX_FILE")
	}
	if name == "" {
		// The index lives in the worktree's own git directory, which
		// go-git's repository filesystem resolves for a linked worktree.
		name = repo.FS.Join(repo.FS.Root(), "index")
	}
	b, unmap, err := gitindex.Map(name)
	if errors.Is(err, os.ErrNotExist) {
		return &gitindex.Index{}, func() {}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	idx, err := gitindex.Parse(b)
	if err != nil {
		unmap()
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if idx.Link != nil {
		return s.readShared(repo, name, idx, unmap)
	}
	return idx, unmap, nil
}

// readShared reads the shared index a split index (idx, read from the file
// name) changes, and returns the two merged: git keeps the shared index as
// sharedindex.<hash> in the git directory, or beside a temporary index.
func (s *Source) readShared(repo *gitrepo.Repo, name string, idx *gitindex.Index, unmap func()) (*gitindex.Index, func(), error) {
	if idx.Link.Shared.IsZero() {
		// No shared index: the entries are the whole index.
		merged, err := gitindex.Merge(idx, &gitindex.Index{})
		if err != nil {
			unmap()
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		return merged, unmap, nil
	}
	base := "sharedindex." + idx.Link.Shared.String()
	var (
		sb     []byte
		sunmap func()
		err    error
		sname  string
	)
	for _, dir := range []string{repo.FS.Root(), filepath.Dir(name)} {
		sname = filepath.Join(dir, base)
		if sb, sunmap, err = gitindex.Map(sname); err == nil || !errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	if err != nil {
		unmap()
		return nil, nil, fmt.Errorf("%s: split index: %w", name, err)
	}
	both := func() { sunmap(); unmap() }
	shared, err := gitindex.Parse(sb)
	if err == nil {
		idx, err = gitindex.Merge(idx, shared)
	}
	if err != nil {
		both()
		return nil, nil, fmt.Errorf("%s: %w", sname, err)
	}
	return idx, both, nil
}

// Resolve implements scanner.Resolver: it keeps the findings on lines the
// staged content adds.
func (s *Source) Resolve(ctx context.Context, fs []scanner.Finding) ([]scanner.Finding, []scanner.Problem, error) {
	st := s.state
	if st == nil {
		return fs, nil, nil
	}
	defer st.repo.Close()
	s.state = nil
	if len(fs) == 0 {
		return fs, nil, nil
	}
	slices.SortStableFunc(fs, func(a, b scanner.Finding) int { return cmp.Compare(a.Path, b.Path) })
	var (
		keep     []scanner.Finding
		problems []scanner.Problem
	)
	for i := 0; i < len(fs); {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		j := i + 1
		for j < len(fs) && fs[j].Path == fs[i].Path {
			j++
		}
		group := fs[i:j]
		i = j
		ch := st.byPath[group[0].Path]
		if ch == nil {
			keep = append(keep, group...)
			continue
		}
		// A token in the path is added when the path is: HEAD has no
		// entry at it (a new file, or the new name of a renamed one).
		var content []scanner.Finding
		for _, f := range group {
			if f.Location != scanner.LocationPath {
				content = append(content, f)
			} else if ch.old.IsZero() {
				keep = append(keep, f)
			}
		}
		group = content
		if len(group) == 0 {
			continue
		}
		var added func(int) bool
		err := gitrepo.Safe("blob "+ch.hash.String(), func() error {
			var err error
			added, err = st.added(ch)
			return err
		})
		if err != nil {
			// Unable to prove the lines old: keep them all.
			problems = append(problems, scanner.Problem{Path: ch.path, Err: err})
			keep = append(keep, group...)
			continue
		}
		for _, f := range group {
			if added(f.Line) {
				keep = append(keep, f)
			}
		}
	}
	return keep, problems, nil
}

// added returns a function that reports whether the commit adds a line
// (1-based) of the staged blob. A line number out of range counts as added:
// when in doubt, report.
func (st *state) added(ch *change) (func(line int) bool, error) {
	old := ch.old
	if old.IsZero() {
		var err error
		if old, err = st.renamedFrom(ch); err != nil {
			return nil, err
		}
		if old == ch.hash {
			return func(int) bool { return false }, nil // a rename adds nothing
		}
		if old.IsZero() {
			return func(int) bool { return true }, nil // a new file adds every line
		}
	}
	// Diffing holds both blobs and a hash per line: past a bound, every
	// line counts as added, so a huge file is scanned whole (its tokens
	// all reported) in the memory of a streamed scan, never diffed.
	for _, h := range []plumbing.Hash{old, ch.hash} {
		size, err := st.repo.Store.EncodedObjectSize(h)
		if err != nil {
			return nil, objectError("blob", ch.path, h, err)
		}
		if size > DiffLimit {
			return func(int) bool { return true }, nil
		}
	}
	a, err := st.lines(ch.path, old)
	if err != nil {
		return nil, err
	}
	b, err := st.lines(ch.path, ch.hash)
	if err != nil {
		return nil, err
	}
	m := linediff.Match(a.Hash, b.Hash, linediff.DefaultWork)
	return func(line int) bool { return line < 1 || line > len(m) || m[line-1] < 0 }, nil
}

func (st *state) lines(path string, h plumbing.Hash) (linediff.Text, error) {
	rc, err := openBlob(st.repo.Store, path, h)
	if err != nil {
		return linediff.Text{}, err
	}
	defer rc.Close()
	t, err := linediff.ReadLines(rc)
	if err != nil {
		return linediff.Text{}, objectError("blob", path, h, err)
	}
	return t, nil
}

const (
	// renameCandidates bounds how many deleted blobs a new path is
	// compared with, as git's diff.renameLimit does: the nearest in size.
	renameCandidates = 32
	// renameExpand bounds how many blobs of deleted directories are
	// listed as candidates.
	renameExpand = 10000
)

// renamedFrom returns the blob a new path was renamed from: a deleted blob
// with the same content, or the deleted blob sharing the most lines with it
// when they share at least half of the larger one's bytes. It returns zero
// when there is none.
func (st *state) renamedFrom(ch *change) (plumbing.Hash, error) {
	gone, err := st.goneBlobs()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if len(gone) == 0 {
		return plumbing.ZeroHash, nil
	}
	for _, g := range gone {
		if g.hash == ch.hash {
			return g.hash, nil
		}
	}
	size, err := st.repo.Store.EncodedObjectSize(ch.hash)
	if err != nil {
		return plumbing.ZeroHash, objectError("blob", ch.path, ch.hash, err)
	}
	type cand struct {
		g    deleted
		size int64
	}
	var cands []cand
	for _, g := range gone {
		gs, err := st.repo.Store.EncodedObjectSize(g.hash)
		if err != nil {
			return plumbing.ZeroHash, objectError("blob", g.path, g.hash, err)
		}
		// Half the bytes in common is impossible when one is more than
		// twice the other.
		if gs*2 >= size && size*2 >= gs {
			cands = append(cands, cand{g, gs})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(cmp.Compare(abs(a.size-size), abs(b.size-size)), cmp.Compare(a.g.path, b.g.path))
	})
	if len(cands) > renameCandidates {
		cands = cands[:renameCandidates]
	}
	if len(cands) == 0 {
		return plumbing.ZeroHash, nil
	}
	b, err := st.lines(ch.path, ch.hash)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	var (
		best      plumbing.Hash
		bestShare int64
	)
	for _, c := range cands {
		a, err := st.lines(c.g.path, c.g.hash)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		var shared int64
		for k, x := range linediff.Match(a.Hash, b.Hash, linediff.DefaultWork) {
			if x >= 0 {
				shared += int64(b.Size[k])
			}
		}
		if 2*shared >= max(size, c.size) && shared > bestShare {
			best, bestShare = c.g.hash, shared
		}
	}
	return best, nil
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// goneBlobs lists the blobs HEAD has at paths the index no longer has,
// listing the files of deleted directories (up to renameExpand).
func (st *state) goneBlobs() ([]deleted, error) {
	var out []deleted
	for _, g := range st.gone {
		if !g.tree {
			out = append(out, g)
			continue
		}
		t, err := st.repo.TreeObject(g.hash)
		if err != nil {
			return nil, objectError("tree", g.path, g.hash, err)
		}
		w := object.NewTreeWalker(t, true, nil)
		for len(out) < renameExpand {
			name, e, err := w.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				w.Close()
				return nil, objectError("tree", g.path, g.hash, err)
			}
			if e.Mode != filemode.Dir && gitrepo.IsFile(e.Mode) {
				out = append(out, deleted{path: g.path + "/" + name, hash: e.Hash})
			}
		}
		w.Close()
	}
	return out, nil
}
