package dynatrace

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzResolve checks the policy on environment URLs as they come from
// scanned content: Resolve never panics, and whatever it accepts is an
// https URL whose host is a SaaS host or the named environment's.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{
		"https://abc12345.live.dynatrace.com", "https://abc12345.apps.dynatrace.com", "http://abc.sprint.apps.dynatracelabs.com",
		"https://dt.example.com/e/1234", "https://evil.io@abc.live.dynatrace.com", "https://abc.live.dynatrace.com@evil.io",
		"https://abc.live.dynatrace.com.evil.io", "https://ABC.LIVE.DYNATRACE.COM:443/x", "https://xn--abc.live.dynatrace.com",
		"https://abc.live.dynatrace.com./", "https://[::1]:443", "//abc.live.dynatrace.com", "https://abc.live.dynatrace.com%2f@evil.io",
	} {
		f.Add(s)
	}
	p, err := NewPolicy([]string{"https://dt.example.com/e/1234"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, env string) {
		base, err := p.Resolve(env)
		if err != nil {
			return
		}
		u, perr := url.Parse(base)
		if perr != nil || u.Scheme != "https" || u.User != nil {
			t.Fatalf("Resolve(%q) = %q", env, base)
		}
		if !SaaSHost(u.Host) && !(u.Host == "dt.example.com" && (u.Path == "/e/1234" || strings.HasPrefix(u.Path, "/e/1234/"))) {
			t.Fatalf("Resolve(%q) = %q: neither SaaS nor named", env, base)
		}
		if err := p.Allow(u); err != nil {
			t.Fatalf("Resolve(%q) = %q, which Allow refuses: %v", env, base, err)
		}
	})
}

// FuzzRedact checks that Redact never lets the given secret through,
// whatever surrounds it.
func FuzzRedact(f *testing.F) {
	// A token-shaped seed, built so that no token stands in this file.
	f.Add("echo ", " back", "dt0c01."+strings.Repeat("A", 24)+"."+strings.Repeat("B7", 32))
	f.Add("", "", "short")
	f.Fuzz(func(t *testing.T, pre, post, secret string) {
		if len(secret) < 12 {
			return
		}
		out := Redact(pre+secret+post, Secret(secret))
		if strings.Contains(out, secret) {
			t.Fatalf("Redact let the secret through")
		}
	})
}
