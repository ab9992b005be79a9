//go:build unix

package scanner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

// TestScanMappedShrank: a mapped file cut shorter while it is scanned makes
// the reads of its lost pages fault. The item's error is then ErrMapFault,
// the findings before the cut are kept, the bytes counted are those
// before it, and the process lives on.
func TestScanMappedShrank(t *testing.T) {
	g := tokentest.New(41)
	first, second := g.Token("dt0c01").Text, g.Token("dt0c01").Text
	data := bytes.Repeat([]byte("text\n"), 256<<10/5)
	copy(data[100:], first)
	copy(data[200<<10:], second)
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, len(data), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	if err := os.Truncate(path, 64<<10); err != nil {
		t.Fatal(err)
	}
	fs, n, err := scanItem(context.Background(), Item{Path: "f", R: &mappedReader{Reader: bytes.NewReader(nil), data: m}}, &rules.Matcher{}, make([]byte, 0, 4096+rules.MaxSpan))
	if !errors.Is(err, ErrMapFault) {
		t.Fatalf("err %v, want ErrMapFault", err)
	}
	// The bytes counted are those of the windows searched, all before
	// the cut: not the whole file, which was not read.
	if n <= 0 || n > 64<<10 {
		t.Errorf("%d bytes counted, want those before the cut at %d", n, 64<<10)
	}
	if len(fs) != 1 || fs[0].Offset != 100 || string(fs[0].ID) != first[:31] {
		t.Errorf("%d findings (%v), want the one at offset 100", len(fs), err)
	}
}
