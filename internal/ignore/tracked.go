package ignore

import "strings"

// Tracked is what a repository's index tracks: its files, and the
// directories that hold one. git never ignores a tracked file, whatever its
// ignore rules say, so neither does a walk: a secret in a file committed
// with `git add -f` is still a secret.
type Tracked struct {
	files, dirs map[string]bool
}

// NewTracked returns the set of the given index entry names (paths from
// the repository's top, forward slashes; a sparse index's directory
// entries end in "/").
func NewTracked(names []string) *Tracked {
	t := &Tracked{files: make(map[string]bool, len(names)), dirs: map[string]bool{}}
	for _, name := range names {
		if d, ok := strings.CutSuffix(name, "/"); ok {
			// A sparse directory entry: everything below is tracked.
			t.dirs[d] = true
		} else {
			t.files[name] = true
		}
		for i := strings.LastIndexByte(name, '/'); i > 0; i = strings.LastIndexByte(name[:i], '/') {
			if t.dirs[name[:i]] {
				break
			}
			t.dirs[name[:i]] = true
		}
	}
	return t
}

// has reports whether the path (from the repository's top) is tracked:
// a tracked file, a directory holding one, or a submodule.
func (t *Tracked) has(path string, isDir bool) bool {
	if isDir {
		return t.dirs[path] || t.files[path] // a submodule is a file of the index
	}
	return t.files[path]
}

// WithTracked returns a copy of n, the node of a repository's top (made by
// Child with repo set), that knows what the repository tracks: below it,
// .gitignore and info/exclude apply to untracked paths only.
func (n *Node) WithTracked(t *Tracked) *Node {
	if n == nil || !n.repoTop || t == nil {
		return n
	}
	c := *n
	c.tracked = t
	return &c
}
