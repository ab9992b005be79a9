package main

import (
	"sync"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/dtleaks/dtleaks/internal/gitrepo"
	"github.com/dtleaks/dtleaks/scanner"
)

// headPlacer returns report.Options.AtHead for the repository at path: a
// history finding is in the checkout of HEAD at its path, line and column
// exactly when its blob is the blob HEAD's tree holds at that path. A
// finding whose token is still at HEAD but in another file, or in an
// earlier version of the same file, is not: its line there holds something
// else. With no HEAD (an empty repository) nothing is.
func headPlacer(path string, getenv func(string) string) func(*scanner.Finding) bool {
	var (
		once sync.Once
		tree *object.Tree
		mu   sync.Mutex
		seen = map[string]string{} // path -> blob at HEAD, "" for none
	)
	if path == "" {
		path = "."
	}
	load := func() {
		r, err := gitrepo.OpenEnv(path, getenv)
		if err != nil {
			return
		}
		ref, err := r.Head()
		if err != nil {
			return
		}
		c, err := r.CommitObject(ref.Hash())
		if err != nil {
			return
		}
		tree, _ = c.Tree()
	}
	return func(f *scanner.Finding) bool {
		if f.Path == "" || f.Origin.Blob == "" || f.Repository != "" {
			return false
		}
		once.Do(load)
		if tree == nil {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		blob, ok := seen[f.Path]
		if !ok {
			if e, err := tree.FindEntry(f.Path); err == nil && e.Mode.IsFile() {
				blob = e.Hash.String()
			}
			seen[f.Path] = blob
		}
		return blob == f.Origin.Blob
	}
}
