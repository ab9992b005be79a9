// Package gitrepo opens a git repository on disk for the sources that read
// one: it finds the repository the way git does (a working tree or any
// directory below it, a bare repository, a linked worktree whose .git is a
// file, its commondir), opens its object store with bounded caches, follows
// the stores it borrows from (objects/info/alternates, absolute and relative
// paths alike), looks objects up in each store in turn, and turns a panic in
// go-git on corrupt data into an error.
package gitrepo

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	billy "github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// Bounds on what a repository keeps in memory: the shared object cache of
// a storage, and the size above which a packed object no delta is built on
// is streamed rather than inflated in memory.
const (
	ObjectCache = 32 << 20
	LargeObject = 1 << 20
)

// Repo is an open repository with the storage its objects are read
// through.
type Repo struct {
	*git.Repository
	// Storage is the repository's own object storage, which is not safe
	// for concurrent use (see NewStorage).
	Storage *filesystem.Storage
	// FS is the git directory, and Dir the same as go-git's DotGit.
	FS  billy.Filesystem
	Dir *dotgit.DotGit

	// Alternates are the object stores the repository borrows from, and
	// AltProblems the ones it names and cannot be read (see Alternates).
	Alternates  []Alternate
	AltProblems []AltProblem
}

// Open finds the repository at path the way git does (a working tree, a
// subdirectory of one, a bare repository, a worktree whose .git is a file)
// and reopens its object store with bounded caches.
func Open(path string) (*Repo, error) {
	var repo *git.Repository
	err := Safe("open "+path, func() error {
		var err error
		// A bare repository has no .git to detect, and detecting one
		// would find the working tree a bare repository sits in.
		detect := !IsBare(path)
		repo, err = git.PlainOpenWithOptions(path, &git.PlainOpenOptions{DetectDotGit: detect, EnableDotGitCommonDir: true})
		return err
	})
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, fmt.Errorf("%s: not a git repository", path)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	st0, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return nil, fmt.Errorf("%s: unsupported repository storage", path)
	}
	fs := st0.Filesystem()
	st := NewStorage(fs, osfs.New("/"))
	r, err := git.Open(st, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	hr := &Repo{Repository: r, Storage: st, FS: fs, Dir: dotgit.New(fs)}
	hr.Alternates, hr.AltProblems = Alternates(ObjectsDir(fs.Root()))
	return hr, nil
}

// NewStorage opens the object storage of the git directory fs with the
// bounds a scan reads under: a bounded object cache, large objects
// streamed, pack files kept open. alternates, if not nil, is the file system
// go-git follows objects/info/alternates paths in.
func NewStorage(fs, alternates billy.Filesystem) *filesystem.Storage {
	return filesystem.NewStorageWithOptions(fs, cache.NewObjectLRU(ObjectCache),
		filesystem.Options{LargeObjectThreshold: LargeObject, KeepDescriptors: true, AlternatesFS: alternates})
}

// NewStorage returns a fresh storage on the repository's object store, for
// a worker that decodes objects beside others. AlternatesFS lets go-git
// follow absolute alternates paths itself (revisions, the range walk);
// relative ones it cannot, and Object reads those.
func (r *Repo) NewStorage() *filesystem.Storage {
	return NewStorage(r.FS, osfs.New("/"))
}

// IsBare reports whether dir looks like a bare repository: no .git, but
// HEAD, objects and refs of its own.
func IsBare(dir string) bool {
	if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
		return false
	}
	for _, name := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// ObjectsDir returns the objects directory of the git directory gitDir:
// its own, or for a linked worktree the one of the repository it belongs
// to (see CommonDir).
func ObjectsDir(gitDir string) string {
	return filepath.Join(CommonDir(gitDir), "objects")
}

// CommonDir returns the directory that holds the objects, refs and
// info/exclude of the git directory gitDir: gitDir itself, or for a linked
// worktree the one its commondir file names.
func CommonDir(gitDir string) string {
	b, err := os.ReadFile(filepath.Join(gitDir, "commondir"))
	if err != nil {
		return gitDir
	}
	common := strings.TrimSpace(string(b))
	if !filepath.IsAbs(common) {
		common = filepath.Join(gitDir, common)
	}
	return common
}

// IsFile reports whether a tree entry of this mode is a blob: a file, an
// executable or a symbolic link (whose blob is the link's target). A
// submodule's entry names a commit of another repository.
func IsFile(m filemode.FileMode) bool {
	return m == filemode.Regular || m == filemode.Executable || m == filemode.Symlink || m == filemode.Deprecated
}

// Safe runs f and turns a panic in it (go-git panics on some corrupt
// data) into an error naming what was being read. The panic value is kept
// only when it is a runtime error, whose text holds no scanned bytes.
func Safe(what string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if re, ok := p.(runtime.Error); ok {
				err = fmt.Errorf("%s: corrupt data (%v)", what, re)
				return
			}
			err = fmt.Errorf("%s: corrupt data", what)
		}
	}()
	return f()
}

// Short abbreviates a hash for messages.
func Short(h plumbing.Hash) string { return h.String()[:12] }

// Sized checks that a stream of object content holds exactly Size bytes
// and that zlib finds it whole.
type Sized struct {
	R    io.Reader
	Size int64
	n    int64
}

func (s *Sized) Read(p []byte) (int, error) {
	n, err := s.R.Read(p)
	s.n += int64(n)
	if s.n > s.Size {
		return n, fmt.Errorf("corrupt object: more than the %d bytes its header says", s.Size)
	}
	if err == io.EOF && s.n != s.Size {
		return n, fmt.Errorf("corrupt object: %d of the %d bytes its header says", s.n, s.Size)
	}
	if err == io.ErrUnexpectedEOF {
		err = errors.New("corrupt object: zlib stream cut short")
	}
	return n, err
}
