package verify

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/dtleaks/dtleaks/internal/dynatrace"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// DefaultJobs is how many tokens are checked at the same time when
// Options.Jobs is 0: few, since each check is a request to someone's
// environment.
const DefaultJobs = 4

// Options tunes [Verify].
type Options struct {
	// Client makes the requests, under its host policy.
	Client *dynatrace.Client
	// SSO is the OAuth token endpoint for client secrets found with no
	// test-stage environment next to them; "" means
	// dynatrace.SSOTokenURL. The client's policy still decides whether it
	// may be contacted.
	SSO string
	// Jobs bounds the checks in flight; 0 means DefaultJobs.
	Jobs int
}

// Verify checks each distinct token among fs once and sets the
// Verification of every finding of it. The secrets come from c, which must
// have wrapped the source of the scan fs came from. Verify returns an
// error only when ctx ends; a failed check is an Unknown verdict.
func Verify(ctx context.Context, fs []scanner.Finding, c *Collector, opts Options) error {
	type group struct {
		kind    *rules.Kind
		id      rules.ID
		envs    []string
		indexes []int
	}
	var order []rules.Fingerprint
	groups := make(map[rules.Fingerprint]*group)
	for i := range fs {
		f := &fs[i]
		g := groups[f.Fingerprint]
		if g == nil {
			g = &group{kind: f.Kind, id: f.ID}
			groups[f.Fingerprint] = g
			order = append(order, f.Fingerprint)
		}
		g.indexes = append(g.indexes, i)
		if f.Environment != "" && !contains(g.envs, f.Environment) {
			g.envs = append(g.envs, f.Environment)
		}
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = DefaultJobs
	}
	results := make([]*scanner.Verification, len(order))
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(jobs)
	for n, fp := range order {
		g := groups[fp]
		eg.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			results[n] = check(gctx, g.kind, g.id, fp, g.envs, c, opts)
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for n, fp := range order {
		for _, i := range groups[fp].indexes {
			v := *results[n]
			v.Scopes = append([]string(nil), v.Scopes...)
			fs[i].Verification = &v
		}
	}
	return nil
}

func unknown(reason string) *scanner.Verification {
	return &scanner.Verification{Status: scanner.Unknown, Reason: reason}
}

// check gives the verdict on one token.
func check(ctx context.Context, kind *rules.Kind, id rules.ID, fp rules.Fingerprint, found []string, c *Collector, opts Options) *scanner.Verification {
	method := MethodFor(kind)
	if method == None {
		name := "this token type"
		if kind != nil {
			name = kind.Name
		}
		return unknown("no safe check for " + name)
	}
	sec, ok := c.lookup(fp)
	if !ok {
		return unknown("the token could not be read back for checking")
	}
	envs := append([]string(nil), found...)
	for _, e := range sec.envs {
		if !contains(envs, e) {
			envs = append(envs, e)
		}
	}
	switch method {
	case ClientCredentials:
		return checkClient(ctx, id, sec.value, envs, opts)
	default:
		return checkLookup(ctx, kind, sec.value, envs, opts)
	}
}

// checkLookup looks the token up in each environment it may belong to,
// until one says live. The environments are those found next to it that
// the policy allows (a SaaS host or one the user named); with none found,
// the environments the user named. A found environment the policy refuses
// is never contacted.
func checkLookup(ctx context.Context, kind *rules.Kind, token dynatrace.Secret, found []string, opts Options) *scanner.Verification {
	policy := opts.Client.Policy()
	var bases, refused []string
	for _, e := range found {
		base, err := policy.Resolve(e)
		if err != nil {
			refused = append(refused, e)
			continue
		}
		if !contains(bases, base) {
			bases = append(bases, base)
		}
	}
	if len(bases) == 0 {
		switch {
		case len(refused) > 0:
			return unknown("environment " + strings.Join(refused, ", ") + " is not a Dynatrace SaaS domain and was not named with --environment: not contacted")
		case kind != nil && kind.Shape == rules.Legacy && len(policy.Named()) == 0:
			return unknown("no environment known for a legacy token")
		}
		bases = policy.Named()
		if len(bases) == 0 {
			return unknown("no environment known: none found next to the token, none named with --environment")
		}
	}
	var (
		invalid *scanner.Verification
		reasons []string
	)
	for _, base := range bases {
		v := lookupOne(ctx, opts.Client, token, base)
		switch v.Status {
		case scanner.Live:
			return v
		case scanner.Invalid:
			if invalid == nil {
				invalid = v
			}
		default:
			reasons = append(reasons, base+": "+v.Reason)
		}
	}
	if invalid != nil && len(reasons) == 0 {
		return invalid
	}
	v := unknown(strings.Join(reasons, "; "))
	if invalid != nil {
		v.Reason = "rejected by " + invalid.Environment + "; " + v.Reason
	}
	return v
}

// lookupOne asks one environment. The verdicts follow the lookup page
// (https://docs.dynatrace.com/docs/dynatrace-api/environment-api/tokens-v2/api-tokens/post-token-lookup):
// 200 is live, with the token's metadata; 401 (the request is
// authenticated with the token itself, see
// https://docs.dynatrace.com/docs/shortlink/api-authentication) is invalid;
// 403 means the token authenticated but may not look itself up, so live;
// anything else, a network failure included, is unknown, never invalid.
func lookupOne(ctx context.Context, client *dynatrace.Client, token dynatrace.Secret, base string) *scanner.Verification {
	info, err := client.Lookup(ctx, base, token)
	if err == nil {
		if !info.Enabled {
			return &scanner.Verification{Status: scanner.Invalid, Reason: "the lookup says the token is disabled", Environment: base}
		}
		return &scanner.Verification{
			Status: scanner.Live, Reason: "looked up", Environment: base,
			Name: info.Name, Owner: info.Owner, Scopes: info.Scopes,
			Created: info.Created, Expires: info.Expires, LastUsed: info.LastUsed, LastUsedIP: info.LastUsedIP,
			Privileged: dynatrace.Privileged(info.Scopes),
		}
	}
	var se *dynatrace.StatusError
	if errors.As(err, &se) {
		switch se.Code {
		case 401:
			return &scanner.Verification{Status: scanner.Invalid, Reason: "the environment rejected the token (401): revoked, deleted, expired or of another environment", Environment: base}
		case 403:
			return &scanner.Verification{Status: scanner.Live, Reason: "the token authenticates but may not look itself up (403)", Environment: base}
		}
	}
	return unknown(reasonOf(err))
}

// checkClient tries an OAuth client secret at the SSO: production's, or a
// test stage's when the client was found next to a test-stage environment.
// Success is live; invalid_client is invalid (RFC 6749, section 5.2: "Client
// authentication failed"); anything else is unknown.
func checkClient(ctx context.Context, id rules.ID, secret dynatrace.Secret, envs []string, opts Options) *scanner.Verification {
	tokenURL := opts.SSO
	if tokenURL == "" {
		tokenURL = dynatrace.SSOTokenURL
		for _, e := range envs {
			if u, err := url.Parse(e); err == nil && dynatrace.SaaSHost(u.Host) {
				tokenURL = dynatrace.SSOFor(u.Hostname())
				break
			}
		}
	}
	err := opts.Client.ClientCredentials(ctx, tokenURL, string(id), secret)
	if err == nil {
		return &scanner.Verification{Status: scanner.Live, Reason: "the SSO issued a token for the client credentials", Environment: tokenURL}
	}
	var se *dynatrace.StatusError
	if errors.As(err, &se) && se.OAuthError == "invalid_client" {
		return &scanner.Verification{Status: scanner.Invalid, Reason: "the SSO refused the client credentials (invalid_client)", Environment: tokenURL}
	}
	return unknown(reasonOf(err))
}

// reasonOf is the text of a failed check, which never holds a secret: the
// client's errors are redacted, and this redacts once more.
func reasonOf(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return dynatrace.Redact(err.Error())
}
