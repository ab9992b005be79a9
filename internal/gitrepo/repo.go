// Package gitrepo opens a git repository on disk for the sources that read
// one: it finds the repository the way git does (a working tree or any
// directory below it, a bare repository, a linked worktree whose .git is a
// file, its commondir), opens its object store with bounded caches, follows
// the stores it borrows from (objects/info/alternates, absolute and relative
// paths alike), looks objects up in each store in turn, and turns a panic in
// go-git on corrupt data into an error ([Guard]). Its errors are typed for
// callers to check with errors.Is and errors.As: [ObjectError] names an
// object once, [ErrNotRepository], [ErrSHA256] and [ErrCorrupt] say what
// went wrong.
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
	"github.com/go-git/go-billy/v5/osfs"
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

// MaxObject bounds the size of an object, or of a delta, resolved in
// memory. Sizes in a pack are outside input: a delta of a few kilobytes
// can make a terabyte, and believing it would end the whole scan. git
// itself never deltifies an object above core.bigFileThreshold (512 MiB
// by default), so no pack git wrote needs more; an object of a pack
// another tool wrote beyond it is a problem, not a crash. A blob is
// streamed whatever its size.
const MaxObject = 1 << 30

// SizeError is an object whose size is beyond MaxObject.
type SizeError struct{ Size int64 }

func (e *SizeError) Error() string {
	return fmt.Sprintf("object of %d bytes: more than the %d bytes dtleaks resolves in memory", e.Size, int64(MaxObject))
}

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
	// Objects is the object store's directory, absolute: the git
	// directory's objects, or where git's environment puts it.
	Objects string

	// Alternates are the object stores the repository borrows from, and
	// AltProblems the ones it names and cannot be read (see Alternates).
	Alternates  []Alternate
	AltProblems []AltProblem
}

// Open finds the repository at path the way git does (a working tree, a
// subdirectory of one, a bare repository, a worktree whose .git is a file)
// and reopens its object store with bounded caches, with the stores it
// borrows from behind it. git's object-directory variables are read from
// the process environment (see OpenEnv).
func Open(path string) (*Repo, error) { return OpenEnv(path, nil) }

// openPath opens the repository found at path, as Open documents, with
// git's object-directory variables read through getenv (see build).
func openPath(path string, getenv func(string) string) (*Repo, error) {
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
	if err != nil && extensionErr(err) {
		if r, ok, oerr := openHarmless(path, getenv); ok {
			return r, oerr
		}
	}
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, &RepoError{path, ErrNotRepository}
		}
		if (errors.Is(err, git.ErrUnknownExtension) || errors.Is(err, git.ErrUnsupportedExtensionRepositoryFormatVersion)) && isSHA256(path) {
			return nil, &RepoError{path, fmt.Errorf("%w (%w)", err, ErrSHA256)}
		}
		return nil, &RepoError{path, err}
	}
	st0, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return nil, fmt.Errorf("%s: unsupported repository storage", path)
	}
	var worktree billy.Filesystem
	if wt, err := repo.Worktree(); err == nil {
		worktree = wt.Filesystem
	}
	return build(path, st0.Filesystem(), worktree, getenv)
}

// build opens the repository whose git directory is gitDir (commondir
// already resolved) and work tree worktree (nil when bare), with its
// object store where git's environment, read through getenv, puts it:
// GIT_OBJECT_DIRECTORY puts the object store elsewhere, and
// GIT_ALTERNATE_OBJECT_DIRECTORIES adds stores to borrow from, as git has
// them; GIT_QUARANTINE_PATH, without GIT_OBJECT_DIRECTORY, is the object
// store and the repository's own is borrowed from. During a pre-receive
// hook git sets them so that the pushed objects, which wait in a
// quarantine directory, are read with the repository's. name is what
// errors call the repository.
func build(name string, gitDir, worktree billy.Filesystem, getenv func(string) string) (*Repo, error) {
	objects := ObjectsDir(gitDir.Root())
	var extra []string
	if d := getenv("GIT_OBJECT_DIRECTORY"); d != "" {
		objects = absPath(d)
	} else if d := getenv("GIT_QUARANTINE_PATH"); d != "" {
		extra = append(extra, objects)
		objects = absPath(d)
	}
	if alt := getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES"); alt != "" {
		for _, d := range filepath.SplitList(alt) {
			if d != "" {
				extra = append(extra, absPath(d))
			}
		}
	}
	fs := newStoreFS(gitDir, osfs.New(objects), objects)
	hr := &Repo{FS: fs, Dir: dotgit.New(fs), Objects: objects}
	hr.Alternates, hr.AltProblems = Alternates(objects, extra...)
	hr.Store = hr.NewStorer()
	err := Guard(func() error {
		var err error
		hr.Repository, err = git.Open(hr.Store, worktree)
		return err
	})
	if err != nil {
		hr.Close()
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, &RepoError{name, ErrNotRepository}
		}
		return nil, &RepoError{name, err}
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

// absPath makes a path from git's environment absolute, relative to the
// current directory as git has it.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
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

// The type of a tree entry is in its mode's type bits, as git reads it:
// a directory's entry may carry permission bits (40755), and a file's any
// permission bits (100600, 100775), which git fsck warns about
// (badFilemode) and git reads and checks out as 100644 or 100755 all the
// same. What git reads, a scan reads.
const (
	modeType      = 0o170000
	modeDir       = 0o040000
	modeSubmodule = 0o160000
)

// IsFile reports whether a tree entry of this mode is a blob: a file, an
// executable or a symbolic link (whose blob is the link's target), with
// any permission bits. A submodule's entry names a commit of another
// repository.
func IsFile(m filemode.FileMode) bool {
	return m&modeType != modeDir && m&modeType != modeSubmodule
}

// IsDir reports whether a tree entry of this mode is a tree, with any
// permission bits.
func IsDir(m filemode.FileMode) bool { return m&modeType == modeDir }

// IsSubmodule reports whether a tree entry of this mode is a submodule's
// commit.
func IsSubmodule(m filemode.FileMode) bool { return m&modeType == modeSubmodule }

// ObjectReader reads the content of an object under the panic guard
// (see Guard): a panic while R inflates it, and any other read error but
// io.EOF, becomes an ObjectError naming the object.
type ObjectReader struct {
	R    io.Reader
	Op   string
	Hash plumbing.Hash
	Path string // where a tree has the object, if known
}

// Read reads the object's content; see ObjectReader.
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

// Read reads from R, and fails when R holds more or fewer than Size bytes.
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
