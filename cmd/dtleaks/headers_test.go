package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// TestHistoryHeadersRedacted: tokens in an author name, a committer e-mail,
// a tagger, a tag's name and a branch's name are findings, and no format
// prints any of them whole, not even as the author of another finding.
func TestHistoryHeadersRedacted(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	g := tokentest.New(26)
	author, committer, file, branch, tag, tagger := g.Token("dt0c01"), g.Token("dt0c01"), g.Token("dt0c01"), g.Token("dt0c01"), g.Token("dt0c01"), g.Token("dt0c01")
	toks := []tokentest.Token{author, committer, file, branch, tag, tagger}
	dir := t.TempDir()
	git := func(env []string, args ...string) {
		t.Helper()
		x := exec.Command("git", args...)
		x.Dir = dir
		x.Env = append(os.Environ(), "HOME="+dir, "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=c", "GIT_COMMITTER_EMAIL=c@example.com")
		x.Env = append(x.Env, env...)
		if out, err := x.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", args[0], err, shown(out, toks...))
		}
	}
	git(nil, "init", "-q", "-b", "main")
	must(t, os.WriteFile(filepath.Join(dir, "a.env"), []byte("k="+file.Text+"\n"), 0o644))
	git(nil, "add", "a.env")
	git([]string{"GIT_AUTHOR_NAME=Ann " + author.Text, "GIT_COMMITTER_EMAIL=" + committer.Text + "@example.com"}, "commit", "-q", "-m", "add")
	git(nil, "branch", "fix/"+branch.Text)
	git([]string{"GIT_COMMITTER_NAME=" + tagger.Text}, "tag", "-a", "-m", "release", tag.Text)

	for _, format := range []string{"text", "json", "sarif", "github", "markdown"} {
		args := []string{"history", "--no-color", "--format", format, "."}
		report := filepath.Join(t.TempDir(), "report")
		if format == "markdown" {
			args = []string{"history", "--no-color", "--report", "markdown=" + report, "."}
		}
		r := dtleaks(t, dir, args...)
		rep, _ := os.ReadFile(report)
		for _, out := range [][]byte{r.stdout, r.stderr, rep} {
			if where, leak := tokentest.Leak(out, toks...); leak {
				t.Errorf("%s: the output holds the %s", format, where)
			}
		}
		if r.code != 1 {
			t.Errorf("%s: exit %d, want 1: %s", format, r.code, shown(r.stderr, toks...))
		}
		if format == "json" {
			for _, tok := range toks {
				if !bytes.Contains(r.stdout, []byte(tok.ID)) {
					t.Errorf("json: %s not reported", tok.ID)
				}
			}
		}
	}
}
