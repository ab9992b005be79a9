package history

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

// TestOddModes (issue 11, "git's tolerance is ours"): tree entry modes
// git fsck only warns about (badFilemode: 100600, 100775, a directory
// 40755) are read as git reads them, which git ls-tree shows: the blobs
// are files at their paths, the directory is a tree, and none of it is a
// problem.
func TestOddModes(t *testing.T) {
	gen := tokentest.New(2501)
	ta, td, te := gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01")
	g := gittest.New(t)
	base := g.Commit("base")
	blob := func(s string) []byte {
		h, err := hex.DecodeString(g.GitInput(s+"\n", "hash-object", "-w", "--stdin"))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	sub, err := hex.DecodeString(g.GitInput("100644 blob "+hex.EncodeToString(blob(td.Text))+"\tin.env\n", "mktree"))
	if err != nil {
		t.Fatal(err)
	}
	var tree []byte
	tree = append(append(tree, "100600 a.env\x00"...), blob(ta.Text)...)
	tree = append(append(tree, "40755 d\x00"...), sub...)
	tree = append(append(tree, "100775 e.env\x00"...), blob(te.Text)...)
	file := filepath.Join(t.TempDir(), "tree")
	if err := os.WriteFile(file, tree, 0o644); err != nil {
		t.Fatal(err)
	}
	th := g.Git("hash-object", "-t", "tree", "-w", "--literally", file)
	g.Tick()
	c := g.Git("commit-tree", "-p", base, "-m", "odd modes", th)
	g.Git("update-ref", "refs/heads/main", c)
	// git: a warning, not an error; and the files where ls-tree says.
	if out := gitFsck(g); !strings.Contains(out, "badFilemode") || strings.Contains(out, "error") {
		t.Fatalf("git fsck:\n%s", out)
	}
	if out := g.Git("ls-tree", "-r", "--name-only", "main"); out != "a.env\nd/in.env\ne.env" {
		t.Fatalf("git ls-tree: %q", out)
	}
	want := []got{
		{rules.ID(ta.ID), "a.env", "", c, true, false},
		{rules.ID(td.ID), "d/in.env", "", c, true, false},
		{rules.ID(te.ID), "e.env", "", c, true, false},
	}
	layouts(t, func(t *testing.T, pack func(*gittest.Repo)) {
		pack(g)
		for _, nu := range []bool{false, true} {
			res := scan(t, &Source{Path: g.Dir, NoUnreachable: nu})
			checkClean(t, res)
			checkGots(t, res, want...)
		}
		res := scan(t, &Source{Path: g.Dir, Range: base + ".." + c})
		checkClean(t, res)
		checkGots(t, res, want...)
	})
}
