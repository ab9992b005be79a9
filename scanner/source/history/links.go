package history

import (
	"bytes"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/dtleaks/dtleaks/internal/gitrepo"
)

// A history scan reads every object the store holds, so an object that a
// tree names but the store lacks would go unnoticed: nothing is there to
// read. Yet it is content the scan could not see (a disk error, an
// interrupted transfer, a hand-pruned store), and a scan that calls such a
// repository clean is lying. So every tree in the store is checked, the
// loose ones by Items and the packed ones by the tree pass of Resolve,
// which reads them anyway: each entry a tree names must be in a pack or
// loose. A tree that is a delta of another shares most entries with its
// base, and those were checked with the base; only the entries the delta
// changed are looked up, which keeps the check to a small part of the scan.

// checkTreeLinks calls missing for each entry of the tree data whose object
// exists does not know. It leaves out the entries that base (the tree data
// is a delta of it, or base is nil) has too, with the same name, mode and
// object: they were checked with base. Submodule entries name commits of
// another repository and are not checked. A tree that does not parse is an
// error; a base that does not parse only means every entry is checked.
func checkTreeLinks(data, base []byte, exists func(plumbing.Hash) bool, missing func(dir bool, name []byte, h plumbing.Hash)) error {
	b := treeIter{data: base}
	bMode, bName, bHash, bOK, bErr := b.next()
	it := treeIter{data: data}
	for {
		mode, name, hash, ok, err := it.next()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		// Entries are sorted by name; an unsorted (corrupt) tree only
		// costs lookups, since an entry is skipped only when the base has
		// it exactly.
		for bOK && bErr == nil && bytes.Compare(bName, name) < 0 {
			bMode, bName, bHash, bOK, bErr = b.next()
		}
		if bOK && bErr == nil && bytes.Equal(bName, name) && bytes.Equal(bHash, hash) && bytes.Equal(bMode, mode) {
			continue
		}
		m, err := parseMode(mode)
		if err != nil {
			return err
		}
		if gitrepo.IsSubmodule(m) {
			continue
		}
		h := plumbing.Hash(hash)
		if !exists(h) {
			missing(gitrepo.IsDir(m), name, h)
		}
	}
}

// missingError is the problem of a tree entry whose object the store
// lacks. The entry name is quoted: it is repository content and may hold
// anything, terminal escapes included.
func missingError(tree plumbing.Hash, dir bool, name []byte, h plumbing.Hash) error {
	kind := "blob"
	if dir {
		kind = "tree"
	}
	return fmt.Errorf("tree %s: %s %s (%q) is missing from the repository: its content cannot be scanned", gitrepo.Short(tree), kind, h, name)
}

// promisedHint is what a problem of an object a partial clone lacks adds
// (promisor: it is promised), so that the user learns the way out.
func promisedHint(promisor bool) string {
	if !promisor {
		return ""
	}
	return " (a partial clone: its promisor remote holds it; --allow-missing-promised skips such objects)"
}

// exists reports whether the store Items listed holds the object, packed
// or loose.
func (h *Source) exists(hash plumbing.Hash) bool {
	if h.loose[hash] {
		return true
	}
	for _, p := range h.packs {
		if p.index.Contains(hash) {
			return true
		}
	}
	return false
}

// treeLinks checks that the store holds every object the tree data names
// (see checkTreeLinks) and returns what it lacks, and a tree that does not
// parse, as problems. The tree is of a promisor pack when promisor is set:
// what it lacks is then promised (see Source.AllowPromised).
func (h *Source) treeLinks(tree plumbing.Hash, data, base []byte, promisor bool) []error {
	if h.borrows {
		return nil // the objects may be in a borrowed store that cannot be read
	}
	var errs []error
	err := checkTreeLinks(data, base, h.exists, func(dir bool, name []byte, hash plumbing.Hash) {
		if !h.skipPromised(promisor, hash) {
			errs = append(errs, fmt.Errorf("%w%s", missingError(tree, dir, name, hash), promisedHint(promisor)))
		}
	})
	if err != nil {
		errs = append(errs, &gitrepo.ObjectError{Op: "tree", Hash: tree, Err: err})
	}
	return errs
}
