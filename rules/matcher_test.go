package rules

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// Alphabets of the token parts.
const (
	charsUpperDigit = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	charsLowerDigit = "abcdefghijklmnopqrstuvwxyz0123456789"
	charsHex        = "0123456789abcdef"
)

// genShort returns a Short-shaped token: prefix, 8 [A-Z0-9], 64 [A-Z0-9].
func genShort(g *tokentest.Gen, prefix string) tokentest.Token {
	return g.Shaped(prefix, g.String(charsUpperDigit, 8), g.String(charsUpperDigit, 64))
}

// genAgent returns an Agent-shaped token: dt0a01, an 8-character
// environment ID, 64 hex digits.
func genAgent(g *tokentest.Gen) tokentest.Token {
	return g.Shaped("dt0a01", g.String(charsLowerDigit, 8), g.String(charsHex, 64))
}

// hit is what a test expects of one match.
type hit struct {
	start int
	kind  string // Kind.Name
	tok   tokentest.Token
}

// checkHits compares the matches in b with want, by offsets, kind, ID and
// fingerprint; it never prints b or a secret.
func checkHits(t *testing.T, b []byte, want []hit) {
	t.Helper()
	var m Matcher
	var got []Match
	for mt := range m.All(b) {
		got = append(got, mt)
	}
	if len(got) != len(want) {
		t.Fatalf("len(b)=%d: got %d matches %v, want %d", len(b), len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Start != w.start || g.End != w.start+len(w.tok.Text) {
			t.Errorf("match %d: got %d-%d, want %d-%d (%s)", i, g.Start, g.End, w.start, w.start+len(w.tok.Text), w.tok.ID)
		}
		if g.Kind.Name != w.kind {
			t.Errorf("match %d (%s): got kind %s, want %s", i, w.tok.ID, g.Kind.Name, w.kind)
		}
		if string(g.ID) != w.tok.ID {
			t.Errorf("match %d: got ID %s, want %s", i, g.ID, w.tok.ID)
		}
		if string(g.Fingerprint) != w.tok.Fingerprint {
			t.Errorf("match %d (%s): fingerprint differs from the token's", i, w.tok.ID)
		}
		if g.Encoding != "" {
			t.Errorf("match %d (%s): got encoding %q, want none", i, w.tok.ID, g.Encoding)
		}
	}
}

func TestMatchKinds(t *testing.T) {
	g := tokentest.New(1)
	for _, k := range Kinds() {
		var tok tokentest.Token
		switch {
		case k.Shape == Legacy:
			continue // found by context, not by the matcher
		case k.Prefix == "":
			tok = g.Token("dt0Q42") // a valid shape, a prefix nobody uses
		case k.Shape == Standard:
			tok = g.Token(k.Prefix)
		case k.Shape == Short:
			tok = genShort(g, k.Prefix)
		case k.Shape == Agent:
			tok = genAgent(g)
		}
		t.Run(k.Name, func(t *testing.T) {
			b := []byte("key = \"" + tok.Text + "\"\n")
			checkHits(t, b, []hit{{7, k.Name, tok}})
		})
	}
}

func TestMatchBoundaries(t *testing.T) {
	g := tokentest.New(2)
	shapes := []struct {
		name string
		tok  tokentest.Token
		kind string
	}{
		{"standard", g.Token("dt0c01"), "classic-access-token"},
		{"short", genShort(g, "dt0g02"), "activegate-token-short"},
		{"agent", genAgent(g), "agent-auth-token"},
	}
	for _, s := range shapes {
		tok := s.tok
		tests := []struct {
			name string
			b    string
			want []hit
		}{
			{"alone", tok.Text, []hit{{0, s.kind, tok}}},
			{"at start", tok.Text + " rest", []hit{{0, s.kind, tok}}},
			{"at end", "head " + tok.Text, []hit{{5, s.kind, tok}}},
			// The documented expression has no word boundaries: glued tokens match.
			{"glued both sides", "ZZ9" + tok.Text + "Q7", []hit{{3, s.kind, tok}}},
			{"glued lowercase", "xyz" + tok.Text + "abc", []hit{{3, s.kind, tok}}},
			{"twice glued", tok.Text + tok.Text, []hit{{0, s.kind, tok}, {len(tok.Text), s.kind, tok}}},
			{"after NUL", "\x00\xff\xfe" + tok.Text + "\x00", []hit{{3, s.kind, tok}}},
			{"after invalid UTF-8", "\xc3\x28" + tok.Text, []hit{{2, s.kind, tok}}},
			{"cut at end", tok.Text[:len(tok.Text)-1], nil},
			{"cut at start", tok.Text[1:], nil},
			{"split by newline", tok.Text[:40] + "\n" + tok.Text[40:], nil},
			{"empty", "", nil},
		}
		for _, tt := range tests {
			t.Run(s.name+"/"+tt.name, func(t *testing.T) {
				checkHits(t, []byte(tt.b), tt.want)
			})
		}
	}
}

// TestMatchEveryOffset puts each shape at every offset modulo 64 (and
// beyond), before and after text that holds secret characters and dots.
func TestMatchEveryOffset(t *testing.T) {
	g := tokentest.New(3)
	toks := []struct {
		tok  tokentest.Token
		kind string
	}{
		{g.Token("dt0s16"), "platform-token"},
		{genShort(g, "dt0s03"), "oauth2-client-secret-dt0s03"},
		{genAgent(g), "agent-auth-token"},
	}
	for _, pad := range []string{" ", "A.", "0", "ab.", "\x00"} {
		for off := range 130 {
			for _, tk := range toks {
				head := strings.Repeat(pad, off)[:off]
				b := []byte(head + tk.tok.Text + strings.Repeat(pad, 70))
				checkHits(t, b, []hit{{off, tk.kind, tk.tok}})
			}
		}
	}
}

func TestMatchNearMisses(t *testing.T) {
	g := tokentest.New(4)
	u, l, h := charsUpperDigit, charsLowerDigit, charsHex
	up := func(n int) string { return g.String(u, n) }
	tests := []struct {
		name string
		b    string
	}{
		// Standard.
		{"public 23", "dt0c01." + up(23) + "." + up(64)},
		{"public 25", "dt0c01." + up(25) + "." + up(64)},
		{"secret 63", "dt0c01." + up(24) + "." + up(63)},
		{"secret 63 then dot", "dt0c01." + up(24) + "." + up(63) + "." + up(10)},
		{"lowercase public", "dt0c01." + g.String(l[:26], 24) + "." + up(64)},
		{"lowercase secret", "dt0c01." + up(24) + "." + g.String(l[:26], 64)},
		{"one lowercase secret char", "dt0c01." + up(24) + "." + up(40) + "q" + up(23)},
		{"uppercase DT0", "DT0c01." + up(24) + "." + up(64)},
		{"prefix letter digit", "dt0901." + up(24) + "." + up(64)},
		{"prefix digits letter", "dt0cc1." + up(24) + "." + up(64)},
		{"dash for dot", "dt0c01-" + up(24) + "." + up(64)},
		{"no first dot", "dt0c01" + up(25) + "." + up(64)},
		{"no prefix", up(24) + "." + up(64)},
		{"dt1", "dt1c01." + up(24) + "." + up(64)},
		// Short.
		{"bare client ID", "dt0s02." + up(8)},
		{"bare client ID in text", "client_id=dt0s02." + up(8) + "&client_secret=<redacted>"},
		{"client ID and dot", "dt0s02." + up(8) + "."},
		{"short public 7", "dt0s02." + up(7) + "." + up(64)},
		{"short public 9", "dt0s02." + up(9) + "." + up(64)},
		{"short secret 63", "dt0g02." + up(8) + "." + up(63)},
		{"short lowercase public", "dt0s16." + g.String(l[:26], 8) + "." + up(64)},
		{"short lowercase secret", "dt0s16." + up(8) + "." + g.String(l[:26], 64)},
		{"short, classic prefix", "dt0c01." + up(8) + "." + up(64)},
		{"short, refresh prefix", "dt0s06." + up(8) + "." + up(64)},
		{"short, unknown prefix", "dt0Q42." + up(8) + "." + up(64)},
		{"short, agent prefix", "dt0a01." + up(8) + "." + up(64)},
		// Agent.
		{"agent secret 63", "dt0a01." + g.String(l, 8) + "." + g.String(h, 63)},
		{"agent uppercase env", "dt0a01." + strings.ToUpper(g.String(l[:26], 8)) + "." + g.String(h, 64)},
		{"agent uppercase hex", "dt0a01." + g.String(l, 8) + "." + strings.ToUpper(g.String(h[10:], 64))},
		{"agent non-hex secret", "dt0a01." + g.String(l, 8) + "." + g.String(h, 30) + "g" + g.String(h, 33)},
		{"agent env 7", "dt0a01." + g.String(l, 7) + "." + g.String(h, 64)},
		{"agent env 9", "dt0a01." + g.String(l, 9) + "." + g.String(h, 64)},
		{"agent, other prefix", "dt0a02." + g.String(l, 8) + "." + g.String(h, 64)},
		{"agent, short prefix", "dt0g02." + g.String(l, 8) + "." + g.String(h, 64)},
		// Shapes mixed up.
		{"standard public, hex secret", "dt0c01." + up(24) + "." + g.String(h[10:], 64)},
		{"long run without dot", up(500)},
		{"hex run without dot", g.String(h, 500)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, wrap := range []string{"%s", " %s ", "x=%s\n"} {
				b := []byte(strings.Replace(wrap, "%s", tt.b, 1))
				checkHits(t, b, nil)
				checkMatch(t, b)
			}
		})
	}
}

// TestMatchLongSecrets: a secret run longer than 64 still matches, as the
// expression does; the match covers the first 64 characters.
func TestMatchLongSecrets(t *testing.T) {
	g := tokentest.New(5)
	std := g.Token("dt0c01")
	short := genShort(g, "dt0s08")
	ag := genAgent(g)
	tests := []struct {
		name string
		b    string
		want []hit
	}{
		{"standard secret 65", std.Text + "A", []hit{{0, "classic-access-token", std}}},
		{"standard secret 200", std.Text + g.String(charsUpperDigit, 136), []hit{{0, "classic-access-token", std}}},
		{"short secret 65", short.Text + "9", []hit{{0, "oauth2-client-secret-dt0s08", short}}},
		{"agent secret 65", ag.Text + "f", []hit{{0, "agent-auth-token", ag}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkHits(t, []byte(tt.b), tt.want)
		})
	}
}

// TestMatchOverlap covers the only way two candidates can overlap: an Agent
// token whose last hex digit 'd' begins another token.
func TestMatchOverlap(t *testing.T) {
	g := tokentest.New(6)
	agText := genAgent(g).Text[:79] + "d"
	ag := g.Shaped("dt0a01", agText[7:15], agText[16:])
	std := g.Token("dt0c01")
	short := genShort(g, "dt0g02")
	ag2 := genAgent(g)
	tests := []struct {
		name string
		b    string
		want []hit
	}{
		// Each is a secret: both are reported, sharing the 'd' (issue 11,
		// item 14: the Agent token used to be dropped).
		{"agent then standard", agText + std.Text[1:], []hit{{0, "agent-auth-token", ag}, {79, "classic-access-token", std}}},
		{"agent then short", agText + short.Text[1:], []hit{{0, "agent-auth-token", ag}, {79, "activegate-token-short", short}}},
		{"agent then agent", agText + ag2.Text[1:], []hit{{0, "agent-auth-token", ag}, {79, "agent-auth-token", ag2}}},
		{"agent, not glued", agText + " " + std.Text, []hit{{0, "agent-auth-token", ag}, {81, "classic-access-token", std}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.b)
			checkHits(t, b, tt.want)
			checkMatch(t, b)
		})
	}
}

func TestMatchStopsEarly(t *testing.T) {
	g := tokentest.New(7)
	b := []byte(g.Token("dt0c01").Text + " " + g.Token("dt0s01").Text + " " + genAgent(g).Text)
	var m Matcher
	n := 0
	for range m.All(b) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("got %d iterations after break, want 1", n)
	}
	if got := len(spans(m.All(b))); got != 3 {
		t.Errorf("got %d matches, want 3", got)
	}
}

func TestMatchNoAllocOnMiss(t *testing.T) {
	g := tokentest.New(8)
	b := []byte(strings.Repeat("func (x *T) dt0c01."+g.String(charsUpperDigit, 24)+"."+g.String(charsUpperDigit, 63)+" {}\n", 100))
	var m Matcher
	allocs := testing.AllocsPerRun(100, func() {
		for range m.All(b) {
			t.Fatal("unexpected match")
		}
	})
	if allocs != 0 {
		t.Errorf("got %v allocations per scan of text without tokens, want 0", allocs)
	}
}

// TestMatchRedaction: nothing a Match prints holds the secret.
func TestMatchRedaction(t *testing.T) {
	g := tokentest.New(9)
	toks := []tokentest.Token{g.Token("dt0c01"), genShort(g, "dt0s16"), genAgent(g)}
	var text string
	for _, tk := range toks {
		text += tk.Text + "\n"
	}
	var m Matcher
	var out strings.Builder
	for mt := range m.All([]byte(text)) {
		out.WriteString(mt.String() + "\n")
		if !strings.Contains(mt.String(), string(mt.ID)) || !strings.Contains(mt.String(), mt.Kind.Name) {
			t.Errorf("String of %s lacks its ID or kind", mt.ID)
		}
	}
	if desc, leak := tokentest.Leak([]byte(out.String()), toks...); leak {
		t.Errorf("Match.String leaks: %s", desc)
	}
}

func TestMatchConcurrent(t *testing.T) {
	g := tokentest.New(10)
	b := []byte(strings.Repeat("x "+g.Token("dt0c01").Text+" "+genAgent(g).Text+"\n", 50))
	var m Matcher
	want := spans(m.All(b))
	done := make(chan []span)
	for range 4 {
		go func() { done <- spans(m.All(b)) }()
	}
	for range 4 {
		if got := <-done; !slices.Equal(got, want) {
			t.Errorf("concurrent scan: got %d matches, want %d", len(got), len(want))
		}
	}
}

// TestLastBelowZero checks the word-at-a-time search against a byte loop,
// on every byte value at every position of every window.
func TestLastBelowZero(t *testing.T) {
	naive := func(b []byte, lo, hi int) int {
		for i := hi - 1; i >= lo; i-- {
			if b[i] < '0' {
				return i
			}
		}
		return -1
	}
	b := make([]byte, 40)
	for v := range 256 {
		for pos := range len(b) {
			for i := range b {
				b[i] = "0aZ\x80\xff9z"[i%7]
			}
			b[pos] = byte(v)
			for lo := 0; lo <= len(b); lo += 3 {
				for hi := lo; hi <= len(b); hi++ {
					if got, want := lastBelowZero(b, lo, hi), naive(b, lo, hi); got != want {
						t.Fatalf("byte %#x at %d, window %d-%d: got %d, want %d", v, pos, lo, hi, got, want)
					}
				}
			}
		}
	}
}

// TestMatchOverlapEncoded checks that the two tokens sharing an Agent
// token's final 'd' are both found in UTF-16 text, either byte order, and
// in base64, as they are in plain text (issue 11, item 14).
func TestMatchOverlapEncoded(t *testing.T) {
	g := tokentest.New(16)
	agText := genAgent(g).Text[:79] + "d"
	std := g.Token("dt0c01")
	pair := agText + std.Text[1:]
	wantIDs := []ID{ID(agText[:15]), ID(std.ID)}
	for _, in := range []struct{ name, b string }{
		{"utf-16le", "x\x00" + wide(pair, false) + " \x00"},
		{"utf-16be", "\x00x" + wide(pair, true) + "\x00 "},
		{"base64", "v: " + base64.StdEncoding.EncodeToString([]byte(pair)) + "\n"},
	} {
		var ids []ID
		for m := range (&Matcher{}).All([]byte(in.b)) {
			ids = append(ids, m.ID)
		}
		if !slices.Equal(ids, wantIDs) {
			t.Errorf("%s: found %v; want %v", in.name, ids, wantIDs)
		}
	}
}
