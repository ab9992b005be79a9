// Package archive opens the archives a directory scan meets (zip and the
// formats built on it: jar, war, ear, apk, aar; tar; gzip, and tar inside
// gzip) and hands each member file to the scan as a stream, named by the
// archive's path, "!" and the member's path: "bundle.zip!config/app.env".
//
// Memory stays bounded: tar and gzip are read as streams, a zip on disk
// through its io.ReaderAt, and only a zip inside another archive (zip needs
// random access) is held in memory, up to [Options.MaxNestedZip]. Archives
// inside archives are opened down to [Options.MaxDepth]. Every archive has a
// budget of uncompressed bytes ([Options.MaxTotal]), so a zip bomb costs a
// bounded time. Whatever is not read (a corrupt or encrypted archive or
// member, one nested too deep or too large, a budget spent) is a problem
// naming it, never a silent stop.
package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Sep separates an archive's path from a member's path in the names Walk
// gives.
const Sep = "!"

// Defaults of the zero Options fields.
const (
	DefaultMaxDepth     = 2
	DefaultMaxTotal     = 1 << 30 // 1 GiB uncompressed per archive on disk
	DefaultMaxNestedZip = 64 << 20
)

// Errors of what could not be read, for callers to tell apart.
var (
	// ErrBudget is the error of the member whose reading spent the
	// archive's budget of uncompressed bytes: it and the members after it
	// are not (wholly) scanned.
	ErrBudget = errors.New("archive: uncompressed size over the budget (a zip bomb?): the rest of the archive is not scanned")
	// ErrEncrypted is the problem of an encrypted zip member.
	ErrEncrypted = errors.New("archive: encrypted member: not scanned")
	// ErrTooDeep is the problem of an archive nested deeper than
	// Options.MaxDepth: its bytes are scanned as they are, its members
	// are not.
	ErrTooDeep = errors.New("archive: nested deeper than the maximum archive depth: members not scanned")
	// ErrNestedTooLarge is the problem of a zip inside another archive
	// that is larger than Options.MaxNestedZip.
	ErrNestedTooLarge = errors.New("archive: nested zip larger than the in-memory bound: members not scanned")
)

// Options bound the work of Walk.
type Options struct {
	// MaxDepth is how many levels of archives are opened: 1 opens the
	// archive on disk only, 2 also the archives inside it. 0 means
	// DefaultMaxDepth.
	MaxDepth int
	// MaxTotal is the budget of uncompressed bytes read from one archive
	// on disk, members of nested archives included. 0 means
	// DefaultMaxTotal.
	MaxTotal int64
	// MaxNestedZip bounds the size of a zip inside another archive, which
	// is read into memory. 0 means DefaultMaxNestedZip.
	MaxNestedZip int64
}

// Kind is an archive format, as a file's name tells it.
type Kind uint8

// The formats Walk opens.
const (
	None  Kind = iota
	Zip        // .zip, .jar, .war, .ear, .apk, .aar
	Tar        // .tar
	TarGz      // .tar.gz, .tgz
	Gzip       // .gz: one compressed file
)

// KindOf returns the format a file's name says it has.
func KindOf(name string) Kind {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".tar.gz") || strings.HasSuffix(n, ".tgz"):
		return TarGz
	case strings.HasSuffix(n, ".gz"):
		return Gzip
	case strings.HasSuffix(n, ".tar"):
		return Tar
	}
	switch path.Ext(n) {
	case ".zip", ".jar", ".war", ".ear", ".apk", ".aar":
		return Zip
	}
	return None
}

// Yield receives each member file (r set) or a problem (err set), named as
// in the package comment. r is valid only during the call. An error Yield
// returns stops Walk and is returned by it.
type Yield func(name string, r io.Reader, err error) error

// walker is one Walk: its options and the budget left.
type walker struct {
	ctx   context.Context
	opts  Options
	left  int64
	yield Yield
	spent bool
}

// Walk opens the archive on disk name (its format from KindOf), of size
// bytes read through ra, and yields each member file. An archive whose
// format cannot be read is a problem, and its bytes are then yielded as
// they are, so nothing is lost. Walk returns only the context's error or
// Yield's.
func Walk(ctx context.Context, name string, ra io.ReaderAt, size int64, opts Options, yield Yield) error {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.MaxTotal <= 0 {
		opts.MaxTotal = DefaultMaxTotal
	}
	if opts.MaxNestedZip <= 0 {
		opts.MaxNestedZip = DefaultMaxNestedZip
	}
	w := &walker{ctx: ctx, opts: opts, left: opts.MaxTotal, yield: yield}
	kind := KindOf(name)
	var err error
	if kind == Zip {
		err = w.zip(name, ra, size, 1)
	} else {
		err = w.stream(name, kind, io.NewSectionReader(ra, 0, size), 1)
	}
	var fe *formatError
	if errors.As(err, &fe) {
		if err := yield(name, nil, fe.err); err != nil {
			return err
		}
		return yield(name, io.NewSectionReader(ra, 0, size), nil)
	}
	return err
}

// formatError is an archive that could not be opened at all.
type formatError struct{ err error }

func (e *formatError) Error() string { return e.err.Error() }

// zip yields the members of a zip archive. A format error of the archive
// itself is returned as a *formatError; a member's is yielded.
func (w *walker) zip(name string, ra io.ReaderAt, size int64, depth int) error {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return &formatError{fmt.Errorf("not a readable zip archive: %w", err)}
	}
	for _, f := range zr.File {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if w.spent {
			return nil
		}
		if f.FileInfo().IsDir() || !f.Mode().IsRegular() {
			continue
		}
		member := name + Sep + f.Name
		if f.Flags&0x1 != 0 {
			if err := w.yield(member, nil, ErrEncrypted); err != nil {
				return err
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			if err := w.yield(member, nil, fmt.Errorf("archive: %w", err)); err != nil {
				return err
			}
			continue
		}
		err = w.member(member, rc, depth)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// stream yields the members of a tar, tar.gz or gz read from r.
func (w *walker) stream(name string, kind Kind, r io.Reader, depth int) error {
	if kind == Gzip || kind == TarGz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return &formatError{fmt.Errorf("not a readable gzip file: %w", err)}
		}
		defer zr.Close()
		if kind == Gzip {
			base := path.Base(name[strings.LastIndex(name, Sep)+1:])
			inner := base[:len(base)-len(".gz")]
			return w.member(name+Sep+inner, zr, depth)
		}
		r = zr
	}
	tr := tar.NewReader(r)
	for first := true; ; first = false {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if w.spent {
			return nil
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if first {
				return &formatError{fmt.Errorf("not a readable tar archive: %w", err)}
			}
			// The members after a corrupt header cannot be found.
			return w.yield(name, nil, fmt.Errorf("archive: corrupt after the members read so far: %w", err))
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if err := w.member(name+Sep+strings.TrimPrefix(h.Name, "./"), tr, depth); err != nil {
			return err
		}
	}
}

// member yields one member file, or opens it when it is an archive.
func (w *walker) member(name string, r io.Reader, depth int) error {
	br := &budgetReader{r: r, w: w}
	kind := KindOf(name)
	if kind == None {
		return w.yield(name, br, nil)
	}
	if depth >= w.opts.MaxDepth {
		if err := w.yield(name, nil, ErrTooDeep); err != nil {
			return err
		}
		return w.yield(name, br, nil)
	}
	var err error
	if kind == Zip {
		var b []byte
		b, err = io.ReadAll(io.LimitReader(br, w.opts.MaxNestedZip+1))
		switch {
		case errors.Is(err, ErrBudget):
			return w.yield(name, nil, err)
		case err != nil:
			return w.yield(name, nil, fmt.Errorf("archive: %w", err))
		case int64(len(b)) > w.opts.MaxNestedZip:
			return w.yield(name, nil, ErrNestedTooLarge)
		}
		err = w.zip(name, bytes.NewReader(b), int64(len(b)), depth+1)
	} else {
		err = w.stream(name, kind, br, depth+1)
	}
	var fe *formatError
	if errors.As(err, &fe) {
		// A member named like an archive that is not one: a problem,
		// and what is left of it is scanned as it is.
		return w.yield(name, nil, fe.err)
	}
	if errors.Is(err, ErrBudget) {
		return w.yield(name, nil, err)
	}
	return err
}

// budgetReader counts the uncompressed bytes read against the archive's
// budget, and fails with ErrBudget once it is spent.
type budgetReader struct {
	r io.Reader
	w *walker
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.w.spent {
		return 0, ErrBudget
	}
	if int64(len(p)) > b.w.left+1 {
		p = p[:b.w.left+1]
	}
	n, err := b.r.Read(p)
	b.w.left -= int64(n)
	if b.w.left < 0 {
		b.w.spent = true
		return n, ErrBudget
	}
	if err != nil && err != io.EOF {
		err = fmt.Errorf("archive: %w", err)
	}
	return n, err
}
