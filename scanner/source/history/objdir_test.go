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
)

// TestOddPackName (issue 11, item 10): git reads every objects/pack/*.idx
// beside its .pack, whatever its name; so does the scan, and tracing
// reads the commits and trees of such a pack too.
func TestOddPackName(t *testing.T) {
	tok := tokentest.New(1001).Token("dt0c01")
	g := gittest.New(t)
	g.Write("a.env", tok.Text+"\n")
	c := g.Commit("a")
	g.Git("repack", "-q", "-a", "-d")
	packs, _ := filepath.Glob(filepath.Join(g.Dir, ".git/objects/pack/pack-*"))
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
	if out := g.Git("cat-file", "--batch-all-objects", "--batch-check"); !strings.Contains(out, " blob ") {
		t.Fatalf("git does not read the renamed pack:\n%s", out)
	}
	g.Git("fsck", "--no-dangling")
	for _, nu := range []bool{false, true} {
		res := scan(t, &Source{Path: g.Dir, NoUnreachable: nu})
		checkClean(t, res)
		checkGots(t, res, got{rules.ID(tok.ID), "a.env", "", c, true, false})
	}
}

// TestObjectDirectoryEnv (issue 11, item 5): during a pre-receive hook
// the pushed objects wait in a quarantine directory that git names in
// GIT_OBJECT_DIRECTORY and GIT_QUARANTINE_PATH, the repository's own store
// in GIT_ALTERNATE_OBJECT_DIRECTORIES. A real git push into a bare
// repository whose hook keeps a copy of its quarantine and environment;
// the scan given that environment finds the pushed token, loose or
// packed, and without it does not (nothing else holds it).
func TestObjectDirectoryEnv(t *testing.T) {
	for _, unpackLimit := range []string{"100", "1"} {
		t.Run("unpackLimit="+unpackLimit, func(t *testing.T) {
			tok := tokentest.New(501).Token("dt0c01")
			server := gittest.New(t, "--bare")
			server.Git("config", "receive.unpackLimit", unpackLimit)
			keep := t.TempDir()
			hook := "#!/bin/sh\n" +
				"cp -R \"$GIT_QUARANTINE_PATH\" '" + keep + "/q' &&\n" +
				"printf '%s\\n' \"$GIT_OBJECT_DIRECTORY\" \"$GIT_ALTERNATE_OBJECT_DIRECTORIES\" \"$GIT_QUARANTINE_PATH\" > '" + keep + "/env'\n" +
				"exit 1\n"
			if err := os.WriteFile(filepath.Join(server.Dir, "hooks", "pre-receive"), []byte(hook), 0o755); err != nil {
				t.Fatal(err)
			}
			client := gittest.New(t)
			client.Write("deploy.env", tok.Text+"\n")
			client.Commit("deploy")
			runGitFails(t, client, "push", "-q", server.Dir, "main")
			b, err := os.ReadFile(filepath.Join(keep, "env"))
			if err != nil {
				t.Fatalf("the hook did not run: %v", err)
			}
			vars := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(vars) != 3 || vars[0] == "" || vars[1] == "" {
				t.Fatalf("hook environment: %q", vars)
			}
			// The quarantine, as the hook saw it, now at keep/q.
			q := filepath.Join(keep, "q")
			env := map[string]string{
				"GIT_OBJECT_DIRECTORY":             q,
				"GIT_ALTERNATE_OBJECT_DIRECTORIES": vars[1],
				"GIT_QUARANTINE_PATH":              q,
			}
			res := scan(t, &Source{Path: server.Dir, Getenv: func(k string) string { return env[k] }})
			checkClean(t, res)
			if len(res.Findings) != 1 || res.Findings[0].ID != rules.ID(tok.ID) {
				t.Errorf("with the hook's environment: %v; want the pushed token", gots(res.Findings))
			}
			res = scan(t, &Source{Path: server.Dir, Getenv: func(string) string { return "" }})
			if len(res.Findings) != 0 {
				t.Errorf("without it: %v; the repository does not hold the push", gots(res.Findings))
			}
		})
	}
}

// runGitFails runs git in g's directory and fails the test if it
// succeeds.
func runGitFails(t *testing.T, g *gittest.Repo, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = g.Dir
	cmd.Env = append(os.Environ(), "HOME="+g.Home, "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("git %s: succeeded\n%s", strings.Join(args, " "), out)
	}
}

// TestLargePackedThroughGoGit: a packed blob above gitrepo.LargeObject,
// which go-git reads lazily by opening its pack again by the file's name,
// is read through the object directory's own file system (storeFS) too,
// in a range scan, which reads blobs through go-git.
func TestLargePackedThroughGoGit(t *testing.T) {
	tok := tokentest.New(1002).Token("dt0c01")
	g := gittest.New(t)
	base := g.Commit("base")
	g.Write("big.txt", strings.Repeat("filler line of a large file\n", 80000)+tok.Text+"\n")
	c := g.Commit("big")
	g.Git("repack", "-q", "-a", "-d")
	res := scan(t, &Source{Path: g.Dir, Range: base + ".." + c})
	checkClean(t, res)
	if len(res.Findings) != 1 || res.Findings[0].ID != rules.ID(tok.ID) {
		t.Errorf("findings %v; want the token of big.txt", gots(res.Findings))
	}
}
