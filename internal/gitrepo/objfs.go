package gitrepo

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	billy "github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/dtleaks/dtleaks/internal/regfile"
)

// storeFS is a git directory as go-git reads it, with two things git
// allows that go-git does not: its objects directory anywhere (git's
// GIT_OBJECT_DIRECTORY, a pre-receive hook's quarantine, a borrowed store
// not named "objects"), and packs of any name (git reads every
// objects/pack/*.idx beside its .pack; go-git only pack-<hash>.pack). A
// pack of another name is shown to go-git under an alias,
// pack-<alias>.pack, whose files it maps back to the real ones.
type storeFS struct {
	billy.Filesystem                  // the git directory
	objects          billy.Filesystem // the objects directory
	alias            map[string]string
	real             map[plumbing.Hash]string // alias to the pack's real name
	// hidden are the files of the packs whose index go-git must not
	// read (see checkIndex), and refused those packs, with why.
	hidden  map[string]bool
	refused []AltProblem
}

// packName is git's own name of a pack file.
var packName = regexp.MustCompile(`^pack-[0-9a-f]{40}\.`)

// Extensions of the files of a pack.
var packExts = []string{"pack", "idx", "promisor", "keep", "rev", "mtimes", "bitmap"}

// newStoreFS returns the git directory gitDir with its objects in the
// directory objects (absolute), read through objFS.
func newStoreFS(gitDir, objFS billy.Filesystem, objects string) *storeFS {
	s := &storeFS{Filesystem: gitDir, objects: objFS,
		alias: map[string]string{}, real: map[plumbing.Hash]string{}, hidden: map[string]bool{}}
	ents, err := os.ReadDir(filepath.Join(objects, "pack"))
	if err != nil {
		return s // no packs, or a listing go-git will fail on too
	}
	have := map[string]bool{}
	for _, e := range ents {
		have[e.Name()] = true
	}
	for _, e := range ents {
		base, ok := strings.CutSuffix(e.Name(), ".idx")
		if !ok || !have[base+".pack"] {
			continue
		}
		if err := checkIndex(filepath.Join(objects, "pack", e.Name())); err != nil {
			// go-git reads every index at its first lookup, and one it
			// cannot read fails every lookup; one that lies about its
			// size has it allocate what it claims.
			s.hidden[base+".pack"], s.hidden[e.Name()] = true, true
			s.refused = append(s.refused, AltProblem{Path: "pack/" + base + ".pack",
				Err: fmt.Errorf("its index cannot be read: %w; the pack is not scanned", err)})
			continue
		}
		if packName.MatchString(e.Name()) {
			continue
		}
		// go-git checks a pack's name against the pack checksum its
		// index ends with, as git names packs.
		h, ok := idxPackSum(filepath.Join(objects, "pack", e.Name()))
		if !ok || have["pack-"+h.String()+".pack"] || s.real[h] != "" {
			continue // a copy of a pack read under its own name
		}
		s.real[h] = base
		for _, ext := range packExts {
			s.alias["pack-"+h.String()+"."+ext] = base + "." + ext
		}
	}
	return s
}

// checkIndex checks what go-git trusts in a pack index before it sizes
// its tables by it: the header of version 2 (which is all go-git reads),
// a fan-out table that never decreases, and an object count the file's
// size can hold.
func checkIndex(name string) error {
	// Checked before it is opened: opening a FIFO would block.
	if fi, err := os.Stat(name); err != nil {
		return err
	} else if !fi.Mode().IsRegular() {
		return errors.New("not a regular file")
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	var head [8 + 256*4]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return errors.New("cut short")
	}
	if string(head[:4]) != "\377tOc" || binary.BigEndian.Uint32(head[4:]) != 2 {
		return errors.New("not a version 2 pack index")
	}
	prev := uint32(0)
	for i := range 256 {
		n := binary.BigEndian.Uint32(head[8+4*i:])
		if n < prev {
			return errors.New("malformed fan-out table")
		}
		prev = n
	}
	if int64(prev)*(20+4+4)+int64(len(head))+40 > fi.Size() {
		return fmt.Errorf("it claims %d objects, more than its %d bytes can hold", prev, fi.Size())
	}
	return nil
}

// PackProblems returns the packs of the store whose git directory fs
// is that are not read, with why (see checkIndex); their paths are
// relative to the objects directory.
func PackProblems(fs billy.Filesystem) []AltProblem {
	if s, ok := fs.(*storeFS); ok {
		return s.refused
	}
	return nil
}

// idxPackSum returns the checksum of its pack that a pack index ends
// with.
func idxPackSum(name string) (plumbing.Hash, bool) {
	f, err := os.Open(name)
	if err != nil {
		return plumbing.ZeroHash, false
	}
	defer f.Close()
	var h plumbing.Hash
	fi, err := f.Stat()
	if err != nil || fi.Size() < 40 {
		return h, false
	}
	if _, err := f.ReadAt(h[:], fi.Size()-40); err != nil {
		return h, false
	}
	return h, !h.IsZero()
}

// PackFile is the name, in objects/pack, of the pack go-git knows as h
// in the store whose git directory fs is: pack-<h>.pack, or the real name
// of a pack of another name (see storeFS).
func PackFile(fs billy.Filesystem, h plumbing.Hash) string {
	if s, ok := fs.(*storeFS); ok {
		if base, ok := s.real[h]; ok {
			return base + ".pack"
		}
	}
	return "pack-" + h.String() + ".pack"
}

// route returns the file system and the path in it of a path of the git
// directory.
func (s *storeFS) route(p string) (billy.Filesystem, string) {
	c := path.Clean(filepath.ToSlash(p))
	if c == "objects" {
		return s.objects, "."
	}
	rest, ok := strings.CutPrefix(c, "objects/")
	if !ok {
		return s.Filesystem, p
	}
	if name, ok := strings.CutPrefix(rest, "pack/"); ok {
		if real, ok := s.alias[name]; ok {
			rest = "pack/" + real
		}
	}
	return s.objects, rest
}

func (s *storeFS) Open(p string) (billy.File, error) {
	f, q := s.route(p)
	if err := openable(f, q, p); err != nil {
		return nil, err
	}
	return s.named(f, p)(f.Open(q))
}

func (s *storeFS) OpenFile(p string, flag int, perm os.FileMode) (billy.File, error) {
	f, q := s.route(p)
	if err := openable(f, q, p); err != nil {
		return nil, err
	}
	return s.named(f, p)(f.OpenFile(q, flag, perm))
}

// openable refuses, with an error wrapping [regfile.ErrNotRegular] that
// names it by p (its path in the git directory, "refs/heads/main"), a
// FIFO, device or socket at q in dir: go-git opens every file of the git
// directory (loose refs, packed-refs, loose objects) with a plain open,
// which a FIFO would block for ever. What cannot be stat'ed is left to the
// open, whose error go-git tells apart (a ref gone since it was listed).
func openable(dir billy.Filesystem, q, p string) error {
	fi, err := dir.Stat(q)
	if err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeDevice|os.ModeCharDevice|os.ModeSocket|os.ModeIrregular) == 0 {
		return nil
	}
	return &GitFileError{Path: path.Clean(filepath.ToSlash(p)), Err: regfile.ErrNotRegular}
}

func (s *storeFS) Create(p string) (billy.File, error) {
	f, q := s.route(p)
	return s.named(f, p)(f.Create(q))
}

// named makes a file of the objects directory go by the path it was
// opened by: go-git opens a pack again by its file's Name (to read a
// large object lazily), which must lead back here.
func (s *storeFS) named(fs billy.Filesystem, p string) func(billy.File, error) (billy.File, error) {
	return func(f billy.File, err error) (billy.File, error) {
		if err != nil || fs != s.objects {
			return f, err
		}
		return namedFile{f, p}, nil
	}
}

// namedFile is a file under the name it was opened by.
type namedFile struct {
	billy.File
	name string
}

func (f namedFile) Name() string { return f.name }

func (s *storeFS) Stat(p string) (os.FileInfo, error) {
	f, q := s.route(p)
	return f.Stat(q)
}

func (s *storeFS) Lstat(p string) (os.FileInfo, error) {
	f, q := s.route(p)
	return f.Lstat(q)
}

func (s *storeFS) Remove(p string) error {
	f, q := s.route(p)
	return f.Remove(q)
}

func (s *storeFS) MkdirAll(p string, perm os.FileMode) error {
	f, q := s.route(p)
	return f.MkdirAll(q, perm)
}

func (s *storeFS) TempFile(dir, prefix string) (billy.File, error) {
	f, q := s.route(dir)
	return f.TempFile(q, prefix)
}

func (s *storeFS) Rename(from, to string) error {
	f1, q1 := s.route(from)
	f2, q2 := s.route(to)
	if f1 != f2 {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: errors.ErrUnsupported}
	}
	return f1.Rename(q1, q2)
}

// ReadDir lists a directory; objects/pack lists each pack of another name
// under its alias.
func (s *storeFS) ReadDir(p string) ([]os.FileInfo, error) {
	f, q := s.route(p)
	infos, err := f.ReadDir(q)
	if err != nil || f != s.objects || path.Clean(q) != "pack" || len(s.real) == 0 && len(s.hidden) == 0 {
		return infos, err
	}
	back := map[string]string{}
	for a, r := range s.alias {
		back[r] = a
	}
	out := infos[:0]
	for _, fi := range infos {
		if s.hidden[fi.Name()] {
			continue
		}
		if a, ok := back[fi.Name()]; ok {
			fi = renamed{fi, a}
		}
		out = append(out, fi)
	}
	return out, nil
}

// renamed is a file's information under another name.
type renamed struct {
	fs.FileInfo
	name string
}

func (r renamed) Name() string { return r.name }
