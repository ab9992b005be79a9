package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// TestPreCommitHooksFile checks the hook manifest pre-commit reads.
func TestPreCommitHooksFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", ".pre-commit-hooks.yaml"))
	must(t, err)
	var hooks []struct {
		ID            string   `yaml:"id"`
		Entry         string   `yaml:"entry"`
		Language      string   `yaml:"language"`
		PassFilenames *bool    `yaml:"pass_filenames"`
		Stages        []string `yaml:"stages"`
	}
	if err := yaml.Unmarshal(data, &hooks); err != nil {
		t.Fatalf(".pre-commit-hooks.yaml: %v", err)
	}
	byID := map[string]int{}
	for i, h := range hooks {
		byID[h.ID] = i
		if h.Language != "golang" {
			t.Errorf("hook %s: language %q; want golang", h.ID, h.Language)
		}
	}
	for _, id := range []string{"dtleaks", "dtleaks-push"} {
		if _, ok := byID[id]; !ok {
			t.Errorf("no hook %q", id)
		}
	}
	if h := hooks[byID["dtleaks-push"]]; len(h.Stages) != 1 || h.Stages[0] != "push" || h.PassFilenames == nil || *h.PassFilenames {
		t.Errorf("dtleaks-push: stages %v, pass_filenames %v; want [push] and false", h.Stages, h.PassFilenames)
	}
	// The commit hook reads the index itself (dtleaks staged): file names
	// from pre-commit would split it into batches with a summary each.
	// "commit" is the stage name pre-commit 3.0.4 (Debian 12) knows;
	// later releases read it as "pre-commit". Without stages it would run
	// again on push, beside dtleaks-push.
	if h := hooks[byID["dtleaks"]]; len(h.Stages) != 1 || h.Stages[0] != "commit" || h.PassFilenames == nil || *h.PassFilenames ||
		!strings.HasPrefix(h.Entry, "dtleaks staged ") {
		t.Errorf("dtleaks: entry %q, stages %v, pass_filenames %v; want dtleaks staged, [commit] and false", h.Entry, h.Stages, h.PassFilenames)
	}
}

// TestPreCommitEntry runs the dtleaks hook's entry as pre-commit does (no
// file names) on a repository whose index holds files named like flags or
// like standard input: each is scanned as the file it is (issue 11). Only
// the lines the commit adds count: an edit beside a committed token passes
// (issue 17).
func TestPreCommitEntry(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", ".pre-commit-hooks.yaml"))
	must(t, err)
	var hooks []struct {
		ID    string `yaml:"id"`
		Entry string `yaml:"entry"`
	}
	must(t, yaml.Unmarshal(data, &hooks))
	for _, h := range hooks {
		if f := strings.Fields(h.Entry); len(f) == 0 || f[len(f)-1] != "--" {
			t.Errorf("hook %s: entry %q does not end its flags with --", h.ID, h.Entry)
		}
	}
	entry := ""
	for _, h := range hooks {
		if h.ID == "dtleaks" {
			entry = h.Entry
		}
	}
	words := strings.Fields(entry)
	if len(words) < 2 || words[0] != "dtleaks" {
		t.Fatalf("dtleaks hook entry %q; want a dtleaks command line", entry)
	}
	dir, toks := tree(t, 51, map[string]string{
		"old.env": "A=1\nDT_API_TOKEN={old}\n",
	})
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "committed before the hook")
	hook := func() result {
		t.Helper()
		r := cmd{dir: dir, args: slices.Clone(words[1:])}.run(t)
		noLeak(t, r, toks)
		return r
	}
	// A one-line edit to a file that already holds a committed token.
	old, err := os.ReadFile(filepath.Join(dir, "old.env"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "old.env"), bytes.Replace(old, []byte("A=1"), []byte("A=2"), 1), 0o644))
	git(t, dir, "add", "old.env")
	if r := hook(); r.code != 0 || bytes.Contains(r.stderr, []byte("blocked")) {
		t.Errorf("edit beside a committed token: exit %d, stdout %q, stderr %q; want 0", r.code, r.stdout, r.stderr)
	}

	g := tokentest.New(52)
	names := []string{"--help", "--no-decode", "-", "app.env"}
	for _, name := range names {
		tok := g.Token("dt0c01")
		toks[name] = tok
		content := "DT_API_TOKEN=" + tok.Text + "\n"
		if name == "--no-decode" {
			// A token encoded in base64, which --no-decode would hide.
			content = base64.StdEncoding.EncodeToString([]byte(tok.Text)) + "\n"
		}
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
		git(t, dir, "add", "--", name)
	}
	r := hook()
	if r.code != 1 || bytes.Count(r.stdout, []byte(".****")) != len(names) {
		t.Errorf("hook on staged %q: exit %d, stdout %q; want 1 and %d findings", names, r.code, r.stdout, len(names))
	}
	for _, step := range []string{"git commit --amend", "dtleaks:allow", "dtleaks revoke ID", "environment variable"} {
		if !bytes.Contains(r.stderr, []byte(step)) {
			t.Errorf("a blocked commit does not say %q:\n%s", step, r.stderr)
		}
	}
}

// TestPreCommitTryRepo runs the real pre-commit against this repository's
// hooks, on a temporary repository: a staged token must stop the commit and
// be named by its identifier only; a clean change must pass.
func TestPreCommitTryRepo(t *testing.T) {
	if _, err := exec.LookPath("pre-commit"); err != nil {
		t.Skip("pre-commit is not installed (apt-get install pre-commit); .ci/run installs it")
	}
	if testing.Short() {
		t.Skip("builds dtleaks inside pre-commit's environment")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	must(t, err)
	home := t.TempDir()
	// pre-commit builds the hook with go install in an environment of its
	// own; sharing this machine's build and module caches keeps that from
	// compiling and downloading everything again.
	goEnv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		must(t, err)
		return strings.TrimSpace(string(out))
	}
	caches := []string{"GOCACHE=" + goEnv("GOCACHE"), "GOMODCACHE=" + goEnv("GOMODCACHE")}
	cache := t.TempDir()
	work := t.TempDir()
	git(t, work, "init", "-q", "-b", "main")
	commit(t, work, "start", map[string]*string{"README": str("hello\n")})

	tok := tokentest.New(50).Token("dt0c01")
	must(t, os.WriteFile(filepath.Join(work, "app.env"), []byte("DT_API_TOKEN="+tok.Text+"\n"), 0o644))
	git(t, work, "add", "app.env")
	// A file whose name is a flag, staged beside it: pre-commit passes it
	// after the entry's flags, where it must still be a file (issue 11).
	must(t, os.WriteFile(filepath.Join(work, "--help"), []byte("DT_API_TOKEN="+tok.Text+"\n"), 0o644))
	git(t, work, "add", "--", "--help")

	tryRepo := func(extra ...string) result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		defer cancel()
		x := exec.CommandContext(ctx, "pre-commit", append([]string{"try-repo", root, "dtleaks", "--verbose"}, extra...)...)
		x.Dir = work
		x.Env = append(append(os.Environ(), caches...), "HOME="+home, "PRE_COMMIT_HOME="+cache, "PRE_COMMIT_COLOR=never",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		var out bytes.Buffer
		x.Stdout, x.Stderr = &out, &out
		err := x.Run()
		if ctx.Err() != nil {
			t.Fatalf("pre-commit try-repo did not finish in time:\n%s", out.Bytes())
		}
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("pre-commit try-repo: %v", err)
		}
		return result{stdout: out.Bytes(), code: code}
	}

	r := tryRepo()
	if where, leak := tokentest.Leak(r.stdout, tok); leak {
		t.Fatalf("pre-commit output holds a %s", where)
	}
	if r.code == 0 || !bytes.Contains(r.stdout, []byte(tok.ID+".****")) || !bytes.Contains(r.stdout, []byte("app.env:1:14")) || !bytes.Contains(r.stdout, []byte("--help:1:14")) {
		t.Fatalf("with a staged token: exit %d; want a failure naming app.env:1:14, --help:1:14 and %s.****\n%s", r.code, tok.ID, r.stdout)
	}
	if n := bytes.Count(r.stdout, []byte("dtleaks: ")); n != 1 {
		t.Errorf("pre-commit output holds %d summaries; want one\n%s", n, r.stdout)
	}
	for _, step := range []string{"git commit --amend", "dtleaks:allow", "dtleaks revoke ID"} {
		if !bytes.Contains(r.stdout, []byte(step)) {
			t.Errorf("a blocked commit does not say %q", step)
		}
	}
	t.Logf("blocked commit, as pre-commit shows it:\n%s", r.stdout)

	// The hook belongs to the commit stage: on push, dtleaks-push does the
	// work, and the dtleaks hook does not run a second time.
	// pre-commit says so ("No hook with id `dtleaks` in stage `push`").
	if r := tryRepo("--hook-stage", "push"); bytes.Contains(r.stdout, []byte(".****")) || !bytes.Contains(r.stdout, []byte("in stage `push`")) {
		t.Errorf("at the push stage: exit %d; want pre-commit to find no dtleaks hook to run\n%s", r.code, r.stdout)
	}

	git(t, work, "rm", "-q", "--cached", "--", "--help")
	must(t, os.Remove(filepath.Join(work, "--help")))

	must(t, os.WriteFile(filepath.Join(work, "app.env"), []byte("DT_API_TOKEN=${DT_API_TOKEN}\n"), 0o644))
	git(t, work, "add", "app.env")
	if r := tryRepo(); r.code != 0 {
		t.Errorf("with a clean change: exit %d; want 0\n%s", r.code, r.stdout)
	}

	// A one-line edit to a file whose committed content holds a token:
	// the commit adds no token, so the hook passes.
	must(t, os.WriteFile(filepath.Join(work, "old.env"), []byte("A=1\nDT_API_TOKEN="+tok.Text+"\n"), 0o644))
	git(t, work, "add", "old.env")
	git(t, work, "commit", "-q", "--no-verify", "-m", "an old leak")
	must(t, os.WriteFile(filepath.Join(work, "old.env"), []byte("A=2\nDT_API_TOKEN="+tok.Text+"\n"), 0o644))
	git(t, work, "add", "old.env")
	if r := tryRepo(); r.code != 0 {
		t.Errorf("with an edit beside a committed token: exit %d; want 0\n%s", r.code, r.stdout)
	}
}
