package history

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

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
	type setup func(g *gittest.Repo, tok tokentest.Token) (want []got)
	file := gen.Token("dt0c01")
	cases := []struct {
		name string
		make setup
	}{
		{"author name", func(g *gittest.Repo, tok tokentest.Token) []got {
			g.Write("a.env", file.Text)
			g.Git("add", "-A")
			g.GitEnv([]string{"GIT_AUTHOR_NAME=Ann " + tok.Text}, "commit", "-q", "-m", "one")
			c := g.Git("rev-parse", "HEAD")
			return []got{{rules.ID(tok.ID), "", scanner.LocationCommitHeader, c, false, false}, {rules.ID(file.ID), "a.env", "", c, true, false}}
		}},
		{"author email", func(g *gittest.Repo, tok tokentest.Token) []got {
			g.Write("a.env", file.Text)
			g.Git("add", "-A")
			g.GitEnv([]string{"GIT_AUTHOR_EMAIL=" + tok.Text + "@example.com"}, "commit", "-q", "-m", "one")
			c := g.Git("rev-parse", "HEAD")
			return []got{{rules.ID(tok.ID), "", scanner.LocationCommitHeader, c, false, false}, {rules.ID(file.ID), "a.env", "", c, true, false}}
		}},
		{"committer", func(g *gittest.Repo, tok tokentest.Token) []got {
			g.GitEnv([]string{"GIT_COMMITTER_NAME=" + tok.Text}, "commit", "-q", "--allow-empty", "-m", "one")
			c := g.Git("rev-parse", "HEAD")
			return []got{{rules.ID(tok.ID), "", scanner.LocationCommitHeader, c, false, false}}
		}},
		{"tagger", func(g *gittest.Repo, tok tokentest.Token) []got {
			g.Commit("one")
			g.GitEnv([]string{"GIT_COMMITTER_EMAIL=x" + tok.Text}, "tag", "-a", "-m", "release", "v1")
			tag := g.Git("rev-parse", "v1")
			return []got{{rules.ID(tok.ID), "", scanner.LocationTagHeader, tag, false, false}}
		}},
		{"tag name", func(g *gittest.Repo, tok tokentest.Token) []got {
			g.Commit("one")
			g.GitEnv(nil, "tag", "-a", "-m", "release", tok.Text)
			tag := g.Git("rev-parse", "refs/tags/"+tok.Text)
			return []got{
				{rules.ID(tok.ID), "", scanner.LocationTagHeader, tag, false, false},
				{rules.ID(tok.ID), "refs/tags/" + tok.ID + ".****", scanner.LocationRefName, tag, false, false},
			}
		}},
		{"branch name", func(g *gittest.Repo, tok tokentest.Token) []got {
			c := g.Commit("one")
			g.GitEnv(nil, "branch", "feature/"+tok.Text)
			return []got{{rules.ID(tok.ID), "refs/heads/feature/" + tok.ID + ".****", scanner.LocationRefName, c, false, false}}
		}},
		{"mergetag", func(g *gittest.Repo, tok tokentest.Token) []got {
			base := g.Commit("one")
			g.Git("checkout", "-q", "-b", "side")
			side := g.Commit("two")
			g.GitEnv([]string{"GIT_COMMITTER_NAME=" + tok.Text}, "tag", "-a", "-m", "release", "v1")
			tagObj := g.GitEnv(nil, "cat-file", "tag", "v1")
			g.Git("checkout", "-q", "main")
			var b strings.Builder
			fmt.Fprintf(&b, "tree %s\nparent %s\nparent %s\n", g.Git("rev-parse", "HEAD^{tree}"), base, side)
			b.WriteString("author Ann Author <ann@example.com> 1704067200 +0000\ncommitter Cid Committer <cid@example.com> 1704067200 +0000\n")
			b.WriteString("mergetag " + strings.ReplaceAll(strings.TrimSpace(tagObj), "\n", "\n ") + "\n\nmerge v1\n")
			merge := g.GitInput(b.String(), "hash-object", "-t", "commit", "-w", "--stdin")
			g.Git("update-ref", "refs/heads/main", merge)
			// The tag itself goes: only the merge's header holds it.
			g.Git("tag", "-d", "v1")
			g.Git("reflog", "expire", "--expire=now", "--all")
			g.Git("prune", "--expire=now")
			return []got{{rules.ID(tok.ID), "", scanner.LocationCommitHeader, merge, false, false}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := gen.Token("dt0c01")
			g := gittest.New(t)
			base := g.Commit("base")
			want := tc.make(g, tok)
			// git as the oracle: the token is in some object or ref name.
			objs := g.Git("cat-file", "--batch-all-objects", "--batch")
			refs := g.Git("for-each-ref", "--format=%(refname)")
			if !strings.Contains(objs+refs, tok.Text) {
				t.Fatalf("the fixture does not hold %s", tok.ID)
			}
			for _, src := range []*Source{{Path: g.Dir}, {Path: g.Dir, Range: base + "..HEAD"}} {
				res := scan(t, src)
				checkClean(t, res)
				noLeak(t, res, tok)
				checkGots(t, res, want...)
			}
		})
	}
}
