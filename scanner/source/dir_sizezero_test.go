package source

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/dtleaks/dtleaks/scanner"
)

// TestDirReadsSizeZeroToEOF (issue 11, item 11): a file that reports size 0
// but holds more than one read's worth (a /proc file gives a page per read)
// is read to its end, not to its first short read.
func TestDirReadsSizeZeroToEOF(t *testing.T) {
	const name = "/proc/self/smaps"
	fi, err := os.Stat(name)
	if err != nil || fi.Size() != 0 {
		t.Skip("no size-0 /proc file here")
	}
	want, err := os.ReadFile(name)
	if err != nil || len(want) < 3*4096 {
		t.Skip("the /proc file is too small to tell")
	}
	var got int64
	err = Dir{Roots: []string{name}}.Items(context.Background(), func(it scanner.Item, err error) error {
		if err != nil {
			return err
		}
		buf := make([]byte, 1<<20) // as scanner.Scan reads: far more than a page
		for {
			n, err := it.R.Read(buf)
			got += int64(n)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// The file changes as the process runs; a read to its end gives about
	// what os.ReadFile gave, far more than one page.
	if got < int64(len(want))/2 {
		t.Errorf("read %d bytes of %s; os.ReadFile reads %d", got, name, len(want))
	}
}
