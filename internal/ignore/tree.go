package ignore

import (
	"path"
)

// Tree applies the .dtleaksignore files of a tree that is not a directory
// on disk, such as a commit's tree or the index: the same rules as a walk
// of the same files would apply, so that `history` and `staged` leave out
// what `scan` leaves out. Only .dtleaksignore files count: a path that is
// committed or staged is tracked, and .gitignore does not apply to it.
//
// A Tree is not safe for concurrent use.
type Tree struct {
	// Read returns the content of the .dtleaksignore file in the
	// directory dir ("" for the top, else a slash-separated path), or
	// nil when it has none.
	Read func(dir string) ([]byte, error)

	nodes map[string]*Node
	errs  map[string]error
}

// Ignored reports whether the .dtleaksignore files of the tree ignore the
// file at p (slash-separated, from the top) or a directory above it. An
// ignore file that cannot be read is returned as the error, and its rules
// are not applied.
func (t *Tree) Ignored(p string) (bool, error) {
	n, err := t.node(path.Dir(p))
	return n.DtleaksIgnored(p), err
}

// node returns the node of directory dir ("." for the top) and the first
// error reading an ignore file on the way.
func (t *Tree) node(dir string) (*Node, error) {
	if dir == "." || dir == "/" {
		dir = ""
	}
	if n, ok := t.nodes[dir]; ok {
		return n, t.errs[dir]
	}
	if t.nodes == nil {
		t.nodes, t.errs = map[string]*Node{}, map[string]error{}
	}
	var parent *Node
	var err error
	if dir != "" {
		parent, err = t.node(path.Dir(dir))
	}
	b, rerr := t.Read(dir)
	if err == nil {
		err = rerr
	}
	var l *List
	if rerr == nil && b != nil {
		if l = Parse(b); l.Empty() {
			l = nil
		}
	}
	n := parent.Child(dir, l, nil, nil, false)
	t.nodes[dir], t.errs[dir] = n, err
	return n, err
}
