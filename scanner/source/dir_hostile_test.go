package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/scanner"
)

// TestDirHostileChangedWhileRead changes a file between two reads of it:
// truncated, deleted, grown. The read never fails or blocks; it ends at
// the end the file has: truncated, what is left; deleted, the whole file,
// still open; grown, at least the size it had when opened (a read that
// fills the buffer goes on, so what was appended by then is read too).
func TestDirHostileChangedWhileRead(t *testing.T) {
	g := tokentest.New(800)
	head, tail := g.Token("dt0c01"), g.Token("dt0s16")
	content := append([]byte(head.Text+"\n"), bytes.Repeat([]byte("x"), 3<<20)...)
	content = append(content, "\n"+tail.Text+"\n"...)
	cases := []struct {
		name   string
		change func(path string) error
		want   int // bytes read in all, at least for "grown"
	}{
		{"truncated", func(p string) error { return os.Truncate(p, 100) }, 1 << 20},
		{"truncated to zero", func(p string) error { return os.Truncate(p, 0) }, 1 << 20},
		{"deleted", os.Remove, len(content)},
		{"grown", func(p string) error {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write(bytes.Repeat([]byte("y"), 5<<20))
			return err
		}, len(content)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f")
			if err := os.WriteFile(p, content, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := dirOpen(p, true)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			buf := make([]byte, 1<<20)
			n, err := io.ReadFull(f, buf)
			if n != len(buf) || err != nil {
				t.Fatalf("first read: %d bytes, %v", n, err)
			}
			if err := c.change(p); err != nil {
				t.Fatal(err)
			}
			rest, err := io.ReadAll(f)
			if err != nil {
				t.Errorf("read after the change: %v", err)
			}
			if got := n + len(rest); got != c.want && !(c.name == "grown" && got > c.want) {
				t.Errorf("read %d bytes in all; want %d", got, c.want)
			}
		})
	}
}

// TestDirHostileMutating runs whole scans, in process (so that -race sees
// the walker's goroutines), while another goroutine creates, grows,
// truncates, renames and deletes files and directories among files it
// never touches. Every scan ends, every untouched token is found once, and
// problems name only paths that were changing.
func TestDirHostileMutating(t *testing.T) {
	root := t.TempDir()
	g := tokentest.New(801)
	want := map[string]string{}
	for i := range 60 {
		rel := fmt.Sprintf("d%d/keep%02d.txt", i%4, i)
		tok := g.Token("dt0c01")
		want[rel] = tok.ID
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, rel), []byte("x\n"+tok.Text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	churn := g.Token("dt0c01").Text

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rnd := rand.New(rand.NewPCG(8, 8))
		for i := 0; i < 1_000_000; i++ { // bounded: stops by itself
			select {
			case <-stop:
				return
			default:
			}
			d := filepath.Join(root, fmt.Sprintf("d%d", rnd.IntN(4)))
			name := filepath.Join(d, fmt.Sprintf("churn%d.txt", rnd.IntN(10)))
			switch rnd.IntN(6) {
			case 0, 1:
				os.WriteFile(name, []byte(strings.Repeat("z", rnd.IntN(256<<10))+churn), 0o644)
			case 2:
				os.Truncate(name, int64(rnd.IntN(100)))
			case 3:
				os.Remove(name)
			case 4:
				os.Rename(name, filepath.Join(d, fmt.Sprintf("churn%d.txt", rnd.IntN(10))))
			case 5:
				sub := filepath.Join(d, "sub")
				if rnd.IntN(2) == 0 {
					os.MkdirAll(sub, 0o755)
					os.WriteFile(filepath.Join(sub, "c.txt"), []byte(churn), 0o644)
				} else {
					os.RemoveAll(sub)
				}
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	for run := range 8 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, err := scanner.Scan(ctx, Dir{Roots: []string{root}, Jobs: 1 + run%4, NoIgnore: run%2 == 0}, scanner.Options{ChunkSize: 64 << 10})
		cancel()
		if err != nil {
			t.Fatalf("run %d: Scan: %v", run, err)
		}
		got := map[string][]string{}
		for _, f := range res.Findings {
			rel := strings.TrimPrefix(f.Path, filepath.ToSlash(root)+"/")
			got[rel] = append(got[rel], string(f.ID))
		}
		for rel, id := range want {
			if ids := got[rel]; len(ids) != 1 || ids[0] != id {
				t.Errorf("run %d: %s: found %v; want [%s]", run, rel, ids, id)
			}
		}
		for _, p := range res.Problems {
			if strings.Contains(p.Path, "keep") {
				t.Errorf("run %d: problem for an untouched file: %v", run, p)
			}
		}
	}
}

// TestDirFileGrowingForEver is a log appended to faster than it is read: a
// scan must still end, having read the file as it was when opened plus at
// most one read of what was added.
func TestDirFileGrowingForEver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.log")
	if err := os.WriteFile(path, bytes.Repeat([]byte("line\n"), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := dirOpen(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	chunk := bytes.Repeat([]byte("more\n"), 1<<14)
	buf := make([]byte, 4096)
	total := 0
	for reads := 0; ; reads++ {
		if _, err := w.Write(chunk); err != nil { // always ahead of the reader
			t.Fatal(err)
		}
		n, err := f.Read(buf)
		total += n
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if reads > 10000 {
			t.Fatalf("still reading after %d reads (%d bytes) of a 5000-byte file", reads, total)
		}
	}
	if total < 5000 || total > 5000+len(buf) {
		t.Errorf("read %d bytes; want the 5000 the file had when opened, plus at most one read", total)
	}
}
