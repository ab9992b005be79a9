package history

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
			g := newGitRepo(t)
			g.write("a.txt", "hello\n")
			g.commit("a")
			tree := g.git("rev-parse", "HEAD^{tree}")
			if packed {
				// Pack the commit alone; the tree stays loose, then goes.
				head := g.git("rev-parse", "HEAD")
				g.gitWithInput(head+"\n", "pack-objects", "-q", ".git/objects/pack/pack")
				if err := os.Remove(filepath.Join(g.dir, ".git/objects", head[:2], head[2:])); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Remove(filepath.Join(g.dir, ".git/objects", tree[:2], tree[2:])); err != nil {
				t.Fatal(err)
			}
			if out := gitFsck(g); !strings.Contains(out, "missing tree "+tree) {
				t.Fatalf("git fsck does not see the missing tree:\n%s", out)
			}
			for _, nu := range []bool{false, true} {
				res := scan(t, &Source{Path: g.dir, NoUnreachable: nu})
				if len(problemsNaming(res, tree)) == 0 {
					t.Errorf("NoUnreachable %v: no problem names the missing tree %s: %v", nu, tree, res.Problems)
				}
			}
		})
	}
}

// gitFsck runs git fsck and returns its output, whatever its status.
func gitFsck(g *gitRepo) string {
	cmd := exec.Command("git", "fsck", "--no-dangling")
	cmd.Dir = g.dir
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// partialClone returns a partial clone (git clone --filter) of a
// repository whose first commit adds a token that a later commit removes.
func partialClone(t *testing.T, filter string, tok tokentest.Token) *gitRepo {
	t.Helper()
	src := newGitRepo(t)
	src.git("config", "uploadpack.allowFilter", "true")
	src.write("secret.env", tok.Text+"\n")
	src.write("d/readme.txt", "one\n")
	src.commit("add")
	src.git("rm", "-q", "secret.env")
	src.write("d/readme.txt", "two\n")
	src.commit("remove")
	clone := &gitRepo{t: t, dir: t.TempDir(), home: src.home}
	clone.gitIn(src.dir, "-c", "protocol.file.allow=always", "clone", "-q", "--no-local", "--filter="+filter, "file://"+src.dir, clone.dir)
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
			if out := g.git("rev-list", "--objects", "--all", "--missing=print"); !strings.Contains(out, "?") {
				t.Fatalf("the clone lacks nothing:\n%s", out)
			}
			for _, nu := range []bool{false, true} {
				h := &Source{Path: g.dir, NoUnreachable: nu}
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
				h = &Source{Path: g.dir, NoUnreachable: nu, AllowPromised: true}
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
