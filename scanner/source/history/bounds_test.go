package history

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

// rawObject is an object of a hand-built pack: a whole blob, or an OFS
// delta on an earlier object of the pack (base >= 0) named name, whose
// content git cannot compute.
type rawObject struct {
	data []byte
	base int
	name plumbing.Hash
	typ  plumbing.ObjectType // of a whole object; 0 means a blob
}

// writePack writes a pack of objs and its index into the repository's
// object store under the given name (without extension; "" names it by
// its checksum, as git does and go-git checks), and returns the names of
// its objects.
func writePack(t *testing.T, g *gittest.Repo, name string, objs []rawObject) []plumbing.Hash {
	t.Helper()
	var pack bytes.Buffer
	pack.WriteString("PACK\x00\x00\x00\x02")
	pack.Write([]byte{0, 0, 0, byte(len(objs))})
	w := new(idxfile.Writer)
	if err := w.OnHeader(uint32(len(objs))); err != nil {
		t.Fatal(err)
	}
	offs := make([]int64, len(objs))
	names := make([]plumbing.Hash, len(objs))
	for i, o := range objs {
		offs[i] = int64(pack.Len())
		typ := byte(plumbing.BlobObject)
		if o.typ != 0 {
			typ = byte(o.typ)
		}
		if o.base >= 0 {
			typ = 6
		}
		var hdr []byte
		size := len(o.data)
		c := typ<<4 | byte(size&15)
		size >>= 4
		for size > 0 {
			hdr = append(hdr, c|0x80)
			c = byte(size & 0x7f)
			size >>= 7
		}
		hdr = append(hdr, c)
		if o.base >= 0 {
			d := offs[i] - offs[o.base]
			enc := []byte{byte(d & 0x7f)}
			for d >>= 7; d > 0; d >>= 7 {
				d--
				enc = append([]byte{byte(0x80 | d&0x7f)}, enc...)
			}
			hdr = append(hdr, enc...)
		}
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(o.data)
		zw.Close()
		entry := append(hdr, z.Bytes()...)
		pack.Write(entry)
		names[i] = o.name
		if o.base < 0 {
			names[i] = plumbing.ComputeHash(plumbing.ObjectType(typ), o.data)
		}
		if err := w.OnInflatedObjectContent(names[i], offs[i], crc32.ChecksumIEEE(entry), nil); err != nil {
			t.Fatal(err)
		}
	}
	sum := sha1.Sum(pack.Bytes())
	pack.Write(sum[:])
	if err := w.OnFooter(plumbing.Hash(sum)); err != nil {
		t.Fatal(err)
	}
	idx, err := w.Index()
	if err != nil {
		t.Fatal(err)
	}
	var ib bytes.Buffer
	if _, err := idxfile.NewEncoder(&ib).Encode(idx); err != nil {
		t.Fatal(err)
	}
	if name == "" {
		name = "pack-" + plumbing.Hash(sum).String()
	}
	dir := filepath.Join(g.Dir, ".git", "objects", "pack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for ext, b := range map[string][]byte{".pack": pack.Bytes(), ".idx": ib.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name+ext), b, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// leb is a delta header size.
func leb(v uint64) []byte {
	var out []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(out, c)
		}
		out = append(out, c|0x80)
	}
}

// TestDeltaBomb (issue 11, item 16): a pack of a few kilobytes holding a
// delta that makes 1 TiB (2^24 copies of a 64 KiB base) is one problem
// naming that object, and the scan goes on: the token in a sound object
// of the same pack, and in the rest of the repository, is reported.
func TestDeltaBomb(t *testing.T) {
	gen := tokentest.New(1601)
	inRepo, inPack := gen.Token("dt0c01"), gen.Token("dt0c01")
	g := gittest.New(t)
	g.Write("a.env", inRepo.Text)
	c := g.Commit("a")
	base := bytes.Repeat([]byte("base line\n"), 0x10000/10+1)[:0x10000]
	bomb := append(append(leb(0x10000), leb(1<<40)...), bytes.Repeat([]byte{0x80}, 1<<24)...)
	bombName := plumbing.Hash(sha1.Sum([]byte("bomb")))
	writePack(t, g, "pack-"+strings.Repeat("b", 40), []rawObject{
		{data: base, base: -1},
		{data: bomb, base: 0, name: bombName},
		{data: []byte(inPack.Text + "\n"), base: -1},
	})
	for _, jobs := range []int{1, 4} {
		res := scan(t, &Source{Path: g.Dir, Jobs: jobs})
		var named int
		for _, p := range res.Problems {
			if strings.Contains(p.Error(), bombName.String()) {
				named++
			}
		}
		if named != 1 {
			t.Errorf("jobs %d: %d problems name the bomb; want 1: %v", jobs, named, res.Problems)
		}
		ids := map[rules.ID]bool{}
		for _, f := range res.Findings {
			ids[f.ID] = true
		}
		if !ids[rules.ID(inRepo.ID)] || !ids[rules.ID(inPack.ID)] {
			t.Errorf("jobs %d: findings %v; want both tokens (commit %s)", jobs, gots(res.Findings), c[:8])
		}
		if d, leak := tokentest.Leak([]byte(fmt.Sprint(res.Problems)), inPack); leak {
			t.Errorf("problems leak: %s", d)
		}
	}
}

// TestLyingIndex (issue 11, item 16): a pack index whose fan-out table
// claims 200 million objects in a kilobyte is one problem naming its
// pack, and is read by nothing, go-git's lookups included (which would
// size their tables by the claim, and fail every lookup after): the rest
// of the store is scanned and traced.
func TestLyingIndex(t *testing.T) {
	tok := tokentest.New(1602).Token("dt0c01")
	g := gittest.New(t)
	g.Write("a.env", tok.Text)
	c := g.Commit("a")
	g.Git("repack", "-q", "-a", "-d")
	idx := []byte("\377tOc\x00\x00\x00\x02")
	for range 256 {
		idx = binary.BigEndian.AppendUint32(idx, 200_000_000)
	}
	idx = append(idx, make([]byte, 40)...)
	dir := filepath.Join(g.Dir, ".git/objects/pack")
	name := "pack-" + strings.Repeat("c", 40)
	if err := os.WriteFile(filepath.Join(dir, name+".idx"), idx, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".pack"), []byte("PACK\x00\x00\x00\x02\x00\x00\x00\x00"+strings.Repeat("\x00", 20)), 0o444); err != nil {
		t.Fatal(err)
	}
	for _, nu := range []bool{false, true} {
		res := scan(t, &Source{Path: g.Dir, NoUnreachable: nu})
		if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Error(), name+".pack") {
			t.Errorf("NoUnreachable %v: problems %v; want one naming the pack", nu, res.Problems)
		}
		checkGots(t, res, got{rules.ID(tok.ID), "a.env", "", c, true, false})
	}
}

// TestTreeBomb (issue 11, item 16): a branch whose root tree is a delta
// that makes 1 TiB, which tracing and the walk from the refs read through
// go-git, is a problem naming that tree; the token of another branch is
// still reported and traced.
func TestTreeBomb(t *testing.T) {
	tok := tokentest.New(1603).Token("dt0c01")
	g := gittest.New(t)
	g.Write("a.env", tok.Text)
	c := g.Commit("a")
	g.Git("repack", "-q", "-a", "-d")
	// A whole tree of exactly 64 KiB of whole entries, so that the bomb,
	// copies of it, parses as a tree for ever; its entries' blobs are
	// absent (problems too).
	var base []byte
	for i := range 1871 {
		h := sha1.Sum([]byte(fmt.Sprint(i)))
		base = append(append(base, fmt.Sprintf("100644 f%06d\x00", i)...), h[:]...)
	}
	last := sha1.Sum([]byte("last"))
	base = append(append(base, "100644 g"+strings.Repeat("x", 22)+"\x00"...), last[:]...)
	if len(base) != 0x10000 {
		t.Fatalf("base tree of %d bytes", len(base))
	}
	bomb := append(append(leb(0x10000), leb(1<<40)...), bytes.Repeat([]byte{0x80}, 1<<24)...)
	bombTree := plumbing.Hash(sha1.Sum([]byte("tree bomb")))
	writePack(t, g, "", []rawObject{
		{data: base, base: -1, typ: plumbing.TreeObject},
		{data: bomb, base: 0, name: bombTree},
	})
	commit := fmt.Sprintf("tree %s\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n\nbomb\n", bombTree)
	file := filepath.Join(t.TempDir(), "commit")
	if err := os.WriteFile(file, []byte(commit), 0o644); err != nil {
		t.Fatal(err)
	}
	bc := g.Git("hash-object", "-t", "commit", "-w", "--literally", file)
	g.Git("update-ref", "refs/heads/bomb", bc)
	for _, nu := range []bool{false, true} {
		res := scan(t, &Source{Path: g.Dir, NoUnreachable: nu})
		if len(problemsNaming(res, bombTree.String())) == 0 {
			t.Errorf("NoUnreachable %v: no problem names the tree bomb: %v", nu, res.Problems)
		}
		checkGots(t, res, got{rules.ID(tok.ID), "a.env", "", c, true, false})
	}
}
