package history

import (
	"context"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// RefsContaining returns, for each of the given commits (full hashes), the
// branches (local and remote-tracking) and tags whose history contains it,
// as full ref names, sorted: what `git branch -a --contains` and `git tag
// --contains` say, for an audit to tell where a token still is. Each commit
// of the repository is decoded at most once, and each ref's history walked
// over the graph held in memory once for all refs.
func (h *Source) RefsContaining(ctx context.Context, commits []string) (map[string][]string, error) {
	want := map[plumbing.Hash]bool{}
	for _, c := range commits {
		if c != "" {
			want[plumbing.NewHash(c)] = true
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	repo, err := h.open()
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	iter, err := repo.References()
	if err != nil {
		return nil, err
	}
	type ref struct {
		name string
		tip  plumbing.Hash
	}
	var refs []ref
	err = iter.ForEach(func(r *plumbing.Reference) error {
		n := r.Name().String()
		if r.Type() != plumbing.HashReference || !(strings.HasPrefix(n, "refs/heads/") || strings.HasPrefix(n, "refs/remotes/") || strings.HasPrefix(n, "refs/tags/")) {
			return nil
		}
		refs = append(refs, ref{n, r.Hash()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	parents := map[plumbing.Hash][]plumbing.Hash{}
	// commitOf peels a tag to its commit; ok is false for a ref to
	// anything else.
	commitOf := func(hash plumbing.Hash) (plumbing.Hash, bool) {
		for range 16 { // tags of tags, bounded
			obj, err := repo.Object(plumbing.AnyObject, hash)
			if err != nil {
				return hash, false
			}
			switch obj.Type() {
			case plumbing.CommitObject:
				return hash, true
			case plumbing.TagObject:
				var t object.Tag
				if err := t.Decode(obj); err != nil {
					return hash, false
				}
				hash = t.Target
			default:
				return hash, false
			}
		}
		return hash, false
	}
	parentsOf := func(c plumbing.Hash) []plumbing.Hash {
		if ps, ok := parents[c]; ok {
			return ps
		}
		var ps []plumbing.Hash
		if oc, err := readCommit(repo, c); err == nil {
			ps = oc.parents
		}
		parents[c] = ps // a commit that cannot be read ends its line: history reports it
		return ps
	}
	// reach gives each commit the set of wanted commits in its history,
	// as a bitset, computed once per commit in post-order: the refs then
	// cost one lookup each, however many there are. A commit that is not
	// wanted and has one parent shares its parent's set, so a linear
	// history costs no copies.
	wanted := make([]plumbing.Hash, 0, len(want))
	for c := range want {
		wanted = append(wanted, c)
	}
	idx := make(map[plumbing.Hash]int, len(wanted))
	for i, c := range wanted {
		idx[c] = i
	}
	words := (len(wanted) + 63) / 64
	memo := map[plumbing.Hash][]uint64{}
	reach := func(tip plumbing.Hash) ([]uint64, error) {
		type frame struct {
			h plumbing.Hash
			i int
		}
		stack := []frame{{tip, 0}}
		for len(stack) > 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			top := &stack[len(stack)-1]
			if _, done := memo[top.h]; done {
				stack = stack[:len(stack)-1]
				continue
			}
			ps := parentsOf(top.h)
			if top.i < len(ps) {
				p := ps[top.i]
				top.i++
				if _, done := memo[p]; !done {
					stack = append(stack, frame{p, 0})
				}
				continue
			}
			j, isWanted := idx[top.h]
			var bs []uint64
			if len(ps) == 1 && !isWanted {
				bs = memo[ps[0]]
			} else {
				bs = make([]uint64, words)
				for _, p := range ps {
					for w, v := range memo[p] {
						bs[w] |= v
					}
				}
				if isWanted {
					bs[j/64] |= 1 << (j % 64)
				}
			}
			memo[top.h] = bs
			stack = stack[:len(stack)-1]
		}
		return memo[tip], nil
	}
	out := map[string][]string{}
	for _, r := range refs {
		tip, ok := commitOf(r.tip)
		if !ok {
			continue
		}
		bs, err := reach(tip)
		if err != nil {
			return nil, err
		}
		for j, c := range wanted {
			if bs[j/64]&(1<<(j%64)) != 0 {
				out[c.String()] = append(out[c.String()], r.name)
			}
		}
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out, nil
}
