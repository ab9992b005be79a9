package source

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	billy "github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/objfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
	"golang.org/x/sync/errgroup"

	"github.com/dtleaks/dtleaks/scanner"
)

// histPack is one packfile of the object store and its index.
type histPack struct {
	dir      *dotgit.DotGit // the store that holds it
	hash     plumbing.Hash
	path     string // relative to the git directory (absolute in a borrowed store), for problems
	idx      *idxfile.MemoryIndex
	entries  []*idxfile.Entry // by offset
	graph    *histPackGraph
	problems atomic.Int64
}

// histUnit is a piece of work for one worker: a run of whole objects of
// one pack with the deltas built on them, or a batch of loose objects.
type histUnit struct {
	pack   *histPack
	packNo int
	roots  []int32
	loose  []plumbing.Hash
	store  histStore // of the loose objects
}

// histStore is an object store: the repository's own, or one it borrows
// from, whose objects directory prefixes the paths of its files in
// problems.
type histStore struct {
	dir    *dotgit.DotGit
	prefix string
}

// stores returns the repository's object store and those it borrows from.
func (r *histRepo) stores() []histStore {
	out := []histStore{{dir: r.dir, prefix: "objects/"}}
	for _, a := range r.alts {
		out = append(out, histStore{dir: a.dir, prefix: filepath.ToSlash(a.objects) + "/"})
	}
	return out
}

// storeItems yields every blob, commit message and tag message in the
// object store, decoding packs in parallel: each pack's delta graph is
// read first (see histPackGraph), then each worker takes runs of whole
// objects and resolves the deltas built on them through its own file
// handle, so every object is inflated once and workers share nothing but
// the read-only graphs.
func (h *History) storeItems(ctx context.Context, repo *histRepo, yield func(scanner.Item, error) error) error {
	h.borrows = len(repo.altProblems) > 0
	for _, p := range repo.altProblems {
		if err := yield(scanner.Item{Path: p.Path}, p.Err); err != nil {
			return err
		}
	}
	var reach *histReach
	if h.NoUnreachable {
		var err error
		if reach, err = histReachable(ctx, repo); err != nil {
			return err
		}
		if err := histAllBlobs(ctx, repo, reach); err != nil {
			return err
		}
		if !h.borrows { // else objects missing here are expected in the other store
			for _, p := range reach.problems {
				if err := yield(scanner.Item{Path: p.Path}, p.Err); err != nil {
					return err
				}
			}
		}
	}
	packs, err := h.loadPacks(ctx, repo, yield)
	if err != nil {
		return err
	}
	for _, p := range packs {
		if err := h.readGraph(ctx, p, yield); err != nil {
			return err
		}
	}
	h.packs = packs
	units := h.units(packs)
	h.loose = map[plumbing.Hash]bool{}
	for _, st := range repo.stores() {
		loose, err := st.dir.Objects()
		if err != nil {
			return fmt.Errorf("history: listing loose objects of %s: %w", st.prefix, err)
		}
		for _, l := range loose {
			h.loose[l] = true
		}
		for len(loose) > 0 {
			n := min(len(loose), 512)
			units = append(units, histUnit{loose: loose[:n], store: st})
			loose = loose[n:]
		}
	}

	var next atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for range min(h.jobs(), max(len(units), 1)) {
		g.Go(func() error {
			w := &histWorker{h: h, repo: repo, packs: packs, reach: reach, yield: yield}
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
	for _, p := range packs {
		if n := p.problems.Load() - histProblemsPerPack; n > 0 {
			err := fmt.Errorf("history: %d more objects could not be read", n)
			if err := yield(scanner.Item{Path: p.path}, err); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// loadPacks reads every pack index. A pack whose index cannot be read is
// reported and left out; the rest of the store is still scanned.
func (h *History) loadPacks(ctx context.Context, repo *histRepo, yield func(scanner.Item, error) error) ([]*histPack, error) {
	var packs []*histPack
	for _, st := range repo.stores() {
		hashes, err := st.dir.ObjectPacks()
		if err != nil {
			return nil, fmt.Errorf("history: listing packs of %s: %w", st.prefix, err)
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
func (h *History) loadPack(ctx context.Context, st histStore, ph plumbing.Hash, yield func(scanner.Item, error) error) (*histPack, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := &histPack{dir: st.dir, hash: ph, path: st.prefix + "pack/pack-" + ph.String() + ".pack"}
	err := histSafe("history: index of "+p.path, func() error {
		f, err := st.dir.ObjectPackIdx(ph)
		if err != nil {
			return err
		}
		defer f.Close()
		p.idx = idxfile.NewMemoryIndex()
		if err := idxfile.NewDecoder(f).Decode(p.idx); err != nil {
			return fmt.Errorf("history: index of %s: %w", p.path, err)
		}
		it, err := p.idx.EntriesByOffset()
		if err != nil {
			return fmt.Errorf("history: index of %s: %w", p.path, err)
		}
		defer it.Close()
		for {
			e, err := it.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("history: index of %s: %w", p.path, err)
			}
			p.entries = append(p.entries, e)
		}
	})
	if err != nil {
		return nil, yield(scanner.Item{Path: p.path}, err)
	}
	return p, nil
}

// readGraph reads the delta graph of a pack and reports the objects it
// cannot resolve. A pack that cannot be opened is reported and left out.
func (h *History) readGraph(ctx context.Context, p *histPack, yield func(scanner.Item, error) error) error {
	f, err := p.dir.ObjectPack(p.hash)
	if err != nil {
		return yield(scanner.Item{Path: p.path}, fmt.Errorf("history: %w", err))
	}
	defer f.Close()
	var g *histPackGraph
	err = histSafe("history: "+p.path, func() error {
		var err error
		g, err = histPackGraphOf(ctx, p, f)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return yield(scanner.Item{Path: p.path}, fmt.Errorf("history: %s: %w", p.path, err))
	}
	p.graph = g
	for _, b := range g.bad {
		if p.problems.Add(1) > histProblemsPerPack {
			continue
		}
		err := fmt.Errorf("history: object %s: %w", g.hash(b.obj), b.err)
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
func (h *History) units(packs []*histPack) []histUnit {
	type costed struct {
		u    histUnit
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
		for _, r := range g.roots {
			if histRawType(g.objs[r].typ) == plumbing.TreeObject {
				continue
			}
			c := g.cost(r)
			roots, costs, total = append(roots, r), append(costs, c), total+c
		}
		target := max(total/int64(h.jobs()*32), 1)
		start, acc := 0, int64(0)
		for j := range roots {
			acc += costs[j]
			if acc >= target || j-start+1 >= 1024 || j == len(roots)-1 {
				all = append(all, costed{histUnit{pack: p, packNo: i, roots: roots[start : j+1]}, acc})
				start, acc = j+1, 0
			}
		}
	}
	slices.SortStableFunc(all, func(a, b costed) int { return cmp.Compare(b.cost, a.cost) })
	units := make([]histUnit, len(all))
	for i, c := range all {
		units[i] = c.u
	}
	return units
}

// histWorker decodes and yields objects, one unit at a time.
type histWorker struct {
	h     *History
	repo  *histRepo
	packs []*histPack
	reach *histReach // nil unless unreachable objects are left out
	yield func(scanner.Item, error) error
	files map[int]billy.File // open packs, by number
}

// close closes the worker's pack files.
func (w *histWorker) close() {
	for _, f := range w.files {
		f.Close()
	}
}

// inEarlierPack reports whether the object is in one of the first n packs,
// where it is (or was) scanned already.
func (w *histWorker) inEarlierPack(hash plumbing.Hash, n int) bool {
	for _, p := range w.packs[:n] {
		if ok, _ := p.idx.Contains(hash); ok {
			return true
		}
	}
	return false
}

// packUnit yields the blobs, commits and tags of one run of a pack.
func (w *histWorker) packUnit(ctx context.Context, u histUnit) error {
	p := u.pack
	f := w.files[u.packNo]
	if f == nil {
		var err error
		if f, err = p.dir.ObjectPack(p.hash); err != nil {
			return w.problem(p, fmt.Errorf("history: %w", err))
		}
		if w.files == nil {
			w.files = map[int]billy.File{}
		}
		w.files[u.packNo] = f
	}
	g := p.graph
	pw := &histPackWalker{
		g:  g,
		in: newHistInflater(f),
		want: func(t plumbing.ObjectType) bool {
			return t == plumbing.BlobObject || t == plumbing.CommitObject || t == plumbing.TagObject
		},
		visit: func(i int32, typ plumbing.ObjectType, data, base []byte) error {
			hash := g.hash(i)
			if w.inEarlierPack(hash, u.packNo) {
				return nil
			}
			return w.object(ctx, &histMem{hash: hash, typ: typ, data: data}, p.path)
		},
		stream: func(i int32, typ plumbing.ObjectType, r io.Reader) error {
			hash := g.hash(i)
			if w.inEarlierPack(hash, u.packNo) {
				return nil
			}
			return w.object(ctx, &histLoose{hash: hash, typ: typ, size: g.objs[i].size, r: r}, p.path)
		},
		bad: func(i int32, err error) error {
			return w.problem(p, fmt.Errorf("history: object %s: %w", g.hash(i), err))
		},
	}
	for _, r := range u.roots {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := pw.walk(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// histMem is an object whose content is in memory.
type histMem struct {
	hash plumbing.Hash
	typ  plumbing.ObjectType
	data []byte
}

func (o *histMem) Hash() plumbing.Hash             { return o.hash }
func (o *histMem) Type() plumbing.ObjectType       { return o.typ }
func (o *histMem) SetType(plumbing.ObjectType)     {}
func (o *histMem) Size() int64                     { return int64(len(o.data)) }
func (o *histMem) SetSize(int64)                   {}
func (o *histMem) Reader() (io.ReadCloser, error)  { return io.NopCloser(bytes.NewReader(o.data)), nil }
func (o *histMem) Writer() (io.WriteCloser, error) { return nil, errors.New("read-only object") }
func (o *histMem) String() string                  { return o.hash.String() }

// problem reports an unreadable object of a pack, up to
// histProblemsPerPack of them; storeItems counts the rest.
func (w *histWorker) problem(p *histPack, err error) error {
	if p.problems.Add(1) > histProblemsPerPack {
		return nil
	}
	return w.yield(scanner.Item{Path: p.path}, err)
}

// looseUnit yields the loose objects of a batch that no pack holds.
func (w *histWorker) looseUnit(ctx context.Context, st histStore, hashes []plumbing.Hash) error {
	for _, hash := range hashes {
		if err := ctx.Err(); err != nil {
			return err
		}
		if w.inEarlierPack(hash, len(w.packs)) {
			continue
		}
		path := st.prefix + hash.String()[:2] + "/" + hash.String()[2:]
		err := histSafe("history: object "+hash.String(), func() error {
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
			obj := &histLoose{hash: hash, typ: typ, size: size, r: &histLooseCheck{histSized: histSized{r: r, size: size}, zr: r, hash: hash}}
			if err := w.object(ctx, obj, path); err != nil {
				return histYieldError{err}
			}
			return nil
		})
		var yerr histYieldError
		if errors.As(err, &yerr) {
			return yerr.err
		}
		if err != nil {
			if !strings.Contains(err.Error(), hash.String()) {
				err = fmt.Errorf("history: object %s: %w", hash, err)
			}
			if err := w.yield(scanner.Item{Path: path}, err); err != nil {
				return err
			}
		}
	}
	return nil
}

// histYieldError carries an error returned by yield (which ends the scan)
// out of code whose other errors are problems of one object.
type histYieldError struct{ err error }

func (e histYieldError) Error() string { return e.err.Error() }

// histLoose is a loose object read as a stream: its content is read once,
// from the open object file.
type histLoose struct {
	hash plumbing.Hash
	typ  plumbing.ObjectType
	size int64
	r    io.Reader
}

// histLooseCheck reads a loose object's content and, at its end, checks it
// against the object's header (see histSized) and name: zlib data that
// inflates cleanly to bytes that do not hash to the object's name is a
// corrupt object, reported rather than scanned as if it were whole.
type histLooseCheck struct {
	histSized
	zr   *objfile.Reader
	hash plumbing.Hash
}

func (c *histLooseCheck) Read(p []byte) (int, error) {
	n, err := c.histSized.Read(p)
	if err == io.EOF && c.zr.Hash() != c.hash {
		return n, errors.New("corrupt object: content does not match its hash")
	}
	return n, err
}

func (o *histLoose) Hash() plumbing.Hash             { return o.hash }
func (o *histLoose) Type() plumbing.ObjectType       { return o.typ }
func (o *histLoose) SetType(plumbing.ObjectType)     {}
func (o *histLoose) Size() int64                     { return o.size }
func (o *histLoose) SetSize(int64)                   {}
func (o *histLoose) Reader() (io.ReadCloser, error)  { return io.NopCloser(o.r), nil }
func (o *histLoose) Writer() (io.WriteCloser, error) { return nil, errors.New("read-only object") }
func (o *histLoose) String() string                  { return o.hash.String() }

// object yields one decoded object: a blob's content, a commit's or an
// annotated tag's message; trees and anything else are skipped. Errors
// reading the object are yielded as problems named by where (the pack or
// loose object path); an error from yield is returned.
func (w *histWorker) object(ctx context.Context, obj plumbing.EncodedObject, where string) error {
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
		it.Location = histCommitMessage
		if obj.Type() == plumbing.TagObject {
			it.Location = histTagMessage
		}
		if obj.Size() > histLargeObject {
			// Too large to decode in memory: scan it raw, headers and all.
			break
		}
		var msg string
		err := histSafe("history: object "+hash.String(), func() error {
			if obj.Type() == plumbing.CommitObject {
				var c object.Commit
				if err := c.Decode(obj); err != nil {
					return err
				}
				msg = c.Message
				it.Origin.AuthorName, it.Origin.AuthorEmail, it.Origin.Date = c.Author.Name, c.Author.Email, c.Author.When
				if w.repo != nil {
					w.repo.keepCommit(hash, &histCommit{tree: c.TreeHash, parents: c.ParentHashes, when: c.Committer.When.Unix()})
				}
				return nil
			}
			var t object.Tag
			if err := t.Decode(obj); err != nil {
				return err
			}
			msg = t.Message
			it.Origin.AuthorName, it.Origin.AuthorEmail, it.Origin.Date = t.Tagger.Name, t.Tagger.Email, t.Tagger.When
			return nil
		})
		if err != nil {
			return w.yieldErr(where, fmt.Errorf("history: object %s: %w", hash, err))
		}
		it.R = strings.NewReader(msg)
		return w.yieldItem(it)
	default:
		return nil
	}
	var rc io.ReadCloser
	err := histSafe("history: object "+hash.String(), func() error {
		var err error
		rc, err = obj.Reader()
		return err
	})
	if err != nil {
		return w.yieldErr(where, fmt.Errorf("history: object %s: %w", hash, err))
	}
	defer rc.Close()
	it.R = &histSafeReader{r: rc, hash: hash}
	return w.yieldItem(it)
}

// looseTree checks the entries of a loose tree (see treeLinks); Resolve
// checks the packed ones.
func (w *histWorker) looseTree(obj plumbing.EncodedObject, where string) error {
	var data []byte
	err := histSafe("history: object "+obj.Hash().String(), func() error {
		rc, err := obj.Reader()
		if err != nil {
			return err
		}
		defer rc.Close()
		data, err = io.ReadAll(rc)
		return err
	})
	if err != nil {
		return w.yieldErr(where, fmt.Errorf("history: object %s: %w", obj.Hash(), err))
	}
	for _, err := range w.h.treeLinks(obj.Hash(), data, nil) {
		if err := w.yieldErr(where, err); err != nil {
			return err
		}
	}
	return nil
}

func (w *histWorker) yieldItem(it scanner.Item) error { return w.yield(it, nil) }

func (w *histWorker) yieldErr(where string, err error) error {
	return w.yield(scanner.Item{Path: where}, err)
}

// histSafeReader turns a panic while inflating an object into a read error
// naming the object, and names the object in any other read error.
type histSafeReader struct {
	r    io.Reader
	hash plumbing.Hash
	what string
}

func (r *histSafeReader) Read(p []byte) (n int, err error) {
	if r.what == "" { // named once, not on every read
		r.what = "history: object " + r.hash.String()
	}
	err = histSafe(r.what, func() error {
		var err error
		n, err = r.r.Read(p)
		return err
	})
	if err != nil && err != io.EOF && !strings.Contains(err.Error(), r.hash.String()) {
		err = fmt.Errorf("history: object %s: %w", r.hash, err)
	}
	return n, err
}
