package gitpack

import (
	"context"
	"crypto/sha1"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/dtleaks/dtleaks/internal/gittest"
)

// object is what git says of an object: its hash, type and size.
type object struct {
	hash plumbing.Hash
	typ  string
	size int64
}

// walkPacks walks every pack of the object store objects with a Walker
// that wants every type, and returns each object it yields once, checked:
// the SHA-1 of its content, as git hashes it ("type size\0" + content),
// must be the name the index gives it. An object yielded twice in one
// pack, or never, or reported bad, fails the test.
//
// It also returns the number of packs and of deltas of each raw kind
// (rawOFSDelta, rawREFDelta).
func walkPacks(t *testing.T, objects string) (map[plumbing.Hash]object, int, map[uint8]int) {
	t.Helper()
	idxs, err := filepath.Glob(filepath.Join(objects, "pack", "*.idx"))
	if err != nil || len(idxs) == 0 {
		t.Fatalf("no pack index in %s (%v)", objects, err)
	}
	got := map[plumbing.Hash]object{}
	deltas := map[uint8]int{}
	for _, idxPath := range idxs {
		packPath := strings.TrimSuffix(idxPath, ".idx") + ".pack"
		xf, err := os.Open(idxPath)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := ReadIndex(xf, fileSize(xf))
		xf.Close()
		if err != nil {
			t.Fatalf("ReadIndex %s: %v", filepath.Base(idxPath), err)
		}
		checkContains(t, idx)
		pf, err := os.Open(packPath)
		if err != nil {
			t.Fatal(err)
		}
		defer pf.Close()
		g, err := ReadGraph(context.Background(), idx, pf)
		if err != nil {
			t.Fatalf("ReadGraph %s: %v", filepath.Base(packPath), err)
		}
		for _, b := range g.Bad {
			t.Errorf("%s: object %s bad: %v", filepath.Base(packPath), g.Hash(b.Obj), b.Err)
		}
		for _, o := range g.objs {
			if o.typ == rawOFSDelta || o.typ == rawREFDelta {
				deltas[o.typ]++
			}
		}
		seen := make([]bool, len(g.objs))
		w := &Walker{
			Graph: g,
			In:    NewInflater(pf),
			Want:  func(plumbing.ObjectType) bool { return true },
			Visit: func(i int32, typ plumbing.ObjectType, data, base []byte) error {
				if seen[i] {
					return fmt.Errorf("object %s yielded twice", g.Hash(i))
				}
				seen[i] = true
				h := sha1.New()
				fmt.Fprintf(h, "%s %d\x00", typ, len(data))
				h.Write(data)
				var sum plumbing.Hash
				copy(sum[:], h.Sum(nil))
				if sum != g.Hash(i) {
					t.Errorf("object %s: content hashes to %s", g.Hash(i), sum)
				}
				got[sum] = object{sum, typ.String(), int64(len(data))}
				return nil
			},
			Bad: func(i int32, err error) error {
				return fmt.Errorf("object %s: %w", g.Hash(i), err)
			},
		}
		for _, r := range g.Roots() {
			if err := w.Walk(context.Background(), r); err != nil {
				t.Fatalf("%s: %v", filepath.Base(packPath), err)
			}
		}
		for i, ok := range seen {
			if !ok {
				t.Errorf("%s: object %s never yielded", filepath.Base(packPath), g.Hash(int32(i)))
			}
		}
	}
	return got, len(idxs), deltas
}

// catFile is git's list of every object of the repository.
func catFile(t *testing.T, r *gittest.Repo) map[plumbing.Hash]object {
	t.Helper()
	out := r.Git("cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype) %(objectsize)")
	want := map[plumbing.Hash]object{}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("cat-file line %q", line)
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		h := plumbing.NewHash(f[0])
		want[h] = object{h, f[1], size}
	}
	return want
}

// maxDepth is the longest delta chain of the repository's packs, as
// git verify-pack counts it.
func maxDepth(t *testing.T, r *gittest.Repo, objects string) int {
	t.Helper()
	idxs, _ := filepath.Glob(filepath.Join(objects, "pack", "*.idx"))
	chain := regexp.MustCompile(`(?m)^chain length = (\d+):`)
	depth := 0
	for _, idx := range idxs {
		for _, m := range chain.FindAllStringSubmatch(r.Git("verify-pack", "-v", idx), -1) {
			n, _ := strconv.Atoi(m[1])
			depth = max(depth, n)
		}
	}
	return depth
}

// history commits n versions of a few files, each version one line
// changed from the last (a different line each time), so that a version
// is closest to its neighbours and git deltifies them into long chains;
// round tells one call's commits from another's.
func history(r *gittest.Repo, round string, n int) {
	const lines = 150
	var files [4][lines]string
	for i := range files {
		for l := range lines {
			files[i][l] = fmt.Sprintf("file %d line %d: some text that stays the same across versions\n", i, l)
		}
	}
	for c := range n {
		for i := range files {
			files[i][(c*7+i)%lines] = fmt.Sprintf("file %d: %s edit %d\n", i, round, c)
			r.Write(fmt.Sprintf("d%d/f%d.txt", i%2, i), strings.Join(files[i][:], ""))
		}
		if c%10 == 0 {
			r.Write(fmt.Sprintf("%s/once%d.txt", round, c), fmt.Sprintf("a file of its own, %s %d\n", round, c))
		}
		r.Commit(fmt.Sprintf("%s %d", round, c))
	}
}

// TestWalkAgainstGit checks the walker against git: on repositories with
// long delta chains, several packs, a kept pack and a multi-pack index,
// every object of every pack is yielded once, its content hashes to its
// name, and the objects yielded are exactly those git cat-file lists, with
// git's types and sizes.
func TestWalkAgainstGit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds repositories with git")
	}
	tests := []struct {
		name string
		// offsets says whether deltas name their base by offset (git's
		// default) or by hash (REF deltas).
		offsets bool
	}{
		{"ofs deltas", true},
		{"ref deltas", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gittest.New(t)
			r.Git("config", "repack.useDeltaBaseOffset", strconv.FormatBool(tt.offsets))
			r.Git("config", "gc.auto", "0")
			deep := []string{"repack", "-adf", "-q", "--depth=250", "--window=250"}

			// A first pack, deep, then kept: later repacks leave it be.
			history(r, "one", 100)
			r.Git(deep...)
			objects := filepath.Join(r.Dir, ".git", "objects")
			packs, _ := filepath.Glob(filepath.Join(objects, "pack", "*.pack"))
			if len(packs) != 1 {
				t.Fatalf("%d packs after the first repack", len(packs))
			}
			if err := os.WriteFile(strings.TrimSuffix(packs[0], ".pack")+".keep", nil, 0o644); err != nil {
				t.Fatal(err)
			}
			// A second pack, deep, of the objects not in the kept one.
			history(r, "two", 20)
			r.Git(deep...)
			// A third, incremental: only the loose objects.
			history(r, "three", 15)
			r.Git("repack", "-d", "-q", "--depth=250", "--window=250")
			r.Git("multi-pack-index", "write")

			if loose := r.Git("count-objects"); !strings.HasPrefix(loose, "0 objects") {
				t.Fatalf("loose objects left: %s", loose)
			}
			if _, err := os.Stat(filepath.Join(objects, "pack", "multi-pack-index")); err != nil {
				t.Fatalf("no multi-pack index: %v", err)
			}
			if d := maxDepth(t, r, objects); d < 50 {
				t.Fatalf("longest delta chain %d: not the long chains this test is for", d)
			}

			got, npacks, deltas := walkPacks(t, objects)
			if npacks < 3 {
				t.Fatalf("%d packs, want 3", npacks)
			}
			kind, other := uint8(rawOFSDelta), uint8(rawREFDelta)
			if !tt.offsets {
				kind, other = other, kind
			}
			if deltas[kind] == 0 || deltas[other] != 0 {
				t.Fatalf("deltas by kind %v: not the kind this case is for", deltas)
			}
			want := catFile(t, r)
			var diffs []string
			for h, w := range want {
				if g, ok := got[h]; !ok {
					diffs = append(diffs, fmt.Sprintf("%s %s %d: not yielded", h, w.typ, w.size))
				} else if g != w {
					diffs = append(diffs, fmt.Sprintf("%s: yielded as %s %d, git says %s %d", h, g.typ, g.size, w.typ, w.size))
				}
			}
			for h, g := range got {
				if _, ok := want[h]; !ok {
					diffs = append(diffs, fmt.Sprintf("%s %s %d: yielded, not in git's list", h, g.typ, g.size))
				}
			}
			sort.Strings(diffs)
			for _, d := range diffs {
				t.Error(d)
			}
			t.Logf("%d objects (%d deltas) in %d packs, longest delta chain %d", len(want), deltas[kind], npacks, maxDepth(t, r, objects))
		})
	}
}

// fileSize is the size of f, for ReadIndex's bound; 0 (a size no index
// fits) when it cannot be had.
func fileSize(f *os.File) int64 {
	fi, err := f.Stat()
	if err != nil {
		return 0
	}
	return fi.Size()
}

// checkContains checks Index.Contains against go-git's search of the same
// index: for every name, and for names next to it (first, middle and last
// byte changed), which are almost all absent.
func checkContains(t *testing.T, idx *Index) {
	t.Helper()
	for _, e := range idx.entries {
		if !idx.Contains(e.Hash) {
			t.Fatalf("Contains(%s) = false for a name of the index", e.Hash)
		}
		for _, at := range []int{0, 7, 8, 19} {
			for _, d := range []byte{1, 0xff} {
				h := e.Hash
				h[at] += d
				want, _ := idx.idx.Contains(h)
				if got := idx.Contains(h); got != want {
					t.Fatalf("Contains(%s) = %v, go-git says %v", h, got, want)
				}
			}
		}
	}
}
