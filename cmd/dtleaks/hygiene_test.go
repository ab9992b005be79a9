package main

// Secret hygiene (issue 5): whatever dtleaks is asked to do, and whatever
// goes wrong while it does it, no run of a secret reaches its output, its
// error messages, a report file, or the disk.

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/dynatrace/dttest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// hygieneCorpus is a repository full of tokens of every shape: plain ones
// of several kinds, base64-encoded once and twice, legacy tokens in their
// context, tokens in commit and tag messages, a token deleted from the tree
// but still in history, and a staged file. It returns the repository and
// every secret to look for, including the encoded forms and legacy tokens
// as secrets of their own.
func hygieneCorpus(t *testing.T) (string, []tokentest.Token) {
	t.Helper()
	g := tokentest.New(600)
	var secrets []tokentest.Token
	tok := func(prefix string) tokentest.Token {
		x := g.Token(prefix)
		secrets = append(secrets, x)
		return x
	}
	// secretOf makes a pseudo-token whose "secret" is s, so that Leak
	// looks for runs of an encoded form or a legacy token too.
	secretOf := func(what, s string) {
		secrets = append(secrets, tokentest.Token{ID: what, Secret: s})
	}
	legacy := func() string {
		for {
			s := g.String("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 21)
			if strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") {
				secretOf("legacy token", s)
				return s
			}
		}
	}
	b64 := func(s string) string {
		e := base64.StdEncoding.EncodeToString([]byte(s))
		secretOf("base64 form", e)
		return e
	}
	dir := newRepo(t)
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(content), 0o644))
	}
	deleted := tok("dt0c01")
	write("old.env", "DT_API_TOKEN="+deleted.Text+"\n")
	commit(t, dir, "add config", nil)
	must(t, os.Remove(filepath.Join(dir, "old.env")))
	msg := tok("dt0s16")
	commit(t, dir, "remove config; the old one was "+msg.Text, nil)

	write("app.env", "DT_API_TOKEN="+tok("dt0c01").Text+"\nDT_URL=https://abc12345.live.dynatrace.com\n")
	write("values.yaml", "dynatrace:\n  apiToken: "+legacy()+"\n  paasToken: \""+legacy()+"\"\n")
	write("secret.yaml", "kind: Secret\ndata:\n  token: "+b64(tok("dt0s01").Text)+"\n  docker: "+b64(b64(tok("dt0c01").Text))+"\n")
	write("curl.sh", "curl -H 'Authorization: Api-Token "+legacy()+"' https://x.live.dynatrace.com/api/v2\n")
	write("bin/blob.bin", "\x00\xff"+tok("dt0g02").Text+"\x00")
	write("crlf.txt", "a\r\n"+tok("dt0s02").Text+"\r\n")
	commit(t, dir, "current config", nil)
	git(t, dir, "tag", "-a", "v1", "-m", "release, token "+tok("dt0c01").Text)

	write("staged.env", "NEW="+tok("dt0c01").Text+"\nB64="+b64(tok("dt0s16").Text)+"\nX_API_TOKEN=1\napiToken: "+legacy()+"\n")
	git(t, dir, "add", "staged.env")
	return dir, secrets
}

// hygieneLeak fails the test if data holds a run of any secret.
func hygieneLeak(t *testing.T, what string, data []byte, secrets []tokentest.Token) {
	t.Helper()
	if where, leak := tokentest.Leak(data, secrets...); leak {
		t.Errorf("%s holds a %s", what, where)
	}
}

// TestHygiene runs every command in every format, with reports written to
// files, on the corpus, on the corpus with an unreadable file (as an
// unprivileged user) and with corrupt objects, and checks every byte each
// run wrote: stdout, stderr, report files, and anything under its HOME and
// TMPDIR. It also checks that no run changed a file of the repository.
func TestHygiene(t *testing.T) {
	dir, secrets := hygieneCorpus(t)
	before := snapshot(t, dir)
	scratch := t.TempDir()
	home, tmp, reports := filepath.Join(scratch, "home"), filepath.Join(scratch, "tmp"), filepath.Join(scratch, "reports")
	for _, d := range []string{home, tmp, reports} {
		must(t, os.MkdirAll(d, 0o777))
		must(t, os.Chmod(d, 0o777)) // the unprivileged runs write here too
	}
	for d := scratch; d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
		if strings.Count(d, string(filepath.Separator)) <= 2 {
			break
		}
	}
	env := []string{"HOME=" + home, "TMPDIR=" + tmp, "XDG_CACHE_HOME=" + filepath.Join(home, ".cache")}
	runs := 0
	check := func(t *testing.T, c cmd, wantCodes ...int) result {
		t.Helper()
		runs++
		c.env = env
		r := c.run(t)
		// Some arguments are tokens: the label shows them redacted, as a
		// failure message must.
		label := strings.Join(c.args, " ")
		for _, s := range secrets {
			if s.Text != "" {
				label = strings.ReplaceAll(label, s.Text, s.ID+".****")
			}
		}
		hygieneLeak(t, label+": stdout", r.stdout, secrets)
		hygieneLeak(t, label+": stderr", r.stderr, secrets)
		noCrash(t, r)
		ok := len(wantCodes) == 0
		for _, w := range wantCodes {
			ok = ok || r.code == w
		}
		if !ok {
			t.Errorf("%s: exit %d; want one of %v (stderr %s)", label, r.code, wantCodes, shown(r.stderr, secrets...))
		}
		return r
	}
	run := func(t *testing.T, uid int, sub string, wantCodes []int, args ...string) {
		t.Helper()
		for _, format := range []string{"text", "json", "sarif", "github", "html"} {
			n := runs
			full := append([]string{args[0], "--format", format, "--no-color",
				"--report", fmt.Sprintf("markdown=%s/%d.md", reports, n),
				"--report", fmt.Sprintf("sarif=%s/%d.sarif", reports, n),
				"--report", fmt.Sprintf("html=%s/%d.html", reports, n),
				"--output", fmt.Sprintf("%s/%d.out", reports, n)}, args[1:]...)
			check(t, cmd{dir: filepath.Join(dir, sub), uid: uid, args: full}, wantCodes...)
			// The same to stdout, as a terminal user sees it.
			check(t, cmd{dir: filepath.Join(dir, sub), uid: uid, args: append([]string{args[0], "--format", format}, args[1:]...)}, wantCodes...)
		}
	}

	t.Run("clean corpus", func(t *testing.T) {
		run(t, 0, "", []int{1}, "scan", ".")
		run(t, 0, "", []int{1}, "scan", "--no-decode", "--jobs", "1", ".")
		run(t, 0, "", []int{1}, "history", ".")
		run(t, 0, "", []int{1}, "history", "--range", "HEAD~1..HEAD", ".")
		run(t, 0, "", []int{1}, "staged", ".")
		check(t, cmd{dir: dir, stdin: mustRead(t, filepath.Join(dir, "app.env")), args: []string{"scan", "--format", "json", "-"}}, 1)
		check(t, cmd{dir: dir, args: []string{"scan", "--baseline", filepath.Join(reports, "0.out"), "."}}, 1, 2)
	})
	t.Run("every shape found", func(t *testing.T) {
		// The runs above prove something only if the corpus holds what it
		// claims and dtleaks finds it: each shape, in the tree and in
		// history, and the leak check sees the secrets in the corpus.
		for _, name := range []string{"app.env", "values.yaml", "secret.yaml", "curl.sh", "staged.env"} {
			if _, leak := tokentest.Leak([]byte(mustRead(t, filepath.Join(dir, name))), secrets...); !leak {
				t.Errorf("the leak check finds no secret in %s", name)
			}
		}
		r := check(t, cmd{dir: dir, args: []string{"history", "--format", "json", "."}}, 1)
		var fs []struct {
			TokenID  string `json:"token_id"`
			Encoding string `json:"encoding"`
			Location string `json:"location"`
		}
		must(t, json.Unmarshal(r.stdout, &fs))
		seen := map[string]int{}
		for _, f := range fs {
			switch {
			case f.TokenID == "":
				seen["legacy"]++
			case f.Encoding != "":
				seen["encoded"]++
			case f.Location != "":
				seen[f.Location]++
			default:
				seen["plain"]++
			}
		}
		for shape, want := range map[string]int{"legacy": 3, "encoded": 2, "commit-message": 1, "tag-message": 1, "plain": 4} {
			if seen[shape] < want {
				t.Errorf("history found %d %s tokens; want at least %d (found %v)", seen[shape], shape, want, seen)
			}
		}
	})
	t.Run("help", func(t *testing.T) {
		for _, args := range [][]string{{}, {"help"}, {"--help"}, {"-h"}, {"help", "scan"}, {"help", "history"}, {"help", "staged"},
			{"scan", "--help"}, {"history", "-h"}, {"staged", "--help"}, {"rules"}, {"version"}} {
			check(t, cmd{dir: dir, args: args})
		}
	})
	t.Run("errors with a token in hand", func(t *testing.T) {
		// Whole tokens to plant (the pseudo-tokens above have no Text).
		var real []tokentest.Token
		for _, s := range secrets {
			if s.Text != "" {
				real = append(real, s)
			}
		}
		if len(real) < 6 {
			t.Fatalf("%d whole tokens in the corpus; want 6", len(real))
		}
		// Files that are not what their flag wants, holding tokens: the
		// error names the file, never its content.
		bad := filepath.Join(reports, "bad-baseline.json")
		must(t, os.WriteFile(bad, []byte("[{\"fingerprint\": "+real[0].Text+"}]"), 0o644))
		check(t, cmd{dir: dir, args: []string{"scan", "--baseline", bad, "."}}, 2)
		check(t, cmd{dir: dir, args: []string{"scan", "--baseline", filepath.Join(dir, "app.env"), "."}}, 2)
		check(t, cmd{dir: dir, args: []string{"history", "--baseline", filepath.Join(dir, "secret.yaml"), "."}}, 2)
		check(t, cmd{dir: dir, args: []string{"scan", "--baseline", filepath.Join(dir, "bin", "blob.bin"), "."}}, 2)
		// A revision argument that is not one, or that is a token.
		check(t, cmd{dir: dir, args: []string{"history", "--range", "nosuch..HEAD", "."}}, 2)
		check(t, cmd{dir: dir, args: []string{"history", "--range", real[5].Text + "..HEAD", "."}}, 2)
		check(t, cmd{dir: dir, args: []string{"history", "--since-commit", real[5].Text, "."}}, 2)
		// Arguments that are tokens: echoed in the error, redacted.
		check(t, cmd{dir: dir, args: []string{real[5].Text}}, 2)
		check(t, cmd{dir: dir, args: []string{"scan", "--format", real[5].Text}}, 2)
		check(t, cmd{dir: dir, args: []string{"scan", "--" + real[5].Text}}, 2)
		check(t, cmd{dir: dir, args: []string{"scan", "nosuch/" + real[5].Text}}, 2)
		check(t, cmd{dir: dir, args: []string{"staged", "--jobs", real[5].Text}}, 2)
		// A repository whose HEAD and a ref hold a token instead of a hash.
		gd := filepath.Join(reports, "badrefs")
		must(t, os.MkdirAll(gd, 0o755))
		gitInit(t, gd)
		must(t, os.WriteFile(filepath.Join(gd, ".git", "refs", "heads", "tok"), []byte(real[1].Text+"\n"), 0o644))
		must(t, os.WriteFile(filepath.Join(gd, ".git", "HEAD"), []byte("ref: "+real[2].Text+"\n"), 0o644))
		// staged reads HEAD and fails on it, and go-git's error quotes
		// the ref name: the token in it must come out redacted.
		check(t, cmd{dir: gd, args: []string{"staged", "--format", "json"}}, 2)
		check(t, cmd{dir: gd, args: []string{"history", "--format", "json"}})
		// An ignore file that is a token, and a .git file pointing at one.
		must(t, os.WriteFile(filepath.Join(gd, ".dtleaksignore"), []byte(real[3].Text+"\n!"+real[3].Text+"\n[\n"), 0o644))
		wt := filepath.Join(reports, "wt")
		must(t, os.MkdirAll(wt, 0o755))
		must(t, os.WriteFile(filepath.Join(wt, ".git"), []byte("gitdir: "+real[4].Text+"\n"), 0o644))
		check(t, cmd{dir: gd, args: []string{"scan", "."}})
		for _, c := range []string{"scan", "history", "staged"} {
			check(t, cmd{dir: wt, args: []string{c}})
		}
	})
	if os.Getuid() == 0 {
		t.Run("unreadable file", func(t *testing.T) {
			locked := filepath.Join(dir, "locked.env")
			must(t, os.WriteFile(locked, []byte("K="+secrets[0].Text+"\n"), 0o600))
			defer os.Remove(locked)
			for d := dir; d != "/"; d = filepath.Dir(d) {
				os.Chmod(d, 0o755)
				if strings.Count(d, string(filepath.Separator)) <= 2 {
					break
				}
			}
			run(t, 65534, "", []int{2}, "scan", ".")
		})
	} else {
		t.Log("not root: the unreadable-file runs need to drop to another user")
	}
	t.Run("corrupt objects", func(t *testing.T) {
		// A copy of the repository, so the others keep a sound one.
		cp := filepath.Join(t.TempDir(), "repo")
		git(t, filepath.Dir(cp), "clone", "-q", "--no-local", "--mirror", dir, cp+"/.git")
		git(t, cp, "config", "--bool", "core.bare", "false")
		git(t, cp, "reset", "-q")
		// The blob holding app.env's token, cut short after the token,
		// and the commit whose message holds one, replaced by garbage.
		blob := git(t, cp, "rev-parse", "HEAD:app.env")
		p := looseObject(cp, blob)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		content := mustRead(t, filepath.Join(dir, "app.env"))
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		fmt.Fprintf(zw, "blob %d\x00%s", len(content)+100, content)
		zw.Close()
		must(t, os.WriteFile(p, z.Bytes(), 0o644))
		packs, _ := filepath.Glob(filepath.Join(cp, ".git", "objects", "pack", "*.pack"))
		for _, pk := range packs {
			fi, err := os.Stat(pk)
			must(t, err)
			must(t, os.Truncate(pk, fi.Size()*2/3))
		}
		run(t, 0, "", []int{2}, "history", cp)
		run(t, 0, "", []int{2}, "history", "--range", "HEAD~1..HEAD", cp)
		run(t, 0, "", nil, "staged", cp)
	})

	// Nothing on disk outside the corpus holds a secret, and the corpus
	// itself is unchanged.
	for _, root := range []string{home, tmp, reports} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() || strings.HasPrefix(p, filepath.Join(reports, "bad")) {
				return nil
			}
			if strings.HasPrefix(p, filepath.Join(reports, "badrefs")) || strings.HasPrefix(p, filepath.Join(reports, "wt")) {
				return nil // fixtures this test wrote
			}
			data, err := os.ReadFile(p)
			must(t, err)
			hygieneLeak(t, p, data, secrets)
			return nil
		})
	}
	if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
		t.Errorf("dtleaks left %d entries in TMPDIR", len(ents))
	}
	if after := snapshot(t, dir); after != before {
		t.Errorf("the scanned repository changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	t.Logf("%d runs checked", runs)
}

// snapshot lists every file under dir with its size and modification time.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if !d.IsDir() {
			fmt.Fprintf(&b, "%s %d %d\n", p, fi.Size(), fi.ModTime().UnixNano())
		}
		return nil
	})
	return b.String()
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	must(t, err)
	return string(b)
}

// TestHistoryJobsDeterministic checks that history output is byte for byte
// the same with one worker and with eight, in every format.
func TestHistoryJobsDeterministic(t *testing.T) {
	dir := newRepo(t)
	g := tokentest.New(601)
	for i := range 40 {
		files := map[string]*string{}
		for j := range 8 {
			content := fmt.Sprintf("commit %d file %d\n", i, j)
			if (i+j)%5 == 0 {
				content += "k=" + g.Token("dt0c01").Text + "\n"
			}
			files[fmt.Sprintf("d%d/f%d.txt", j%3, j)] = &content
		}
		commit(t, dir, fmt.Sprintf("commit %d", i), files)
		if i%10 == 9 {
			git(t, dir, "repack", "-q", "-d")
		}
	}
	for _, format := range []string{"json", "text", "sarif", "github"} {
		var first []byte
		for _, jobs := range []string{"1", "8"} {
			r := dtleaks(t, dir, "history", "--format", format, "--jobs", jobs, ".")
			if r.code != 1 {
				t.Fatalf("--jobs %s: exit %d (stderr %d bytes)", jobs, r.code, len(r.stderr))
			}
			if first == nil {
				first = r.stdout
			} else if !bytes.Equal(first, r.stdout) {
				t.Errorf("history --format %s: --jobs 8 output differs from --jobs 1", format)
			}
		}
	}
}

// shown returns out for a failure message, or a note in its place when it
// holds a run of a secret: a test must not print the leak it found.
func shown(out []byte, toks ...tokentest.Token) string {
	if where, leak := tokentest.Leak(out, toks...); leak {
		return "(withheld: holds a " + where + ")"
	}
	return fmt.Sprintf("%q", out)
}

// shownMap is shown for a map of tokens, as tree returns them.
func shownMap(out []byte, toks map[string]tokentest.Token) string {
	var all []tokentest.Token
	for _, t := range toks {
		all = append(all, t)
	}
	return shown(out, all...)
}

// TestHygieneVerify runs --verify (scan and history) in every format, with
// report files, and revoke in each of its modes, against a stand-in whose
// every error answer quotes the request back (the token in the body and
// the Authorization header), and checks every byte the runs wrote.
func TestHygieneVerify(t *testing.T) {
	g := tokentest.New(601)
	admin := g.Token("dt0c01")
	srv := dttest.New(t, admin.Text)
	env := srv.URL + "/e/abcdefgh"
	secrets := []tokentest.Token{admin}
	tok := func(prefix string, f func(*dttest.Token)) tokentest.Token {
		x := g.Token(prefix)
		secrets = append(secrets, x)
		d := &dttest.Token{Text: x.Text, ID: x.ID, Echo: true, Name: "n " + x.ID, Scopes: []string{"settings.write"}}
		f(d)
		srv.Add(d)
		return x
	}
	same := func(*dttest.Token) {}
	live := tok("dt0c01", same)
	dead := tok("dt0c01", func(d *dttest.Token) { d.Disabled = true })
	broken := tok("dt0c01", func(d *dttest.Token) { d.Lookup = 500 })
	reader := tok("dt0c01", func(d *dttest.Token) { d.Lookup = 403 })
	missing := tok("dt0c01", func(d *dttest.Token) { d.Lookup = 404 })
	busy := tok("dt0c01", func(d *dttest.Token) { d.Lookup = 429 })
	moved := tok("dt0c01", func(d *dttest.Token) { d.Lookup = 302; d.Redirect = "https://127.0.0.1:1/steal?t=" + d.Text })
	encoded := tok("dt0c01", same)
	refused := tok("dt0c01", func(d *dttest.Token) { d.Put = 400 })
	b64 := base64.StdEncoding.EncodeToString([]byte(encoded.Text))
	secrets = append(secrets, tokentest.Token{ID: "base64 form", Secret: b64})
	legacyText := "Ab3" + g.String("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 18)
	secrets = append(secrets, tokentest.Token{ID: "legacy token", Secret: legacyText})
	srv.Add(&dttest.Token{Text: legacyText, Lookup: 500, Echo: true})

	dir := newRepo(t)
	must(t, os.WriteFile(filepath.Join(dir, "app.env"), []byte("DT_URL="+env+"\nA="+live.Text+"\nB="+dead.Text+"\nC="+broken.Text+
		"\nD="+reader.Text+"\nE="+missing.Text+"\nF="+busy.Text+"\nG="+moved.Text+"\nH="+refused.Text+"\nK="+b64+"\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "curl.sh"), []byte("curl -H 'Authorization: Api-Token "+legacyText+"' "+env+"/api/v2/metrics\n"), 0o644))
	commit(t, dir, "config", nil)

	reports := t.TempDir()
	verifyArgs := []string{"--verify", "--environment", env, "--ca-file", srv.CAFile}
	check := func(c cmd, wantCodes ...int) result {
		t.Helper()
		r := c.run(t)
		label := strings.Join(c.args, " ")
		for _, s := range secrets {
			if s.Text != "" {
				label = strings.ReplaceAll(label, s.Text, s.ID+".****")
			}
		}
		hygieneLeak(t, label+": stdout", r.stdout, secrets)
		hygieneLeak(t, label+": stderr", r.stderr, secrets)
		noCrash(t, r)
		ok := len(wantCodes) == 0
		for _, w := range wantCodes {
			ok = ok || r.code == w
		}
		if !ok {
			t.Errorf("%s: exit %d; want %v (stderr %s)", label, r.code, wantCodes, shown(r.stderr, secrets...))
		}
		return r
	}
	n := 0
	for _, command := range []string{"scan", "history"} {
		for _, format := range []string{"text", "json", "sarif", "github"} {
			n++
			args := append([]string{command, "--format", format, "--no-color",
				"--report", fmt.Sprintf("markdown=%s/%d.md", reports, n),
				"--report", fmt.Sprintf("sarif=%s/%d.sarif", reports, n),
				"--report", fmt.Sprintf("json=%s/%d.json", reports, n),
				"--output", fmt.Sprintf("%s/%d.out", reports, n)}, verifyArgs...)
			check(cmd{dir: dir, args: append(args, ".")}, 1)
			check(cmd{dir: dir, args: append(append([]string{command, "--format", format}, verifyArgs...), ".")}, 1)
		}
	}
	// The runs above prove something only if the stand-in echoed secrets
	// back: it did, to each of the tokens with an error answer.
	echoed := 0
	for _, q := range srv.Requests() {
		hygieneLeak(t, "a request URL", []byte(q.Path+"?"+q.Query), secrets)
		if strings.Contains(q.Body, broken.Text) {
			echoed++
		}
	}
	if echoed == 0 {
		t.Error("no request for the token whose answer echoes it")
	}
	var found []verifiedFinding
	must(t, json.Unmarshal([]byte(mustRead(t, filepath.Join(reports, "1.json"))), &found))
	verdicts := map[string]string{}
	for _, f := range found {
		verdicts[f.TokenID] = f.Verified
	}
	if verdicts[live.ID] != "live" || verdicts[encoded.ID] != "live" || verdicts[broken.ID] != "unknown" || verdicts[moved.ID] != "unknown" {
		t.Errorf("verdicts %v", verdicts)
	}

	report := filepath.Join(reports, "1.json")
	withAdmin := []string{"DT_ADMIN_TOKEN=" + admin.Text}
	rv := []string{"revoke", "--environment", env, "--ca-file", srv.CAFile}
	check(cmd{dir: dir, args: append(rv, report)}, 0, 2)
	check(cmd{dir: dir, env: withAdmin, args: append(rv, report)}, 0, 2)
	check(cmd{dir: dir, env: withAdmin, args: append(rv, "--yes", report)}, 2)
	check(cmd{dir: dir, env: withAdmin, args: append(rv, "--yes", "--delete", report)}, 2)
	check(cmd{dir: dir, env: withAdmin, args: append(rv, "--yes", refused.ID, live.ID)}, 0, 2)
	check(cmd{dir: dir, env: withAdmin, args: append(rv, "--yes", live.Text)}, 2)
	check(cmd{dir: dir, env: withAdmin, args: append(rv, "--admin-token", admin.Text, live.ID)}, 2)
	check(cmd{dir: dir, env: withAdmin, args: append(rv, "--environment", "https://"+admin.Text+"@127.0.0.1:1", live.ID)}, 2)
	check(cmd{dir: dir, env: withAdmin, args: append(rv, filepath.Join(dir, "app.env"))}, 2)
	check(cmd{dir: dir, env: []string{"DT_ADMIN_TOKEN=" + refused.Text}, args: append(rv, "--yes", live.ID)}, 2)

	filepath.WalkDir(reports, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			must(t, err)
			hygieneLeak(t, p, data, secrets)
		}
		return nil
	})
}
