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
	"strings"

	billy "github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"

	"github.com/dtleaks/dtleaks/internal/regfile"
)

// Bounds on what a repository keeps in memory: the shared object cache of
// a storage, and the size above which a packed object no delta is built on
// is streamed rather than inflated in memory.
const (
	ObjectCache = 32 << 20
	LargeObject = 1 << 20
)

// Repo is an open repository with the storage its objects are read
// through. Every lookup through the embedded go-git repository (revisions,
// trees, blobs) goes through Store, and so follows alternates.
type Repo struct {
	*git.Repository
	// Store is the object storage go-git reads through: the repository's
	// own, with the stores it borrows from behind it. It is not safe for
	// concurrent use (see NewStorer).
	Store *Storer
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
// and reopens its object store with bounded caches, with the stores it
// borrows from behind it.
func Open(path string) (*Repo, error) {
	// go-git opens these with a plain open, which a FIFO put in their
	// place would block for ever: refuse anything but regular files.
	if gitDir := findGitDir(path); gitDir != "" {
		common := CommonDir(gitDir)
		for _, p := range []string{filepath.Join(gitDir, "HEAD"), filepath.Join(common, "packed-refs"), filepath.Join(common, "config"), filepath.Join(gitDir, "config.worktree")} {
			if err := regfile.Check(p); err != nil {
				return nil, err
			}
		}
	}
	var repo *git.Repository
	err := Guard(func() error {
		var err error
		// A bare repository has no .git to detect, and detecting one
		// would find the working tree a bare repository sits in.
		detect := !IsBare(path)
		repo, err = git.PlainOpenWithOptions(path, &git.PlainOpenOptions{DetectDotGit: detect, EnableDotGitCommonDir: true})
		return err
	})
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, fmt.Errorf("%s: %w", path, ErrNotRepository)
		}
		if (errors.Is(err, git.ErrUnknownExtension) || errors.Is(err, git.ErrUnsupportedExtensionRepositoryFormatVersion)) && isSHA256(path) {
			return nil, fmt.Errorf("%s: %w (%w)", path, err, ErrSHA256)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	st0, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return nil, fmt.Errorf("%s: unsupported repository storage", path)
	}
	var worktree billy.Filesystem
	if wt, err := repo.Worktree(); err == nil {
		worktree = wt.Filesystem
	}
	fs := st0.Filesystem()
	hr := &Repo{FS: fs, Dir: dotgit.New(fs)}
	hr.Alternates, hr.AltProblems = Alternates(ObjectsDir(fs.Root()))
	hr.Store = hr.NewStorer()
	if hr.Repository, err = git.Open(hr.Store, worktree); err != nil {
		hr.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return hr, nil
}

// NewStorage opens the object storage of the git directory fs with the
// bounds a scan reads under: a bounded object cache, large objects
// streamed, pack files kept open. go-git's own reading of
// objects/info/alternates is turned off (it follows absolute paths only,
// and each lookup it makes would reread the file): Storer follows them.
func NewStorage(fs billy.Filesystem) *filesystem.Storage {
	return filesystem.NewStorageWithOptions(fs, cache.NewObjectLRU(ObjectCache),
		filesystem.Options{LargeObjectThreshold: LargeObject, KeepDescriptors: true, AlternatesFS: memfs.New()})
}

// NewStorer returns a fresh storer on the repository's object store and
// those it borrows from, for a worker that reads objects beside others: a
// storage is not safe for concurrent use.
func (r *Repo) NewStorer() *Storer {
	s := &Storer{Storage: NewStorage(r.FS)}
	for _, a := range r.Alternates {
		s.alts = append(s.alts, NewStorage(a.FS))
	}
	return s
}

// isSHA256 reports whether the repository at path, found as Open finds
// it, names its objects by SHA-256 (extensions.objectFormat).
func isSHA256(path string) bool {
	gitDir := findGitDir(path)
	if gitDir == "" {
		return false
	}
	f, err := regfile.Open(filepath.Join(CommonDir(gitDir), "config"))
	if err != nil {
		return false
	}
	defer f.Close()
	cfg, err := config.ReadConfig(f)
	return err == nil && strings.EqualFold(cfg.Raw.Section("extensions").Option("objectformat"), "sha256")
}

// findGitDir returns the git directory of the repository at path: path
// itself when it is bare, else the .git found in it or the nearest
// directory above, following a .git file ("gitdir: ") of a linked
// worktree or submodule. It returns "" when there is none.
func findGitDir(path string) string {
	if IsBare(path) {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	for d := abs; ; d = filepath.Dir(d) {
		p := filepath.Join(d, ".git")
		if fi, err := os.Stat(p); err == nil {
			if fi.IsDir() {
				return p
			}
			b, err := regfile.ReadFile(p, smallFile)
			if err != nil {
				return ""
			}
			dir, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir:")
			if !ok {
				return ""
			}
			if dir = strings.TrimSpace(dir); !filepath.IsAbs(dir) {
				dir = filepath.Join(d, dir)
			}
			return dir
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// smallFile bounds what is read of a file that holds one path (a .git
// file, commondir).
const smallFile = 1 << 20

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
	b, err := regfile.ReadFile(filepath.Join(gitDir, "commondir"), smallFile)
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

// ObjectReader reads the content of an object under the panic guard
// (see Guard): a panic while R inflates it, and any other read error but
// io.EOF, becomes an ObjectError naming the object.
type ObjectReader struct {
	R    io.Reader
	Op   string
	Hash plumbing.Hash
	Path string // where a tree has the object, if known
}

func (r *ObjectReader) Read(p []byte) (n int, err error) {
	err = Guard(func() error {
		var err error
		n, err = r.R.Read(p)
		return err
	})
	if err != nil && err != io.EOF {
		var oe *ObjectError
		if !errors.As(err, &oe) || oe.Hash != r.Hash {
			err = &ObjectError{Op: r.Op, Hash: r.Hash, Path: r.Path, Err: err}
		}
	}
	return n, err
}

// NewObjectReader returns rc read as an ObjectReader, and closed as rc.
func NewObjectReader(rc io.ReadCloser, op string, h plumbing.Hash, path string) io.ReadCloser {
	return struct {
		io.Reader
		io.Closer
	}{&ObjectReader{R: rc, Op: op, Hash: h, Path: path}, rc}
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

// Object reads an object from the repository's store or, when it is not
// there, from the stores it borrows from.
func (r *Repo) Object(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	return r.Store.EncodedObject(t, h)
}

// Close closes the repository's storages.
func (r *Repo) Close() { r.Store.Close() }
