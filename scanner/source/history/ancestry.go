package history

import "github.com/go-git/go-git/v5/plumbing"

// lineage answers whether one commit is an ancestor of another in a
// commit graph, so that a token is blamed on the commit that added it
// rather than on a descendant that kept it: committer times tie (the same
// second) and lie (clock skew), ancestry does not.
type lineage struct {
	graph map[plumbing.Hash]*commit
	// gen is the generation number of each commit asked about: 1 for a
	// root (or a commit whose parents are not in graph), else one more
	// than its highest parent. An ancestor's is always lower.
	gen map[plumbing.Hash]int
}

// generation returns h's generation number; 0 for a commit not in graph.
func (l *lineage) generation(h plumbing.Hash) int {
	if g, ok := l.gen[h]; ok {
		return g
	}
	if l.gen == nil {
		l.gen = map[plumbing.Hash]int{}
	}
	// Iteratively, parents first: histories are deeper than the stack
	// would like.
	stack := []plumbing.Hash{h}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		if _, ok := l.gen[top]; ok {
			stack = stack[:len(stack)-1]
			continue
		}
		c := l.graph[top]
		if c == nil {
			l.gen[top] = 0
			stack = stack[:len(stack)-1]
			continue
		}
		g, ready := 1, true
		for _, p := range c.parents {
			pg, ok := l.gen[p]
			if !ok {
				ready = false
				stack = append(stack, p)
				continue
			}
			g = max(g, pg+1)
		}
		if ready {
			l.gen[top] = g
			stack = stack[:len(stack)-1]
		}
	}
	return l.gen[h]
}

// isAncestor reports whether a is a proper ancestor of b. The walk down
// from b stops at generation numbers no higher than a's.
func (l *lineage) isAncestor(a, b plumbing.Hash) bool {
	if l == nil || a == b || l.graph[a] == nil || l.graph[b] == nil {
		return false
	}
	ga := l.generation(a)
	if ga >= l.generation(b) {
		return false
	}
	seen := map[plumbing.Hash]bool{b: true}
	stack := []plumbing.Hash{b}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		c := l.graph[h]
		if c == nil {
			continue
		}
		for _, p := range c.parents {
			if p == a {
				return true
			}
			if !seen[p] && l.generation(p) > ga {
				seen[p] = true
				stack = append(stack, p)
			}
		}
	}
	return false
}

// better reports whether site a is the one to report rather than b:
// reachable first, then with a commit, then an ancestor before its
// descendants, then the oldest, then by hash so the choice never depends
// on the order of the walk.
func (l *lineage) better(a, b site) bool {
	if a.reachable != b.reachable {
		return a.reachable
	}
	if a.commit.IsZero() != b.commit.IsZero() {
		return !a.commit.IsZero()
	}
	if l.isAncestor(a.commit, b.commit) {
		return true
	}
	if l.isAncestor(b.commit, a.commit) {
		return false
	}
	if a.when != b.when {
		return a.when < b.when
	}
	return a.commit.String() < b.commit.String()
}
