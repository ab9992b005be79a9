package history

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

// TestBlameByAncestry: a token added in one commit and kept in an edited
// file by its child is blamed on the commit that added it, as git log -S
// says, whatever the committer clocks say: the same second (so that the
// hashes would decide) or a child committed "before" its parent.
func TestBlameByAncestry(t *testing.T) {
	gen := tokentest.New(23)
	for _, clock := range []struct {
		name          string
		parent, child int // minutes after the fixture's epoch
	}{
		{"same second", 5, 5},
		{"skewed", 5, 1},
	} {
		// Several runs, so that the hashes fall both ways.
		for run := range 6 {
			t.Run(fmt.Sprintf("%s/%d", clock.name, run), func(t *testing.T) {
				tok := gen.Token("dt0c01")
				g := gittest.New(t)
				base := g.Commit("base")
				g.Write("a.env", fmt.Sprintf("run %d\nk=%s\n", run, tok.Text))
				g.SetClock(clock.parent)
				g.Git("add", "-A")
				g.Git("commit", "-q", "-m", "add")
				added := g.Git("rev-parse", "HEAD")
				g.Write("a.env", fmt.Sprintf("run %d\nk=%s\nmore\n", run, tok.Text))
				g.SetClock(clock.child)
				g.Git("add", "-A")
				g.Git("commit", "-q", "-m", "edit")
				// git as the oracle: the commit that changed how often
				// the token occurs.
				if o := g.Git("log", "-S"+tok.Text, "--format=%H"); o != added {
					t.Fatalf("git log -S names %q, fixture expects %s", strings.Fields(o), added)
				}
				want := got{rules.ID(tok.ID), "a.env", "", added, true, false}
				for _, src := range []*Source{{Path: g.Dir}, {Path: g.Dir, Range: base + "..HEAD"}} {
					res := scan(t, src)
					checkClean(t, res)
					checkGots(t, res, want)
				}
			})
		}
	}
}
