package history

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/dtleaks/dtleaks/internal/gitrepo"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// pair is a target blob at a path below some tree.
type pair struct {
	path string
	blob plumbing.Hash
}

// tracer finds where target blobs sit in trees. Trees are shared
// between commits, and most subtrees between most commits: the target
// blobs below a tree are worked out once per tree however many commits
// hold it, kept in its treeNode for the trees read ahead and in memo for
// the others.
type tracer struct {
	repo     *repository
	targets  map[plumbing.Hash]bool
	memo     map[plumbing.Hash][]pair
	problems []scanner.Problem
	// trees, if set, holds the trees read ahead (see Source.readTrees),
	// each subtree entry linked to its node; a tree not in it is read
	// through the storage.
	trees map[plumbing.Hash]*treeNode
	// lin orders the sites of a blob by ancestry (see lineage.better).
	lin *lineage
	// names records the entry names with tokens tracing reads.
	names *names
}

// pairs returns the target blobs below tree h with their paths, sorted.
func (t *tracer) pairs(ctx context.Context, h plumbing.Hash) ([]pair, error) {
	if n := t.trees[h]; n != nil {
		return t.nodePairs(ctx, n)
	}
	if ps, ok := t.memo[h]; ok {
		return ps, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tree, err := readTree(t.repo, h)
	if err != nil {
		t.problems = append(t.problems, scanner.Problem{Err: err})
		t.memo[h] = nil
		return nil, nil
	}
	var ents []treeEntry
	for _, e := range tree.Entries {
		if hasToken([]byte(e.Name)) {
			ents = append(ents, treeEntry{name: e.Name, hash: t.names.note(e.Name)})
		}
		switch {
		case gitrepo.IsDir(e.Mode):
			ents = append(ents, treeEntry{name: e.Name, hash: e.Hash, dir: true})
		case gitrepo.IsFile(e.Mode) && t.targets[e.Hash]:
			ents = append(ents, treeEntry{name: e.Name, hash: e.Hash})
		}
	}
	out, err := t.below(ctx, ents)
	if err != nil {
		return nil, err
	}
	t.memo[h] = out
	return out, nil
}

// nodePairs is pairs of a tree read ahead: its subtrees are reached
// through their links, without a lookup by hash, which is most of the
// cost of tracing a large history.
func (t *tracer) nodePairs(ctx context.Context, n *treeNode) ([]pair, error) {
	if n.done {
		return n.pairs, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := t.below(ctx, n.ents)
	if err != nil {
		return nil, err
	}
	n.pairs, n.done = out, true
	return out, nil
}

// below returns the target blobs of a tree's entries ents and of the
// subtrees among them, with their paths.
func (t *tracer) below(ctx context.Context, ents []treeEntry) ([]pair, error) {
	var out []pair
	for _, e := range ents {
		if !e.dir {
			out = append(out, pair{path: e.name, blob: e.hash})
			continue
		}
		var sub []pair
		var err error
		if e.node != nil {
			sub, err = t.nodePairs(ctx, e.node)
		} else {
			sub, err = t.pairs(ctx, e.hash)
		}
		if err != nil {
			return nil, err
		}
		for _, p := range sub {
			out = append(out, pair{path: e.name + "/" + p.path, blob: p.blob})
		}
	}
	return out, nil
}

// intros returns the target blobs commit c introduces: those in its tree at
// a path where none of its parents has the same blob. A parent that is not
// in graph (beyond a shallow boundary, or missing) counts as absent.
func (t *tracer) intros(ctx context.Context, c *commit, graph map[plumbing.Hash]*commit) ([]pair, error) {
	mine, err := t.pairs(ctx, c.tree)
	if err != nil || len(mine) == 0 {
		return nil, err
	}
	var theirs []pair
	for _, ph := range c.parents {
		p := graph[ph]
		if p == nil {
			continue
		}
		if p.tree == c.tree {
			return nil, nil
		}
		ps, err := t.pairs(ctx, p.tree)
		if err != nil {
			return nil, err
		}
		theirs = append(theirs, ps...)
	}
	if len(theirs) == 0 {
		return mine, nil
	}
	had := make(map[pair]bool, len(theirs))
	for _, p := range theirs {
		had[p] = true
	}
	var out []pair
	for _, p := range mine {
		if !had[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

// site is one place a blob was introduced, as tracing found it.
type site struct {
	path      string
	commit    plumbing.Hash // zero for a tree or blob a ref names directly
	when      int64
	reachable bool
}

// Resolve traces every blob finding to the commit that introduced the blob
// at each path it has, reports each token once per path (at its oldest
// introduction), and marks the findings whose token is still in HEAD's
// tree. A blob that no commit holds (not even an unreachable one still in
// the store) keeps an empty path and is marked unreachable. Message
// findings are marked unreachable when no ref leads to their commit or tag.
// Found or not, the refs and the packed trees are checked for objects the
// store lacks (see checkTreeLinks), and those are returned as problems.
func (h *Source) Resolve(ctx context.Context, fs []scanner.Finding) ([]scanner.Finding, []scanner.Problem, error) {
	if len(fs) == 0 && h.repo == nil {
		return fs, nil, nil // Items did not run, or failed
	}
	repo := h.repo
	if repo == nil {
		var err error
		if repo, err = h.open(); err != nil {
			return nil, nil, err
		}
	}
	defer repo.Close()
	h.repo = nil
	packs := h.packs
	h.packs = nil
	t := &tracer{repo: repo, targets: map[plumbing.Hash]bool{}, memo: map[plumbing.Hash][]pair{}, names: &h.names}
	var msgs, blobs []scanner.Finding
	for _, f := range fs {
		if f.Location != scanner.LocationContent {
			msgs = append(msgs, f)
			continue
		}
		blobs = append(blobs, f)
		t.targets[plumbing.NewHash(f.Origin.Blob)] = true
	}

	var (
		sites    map[plumbing.Hash][]site
		reach    *reachGraph
		problems []scanner.Problem
		err      error
	)
	if h.introduced != nil {
		t.lin = &lineage{graph: h.rangeGraph}
		sites, err = h.rangeSites(repo, t.targets, t.lin)
	} else {
		// The tree pass needs the packs and the targets, not the commit
		// graph: it runs on every core while findReachable walks the
		// commits on one, rather than after it.
		var (
			lp        []scanner.Problem
			treeErr   error
			treesDone = make(chan struct{})
		)
		tctx, cancel := context.WithCancel(ctx)
		if packs != nil {
			h.packs = packs
			go func() {
				defer close(treesDone)
				t.trees, lp, treeErr = h.readTrees(tctx, t.targets)
			}()
		} else {
			close(treesDone)
		}
		if h.reach != nil {
			reach = h.reach // Items walked it for NoUnreachable
		} else {
			reach, err = findReachable(ctx, repo)
		}
		h.reach = nil
		if err != nil {
			cancel()
		}
		<-treesDone
		cancel()
		h.packs = nil
		if err == nil {
			t.lin = &lineage{graph: reach.commits}
			if !h.NoUnreachable && !h.borrows { // Items reported them, or they are expected in the other store
				problems = append(problems, reach.problems...)
			}
			problems = append(problems, lp...)
			err = treeErr
			if err == nil && (len(blobs) > 0 || h.names.any()) {
				sites, err = t.trace(ctx, reach)
			}
		}
	}
	if err != nil {
		return nil, nil, err
	}
	atHead, err := t.atHead(ctx, blobs)
	if err != nil {
		return nil, nil, err
	}

	authors := map[plumbing.Hash]*object.Commit{}
	author := func(c plumbing.Hash) *object.Commit {
		if a, ok := authors[c]; ok {
			return a
		}
		var oc *object.Commit
		if err := gitrepo.Guard(func() error {
			obj, err := repo.Object(plumbing.CommitObject, c)
			if err != nil {
				return err
			}
			oc = &object.Commit{}
			return oc.Decode(obj)
		}); err != nil {
			oc = nil
			problems = append(problems, scanner.Problem{Err: gitrepo.ObjectErr("commit", c, err)})
		}
		authors[c] = oc
		return oc
	}

	type key struct {
		fp   rules.Fingerprint
		path string
	}
	type cand struct {
		f    scanner.Finding
		site site
	}
	best := map[key]cand{}
	var keys []key
	offer := func(k key, c cand) {
		old, ok := best[k]
		if !ok {
			keys = append(keys, k)
			best[k] = c
			return
		}
		if t.lin.better(c.site, old.site) || !t.lin.better(old.site, c.site) && earlier(c.f, old.f) {
			best[k] = c
		}
	}
	skip := h.ignoredSite(repo, author, &problems)
	for _, f := range blobs {
		f.Origin.AtHead = atHead[f.Fingerprint]
		ss := sites[plumbing.NewHash(f.Origin.Blob)]
		if len(ss) > 0 {
			ss = slices.DeleteFunc(slices.Clone(ss), skip)
			if len(ss) == 0 {
				continue // at ignored paths only
			}
		}
		if len(ss) == 0 {
			f.Path = ""
			f.Origin.Unreachable = true
			offer(key{f.Fingerprint, ""}, cand{f: f, site: site{}})
			continue
		}
		for _, s := range ss {
			g := f
			g.Path = s.path
			g.Origin.Unreachable = !s.reachable
			offer(key{f.Fingerprint, s.path}, cand{f: g, site: s})
		}
	}
	out := make([]scanner.Finding, 0, len(keys)+len(msgs))
	for _, k := range keys {
		c := best[k]
		f := c.f
		if !c.site.commit.IsZero() {
			f.Origin.RenamedFrom = t.renamedFrom(ctx, c.site, plumbing.NewHash(f.Origin.Blob))
			f.Origin.Commit = c.site.commit.String()
			if a := author(c.site.commit); a != nil {
				f.Origin.AuthorName, f.Origin.AuthorEmail, f.Origin.Date = rules.Redact(a.Author.Name), rules.Redact(a.Author.Email), a.Author.When
			}
		}
		out = append(out, f)
	}
	if h.introduced == nil {
		out = append(out, h.names.findings(sites, author)...)
	}
	// A path of a range holding a token: where the range first
	// introduced it.
	first := map[string]site{}
	for _, in := range h.rangeNames {
		s := site{path: in.path, commit: in.commit, reachable: true}
		if c := h.rangeGraph[in.commit]; c != nil {
			s.when = c.when // the range's walk decoded it
		} else if c, err := readCommit(repo, in.commit); err == nil {
			s.when = c.when
		}
		if o, ok := first[in.path]; !ok || t.lin.better(s, o) {
			first[in.path] = s
		}
	}
	for path, s := range first {
		out = append(out, nameFindings(path, s, author)...)
	}
	for _, f := range msgs {
		if reach != nil && f.Location != scanner.LocationRefName {
			hash := plumbing.NewHash(f.Origin.Commit)
			f.Origin.Unreachable = !reach.commits[hash].isReachable() && !reach.tags[hash]
		}
		out = append(out, f)
	}
	problems = h.dropPromised(append(problems, t.problems...))
	h.promisedNote()
	return out, problems, nil
}

// ignoredSite returns whether a site is at a path that the .dtleaksignore
// files of its commit's tree leave out: the rules as of the commit that
// introduced the blob there, so that history leaves out what a scan of
// that commit's checkout would. A site with no commit, and every site under
// NoIgnore, is kept. Rules that cannot be read become problems, once per
// tree, and their paths are kept.
func (h *Source) ignoredSite(repo *repository, commitOf func(plumbing.Hash) *object.Commit, problems *[]scanner.Problem) func(site) bool {
	if h.NoIgnore {
		return func(site) bool { return false }
	}
	ig := newIgnorer(repo)
	reported := map[string]bool{}
	paths := map[string]bool{}
	return func(s site) bool {
		if s.commit.IsZero() || s.path == "" {
			return false
		}
		c := commitOf(s.commit)
		if c == nil {
			return false
		}
		skip, err := ig.ignored(c.TreeHash, s.path)
		if err != nil && !reported[err.Error()] {
			reported[err.Error()] = true
			*problems = append(*problems, scanner.Problem{Path: s.path, Err: err})
		}
		if skip && !paths[s.path] {
			paths[s.path] = true
			h.ignored++
		}
		return skip
	}
}

// renamedFrom returns the path blob had in a parent of the site's commit
// when that commit moved it to the site's path: a parent holds the blob at
// another path that the commit's own tree no longer has it at. "" when it
// is no rename, or the graph does not say.
func (t *tracer) renamedFrom(ctx context.Context, s site, blob plumbing.Hash) string {
	if t.lin == nil {
		return ""
	}
	c := t.lin.graph[s.commit]
	if c == nil {
		return ""
	}
	mine, err := t.pairs(ctx, c.tree)
	if err != nil {
		return ""
	}
	for _, ph := range c.parents {
		p := t.lin.graph[ph]
		if p == nil {
			continue
		}
		theirs, err := t.pairs(ctx, p.tree)
		if err != nil {
			return ""
		}
		for _, q := range theirs {
			if q.blob == blob && q.path != s.path && !slices.Contains(mine, pair{path: q.path, blob: blob}) {
				return q.path
			}
		}
	}
	return ""
}

func (c *commit) isReachable() bool { return c != nil && c.reachable }

// earlier orders two findings of the same token at the same site:
// the first in the blob wins.
func earlier(a, b scanner.Finding) bool {
	return cmp.Or(
		cmp.Compare(a.Origin.Blob, b.Origin.Blob),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Column, b.Column),
	) < 0
}

// trace finds, for every target blob, each path it was introduced at and
// the oldest commit that introduced it there. Reachable commits come first;
// the commits no ref reaches are read from the store only when some target
// blob is not in any reachable tree.
func (t *tracer) trace(ctx context.Context, reach *reachGraph) (map[plumbing.Hash][]site, error) {
	sites := map[plumbing.Hash][]site{}
	add := func(blob plumbing.Hash, s site) {
		ss := sites[blob]
		for i, o := range ss {
			if o.path == s.path {
				if t.lin.better(s, o) {
					ss[i] = s
				}
				return
			}
		}
		sites[blob] = append(ss, s)
	}
	walk := func(graph map[plumbing.Hash]*commit, only func(*commit) bool) error {
		hashes := make([]plumbing.Hash, 0, len(graph))
		for h, c := range graph {
			if only(c) {
				hashes = append(hashes, h)
			}
		}
		slices.SortFunc(hashes, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
		for _, h := range hashes {
			if err := ctx.Err(); err != nil {
				return err
			}
			c := graph[h]
			ps, err := t.intros(ctx, c, graph)
			if err != nil {
				return err
			}
			for _, p := range ps {
				add(p.blob, site{path: p.path, commit: h, when: c.when, reachable: c.reachable})
			}
		}
		return nil
	}
	if err := walk(reach.commits, func(*commit) bool { return true }); err != nil {
		return nil, err
	}
	for _, tree := range reach.trees {
		ps, err := t.pairs(ctx, tree)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			add(p.blob, site{path: p.path, reachable: true})
		}
	}
	for b := range reach.blobs {
		if t.targets[b] {
			add(b, site{reachable: true})
		}
	}

	missing := false
	for b := range t.targets {
		if len(sites[b]) == 0 {
			missing = true
			break
		}
	}
	if !missing {
		return sites, nil
	}
	// Some blob is in no reachable tree: look for it in the commits that
	// are still in the store although no ref reaches them.
	all, err := storeCommits(ctx, t.repo)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		t.problems = append(t.problems, scanner.Problem{Err: err})
	}
	graph := make(map[plumbing.Hash]*commit, len(all))
	for h, c := range reach.commits {
		graph[h] = c
	}
	for _, h := range all {
		if graph[h] != nil {
			continue
		}
		c, err := readCommit(t.repo, h)
		if err != nil {
			t.problems = append(t.problems, scanner.Problem{Err: err})
			continue
		}
		graph[h] = c
	}
	// Unreachable commits are no reachable commit's ancestors: the
	// generations lin knew stay true in the larger graph.
	t.lin.graph = graph
	err = walk(graph, func(c *commit) bool { return !c.reachable })
	if err != nil {
		return nil, err
	}
	for b, ss := range sites {
		// A blob reachable somewhere is reported only where it is
		// reachable.
		if slices.ContainsFunc(ss, func(s site) bool { return s.reachable }) {
			sites[b] = slices.DeleteFunc(ss, func(s site) bool { return !s.reachable })
		}
	}
	return sites, nil
}

// atHead returns the fingerprints of the tokens found in a blob that is in
// HEAD's tree. A repository without commits has no HEAD tree.
func (t *tracer) atHead(ctx context.Context, blobs []scanner.Finding) (map[rules.Fingerprint]bool, error) {
	out := map[rules.Fingerprint]bool{}
	if len(blobs) == 0 {
		return out, nil
	}
	var tree plumbing.Hash
	err := gitrepo.Guard(func() error {
		ref, err := t.repo.Head()
		if err != nil {
			return err
		}
		c, err := readCommit(t.repo, ref.Hash())
		if err != nil {
			return err
		}
		tree = c.tree
		return nil
	})
	if err != nil {
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			return out, nil
		}
		t.problems = append(t.problems, scanner.Problem{Err: fmt.Errorf("HEAD: %w", err)})
		return out, nil
	}
	ps, err := t.pairs(ctx, tree)
	if err != nil {
		return nil, err
	}
	inHead := map[plumbing.Hash]bool{}
	for _, p := range ps {
		inHead[p.blob] = true
	}
	for _, f := range blobs {
		if inHead[plumbing.NewHash(f.Origin.Blob)] {
			out[f.Fingerprint] = true
		}
	}
	return out, nil
}
