package source

import (
	"context"
	"io"
	"io/fs"
	"syscall"

	"github.com/dtleaks/dtleaks/internal/archive"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// dirArchive yields the members of the archive f instead of its bytes (see
// package archive), nested down to depth levels.
func dirArchive(ctx context.Context, f *dirFile, depth int, yield func(scanner.Item, error) error) error {
	return archive.Walk(ctx, f.path, f, f.size, archive.Options{MaxDepth: depth}, func(name string, r io.Reader, err error) error {
		// Member names are content: a token in one is shown redacted,
		// as history does with names taken from commits.
		return yield(scanner.Item{Path: rules.Redact(name), R: r}, err)
	})
}

// ReadAt reads from the file at an offset, without moving its position:
// zip reads its directory at the end first.
func (f *dirFile) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		m, err := dirSysPread(f.fd, p[n:], off+int64(n))
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return n, &fs.PathError{Op: "read", Path: f.path, Err: err}
		case m == 0:
			return n, io.EOF
		}
		n += m
	}
	return n, nil
}

// RereadAt reads again bytes the file has given (scanner.Rereader): the
// scanner counts the lines of a window only once a later window holds a
// match, so a large file without findings costs no line counting.
func (f *dirFile) RereadAt(p []byte, off int64) (int, error) { return f.ReadAt(p, off) }
