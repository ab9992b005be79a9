package staged

import (
	"context"
	"crypto/sha1"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/dtleaks/dtleaks/internal/gitindex"
	"github.com/dtleaks/dtleaks/internal/gitrepo"
)

// This file finds the index entries that differ from HEAD without reading
// all of HEAD's tree. A directory whose staged tree hash equals the hash of
// HEAD's tree at the same path holds nothing new and is skipped whole; only
// directories whose hashes differ are read from HEAD and compared entry by
// entry. The staged hash of a directory comes from the index's cached tree
// (TREE extension) when git kept it valid there, and is otherwise computed
// from the entries as `git write-tree` would, which hashes a few megabytes
// for 100k files: far cheaper than decoding every tree object of HEAD. A
// wrong or unknown hash only costs time: the entries are then compared one
// by one.

// change is an index entry whose blob is not HEAD's at its path.
type change struct {
	path string
	hash plumbing.Hash // the staged blob
	old  plumbing.Hash // HEAD's blob at the same path; zero when there is none
	// unmerged is set for a path with conflict stages: there is no single
	// staged blob to scan.
	unmerged bool
}

// deleted is an entry of HEAD that the index no longer has (deleted or
// renamed): a blob, or a whole tree.
type deleted struct {
	path string
	hash plumbing.Hash
	tree bool
}

type comparer struct {
	ctx     context.Context
	repo    *gitrepo.Repo
	entries []gitindex.Entry
	hashes  map[string]plumbing.Hash // computed staged tree hashes, by directory prefix
	changes []change
	gone    []deleted
	reads   int // HEAD tree objects read, for tests and benchmarks
}

const modeDir = 0o040000

// dir compares the index entries entries[lo:hi], all under prefix ("" or
// ending in "/"), with head, HEAD's tree at that path (zero when HEAD has no
// directory there). ct is the cached-tree node of the directory, or nil.
func (c *comparer) dir(prefix string, lo, hi int, ct *gitindex.CacheTree, head plumbing.Hash) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	var headEntries map[string]object.TreeEntry
	if !head.IsZero() {
		if h, ok := c.treeHash(prefix, lo, hi, ct); ok && h == head {
			return nil
		}
		t, err := c.repo.TreeObject(head)
		if err != nil {
			return objectError("tree", prefix, head, err)
		}
		c.reads++
		headEntries = make(map[string]object.TreeEntry, len(t.Entries))
		for _, e := range t.Entries {
			headEntries[e.Name] = e
		}
	}
	children := childMap(ct)
	for i := lo; i < hi; {
		e := &c.entries[i]
		rest := e.Name[len(prefix):]
		slash := strings.IndexByte(rest, '/')
		switch {
		case slash < 0:
			// A file: all the stages of one path.
			j := i + 1
			for j < hi && c.entries[j].Name == e.Name {
				j++
			}
			h, inHead := headEntries[rest]
			delete(headEntries, rest)
			c.file(e, j-i, h, inHead)
			i = j
		case slash == len(rest)-1 && e.Mode == modeDir:
			// A sparse index's directory entry: a whole subtree.
			name := rest[:slash]
			h, inHead := headEntries[name]
			delete(headEntries, name)
			if err := c.sparse(e, h, inHead); err != nil {
				return err
			}
			i++
		default:
			name := rest[:slash]
			sub := prefix + name + "/"
			j := c.subtreeEnd(sub, i, hi)
			h, inHead := headEntries[name]
			delete(headEntries, name)
			var subHead plumbing.Hash
			if inHead {
				if h.Mode == filemode.Dir {
					subHead = h.Hash
				} else {
					c.goneEntry(prefix, h)
				}
			}
			if err := c.dir(sub, i, j, children[name], subHead); err != nil {
				return err
			}
			i = j
		}
	}
	for _, h := range headEntries {
		c.goneEntry(prefix, h)
	}
	return nil
}

// file compares the n index entries of one path (one, or several conflict
// stages) with HEAD's entry of that name.
func (c *comparer) file(e *gitindex.Entry, n int, h object.TreeEntry, inHead bool) {
	headBlob := inHead && gitrepo.IsFile(h.Mode)
	if inHead && !headBlob {
		c.goneEntry(e.Name[:len(e.Name)-len(h.Name)], h)
	}
	var old plumbing.Hash
	if headBlob {
		old = h.Hash
	}
	switch {
	case n > 1 || e.Stage != 0:
		c.changes = append(c.changes, change{path: e.Name, old: old, unmerged: true})
	case e.IntentToAdd || e.Mode == 0o160000:
		// Not content the commit adds: an intent-to-add entry has none,
		// a submodule's commits are scanned in its own repository. A
		// HEAD blob it replaces is gone.
		if headBlob {
			c.gone = append(c.gone, deleted{path: e.Name, hash: h.Hash})
		}
	case headBlob && h.Hash == e.Hash:
		// Unchanged content (perhaps a new mode): nothing added.
	default:
		c.changes = append(c.changes, change{path: e.Name, hash: e.Hash, old: old})
	}
}

// sparse compares a sparse directory entry with HEAD's entry of that name.
// Such entries are normally HEAD's own trees; when one differs, the two
// trees are diffed object by object.
func (c *comparer) sparse(e *gitindex.Entry, h object.TreeEntry, inHead bool) error {
	prefix := e.Name
	var from *object.Tree
	if inHead {
		if h.Mode != filemode.Dir {
			c.goneEntry(prefix[:len(prefix)-len(h.Name)-1], h)
		} else if h.Hash == e.Hash {
			return nil
		} else {
			t, err := c.repo.TreeObject(h.Hash)
			if err != nil {
				return objectError("tree", prefix, h.Hash, err)
			}
			from = t
		}
	}
	to, err := c.repo.TreeObject(e.Hash)
	if err != nil {
		return objectError("tree", prefix, e.Hash, err)
	}
	if from == nil {
		from = &object.Tree{}
	}
	changes, err := object.DiffTreeWithOptions(c.ctx, from, to, nil)
	if err != nil {
		return objectError("tree", prefix, e.Hash, err)
	}
	for _, ch := range changes {
		if ch.To.Name == "" {
			if gitrepo.IsFile(ch.From.TreeEntry.Mode) {
				c.gone = append(c.gone, deleted{path: prefix + ch.From.Name, hash: ch.From.TreeEntry.Hash})
			}
			continue
		}
		if !gitrepo.IsFile(ch.To.TreeEntry.Mode) {
			continue
		}
		var old plumbing.Hash
		if ch.From.Name == ch.To.Name && gitrepo.IsFile(ch.From.TreeEntry.Mode) {
			old = ch.From.TreeEntry.Hash
		} else if ch.From.Name != "" && gitrepo.IsFile(ch.From.TreeEntry.Mode) {
			c.gone = append(c.gone, deleted{path: prefix + ch.From.Name, hash: ch.From.TreeEntry.Hash})
		}
		if old != ch.To.TreeEntry.Hash {
			c.changes = append(c.changes, change{path: prefix + ch.To.Name, hash: ch.To.TreeEntry.Hash, old: old})
		}
	}
	return nil
}

// goneEntry records an entry of HEAD's tree at prefix that the index does
// not have.
func (c *comparer) goneEntry(prefix string, h object.TreeEntry) {
	switch {
	case h.Mode == filemode.Dir:
		c.gone = append(c.gone, deleted{path: prefix + h.Name, hash: h.Hash, tree: true})
	case gitrepo.IsFile(h.Mode):
		c.gone = append(c.gone, deleted{path: prefix + h.Name, hash: h.Hash})
	}
}

// treeHash returns the hash of the tree `git write-tree` would make of
// entries[lo:hi] under prefix, and false when it cannot be known here (an
// unmerged path).
func (c *comparer) treeHash(prefix string, lo, hi int, ct *gitindex.CacheTree) (plumbing.Hash, bool) {
	if ct != nil && ct.Count == hi-lo {
		return ct.Hash, true
	}
	if h, ok := c.hashes[prefix]; ok {
		return h, !h.IsZero()
	}
	h, ok := c.computeHash(prefix, lo, hi, ct)
	if c.hashes == nil {
		c.hashes = make(map[string]plumbing.Hash)
	}
	c.hashes[prefix] = h // zero when unknown
	return h, ok
}

// computeHash hashes the tree object of one directory, taking the hashes
// of its subdirectories from treeHash.
func (c *comparer) computeHash(prefix string, lo, hi int, ct *gitindex.CacheTree) (plumbing.Hash, bool) {
	children := childMap(ct)
	var buf []byte // grows to the size of this one tree object
	add := func(mode uint32, name string, h plumbing.Hash) {
		buf = strconv.AppendUint(buf, uint64(mode), 8)
		buf = append(buf, ' ')
		buf = append(buf, name...)
		buf = append(buf, 0)
		buf = append(buf, h[:]...)
	}
	for i := lo; i < hi; {
		e := &c.entries[i]
		rest := e.Name[len(prefix):]
		slash := strings.IndexByte(rest, '/')
		switch {
		case slash < 0:
			if e.Stage != 0 {
				return plumbing.ZeroHash, false
			}
			if !e.IntentToAdd {
				add(e.Mode, rest, e.Hash)
			}
			i++
		case slash == len(rest)-1 && e.Mode == modeDir:
			add(modeDir, rest[:slash], e.Hash)
			i++
		default:
			name := rest[:slash]
			sub := prefix + name + "/"
			j := c.subtreeEnd(sub, i, hi)
			h, ok := c.treeHash(sub, i, j, children[name])
			if !ok {
				return plumbing.ZeroHash, false
			}
			add(modeDir, name, h)
			i = j
		}
	}
	hh := sha1.New()
	hh.Write(strconv.AppendInt([]byte("tree "), int64(len(buf)), 10))
	hh.Write([]byte{0})
	hh.Write(buf)
	var h plumbing.Hash
	hh.Sum(h[:0])
	return h, true
}

// subtreeEnd returns the end of the run of entries, from i (whose name
// starts with sub) up to hi, that lie under the directory sub: the index
// is sorted by name, so they are contiguous.
func (c *comparer) subtreeEnd(sub string, i, hi int) int {
	j := i + 1
	for j < hi && strings.HasPrefix(c.entries[j].Name, sub) {
		j++
	}
	return j
}

// childMap returns the cached-tree children of t by name; nil for a nil t
// or one without children.
func childMap(t *gitindex.CacheTree) map[string]*gitindex.CacheTree {
	if t == nil || len(t.Children) == 0 {
		return nil
	}
	m := make(map[string]*gitindex.CacheTree, len(t.Children))
	for _, k := range t.Children {
		m[k.Name] = k
	}
	return m
}
