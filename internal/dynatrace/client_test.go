package dynatrace

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/internal/dynatrace/dttest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// setup starts a stand-in with the given tokens and a client that trusts it
// as a named environment.
func setup(t *testing.T, tokens ...*dttest.Token) (*dttest.Server, *Client) {
	t.Helper()
	srv := dttest.New(t, adminTok.Text, tokens...)
	c, err := NewClient(Config{Environments: []string{srv.URL}, CAFile: srv.CAFile, Timeout: 2 * time.Second, MaxRetryWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

var (
	gen      = tokentest.New(1414)
	adminTok = gen.Token("dt0c01")
)

// short makes a short-shape token: an 8-character public portion.
func short(prefix string) tokentest.Token {
	const upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	return gen.Shaped(prefix, gen.String(upperDigits, 8), gen.String(upperDigits, 64))
}

func dtToken(x tokentest.Token) *dttest.Token {
	return &dttest.Token{Text: x.Text, ID: x.ID, Name: "ci", Owner: "ci@example.com", Scopes: []string{"metrics.read", "apiTokens.write"}}
}

// noLeak fails when any error text or recorded response quotes a secret.
func noLeak(t *testing.T, what string, toks ...tokentest.Token) {
	t.Helper()
	if desc, leaked := tokentest.Leak([]byte(what), toks...); leaked {
		t.Errorf("leaks a secret: %s", desc)
	}
}

func TestLookup(t *testing.T) {
	live, dead, forbidden, missing, limited, broken, echo, slow, busy := gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01")
	all := []tokentest.Token{live, dead, forbidden, missing, limited, broken, echo, slow, busy}
	d := func(x tokentest.Token, f func(*dttest.Token)) *dttest.Token { tk := dtToken(x); f(tk); return tk }
	srv, c := setup(t,
		dtToken(live),
		d(dead, func(tk *dttest.Token) { tk.Disabled = true }),
		d(forbidden, func(tk *dttest.Token) { tk.Lookup = 403 }),
		d(missing, func(tk *dttest.Token) { tk.Lookup = 404 }),
		d(limited, func(tk *dttest.Token) { tk.RateLimit = 2 }),
		d(broken, func(tk *dttest.Token) { tk.Lookup = 500; tk.Echo = true }),
		d(echo, func(tk *dttest.Token) { tk.Lookup = 400; tk.Echo = true }),
		d(slow, func(tk *dttest.Token) { tk.Delay = 5 * time.Second }),
		d(busy, func(tk *dttest.Token) { tk.Lookup = 429 }),
	)
	ctx := context.Background()

	info, err := c.Lookup(ctx, srv.URL, Secret(live.Text))
	if err != nil {
		t.Fatalf("live: %v", err)
	}
	if info.ID != live.ID || info.Name != "ci" || info.Owner != "ci@example.com" || !info.Enabled || len(info.Scopes) != 2 ||
		info.Expires.Year() != 2031 || info.LastUsed.IsZero() || info.LastUsedIP != "192.0.2.7" {
		t.Errorf("live: metadata %+v", info)
	}

	status := func(name string, x tokentest.Token, want int) {
		t.Helper()
		_, err := c.Lookup(ctx, srv.URL, Secret(x.Text))
		var se *StatusError
		if !errors.As(err, &se) || se.Code != want {
			t.Errorf("%s: err %v, want HTTP %d", name, err, want)
		}
		if err != nil {
			noLeak(t, err.Error(), all...)
		}
	}
	status("disabled", dead, 401)
	status("forbidden", forbidden, 403)
	status("missing", missing, 404)
	status("broken", broken, 500)
	status("echo", echo, 400)

	if _, err := c.Lookup(ctx, srv.URL, Secret(limited.Text)); err != nil {
		t.Errorf("rate limited twice then live: %v", err)
	}
	if _, err := c.Lookup(ctx, srv.URL, Secret(busy.Text)); !errors.Is(err, ErrRateLimited) {
		t.Errorf("always 429: %v, want ErrRateLimited", err)
	}
	n := 0
	for _, r := range srv.Requests() {
		if r.Body == `{"token":"`+busy.Text+`"}` {
			n++
		}
	}
	if n != maxAttempts {
		t.Errorf("always 429: %d requests, want %d", n, maxAttempts)
	}
	start := time.Now()
	_, err = c.Lookup(ctx, srv.URL, Secret(slow.Text))
	if err == nil || time.Since(start) > 4*time.Second {
		t.Errorf("slow: err %v after %v; want a timeout after about 2s", err, time.Since(start))
	} else {
		noLeak(t, err.Error(), all...)
	}

	// The token is in the body and the Authorization header, never in the URL.
	for _, r := range srv.Requests() {
		noLeak(t, r.Path+"?"+r.Query, all...)
		if r.Method != http.MethodPost || r.Path != "/api/v2/apiTokens/lookup" || !strings.HasPrefix(r.Auth, "Api-Token ") {
			t.Errorf("unexpected request %s %s", r.Method, r.Path)
		}
	}
}

func TestLookupRetryAfterBound(t *testing.T) {
	x := gen.Token("dt0c01")
	srv, c := setup(t, &dttest.Token{Text: x.Text, ID: x.ID, Lookup: 429})
	var waits []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	if _, err := c.Lookup(context.Background(), srv.URL, Secret(x.Text)); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err %v", err)
	}
	if len(waits) != maxAttempts-1 {
		t.Errorf("waited %d times, want %d", len(waits), maxAttempts-1)
	}
	for _, h := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{{"", time.Second, true}, {"0", 0, true}, {"7", 7 * time.Second, true}, {"-1", 0, false}, {"soon", 0, false}} {
		if d, ok := retryAfter(h.v, time.Now()); d != h.want || ok != h.ok {
			t.Errorf("retryAfter(%q) = %v, %v", h.v, d, ok)
		}
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	x := gen.Token("dt0c01")
	evil := dttest.New(t, "")
	srv, c := setup(t, &dttest.Token{Text: x.Text, ID: x.ID, Lookup: 302, Redirect: evil.URL + "/steal"})
	_, err := c.Lookup(context.Background(), srv.URL, Secret(x.Text))
	var re *RedirectError
	if !errors.As(err, &re) || re.Code != 302 {
		t.Fatalf("err %v, want a RedirectError", err)
	}
	if n := len(evil.Requests()); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

func TestPolicyRefusesBeforeSending(t *testing.T) {
	x := gen.Token("dt0c01")
	other := dttest.New(t, "", dtToken(x))
	_, c := setup(t)
	// other is not named: its certificate is trusted by nobody either, but
	// the policy must refuse before any connection.
	_, err := c.Lookup(context.Background(), other.URL, Secret(x.Text))
	if !errors.Is(err, ErrNotAllowed) {
		t.Errorf("err %v, want ErrNotAllowed", err)
	}
	if n := len(other.Requests()); n != 0 {
		t.Errorf("an environment not named got %d requests", n)
	}
}

func TestTLSVerified(t *testing.T) {
	x := gen.Token("dt0c01")
	srv := dttest.New(t, "", dtToken(x))
	c, err := NewClient(Config{Environments: []string{srv.URL}}) // no --ca-file
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lookup(context.Background(), srv.URL, Secret(x.Text)); err == nil {
		t.Error("a server whose certificate is not trusted was used")
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests reached an untrusted server", n)
	}
}

func TestDisableDelete(t *testing.T) {
	a, b, c3, ag, d := gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01"), short("dt0g02"), gen.Token("dt0c01")
	bad := dtToken(b)
	bad.Put, bad.Echo = 403, true
	invalid := dtToken(d)
	invalid.Put, invalid.Echo = 400, true
	srv, c := setup(t, dtToken(a), bad, dtToken(c3), &dttest.Token{ID: ag.ID, ActiveGate: true}, invalid)
	ctx := context.Background()
	admin := Secret(adminTok.Text)

	info, err := c.Token(ctx, srv.URL, a.ID, admin)
	if err != nil || !info.Enabled {
		t.Fatalf("GET: %+v, %v", info, err)
	}
	if err := c.Disable(ctx, srv.URL, a.ID, admin); err != nil {
		t.Errorf("PUT: %v", err)
	}
	if !srv.Token(a.ID).Disabled {
		t.Error("PUT did not disable")
	}
	var se *StatusError
	if err := c.Disable(ctx, srv.URL, b.ID, admin); !errors.As(err, &se) || se.Code != 403 {
		t.Errorf("PUT 403: %v", err)
	} else {
		noLeak(t, err.Error(), a, b, c3, adminTok)
	}
	if err := c.Disable(ctx, srv.URL, d.ID, admin); !errors.As(err, &se) || se.Code != 400 {
		t.Errorf("PUT 400: %v", err)
	} else {
		noLeak(t, err.Error(), a, b, c3, d, adminTok)
	}
	if err := c.Disable(ctx, srv.URL, "dt0c01.AAAAAAAAAAAAAAAAAAAAAAAA", admin); !errors.As(err, &se) || se.Code != 404 {
		t.Errorf("PUT 404: %v", err)
	}
	if err := c.Disable(ctx, srv.URL, a.ID, "wrong"); !errors.As(err, &se) || se.Code != 401 {
		t.Errorf("PUT with a bad admin token: %v", err)
	}
	if err := c.Delete(ctx, srv.URL, c3.ID, admin); err != nil || !srv.Token(c3.ID).Deleted {
		t.Errorf("DELETE: %v", err)
	}
	if err := c.Delete(ctx, srv.URL, c3.ID, admin); !errors.As(err, &se) || se.Code != 404 {
		t.Errorf("DELETE again: %v", err)
	}
	if err := c.DeleteActiveGateToken(ctx, srv.URL, ag.ID, admin); err != nil {
		t.Errorf("DELETE ActiveGate token: %v", err)
	}
	if err := c.DeleteActiveGateToken(ctx, srv.URL, ag.ID, admin); !errors.As(err, &se) || se.Code != 404 {
		t.Errorf("DELETE ActiveGate token again: %v", err)
	}
	if err := c.Disable(ctx, srv.URL, a.ID+".SECRET", admin); err == nil {
		t.Error("an identifier with a second dot went into a URL")
	}
	for _, r := range srv.Requests() {
		if r.Auth != "Api-Token "+adminTok.Text && r.Auth != "Api-Token wrong" {
			t.Errorf("%s %s without the admin token", r.Method, r.Path)
		}
	}
}

func TestClientCredentials(t *testing.T) {
	good, bad := short("dt0s02"), short("dt0s02")
	srv, c := setup(t,
		&dttest.Token{OAuth: true, ID: good.ID, Text: good.Text},
		&dttest.Token{OAuth: true, ID: bad.ID, Text: short("dt0s02").Text, Echo: true})
	ctx := context.Background()
	tokenURL := srv.URL + "/sso/oauth2/token"
	if err := c.ClientCredentials(ctx, tokenURL, good.ID, Secret(good.Text)); err != nil {
		t.Errorf("valid client: %v", err)
	}
	err := c.ClientCredentials(ctx, tokenURL, bad.ID, Secret(bad.Text))
	var se *StatusError
	if !errors.As(err, &se) || se.OAuthError != "invalid_client" {
		t.Errorf("refused client: %v", err)
	} else {
		noLeak(t, err.Error(), good, bad)
	}
	for _, r := range srv.Requests() {
		noLeak(t, r.Path+"?"+r.Query+r.Auth, good, bad)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	x := gen.Token("dt0c01")
	s := Secret(x.Text)
	out := fmt.Sprintf("%v %s %q %x %X %#v %+v %d", s, s, s, s, s, s, struct{ S Secret }{s}, s)
	noLeak(t, out, x)
	noLeak(t, fmt.Sprint(s, []Secret{s}), x)
}

func TestRedact(t *testing.T) {
	x, y := gen.Token("dt0c01"), gen.Token("dt0s16")
	in := "echo " + x.Text + " and secret " + x.Secret + " and other " + y.Text + " and " + strings.ToLower(y.Secret)
	out := Redact(in, Secret(x.Text))
	noLeak(t, out, x, y)
	if !strings.Contains(out, "echo") {
		t.Errorf("Redact removed the words around the secrets")
	}
	// An Agent token whose hex secret ends in 'd', glued to the classic
	// token that 'd' starts: the matches overlap by that byte.
	ag := gen.Shaped("dt0a01", gen.String("abcdefghijklmnopqrstuvwxyz0123456789", 8), gen.String("0123456789abcdef", 63)+"d")
	glued := ag.Text + x.Text[1:]
	noLeak(t, Redact("body: "+glued), ag, x)
	if got := Redact(strings.Repeat("é", 400)); len(got) > 310 {
		t.Errorf("Redact kept %d bytes", len(got))
	}
}

// TestRedactMaskMakesNoSecret: a secret from the user may hold the mask's
// character; the mask standing next to what is left of the text, or the
// cut at 300 bytes, must not make it again (FuzzRedact found the first).
func TestRedactMaskMakesNoSecret(t *testing.T) {
	var every []byte
	for c := byte('!'); c <= '~'; c++ {
		every = append(every, c)
	}
	for _, tt := range []struct{ name, pre, secret, post string }{
		{"star after", "00000000000", "00000000000*", "0"},
		{"star before", "x", "*abcdefghijk", "abcdefghijk"},
		{"stars and hashes", "ab", "ab**##cdefghij", "##cdefghij"},
		{"cut", strings.Repeat("é", 149) + "a", "a*a*a*a*a*a*", ""},
		{"every character", "", string(every), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := Redact(tt.pre+tt.secret+tt.post, Secret(tt.secret))
			if strings.Contains(out, tt.secret) {
				t.Errorf("the secret comes through (%d bytes out)", len(out))
			}
		})
	}
}
