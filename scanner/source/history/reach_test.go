package history

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

// TestReachableAsGit (issue 11, item 9): NoUnreachable keeps what git
// counts as reachable, with git fsck --unreachable as the oracle: a
// commit only HEAD's reflog remembers (a deleted branch), stash@{1}, a
// linked worktree's detached HEAD, a blob only the index holds; and it
// drops what git lists as unreachable.
func TestReachableAsGit(t *testing.T) {
	gen := tokentest.New(901)
	tok := map[string]tokentest.Token{}
	for _, k := range []string{"reflog", "stash1", "stash0", "worktree", "index", "dangling"} {
		tok[k] = gen.Token("dt0c01")
	}
	g := gittest.New(t)
	g.Write("readme.txt", "hello\n")
	g.Commit("base")
	// Only HEAD's reflog (and the deleted branch's, gone with it).
	g.Git("checkout", "-q", "-b", "tmp")
	g.Write("reflog.env", tok["reflog"].Text+"\n")
	g.Commit("on tmp")
	g.Git("checkout", "-q", "main")
	g.Git("branch", "-q", "-D", "tmp")
	// Two stashes: the older becomes stash@{1}.
	for _, k := range []string{"stash1", "stash0"} {
		g.Write("readme.txt", tok[k].Text+"\n")
		g.Tick()
		g.Git("stash", "-q")
	}
	// A linked worktree with a detached HEAD.
	wt := filepath.Join(t.TempDir(), "wt")
	g.Git("worktree", "add", "-q", "--detach", wt)
	writeIn(t, wt, "wt.env", tok["worktree"].Text+"\n")
	g.GitIn(wt, "add", "wt.env")
	g.GitIn(wt, "commit", "-q", "-m", "in worktree")
	// Only in the index.
	g.Write("index.env", tok["index"].Text+"\n")
	g.Git("add", "index.env")
	// A commit nothing names.
	blob := g.GitInput(tok["dangling"].Text+"\n", "hash-object", "-w", "--stdin")
	tree := g.GitInput("100644 blob "+blob+"\tdangling.env\n", "mktree")
	g.Git("commit-tree", "-m", "dangling", tree)

	unreachable := g.Git("fsck", "--unreachable", "--no-progress")
	blobOf := func(k string) string {
		return g.GitInput(tok[k].Text+"\n", "hash-object", "--stdin")
	}
	for _, packed := range []bool{false, true} {
		if packed {
			g.Git("repack", "-q", "-a", "-d", "--keep-unreachable")
		}
		res := scan(t, &Source{Path: g.Dir, NoUnreachable: true})
		checkClean(t, res)
		found := map[rules.ID]bool{}
		for _, f := range res.Findings {
			found[f.ID] = true
		}
		for k, tk := range tok {
			gitUnreachable := strings.Contains(unreachable, "blob "+blobOf(k))
			if found[rules.ID(tk.ID)] == gitUnreachable {
				t.Errorf("packed %v: %s: found %v, git fsck --unreachable lists it %v", packed, k, found[rules.ID(tk.ID)], gitUnreachable)
			}
		}
		// The default scan marks reachable what git counts as such.
		res = scan(t, &Source{Path: g.Dir})
		checkClean(t, res)
		for _, f := range res.Findings {
			for k, tk := range tok {
				if f.ID == rules.ID(tk.ID) && k != "index" && f.Origin.Unreachable != (k == "dangling") {
					t.Errorf("packed %v: %s: unreachable %v", packed, k, f.Origin.Unreachable)
				}
			}
		}
	}
}

// writeIn writes a file in dir.
func writeIn(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
