package history

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/sync/errgroup"

	"github.com/dtleaks/dtleaks/internal/gitrepo"
	"github.com/dtleaks/dtleaks/scanner"
)

// bounds returns the two revisions of the range to scan.
func (h *Source) bounds() (from, to string, err error) {
	if h.Range != "" && h.Since != "" {
		return "", "", fmt.Errorf("a range and a since-commit cannot be used together")
	}
	if h.Since != "" {
		return h.Since, "HEAD", nil
	}
	from, to, ok := strings.Cut(h.Range, "..")
	if !ok || strings.HasPrefix(to, ".") {
		return "", "", fmt.Errorf("range %q: want A..B", h.Range)
	}
	if from == "" {
		from = "HEAD"
	}
	if to == "" {
		to = "HEAD"
	}
	return from, to, nil
}

// walkCommits returns the commits reachable from start that are not in stop,
// with their parents beyond the shallow boundary left out.
func walkCommits(ctx context.Context, repo *repository, start plumbing.Hash, stop map[plumbing.Hash]*commit, shallow map[plumbing.Hash]bool) (map[plumbing.Hash]*commit, error) {
	out := map[plumbing.Hash]*commit{}
	queue := []plumbing.Hash{start}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if out[h] != nil || stop[h] != nil {
			continue
		}
		c, err := readCommit(repo, h)
		if err != nil {
			return nil, err
		}
		c.reachable = true
		if shallow[h] {
			c.parents = nil
		}
		out[h] = c
		queue = append(queue, c.parents...)
	}
	return out, nil
}

// rangeItems yields the blobs the commits of the range introduce, each
// once, then the messages of those commits and of annotated tags on them.
func (h *Source) rangeItems(ctx context.Context, repo *repository, yield func(scanner.Item, error) error) error {
	from, to, err := h.bounds()
	if err != nil {
		return err
	}
	toHash, err := resolveRevision(repo, to)
	if err != nil {
		return err
	}
	shallow := shallowCommits(repo)
	var excluded map[plumbing.Hash]*commit
	// A of all zeros is what git gives a hook for a ref that did not
	// exist: no commit, so the range is all of B's history.
	if from != plumbing.ZeroHash.String() {
		fromHash, err := resolveRevision(repo, from)
		if err != nil {
			return err
		}
		if excluded, err = walkCommits(ctx, repo, fromHash, nil, shallow); err != nil {
			return err
		}
	}
	commits, err := walkCommits(ctx, repo, toHash, excluded, shallow)
	if err != nil {
		return err
	}
	hashes := make([]plumbing.Hash, 0, len(commits))
	for c := range commits {
		hashes = append(hashes, c)
	}
	slices.SortFunc(hashes, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })

	h.rangeGraph = commits
	h.introduced = map[plumbing.Hash][]intro{}
	for _, ch := range hashes {
		c := commits[ch]
		var parents []plumbing.Hash
		for _, p := range c.parents {
			pc := commits[p]
			if pc == nil {
				pc = excluded[p]
			}
			if pc == nil {
				// A parent outside both walks is beyond a shallow
				// boundary: nothing is known to be in it.
				continue
			}
			parents = append(parents, pc.tree)
		}
		err := diffTrees(ctx, repo, c.tree, parents, "", func(path string, blob plumbing.Hash) {
			h.introduced[blob] = append(h.introduced[blob], intro{path: path, commit: ch})
			if hasToken([]byte(path)) {
				h.rangeNames = append(h.rangeNames, intro{path: path, commit: ch})
			}
		})
		if err != nil {
			return err
		}
	}

	blobs := make([]plumbing.Hash, 0, len(h.introduced))
	for b := range h.introduced {
		blobs = append(blobs, b)
	}
	slices.SortFunc(blobs, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
	var next atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for range min(h.jobs(), max(len(blobs), 1)) {
		g.Go(func() error {
			st := repo.NewStorer()
			defer st.Close()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(blobs) {
					return nil
				}
				if err := gctx.Err(); err != nil {
					return err
				}
				if err := yieldBlob(st, blobs[i], yield); err != nil {
					return err
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}

	for _, ch := range hashes {
		if err := ctx.Err(); err != nil {
			return err
		}
		obj, err := readObject(repo, ch)
		if err == nil {
			err = (&worker{yield: yield}).object(ctx, obj, "")
			if err != nil {
				return err
			}
			continue
		}
		if err := yield(scanner.Item{}, gitrepo.ObjectErr("commit", ch, err)); err != nil {
			return err
		}
	}
	if err := h.rangeTags(ctx, repo, commits, yield); err != nil {
		return err
	}
	return h.refItems(ctx, repo, func(c plumbing.Hash) bool { return commits[c] != nil }, yield)
}

// rangeTags yields the messages of the annotated tags on commits of the
// range.
func (h *Source) rangeTags(ctx context.Context, repo *repository, commits map[plumbing.Hash]*commit, yield func(scanner.Item, error) error) error {
	var tags []plumbing.EncodedObject
	err := gitrepo.Safe("reading tags", func() error {
		iter, err := repo.Tags()
		if err != nil {
			return err
		}
		defer iter.Close()
		return iter.ForEach(func(ref *plumbing.Reference) error {
			obj, err := readObject(repo, ref.Hash())
			if err != nil || obj.Type() != plumbing.TagObject {
				return nil // a lightweight tag has no message
			}
			var t object.Tag
			if err := t.Decode(obj); err == nil && commits[t.Target] != nil {
				tags = append(tags, obj)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	w := &worker{yield: yield}
	for _, obj := range tags {
		if err := w.object(ctx, obj, ""); err != nil {
			return err
		}
	}
	return nil
}

// yieldBlob yields one blob read through st.
func yieldBlob(st *gitrepo.Storer, blob plumbing.Hash, yield func(scanner.Item, error) error) error {
	var rc io.ReadCloser
	err := gitrepo.Guard(func() error {
		obj, err := st.EncodedObject(plumbing.BlobObject, blob)
		if err != nil {
			return err
		}
		rc, err = obj.Reader()
		return err
	})
	if err != nil {
		return yield(scanner.Item{}, gitrepo.ObjectErr("blob", blob, notFound(err)))
	}
	defer rc.Close()
	return yield(scanner.Item{Origin: scanner.Origin{Blob: blob.String()}, R: &gitrepo.ObjectReader{R: rc, Op: "object", Hash: blob}}, nil)
}

// diffTrees calls out for every blob in tree at a path where none of the
// parent trees has the same blob. Subtrees equal to a parent's are skipped
// whole, so the cost follows the size of the change, not of the tree.
func diffTrees(ctx context.Context, repo *repository, tree plumbing.Hash, parents []plumbing.Hash, prefix string, out func(string, plumbing.Hash)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t, err := readTree(repo, tree)
	if err != nil {
		return err
	}
	var pts []*object.Tree
	for _, p := range parents {
		pt, err := readTree(repo, p)
		if err != nil {
			return err
		}
		pts = append(pts, pt)
	}
	for _, e := range t.Entries {
		if !gitrepo.IsDir(e.Mode) && !gitrepo.IsFile(e.Mode) {
			continue
		}
		same := false
		var subs []plumbing.Hash
		for _, pt := range pts {
			pe, err := pt.FindEntry(e.Name)
			if err != nil {
				continue
			}
			if pe.Hash == e.Hash {
				same = true
				break
			}
			if gitrepo.IsDir(pe.Mode) {
				subs = append(subs, pe.Hash)
			}
		}
		switch {
		case same:
		case gitrepo.IsDir(e.Mode):
			if err := diffTrees(ctx, repo, e.Hash, subs, prefix+e.Name+"/", out); err != nil {
				return err
			}
		default:
			out(prefix+e.Name, e.Hash)
		}
	}
	return nil
}

// rangeSites turns what a range scan recorded into sites for Resolve.
func (h *Source) rangeSites(repo *repository, targets map[plumbing.Hash]bool, lin *lineage) (map[plumbing.Hash][]site, error) {
	when := map[plumbing.Hash]int64{}
	sites := map[plumbing.Hash][]site{}
	for blob := range targets {
		for _, in := range h.introduced[blob] {
			w, ok := when[in.commit]
			if c := h.rangeGraph[in.commit]; !ok && c != nil {
				// The range's walk decoded it: no second read.
				w, ok = c.when, true
			}
			if !ok {
				c, err := readCommit(repo, in.commit)
				if err != nil {
					return nil, err
				}
				w = c.when
				when[in.commit] = w
			}
			s := site{path: in.path, commit: in.commit, when: w, reachable: true}
			ss := sites[blob]
			i := slices.IndexFunc(ss, func(o site) bool { return o.path == s.path })
			switch {
			case i < 0:
				sites[blob] = append(ss, s)
			case lin.better(s, ss[i]):
				ss[i] = s
			}
		}
	}
	return sites, nil
}
