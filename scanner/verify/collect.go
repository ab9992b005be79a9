// Package verify asks Dynatrace whether the tokens a scan found still work
// (dtleaks --verify), and fills each [scanner.Finding]'s Verification.
//
// A Finding holds no secret, by design, so verification needs the secrets
// from somewhere else: a [Collector] wraps the scan's [scanner.Source] and,
// as the scanner reads each item, matches the same bytes again and keeps the
// secrets of the tokens that have a safe check (classic access tokens,
// legacy tokens, OAuth client secrets), in memory only, keyed by
// fingerprint, together with the Dynatrace environments equally near each
// one. [Verify] then checks each distinct token once, through the
// dynatrace package's Client and its host policy, and writes the verdict
// into every finding of that token.
//
// The secrets never leave the Collector except as a dynatrace.Secret on its
// way into a request; nothing here prints or returns one.
package verify

import (
	"bytes"
	"context"
	"encoding/base64"
	"sync"

	"github.com/dtleaks/dtleaks/internal/dynatrace"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// window is how many bytes the Collector matches at a time; consecutive
// windows overlap by overlap bytes, so no token is cut in two.
const (
	window  = 1 << 20
	overlap = rules.MaxSpan + rules.MaxLead
	// maxEnvs bounds the environments kept per token.
	maxEnvs = 8
)

// Method is how a kind of token can be checked.
type Method int

// The checks.
const (
	// None: no safe check exists for the kind.
	None Method = iota
	// Lookup: POST /api/v2/apiTokens/lookup in the token's environment.
	Lookup
	// ClientCredentials: the OAuth client credentials grant at the SSO.
	ClientCredentials
)

// MethodFor returns how a kind of token is checked. Classic access tokens
// and legacy tokens are looked up; the short-shape OAuth client secrets
// (dt0s02, dt0s03, dt0s08) are tried at the SSO. Every other kind (agent,
// ActiveGate, platform and SCIM tokens, refresh tokens, unrecognised
// prefixes) has no documented check that proves the token works without
// using it for something else.
func MethodFor(k *rules.Kind) Method {
	if k == nil {
		return None
	}
	switch {
	case k.Prefix == "dt0c01" && k.Shape == rules.Standard, k.Shape == rules.Legacy:
		return Lookup
	case k.Shape == rules.Short && (k.Prefix == "dt0s02" || k.Prefix == "dt0s03" || k.Prefix == "dt0s08"):
		return ClientCredentials
	}
	return None
}

// secret is a collected token: its value and the environments nearest to
// it, in the order first seen.
type secret struct {
	value dynatrace.Secret
	envs  []string
}

// Collector is a [scanner.Source] that passes another source's items
// through unchanged while it keeps the secrets of the checkable tokens in
// them. It also passes Resolve through, when the source has it.
type Collector struct {
	src     scanner.Source
	matcher *rules.Matcher

	mu      sync.Mutex
	secrets map[rules.Fingerprint]*secret
}

// Collect wraps src. m must be the matcher the scan uses (nil for the zero
// one), so that every token the scan finds is found here too.
func Collect(src scanner.Source, m *rules.Matcher) *Collector {
	if m == nil {
		m = &rules.Matcher{}
	}
	return &Collector{src: src, matcher: m, secrets: make(map[rules.Fingerprint]*secret)}
}

// Items yields src's items with each reader wrapped, so that the bytes the
// scanner reads are matched here as well.
func (c *Collector) Items(ctx context.Context, yield func(scanner.Item, error) error) error {
	return c.src.Items(ctx, func(it scanner.Item, err error) error {
		if err != nil || it.R == nil {
			return yield(it, err)
		}
		tr := &tee{r: it.R, c: c}
		it.R = tr
		err = yield(it, nil)
		tr.flush()
		return err
	})
}

// Resolve passes the findings to src's Resolve, when it has one.
func (c *Collector) Resolve(ctx context.Context, fs []scanner.Finding) ([]scanner.Finding, []scanner.Problem, error) {
	if r, ok := c.src.(scanner.Resolver); ok {
		return r.Resolve(ctx, fs)
	}
	return fs, nil, nil
}

// lookup returns the collected secret of a fingerprint.
func (c *Collector) lookup(fp rules.Fingerprint) (*secret, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.secrets[fp]
	return s, ok
}

// tee copies what the scanner reads into a window and matches each full
// window, keeping overlap bytes for the next one.
type tee struct {
	r   interface{ Read([]byte) (int, error) }
	c   *Collector
	buf []byte
}

func (t *tee) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.buf = append(t.buf, p[:n]...)
		if len(t.buf) >= window {
			t.c.match(t.buf)
			t.buf = append(t.buf[:0], t.buf[len(t.buf)-overlap:]...)
		}
	}
	return n, err
}

// flush matches what is left once the item has been read.
func (t *tee) flush() {
	if len(t.buf) > 0 {
		t.c.match(t.buf)
	}
	t.buf = nil
}

// match finds the checkable tokens in b and keeps their secrets and
// nearest environments.
func (c *Collector) match(b []byte) {
	var envs []rules.Environment
	envsDone := false
	for m := range c.matcher.All(b) {
		if MethodFor(m.Kind) == None {
			continue
		}
		value, ok := recoverToken(b[m.Start:m.End], m.Fingerprint, m.Encoding, 3)
		if !ok {
			continue
		}
		if !envsDone {
			envs, envsDone = rules.Environments(b), true
		}
		near := nearest(b, envs, m.Start)
		c.mu.Lock()
		s := c.secrets[m.Fingerprint]
		if s == nil {
			s = &secret{value: dynatrace.Secret(value)}
			c.secrets[m.Fingerprint] = s
		}
		for _, e := range near {
			if len(s.envs) < maxEnvs && !contains(s.envs, e) {
				s.envs = append(s.envs, e)
			}
		}
		c.mu.Unlock()
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// nearest returns the environments of b that are nearest to offset by
// lines, all of them on a tie: the one rules.Nearest picks first.
func nearest(b []byte, envs []rules.Environment, offset int) []string {
	if len(envs) == 0 {
		return nil
	}
	first, _ := rules.Nearest(b, envs, offset)
	at := bytes.Count(b[:offset], []byte("\n"))
	best := -1
	dist := make([]int, len(envs))
	line, from := 0, 0
	for i, e := range envs {
		line += bytes.Count(b[from:e.Start], []byte("\n"))
		from = e.Start
		d := line - at
		if d < 0 {
			d = -d
		}
		dist[i] = d
		if best < 0 || d < best {
			best = d
		}
	}
	out := []string{first}
	for i, e := range envs {
		if dist[i] == best && !contains(out, e.URL) {
			out = append(out, e.URL)
		}
	}
	return out
}

// recoverToken returns the token whose fingerprint is fp from span, the
// bytes a match covers: the token itself, or its base64 or UTF-16 form,
// decoded and matched again (base64 twice over at most, depth bounds it).
// The fingerprint is checked, so a wrong decoding is never used.
func recoverToken(span []byte, fp rules.Fingerprint, encoding rules.Encoding, depth int) (string, bool) {
	if encoding == rules.EncodingNone {
		if rules.FingerprintOf(span) == fp {
			return string(span), true
		}
		return "", false
	}
	if depth == 0 {
		return "", false
	}
	for _, d := range decodings(span, encoding) {
		for m := range (&rules.Matcher{}).All(d) {
			if m.Fingerprint != fp {
				continue
			}
			if v, ok := recoverToken(d[m.Start:m.End], fp, m.Encoding, depth-1); ok {
				return v, true
			}
		}
	}
	return "", false
}

// decodings returns the texts span may stand for.
func decodings(span []byte, encoding rules.Encoding) [][]byte {
	var out [][]byte
	switch encoding {
	case rules.EncodingUTF16:
		// The characters are every other byte; which ones depends on the
		// byte order and on where the span starts.
		for _, start := range []int{0, 1} {
			var b []byte
			for i := start; i < len(span); i += 2 {
				b = append(b, span[i])
			}
			out = append(out, bytes.ReplaceAll(b, []byte{0}, nil))
		}
	case rules.EncodingBase64:
		s := bytes.TrimRight(span, "=")
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			// A span is whole quanta, but be lenient about a last partial
			// one.
			for cut := 0; cut < 4 && cut < len(s); cut++ {
				if d, err := enc.DecodeString(string(s[:len(s)-cut])); err == nil {
					out = append(out, d)
					break
				}
			}
		}
	}
	return out
}
