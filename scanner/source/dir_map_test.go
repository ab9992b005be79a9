//go:build unix

package source

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/scanner"
)

// TestDirFileMap: a regular file of dirMapMin bytes or more, dense and not
// yet read, is mapped, its bytes as they are on disk, until it is closed;
// a smaller file, a sparse one and one already read from are not.
func TestDirFileMap(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef\n"), dirMapMin/17+1)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	open := func(p string) *dirFile {
		f, err := dirOpen(p, true)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}

	f := open(write("big", big))
	if m := f.Map(); !bytes.Equal(m, big) {
		t.Fatalf("mapped %d bytes, not the file's %d", len(m), len(big))
	}
	if err := f.Close(); err != nil || f.mapped != nil {
		t.Fatalf("close: %v, mapping %d bytes left", err, len(f.mapped))
	}

	f = open(write("small", big[:dirMapMin-1]))
	if m := f.Map(); m != nil {
		t.Errorf("a file under dirMapMin mapped")
	}
	f.Close()

	f = open(filepath.Join(dir, "big"))
	if _, err := f.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if m := f.Map(); m != nil {
		t.Errorf("a file read from mapped")
	}
	f.Close()

	p := filepath.Join(dir, "sparse")
	sf, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sf.WriteAt([]byte("x"), 64<<20); err != nil {
		t.Fatal(err)
	}
	sf.Close()
	f = open(p)
	if !f.sparse {
		f.Close()
		t.Skip("this file system keeps no holes")
	}
	if m := f.Map(); m != nil {
		t.Errorf("a sparse file mapped")
	}
	f.Close()
}

// TestDirMappedScan: the tokens of a file large enough to be mapped are
// found at the lines and columns the same bytes get when read, in a file
// of their own and among others.
func TestDirMappedScan(t *testing.T) {
	g := tokentest.New(2604)
	var b strings.Builder
	var want []string
	for line := 1; b.Len() < 3*dirMapMin; line++ {
		if line%5000 == 0 {
			tok := g.Token("dt0c01")
			fmt.Fprintf(&b, "é%d %s\r\n", line, tok.Text)
			want = append(want, fmt.Sprintf("%s %d:%d", tok.ID, line, 3+len(fmt.Sprint(line))))
			continue
		}
		fmt.Fprintf(&b, "line %d of text\n", line)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "big.txt")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("small%d", i)), []byte("nothing here\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, root := range []string{p, dir} {
		res, err := scanner.Scan(context.Background(), Dir{Roots: []string{root}}, scanner.Options{})
		if err != nil || len(res.Problems) > 0 {
			t.Fatalf("%s: %v %v", root, err, res.Problems)
		}
		var got []string
		for _, f := range res.Findings {
			got = append(got, fmt.Sprintf("%s %d:%d", f.ID, f.Line, f.Column))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: found\n%s\nwant\n%s", root, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if res.Stats.Bytes < int64(b.Len()) {
			t.Errorf("%s: %d bytes scanned, the file has %d", root, res.Stats.Bytes, b.Len())
		}
	}
}
