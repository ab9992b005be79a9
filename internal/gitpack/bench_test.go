package gitpack

import (
	"bytes"
	"context"
	"crypto/sha1"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// benchPack is the largest pack of the bench repository (bench/history/run.sh
// builds it in bench/out/history-repo; DTLEAKS_BENCH_REPO names another), or
// a skip when there is none.
func benchPack(b *testing.B) (idxPath, packPath string) {
	b.Helper()
	repo := os.Getenv("DTLEAKS_BENCH_REPO")
	if repo == "" {
		repo = filepath.Join("..", "..", "bench", "out", "history-repo")
	}
	packs, _ := filepath.Glob(filepath.Join(repo, "objects", "pack", "*.pack"))
	packs = append(packs, must(filepath.Glob(filepath.Join(repo, ".git", "objects", "pack", "*.pack")))...)
	var best int64
	for _, p := range packs {
		if fi, err := os.Stat(p); err == nil && fi.Size() > best {
			best, packPath = fi.Size(), p
		}
	}
	if packPath == "" {
		b.Skipf("no pack in %s: run bench/history/run.sh first", repo)
	}
	return strings.TrimSuffix(packPath, ".pack") + ".idx", packPath
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// walkAll reads the pack's index and graph and walks every delta tree,
// calling visit with each object's content; it returns the bytes visited.
func walkAll(b *testing.B, idxPath, packPath string, visit func(typ plumbing.ObjectType, data []byte)) int64 {
	xf := must(os.Open(idxPath))
	idx, err := ReadIndex(xf, fileSize(xf))
	xf.Close()
	if err != nil {
		b.Fatal(err)
	}
	pf := must(os.Open(packPath))
	defer pf.Close()
	g, err := ReadGraph(context.Background(), idx, pf)
	if err != nil || len(g.Bad) > 0 {
		b.Fatalf("ReadGraph: %v, %d bad", err, len(g.Bad))
	}
	var n int64
	w := &Walker{
		Graph: g,
		In:    NewInflater(pf),
		Want:  func(plumbing.ObjectType) bool { return true },
		Visit: func(i int32, typ plumbing.ObjectType, data, base []byte) error {
			n += int64(len(data))
			visit(typ, data)
			return nil
		},
		Bad: func(i int32, err error) error { return err },
	}
	for _, r := range g.Roots() {
		if err := w.Walk(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// BenchmarkWalk compares reading every object of the bench repository's
// pack: the Walker (with and without hashing each object, as git names
// it), go-git's Parser (which resolves and hashes every object, the work
// of git index-pack, but hands no content out) and go-git's Packfile,
// iterated with GetAll and each object's content read, as a store scan
// through go-git would. The bytes are the inflated content of every
// object, the same for all four.
func BenchmarkWalk(b *testing.B) {
	idxPath, packPath := benchPack(b)
	total := walkAll(b, idxPath, packPath, func(plumbing.ObjectType, []byte) {})

	b.Run("ours", func(b *testing.B) {
		b.SetBytes(total)
		b.ReportAllocs()
		for b.Loop() {
			walkAll(b, idxPath, packPath, func(plumbing.ObjectType, []byte) {})
		}
	})
	b.Run("ours+sha1", func(b *testing.B) {
		b.SetBytes(total)
		b.ReportAllocs()
		h := sha1.New()
		for b.Loop() {
			walkAll(b, idxPath, packPath, func(typ plumbing.ObjectType, data []byte) {
				h.Reset()
				fmt.Fprintf(h, "%s %d\x00", typ, len(data))
				h.Write(data)
				h.Sum(nil)
			})
		}
	})
	b.Run("gogit-parser", func(b *testing.B) {
		b.SetBytes(total)
		b.ReportAllocs()
		for b.Loop() {
			f := must(os.Open(packPath))
			p, err := packfile.NewParser(packfile.NewScanner(f))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := p.Parse(); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
	b.Run("gogit-packfile", func(b *testing.B) {
		b.SetBytes(total)
		b.ReportAllocs()
		fs := osfs.New(filepath.Dir(packPath))
		for b.Loop() {
			xf := must(os.Open(idxPath))
			idx := idxfile.NewMemoryIndex()
			if err := idxfile.NewDecoder(xf).Decode(idx); err != nil {
				b.Fatal(err)
			}
			xf.Close()
			pf := must(fs.Open(filepath.Base(packPath)))
			p := packfile.NewPackfile(idx, fs, pf, 0)
			it := must(p.GetAll())
			var n int64
			err := it.ForEach(func(o plumbing.EncodedObject) error {
				r, err := o.Reader()
				if err != nil {
					return err
				}
				m, err := io.Copy(io.Discard, r)
				r.Close()
				n += m
				return err
			})
			if err != nil || n != total {
				b.Fatalf("go-git read %d bytes (%v), the walker %d", n, err, total)
			}
			p.Close()
		}
	})
}

// deltaPair is a base and a delta as git makes them for a small edit of a
// large file (the pack's common case), through go-git's encoder.
func deltaPair() (base, delta []byte) {
	var sb bytes.Buffer
	for i := range 40000 {
		fmt.Fprintf(&sb, "line %d of a large source file, mostly unchanged between versions\n", i)
	}
	base = sb.Bytes()
	target := bytes.Clone(base)
	for i := 1000; i < len(target); i += 50000 {
		copy(target[i:], "EDITED")
	}
	target = append(target, "a line added at the end\n"...)
	return base, packfile.DiffDelta(base, target)
}

// BenchmarkPatch compares Patch, whose output goes back to the pool as the
// walker gives it back, with go-git's PatchDelta, on a 2.7 MB file with
// a few edits. The bytes are the target's.
func BenchmarkPatch(b *testing.B) {
	base, delta := deltaPair()
	want := must(packfile.PatchDelta(base, delta))
	b.Run("ours", func(b *testing.B) {
		in := NewInflater(nil)
		b.SetBytes(int64(len(want)))
		b.ReportAllocs()
		for b.Loop() {
			out, err := Patch(in, base, delta)
			if err != nil || len(out) != len(want) {
				b.Fatal(err)
			}
			in.put(out)
		}
	})
	b.Run("gogit", func(b *testing.B) {
		b.SetBytes(int64(len(want)))
		b.ReportAllocs()
		for b.Loop() {
			out, err := packfile.PatchDelta(base, delta)
			if err != nil || len(out) != len(want) {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReadGraph times the one serial pass of a history scan before its
// workers start: reading every entry header of the pack.
func BenchmarkReadGraph(b *testing.B) {
	idxPath, packPath := benchPack(b)
	xf := must(os.Open(idxPath))
	idx, err := ReadIndex(xf, fileSize(xf))
	xf.Close()
	if err != nil {
		b.Fatal(err)
	}
	pf := must(os.Open(packPath))
	defer pf.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadGraph(context.Background(), idx, pf); err != nil {
			b.Fatal(err)
		}
	}
}
