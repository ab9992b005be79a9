package history

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// revParse is git's answer for rev as a commit, or "" when git refuses it.
func revParse(g *gittest.Repo, rev string) string {
	g.T.Helper()
	cmd := exec.Command("git", "rev-parse", "--verify", "-q", "--end-of-options", rev+"^{commit}")
	cmd.Dir = g.Dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// TestResolveRevision compares resolveRevision with git rev-parse: where
// dtleaks answers, it answers as git does; the forms it supports it must
// answer; the rest it refuses with ErrRevision, never a guess.
func TestResolveRevision(t *testing.T) {
	g := gittest.New(t)
	c1 := g.Commit("one")
	g.Commit("two")
	g.Git("checkout", "-q", "-b", "side")
	g.Commit("side one")
	g.Commit("side two")
	g.Git("checkout", "-q", "main")
	g.Commit("three")
	g.Tick()
	g.Git("merge", "-q", "--no-ff", "-m", "merge", "side")
	g.Git("tag", "-a", "-m", "tag", "v1")
	g.Git("tag", "light", "HEAD~1")
	g.Git("tag", "-a", "-m", "tree", "treetag", "HEAD^{tree}")
	g.Git("reset", "-q", "--hard", "HEAD~1")
	g.Commit("four")
	g.Git("checkout", "-q", "side")
	g.Git("checkout", "-q", "main")
	g.Git("update-ref", "refs/remotes/origin/main", "HEAD~2")
	g.Git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")

	supported := []string{
		"HEAD", "@", "main", "side", "refs/heads/main", "heads/main", "v1", "light", "origin/main", "origin",
		c1, c1[:7], c1[:4],
		"HEAD^", "HEAD^1", "HEAD^0", "HEAD^^", "HEAD~", "HEAD~2", "HEAD~2^", "v1^2", "v1^2~1", "v1^{}", "v1^{commit}", "@^",
		"HEAD@{0}", "HEAD@{1}", "HEAD@{2}", "HEAD@{3}", "HEAD@{5}", "HEAD@{1}~1", "@{1}", "@{2}", "main@{2}", "main@{1}^",
		"side@{0}", "refs/heads/main@{1}", "@@{1}",
	}
	refused := []string{
		"", "nope", "HEAD^{tree}", "HEAD^{blob}", "treetag", "HEAD@{99}", "@{-1}", "main@{upstream}", "@{u}",
		"HEAD@{yesterday}", "HEAD:a", ":/one", "HEAD^3", "HEAD~99", "main@{1", "HEAD^{", "HEAD^{tag}",
	}
	repo := openTestRepo(t, g)
	for _, rev := range append(supported, refused...) {
		want := revParse(g, rev)
		h, err := resolveRevision(repo, rev)
		isSupported := false
		for _, s := range supported {
			isSupported = isSupported || s == rev
		}
		switch {
		case err == nil && h.String() != want:
			t.Errorf("%q: got %s, git says %q", rev, h, want)
		case err != nil && isSupported:
			t.Errorf("%q: %v; git says %s", rev, err, want)
		case err != nil && !errors.Is(err, ErrRevision):
			t.Errorf("%q: error %v does not wrap ErrRevision", rev, err)
		case err == nil && !isSupported:
			t.Errorf("%q: resolved to %s, want a refusal", rev, h)
		}
		if isSupported && want == "" {
			t.Errorf("%q: git does not resolve it: bad fixture", rev)
		}
	}
}

// TestReflogDetached: with HEAD detached, @{n} is HEAD's reflog, as git
// has it.
func TestReflogDetached(t *testing.T) {
	g := gittest.New(t)
	g.Commit("one")
	g.Commit("two")
	g.Git("checkout", "-q", "--detach", "HEAD~1")
	repo := openTestRepo(t, g)
	for _, rev := range []string{"@{1}", "@{2}", "HEAD@{1}"} {
		h, err := resolveRevision(repo, rev)
		if want := revParse(g, rev); err != nil || h.String() != want {
			t.Errorf("%q: %s, %v; git says %q", rev, h, err, want)
		}
	}
}

// openTestRepo opens g's repository as Items would.
func openTestRepo(t *testing.T, g *gittest.Repo) *repository {
	t.Helper()
	repo, err := (&Source{Path: g.Dir}).open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	return repo
}

// TestReflogRange is the case: a range written with reflog
// selectors, where git rev-list lists a commit adding a token, finds it;
// a range dtleaks cannot resolve exactly is an error, never "clean".
func TestReflogRange(t *testing.T) {
	tok := tokentest.New(22).Token("dt0c01")
	g := gittest.New(t)
	g.Commit("one")
	g.Commit("two")
	g.Write("a.env", tok.Text)
	leak := g.Commit("leak")
	g.Commit("after")
	want := got{rules.ID(tok.ID), "a.env", "", leak, true, false}
	for _, src := range []*Source{
		{Path: g.Dir, Range: "HEAD@{2}..HEAD"},
		{Path: g.Dir, Range: "main@{2}..main"},
		{Path: g.Dir, Range: "@{3}.."},
		{Path: g.Dir, Since: "HEAD@{2}"},
	} {
		from, to, _ := src.bounds()
		if list := g.Git("rev-list", from+".."+to); !strings.Contains(list, leak) {
			t.Fatalf("git rev-list %s..%s does not list the commit: bad fixture", from, to)
		}
		res := scan(t, src)
		checkClean(t, res)
		checkGots(t, res, want)
	}
	for _, rng := range []string{"HEAD^{tree}..HEAD", "HEAD@{9}..HEAD", "@{-1}..HEAD", "HEAD@{1.hour.ago}..HEAD"} {
		_, err := scanner.Scan(context.Background(), &Source{Path: g.Dir, Range: rng}, scanner.Options{})
		if !errors.Is(err, ErrRevision) {
			t.Errorf("range %q: error %v, want ErrRevision", rng, err)
		}
	}
}
