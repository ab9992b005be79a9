package dynatrace

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dtleaks/dtleaks/rules"
)

// Secret is a token or an administrator token on its way to Dynatrace. It
// prints as "****" whatever the verb, so that a Secret in an error, a log
// line or a panic shows nothing; only this package's request building reads
// its value.
type Secret string

// String hides the secret.
func (Secret) String() string { return "****" }

// GoString hides the secret from %#v.
func (Secret) GoString() string { return "****" }

// Format hides the secret from every verb, %x and %q included.
func (Secret) Format(f fmt.State, _ rune) { io.WriteString(f, "****") }

// MarshalJSON hides the secret from encoding/json.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"****"`), nil }

// Defaults for a [Config] left zero.
const (
	DefaultTimeout      = 15 * time.Second
	DefaultMaxRetryWait = 30 * time.Second
	// maxAttempts bounds the requests one call makes after 429 answers.
	maxAttempts = 3
	// maxBody bounds how much of a response is read.
	maxBody = 64 << 10
)

// Config sets up a [Client].
type Config struct {
	// Environments are the base URLs the user named (--environment): they
	// are trusted as well as Dynatrace's SaaS hosts.
	Environments []string
	// CAFile is a PEM file of certificates to trust besides the system's
	// (--ca-file), for a Managed cluster with a private CA.
	CAFile string
	// Timeout bounds each request; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxRetryWait bounds how long a 429 answer's Retry-After is waited
	// for; a longer one ends the call. 0 means DefaultMaxRetryWait.
	MaxRetryWait time.Duration
	// UserAgent is sent with every request.
	UserAgent string
}

// Client makes the documented Dynatrace calls dtleaks needs, under its
// [Policy]. It is safe for concurrent use.
type Client struct {
	policy       *Policy
	http         *http.Client
	maxRetryWait time.Duration
	userAgent    string
	// sleep waits for a Retry-After; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// NewClient returns a Client for cfg. TLS is always verified, against the
// system roots and cfg.CAFile; redirects are never followed.
func NewClient(cfg Config) (*Client, error) {
	policy, err := NewPolicy(cfg.Environments)
	if err != nil {
		return nil, err
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", cfg.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	timeout := cmpOr(cfg.Timeout, DefaultTimeout)
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &Client{
		policy: policy,
		http: &http.Client{
			Transport: transport,
			Timeout:   timeout,
			// A redirect could lead anywhere: the answer is taken as it is.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		maxRetryWait: cmpOr(cfg.MaxRetryWait, DefaultMaxRetryWait),
		userAgent:    cfg.UserAgent,
		sleep:        sleepCtx,
	}, nil
}

// Policy returns the host policy the client enforces.
func (c *Client) Policy() *Policy { return c.policy }

func cmpOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// StatusError is an HTTP answer other than the one a call expects. Message
// is Dynatrace's error message (ErrorEnvelope.error.message, or an OAuth
// error_description), redacted of every secret and token-shaped text, and
// cut short.
type StatusError struct {
	Code    int
	Message string
	// OAuthError is the OAuth "error" code of an SSO answer, such as
	// "invalid_client".
	OAuthError string
}

func (e *StatusError) Error() string {
	s := "HTTP " + strconv.Itoa(e.Code)
	if e.OAuthError != "" {
		s += " " + e.OAuthError
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// RedirectError is a 3xx answer, which is never followed.
type RedirectError struct {
	Code     int
	Location string
}

func (e *RedirectError) Error() string {
	loc := e.Location
	if u, err := url.Parse(loc); err == nil {
		loc = redactURL(u)
	} else {
		loc = "an unparsable location"
	}
	return fmt.Sprintf("HTTP %d redirect to %s, not followed", e.Code, loc)
}

// ErrRateLimited is the error of a call that got 429 more often than it may
// retry, or was told to wait longer than the bound.
var ErrRateLimited = errors.New("rate limited (429)")

// request is one call: what is sent, and the secrets it carries, which are
// redacted from whatever comes back.
type request struct {
	method, url string
	auth        string // Authorization header value, "" for none
	contentType string
	body        []byte
	secrets     []Secret
}

// response is what came back: status, headers and up to maxBody bytes.
type response struct {
	code   int
	header http.Header
	body   []byte
}

// do sends r under the policy, retrying a 429 within the bounds. It returns
// a redirect as a *RedirectError and any other status as a response.
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	u, err := url.Parse(r.url)
	if err != nil {
		return nil, fmt.Errorf("bad request URL: %w", err)
	}
	if err := c.policy.Allow(u); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, r.method, u.String(), bytes.NewReader(r.body))
		if err != nil {
			return nil, err
		}
		if r.auth != "" {
			req.Header.Set("Authorization", r.auth)
		}
		if r.contentType != "" {
			req.Header.Set("Content-Type", r.contentType)
		}
		req.Header.Set("Accept", "application/json")
		if c.userAgent != "" {
			req.Header.Set("User-Agent", c.userAgent)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, scrubErr(err, r.secrets)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		if err != nil {
			return nil, scrubErr(err, r.secrets)
		}
		if resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.StatusCode != http.StatusNotModified {
			return nil, &RedirectError{Code: resp.StatusCode, Location: resp.Header.Get("Location")}
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			return &response{code: resp.StatusCode, header: resp.Header, body: body}, nil
		}
		// https://docs.dynatrace.com/docs/shortlink/api-access-limit: an
		// environment answers 429 when its request thread pool and queue
		// are full. The page documents no Retry-After header: one sent is
		// honoured within the bound, and without one the wait is a second.
		wait, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		if attempt >= maxAttempts || !ok || wait > c.maxRetryWait {
			return nil, ErrRateLimited
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// retryAfter parses a Retry-After header (RFC 9110, section 10.2.3):
// seconds, or an HTTP date. A missing header means one second.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return time.Second, true
	}
	if n, err := strconv.Atoi(h); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// scrubErr makes a transport error safe: its text is redacted of the
// secrets. The text of a *url.Error names the URL, which never holds one.
func scrubErr(err error, secrets []Secret) error {
	msg := err.Error()
	clean := Redact(msg, secrets...)
	if clean == msg {
		return err
	}
	return errors.New(clean)
}

// statusError builds the StatusError of an answer, with Dynatrace's message
// redacted.
func statusError(resp *response, secrets []Secret) *StatusError {
	e := &StatusError{Code: resp.code}
	var env struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	var oauth struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(resp.body, &env) == nil && env.Error.Message != "" {
		e.Message = env.Error.Message
	} else if json.Unmarshal(resp.body, &oauth) == nil && oauth.Error != "" {
		e.OAuthError = Redact(oauth.Error, secrets...)
		e.Message = oauth.Description
	}
	e.Message = Redact(e.Message, secrets...)
	if len(e.OAuthError) > 64 {
		e.OAuthError = e.OAuthError[:64]
	}
	return e
}

// tokenRun matches a run of token characters long enough to be a secret or
// part of one (a legacy token is 21 characters, a secret portion 64).
var tokenRun = regexp.MustCompile(`[A-Za-z0-9_\-]{20,}`)

// Redact returns text from outside (an error message, a response) with every
// secret given, its secret portion, every token the matcher recognises and
// every run of 20 or more token characters replaced by "****", cut to 300
// bytes. What is left names things, never a credential.
//
// A secret is a string from the user (DT_ADMIN_TOKEN), not always token
// characters: one holding '*' could be made again by the mask standing
// next to what was left of it, or by the cut. So the secrets given are
// masked once more at the end, with a character none of them holds.
func Redact(s string, secrets ...Secret) string {
	mask, ok := redactMask(secrets)
	if !ok {
		return "" // no mask to use: nothing of s is kept
	}
	s = redactSecrets(s, secrets, mask)
	var b strings.Builder
	last := 0
	for m := range (&rules.Matcher{}).All([]byte(s)) {
		// Two tokens may share a byte (an Agent token ending in 'd'
		// glued to the token that 'd' starts): the second starts before
		// the first one's end.
		b.WriteString(s[last:max(m.Start, last)])
		b.WriteString("****")
		last = max(m.End, last)
	}
	b.WriteString(s[last:])
	s = tokenRun.ReplaceAllString(b.String(), "****")
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "") + "…"
	}
	return redactSecrets(s, secrets, mask)
}

// redactSecrets replaces every secret of secrets in s, and its secret
// portion (after its last dot, when longer than 8 characters), by mask. No
// secret can then stand in the result when none holds a character of the
// mask: it would stand whole in a piece of s that the replacing left as
// it was, and strings.ReplaceAll leaves no occurrence in those.
func redactSecrets(s string, secrets []Secret, mask string) string {
	for _, sec := range secrets {
		v := string(sec)
		if v == "" {
			continue
		}
		s = strings.ReplaceAll(s, v, mask)
		if i := strings.LastIndexByte(v, '.'); i >= 0 && len(v)-i > 8 {
			s = strings.ReplaceAll(s, v[i+1:], mask)
		}
	}
	return s
}

// redactMask returns four of a printable ASCII character that none of
// secrets holds, "****" unless one holds '*'; false when they hold every
// printable character between them (94 bytes or more).
func redactMask(secrets []Secret) (string, bool) {
	held := func(c byte) bool {
		for _, sec := range secrets {
			if strings.IndexByte(string(sec), c) >= 0 {
				return true
			}
		}
		return false
	}
	if !held('*') {
		return "****", true
	}
	for c := byte('!'); c <= '~'; c++ {
		if !held(c) {
			return strings.Repeat(string(c), 4), true
		}
	}
	return "", false
}
