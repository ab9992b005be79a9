package history

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// gitEnv runs git in g's repository as g.git does, with env added last so
// that it overrides the fixed identities.
func (g *gitRepo) gitEnv(env []string, args ...string) string {
	g.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = g.dir
	cmd.Env = append(os.Environ(), "HOME="+g.home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Ann Author", "GIT_AUTHOR_EMAIL=ann@example.com", "GIT_AUTHOR_DATE=2024-01-01T00:00:00Z",
		"GIT_COMMITTER_NAME=Cid Committer", "GIT_COMMITTER_EMAIL=cid@example.com", "GIT_COMMITTER_DATE=2024-01-01T00:00:00Z")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		// Only the command's name: its arguments may hold a token.
		g.t.Fatalf("git %s: %v", args[0], err)
	}
	return strings.TrimSpace(string(out))
}

// noLeak fails when anything a report could print of res holds a secret.
func noLeak(t *testing.T, res scanner.Result, toks ...tokentest.Token) {
	t.Helper()
	var b strings.Builder
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "%+v\n", f)
	}
	for _, p := range res.Problems {
		fmt.Fprintf(&b, "%s\n", rules.Redact(p.Error()))
	}
	if where, leak := tokentest.Leak([]byte(b.String()), toks...); leak {
		t.Errorf("the findings hold the %s", where)
	}
}

// TestHeaders checks that a token in any header of a commit or tag object,
// or in a ref's name, is found (and only there, it is still found), and
// that nothing taken from those headers is reported unredacted.
func TestHeaders(t *testing.T) {
	gen := tokentest.New(21)
	type setup func(g *gitRepo, tok tokentest.Token) (want []got)
	file := gen.Token("dt0c01")
	cases := []struct {
		name string
		make setup
	}{
		{"author name", func(g *gitRepo, tok tokentest.Token) []got {
			g.write("a.env", file.Text)
			g.git("add", "-A")
			g.gitEnv([]string{"GIT_AUTHOR_NAME=Ann " + tok.Text}, "commit", "-q", "-m", "one")
			c := g.git("rev-parse", "HEAD")
			return []got{{rules.ID(tok.ID), "", commitHeader, c, false, false}, {rules.ID(file.ID), "a.env", "", c, true, false}}
		}},
		{"author email", func(g *gitRepo, tok tokentest.Token) []got {
			g.write("a.env", file.Text)
			g.git("add", "-A")
			g.gitEnv([]string{"GIT_AUTHOR_EMAIL=" + tok.Text + "@example.com"}, "commit", "-q", "-m", "one")
			c := g.git("rev-parse", "HEAD")
			return []got{{rules.ID(tok.ID), "", commitHeader, c, false, false}, {rules.ID(file.ID), "a.env", "", c, true, false}}
		}},
		{"committer", func(g *gitRepo, tok tokentest.Token) []got {
			g.gitEnv([]string{"GIT_COMMITTER_NAME=" + tok.Text}, "commit", "-q", "--allow-empty", "-m", "one")
			c := g.git("rev-parse", "HEAD")
			return []got{{rules.ID(tok.ID), "", commitHeader, c, false, false}}
		}},
		{"tagger", func(g *gitRepo, tok tokentest.Token) []got {
			g.commit("one")
			g.gitEnv([]string{"GIT_COMMITTER_EMAIL=x" + tok.Text}, "tag", "-a", "-m", "release", "v1")
			tag := g.git("rev-parse", "v1")
			return []got{{rules.ID(tok.ID), "", tagHeader, tag, false, false}}
		}},
		{"tag name", func(g *gitRepo, tok tokentest.Token) []got {
			g.commit("one")
			g.gitEnv(nil, "tag", "-a", "-m", "release", tok.Text)
			tag := g.git("rev-parse", "refs/tags/"+tok.Text)
			return []got{
				{rules.ID(tok.ID), "", tagHeader, tag, false, false},
				{rules.ID(tok.ID), "refs/tags/" + tok.ID + ".****", refName, tag, false, false},
			}
		}},
		{"branch name", func(g *gitRepo, tok tokentest.Token) []got {
			c := g.commit("one")
			g.gitEnv(nil, "branch", "feature/"+tok.Text)
			return []got{{rules.ID(tok.ID), "refs/heads/feature/" + tok.ID + ".****", refName, c, false, false}}
		}},
		{"mergetag", func(g *gitRepo, tok tokentest.Token) []got {
			base := g.commit("one")
			g.git("checkout", "-q", "-b", "side")
			side := g.commit("two")
			g.gitEnv([]string{"GIT_COMMITTER_NAME=" + tok.Text}, "tag", "-a", "-m", "release", "v1")
			tagObj := g.gitEnv(nil, "cat-file", "tag", "v1")
			g.git("checkout", "-q", "main")
			var b strings.Builder
			fmt.Fprintf(&b, "tree %s\nparent %s\nparent %s\n", g.git("rev-parse", "HEAD^{tree}"), base, side)
			b.WriteString("author Ann Author <ann@example.com> 1704067200 +0000\ncommitter Cid Committer <cid@example.com> 1704067200 +0000\n")
			b.WriteString("mergetag " + strings.ReplaceAll(strings.TrimSpace(tagObj), "\n", "\n ") + "\n\nmerge v1\n")
			merge := g.gitWithInput(b.String(), "hash-object", "-t", "commit", "-w", "--stdin")
			g.git("update-ref", "refs/heads/main", merge)
			// The tag itself goes: only the merge's header holds it.
			g.git("tag", "-d", "v1")
			g.git("reflog", "expire", "--expire=now", "--all")
			g.git("prune", "--expire=now")
			return []got{{rules.ID(tok.ID), "", commitHeader, merge, false, false}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := gen.Token("dt0c01")
			g := newGitRepo(t)
			base := g.commit("base")
			want := tc.make(g, tok)
			// git as the oracle: the token is in some object or ref name.
			objs := g.git("cat-file", "--batch-all-objects", "--batch")
			refs := g.git("for-each-ref", "--format=%(refname)")
			if !strings.Contains(objs+refs, tok.Text) {
				t.Fatalf("the fixture does not hold %s", tok.ID)
			}
			for _, src := range []*Source{{Path: g.dir}, {Path: g.dir, Range: base + "..HEAD"}} {
				res := scan(t, src)
				checkClean(t, res)
				noLeak(t, res, tok)
				checkGots(t, res, want...)
			}
		})
	}
}
