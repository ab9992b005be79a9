package rules

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestKindsUniqueNames(t *testing.T) {
	seen := map[string]bool{}
	type key struct {
		prefix string
		shape  Shape
	}
	rows := map[key]bool{}
	for _, k := range Kinds() {
		if seen[k.Name] {
			t.Errorf("name %q used twice", k.Name)
		}
		seen[k.Name] = true
		kk := key{k.Prefix, k.Shape}
		if rows[kk] {
			t.Errorf("prefix %q shape %s listed twice", k.Prefix, k.Shape)
		}
		rows[kk] = true
	}
}

func TestKindsRows(t *testing.T) {
	for _, k := range Kinds() {
		t.Run(k.Name, func(t *testing.T) {
			if k.Name == "" || strings.ToLower(k.Name) != k.Name || strings.ContainsAny(k.Name, " _.") {
				t.Errorf("name %q: want lower-case words joined by dashes", k.Name)
			}
			if k.Description == "" {
				t.Error("no description")
			}
			if k.Prefix != "" && (len(k.Prefix) != prefixLen || !strings.HasPrefix(k.Prefix, "dt0")) {
				t.Errorf("prefix %q: want dt0 and three more characters", k.Prefix)
			}
			sev, err := strconv.ParseFloat(k.Severity, 64)
			if err != nil || sev < 0 || sev > 10 || len(k.Severity) != 3 || k.Severity[1] != '.' {
				t.Errorf("severity %q: want a score from 0.0 to 10.0 with one decimal", k.Severity)
			}
			u, err := url.Parse(k.URL())
			if err != nil || u.Scheme != "https" || u.Host == "" {
				t.Errorf("source %q: no https URL", k.Source)
			}
			// Honest sources: a bare URL is a claim that the page documents
			// the row; anything else must say it is observed or undocumented.
			if k.Source != k.URL() && !strings.HasPrefix(k.Source, "observed in ") && !strings.HasPrefix(k.Source, "not documented") && !strings.HasPrefix(k.Source, k.URL()+" (") {
				t.Errorf("source %q: want a URL, or a sentence saying where the shape was observed", k.Source)
			}
		})
	}
}

// TestKindsDocumentedPrefixes: every prefix the issues name is in the
// catalogue with the shapes they name.
func TestKindsDocumentedPrefixes(t *testing.T) {
	want := map[Shape][]string{
		Standard: {"dt0c01", "dt0s01", "dt0s02", "dt0s03", "dt0s04", "dt0s06", "dt0s08", "dt0s09", "dt0s16", "dt0g02", "dt0a01"},
		Short:    {"dt0g02", "dt0s02", "dt0s03", "dt0s08", "dt0s16"},
		Agent:    {"dt0a01"},
	}
	for shape, prefixes := range want {
		for _, p := range prefixes {
			k := Classify(p, shape)
			if k.Prefix != p || k.Shape != shape {
				t.Errorf("Classify(%q, %s) = %s, want a row of its own", p, shape, k.Name)
			}
		}
	}
	// And nothing else: a Short or Agent row the matcher would not find
	// would be a catalogue lie.
	for _, k := range Kinds() {
		if k.Prefix != "" && !slices.Contains(want[k.Shape], k.Prefix) {
			t.Errorf("row %s (%s %s) is not in the issues' list", k.Name, k.Prefix, k.Shape)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		prefix string
		shape  Shape
		want   string
	}{
		{"dt0c01", Standard, "classic-access-token"},
		{"dt0s16", Standard, "platform-token"},
		{"dt0s16", Short, "platform-token-short"},
		{"dt0g02", Short, "activegate-token-short"},
		{"dt0a01", Agent, "agent-auth-token"},
		{"dt0a01", Standard, "agent-connection-token"},
		{"", Legacy, "legacy-token"},
		{"dt0Q42", Standard, "unrecognised-token"},
		{"dt0c02", Standard, "unrecognised-token"},
		{"dt0c01", Short, "unrecognised-token"},
		{"dt0c01", Agent, "unrecognised-token"},
		{"", Standard, "unrecognised-token"},
		{"DT0C01", Standard, "unrecognised-token"},
	}
	for _, tt := range tests {
		if got := Classify(tt.prefix, tt.shape); got.Name != tt.want {
			t.Errorf("Classify(%q, %s) = %s, want %s", tt.prefix, tt.shape, got.Name, tt.want)
		}
	}
	if Classify("dt0c01", Standard) != Classify("dt0c01", Standard) {
		t.Error("Classify returns a different row each time; reports compare rows by address")
	}
}

func TestKindsOrder(t *testing.T) {
	ks := Kinds()
	if last := ks[len(ks)-1]; last.Name != "unrecognised-token" {
		t.Errorf("last row is %s, want unrecognised-token", last.Name)
	}
	if ks[0].Name != "classic-access-token" {
		t.Errorf("first row is %s, want classic-access-token", ks[0].Name)
	}
	ks[0].Name = "changed"
	if Kinds()[0].Name != "classic-access-token" {
		t.Error("Kinds returns the catalogue itself, not a copy")
	}
	if !slices.EqualFunc(Kinds(), Kinds(), func(a, b Kind) bool { return a == b }) {
		t.Error("Kinds is not stable")
	}
}

func TestKindURL(t *testing.T) {
	tests := []struct {
		source, want string
	}{
		{"https://example.com/a#b", "https://example.com/a#b"},
		{"observed in x (https://example.com/c); more", "https://example.com/c"},
		{"not documented: https://example.com/d with https://example.com/e", "https://example.com/d"},
		{"no address", ""},
	}
	for _, tt := range tests {
		k := Kind{Source: tt.source}
		if got := k.URL(); got != tt.want {
			t.Errorf("URL of %q = %q, want %q", tt.source, got, tt.want)
		}
	}
}

func TestShapeString(t *testing.T) {
	for s, want := range map[Shape]string{Standard: "standard", Short: "short", Agent: "agent", Legacy: "legacy", 99: "unknown"} {
		if got := s.String(); got != want {
			t.Errorf("Shape(%d).String() = %q, want %q", s, got, want)
		}
	}
}
