package main

// --verify and dtleaks revoke, end to end, against a local stand-in for
// Dynatrace (dttest) on 127.0.0.1 that the runs reach through
// --environment and --ca-file, as a Managed user's would.

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/dynatrace/dttest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// verifiedFinding holds the verification fields of a JSON finding.
type verifiedFinding struct {
	TokenID             string   `json:"token_id"`
	Path                string   `json:"path"`
	Verified            string   `json:"verified"`
	VerifiedReason      string   `json:"verified_reason"`
	VerifiedEnvironment string   `json:"verified_environment"`
	Privileged          bool     `json:"privileged"`
	TokenName           string   `json:"token_name"`
	TokenOwner          string   `json:"token_owner"`
	TokenScopes         []string `json:"token_scopes"`
	Expires             string   `json:"expires"`
	LastUsed            string   `json:"last_used"`
}

func decodeVerified(t *testing.T, r result) map[string]verifiedFinding {
	t.Helper()
	var fs []verifiedFinding
	if err := json.Unmarshal(r.stdout, &fs); err != nil {
		t.Fatalf("stdout is not a JSON report: %v (exit %d)", err, r.code)
	}
	out := map[string]verifiedFinding{}
	for _, f := range fs {
		if prev, ok := out[f.TokenID]; ok && prev.Verified != f.Verified {
			t.Errorf("%s: findings of the same token disagree", f.TokenID)
		}
		out[f.TokenID] = f
	}
	return out
}

// hostOf returns a stand-in's host:port.
func hostOf(t *testing.T, s *dttest.Server) string {
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// carrying counts the requests that carried tok, in the body or the
// Authorization header.
func carrying(reqs []dttest.Request, tok tokentest.Token) int {
	n := 0
	for _, r := range reqs {
		if strings.Contains(r.Body, tok.Text) || strings.Contains(r.Auth, tok.Text) {
			n++
		}
	}
	return n
}

// verifyCorpus writes a tree whose tokens stand next to the stand-in's
// environment URL (an ActiveGate-style https://127.0.0.1:PORT/e/abcdefgh),
// and one next to the URL of a second server nobody named.
func verifyCorpus(t *testing.T, srv, planted *dttest.Server) (dir, env string, toks map[string]tokentest.Token) {
	t.Helper()
	env = srv.URL + "/e/abcdefgh"
	dir, toks = tree(t, 1414, map[string]string{
		"a.env":       "DT_URL=" + env + "\nDT_TOKEN={live}\n",
		"b/b.env":     "DT_URL=" + env + "\nDT_TOKEN={live}\nOLD={dead}\n",
		"c.env":       "DT_URL=" + env + "\nX={broken}\nY={reader}\nZ={agent:dt0a01}\n",
		"planted.env": "DT_URL=" + planted.URL + "/e/abcdefgh\nDT_TOKEN={planted}\n",
	})
	srv.Add(
		&dttest.Token{Text: toks["live"].Text, ID: toks["live"].ID, Name: "ci", Owner: "ci@example.com", Scopes: []string{"metrics.read", "apiTokens.write"}},
		&dttest.Token{Text: toks["dead"].Text, ID: toks["dead"].ID, Disabled: true, Echo: true},
		&dttest.Token{Text: toks["broken"].Text, ID: toks["broken"].ID, Lookup: 500, Echo: true},
		&dttest.Token{Text: toks["reader"].Text, ID: toks["reader"].ID, Lookup: 403, Echo: true},
	)
	planted.Add(&dttest.Token{Text: toks["planted"].Text, ID: toks["planted"].ID})
	return dir, env, toks
}

func TestVerifyScan(t *testing.T) {
	srv, planted := dttest.New(t, ""), dttest.New(t, "")
	dir, env, toks := verifyCorpus(t, srv, planted)
	r := dtleaks(t, dir, "scan", "--verify", "--environment", env, "--ca-file", srv.CAFile, "--format", "json", ".")
	noLeak(t, r, toks)
	if r.code != exitFindings {
		t.Fatalf("exit %d; stderr %s", r.code, shownMap(r.stderr, toks))
	}
	got := decodeVerified(t, r)
	want := map[string]string{"live": "live", "dead": "invalid", "broken": "unknown", "reader": "live", "agent": "unknown", "planted": "unknown"}
	for name, v := range want {
		f := got[toks[name].ID]
		if f.Verified != v {
			t.Errorf("%s: verified %q (%s), want %q", name, f.Verified, f.VerifiedReason, v)
		}
	}
	l := got[toks["live"].ID]
	if !l.Privileged || l.TokenName != "ci" || l.TokenOwner != "ci@example.com" || len(l.TokenScopes) != 2 || l.Expires == "" || l.LastUsed == "" || l.VerifiedEnvironment != env {
		t.Errorf("live token: %+v", l)
	}
	if !strings.Contains(got[toks["planted"].ID].VerifiedReason, "not contacted") {
		t.Errorf("planted: reason %q", got[toks["planted"].ID].VerifiedReason)
	}
	reqs := srv.Requests()
	if n := carrying(reqs, toks["live"]); n != 1 {
		t.Errorf("the token found in two files was sent %d times, want once", n)
	}
	if n := len(planted.Requests()); n != 0 {
		t.Errorf("an environment found in the scanned files but not named got %d requests", n)
	}
	host := hostOf(t, srv)
	for _, q := range reqs {
		if q.Host != host || q.Path != "/e/abcdefgh/api/v2/apiTokens/lookup" || q.Query != "" {
			t.Errorf("unexpected request %s %s %s", q.Method, q.Host, q.Path)
		}
	}
	if n := carrying(reqs, toks["agent"]); n != 0 {
		t.Errorf("an agent token was sent %d times", n)
	}
	// The summary counts the verdicts.
	if !strings.Contains(string(r.stderr), "2 live (1 privileged), 1 invalid, 3 unknown") {
		t.Errorf("summary: %s", shownMap(r.stderr, toks))
	}

	// Text marks the live, privileged token.
	r = dtleaks(t, dir, "scan", "--verify", "--environment", env, "--ca-file", srv.CAFile, "--no-color", "a.env")
	noLeak(t, r, toks)
	if !strings.Contains(string(r.stdout), "LIVE, PRIVILEGED") {
		t.Errorf("text: %s", shownMap(r.stdout, toks))
	}
}

func TestVerifyHistory(t *testing.T) {
	srv, planted := dttest.New(t, ""), dttest.New(t, "")
	dir, env, toks := verifyCorpus(t, srv, planted)
	gitInit(t, dir)
	commit(t, dir, "config", nil)
	r := dtleaks(t, dir, "history", "--verify", "--environment", env, "--ca-file", srv.CAFile, "--format", "json", ".")
	noLeak(t, r, toks)
	got := decodeVerified(t, r)
	if got[toks["live"].ID].Verified != "live" || got[toks["dead"].ID].Verified != "invalid" {
		t.Errorf("history: %+v", got)
	}
	if n := carrying(srv.Requests(), toks["live"]); n != 1 {
		t.Errorf("sent %d times, want once", n)
	}
	if len(planted.Requests()) != 0 {
		t.Error("the planted environment was contacted")
	}
}

func TestVerifyWithoutEnvironment(t *testing.T) {
	srv := dttest.New(t, "")
	dir, toks := tree(t, 1415, map[string]string{"a.env": "T={tok}\n"})
	srv.Add(&dttest.Token{Text: toks["tok"].Text, ID: toks["tok"].ID})
	// No environment next to the token and none named: unknown, and the
	// server that would say live hears nothing (it is trusted by
	// --ca-file, not named).
	r := dtleaks(t, dir, "scan", "--verify", "--ca-file", srv.CAFile, "--format", "json", ".")
	if f := decodeVerified(t, r)[toks["tok"].ID]; f.Verified != "unknown" || !strings.Contains(f.VerifiedReason, "no environment") {
		t.Errorf("got %+v", f)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests with no environment known", n)
	}
	// Named: checked there.
	r = dtleaks(t, dir, "scan", "--verify", "--environment", srv.URL, "--ca-file", srv.CAFile, "--format", "json", ".")
	if f := decodeVerified(t, r)[toks["tok"].ID]; f.Verified != "live" {
		t.Errorf("named: %+v", f)
	}
	// Without --ca-file the stand-in's certificate is not trusted: unknown,
	// never invalid, and no request got through.
	before := len(srv.Requests())
	r = dtleaks(t, dir, "scan", "--verify", "--environment", srv.URL, "--format", "json", ".")
	if f := decodeVerified(t, r)[toks["tok"].ID]; f.Verified != "unknown" {
		t.Errorf("untrusted certificate: %+v", f)
	}
	if len(srv.Requests()) != before {
		t.Error("a request reached a server whose certificate is not trusted")
	}
}

func TestVerifyFlags(t *testing.T) {
	dir, _ := tree(t, 1416, map[string]string{"a.env": "T={tok}\n"})
	ca := filepath.Join(dir, "a.env")
	for _, args := range [][]string{
		{"scan", "--environment", "https://dt.example.com", "."},            // needs --verify
		{"scan", "--ca-file", ca, "."},                                      // needs --verify
		{"scan", "--verify", "--environment", "http://dt.example.com", "."}, // not https
		{"scan", "--verify", "--environment", "https://u:p@dt.example.com", "."},
		{"scan", "--verify", "--ca-file", ca, "."},                    // no certificate in it
		{"scan", "--verify", "--ca-file", "/nonexistent/ca.pem", "."}, // missing
		{"staged", "--verify", "."},                                   // never in a pre-commit hook
	} {
		r := dtleaks(t, dir, args...)
		if r.code != exitError {
			t.Errorf("%s: exit %d, want 2", strings.Join(args, " "), r.code)
		}
	}
}

// revokeSetup writes a JSON report of a scan next to the stand-in.
func revokeSetup(t *testing.T, srv *dttest.Server, env string) (string, map[string]tokentest.Token) {
	t.Helper()
	dir, toks := tree(t, 1417, map[string]string{
		"a.env":     "DT_URL=" + env + "\nA={a}\nB={b}\nC={c}\nD={gone}\nE={bad}\n",
		"ag.env":    "DT_URL=" + env + "\nAG={ag:dt0g02}\n",
		"oauth.env": "S={client:dt0s16}\n",
	})
	srv.Add(
		&dttest.Token{Text: toks["a"].Text, ID: toks["a"].ID},
		&dttest.Token{Text: toks["b"].Text, ID: toks["b"].ID, Disabled: true},
		&dttest.Token{Text: toks["c"].Text, ID: toks["c"].ID},
		&dttest.Token{Text: toks["bad"].Text, ID: toks["bad"].ID, Put: 403, Echo: true},
		&dttest.Token{ID: toks["ag"].ID, ActiveGate: true},
	)
	r := dtleaks(t, dir, "scan", "--format", "json", "--output", "report.json", ".")
	if r.code != exitFindings {
		t.Fatalf("scan: exit %d", r.code)
	}
	return dir, toks
}

func TestRevoke(t *testing.T) {
	admin := tokentest.New(1418).Token("dt0c01")
	srv := dttest.New(t, admin.Text)
	env := srv.URL + "/e/abcdefgh"
	dir, toks := revokeSetup(t, srv, env)
	toks["admin"] = admin
	base := []string{"revoke", "--environment", env, "--ca-file", srv.CAFile}
	withAdmin := []string{"DT_ADMIN_TOKEN=" + admin.Text}

	// A dry run prints each request and sends nothing, admin token or not.
	for _, e := range [][]string{nil, withAdmin} {
		r := cmd{dir: dir, env: e, args: append(base, "report.json")}.run(t)
		noLeak(t, r, toks)
		out := string(r.stdout)
		if !strings.Contains(out, "dry run") || !strings.Contains(out, toks["a"].ID+" in "+env+": would disable: PUT "+env+"/api/v2/apiTokens/"+toks["a"].ID+` {"enabled":false}`) {
			t.Errorf("dry run output:\n%s", shownMap(r.stdout, toks))
		}
		if !strings.Contains(out, toks["ag"].ID) || !strings.Contains(out, "--delete") {
			t.Errorf("dry run does not say an ActiveGate token needs --delete:\n%s", shownMap(r.stdout, toks))
		}
		if r.code != exitError { // the ActiveGate and platform tokens cannot be revoked so
			t.Errorf("dry run: exit %d, want 2", r.code)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("a dry run sent %d requests", n)
	}
	// --yes without DT_ADMIN_TOKEN: an error before any request.
	r := dtleaks(t, dir, append(base, "--yes", "report.json")...)
	if r.code != exitError || len(srv.Requests()) != 0 {
		t.Errorf("--yes without DT_ADMIN_TOKEN: exit %d, %d requests", r.code, len(srv.Requests()))
	}

	r = cmd{dir: dir, env: withAdmin, args: append(base, "--yes", "report.json")}.run(t)
	noLeak(t, r, toks)
	out := string(r.stdout)
	for _, want := range []string{
		toks["a"].ID + " in " + env + ": disabled",
		toks["b"].ID + " in " + env + ": already disabled",
		toks["gone"].ID + " in " + env + ": not found",
		toks["bad"].ID + " in " + env + ": error: HTTP 403",
		toks["ag"].ID + " in " + env + ": not revoked: ActiveGate tokens cannot be disabled",
		toks["client"].ID + ": not revoked: platform-token",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--yes output lacks %q:\n%s", want, shownMap(r.stdout, toks))
		}
	}
	if r.code != exitError {
		t.Errorf("--yes with failures: exit %d, want 2", r.code)
	}
	if !srv.Token(toks["a"].ID).Disabled || srv.Token(toks["c"].ID).Disabled != true {
		t.Error("tokens not disabled")
	}
	for _, q := range srv.Requests() {
		if q.Auth != "Api-Token "+admin.Text {
			t.Errorf("%s %s without the admin token", q.Method, q.Path)
		}
		for _, name := range []string{"a", "b", "c", "gone", "bad", "ag", "client"} {
			if strings.Contains(q.Body+q.Auth+q.Path, toks[name].Secret) {
				t.Errorf("revoke sent the secret of %s", toks[name].ID)
			}
		}
		if q.Method == "DELETE" {
			t.Errorf("DELETE without --delete: %s", q.Path)
		}
	}

	// --delete, by identifier: the access token and the ActiveGate token.
	n := len(srv.Requests())
	r = cmd{dir: dir, env: withAdmin, args: append(base, "--yes", "--delete", toks["c"].ID, toks["ag"].ID)}.run(t)
	noLeak(t, r, toks)
	if r.code != exitClean || !strings.Contains(string(r.stdout), "cannot be undone") ||
		!strings.Contains(string(r.stdout), toks["c"].ID+" in "+env+": deleted") || !strings.Contains(string(r.stdout), toks["ag"].ID+" in "+env+": deleted") {
		t.Errorf("--delete: exit %d\n%s%s", r.code, shownMap(r.stdout, toks), shownMap(r.stderr, toks))
	}
	for _, q := range srv.Requests()[n:] {
		if q.Method != "DELETE" {
			t.Errorf("--delete sent %s %s", q.Method, q.Path)
		}
	}
}

func TestRevokeRefuses(t *testing.T) {
	admin := tokentest.New(1419).Token("dt0c01")
	srv, other := dttest.New(t, admin.Text), dttest.New(t, admin.Text)
	dir, toks := revokeSetup(t, other, other.URL+"/e/abcdefgh")
	withAdmin := []string{"DT_ADMIN_TOKEN=" + admin.Text}
	toks["admin"] = admin
	for _, c := range []struct {
		name string
		args []string
	}{
		// The report's environment is not named: never contacted.
		{"environment not named", []string{"revoke", "--yes", "--environment", srv.URL, "--ca-file", other.CAFile, "report.json"}},
		// A whole token as an argument: refused, not echoed.
		{"whole token", []string{"revoke", "--yes", "--environment", other.URL, "--ca-file", other.CAFile, toks["a"].Text}},
		// An identifier with no environment known.
		{"no environment", []string{"revoke", "--yes", "--ca-file", other.CAFile, toks["a"].ID}},
		{"several environments", []string{"revoke", "--yes", "--environment", other.URL, "--environment", srv.URL, "--ca-file", other.CAFile, toks["a"].ID}},
		{"not https", []string{"revoke", "--environment", "http://127.0.0.1:1", toks["a"].ID}},
		{"no arguments", []string{"revoke"}},
		{"not a report", []string{"revoke", "a.env"}},
		{"admin token flag", []string{"revoke", "--admin-token", admin.Text, toks["a"].ID}},
	} {
		r := cmd{dir: dir, env: withAdmin, args: c.args}.run(t)
		noLeak(t, r, toks)
		if r.code != exitError {
			t.Errorf("%s: exit %d, want 2", c.name, r.code)
		}
	}
	if n := len(other.Requests()) + len(srv.Requests()); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
	// An identifier of a type the tokens API does not revoke: nothing sent.
	r0 := cmd{dir: dir, env: withAdmin, args: []string{"revoke", "--yes", "--environment", other.URL, "--ca-file", other.CAFile, toks["client"].ID}}.run(t)
	if r0.code != exitError || !strings.Contains(string(r0.stdout), "not revocable") || len(other.Requests()) != 0 {
		t.Errorf("platform token by identifier: exit %d, %d requests: %s", r0.code, len(other.Requests()), shownMap(r0.stdout, toks))
	}
	// The admin token itself is not revoked with itself.
	r := cmd{dir: dir, env: withAdmin, args: []string{"revoke", "--yes", "--environment", other.URL, "--ca-file", other.CAFile, admin.ID}}.run(t)
	if r.code != exitError || !strings.Contains(string(r.stdout), "DT_ADMIN_TOKEN itself") {
		t.Errorf("revoking the admin token: exit %d %s", r.code, shownMap(r.stdout, toks))
	}
}

func TestRevokeHelp(t *testing.T) {
	for _, args := range [][]string{{"revoke", "--help"}, {"help", "revoke"}} {
		r := dtleaks(t, os.TempDir(), args...)
		if r.code != exitClean || !strings.Contains(string(r.stdout), "DT_ADMIN_TOKEN") || !strings.Contains(string(r.stdout), "--yes") {
			t.Errorf("%v: exit %d\n%s", args, r.code, r.stdout)
		}
	}
}
