package history

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// problemsNaming returns the problems whose message holds s.
func problemsNaming(res scanner.Result, s string) []scanner.Problem {
	var out []scanner.Problem
	for _, p := range res.Problems {
		if strings.Contains(p.Error(), s) {
			out = append(out, p)
		}
	}
	return out
}

// TestMissingRootTree (issue 11, item 4): a commit whose root tree the
// store lacks is a problem naming the tree, loose or packed, as git fsck
// has it ("missing tree"), even when nothing is found.
func TestMissingRootTree(t *testing.T) {
	for _, packed := range []bool{false, true} {
		name := "loose"
		if packed {
			name = "packed"
		}
		t.Run(name, func(t *testing.T) {
			g := gittest.New(t)
			g.Write("a.txt", "hello\n")
			g.Commit("a")
			tree := g.Git("rev-parse", "HEAD^{tree}")
			if packed {
				// Pack the commit alone; the tree stays loose, then goes.
				head := g.Git("rev-parse", "HEAD")
				g.GitInput(head+"\n", "pack-objects", "-q", ".git/objects/pack/pack")
				if err := os.Remove(filepath.Join(g.Dir, ".git/objects", head[:2], head[2:])); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Remove(filepath.Join(g.Dir, ".git/objects", tree[:2], tree[2:])); err != nil {
				t.Fatal(err)
			}
			if out := gitFsck(g); !strings.Contains(out, "missing tree "+tree) {
				t.Fatalf("git fsck does not see the missing tree:\n%s", out)
			}
			for _, nu := range []bool{false, true} {
				res := scan(t, &Source{Path: g.Dir, NoUnreachable: nu})
				if len(problemsNaming(res, tree)) == 0 {
					t.Errorf("NoUnreachable %v: no problem names the missing tree %s: %v", nu, tree, res.Problems)
				}
			}
		})
	}
}

// gitFsck runs git fsck and returns its output, whatever its status.
func gitFsck(g *gittest.Repo) string {
	cmd := exec.Command("git", "fsck", "--no-dangling")
	cmd.Dir = g.Dir
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// partialClone returns a partial clone (git clone --filter) of a
// repository whose first commit adds a token that a later commit removes.
func partialClone(t *testing.T, filter string, tok tokentest.Token) *gittest.Repo {
	t.Helper()
	src := gittest.New(t)
	src.Git("config", "uploadpack.allowFilter", "true")
	src.Write("secret.env", tok.Text+"\n")
	src.Write("d/readme.txt", "one\n")
	src.Commit("add")
	src.Git("rm", "-q", "secret.env")
	src.Write("d/readme.txt", "two\n")
	src.Commit("remove")
	clone := &gittest.Repo{T: t, Dir: t.TempDir(), Home: src.Home}
	clone.GitIn(src.Dir, "-c", "protocol.file.allow=always", "clone", "-q", "--no-local", "--filter="+filter, "file://"+src.Dir, clone.Dir)
	return clone
}

// TestPartialClone (issue 11, item 4): the objects a partial clone lacks
// are problems, so a scan that did not read the token's blob does not
// say clean; with AllowPromised they are skipped and counted in a note.
func TestPartialClone(t *testing.T) {
	tok := tokentest.New(401).Token("dt0c01")
	for _, filter := range []string{"tree:0", "blob:none"} {
		t.Run(filter, func(t *testing.T) {
			g := partialClone(t, filter, tok)
			// git itself: objects are missing, and promised.
			if out := g.Git("rev-list", "--objects", "--all", "--missing=print"); !strings.Contains(out, "?") {
				t.Fatalf("the clone lacks nothing:\n%s", out)
			}
			for _, nu := range []bool{false, true} {
				h := &Source{Path: g.Dir, NoUnreachable: nu}
				res := scan(t, h)
				if len(res.Findings) == 0 && len(res.Problems) == 0 {
					t.Errorf("NoUnreachable %v: clean, though the token's blob was not read", nu)
				}
				if notes := h.Notes(); len(notes) != 0 {
					t.Errorf("NoUnreachable %v: notes without AllowPromised: %q", nu, notes)
				}
				if len(problemsNaming(res, "--allow-missing-promised")) == 0 {
					t.Errorf("NoUnreachable %v: no problem tells of --allow-missing-promised: %v", nu, res.Problems)
				}
				h = &Source{Path: g.Dir, NoUnreachable: nu, AllowPromised: true}
				res = scan(t, h)
				checkClean(t, res)
				for _, f := range res.Findings {
					if f.ID == rules.ID(tok.ID) {
						t.Errorf("NoUnreachable %v: found a token the clone does not hold", nu)
					}
				}
				if notes := h.Notes(); len(notes) != 1 || !strings.Contains(notes[0], "partial clone") {
					t.Errorf("NoUnreachable %v: notes %q; want one counting the promised objects", nu, notes)
				}
			}
		})
	}
}
