package gitpack

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"

	"github.com/dtleaks/dtleaks/internal/gittest"
)

// packOf returns the content of the only pack of r and of git's index
// of it.
func packOf(t testing.TB, r *gittest.Repo) (pack, idx []byte) {
	t.Helper()
	packs, _ := filepath.Glob(filepath.Join(r.Dir, ".git", "objects", "pack", "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("want one pack, have %d", len(packs))
	}
	pack, err := os.ReadFile(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	idx, err = os.ReadFile(strings.TrimSuffix(packs[0], ".pack") + ".idx")
	if err != nil {
		t.Fatal(err)
	}
	return pack, idx
}

// indexBytes runs IndexPack over pack.
func indexBytes(pack []byte) ([]byte, string, error) {
	var out bytes.Buffer
	sum, err := IndexPack(context.Background(), bytes.NewReader(pack), int64(len(pack)), &out)
	return out.Bytes(), sum.String(), err
}

// TestIndexPackAgainstGit checks IndexPack against git index-pack: on
// packs of long delta chains, with deltas naming their base by offset or
// by hash, and with a large file, the index is byte for byte the one git
// wrote, and the checksum returned is the pack's name.
func TestIndexPackAgainstGit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds repositories with git")
	}
	for _, offsets := range []bool{true, false} {
		t.Run("offsets="+strconv.FormatBool(offsets), func(t *testing.T) {
			r := gittest.New(t)
			r.Git("config", "repack.useDeltaBaseOffset", strconv.FormatBool(offsets))
			r.Git("config", "gc.auto", "0")
			history(r, "one", 80)
			// A large file, one version a delta of the other.
			big := strings.Repeat("a line of a large file that compresses well enough\n", 40000)
			r.Write("big.txt", big)
			r.Commit("big")
			r.Write("big.txt", big+"one more line\n")
			r.Commit("bigger")
			r.Git("repack", "-adf", "-q", "--depth=250", "--window=50")
			pack, want := packOf(t, r)
			got, sum, err := indexBytes(pack)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("index differs from git's (%d bytes, git's %d)", len(got), len(want))
			}
			// As a fetch would: the bytes in small reads, size unknown.
			var stream bytes.Buffer
			if _, err := IndexPackStream(context.Background(), iotest.HalfReader(bytes.NewReader(pack)), bytes.NewReader(pack), -1, &stream); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(stream.Bytes(), want) {
				t.Errorf("index from a stream differs from git's (%d bytes, git's %d)", stream.Len(), len(want))
			}
			packs, _ := filepath.Glob(filepath.Join(r.Dir, ".git", "objects", "pack", "pack-"+sum+".pack"))
			if len(packs) != 1 {
				t.Errorf("checksum %s is not the pack's name", sum)
			}
		})
	}
}

// withTrailer returns body followed by its SHA-1, as a pack ends.
func withTrailer(body []byte) []byte {
	s := sha1.Sum(body)
	return append(cloneBytes(body), s[:]...)
}

func cloneBytes(b []byte) []byte { return append([]byte(nil), b...) }

// TestIndexPackBad checks that every flaw of a pack is a *PackError, and
// no index.
func TestIndexPackBad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds repositories with git")
	}
	r := gittest.New(t)
	r.Git("config", "gc.auto", "0")
	history(r, "one", 20)
	r.Git("repack", "-adf", "-q")
	pack, _ := packOf(t, r)
	body := pack[:len(pack)-20]

	// A thin pack: the deltas of the last commit against the one before,
	// which the pack leaves out.
	thin := r.GitInput(r.Git("rev-parse", "HEAD")+"\n^HEAD~1\n", "pack-objects", "--thin", "--revs", "--stdout", "-q")

	count := func(n uint32) []byte {
		b := cloneBytes(body)
		binary.BigEndian.PutUint32(b[8:], n)
		return withTrailer(b)
	}
	flip := func(at int) []byte {
		b := cloneBytes(body)
		b[at] ^= 0x55
		return withTrailer(b)
	}
	tests := []struct {
		name string
		pack []byte
		want string
	}{
		{"empty", nil, "shorter"},
		{"not a pack", withTrailer([]byte("KCAP\x00\x00\x00\x02\x00\x00\x00\x00")), "not a pack"},
		{"version 9", withTrailer([]byte("PACK\x00\x00\x00\x09\x00\x00\x00\x00")), "version"},
		{"cut short", pack[:len(pack)-1], "cut short"},
		{"body cut short", withTrailer(body[:len(body)-1]), "inflat"},
		{"bad checksum", append(cloneBytes(body), make([]byte, 20)...), "checksum"},
		{"one object more", count(binary.BigEndian.Uint32(body[8:]) + 1), ""},
		{"one object less", count(binary.BigEndian.Uint32(body[8:]) - 1), "past the last entry"},
		{"four billion objects", count(1<<32 - 1), "claims"},
		{"garbage after the last entry", withTrailer(append(cloneBytes(body), "junk"...)), "past the last entry"},
		{"byte flipped in an entry", flip(len(body) / 2), ""},
		{"byte flipped in a first entry", flip(14), ""},
		{"thin", []byte(thin), "not in the pack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stream bytes.Buffer
			_, err := IndexPackStream(context.Background(), bytes.NewReader(tt.pack), bytes.NewReader(tt.pack), -1, &stream)
			var pe *PackError
			if !errors.As(err, &pe) || stream.Len() != 0 {
				t.Errorf("IndexPackStream: err = %v and %d bytes of index, want a *PackError and none", err, stream.Len())
			}
			idx, _, err := indexBytes(tt.pack)
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *PackError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
			if len(idx) != 0 {
				t.Errorf("wrote %d bytes of index for a bad pack", len(idx))
			}
		})
	}
}

// FuzzIndexPack feeds IndexPack arbitrary pack bodies, with a right
// checksum so that the fuzzer gets past it: it must never panic, take
// the pack from a file and from a stream alike, and a
// pack it takes must have an index ReadIndex reads, naming each object
// of the pack once.
func FuzzIndexPack(f *testing.F) {
	f.Add([]byte("PACK\x00\x00\x00\x02\x00\x00\x00\x00"))
	// One blob "hi\n".
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte("hi\n"))
	zw.Close()
	f.Add(append([]byte("PACK\x00\x00\x00\x02\x00\x00\x00\x01\x33"), z.Bytes()...))
	if _, err := os.Stat("/usr/bin/git"); err == nil && !testing.Short() {
		r := gittest.New(f)
		r.Git("config", "gc.auto", "0")
		history(r, "one", 3)
		for _, offsets := range []string{"true", "false"} {
			r.Git("config", "repack.useDeltaBaseOffset", offsets)
			r.Git("repack", "-adf", "-q")
			pack, _ := packOf(f, r)
			f.Add(pack[:len(pack)-20])
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		pack := withTrailer(body)
		idx, _, err := indexBytes(pack)
		var stream bytes.Buffer
		_, serr := IndexPackStream(context.Background(), bytes.NewReader(pack), bytes.NewReader(pack), -1, &stream)
		if (err == nil) != (serr == nil) || !bytes.Equal(idx, stream.Bytes()) {
			t.Fatalf("IndexPack: %v, %d bytes; IndexPackStream: %v, %d bytes", err, len(idx), serr, stream.Len())
		}
		if err != nil {
			var pe *PackError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *PackError", err)
			}
			return
		}
		x, err := ReadIndex(bytes.NewReader(idx), int64(len(idx)))
		if err != nil {
			t.Fatalf("ReadIndex of the index written: %v", err)
		}
		if n := binary.BigEndian.Uint32(body[8:]); len(x.entries) != int(n) {
			t.Fatalf("index names %d objects, the pack %d", len(x.entries), n)
		}
	})
}

// BenchmarkIndexPack indexes the bench pack (see benchPack) three ways,
// side by side: IndexPack, git index-pack (the reference: what git clone
// runs), and go-git's parser with its index writer (what go-git's fetch
// runs).
func BenchmarkIndexPack(b *testing.B) {
	_, packPath := benchPack(b)
	b.Run("IndexPack", func(b *testing.B) {
		f := must(os.Open(packPath))
		defer f.Close()
		size := fileSize(f)
		b.SetBytes(size)
		for b.Loop() {
			if _, err := IndexPack(context.Background(), f, size, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("git-index-pack", func(b *testing.B) {
		out := filepath.Join(b.TempDir(), "x.idx")
		b.SetBytes(must(os.Stat(packPath)).Size())
		for b.Loop() {
			os.Remove(out)
			if msg, err := exec.Command("git", "index-pack", "-o", out, packPath).CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, msg)
			}
		}
	})
	b.Run("go-git", func(b *testing.B) {
		f := must(os.Open(packPath))
		defer f.Close()
		b.SetBytes(fileSize(f))
		for b.Loop() {
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				b.Fatal(err)
			}
			p, err := packfile.NewParser(packfile.NewScanner(f), new(idxfile.Writer))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := p.Parse(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
