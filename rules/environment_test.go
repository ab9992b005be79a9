package rules

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestEnvironments(t *testing.T) {
	const uuid = "6a9a9b0c-1d2e-4f30-8a4b-5c6d7e8f9a0b"
	tests := []struct {
		name string
		in   string
		want []string // base URLs, in order
		text string   // the text the first URL spans, if not the whole of want[0]
	}{
		{"live", "url: https://abc12345.live.dynatrace.com\n", []string{"https://abc12345.live.dynatrace.com"}, ""},
		{"apps", "https://abc12345.apps.dynatrace.com/ui/apps", []string{"https://abc12345.apps.dynatrace.com"}, "https://abc12345.apps.dynatrace.com"},
		{"trailing slash", "https://abc12345.live.dynatrace.com/", []string{"https://abc12345.live.dynatrace.com"}, "https://abc12345.live.dynatrace.com"},
		{"api path and query stripped", `"https://abc12345.live.dynatrace.com/api/v2/metrics?from=now-2h"`, []string{"https://abc12345.live.dynatrace.com"}, "https://abc12345.live.dynatrace.com"},
		{"upper case", "HTTPS://ABC12345.LIVE.DYNATRACE.COM/api", []string{"https://abc12345.live.dynatrace.com"}, "HTTPS://ABC12345.LIVE.DYNATRACE.COM"},
		{"default port dropped", "https://abc12345.live.dynatrace.com:443/api", []string{"https://abc12345.live.dynatrace.com"}, "https://abc12345.live.dynatrace.com:443"},
		{"end of sentence", "See https://abc12345.live.dynatrace.com.", []string{"https://abc12345.live.dynatrace.com"}, "https://abc12345.live.dynatrace.com"},
		{"user info dropped", "https://user:pw@abc12345.live.dynatrace.com/api", []string{"https://abc12345.live.dynatrace.com"}, "https://user:pw@abc12345.live.dynatrace.com"},
		{"no scheme", "DT_URL=abc12345.live.dynatrace.com\n", []string{"https://abc12345.live.dynatrace.com"}, "abc12345.live.dynatrace.com"},
		{"no scheme apps", "host: abc12345.apps.dynatrace.com/x", []string{"https://abc12345.apps.dynatrace.com"}, "abc12345.apps.dynatrace.com"},
		{"labs dev", "https://abc12345.dev.dynatracelabs.com/api", []string{"https://abc12345.dev.dynatracelabs.com"}, "https://abc12345.dev.dynatracelabs.com"},
		{"labs sprint apps", "https://abc12345.sprint.apps.dynatracelabs.com", []string{"https://abc12345.sprint.apps.dynatracelabs.com"}, ""},
		{"managed", "https://dynatrace.example.com/e/" + uuid + "/api/v1/", []string{"https://dynatrace.example.com/e/" + uuid}, "https://dynatrace.example.com/e/" + uuid},
		{"managed http", "http://10.0.0.5/e/" + uuid, []string{"http://10.0.0.5/e/" + uuid}, ""},
		{"managed port", "https://mgd.example.com:8443/e/" + uuid + "?x=1", []string{"https://mgd.example.com:8443/e/" + uuid}, "https://mgd.example.com:8443/e/" + uuid},
		{"activegate", "apiUrl: https://ag.internal:9999/e/abc12345/api\n", []string{"https://ag.internal:9999/e/abc12345"}, "https://ag.internal:9999/e/abc12345"},
		{"activegate localhost", "https://localhost:9999/e/abc12345", []string{"https://localhost:9999/e/abc12345"}, ""},
		{"two", "a https://abc12345.live.dynatrace.com b\nc xyz98765.apps.dynatrace.com d", []string{"https://abc12345.live.dynatrace.com", "https://xyz98765.apps.dynatrace.com"}, ""},

		// Decoys.
		{"lookalike suffix", "https://abc12345.live.dynatrace.com.evil.io/api", nil, ""},
		{"lookalike no scheme", "abc12345.live.dynatrace.com.evil.io", nil, ""},
		{"lookalike user info", "https://abc12345.live.dynatrace.com@evil.io/api", nil, ""},
		{"lookalike label", "https://abc12345.live-dynatrace.com", nil, ""},
		{"lookalike domain", "https://abc12345.live.dynatrace.co", nil, ""},
		{"docs", "https://docs.dynatrace.com/docs/shortlink/token", nil, ""},
		{"www", "https://www.dynatrace.com/", nil, ""},
		{"two labels before live", "https://a.b.live.dynatrace.com", nil, ""},
		{"github", "https://github.com/Dynatrace/dynatrace-operator", nil, ""},
		{"bare labs domain", "https://dynatracelabs.com", nil, ""},
		{"e path, not an ID", "https://example.com/e/about", nil, ""},
		{"e path, too long", "https://example.com/e/abcdefgh1234567", nil, ""},
		{"ftp", "ftp://abc12345.live.dynatrace.com", nil, ""},
		{"bad port", "https://abc12345.live.dynatrace.com:99x/", nil, ""},
		{"word", "dynatrace", nil, ""},
		{"empty", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			envs := Environments([]byte(tt.in))
			var got []string
			for _, e := range envs {
				got = append(got, e.URL)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Environments(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if len(envs) == 0 {
				return
			}
			text := tt.text
			if text == "" {
				text = tt.want[0]
			}
			if e := envs[0]; tt.in[e.Start:e.End] != text {
				t.Errorf("the first URL spans %q, want %q", tt.in[e.Start:e.End], text)
			}
		})
	}
}

func TestNearestEnvironment(t *testing.T) {
	const (
		a = "https://aaa11111.live.dynatrace.com"
		b = "https://bbb22222.live.dynatrace.com"
		c = "https://ccc33333.live.dynatrace.com"
	)
	lines := []string{
		"url: " + a, // 0
		"x",         // 1
		"FINDING",   // 2: two from a, two from b: the one before wins
		"y",         // 3
		"url: " + b, // 4
		"FINDING",   // 5: one from b
		"z",         // 6
		"z",         // 7
		"z",         // 8
		"FINDING",   // 9: nearer c
		"url: " + c, // 10
	}
	in := strings.Join(lines, "\n")
	var offsets []int
	for i := 0; ; {
		j := strings.Index(in[i:], "FINDING")
		if j < 0 {
			break
		}
		offsets = append(offsets, i+j)
		i += j + 1
	}
	for i, want := range []string{a, b, c} {
		if got, ok := NearestEnvironment([]byte(in), offsets[i]); !ok || got != want {
			t.Errorf("finding %d: NearestEnvironment = %q, %v, want %q", i, got, ok, want)
		}
	}

	// On the finding's own line: the last one before it, else the first
	// after it.
	same := a + " FINDING " + b + " " + c
	off := strings.Index(same, "FINDING")
	if got, _ := NearestEnvironment([]byte(same), off); got != a {
		t.Errorf("same line: got %q, want %q", got, a)
	}
	same = "FINDING " + b + " " + c + "\n" + a
	if got, _ := NearestEnvironment([]byte(same), 0); got != b {
		t.Errorf("same line, after: got %q, want %q", got, b)
	}

	if got, ok := NearestEnvironment([]byte("no environment here"), 3); ok {
		t.Errorf("no environment: got %q, true", got)
	}
	if _, ok := NearestEnvironment([]byte(a), 1<<20); !ok {
		t.Errorf("an offset past the end: not found")
	}
}

func FuzzEnvironment(f *testing.F) {
	for _, s := range []string{
		"https://abc12345.live.dynatrace.com/api?x",
		"abc12345.apps.dynatrace.com",
		"https://u@h:9999/e/abc12345",
		"http://h/e/6a9a9b0c-1d2e-4f30-8a4b-5c6d7e8f9a0b",
		"https://x.dev.dynatracelabs.com.",
		"://dynatrace",
	} {
		f.Add([]byte(s), 3)
	}
	f.Fuzz(func(t *testing.T, b []byte, offset int) {
		envs := Environments(b)
		for i, e := range envs {
			if e.Start < 0 || e.End > len(b) || e.Start >= e.End {
				t.Fatalf("environment %d at [%d,%d) in %d bytes", i, e.Start, e.End, len(b))
			}
			if i > 0 && e.Start < envs[i-1].End {
				t.Fatalf("environment %d at %d overlaps the one before", i, e.Start)
			}
			if strings.ContainsAny(e.URL, "@?# \t\n\"'") || strings.HasSuffix(e.URL, "/") ||
				!strings.HasPrefix(e.URL, "https://") && !strings.HasPrefix(e.URL, "http://") {
				t.Fatalf("environment %d: base URL %q is not normalised", i, e.URL)
			}
			// The normalised URL parses back to itself.
			again := Environments([]byte(e.URL))
			if len(again) != 1 || again[0].URL != e.URL {
				t.Fatalf("environment %d: %q parses to %v", i, e.URL, again)
			}
		}
		url, ok := NearestEnvironment(b, offset)
		if ok != (len(envs) > 0) {
			t.Fatalf("NearestEnvironment found %v, Environments %d", ok, len(envs))
		}
		if ok && !slices.ContainsFunc(envs, func(e Environment) bool { return e.URL == url }) {
			t.Fatalf("NearestEnvironment returned %q, not among the environments", url)
		}
	})
}

func BenchmarkEnvironments(b *testing.B) {
	src := decodeSource(b)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		Environments(src)
	}
}

// nearestByCount is the nearest environment as NearestEnvironment first
// computed it, counting lines from the start of b for each offset: the
// oracle for NearestOnLine's binary search.
func nearestByCount(b []byte, envs []Environment, offset int) string {
	at := bytes.Count(b[:offset], []byte("\n"))
	best, bestDist, line, from := -1, 0, 0, 0
	for i, env := range envs {
		line += bytes.Count(b[from:env.Start], []byte("\n"))
		from = env.Start
		d := max(line-at, at-line)
		if best < 0 || d < bestDist || d == 0 && env.Start <= offset {
			best, bestDist = i, d
		}
	}
	return envs[best].URL
}

// TestNearestOnLine checks the binary search against counting from the
// start, at every offset of texts with several environments on a line,
// lines without one, and ties between the line before and after.
func TestNearestOnLine(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 3))
	parts := []string{"\n", "\n\n", " x ", "https://aaa11111.live.dynatrace.com", "bbb22222.apps.dynatrace.com",
		"http://h:9999/e/ccc33333", " ", "\r\n"}
	for range 300 {
		var sb strings.Builder
		for range r.IntN(12) {
			sb.WriteString(parts[r.IntN(len(parts))])
		}
		b := []byte(sb.String())
		envs := Environments(b)
		lines := EnvironmentLines(b, envs)
		for off := 0; off <= len(b); off++ {
			got, ok := NearestOnLine(envs, lines, bytes.Count(b[:off], []byte("\n")), off)
			if ok != (len(envs) > 0) {
				t.Fatalf("%q at %d: found %v with %d environments", b, off, ok, len(envs))
			}
			if ok && got != nearestByCount(b, envs, off) {
				t.Fatalf("%q at %d: %q; want %q", b, off, got, nearestByCount(b, envs, off))
			}
		}
	}
}

// TestEnvironmentsLongHost checks that a host name holding "dynatrace" many
// times is walked once: the environments of a long one are found, as in a
// short one, in a test that would take minutes if each occurrence walked
// the name again.
func TestEnvironmentsLongHost(t *testing.T) {
	long := "://" + strings.Repeat("dynatrace", 50000) + " abc12345.live.dynatrace.com"
	envs := Environments([]byte(long))
	if len(envs) != 1 || envs[0].URL != "https://abc12345.live.dynatrace.com" {
		t.Fatalf("got %v; want the one SaaS host", envs)
	}
}
