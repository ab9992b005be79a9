package source

import (
	"context"
	"io"

	"github.com/dtleaks/dtleaks/scanner"
)

// Reader is a [scanner.Source] of one item read from R, such as standard
// input.
type Reader struct {
	R io.Reader
	// Name is the item's Path; empty means "-", standard input.
	Name string
}

// Items yields the one item. Scan reads it during the call, so a reader
// that blocks (a terminal, a pipe with no writer yet) delays the scan; ctx
// is checked before and after.
func (r Reader) Items(ctx context.Context, yield func(scanner.Item, error) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	name := r.Name
	if name == "" {
		name = "-"
	}
	if err := yield(scanner.Item{Path: name, R: r.R}, nil); err != nil {
		return err
	}
	return ctx.Err()
}
