package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// TestHygieneNamesHeadersRefs (issue 11, items 1 and 2; "the hygiene test
// covers names, headers and refs holding tokens"): a token in a directory
// or file name (committed and staged), in the author's, committer's and
// tagger's name and e-mail, in a mergetag header, and in the name of a
// branch, a lightweight and an annotated tag, a remote-tracking ref and a
// note ref, is never printed whole by scan, history or staged, in any
// format (text, json, sarif, github, html, markdown), on stdout, stderr or
// in a report file; and history reports every one of them.
func TestHygieneNamesHeadersRefs(t *testing.T) {
	g := tokentest.New(611)
	var toks []tokentest.Token
	tok := func() tokentest.Token {
		x := g.Token("dt0c01")
		toks = append(toks, x)
		return x
	}
	dirTok, fileTok, stagedTok := tok(), tok(), tok()
	authorName, authorMail, committerName, committerMail := tok(), tok(), tok(), tok()
	taggerName, taggerMail, mergetag := tok(), tok(), tok()
	branch, light, annotated, remote, notes := tok(), tok(), tok(), tok(), tok()

	r := gittest.New(t)
	r.Write("d-"+dirTok.Text+"/cache-"+fileTok.Text+".txt", "nothing secret here\n")
	r.GitEnv([]string{"GIT_AUTHOR_NAME=Ann " + authorName.Text, "GIT_AUTHOR_EMAIL=" + authorMail.Text + "@example.com",
		"GIT_COMMITTER_NAME=Cy " + committerName.Text, "GIT_COMMITTER_EMAIL=" + committerMail.Text + "@example.com"},
		"add", "-A")
	r.GitEnv([]string{"GIT_AUTHOR_NAME=Ann " + authorName.Text, "GIT_AUTHOR_EMAIL=" + authorMail.Text + "@example.com",
		"GIT_COMMITTER_NAME=Cy " + committerName.Text, "GIT_COMMITTER_EMAIL=" + committerMail.Text + "@example.com"},
		"commit", "-q", "-m", "names")
	head := r.Git("rev-parse", "HEAD")
	tree := r.Git("rev-parse", "HEAD^{tree}")
	// A merge commit whose mergetag header holds a tag named by a token.
	mt := fmt.Sprintf("tree %s\nparent %s\nparent %s\nauthor A <a@example.com> 1700000000 +0000\ncommitter C <c@example.com> 1700000000 +0000\n"+
		"mergetag object %s\n type commit\n tag %s\n tagger T <t@example.com> 1700000000 +0000\n \n release\n\nmerge\n", tree, head, head, head, mergetag.Text)
	merge := r.GitInput(mt, "hash-object", "-t", "commit", "-w", "--stdin")
	r.Git("update-ref", "refs/heads/merged", merge)
	r.Git("branch", "fix/"+branch.Text)
	r.Git("tag", light.Text)
	r.GitEnv([]string{"GIT_COMMITTER_NAME=Tess " + taggerName.Text, "GIT_COMMITTER_EMAIL=" + taggerMail.Text + "@example.com"},
		"tag", "-a", "-m", "release", annotated.Text)
	r.Git("update-ref", "refs/remotes/origin/"+remote.Text, head)
	r.Git("update-ref", "refs/notes/"+notes.Text, head)
	r.Write("s-"+stagedTok.Text+".txt", "staged\n")
	r.Git("add", "-A")

	reports := t.TempDir()
	n := 0
	for _, command := range []string{"scan", "history", "staged"} {
		for _, format := range []string{"text", "json", "sarif", "github", "html", "markdown"} {
			n++
			rep := filepath.Join(reports, fmt.Sprint(n))
			args := []string{command, "--no-color", "--format", format, "--report", "markdown=" + rep + ".md", "--report", "html=" + rep + ".html", "."}
			if format == "markdown" {
				args = []string{command, "--no-color", "--report", "markdown=" + rep + ".md", "."}
			}
			res := dtleaks(t, r.Dir, args...)
			outs := map[string][]byte{"stdout": res.stdout, "stderr": res.stderr}
			for _, ext := range []string{".md", ".html"} {
				b, _ := os.ReadFile(rep + ext)
				outs["report"+ext] = b
			}
			for what, out := range outs {
				if where, leak := tokentest.Leak(out, toks...); leak {
					t.Errorf("%s --format %s: %s holds a %s", command, format, what, where)
				}
			}
			if res.code != 1 {
				t.Errorf("%s --format %s: exit %d, want 1 (stderr %s)", command, format, res.code, shown(res.stderr, toks...))
			}
			if format != "json" {
				continue
			}
			want := map[string][]tokentest.Token{
				"scan":    {dirTok, fileTok, stagedTok},
				"staged":  {stagedTok},
				"history": {dirTok, fileTok, authorName, authorMail, committerName, committerMail, taggerName, taggerMail, mergetag, branch, light, annotated, remote, notes},
			}[command]
			for _, w := range want {
				if !strings.Contains(string(res.stdout), w.ID) {
					t.Errorf("%s --format json: the token %s is not reported", command, w.ID)
				}
			}
		}
	}
}
