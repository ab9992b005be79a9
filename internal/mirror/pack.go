package mirror

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/dtleaks/dtleaks/internal/gitpack"
)

// packStorage is the object store of a new mirror with a faster way to
// take a pack: go-git's own indexes a received pack on one thread and
// inflates each object twice, and is most of the time a clone over HTTP
// takes. This one writes the pack to disk as it comes, then indexes it
// with [gitpack.IndexPack], deltas resolved on every core, as git
// index-pack does.
//
// It is for a first fetch only: with no object to say it has, go-git
// gets a pack whose deltas all have their base in it. A later fetch may
// get a thin pack (go-git asks for one when the server offers it), whose
// bases are objects of the mirror; IndexPack refuses those, go-git's own
// path takes them.
type packStorage struct {
	*filesystem.Storage
	ctx context.Context
	dir string // the mirror
}

// PackfileWriter implements storer.PackfileWriter, which go-git's fetch
// looks for.
func (s *packStorage) PackfileWriter() (io.WriteCloser, error) {
	packs := filepath.Join(s.dir, "objects", "pack")
	if err := os.MkdirAll(packs, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(packs, "tmp_pack_")
	if err != nil {
		return nil, err
	}
	return &packWriter{s: s, f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

var _ storer.PackfileWriter = (*packStorage)(nil)

// packWriter writes a pack to a temporary file, and on Close indexes it
// and gives both their names, pack first, as git does: a pack without
// its index is not yet part of the store.
type packWriter struct {
	s      *packStorage
	f      *os.File
	w      *bufio.Writer
	n      int64
	closed bool
}

func (w *packWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.n += int64(n)
	return n, err
}

func (w *packWriter) Close() (err error) {
	if w.closed {
		return nil
	}
	w.closed = true
	idxName := ""
	defer func() {
		if err != nil {
			w.f.Close()
			os.Remove(w.f.Name())
			if idxName != "" {
				os.Remove(idxName)
			}
		}
	}()
	if err := w.w.Flush(); err != nil {
		return err
	}
	if w.n == 0 {
		// Nothing came (go-git then says so): no pack to keep.
		return errors.Join(w.f.Close(), os.Remove(w.f.Name()))
	}
	idx, err := os.CreateTemp(filepath.Dir(w.f.Name()), "tmp_idx_")
	if err != nil {
		return err
	}
	idxName = idx.Name()
	bw := bufio.NewWriterSize(idx, 256<<10)
	sum, err := gitpack.IndexPack(w.s.ctx, w.f, w.n, bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		idx.Close()
		return err
	}
	if err := errors.Join(idx.Close(), w.f.Close()); err != nil {
		return err
	}
	base := filepath.Join(filepath.Dir(w.f.Name()), "pack-"+sum.String())
	if err := os.Rename(w.f.Name(), base+".pack"); err != nil {
		return err
	}
	if err := os.Rename(idxName, base+".idx"); err != nil {
		return err
	}
	// The store lists its packs once: make it look again.
	w.s.Reindex()
	return nil
}

// fresh reports whether the store has no reference to an object, so
// that a fetch into it says it has nothing.
func fresh(s storer.ReferenceStorer) (bool, error) {
	refs, err := s.IterReferences()
	if err != nil {
		return false, err
	}
	defer refs.Close()
	for {
		ref, err := refs.Next()
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if ref.Type() == plumbing.HashReference {
			return false, nil
		}
	}
}
