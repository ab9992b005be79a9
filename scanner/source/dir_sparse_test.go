package source

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/scanner"
)

// TestDirSparseFile (issue 11, item 20): a 1 TiB sparse file with a token
// at its end is scanned by skipping its hole (reading it would take hours
// at the page cache's speed), and the token is at its line and column.
func TestDirSparseFile(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		t.Skip("holes are read as zeros here")
	}
	tok := tokentest.New(1121).Token("dt0c01")
	p := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	const size = 1 << 40
	tail := "\nx " + tok.Text + "\n"
	if err := f.Truncate(size); err != nil {
		t.Skip("no sparse files here:", err)
	}
	if _, err := f.WriteAt([]byte(tail), size-int64(len(tail))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	df, err := dirOpen(p, true)
	if err != nil {
		t.Fatal(err)
	}
	z, err := df.ZerosAhead()
	df.Close()
	if err != nil || z == 0 {
		t.Skip("this file system does not report holes")
	}
	// The test's own bound, not a speed target: reading the hole would
	// run for hours; skipping it takes milliseconds.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := scanner.Scan(ctx, Dir{Roots: []string{p}}, scanner.Options{})
	if err != nil {
		t.Fatalf("scan: %v (the hole was read, not skipped)", err)
	}
	if len(res.Problems) > 0 || len(res.Findings) != 1 {
		t.Fatalf("%d findings, problems %v", len(res.Findings), res.Problems)
	}
	if f := res.Findings[0]; string(f.ID) != tok.ID || f.Line != 2 || f.Column != 3 || f.Offset != size-int64(len(tail))+3 {
		t.Errorf("found %s at %d:%d @%d; want 2:3 @%d", f.ID, f.Line, f.Column, f.Offset, size-int64(len(tail))+3)
	}
	if res.Stats.Bytes != size {
		t.Errorf("counted %d bytes; want %d", res.Stats.Bytes, int64(size))
	}
}
