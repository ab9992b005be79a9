package history

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	billy "github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"golang.org/x/sync/errgroup"

	"github.com/dtleaks/dtleaks/internal/gitpack"
	"github.com/dtleaks/dtleaks/internal/gitrepo"
	"github.com/dtleaks/dtleaks/scanner"
)

// treeEntry is an entry of a tree that tracing needs: a subtree, or a
// target blob.
type treeEntry struct {
	name string
	hash plumbing.Hash
	dir  bool
	// node is the subtree's node, when readTrees read it.
	node *treeNode
}

// treeNode is a tree readTrees read: the entries tracing needs and,
// once tracing worked them out, the target blobs below it.
type treeNode struct {
	ents  []treeEntry
	pairs []pair
	done  bool
}

// readTrees reads every tree of the repository's packs through their
// delta graphs (see gitpack.Walker), so that tracing costs one inflate per
// tree instead of a go-git lookup, with its delta base cache misses, per
// tree. It keeps of each tree only its subtrees and the target blobs, and
// nothing when there are no targets. On the way it checks that the store
// holds every object each tree names (see checkTreeLinks) and returns what
// it lacks as problems. Trees it cannot read are reported and left out:
// tracing reads them the slow way.
func (h *Source) readTrees(ctx context.Context, targets map[plumbing.Hash]bool) (map[plumbing.Hash]*treeNode, []scanner.Problem, error) {
	out := map[plumbing.Hash]*treeNode{}
	var problems []scanner.Problem
	var mu sync.Mutex
	type unit struct {
		p     *pack
		roots []int32
	}
	var units []unit
	for _, p := range h.packs {
		g := p.graph
		if g == nil {
			continue
		}
		var roots []int32
		for _, r := range g.Roots() {
			if g.Type(r) == plumbing.TreeObject {
				roots = append(roots, r)
			}
		}
		size := min(max(len(roots)/(h.jobs()*32), 16), 1024)
		for s := 0; s < len(roots); s += size {
			units = append(units, unit{p: p, roots: roots[s:min(s+size, len(roots))]})
		}
	}
	var next atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for range min(h.jobs(), max(len(units), 1)) {
		g.Go(func() error {
			files := map[*pack]billy.File{}
			ins := map[*pack]*gitpack.Inflater{} // one per pack, kept warm
			defer func() {
				for _, f := range files {
					f.Close()
				}
			}()
			var mine []*treeNode
			var mineHash []plumbing.Hash
			var myProblems []scanner.Problem
			tp := &treeParser{names: map[string]string{}}
			for {
				i := int(next.Add(1)) - 1
				if i >= len(units) {
					break
				}
				u := units[i]
				f := files[u.p]
				if f == nil {
					var err error
					if f, err = u.p.dir.ObjectPack(u.p.hash); err != nil {
						// Reported by Items already; tracing falls back.
						continue
					}
					files[u.p] = f
					ins[u.p] = gitpack.NewInflater(f)
				}
				pg, path := u.p.graph, u.p.path
				w := &gitpack.Walker{
					Graph: pg,
					In:    ins[u.p],
					Want:  func(t plumbing.ObjectType) bool { return t == plumbing.TreeObject },
					Visit: func(i int32, _ plumbing.ObjectType, data, base []byte) error {
						hash := pg.Hash(i)
						for _, err := range h.treeLinks(hash, data, base, u.p.promisor) {
							myProblems = append(myProblems, scanner.Problem{Path: path, Err: err})
						}
						// A name holding a token is bytes of the tree
						// holding it: one search of the whole tree says
						// whether any name needs one (as noteTree has it).
						tok := hasToken(data)
						if tok {
							h.names.noteTree(data)
						}
						if len(targets) == 0 && !tok {
							return nil
						}
						if ents, err := tp.parse(data, targets, tok); err == nil {
							mine, mineHash = append(mine, &treeNode{ents: ents}), append(mineHash, hash)
						}
						return nil
					},
					Bad: func(i int32, err error) error {
						myProblems = append(myProblems, scanner.Problem{Path: path, Err: &gitrepo.ObjectError{Op: "object", Hash: pg.Hash(i), Err: err}})
						return nil
					},
				}
				for _, r := range u.roots {
					if err := gctx.Err(); err != nil {
						return err
					}
					if err := w.Walk(gctx, r); err != nil {
						return err
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for i, n := range mine {
				out[mineHash[i]] = n
			}
			problems = append(problems, myProblems...)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	if err := linkTrees(ctx, out, h.jobs()); err != nil {
		return nil, nil, err
	}
	return out, capProblems(problems), nil
}

// linkTrees links each subtree entry of the trees to the subtree's node,
// on every core: tracing, which runs on one, then follows the links
// rather than looking each subtree up by its hash.
func linkTrees(ctx context.Context, trees map[plumbing.Hash]*treeNode, jobs int) error {
	nodes := make([]*treeNode, 0, len(trees))
	for _, n := range trees {
		if len(n.ents) > 0 {
			nodes = append(nodes, n)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	per := (len(nodes) + jobs - 1) / max(jobs, 1)
	for s := 0; s < len(nodes); s += per {
		part := nodes[s:min(s+per, len(nodes))]
		g.Go(func() error {
			for i, n := range part {
				if i%4096 == 0 {
					if err := gctx.Err(); err != nil {
						return err
					}
				}
				for j := range n.ents {
					if e := &n.ents[j]; e.dir {
						e.node = trees[e.hash]
					}
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// capProblems orders problems, drops repeats (a tree in two packs is
// checked twice) and keeps problemsPerPack of each pack, counting the
// rest: a store that lost thousands of objects gets a readable report.
func capProblems(ps []scanner.Problem) []scanner.Problem {
	slices.SortFunc(ps, func(a, b scanner.Problem) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Err.Error(), b.Err.Error()))
	})
	ps = slices.CompactFunc(ps, func(a, b scanner.Problem) bool {
		return a.Path == b.Path && a.Err.Error() == b.Err.Error()
	})
	var out []scanner.Problem
	for len(ps) > 0 {
		n := 1
		for n < len(ps) && ps[n].Path == ps[0].Path {
			n++
		}
		out = append(out, ps[:min(n, problemsPerPack)]...)
		if n > problemsPerPack {
			out = append(out, scanner.Problem{Path: ps[0].Path, Err: fmt.Errorf("%d more problems with the trees of this pack", n-problemsPerPack)})
		}
		ps = ps[n:]
	}
	return out
}

// treeParser parses trees with reused scratch space, and interns
// entry names, which repeat from one version of a tree to the next.
type treeParser struct {
	scratch []treeEntry
	names   map[string]string
}

// parse parses a tree object, "MODE NAME\0HASH" entries, keeping the
// subtrees and the file entries whose blob is a target, and, if names is
// set (the tree holds a token somewhere), a pseudo-entry for each name
// holding a token.
func (tp *treeParser) parse(data []byte, targets map[plumbing.Hash]bool, names bool) ([]treeEntry, error) {
	out := tp.scratch[:0]
	defer func() { tp.scratch = out[:0] }()
	it := treeIter{data: data}
	for {
		mode, name, hash, ok, err := it.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		m, err := parseMode(mode)
		if err != nil {
			return nil, err
		}
		h := plumbing.Hash(hash)
		if names && hasToken(name) {
			// A pseudo-entry for the name itself: see names.go.
			out = append(out, treeEntry{name: tp.intern(name), hash: nameKey(string(name))})
		}
		switch {
		case gitrepo.IsDir(m):
			out = append(out, treeEntry{name: tp.intern(name), hash: h, dir: true})
		case gitrepo.IsFile(m) && targets[h]:
			out = append(out, treeEntry{name: tp.intern(name), hash: h})
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return slices.Clone(out), nil
}

func (tp *treeParser) intern(b []byte) string {
	if s, ok := tp.names[string(b)]; ok {
		return s
	}
	s := string(b)
	tp.names[s] = s
	return s
}

// treeIter walks the entries of a tree object: "MODE NAME\0HASH".
type treeIter struct{ data []byte }

// next returns the next entry; ok is false at the end.
func (it *treeIter) next() (mode, name, hash []byte, ok bool, err error) {
	if len(it.data) == 0 {
		return nil, nil, nil, false, nil
	}
	sp := bytes.IndexByte(it.data, ' ')
	if sp <= 0 {
		return nil, nil, nil, false, errors.New("bad tree entry")
	}
	rest := it.data[sp+1:]
	nul := bytes.IndexByte(rest, 0)
	if nul <= 0 || len(rest) < nul+1+20 {
		return nil, nil, nil, false, errors.New("bad tree entry")
	}
	mode, name, hash = it.data[:sp], rest[:nul], rest[nul+1:nul+21]
	it.data = rest[nul+21:]
	return mode, name, hash, true, nil
}

// parseMode parses an entry's octal mode.
func parseMode(mode []byte) (filemode.FileMode, error) {
	var m filemode.FileMode
	for _, c := range mode {
		if c < '0' || c > '7' || m > 1<<28 {
			return 0, errors.New("bad tree entry mode")
		}
		m = m*8 + filemode.FileMode(c-'0')
	}
	return m, nil
}
