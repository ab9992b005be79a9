package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

// The transcripts under testdata/script are the command line's behaviour
// written down: each file is one behaviour, run as a user would run it.
// Inside them:
//
//	dtleaks ARGS...            runs dtleaks (the test binary, as "dtleaks")
//	status N                   the last dtleaks exited with N
//	gentoken [-base64] PREFIX NAME FILE...
//	                           makes the token NAME (the same every run) and
//	                           puts it where each FILE says {NAME}, or makes
//	                           FILE holding it; sets $NAME_ID and $NAME_FP
//	nosecret FILE...           no secret of any token made is in FILE
//
// No environment variable holds a secret, so no script line, and no failure
// message quoting one, can show it. Every dtleaks run is checked for every
// made token's secret, and for anything token-shaped, before its output is
// shown: one that prints a secret prints only where it was and exits 99.
// Scripts never cat a file holding a token.

// Environment variables between the scripts and the dtleaks they run.
const (
	// scriptTokensEnv lists the tokens made so far, as PREFIX:NAME words.
	scriptTokensEnv = "DTLEAKS_TEST_TOKENS"
	// scriptStatusEnv names the file dtleaks writes its exit status to.
	scriptStatusEnv = "DTLEAKS_TEST_STATUS"
)

// exitLeak is the exit status of a run that printed a secret.
const exitLeak = 99

func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:   filepath.Join("testdata", "script"),
		Setup: scriptSetup,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"gentoken": scriptGentoken,
			"nosecret": scriptNosecret,
			"status":   scriptStatus,
		},
	})
}

// scriptSetup gives git a fixed identity, clock and configuration, so the
// commit hashes a script shows are the same on every machine, and tells
// dtleaks where to write its exit status: beside the work directory, not in
// it, where "scan ." would find it.
func scriptSetup(env *testscript.Env) error {
	for _, kv := range [][2]string{
		{"GIT_AUTHOR_NAME", "Ada"},
		{"GIT_AUTHOR_EMAIL", "ada@example.com"},
		{"GIT_AUTHOR_DATE", "2024-03-05T10:00:00Z"},
		{"GIT_COMMITTER_NAME", "Ada"},
		{"GIT_COMMITTER_EMAIL", "ada@example.com"},
		{"GIT_COMMITTER_DATE", "2024-03-05T10:00:00Z"},
		{"GIT_CONFIG_NOSYSTEM", "1"},
		{"GIT_CONFIG_GLOBAL", os.DevNull},
		{"GIT_CONFIG_COUNT", "2"},
		{"GIT_CONFIG_KEY_0", "init.defaultBranch"},
		{"GIT_CONFIG_VALUE_0", "main"},
		{"GIT_CONFIG_KEY_1", "advice.detachedHead"},
		{"GIT_CONFIG_VALUE_1", "false"},
		{scriptStatusEnv, filepath.Join(filepath.Dir(env.WorkDir), filepath.Base(env.WorkDir)+".status")},
	} {
		env.Setenv(kv[0], kv[1])
	}
	return nil
}

// scriptToken is the token a script calls name: the same for the same
// prefix and name in every script and every run.
func scriptToken(prefix, name string) tokentest.Token {
	h := fnv.New64a()
	h.Write([]byte(prefix + ":" + name))
	return tokentest.New(h.Sum64()).Token(prefix)
}

// scriptTokens are the tokens made so far, as listed in getenv's
// scriptTokensEnv.
func scriptTokens(getenv func(string) string) []tokentest.Token {
	var toks []tokentest.Token
	for _, w := range strings.Fields(getenv(scriptTokensEnv)) {
		prefix, name, _ := strings.Cut(w, ":")
		toks = append(toks, scriptToken(prefix, name))
	}
	return toks
}

func scriptGentoken(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! gentoken")
	}
	fs := flag.NewFlagSet("gentoken", flag.ContinueOnError)
	b64 := fs.Bool("base64", false, "write the token base64-encoded")
	if err := fs.Parse(args); err != nil || fs.NArg() < 3 {
		ts.Fatalf("usage: gentoken [-base64] PREFIX NAME FILE...")
	}
	prefix, name := fs.Arg(0), fs.Arg(1)
	tok := scriptToken(prefix, name)
	text := tok.Text
	if *b64 {
		text = base64.StdEncoding.EncodeToString([]byte(text))
	}
	for _, file := range fs.Args()[2:] {
		p := ts.MkAbs(file)
		data, err := os.ReadFile(p)
		switch {
		case os.IsNotExist(err):
			ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
			data = []byte(text + "\n")
		case err != nil:
			ts.Fatalf("gentoken: %v", err)
		case !bytes.Contains(data, []byte("{"+name+"}")):
			ts.Fatalf("gentoken: %s does not say where {%s} goes", file, name)
		default:
			data = bytes.ReplaceAll(data, []byte("{"+name+"}"), []byte(text))
		}
		ts.Check(os.WriteFile(p, data, 0o644))
	}
	ts.Setenv(name+"_ID", tok.ID)
	ts.Setenv(name+"_FP", tok.Fingerprint)
	word := prefix + ":" + name
	if list := ts.Getenv(scriptTokensEnv); !strings.Contains(" "+list+" ", " "+word+" ") {
		ts.Setenv(scriptTokensEnv, strings.TrimSpace(list+" "+word))
	}
}

func scriptNosecret(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: nosecret FILE...")
	}
	toks := scriptTokens(ts.Getenv)
	for _, file := range args {
		if where, leaked := scriptLeak(toks, []byte(ts.ReadFile(file))); leaked {
			ts.Fatalf("%s holds a %s", file, where)
		}
	}
}

func scriptStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: status N")
	}
	file := ts.Getenv(scriptStatusEnv)
	data, err := os.ReadFile(file)
	if err != nil {
		ts.Fatalf("status: no dtleaks ran since the last status")
	}
	os.Remove(file)
	if got := strings.TrimSpace(string(data)); got != args[0] {
		ts.Fatalf("dtleaks exited with %s, want %s", got, args[0])
	}
}

// scriptLeak reports whether out holds a secret of one of toks, or any
// whole token: dtleaks shows a token as its identifier and "****", never
// whole. The description names no secret.
func scriptLeak(toks []tokentest.Token, out []byte) (string, bool) {
	if where, leaked := tokentest.Leak(out, toks...); leaked {
		return where, true
	}
	for m := range (&rules.Matcher{NoDecode: true}).All(out) {
		return fmt.Sprintf("whole %s token at offset %d", m.ID, m.Start), true
	}
	return "", false
}

// scriptDtleaks is dtleaks as the scripts run it: run, with its output held
// back until it is checked for secrets, and its exit status written down
// for the status command.
func scriptDtleaks() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var stdout, stderr bytes.Buffer
	code := run(ctx, os.Args[1:], os.Stdin, &stdout, &stderr, os.Getenv)
	stop()
	toks := scriptTokens(os.Getenv)
	for _, out := range []struct {
		name string
		buf  *bytes.Buffer
	}{{"stdout", &stdout}, {"stderr", &stderr}} {
		if where, leaked := scriptLeak(toks, out.buf.Bytes()); leaked {
			stdout.Reset()
			stderr.Reset()
			fmt.Fprintf(&stderr, "dtleaks (test): %s holds a %s; output withheld\n", out.name, where)
			code = exitLeak
			break
		}
	}
	os.Stdout.Write(stdout.Bytes())
	os.Stderr.Write(stderr.Bytes())
	if file := os.Getenv(scriptStatusEnv); file != "" {
		if err := os.WriteFile(file, []byte(strconv.Itoa(code)+"\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "dtleaks (test):", err)
			code = exitLeak
		}
	}
	os.Exit(code)
}

// Check the checker: a leak found is described without the secret.
func TestScriptLeak(t *testing.T) {
	tok := scriptToken("dt0c01", "TOK")
	for _, out := range []string{tok.Text, "x " + tok.Secret[10:30] + " y", scriptToken("dt0c01", "OTHER").Text} {
		where, leaked := scriptLeak([]tokentest.Token{tok}, []byte(out))
		if !leaked {
			t.Errorf("no leak found in output %d bytes long", len(out))
		}
		if strings.Contains(where, tok.Secret[:tokentest.LeakRun]) {
			t.Errorf("the description of a leak shows the secret")
		}
	}
	if _, leaked := scriptLeak([]tokentest.Token{tok}, []byte(tok.ID+".****")); leaked {
		t.Errorf("a redacted token counts as a leak")
	}
}
