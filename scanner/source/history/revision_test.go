package history

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// revParse is git's answer for rev as a commit, or "" when git refuses it.
func (g *gitRepo) revParse(rev string) string {
	g.t.Helper()
	cmd := exec.Command("git", "rev-parse", "--verify", "-q", "--end-of-options", rev+"^{commit}")
	cmd.Dir = g.dir
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
	g := newGitRepo(t)
	c1 := g.commit("one")
	g.commit("two")
	g.git("checkout", "-q", "-b", "side")
	g.commit("side one")
	g.commit("side two")
	g.git("checkout", "-q", "main")
	g.commit("three")
	g.n++
	g.git("merge", "-q", "--no-ff", "-m", "merge", "side")
	g.git("tag", "-a", "-m", "tag", "v1")
	g.git("tag", "light", "HEAD~1")
	g.git("tag", "-a", "-m", "tree", "treetag", "HEAD^{tree}")
	g.git("reset", "-q", "--hard", "HEAD~1")
	g.commit("four")
	g.git("checkout", "-q", "side")
	g.git("checkout", "-q", "main")
	g.git("update-ref", "refs/remotes/origin/main", "HEAD~2")
	g.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")

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
		want := g.revParse(rev)
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
	g := newGitRepo(t)
	g.commit("one")
	g.commit("two")
	g.git("checkout", "-q", "--detach", "HEAD~1")
	repo := openTestRepo(t, g)
	for _, rev := range []string{"@{1}", "@{2}", "HEAD@{1}"} {
		h, err := resolveRevision(repo, rev)
		if want := g.revParse(rev); err != nil || h.String() != want {
			t.Errorf("%q: %s, %v; git says %q", rev, h, err, want)
		}
	}
}

// openTestRepo opens g's repository as Items would.
func openTestRepo(t *testing.T, g *gitRepo) *repository {
	t.Helper()
	repo, err := (&Source{Path: g.dir}).open()
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
	g := newGitRepo(t)
	g.commit("one")
	g.commit("two")
	g.write("a.env", tok.Text)
	leak := g.commit("leak")
	g.commit("after")
	want := got{rules.ID(tok.ID), "a.env", "", leak, true, false}
	for _, src := range []*Source{
		{Path: g.dir, Range: "HEAD@{2}..HEAD"},
		{Path: g.dir, Range: "main@{2}..main"},
		{Path: g.dir, Range: "@{3}.."},
		{Path: g.dir, Since: "HEAD@{2}"},
	} {
		from, to, _ := src.bounds()
		if list := g.git("rev-list", from+".."+to); !strings.Contains(list, leak) {
			t.Fatalf("git rev-list %s..%s does not list the commit: bad fixture", from, to)
		}
		res := scan(t, src)
		checkClean(t, res)
		checkGots(t, res, want)
	}
	for _, rng := range []string{"HEAD^{tree}..HEAD", "HEAD@{9}..HEAD", "@{-1}..HEAD", "HEAD@{1.hour.ago}..HEAD"} {
		_, err := scanner.Scan(context.Background(), &Source{Path: g.dir, Range: rng}, scanner.Options{})
		if !errors.Is(err, ErrRevision) {
			t.Errorf("range %q: error %v, want ErrRevision", rng, err)
		}
	}
}
