package gitrepo

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	billy "github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"

	"github.com/dtleaks/dtleaks/internal/regfile"
)

// A repository may borrow objects from other object stores, named one per
// line in objects/info/alternates: git clone --shared and --reference make
// such clones, and forges keep forks' common objects in a shared pool. The
// borrowed objects are this repository's history as much as its own, so
// a scan reads them as it reads its own store. go-git follows alternates
// only for absolute paths, and pools use relative ones (relative to the
// objects directory, as gitrepository-layout says), so Alternates resolves
// them itself and Storer looks objects up in each store in turn.

// alternatesDepth bounds a chain of stores borrowing from stores, as
// git does.
const alternatesDepth = 5

// Alternate is a borrowed object store.
type Alternate struct {
	Objects string           // its objects directory, absolute
	FS      billy.Filesystem // the directory that holds objects
	Dir     *dotgit.DotGit
}

// AltProblem is a borrowed object store that cannot be used, or an
// alternates file that cannot be read; Path is the file, when known.
type AltProblem struct {
	Path string
	Err  error
}

// Alternates returns the object stores the store at objects borrows
// from, directly or through others, each once, and the problems of those
// it cannot use. The stores extra (absolute: git's
// GIT_ALTERNATE_OBJECT_DIRECTORIES) are borrowed from too.
func Alternates(objects string, extra ...string) ([]Alternate, []AltProblem) {
	var alts []Alternate
	var problems []AltProblem
	seen := map[string]bool{filepath.Clean(objects): true}
	var walk func(objects string, depth int)
	var add func(file, dir string, depth int)
	walk = func(objects string, depth int) {
		file := filepath.Join(objects, "info", "alternates")
		f, err := regfile.Open(file) // a FIFO here must not block the scan
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		if err != nil {
			problems = append(problems, AltProblem{Err: err})
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
			add(file, dir, depth)
		}
		if err := sc.Err(); err != nil {
			problems = append(problems, AltProblem{Path: file, Err: err})
		}
	}
	// add borrows from the store dir, which file (if any) names.
	add = func(file, dir string, depth int) {
		dir = filepath.Clean(dir)
		if seen[dir] {
			return
		}
		seen[dir] = true
		if depth >= alternatesDepth {
			problems = append(problems, AltProblem{Path: file, Err: fmt.Errorf("%s: more than %d stores borrowing from each other: not read", dir, alternatesDepth)})
			return
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			problems = append(problems, AltProblem{Path: file, Err: fmt.Errorf("the borrowed object store %s cannot be read: its objects are not scanned", dir)})
			return
		}
		// A store of any name is read as the objects of an otherwise
		// empty git directory.
		afs := newStoreFS(memfs.New(), osfs.New(dir, osfs.WithBoundOS()), dir)
		alts = append(alts, Alternate{Objects: dir, FS: afs, Dir: dotgit.New(afs)})
		walk(dir, depth+1)
	}
	walk(objects, 0)
	for _, dir := range extra {
		add("", dir, 0)
	}
	return alts, problems
}

// Storer is an object storage with the stores it borrows from behind it:
// an object that is not in the storage is looked up in each of them in
// turn. It is what go-git reads through, so every lookup follows
// alternates, relative paths as well as absolute ones.
type Storer struct {
	*filesystem.Storage
	alts []*filesystem.Storage
}

// EncodedObject reads an object from the storage or, when it is not there,
// from the stores it borrows from. An object other than a blob (which
// go-git streams) is read whole into memory, so its size, as its header
// or its delta's says, is checked against MaxObject first: a delta that
// makes a terabyte is a SizeError, not the end of the scan.
func (s *Storer) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if t != plumbing.BlobObject {
		if size, err := s.EncodedObjectSize(h); err == nil && size > MaxObject {
			return nil, &SizeError{Size: size}
		}
	}
	obj, err := s.Storage.EncodedObject(t, h)
	if !errors.Is(err, plumbing.ErrObjectNotFound) {
		return obj, err
	}
	for _, a := range s.alts {
		if o, aerr := a.EncodedObject(t, h); aerr == nil {
			return o, nil
		}
	}
	return nil, err
}

// HasEncodedObject reports, as nil, that the storage or a store it
// borrows from holds the object.
func (s *Storer) HasEncodedObject(h plumbing.Hash) error {
	err := s.Storage.HasEncodedObject(h)
	if !errors.Is(err, plumbing.ErrObjectNotFound) {
		return err
	}
	for _, a := range s.alts {
		if a.HasEncodedObject(h) == nil {
			return nil
		}
	}
	return err
}

// EncodedObjectSize returns the size of an object of the storage or of a
// store it borrows from.
func (s *Storer) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	size, err := s.Storage.EncodedObjectSize(h)
	if !errors.Is(err, plumbing.ErrObjectNotFound) {
		return size, err
	}
	for _, a := range s.alts {
		if n, aerr := a.EncodedObjectSize(h); aerr == nil {
			return n, nil
		}
	}
	return 0, err
}

// Close closes the storages.
func (s *Storer) Close() error {
	err := s.Storage.Close()
	for _, a := range s.alts {
		a.Close()
	}
	return err
}
