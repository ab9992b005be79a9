package dynatrace

import (
	"net/url"
	"testing"
)

func TestSaaSHost(t *testing.T) {
	cases := []struct {
		host string
		want bool
	}{
		{"abc12345.live.dynatrace.com", true},
		{"abc12345.apps.dynatrace.com", true},
		{"ABC12345.LIVE.DYNATRACE.COM", true}, // DNS ignores case
		{"abc12345.live.dynatrace.com:443", true},
		{"abc12345.dev.dynatracelabs.com", true},
		{"abc12345.sprint.apps.dynatracelabs.com", true},
		{"abc12345.dev.apps.dynatracelabs.com", true},
		{"abc-1.live.dynatrace.com", true},
		{"sso.dynatrace.com", true},
		{"sso-dev.dynatracelabs.com", true},

		{"", false},
		{"live.dynatrace.com", false},                     // no environment label
		{"apps.dynatrace.com", false},                     // no environment label
		{"dynatrace.com", false},                          // the company site, not an environment
		{"www.dynatrace.com", false},                      // not an environment
		{"live.dynatrace.com.evil.io", false},             // suffix lookalike
		{"abc.live.dynatrace.com.evil.io", false},         // suffix lookalike
		{"evil-live.dynatrace.com", false},                // label lookalike
		{"abc.evil-live.dynatrace.com", false},            // label lookalike
		{"abc.live-dynatrace.com", false},                 // domain lookalike
		{"abc.live.dynatrace.co", false},                  // other TLD
		{"abc.live.dynatrace.com.", false},                // trailing dot
		{"abc.live.dynatrace.com..", false},               // trailing dots
		{"a.b.live.dynatrace.com", false},                 // two labels before
		{"abc.live.dynatrace.com:8443", false},            // other port
		{"abc.live.dynatrace.com:", false},                // empty port
		{"abc.live.dynatrace.com:443:443", false},         // two ports
		{"evil.io@abc.live.dynatrace.com", false},         // user information
		{"abc.live.dynatrace.com@evil.io", false},         // user information
		{"xn--abc-xyz.live.dynatrace.com", false},         // punycode label
		{"abc.live.xn--dynatrce-0ya.com", false},          // punycode lookalike
		{"abc.live.dynаtrace.com", false},                 // Cyrillic а
		{"abc.live.dynatrace.com\x00.evil.io", false},     // NUL
		{"abc.live.dynatrace.com/.evil.io", false},        // slash
		{"abc.live.dynatrace.com\\@evil.io", false},       // backslash
		{"abc%2elive.dynatrace.com", false},               // percent-encoding
		{"-abc.live.dynatrace.com", false},                // bad label
		{"[::1]", false},                                  // IPv6
		{"127.0.0.1", false},                              // loopback
		{"abc.dynatracelabs.com", false},                  // unknown stage
		{"abc.prod.dynatracelabs.com", false},             // unknown stage
		{"abc.dev.dynatracelabs.com.evil.io", false},      // lookalike
		{"sso.dynatrace.com.evil.io", false},              // lookalike
		{"evil-sso.dynatrace.com", false},                 // lookalike
		{"abc.live.dynatrace.com:443@evil.io:443", false}, // user information and port
	}
	for _, c := range cases {
		if got := SaaSHost(c.host); got != c.want {
			t.Errorf("SaaSHost(%q) = %v, want %v", c.host, got, c.want)
		}
	}
}

func TestPolicyAllow(t *testing.T) {
	p, err := NewPolicy([]string{"https://dt.example.com/e/1234", "https://127.0.0.1:8443"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		url  string
		want bool
	}{
		{"https://abc12345.live.dynatrace.com/api/v2/apiTokens/lookup", true},
		{"https://sso.dynatrace.com/sso/oauth2/token", true},
		{"http://abc12345.live.dynatrace.com/api/v2/apiTokens/lookup", false}, // not TLS
		{"https://abc12345.live.dynatrace.com@evil.io/api", false},
		{"https://x:y@abc12345.live.dynatrace.com/api", false},
		{"https://dt.example.com/e/1234/api/v2/apiTokens/lookup", true},
		{"https://DT.EXAMPLE.COM:443/e/1234/api/v2/apiTokens/lookup", true},
		{"https://dt.example.com/e/12345/api/v2/apiTokens/lookup", false}, // other environment
		{"https://dt.example.com/api/v2/apiTokens/lookup", false},
		{"http://dt.example.com/e/1234/api/v2/apiTokens/lookup", false},
		{"https://dt.example.com:8443/e/1234/api", false},
		{"https://127.0.0.1:8443/anything", true},
		{"https://127.0.0.1:8444/anything", false},
		{"https://evil.io/api", false},
	}
	for _, c := range cases {
		u, err := url.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Allow(u); (err == nil) != c.want {
			t.Errorf("Allow(%s) = %v, want allowed %v", c.url, err, c.want)
		}
	}
}

func TestParseEnvironment(t *testing.T) {
	good := map[string]string{
		"https://dt.example.com/e/1234/":    "https://dt.example.com/e/1234",
		"HTTPS://DT.Example.com:443/e/1234": "https://dt.example.com/e/1234",
		"https://127.0.0.1:9999":            "https://127.0.0.1:9999",
	}
	for in, want := range good {
		u, err := ParseEnvironment(in)
		if err != nil || u.String() != want {
			t.Errorf("ParseEnvironment(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, bad := range []string{"http://dt.example.com", "dt.example.com", "https://u:p@dt.example.com", "https://dt.example.com/?a=b", "https://dt.example.com/#x", "https://", "mailto:x@y"} {
		if _, err := ParseEnvironment(bad); err == nil {
			t.Errorf("ParseEnvironment(%q) accepted", bad)
		}
	}
}

func TestResolve(t *testing.T) {
	p, err := NewPolicy([]string{"https://dt.example.com/e/1234"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ env, want string }{
		{"https://abc12345.live.dynatrace.com", "https://abc12345.live.dynatrace.com"},
		{"https://abc12345.apps.dynatrace.com", "https://abc12345.live.dynatrace.com"},
		{"https://abc12345.sprint.apps.dynatracelabs.com", "https://abc12345.sprint.dynatracelabs.com"},
		{"https://abc12345.dev.apps.dynatracelabs.com", "https://abc12345.dev.dynatracelabs.com"},
		{"http://abc12345.live.dynatrace.com", "https://abc12345.live.dynatrace.com"},
		{"https://dt.example.com/e/1234", "https://dt.example.com/e/1234"},
		{"http://dt.example.com/e/1234", "https://dt.example.com/e/1234"},
		{"https://dt.example.com/e/9999", ""},   // found, not named
		{"https://evil.io:9999/e/abcdefgh", ""}, // planted ActiveGate URL
		{"https://abc12345.live.dynatrace.com.evil.io", ""},
		{"not a url", ""},
	}
	for _, c := range cases {
		got, err := p.Resolve(c.env)
		if got != c.want || (err == nil) != (c.want != "") {
			t.Errorf("Resolve(%q) = %q, %v; want %q", c.env, got, err, c.want)
		}
	}
}

func TestSSOFor(t *testing.T) {
	cases := map[string]string{
		"abc.live.dynatrace.com":            SSOTokenURL,
		"abc.apps.dynatrace.com":            SSOTokenURL,
		"abc.dev.dynatracelabs.com":         ssoDevTokenURL,
		"abc.sprint.apps.dynatracelabs.com": ssoSprintTokenURL,
	}
	for host, want := range cases {
		if got := SSOFor(host); got != want {
			t.Errorf("SSOFor(%s) = %s, want %s", host, got, want)
		}
	}
}

func TestValidID(t *testing.T) {
	for _, id := range []string{"dt0c01.ST2EY72KQINMH574WMNVI7YN", "dt0g02.ABCD1234"} {
		if !ValidID(id) {
			t.Errorf("ValidID(%s) = false", id)
		}
	}
	for _, id := range []string{"", "dt0c01", "dt0c01.", "dt0c01.ABC", "dt0c01.ST2EY72KQINMH574WMNVI7YN.SECRET", "xx0c01.ST2EY72KQINMH574WMNVI7YN", "dt0c01.ST2EY72KQ/../x", "dt0c01.ST2EY72KQINMH574WMNVI7YN?x"} {
		if ValidID(id) {
			t.Errorf("ValidID(%q) = true", id)
		}
	}
}

func TestPrivileged(t *testing.T) {
	if !Privileged([]string{"metrics.read", "apiTokens.write"}) || !Privileged([]string{"WriteConfig"}) || !Privileged([]string{"TenantTokenManagement"}) || !Privileged([]string{"settings.write"}) {
		t.Error("write or admin scope not privileged")
	}
	if Privileged([]string{"metrics.read", "DataExport", "ReadConfig", "InstallerDownload"}) || Privileged(nil) {
		t.Error("read scopes privileged")
	}
}
