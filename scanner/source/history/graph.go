package history

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/dtleaks/dtleaks/internal/gitrepo"
	"github.com/dtleaks/dtleaks/scanner"
)

// commit is what tracing needs of a commit; the author is looked up
// only for the few commits a finding is attributed to.
type commit struct {
	tree      plumbing.Hash
	parents   []plumbing.Hash
	when      int64 // committer time, Unix seconds: "oldest" compares these
	reachable bool
}

// reachGraph is the commit graph reachable from the refs, and what the refs
// point at directly.
type reachGraph struct {
	commits map[plumbing.Hash]*commit
	tags    map[plumbing.Hash]bool // annotated tags some ref leads to
	trees   []plumbing.Hash        // trees a ref leads to without a commit
	blobs   map[plumbing.Hash]bool // blobs a ref leads to directly
	// allBlobs, when not nil, holds every blob of every reachable tree
	// (filled only for NoUnreachable).
	allBlobs map[plumbing.Hash]bool
	// indexBlobs are the blobs of the index files, which git counts as
	// reachable (see reflogRoots).
	indexBlobs map[plumbing.Hash]bool
	problems   []scanner.Problem
}

// has reports whether an object of the given type is reachable; it answers
// only for blobs, commits and tags.
func (r *reachGraph) has(h plumbing.Hash, t plumbing.ObjectType) bool {
	switch t {
	case plumbing.CommitObject:
		return r.commits[h] != nil
	case plumbing.TagObject:
		return r.tags[h]
	case plumbing.BlobObject:
		return r.blobs[h] || r.allBlobs[h] || r.indexBlobs[h]
	}
	return false
}

// maxSymrefDepth bounds a chain of symbolic refs, as git's
// SYMREF_MAXDEPTH does.
const maxSymrefDepth = 5

// findReachable walks the commit graph from every ref (branches,
// remote-tracking branches, tags, refs/stash, notes, HEAD) and from what
// else git counts as reachable: every reflog entry, the linked worktrees'
// HEADs, the blobs of the index (see reflogRoots). A missing
// parent of a shallow commit is expected; any other missing object is a
// problem, and the walk goes on without it.
func findReachable(ctx context.Context, repo *repository) (*reachGraph, error) {
	r := &reachGraph{commits: map[plumbing.Hash]*commit{}, tags: map[plumbing.Hash]bool{}, blobs: map[plumbing.Hash]bool{}}
	shallow := shallowCommits(repo)
	type root struct {
		name plumbing.ReferenceName
		hash plumbing.Hash
		file bool // name is a reflog or a worktree's HEAD
	}
	var roots []root
	err := gitrepo.Safe("reading refs", func() error {
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
		// Symbolic refs are resolved through the refs listed, not by
		// repo.Reference, which rereads packed-refs for each: that was
		// quadratic in the number of refs.
		byName := make(map[plumbing.ReferenceName]*plumbing.Reference, len(refs))
		for _, ref := range refs[:len(refs)-1] {
			byName[ref.Name()] = ref
		}
		resolve := func(ref *plumbing.Reference) (*plumbing.Reference, error) {
			for range maxSymrefDepth {
				if ref.Type() == plumbing.HashReference {
					return ref, nil
				}
				next, ok := byName[ref.Target()]
				if !ok {
					return repo.Reference(ref.Target(), true)
				}
				ref = next
			}
			return nil, fmt.Errorf("more than %d symbolic refs in a row", maxSymrefDepth)
		}
		for _, ref := range refs {
			if seen[ref.Name()] {
				continue
			}
			seen[ref.Name()] = true
			res, err := resolve(ref)
			if err != nil {
				if ref.Name() == plumbing.HEAD {
					continue // an unborn branch: no commits yet
				}
				r.problems = append(r.problems, scanner.Problem{Err: fmt.Errorf("ref %s: %w", ref.Name(), err)})
				continue
			}
			roots = append(roots, root{name: ref.Name(), hash: res.Hash()})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	more, index, problems := reflogRoots(repo)
	r.problems = append(r.problems, problems...)
	for _, m := range more {
		roots = append(roots, root{name: plumbing.ReferenceName(m.name), hash: m.hash, file: true})
	}
	r.indexBlobs = map[plumbing.Hash]bool{}
	for _, b := range index {
		r.indexBlobs[b] = true
	}
	var queue []plumbing.Hash
	// Each object is read once however many refs point at it (a mirror's
	// pull-request refs, every reflog entry of a branch); a missing one
	// is a problem of each.
	peeled := map[plumbing.Hash]error{}
	for _, rt := range roots {
		h := rt.hash
		if err, ok := peeled[h]; ok && err == nil {
			continue
		}
		// Peel tags, which may point at tags, commits, trees or blobs.
		for depth := 0; depth < 64; depth++ {
			obj, err := readObject(repo, h)
			if h == rt.hash {
				peeled[h] = err
			}
			if err != nil {
				what := "points at"
				if h != rt.hash {
					what = "leads through a tag to"
				}
				kind := "ref"
				if rt.file {
					kind = "git directory file" // a reflog or a worktree's HEAD
				}
				r.problems = append(r.problems, scanner.Problem{Err: fmt.Errorf("%s %s %s %s: %w", kind, rt.name, what, h, notFound(err))})
				break
			}
			if obj.Type() == plumbing.TagObject {
				r.tags[h] = true
				var t object.Tag
				if err := gitrepo.Guard(func() error { return t.Decode(obj) }); err != nil {
					r.problems = append(r.problems, scanner.Problem{Err: gitrepo.ObjectErr("tag", h, err)})
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
		c, err := readCommit(repo, h)
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

// shallowCommits returns the shallow commits of a shallow clone, whose
// parents the store does not hold.
func shallowCommits(repo *repository) map[plumbing.Hash]bool {
	shallow := map[plumbing.Hash]bool{}
	if hs, err := repo.Store.Shallow(); err == nil {
		for _, h := range hs {
			shallow[h] = true
		}
	}
	return shallow
}

// readObject reads an object's header and content through the shared
// storage. Its error does not name the object: the caller says what it was
// reading it for.
func readObject(repo *repository, h plumbing.Hash) (plumbing.EncodedObject, error) {
	var obj plumbing.EncodedObject
	err := gitrepo.Guard(func() error {
		var err error
		obj, err = repo.Object(plumbing.AnyObject, h)
		return err
	})
	return obj, err
}

// readCommit reads the parts of a commit tracing needs.
func readCommit(repo *repository, h plumbing.Hash) (*commit, error) {
	if c := repo.takeCommit(h); c != nil {
		return c, nil
	}
	var c *commit
	err := gitrepo.Guard(func() error {
		obj, err := repo.Object(plumbing.CommitObject, h)
		if err != nil {
			return err
		}
		var oc object.Commit
		if err := oc.Decode(obj); err != nil {
			return err
		}
		c = &commit{tree: oc.TreeHash, parents: oc.ParentHashes, when: oc.Committer.When.Unix()}
		return nil
	})
	if err != nil {
		return nil, gitrepo.ObjectErr("commit", h, notFound(err))
	}
	return c, nil
}

// notFound makes go-git's bare "object not found" say what it means
// here.
func notFound(err error) error {
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return fmt.Errorf("object missing from the repository: %w", err)
	}
	return err
}

// readTree reads a tree through the shared storage.
func readTree(repo *repository, h plumbing.Hash) (*object.Tree, error) {
	var t object.Tree
	err := gitrepo.Guard(func() error {
		obj, err := repo.Object(plumbing.TreeObject, h)
		if err != nil {
			return err
		}
		return t.Decode(obj)
	})
	if err != nil {
		return nil, gitrepo.ObjectErr("tree", h, notFound(err))
	}
	return &t, nil
}

// allBlobs adds every blob of every reachable tree to r.allBlobs, each
// tree visited once.
func allBlobs(ctx context.Context, repo *repository, r *reachGraph) error {
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
		t, err := readTree(repo, h)
		if err != nil {
			r.problems = append(r.problems, scanner.Problem{Err: err})
			return nil
		}
		for _, e := range t.Entries {
			switch {
			case gitrepo.IsDir(e.Mode):
				if err := walk(e.Hash); err != nil {
					return err
				}
			case gitrepo.IsFile(e.Mode):
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

// storeCommits lists every commit object in the store, reachable or
// not, for attributing blobs no ref reaches.
func storeCommits(ctx context.Context, repo *repository) ([]plumbing.Hash, error) {
	var hs []plumbing.Hash
	err := gitrepo.Safe("listing commits", func() error {
		iter, err := repo.Store.IterEncodedObjects(plumbing.CommitObject)
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
