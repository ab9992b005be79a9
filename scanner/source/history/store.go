package history

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	billy "github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/objfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
	"golang.org/x/sync/errgroup"

	"github.com/dtleaks/dtleaks/internal/gitpack"
	"github.com/dtleaks/dtleaks/internal/gitrepo"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// pack is one packfile of the object store, its index and delta graph.
type pack struct {
	dir   *dotgit.DotGit // the store that holds it
	hash  plumbing.Hash
	path  string // relative to the git directory (absolute in a borrowed store), for problems
	index *gitpack.Index
	graph *gitpack.Graph
	// promisor is set for a pack a partial clone fetched from its
	// promisor remote: the objects its objects name and the store lacks
	// are promised, not lost.
	promisor bool
}

// workUnit is a piece of work for one worker: a run of whole objects of
// one pack with the deltas built on them, or a batch of loose objects.
type workUnit struct {
	pack   *pack
	packNo int
	roots  []int32
	loose  []plumbing.Hash
	store  objectStore // of the loose objects
}

// objectStore is an object store: the repository's own, or one it borrows
// from, whose objects directory prefixes the paths of its files in
// problems.
type objectStore struct {
	dir    *dotgit.DotGit
	prefix string
}

// stores returns the repository's object store and those it borrows from.
func (r *repository) stores() []objectStore {
	prefix := "objects/"
	if filepath.Clean(r.Objects) != filepath.Clean(gitrepo.ObjectsDir(r.FS.Root())) {
		prefix = filepath.ToSlash(r.Objects) + "/" // git's environment put it elsewhere
	}
	out := []objectStore{{dir: r.Dir, prefix: prefix}}
	for _, a := range r.Alternates {
		out = append(out, objectStore{dir: a.Dir, prefix: filepath.ToSlash(a.Objects) + "/"})
	}
	return out
}

// storeItems yields every blob, commit message and tag message in the
// object store, decoding packs in parallel: each pack's delta graph is
// read first (see gitpack.Graph), then each worker takes runs of whole
// objects and resolves the deltas built on them through its own file
// handle, so every object is inflated once and workers share nothing but
// the read-only graphs.
func (h *Source) storeItems(ctx context.Context, repo *repository, yield func(scanner.Item, error) error) error {
	h.borrows = len(repo.AltProblems) > 0
	for _, p := range repo.AltProblems {
		if err := yield(scanner.Item{Path: p.Path}, p.Err); err != nil {
			return err
		}
	}
	for _, st := range repo.stores() {
		for _, p := range gitrepo.PackProblems(st.dir.Fs()) {
			if err := yield(scanner.Item{Path: st.prefix + p.Path}, p.Err); err != nil {
				return err
			}
		}
	}
	packs, err := h.loadPacks(ctx, repo, yield)
	if err != nil {
		return err
	}
	var reach *reachGraph
	if h.NoUnreachable {
		var err error
		if reach, err = findReachable(ctx, repo); err != nil {
			return err
		}
		if err := allBlobs(ctx, repo, reach); err != nil {
			return err
		}
		h.reach = reach
		if !h.borrows { // else objects missing here are expected in the other store
			for _, p := range h.dropPromised(reach.problems) {
				if err := yield(scanner.Item{Path: p.Path}, p.Err); err != nil {
					return err
				}
			}
		}
	}
	// The problems of the objects are gathered and yielded at the end,
	// in order, so that which objects a damaged pack's problems name does
	// not depend on which worker met them first.
	ps := &problemSet{}
	defer ps.release()
	pyield := func(it scanner.Item, err error) error {
		if err != nil {
			ps.add(it.Path, err)
			return nil
		}
		return yield(it, nil)
	}
	for _, p := range packs {
		if err := h.readGraph(ctx, p, pyield); err != nil {
			return err
		}
	}
	h.packs = packs
	units := h.units(packs)
	h.loose = map[plumbing.Hash]bool{}
	for _, st := range repo.stores() {
		loose, err := st.dir.Objects()
		if err != nil {
			return fmt.Errorf("listing loose objects of %s: %w", st.prefix, err)
		}
		for _, l := range loose {
			h.loose[l] = true
		}
		for len(loose) > 0 {
			n := min(len(loose), 512)
			units = append(units, workUnit{loose: loose[:n], store: st})
			loose = loose[n:]
		}
	}

	var next atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for range min(h.jobs(), max(len(units), 1)) {
		g.Go(func() error {
			w := &worker{h: h, repo: repo, packs: packs, reach: reach, yield: pyield}
			defer w.close()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(units) {
					return nil
				}
				if err := gctx.Err(); err != nil {
					return err
				}
				var err error
				if units[i].pack != nil {
					err = w.packUnit(gctx, units[i])
				} else {
					err = w.looseUnit(gctx, units[i].store, units[i].loose)
				}
				if err != nil {
					return err
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ps.flush(yield); err != nil {
		return err
	}
	return ctx.Err()
}

// problemSet gathers the problems of a store scan: of each path (a pack,
// a loose object), the problemsPerPack first in the order of their
// messages, which name their objects, and how many there are, so that a
// store that lost thousands of objects gets a short report, the same
// from run to run and whatever the number of workers.
type problemSet struct {
	mu sync.Mutex
	by map[string]*pathProblems
}

type pathProblems struct {
	kept []error // sorted by message
	n    int
}

// add records a problem of path.
func (s *problemSet) add(path string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.by == nil {
		s.by = map[string]*pathProblems{}
	}
	pp := s.by[path]
	if pp == nil {
		pp = &pathProblems{}
		s.by[path] = pp
	}
	pp.n++
	msg := err.Error()
	i, _ := slices.BinarySearchFunc(pp.kept, msg, func(e error, m string) int { return cmp.Compare(e.Error(), m) })
	if i >= problemsPerPack {
		return
	}
	pp.kept = slices.Insert(pp.kept, i, err)
	if len(pp.kept) > problemsPerPack {
		pp.kept = pp.kept[:problemsPerPack]
	}
}

// flush yields the problems, by path, and for each path the count of
// those left out.
func (s *problemSet) flush(yield func(scanner.Item, error) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, path := range slices.Sorted(maps.Keys(s.by)) {
		pp := s.by[path]
		for _, err := range pp.kept {
			if err := yield(scanner.Item{Path: path}, err); err != nil {
				return err
			}
		}
		if n := pp.n - len(pp.kept); n > 0 {
			if err := yield(scanner.Item{Path: path}, fmt.Errorf("%d more objects could not be read", n)); err != nil {
				return err
			}
		}
	}
	s.by = nil
	return nil
}

// release forgets what flush did not yield (the scan failed).
func (s *problemSet) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.by = nil
}

// loadPacks reads every pack index. A pack whose index cannot be read is
// reported and left out; the rest of the store is still scanned.
func (h *Source) loadPacks(ctx context.Context, repo *repository, yield func(scanner.Item, error) error) ([]*pack, error) {
	var packs []*pack
	for _, st := range repo.stores() {
		hashes, err := st.dir.ObjectPacks()
		if err != nil {
			return nil, fmt.Errorf("listing packs of %s: %w", st.prefix, err)
		}
		for _, ph := range hashes {
			p, err := h.loadPack(ctx, st, ph, yield)
			if err != nil {
				return nil, err
			}
			if p != nil {
				packs = append(packs, p)
			}
		}
	}
	return packs, nil
}

// loadPack reads the index of one pack; it returns nil for a pack it
// reported as unreadable.
func (h *Source) loadPack(ctx context.Context, st objectStore, ph plumbing.Hash, yield func(scanner.Item, error) error) (*pack, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := &pack{dir: st.dir, hash: ph, path: st.prefix + "pack/" + gitrepo.PackFile(st.dir.Fs(), ph)}
	if _, err := st.dir.Fs().Stat("objects/pack/pack-" + ph.String() + ".promisor"); err == nil {
		p.promisor = true
		h.partial = true
	}
	f, err := st.dir.ObjectPackIdx(ph)
	if err != nil {
		return nil, yield(scanner.Item{Path: p.path}, err)
	}
	defer f.Close()
	err = gitrepo.Guard(func() error {
		size, err := f.Seek(0, io.SeekEnd)
		if err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		p.index, err = gitpack.ReadIndex(f, size)
		return err
	})
	if err != nil {
		// The message names the pack once, as the problem's path.
		err = &fs.PathError{Op: "index of", Path: p.path, Err: err}
		return nil, yield(scanner.Item{Path: p.path}, err)
	}
	return p, nil
}

// readGraph reads the delta graph of a pack and reports the objects it
// cannot resolve. A pack that cannot be opened is reported and left out.
func (h *Source) readGraph(ctx context.Context, p *pack, yield func(scanner.Item, error) error) error {
	f, err := p.dir.ObjectPack(p.hash)
	if err != nil {
		return yield(scanner.Item{Path: p.path}, err)
	}
	defer f.Close()
	var g *gitpack.Graph
	err = gitrepo.Guard(func() error {
		var err error
		g, err = gitpack.ReadGraph(ctx, p.index, f)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return yield(scanner.Item{Path: p.path}, err)
	}
	p.graph = g
	for _, b := range g.Bad {
		err := &gitrepo.ObjectError{Op: "object", Hash: g.Hash(b.Obj), Err: b.Err}
		if err := yield(scanner.Item{Path: p.path}, err); err != nil {
			return err
		}
	}
	return nil
}

// units splits the whole objects of each pack into runs, leaving out
// trees (and so every delta built on a tree): Resolve reads those. A run's cost is the bytes of
// the delta trees under it, which the headers give: runs are cut to about
// an equal cost, so that a long chain of versions of a large file is a run
// of its own, and the costliest runs go first, so that no worker is left
// with one at the end while the others idle.
func (h *Source) units(packs []*pack) []workUnit {
	type costed struct {
		u    workUnit
		cost int64
	}
	var all []costed
	for i, p := range packs {
		g := p.graph
		if g == nil {
			continue
		}
		var roots []int32
		var costs []int64
		var total int64
		for _, r := range g.Roots() {
			if g.Type(r) == plumbing.TreeObject {
				continue
			}
			c := g.Cost(r)
			roots, costs, total = append(roots, r), append(costs, c), total+c
		}
		target := max(total/int64(h.jobs()*32), 1)
		start, acc := 0, int64(0)
		for j := range roots {
			acc += costs[j]
			if acc >= target || j-start+1 >= 1024 || j == len(roots)-1 {
				all = append(all, costed{workUnit{pack: p, packNo: i, roots: roots[start : j+1]}, acc})
				start, acc = j+1, 0
			}
		}
	}
	slices.SortStableFunc(all, func(a, b costed) int { return cmp.Compare(b.cost, a.cost) })
	units := make([]workUnit, len(all))
	for i, c := range all {
		units[i] = c.u
	}
	return units
}

// worker decodes and yields objects, one unit at a time.
type worker struct {
	h     *Source
	repo  *repository
	packs []*pack
	reach *reachGraph // nil unless unreachable objects are left out
	yield func(scanner.Item, error) error
	files map[int]billy.File // open packs, by number
	// ins are the inflaters of files, by pack number: one per pack for
	// the worker's life, so that its zlib state and buffers stay warm
	// from one unit to the next.
	ins map[int]*gitpack.Inflater
	// promisor is set while the unit at hand is of a promisor pack.
	promisor bool
}

// close closes the worker's pack files.
func (w *worker) close() {
	for _, f := range w.files {
		f.Close()
	}
}

// inEarlierPack reports whether the object is in one of the first n packs,
// where it is (or was) scanned already.
func (w *worker) inEarlierPack(hash plumbing.Hash, n int) bool {
	for _, p := range w.packs[:n] {
		if p.index.Contains(hash) {
			return true
		}
	}
	return false
}

// packUnit yields the blobs, commits and tags of one run of a pack.
func (w *worker) packUnit(ctx context.Context, u workUnit) error {
	p := u.pack
	f := w.files[u.packNo]
	if f == nil {
		var err error
		if f, err = p.dir.ObjectPack(p.hash); err != nil {
			return w.problem(p, err)
		}
		if w.files == nil {
			w.files = map[int]billy.File{}
			w.ins = map[int]*gitpack.Inflater{}
		}
		w.files[u.packNo] = f
		w.ins[u.packNo] = gitpack.NewInflater(f)
	}
	g := p.graph
	w.promisor = p.promisor
	defer func() { w.promisor = false }()
	pw := &gitpack.Walker{
		Graph: g,
		In:    w.ins[u.packNo],
		Want: func(t plumbing.ObjectType) bool {
			return t == plumbing.BlobObject || t == plumbing.CommitObject || t == plumbing.TagObject
		},
		Visit: func(i int32, typ plumbing.ObjectType, data, base []byte) error {
			hash := g.Hash(i)
			if w.inEarlierPack(hash, u.packNo) {
				return nil
			}
			return w.object(ctx, &memObject{hash: hash, typ: typ, data: data}, p.path)
		},
		Large: gitrepo.LargeObject,
		Stream: func(i int32, typ plumbing.ObjectType, r io.Reader) error {
			hash := g.Hash(i)
			if w.inEarlierPack(hash, u.packNo) {
				return nil
			}
			return w.object(ctx, &streamObject{hash: hash, typ: typ, size: g.Size(i), r: r}, p.path)
		},
		Bad: func(i int32, err error) error {
			return w.problem(p, &gitrepo.ObjectError{Op: "object", Hash: g.Hash(i), Err: err})
		},
	}
	for _, r := range u.roots {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := pw.Walk(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// memObject is an object whose content is in memory.
type memObject struct {
	hash plumbing.Hash
	typ  plumbing.ObjectType
	data []byte
}

func (o *memObject) Hash() plumbing.Hash         { return o.hash }
func (o *memObject) Type() plumbing.ObjectType   { return o.typ }
func (o *memObject) SetType(plumbing.ObjectType) {}
func (o *memObject) Size() int64                 { return int64(len(o.data)) }
func (o *memObject) SetSize(int64)               {}
func (o *memObject) Reader() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(o.data)), nil
}
func (o *memObject) Writer() (io.WriteCloser, error) { return nil, errors.New("read-only object") }
func (o *memObject) String() string                  { return o.hash.String() }

// problem reports an unreadable object of a pack (see problemSet).
func (w *worker) problem(p *pack, err error) error {
	return w.yield(scanner.Item{Path: p.path}, err)
}

// looseUnit yields the loose objects of a batch that no pack holds.
func (w *worker) looseUnit(ctx context.Context, st objectStore, hashes []plumbing.Hash) error {
	for _, hash := range hashes {
		if err := ctx.Err(); err != nil {
			return err
		}
		if w.inEarlierPack(hash, len(w.packs)) {
			continue
		}
		path := st.prefix + hash.String()[:2] + "/" + hash.String()[2:]
		err := gitrepo.Guard(func() error {
			f, err := st.dir.Object(hash)
			if err != nil {
				return err
			}
			defer f.Close()
			r, err := objfile.NewReader(f)
			if err != nil {
				return err
			}
			defer r.Close()
			typ, size, err := r.Header()
			if err != nil {
				return err
			}
			obj := &streamObject{hash: hash, typ: typ, size: size, r: &looseCheck{Sized: gitrepo.Sized{R: r, Size: size}, zr: r, hash: hash}}
			if err := w.object(ctx, obj, path); err != nil {
				return yieldError{err}
			}
			return nil
		})
		var yerr yieldError
		if errors.As(err, &yerr) {
			return yerr.err
		}
		if err != nil {
			if err := w.yield(scanner.Item{Path: path}, gitrepo.ObjectErr("object", hash, err)); err != nil {
				return err
			}
		}
	}
	return nil
}

// yieldError carries an error returned by yield (which ends the scan)
// out of code whose other errors are problems of one object.
type yieldError struct{ err error }

func (e yieldError) Error() string { return e.err.Error() }

// streamObject is an object read as a stream, its content read once: a
// loose object, from its open file, or a packed object too large to inflate
// in memory, from its pack.
type streamObject struct {
	hash plumbing.Hash
	typ  plumbing.ObjectType
	size int64
	r    io.Reader
}

// looseCheck reads a loose object's content and, at its end, checks it
// against the object's header (see gitrepo.Sized) and name: zlib data that
// inflates cleanly to bytes that do not hash to the object's name is a
// corrupt object, reported rather than scanned as if it were whole.
type looseCheck struct {
	gitrepo.Sized
	zr   *objfile.Reader
	hash plumbing.Hash
}

func (c *looseCheck) Read(p []byte) (int, error) {
	n, err := c.Sized.Read(p)
	if err == io.EOF && c.zr.Hash() != c.hash {
		return n, errors.New("corrupt object: content does not match its hash")
	}
	return n, err
}

func (o *streamObject) Hash() plumbing.Hash             { return o.hash }
func (o *streamObject) Type() plumbing.ObjectType       { return o.typ }
func (o *streamObject) SetType(plumbing.ObjectType)     {}
func (o *streamObject) Size() int64                     { return o.size }
func (o *streamObject) SetSize(int64)                   {}
func (o *streamObject) Reader() (io.ReadCloser, error)  { return io.NopCloser(o.r), nil }
func (o *streamObject) Writer() (io.WriteCloser, error) { return nil, errors.New("read-only object") }
func (o *streamObject) String() string                  { return o.hash.String() }

// object yields one decoded object: a blob's content, a commit's or an
// annotated tag's message; trees and anything else are skipped. Errors
// reading the object are yielded as problems named by where (the pack or
// loose object path); an error from yield is returned.
func (w *worker) object(ctx context.Context, obj plumbing.EncodedObject, where string) error {
	hash := obj.Hash()
	if obj.Type() == plumbing.TreeObject {
		return w.looseTree(obj, where)
	}
	if w.reach != nil && !w.reach.has(hash, obj.Type()) {
		return nil
	}
	var it scanner.Item
	switch obj.Type() {
	case plumbing.BlobObject:
		it.Origin.Blob = hash.String()
	case plumbing.CommitObject, plumbing.TagObject:
		it.Origin.Commit = hash.String()
		it.Location = scanner.LocationCommitMessage
		if obj.Type() == plumbing.TagObject {
			it.Location = scanner.LocationTagMessage
		}
		if obj.Size() > gitrepo.LargeObject {
			// Too large to decode in memory: scan it raw, headers and all.
			break
		}
		var msg string
		var raw []byte
		var rootTree plumbing.Hash
		err := gitrepo.Guard(func() error {
			rc, err := obj.Reader()
			if err != nil {
				return err
			}
			defer rc.Close()
			if raw, err = io.ReadAll(rc); err != nil {
				return err
			}
			obj := &memObject{hash: hash, typ: obj.Type(), data: raw}
			if obj.Type() == plumbing.CommitObject {
				var c object.Commit
				if err := c.Decode(obj); err != nil {
					return err
				}
				msg = c.Message
				it.Origin.AuthorName, it.Origin.AuthorEmail, it.Origin.Date = rules.Redact(c.Author.Name), rules.Redact(c.Author.Email), c.Author.When
				// For Resolve's walk from the refs, unless Items made
				// it already (w.reach): then it has every commit kept.
				if w.repo != nil && w.reach == nil {
					w.repo.keepCommit(hash, &commit{tree: c.TreeHash, parents: c.ParentHashes, when: c.Committer.When.Unix()})
				}
				rootTree = c.TreeHash
				return nil
			}
			var t object.Tag
			if err := t.Decode(obj); err != nil {
				return err
			}
			msg = t.Message
			it.Origin.AuthorName, it.Origin.AuthorEmail, it.Origin.Date = rules.Redact(t.Tagger.Name), rules.Redact(t.Tagger.Email), t.Tagger.When
			return nil
		})
		if err != nil {
			return w.yieldErr(where, gitrepo.ObjectErr("object", hash, err))
		}
		// A commit's root tree is checked as tree entries are (see
		// checkTreeLinks): a commit whose tree the store lacks has
		// content the scan cannot see. (A range scan, without w.h,
		// reads every tree of its commits.)
		if w.h != nil && !rootTree.IsZero() && !w.h.borrows && !w.h.exists(rootTree) && !w.h.skipPromised(w.promisor, rootTree) {
			err := fmt.Errorf("commit %s: its tree %s is missing from the repository: its content cannot be scanned%s", gitrepo.Short(hash), rootTree, promisedHint(w.promisor))
			if err := w.yieldErr(where, err); err != nil {
				return err
			}
		}
		it.R = strings.NewReader(msg)
		if err := w.yieldItem(it); err != nil {
			return err
		}
		return w.yieldItem(headerItem(it, raw))
	default:
		return nil
	}
	var rc io.ReadCloser
	err := gitrepo.Guard(func() error {
		var err error
		rc, err = obj.Reader()
		return err
	})
	if err != nil {
		return w.yieldErr(where, gitrepo.ObjectErr("object", hash, err))
	}
	defer rc.Close()
	it.R = &gitrepo.ObjectReader{R: rc, Op: "object", Hash: hash}
	return w.yieldItem(it)
}

// looseTree checks the entries of a loose tree (see treeLinks); Resolve
// checks the packed ones.
func (w *worker) looseTree(obj plumbing.EncodedObject, where string) error {
	var data []byte
	err := gitrepo.Guard(func() error {
		rc, err := obj.Reader()
		if err != nil {
			return err
		}
		defer rc.Close()
		data, err = io.ReadAll(rc)
		return err
	})
	if err != nil {
		return w.yieldErr(where, gitrepo.ObjectErr("object", obj.Hash(), err))
	}
	w.h.names.noteTree(data)
	for _, err := range w.h.treeLinks(obj.Hash(), data, nil, false) {
		if err := w.yieldErr(where, err); err != nil {
			return err
		}
	}
	return nil
}

func (w *worker) yieldItem(it scanner.Item) error { return w.yield(it, nil) }

func (w *worker) yieldErr(where string, err error) error {
	return w.yield(scanner.Item{Path: where}, err)
}
