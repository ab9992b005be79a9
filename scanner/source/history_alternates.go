package source

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	billy "github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"

	"github.com/dtleaks/dtleaks/scanner"
)

// A repository may borrow objects from other object stores, named one per
// line in objects/info/alternates: git clone --shared and --reference make
// such clones, and forges keep forks' common objects in a shared pool. The
// borrowed objects are this repository's history as much as its own, so
// History reads them as it reads its own store. go-git follows alternates
// only for absolute paths, and pools use relative ones (relative to the
// objects directory, as gitrepository-layout says), so History resolves
// them itself and looks objects up in each store in turn.

// histAlternatesFile is where a repository names the stores it borrows
// from, relative to its git directory.
const histAlternatesFile = "objects/info/alternates"

// histAlternatesDepth bounds a chain of stores borrowing from stores, as
// git does.
const histAlternatesDepth = 5

// histAlt is a borrowed object store.
type histAlt struct {
	objects string           // its objects directory, absolute
	fs      billy.Filesystem // the directory that holds objects
	dir     *dotgit.DotGit
	st      *filesystem.Storage
}

// histAlternates returns the object stores the store at objects borrows
// from, directly or through others, each once, and the problems of those
// it cannot use.
func histAlternates(objects string) ([]histAlt, []scanner.Problem) {
	var alts []histAlt
	var problems []scanner.Problem
	seen := map[string]bool{filepath.Clean(objects): true}
	var walk func(objects string, depth int)
	walk = func(objects string, depth int) {
		file := filepath.Join(objects, "info", "alternates")
		f, err := os.Open(file)
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		if err != nil {
			problems = append(problems, scanner.Problem{Err: fmt.Errorf("history: %w", err)})
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			dir := line
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(objects, dir)
			}
			dir = filepath.Clean(dir)
			if seen[dir] {
				continue
			}
			seen[dir] = true
			if depth >= histAlternatesDepth {
				problems = append(problems, scanner.Problem{Path: file, Err: fmt.Errorf("history: %s: more than %d stores borrowing from each other: not read", dir, histAlternatesDepth)})
				continue
			}
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				problems = append(problems, scanner.Problem{Path: file, Err: fmt.Errorf("history: the borrowed object store %s cannot be read: its objects are not scanned", dir)})
				continue
			}
			if filepath.Base(dir) != "objects" {
				// go-git opens a store by the directory that holds
				// "objects".
				problems = append(problems, scanner.Problem{Path: file, Err: fmt.Errorf("history: the borrowed object store %s is not named objects, which dtleaks cannot open: its objects are not scanned", dir)})
				continue
			}
			afs := osfs.New(filepath.Dir(dir), osfs.WithBoundOS())
			alts = append(alts, histAlt{objects: dir, fs: afs, dir: dotgit.New(afs), st: histStorage(afs, nil)})
			walk(dir, depth+1)
		}
		if err := sc.Err(); err != nil {
			problems = append(problems, scanner.Problem{Path: file, Err: fmt.Errorf("history: %w", err)})
		}
	}
	walk(objects, 0)
	return alts, problems
}

// object reads an object from the repository's store or, when it is not
// there, from the stores it borrows from.
func (r *histRepo) object(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	obj, err := r.st.EncodedObject(t, h)
	if !errors.Is(err, plumbing.ErrObjectNotFound) {
		return obj, err
	}
	for _, a := range r.alts {
		if o, aerr := a.st.EncodedObject(t, h); aerr == nil {
			return o, nil
		}
	}
	return nil, err
}

// close closes the storages.
func (r *histRepo) close() {
	r.st.Close()
	for _, a := range r.alts {
		a.st.Close()
	}
}

// newAltStorages opens the borrowed stores afresh, for a worker that reads
// objects beside others: a storage is not safe for concurrent use.
func (r *histRepo) newAltStorages() []*filesystem.Storage {
	var out []*filesystem.Storage
	for _, a := range r.alts {
		out = append(out, histStorage(a.fs, nil))
	}
	return out
}

// histObjectsDir returns the objects directory of the git directory
// gitDir: its own, or for a linked worktree the one of the repository it
// belongs to (named by its commondir file).
func histObjectsDir(gitDir string) string {
	if b, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		common := strings.TrimSpace(string(b))
		if !filepath.IsAbs(common) {
			common = filepath.Join(gitDir, common)
		}
		return filepath.Join(common, "objects")
	}
	return filepath.Join(gitDir, "objects")
}
