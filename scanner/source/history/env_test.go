package history

import (
	"testing"

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

// TestGitDirEnv: with GIT_DIR set (as in a server's pre-receive hook, where
// it is "." in the bare repository, or by hand), history reads that
// repository, not the one of the current directory.
func TestGitDirEnv(t *testing.T) {
	tok := tokentest.New(24).Token("dt0c01")
	g := gittest.New(t)
	g.Write("a.env", tok.Text)
	c := g.Commit("leak")
	bare := t.TempDir()
	g.Git("clone", "-q", "--bare", g.Dir, bare)

	other := gittest.New(t)
	other.Commit("clean")
	t.Chdir(other.Dir)
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	want := got{rules.ID(tok.ID), "a.env", "", c, true, false}

	res := scan(t, &Source{Getenv: env(map[string]string{"GIT_DIR": bare})})
	checkClean(t, res)
	checkGots(t, res, want)

	t.Chdir(bare)
	res = scan(t, &Source{Path: ".", Getenv: env(map[string]string{"GIT_DIR": "."})})
	checkClean(t, res)
	checkGots(t, res, want)

	// Without GIT_DIR: the current directory's repository.
	t.Chdir(other.Dir)
	res = scan(t, &Source{Getenv: env(nil)})
	checkClean(t, res)
	checkGots(t, res)
}
