package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// preReceiveScript is the hook of the README's "server-side pre-receive
// hook" section, so that what the README shows is what is tested.
func preReceiveScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "## As a server-side pre-receive hook")
	if !ok {
		t.Fatal("README has no pre-receive section")
	}
	_, block, ok := strings.Cut(sec, "```sh\n")
	if !ok {
		t.Fatal("README's pre-receive section has no sh block")
	}
	script, _, ok := strings.Cut(block, "```")
	if !ok {
		t.Fatal("README's pre-receive block is not closed")
	}
	return script
}

// TestPreReceiveHook pushes with a real git push to a bare repository whose
// pre-receive hook is the README's: a push adding a token, on a new branch
// or an existing one, and a branch named after a token are refused, and no
// secret reaches the pusher.
//
// The pushed objects wait in git's quarantine directory while the hook
// runs. go-git finds a loose object there when it looks one up, so a push
// of fewer objects than receive.unpackLimit (100), which git unpacks loose,
// is read whole. A larger push stays a pack in the quarantine, which
// dtleaks finds through the object-directory variables git sets
// (GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES): the last part
// checks that a clean packed push goes through and one adding a token is
// refused.
func TestPreReceiveHook(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	gen := tokentest.New(25)
	onMain, onBranch, inName := gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01")
	toks := []tokentest.Token{onMain, onBranch, inName}
	home := t.TempDir()
	git := func(dir string, args ...string) ([]byte, error) {
		t.Helper()
		x := exec.Command("git", args...)
		x.Dir = dir
		x.Env = append(os.Environ(), "HOME="+home, "GIT_CONFIG_NOSYSTEM=1",
			"PATH="+filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH"),
			"GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=c", "GIT_COMMITTER_EMAIL=c@example.com")
		return x.CombinedOutput()
	}
	mustGit := func(dir string, args ...string) {
		t.Helper()
		if out, err := git(dir, args...); err != nil {
			// Only the subcommand: the arguments may hold a token.
			t.Fatalf("git %s: %v\n%s", args[0], err, redactAll(out, toks))
		}
	}
	server := filepath.Join(t.TempDir(), "server.git")
	mustGit(".", "init", "-q", "--bare", "-b", "main", server)
	if err := os.WriteFile(filepath.Join(server, "hooks", "pre-receive"), []byte(preReceiveScript(t)), 0o755); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	mustGit(work, "init", "-q", "-b", "main")
	mustGit(work, "remote", "add", "origin", server)
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(work, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		mustGit(work, "add", name)
		mustGit(work, "commit", "-q", "-m", "add "+name)
	}
	// push pushes and reports whether the server took it.
	push := func(args ...string) (bool, []byte) {
		t.Helper()
		out, err := git(work, append([]string{"push", "-q", "origin"}, args...)...)
		// What the hook printed; git itself echoes the ref names pushed.
		var remote []byte
		for line := range bytes.Lines(out) {
			if bytes.HasPrefix(line, []byte("remote:")) {
				remote = append(remote, line...)
			}
		}
		if where, leak := tokentest.Leak(remote, toks...); leak {
			t.Fatalf("the hook shows the %s", where)
		}
		return err == nil, remote
	}

	write("README", "hello\n")
	full, _ := push("main")
	if !full {
		t.Fatal("the hook refuses a clean push")
	}

	// A token on main, pushed as an update old..new.
	write("a.env", "k="+onMain.Text+"\n")
	if ok, out := push("main"); ok {
		t.Errorf("a push adding a token to main was accepted")
	} else if full && !bytes.Contains(out, []byte(onMain.ID)) {
		t.Errorf("the refusal does not name %s:\n%s", onMain.ID, out)
	}
	mustGit(work, "reset", "-q", "--hard", "HEAD~1")

	// A new branch whose new commit adds a token.
	mustGit(work, "checkout", "-q", "-b", "feature")
	write("b.env", "k="+onBranch.Text+"\n")
	if ok, out := push("feature"); ok {
		t.Errorf("a new branch adding a token was accepted")
	} else if full && !bytes.Contains(out, []byte(onBranch.ID)) {
		t.Errorf("the refusal does not name %s:\n%s", onBranch.ID, out)
	}
	mustGit(work, "checkout", "-q", "main")

	// A branch named after a token, at a commit the server has (when it
	// has one) or a new one: the name is refused either way.
	mustGit(work, "branch", "x/"+inName.Text)
	if ok, out := push("x/" + inName.Text); ok {
		t.Errorf("a branch named after a token was accepted")
	} else if !bytes.Contains(out, []byte(inName.ID)) {
		t.Errorf("the refusal does not name %s:\n%s", inName.ID, redactAll(out, toks))
	}

	// A clean new branch and a deletion go through.
	mustGit(work, "branch", "clean")
	if ok, out := push("clean"); !ok {
		t.Errorf("a clean new branch was refused:\n%s", out)
	}
	if ok, out := push(":clean"); !ok {
		t.Errorf("a deletion was refused:\n%s", out)
	}

	// Pushes kept as a pack in the quarantine.
	mustGit(server, "config", "receive.unpackLimit", "1")
	write("c.txt", "clean\n")
	packed, out := push("main")
	if !packed {
		t.Errorf("a clean packed push was refused (the quarantined pack was not read):\n%s", redactAll(out, toks))
	}
	write("d.env", "k="+onMain.Text+"\n")
	if ok, _ := push("main"); ok {
		t.Errorf("a packed push adding a token was accepted")
	}
}

// redactAll replaces the tokens' secrets in out, for a failure message.
func redactAll(out []byte, toks []tokentest.Token) []byte {
	for _, tok := range toks {
		out = bytes.ReplaceAll(out, []byte(tok.Secret), []byte("****"))
	}
	return out
}
