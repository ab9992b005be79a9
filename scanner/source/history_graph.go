package source

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/dtleaks/dtleaks/scanner"
)

// histCommit is what tracing needs of a commit; the author is looked up
// only for the few commits a finding is attributed to.
type histCommit struct {
	tree      plumbing.Hash
	parents   []plumbing.Hash
	when      int64 // committer time, Unix seconds: "oldest" compares these
	reachable bool
}

// histReach is the commit graph reachable from the refs, and what the refs
// point at directly.
type histReach struct {
	commits map[plumbing.Hash]*histCommit
	tags    map[plumbing.Hash]bool // annotated tags some ref leads to
	trees   []plumbing.Hash        // trees a ref leads to without a commit
	blobs   map[plumbing.Hash]bool // blobs a ref leads to directly
	// allBlobs, when not nil, holds every blob of every reachable tree
	// (filled only for NoUnreachable).
	allBlobs map[plumbing.Hash]bool
	problems []scanner.Problem
}

// has reports whether an object of the given type is reachable; it answers
// only for blobs, commits and tags.
func (r *histReach) has(h plumbing.Hash, t plumbing.ObjectType) bool {
	switch t {
	case plumbing.CommitObject:
		return r.commits[h] != nil
	case plumbing.TagObject:
		return r.tags[h]
	case plumbing.BlobObject:
		return r.blobs[h] || r.allBlobs[h]
	}
	return false
}

// histReachable walks the commit graph from every ref (branches,
// remote-tracking branches, tags, refs/stash, notes, HEAD). A missing
// parent of a shallow commit is expected; any other missing object is a
// problem, and the walk goes on without it.
func histReachable(ctx context.Context, repo *histRepo) (*histReach, error) {
	r := &histReach{commits: map[plumbing.Hash]*histCommit{}, tags: map[plumbing.Hash]bool{}, blobs: map[plumbing.Hash]bool{}}
	shallow := histShallow(repo)
	type root struct {
		name plumbing.ReferenceName
		hash plumbing.Hash
	}
	var roots []root
	err := histSafe("history: reading refs", func() error {
		iter, err := repo.References()
		if err != nil {
			return err
		}
		defer iter.Close()
		seen := map[plumbing.ReferenceName]bool{}
		var refs []*plumbing.Reference
		if err := iter.ForEach(func(ref *plumbing.Reference) error {
			refs = append(refs, ref)
			return nil
		}); err != nil {
			return err
		}
		refs = append(refs, plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.HEAD))
		for _, ref := range refs {
			if seen[ref.Name()] {
				continue
			}
			seen[ref.Name()] = true
			res, err := repo.Reference(ref.Name(), true)
			if err != nil {
				if ref.Name() == plumbing.HEAD {
					continue // an unborn branch: no commits yet
				}
				r.problems = append(r.problems, scanner.Problem{Err: fmt.Errorf("history: ref %s: %w", ref.Name(), err)})
				continue
			}
			roots = append(roots, root{ref.Name(), res.Hash()})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var queue []plumbing.Hash
	for _, rt := range roots {
		h := rt.hash
		// Peel tags, which may point at tags, commits, trees or blobs.
		for depth := 0; depth < 64; depth++ {
			obj, err := histObject(repo, h)
			if err != nil {
				what := "points at"
				if h != rt.hash {
					what = "leads through a tag to"
				}
				r.problems = append(r.problems, scanner.Problem{Err: fmt.Errorf("history: ref %s %s %s: %w", rt.name, what, h, histNotFound(err))})
				break
			}
			if obj.Type() == plumbing.TagObject {
				r.tags[h] = true
				var t object.Tag
				if err := histSafe("history: tag "+h.String(), func() error { return t.Decode(obj) }); err != nil {
					r.problems = append(r.problems, scanner.Problem{Err: err})
					break
				}
				h = t.Target
				continue
			}
			switch obj.Type() {
			case plumbing.CommitObject:
				queue = append(queue, h)
			case plumbing.TreeObject:
				r.trees = append(r.trees, h)
			case plumbing.BlobObject:
				r.blobs[h] = true
			}
			break
		}
	}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if r.commits[h] != nil {
			continue
		}
		c, err := histReadCommit(repo, h)
		if err != nil {
			r.problems = append(r.problems, scanner.Problem{Err: err})
			continue
		}
		c.reachable = true
		if shallow[h] {
			c.parents = nil
		}
		r.commits[h] = c
		for _, p := range c.parents {
			if r.commits[p] == nil {
				queue = append(queue, p)
			}
		}
	}
	return r, nil
}

// histShallow returns the shallow commits of a shallow clone, whose
// parents the store does not hold.
func histShallow(repo *histRepo) map[plumbing.Hash]bool {
	shallow := map[plumbing.Hash]bool{}
	if hs, err := repo.st.Shallow(); err == nil {
		for _, h := range hs {
			shallow[h] = true
		}
	}
	return shallow
}

// histObject reads an object's header and content through the shared
// storage.
func histObject(repo *histRepo, h plumbing.Hash) (plumbing.EncodedObject, error) {
	var obj plumbing.EncodedObject
	err := histSafe("history: object "+h.String(), func() error {
		var err error
		obj, err = repo.object(plumbing.AnyObject, h)
		return err
	})
	return obj, err
}

// histReadCommit reads the parts of a commit tracing needs.
func histReadCommit(repo *histRepo, h plumbing.Hash) (*histCommit, error) {
	if c := repo.takeCommit(h); c != nil {
		return c, nil
	}
	var c *histCommit
	err := histSafe("history: commit "+h.String(), func() error {
		obj, err := repo.object(plumbing.CommitObject, h)
		if err != nil {
			return err
		}
		var oc object.Commit
		if err := oc.Decode(obj); err != nil {
			return err
		}
		c = &histCommit{tree: oc.TreeHash, parents: oc.ParentHashes, when: oc.Committer.When.Unix()}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history: commit %s: %w", h, histNotFound(err))
	}
	return c, nil
}

// histNotFound makes go-git's bare "object not found" say what it means
// here.
func histNotFound(err error) error {
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return fmt.Errorf("object missing from the repository: %w", err)
	}
	return err
}

// histTree reads a tree through the shared storage.
func histTree(repo *histRepo, h plumbing.Hash) (*object.Tree, error) {
	var t object.Tree
	err := histSafe("history: tree "+h.String(), func() error {
		obj, err := repo.object(plumbing.TreeObject, h)
		if err != nil {
			return err
		}
		return t.Decode(obj)
	})
	if err != nil {
		return nil, fmt.Errorf("history: tree %s: %w", h, histNotFound(err))
	}
	return &t, nil
}

// histIsFile reports whether a tree entry is a blob (a file or a symlink);
// a submodule's commit is not followed.
func histIsFile(m filemode.FileMode) bool {
	return m == filemode.Regular || m == filemode.Executable || m == filemode.Symlink || m == filemode.Deprecated
}

// histAllBlobs adds every blob of every reachable tree to r.allBlobs, each
// tree visited once.
func histAllBlobs(ctx context.Context, repo *histRepo, r *histReach) error {
	r.allBlobs = map[plumbing.Hash]bool{}
	seen := map[plumbing.Hash]bool{}
	var walk func(h plumbing.Hash) error
	walk = func(h plumbing.Hash) error {
		if seen[h] {
			return nil
		}
		seen[h] = true
		if err := ctx.Err(); err != nil {
			return err
		}
		t, err := histTree(repo, h)
		if err != nil {
			r.problems = append(r.problems, scanner.Problem{Err: err})
			return nil
		}
		for _, e := range t.Entries {
			switch {
			case e.Mode == filemode.Dir:
				if err := walk(e.Hash); err != nil {
					return err
				}
			case histIsFile(e.Mode):
				r.allBlobs[e.Hash] = true
			}
		}
		return nil
	}
	for _, c := range r.commits {
		if err := walk(c.tree); err != nil {
			return err
		}
	}
	for _, t := range r.trees {
		if err := walk(t); err != nil {
			return err
		}
	}
	return nil
}

// histStoreCommits lists every commit object in the store, reachable or
// not, for attributing blobs no ref reaches.
func histStoreCommits(ctx context.Context, repo *histRepo) ([]plumbing.Hash, error) {
	var hs []plumbing.Hash
	err := histSafe("history: listing commits", func() error {
		iter, err := repo.st.IterEncodedObjects(plumbing.CommitObject)
		if err != nil {
			return err
		}
		defer iter.Close()
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			obj, err := iter.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			hs = append(hs, obj.Hash())
		}
	})
	return hs, err
}
