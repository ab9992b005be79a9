package verify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/internal/dynatrace"
	"github.com/dtleaks/dtleaks/internal/dynatrace/dttest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/verify"
)

// files is a source of named in-memory files.
type files map[string]string

func (fs files) Items(ctx context.Context, yield func(scanner.Item, error) error) error {
	for name, s := range fs {
		if err := yield(scanner.Item{Path: name, R: strings.NewReader(s)}, nil); err != nil {
			return err
		}
	}
	return nil
}

const upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

var gen = tokentest.New(1415)

func short(prefix string) tokentest.Token {
	return gen.Shaped(prefix, gen.String(upperDigits, 8), gen.String(upperDigits, 64))
}

// run scans src, verifies with a client that trusts the named
// environments, and returns the findings.
func run(t *testing.T, src scanner.Source, opts verify.Options, ca string, named ...string) []scanner.Finding {
	t.Helper()
	ctx := context.Background()
	c := verify.Collect(src, nil)
	res, err := scanner.Scan(ctx, c, scanner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	client, err := dynatrace.NewClient(dynatrace.Config{Environments: named, CAFile: ca, Timeout: time.Second, MaxRetryWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	opts.Client = client
	if err := verify.Verify(ctx, res.Findings, c, opts); err != nil {
		t.Fatal(err)
	}
	return res.Findings
}

// verdicts maps each token ID to its verification; every finding of a
// token must agree.
func verdicts(t *testing.T, fs []scanner.Finding) map[rules.ID]*scanner.Verification {
	t.Helper()
	out := make(map[rules.ID]*scanner.Verification)
	for _, f := range fs {
		if f.Verification == nil {
			t.Fatalf("%s at %s: no verification", f.ID, f.Path)
		}
		if prev, ok := out[f.ID]; ok && prev.Status != f.Verification.Status {
			t.Errorf("%s: findings disagree", f.ID)
		}
		out[f.ID] = f.Verification
	}
	return out
}

func lookups(reqs []dttest.Request, tok tokentest.Token) int {
	n := 0
	for _, r := range reqs {
		if strings.Contains(r.Body, tok.Text) {
			n++
		}
	}
	return n
}

func TestVerify(t *testing.T) {
	live, dead, broken, forbidden, agent, ag, b64, u16, planted := gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0a01"), short("dt0g02"), gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01")
	all := []tokentest.Token{live, dead, broken, forbidden, agent, ag, b64, u16, planted}
	srv := dttest.New(t, "",
		&dttest.Token{Text: live.Text, ID: live.ID, Name: "ci", Owner: "ci@example.com", Scopes: []string{"metrics.read", "apiTokens.write"}},
		&dttest.Token{Text: dead.Text, ID: dead.ID, Disabled: true},
		&dttest.Token{Text: broken.Text, ID: broken.ID, Lookup: 500, Echo: true},
		&dttest.Token{Text: forbidden.Text, ID: forbidden.ID, Lookup: 403},
		&dttest.Token{Text: b64.Text, ID: b64.ID},
		&dttest.Token{Text: u16.Text, ID: u16.ID},
		&dttest.Token{Text: planted.Text, ID: planted.ID},
	)
	env := srv.URL + "/e/abcdefgh"
	utf16 := func(s string) string {
		var b bytes.Buffer
		for i := range len(s) {
			b.WriteByte(s[i])
			b.WriteByte(0)
		}
		return b.String()
	}
	// The planted environment is a server the user did not name: it must
	// get nothing, though its URL stands next to a token.
	evil := dttest.New(t, "", &dttest.Token{Text: planted.Text, ID: planted.ID})
	src := files{
		"a.env":       "DT_URL=" + env + "\nDT_TOKEN=" + live.Text + "\n",
		"b.env":       "DT_URL=" + env + "\nDT_TOKEN=" + live.Text + "\nOLD=" + dead.Text + "\n",
		"c.env":       "DT_URL=" + env + "\nX=" + broken.Text + "\nY=" + forbidden.Text + "\nZ=" + agent.Text + "\nW=" + ag.Text + "\n",
		"secret.yaml": "url: " + env + "\ntoken: " + base64.StdEncoding.EncodeToString([]byte(b64.Text)) + "\n",
		"ps.txt":      utf16("url: " + env + "\r\ntoken: " + u16.Text + "\r\n"),
		"planted.env": "DT_URL=" + evil.URL + "/e/abcdefgh\nDT_TOKEN=" + planted.Text + "\n",
	}
	fs := run(t, src, verify.Options{Jobs: 2}, srv.CAFile, env)
	v := verdicts(t, fs)
	want := map[string]scanner.Status{
		live.ID: scanner.Live, dead.ID: scanner.Invalid, broken.ID: scanner.Unknown, forbidden.ID: scanner.Live,
		agent.ID: scanner.Unknown, ag.ID: scanner.Unknown, b64.ID: scanner.Live, u16.ID: scanner.Live, planted.ID: scanner.Unknown,
	}
	for id, st := range want {
		got := v[rules.ID(id)]
		if got == nil {
			t.Errorf("%s: not found", id)
			continue
		}
		if got.Status != st {
			t.Errorf("%s: %s (%s), want %s", id, got.Status, got.Reason, st)
		}
		if desc, leaked := tokentest.Leak([]byte(got.Reason+got.Environment+got.Name+got.Owner), all...); leaked {
			t.Errorf("%s: verification leaks: %s", id, desc)
		}
	}
	l := v[rules.ID(live.ID)]
	if l.Name != "ci" || l.Owner != "ci@example.com" || !l.Privileged || len(l.Scopes) != 2 || l.Environment != env || l.Expires.IsZero() || l.LastUsed.IsZero() {
		t.Errorf("live token metadata: %+v", l)
	}
	if v[rules.ID(forbidden.ID)].Privileged {
		t.Error("a 403 token is privileged without scopes known")
	}
	reqs := srv.Requests()
	if n := lookups(reqs, live); n != 1 {
		t.Errorf("a token in two files was looked up %d times, want once", n)
	}
	for _, tok := range []tokentest.Token{agent, ag, planted} {
		if n := lookups(reqs, tok); n != 0 {
			t.Errorf("%s: %d requests, want none", tok.ID, n)
		}
	}
	if n := len(evil.Requests()); n != 0 {
		t.Errorf("the environment found but not named got %d requests", n)
	}
	for _, r := range reqs {
		if desc, leaked := tokentest.Leak([]byte(r.Path+r.Query), all...); leaked {
			t.Errorf("a secret in a URL: %s", desc)
		}
	}
}

func TestVerifyNoEnvironment(t *testing.T) {
	tok := gen.Token("dt0c01")
	srv := dttest.New(t, "", &dttest.Token{Text: tok.Text, ID: tok.ID})
	// Nothing named, nothing found: unknown, and no request anywhere.
	fs := run(t, files{"a.env": "T=" + tok.Text + "\n"}, verify.Options{}, srv.CAFile)
	if v := verdicts(t, fs)[rules.ID(tok.ID)]; v.Status != scanner.Unknown || !strings.Contains(v.Reason, "no environment") {
		t.Errorf("got %+v", v)
	}
	// Named, nothing found: the named environment is asked.
	fs = run(t, files{"a.env": "T=" + tok.Text + "\n"}, verify.Options{}, srv.CAFile, srv.URL)
	if v := verdicts(t, fs)[rules.ID(tok.ID)]; v.Status != scanner.Live {
		t.Errorf("named environment: %+v", v)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestVerifyEquallyNear(t *testing.T) {
	tok := gen.Token("dt0c01")
	// The token is live in b only; a, on the line above, is as near as b,
	// on the line below, and is asked first.
	a := dttest.New(t, "")
	b := dttest.New(t, "", &dttest.Token{Text: tok.Text, ID: tok.ID})
	ca := t.TempDir() + "/ca.pem"
	writeCAs(t, ca, a.CAFile, b.CAFile)
	envA, envB := a.URL+"/e/abcdefgh", b.URL+"/e/abcdefgh"
	fs := run(t, files{"x.yaml": "a: " + envA + "\ntoken: " + tok.Text + "\nb: " + envB + "\n"}, verify.Options{}, ca, envA, envB)
	v := verdicts(t, fs)[rules.ID(tok.ID)]
	if v.Status != scanner.Live || v.Environment != envB {
		t.Errorf("got %s at %s (%s), want live at the second environment", v.Status, v.Environment, v.Reason)
	}
	if len(a.Requests()) != 1 || len(b.Requests()) != 1 {
		t.Errorf("requests: %d to a, %d to b; want one each", len(a.Requests()), len(b.Requests()))
	}
}

func TestVerifyNetworkFailureIsUnknown(t *testing.T) {
	tok := gen.Token("dt0c01")
	srv := dttest.New(t, "", &dttest.Token{Text: tok.Text, ID: tok.ID, Delay: 3 * time.Second})
	fs := run(t, files{"a.env": "T=" + tok.Text + "\n"}, verify.Options{}, srv.CAFile, srv.URL)
	if v := verdicts(t, fs)[rules.ID(tok.ID)]; v.Status != scanner.Unknown {
		t.Errorf("timeout: %+v, want unknown", v)
	}
	closed := dttest.New(t, "")
	closed.Close()
	fs = run(t, files{"a.env": "T=" + tok.Text + "\n"}, verify.Options{}, closed.CAFile, closed.URL)
	if v := verdicts(t, fs)[rules.ID(tok.ID)]; v.Status != scanner.Unknown {
		t.Errorf("connection refused: %+v, want unknown", v)
	}
}

func TestVerifyOAuthClient(t *testing.T) {
	good, bad := short("dt0s02"), short("dt0s08")
	srv := dttest.New(t, "",
		&dttest.Token{OAuth: true, ID: good.ID, Text: good.Text},
		&dttest.Token{OAuth: true, ID: bad.ID, Text: short("dt0s08").Text, Echo: true})
	opts := verify.Options{SSO: srv.URL + "/sso/oauth2/token"}
	fs := run(t, files{"a.env": "A=" + good.Text + "\nB=" + bad.Text + "\n"}, opts, srv.CAFile, srv.URL)
	v := verdicts(t, fs)
	if v[rules.ID(good.ID)].Status != scanner.Live || v[rules.ID(bad.ID)].Status != scanner.Invalid {
		t.Errorf("got %+v and %+v", v[rules.ID(good.ID)], v[rules.ID(bad.ID)])
	}
	if desc, leaked := tokentest.Leak([]byte(v[rules.ID(bad.ID)].Reason), good, bad); leaked {
		t.Errorf("reason leaks: %s", desc)
	}
	// The SSO is not trusted unless named: nothing is sent.
	srv2 := dttest.New(t, "", &dttest.Token{OAuth: true, ID: good.ID, Text: good.Text})
	fs = run(t, files{"a.env": "A=" + good.Text + "\n"}, verify.Options{SSO: srv2.URL + "/sso/oauth2/token"}, srv2.CAFile)
	if st := verdicts(t, fs)[rules.ID(good.ID)].Status; st != scanner.Unknown || len(srv2.Requests()) != 0 {
		t.Errorf("an SSO not named: %s with %d requests", st, len(srv2.Requests()))
	}
}

func TestVerifyRateLimited(t *testing.T) {
	tok, busy := gen.Token("dt0c01"), gen.Token("dt0c01")
	srv := dttest.New(t, "", &dttest.Token{Text: tok.Text, ID: tok.ID, RateLimit: 1}, &dttest.Token{Text: busy.Text, ID: busy.ID, Lookup: 429})
	fs := run(t, files{"a.env": "A=" + tok.Text + "\nB=" + busy.Text + "\n"}, verify.Options{}, srv.CAFile, srv.URL)
	v := verdicts(t, fs)
	if v[rules.ID(tok.ID)].Status != scanner.Live || v[rules.ID(busy.ID)].Status != scanner.Unknown {
		t.Errorf("got %+v and %+v", v[rules.ID(tok.ID)], v[rules.ID(busy.ID)])
	}
}

func writeCAs(t *testing.T, out string, files ...string) {
	t.Helper()
	var all []byte
	for _, f := range files {
		b, err := readFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if err := writeFile(out, all); err != nil {
		t.Fatal(err)
	}
}
