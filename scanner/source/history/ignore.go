package history

import (
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/dtleaks/dtleaks/internal/gitrepo"
	"github.com/dtleaks/dtleaks/internal/ignore"
)

// maxIgnoreFile bounds the .dtleaksignore blob read from a commit: rules
// files are small, and a huge one is no reason to hold it all.
const maxIgnoreFile = 1 << 20

// ignorer answers whether a path of a commit is left out by the
// .dtleaksignore files of that commit's tree: the rules as they were when
// the commit was made, as `scan` of its checkout would apply them.
type ignorer struct {
	repo  *repository
	trees map[plumbing.Hash]*object.Tree // read so far, by hash
	rules map[plumbing.Hash]*ignore.Tree // by root tree
}

func newIgnorer(repo *repository) *ignorer {
	return &ignorer{repo: repo, trees: map[plumbing.Hash]*object.Tree{}, rules: map[plumbing.Hash]*ignore.Tree{}}
}

// ignored reports whether path is ignored in the tree root. An ignore
// file or tree that cannot be read is returned as the error; the path is
// then not ignored, so nothing is left out on a guess.
func (ig *ignorer) ignored(root plumbing.Hash, path string) (bool, error) {
	t, ok := ig.rules[root]
	if !ok {
		t = &ignore.Tree{Read: func(dir string) ([]byte, error) { return ig.read(root, dir) }}
		ig.rules[root] = t
	}
	return t.Ignored(path)
}

// tree reads a tree once.
func (ig *ignorer) tree(h plumbing.Hash) (*object.Tree, error) {
	if t, ok := ig.trees[h]; ok {
		return t, nil
	}
	t, err := readTree(ig.repo, h)
	if err != nil {
		return nil, err
	}
	ig.trees[h] = t
	return t, nil
}

// read returns the .dtleaksignore of directory dir of the tree root, or
// nil when there is none.
func (ig *ignorer) read(root plumbing.Hash, dir string) ([]byte, error) {
	h := root
	if dir != "" {
		for _, name := range strings.Split(dir, "/") {
			t, err := ig.tree(h)
			if err != nil {
				return nil, err
			}
			e, err := t.FindEntry(name)
			if err != nil || e.Mode != filemode.Dir {
				return nil, nil
			}
			h = e.Hash
		}
	}
	t, err := ig.tree(h)
	if err != nil {
		return nil, err
	}
	e, err := t.FindEntry(ignore.DtleaksFile)
	if err != nil || !gitrepo.IsFile(e.Mode) {
		return nil, nil
	}
	var b []byte
	err = gitrepo.Guard(func() error {
		obj, err := ig.repo.Object(plumbing.BlobObject, e.Hash)
		if err != nil {
			return err
		}
		r, err := obj.Reader()
		if err != nil {
			return err
		}
		defer r.Close()
		b, err = io.ReadAll(io.LimitReader(r, maxIgnoreFile))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: ignore rules not applied: %w", ignore.Join(dir, ignore.DtleaksFile), gitrepo.ObjectErr("blob", e.Hash, err))
	}
	return b, nil
}
