package history

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

// TestOddPackName (issue 11, item 10): git reads every objects/pack/*.idx
// beside its .pack, whatever its name; so does the scan, and tracing
// reads the commits and trees of such a pack too.
func TestOddPackName(t *testing.T) {
	tok := tokentest.New(1001).Token("dt0c01")
	g := newGitRepo(t)
	g.write("a.env", tok.Text+"\n")
	c := g.commit("a")
	g.git("repack", "-q", "-a", "-d")
	packs, _ := filepath.Glob(filepath.Join(g.dir, ".git/objects/pack/pack-*"))
	if len(packs) < 2 {
		t.Fatalf("packs: %v", packs)
	}
	for _, p := range packs {
		ext := filepath.Ext(p)
		if err := os.Rename(p, filepath.Join(filepath.Dir(p), "my-own"+ext)); err != nil {
			t.Fatal(err)
		}
	}
	// git itself reads it.
	if out := g.git("cat-file", "--batch-all-objects", "--batch-check"); !strings.Contains(out, " blob ") {
		t.Fatalf("git does not read the renamed pack:\n%s", out)
	}
	g.git("fsck", "--no-dangling")
	for _, nu := range []bool{false, true} {
		res := scan(t, &Source{Path: g.dir, NoUnreachable: nu})
		checkClean(t, res)
		checkGots(t, res, got{rules.ID(tok.ID), "a.env", "", c, true, false})
	}
}
