// Package dynatrace is the one place dtleaks talks to Dynatrace: the host
// policy that decides which hosts may ever receive a token ([Policy],
// [SaaSHost]), and the HTTP client for the few documented calls dtleaks
// makes ([Client]): looking a token up by its secret, disabling and deleting
// a token by its identifier, and trying an OAuth client's credentials at
// Dynatrace's SSO.
//
// Sending a found secret anywhere is the most dangerous thing a scanner can
// do, so every request goes through the same checks, in [Client.do]: the
// URL is HTTPS, its host is a Dynatrace SaaS host or an environment the user
// named, no redirect is followed, and the secret travels only in the body
// and the Authorization header, never in a URL. Nothing this package returns
// (errors included) holds a secret: a [Secret] prints as "****", and text
// from a response is redacted before it reaches an error.
package dynatrace

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// SSO token endpoints of Dynatrace's production and test-stage SSO, from
// the OAuth clients page (https://docs.dynatrace.com/docs/shortlink/oauth,
// "Request a token": POST https://sso.dynatrace.com/sso/oauth2/token). The
// test-stage hosts are not documented; they are the hosts Dynatrace's own
// tooling uses for the dev and sprint stages, and are only contacted for a
// client found next to an environment of that stage.
const (
	SSOTokenURL       = "https://sso.dynatrace.com/sso/oauth2/token"
	ssoDevTokenURL    = "https://sso-dev.dynatracelabs.com/sso/oauth2/token"
	ssoSprintTokenURL = "https://sso-sprint.dynatracelabs.com/sso/oauth2/token"
)

// ssoHosts are the SSO hosts a client secret may be sent to.
var ssoHosts = []string{"sso.dynatrace.com", "sso-dev.dynatracelabs.com", "sso-sprint.dynatracelabs.com"}

// SaaSHost reports whether hostport, the host of a URL with an optional
// port, is a Dynatrace SaaS host a token may be sent to:
//
//   - <env>.live.dynatrace.com and <env>.apps.dynatrace.com;
//   - Dynatrace's test stages, <env>.dev.dynatracelabs.com,
//     <env>.sprint.dynatracelabs.com and the same with .apps. before
//     dynatracelabs.com;
//   - Dynatrace's SSO hosts (sso.dynatrace.com and its dev and sprint
//     stages).
//
// <env> is one DNS label of ASCII letters, digits and '-', not punycode.
// The comparison ignores case, as DNS does. Anything else is refused: a
// port other than 443, a trailing dot, user information, a label that is
// punycode ("xn--"), any byte outside [A-Za-z0-9.-]. It is a pure function
// of its input: it resolves nothing.
func SaaSHost(hostport string) bool {
	host, port, ok := splitHostPort(hostport)
	if !ok || port != "" && port != "443" {
		return false
	}
	host = strings.ToLower(host)
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' || strings.HasPrefix(l, "xn--") {
			return false
		}
	}
	for _, h := range ssoHosts {
		if host == h {
			return true
		}
	}
	switch rest := strings.Join(labels[1:], "."); rest {
	case "live.dynatrace.com", "apps.dynatrace.com",
		"dev.dynatracelabs.com", "sprint.dynatracelabs.com",
		"dev.apps.dynatracelabs.com", "sprint.apps.dynatracelabs.com":
		return len(labels) > 1
	}
	return false
}

// splitHostPort splits "host" or "host:port"; it refuses an IPv6 literal, a
// user information part and an empty host.
func splitHostPort(hostport string) (host, port string, ok bool) {
	if hostport == "" || strings.ContainsAny(hostport, "@[]/\\") {
		return "", "", false
	}
	host, port, found := strings.Cut(hostport, ":")
	if found && (port == "" || strings.Contains(port, ":")) {
		return "", "", false
	}
	return host, port, host != ""
}

// APIHost returns the host that answers the classic tokens API for a SaaS
// environment host: a platform host <env>.apps.dynatrace.com answers at
// <env>.live.dynatrace.com, and <env>.dev.apps. / <env>.sprint.apps.
// dynatracelabs.com at the same host without "apps.". Other hosts are
// returned as they are.
//
// The mapping is not on a Dynatrace reference page: the API pages give the
// SaaS URL as https://{your-environment-id}.live.dynatrace.com (for example
// https://docs.dynatrace.com/docs/dynatrace-api/environment-api/tokens-v2/api-tokens/post-token-lookup),
// while platform URLs are https://{your-environment-id}.apps.dynatrace.com;
// the environment ID is the same in both.
func APIHost(host string) string {
	host = strings.ToLower(host)
	if env, ok := strings.CutSuffix(host, ".apps.dynatrace.com"); ok && !strings.Contains(env, ".") {
		return env + ".live.dynatrace.com"
	}
	for _, stage := range []string{".dev", ".sprint"} {
		if env, ok := strings.CutSuffix(host, stage+".apps.dynatracelabs.com"); ok && !strings.Contains(env, ".") {
			return env + stage + ".dynatracelabs.com"
		}
	}
	return host
}

// SSOFor returns the SSO token endpoint for a client found next to the
// environment host: the dev or sprint stage's for a test-stage host, and
// production's for any other.
func SSOFor(host string) string {
	host = strings.ToLower(host)
	switch {
	case strings.HasSuffix(host, ".dev.dynatracelabs.com"), strings.HasSuffix(host, ".dev.apps.dynatracelabs.com"):
		return ssoDevTokenURL
	case strings.HasSuffix(host, ".sprint.dynatracelabs.com"), strings.HasSuffix(host, ".sprint.apps.dynatracelabs.com"):
		return ssoSprintTokenURL
	}
	return SSOTokenURL
}

// ErrNotAllowed is the error of a request to a URL the [Policy] refuses.
var ErrNotAllowed = errors.New("not a Dynatrace SaaS host nor an environment named with --environment")

// Policy decides which URLs may receive a token: HTTPS URLs of a Dynatrace
// SaaS host ([SaaSHost]) or under an environment the user named. The zero
// Policy allows SaaS hosts only.
type Policy struct {
	named []*url.URL
}

// NewPolicy returns a Policy that also trusts the named environments, each
// an HTTPS base URL such as https://dynatrace.example.com/e/ENV-ID.
func NewPolicy(named []string) (*Policy, error) {
	p := &Policy{}
	for _, s := range named {
		u, err := ParseEnvironment(s)
		if err != nil {
			return nil, err
		}
		p.named = append(p.named, u)
	}
	return p, nil
}

// Named returns the base URLs of the named environments, normalised.
func (p *Policy) Named() []string {
	var out []string
	for _, u := range p.named {
		out = append(out, u.String())
	}
	return out
}

// ParseEnvironment parses an environment base URL a user names: HTTPS, a
// host, no user information, query or fragment. The result is normalised:
// host in lower case, no default port, no trailing slash.
func ParseEnvironment(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("environment %q: %w", s, err)
	}
	switch {
	case !strings.EqualFold(u.Scheme, "https"):
		return nil, fmt.Errorf("environment %q: must be an https:// URL (a token is only ever sent over TLS)", s)
	case u.User != nil:
		return nil, fmt.Errorf("environment %q: must not hold user information", s)
	case u.Host == "" || u.Opaque != "":
		return nil, fmt.Errorf("environment %q: has no host", s)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, fmt.Errorf("environment %q: must not have a query or fragment", s)
	}
	return normalise(u), nil
}

// normalise lower-cases scheme and host, drops the default port and a
// trailing slash.
func normalise(u *url.URL) *url.URL {
	n := &url.URL{Scheme: strings.ToLower(u.Scheme), Host: strings.ToLower(u.Host), Path: strings.TrimRight(u.Path, "/")}
	if h, ok := strings.CutSuffix(n.Host, ":443"); ok && n.Scheme == "https" {
		n.Host = h
	}
	return n
}

// Allow reports whether a request to u may carry a token: nil when it may,
// an error wrapping [ErrNotAllowed] (or saying why not) otherwise.
func (p *Policy) Allow(u *url.URL) error {
	switch {
	case u.Scheme != "https":
		return fmt.Errorf("%s: only https:// is ever contacted", redactURL(u))
	case u.User != nil:
		return fmt.Errorf("%s: %w", redactURL(u), ErrNotAllowed)
	}
	if p.namedFor(u) != nil || SaaSHost(u.Host) {
		return nil
	}
	return fmt.Errorf("%s: %w", redactURL(u), ErrNotAllowed)
}

// namedFor returns the named environment u is under, or nil.
func (p *Policy) namedFor(u *url.URL) *url.URL {
	if p == nil {
		return nil
	}
	n := normalise(u)
	for _, e := range p.named {
		if e.Scheme == n.Scheme && e.Host == n.Host &&
			(e.Path == "" || n.Path == e.Path || strings.HasPrefix(n.Path, e.Path+"/")) {
			return e
		}
	}
	return nil
}

// Resolve turns an environment URL found in scanned content into the base
// URL to call the tokens API at, or says why it must not be contacted. An
// environment the user named is used as named (an http:// one found is the
// https:// one named); a SaaS environment is used over HTTPS, with a
// platform host mapped by [APIHost]; anything else is refused: a URL planted
// in a repository must not harvest the tokens next to it.
func (p *Policy) Resolve(env string) (string, error) {
	u, err := url.Parse(env)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("environment %q is not a URL", env)
	}
	if u.User != nil {
		return "", fmt.Errorf("%s: %w", redactURL(u), ErrNotAllowed)
	}
	https := *u
	https.Scheme = "https"
	if n := p.namedFor(&https); n != nil {
		return normalise(&https).String(), nil
	}
	if !SaaSHost(u.Host) {
		return "", fmt.Errorf("%s: %w; not contacted", redactURL(u), ErrNotAllowed)
	}
	host, _, _ := splitHostPort(u.Host)
	return "https://" + APIHost(host), nil
}

// redactURL prints a URL without user information, which could hold a
// password.
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.Fragment = ""
	return c.String()
}
