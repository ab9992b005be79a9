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
// looks for. The pack is indexed as it comes, on a goroutine reading what
// is written through a pipe.
func (s *packStorage) PackfileWriter() (io.WriteCloser, error) {
	packs := filepath.Join(s.dir, "objects", "pack")
	if err := os.MkdirAll(packs, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(packs, "tmp_pack_")
	if err != nil {
		return nil, err
	}
	idx, err := os.CreateTemp(packs, "tmp_idx_")
	if err != nil {
		return nil, errors.Join(err, f.Close(), os.Remove(f.Name()))
	}
	pr, pw := io.Pipe()
	w := &packWriter{s: s, f: f, idx: idx, w: bufio.NewWriterSize(f, 256<<10), pw: pw, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		bw := bufio.NewWriterSize(idx, 256<<10)
		w.sum, w.err = gitpack.IndexPackStream(s.ctx, pr, f, -1, bw)
		if w.err == nil {
			w.err = bw.Flush()
		}
		// A pack refused before its end fails the writes still coming.
		pr.CloseWithError(w.err)
	}()
	return w, nil
}

var _ storer.PackfileWriter = (*packStorage)(nil)

// packWriter writes a pack to a temporary file and, through a pipe, to
// the goroutine indexing it. Close waits for the index, and gives both
// files their names, pack first, as git does: a pack without its index
// is not yet part of the store.
type packWriter struct {
	s      *packStorage
	f, idx *os.File
	w      *bufio.Writer
	pw     *io.PipeWriter
	n      int64
	closed bool

	done chan struct{} // closed when the index is written, with sum, err
	sum  plumbing.Hash
	err  error
}

// Write writes p to the file and to the indexer. The indexer reads the
// file back only once the pipe is at its end, after Close has flushed it.
func (w *packWriter) Write(p []byte) (int, error) {
	if _, err := w.w.Write(p); err != nil {
		return 0, err
	}
	n, err := w.pw.Write(p)
	w.n += int64(n)
	return n, err
}

func (w *packWriter) Close() (err error) {
	if w.closed {
		return nil
	}
	w.closed = true
	defer func() {
		if err != nil {
			w.f.Close()
			w.idx.Close()
			os.Remove(w.f.Name())
			os.Remove(w.idx.Name())
		}
	}()
	ferr := w.w.Flush()
	w.pw.Close()
	<-w.done
	if w.n == 0 && ferr == nil {
		// Nothing came (go-git then says so): no pack to keep.
		return errors.Join(w.f.Close(), w.idx.Close(), os.Remove(w.f.Name()), os.Remove(w.idx.Name()))
	}
	if err := errors.Join(ferr, w.err); err != nil {
		return err
	}
	if err := errors.Join(w.idx.Close(), w.f.Close()); err != nil {
		return err
	}
	base := filepath.Join(filepath.Dir(w.f.Name()), "pack-"+w.sum.String())
	if err := os.Rename(w.f.Name(), base+".pack"); err != nil {
		return err
	}
	if err := os.Rename(w.idx.Name(), base+".idx"); err != nil {
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
