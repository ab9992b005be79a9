package rules

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// le16 and be16 are s in UTF-16 text of either byte order (ASCII only).
func le16(s string) string {
	var b []byte
	for _, c := range []byte(s) {
		b = append(b, c, 0)
	}
	return string(b)
}

func be16(s string) string {
	var b []byte
	for _, c := range []byte(s) {
		b = append(b, 0, c)
	}
	return string(b)
}

// TestDecodedNested: Decoded finds, inside base64 once or twice, a legacy
// token with its context and tokens in UTF-16 text, wherever the run's
// quanta start, with a span that is the quanta of the token and a Lead that
// covers those of its context; and nothing in near misses.
func TestDecodedNested(t *testing.T) {
	g := tokentest.New(1111)
	legacy := legacyGen(g, 1)[0]
	tok := g.Token("dt0c01")
	b64 := base64.StdEncoding.EncodeToString
	url := base64.RawURLEncoding.EncodeToString
	pad := "# the settings of the monitoring of this service, kept with its code\n"
	legacyText := pad + "dynatrace:\n  apiToken: " + legacy + "\n"
	header := pad + "curl -H 'Authorization: Api-Token " + legacy + "' https://x\n"
	tokText := pad + "DT_API_TOKEN=" + tok.Text + "\r\n"
	type want struct {
		legacy bool
		id     ID
	}
	lw, tw := []want{{legacy: true}}, []want{{id: ID(tok.ID)}}
	for _, tt := range []struct {
		name string
		in   string
		want []want
	}{
		{"legacy", "data: " + b64([]byte(legacyText)) + "\n", lw},
		{"legacy url-safe", "x=" + url([]byte(legacyText)), lw},
		{"legacy header", `"` + b64([]byte(header)) + `"`, lw},
		{"legacy twice", "auth: " + b64([]byte(b64([]byte(legacyText)))), lw},
		{"legacy after a path", "/etc/secret/" + b64([]byte("x"+legacyText)), lw},
		// 40 characters, the fewest (TestDecodedShortAnywhere moves them).
		{"legacy short", strings.Repeat(" ", decodeStride) + b64([]byte("apiToken="+legacy)), lw},
		{"utf-16le", "v: " + b64([]byte(le16(tokText))), tw},
		{"utf-16be", "v: " + b64([]byte(be16(tokText))), tw},
		{"utf-16le bom", "v: " + b64([]byte("\xff\xfe"+le16(tokText))), tw},
		{"utf-16le twice", "v: " + b64([]byte(b64([]byte(le16(tokText))))), tw},
		{"utf-16 legacy", "v: " + b64([]byte(le16(legacyText))), lw},
		{"utf-16be legacy", "v: " + b64([]byte(be16(legacyText))), lw},
		{"two", b64([]byte(legacyText + le16(tokText))), []want{{legacy: true}, {id: ID(tok.ID)}}},
		{"placeholder", "data: " + b64([]byte(pad+"apiToken: YOUR_TOKEN_HERE_0123456789\n")), nil},
		{"no context", "data: " + b64([]byte(pad+"value: "+legacy+"\n")), nil},
		{"utf-16 near miss", "v: " + b64([]byte(le16(pad+"DT_API_TOKEN=dt0c01."+strings.Repeat("A", 24)+".short\r\n"))), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.in)
			var got []Match
			for m := range Decoded(b) {
				got = append(got, m)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d matches %v, want %d", len(got), got, len(tt.want))
			}
			for i, m := range got {
				w := tt.want[i]
				switch {
				case w.legacy && (m.ID != "" || m.Fingerprint != legacySHA(legacy) || m.Kind != Classify("", Legacy)):
					t.Errorf("match %d is %v, want the legacy token", i, m)
				case !w.legacy && (m.ID != w.id || m.Fingerprint != Fingerprint(tok.Fingerprint)):
					t.Errorf("match %d is %v, want %s", i, m, w.id)
				case m.Encoding != EncodingBase64:
					t.Errorf("match %d: Encoding %q, want base64", i, m.Encoding)
				case m.Start < 0 || m.End > len(b) || m.End-m.Start > MaxSpan || m.Lead < 0 || m.Lead > MaxLead || m.Start-m.Lead < 0:
					t.Errorf("match %d spans [%d,%d) lead %d in %d bytes", i, m.Start, m.End, m.Lead, len(b))
				case !nestedSpanHolds(b, m):
					t.Errorf("match %d: the span [%d,%d) does not decode to the token", i, m.Start, m.End)
				}
				if w.legacy && m.Lead == 0 {
					t.Errorf("match %d: Lead 0, want the quanta of its context", i)
				}
			}
		})
	}
}

// TestDecodedShortAnywhere: the shortest run that can hold a legacy token
// with its context, "apiToken=" and the token base64-encoded in 40
// characters (a Secret's value), is found wherever it starts, as a YAML
// value, quoted or on its own line; and so are longer ones. Before, a run
// of 40 to 62 characters was found only where it covered a tested block.
func TestDecodedShortAnywhere(t *testing.T) {
	g := tokentest.New(1112)
	legacy := legacyGen(g, 1)[0]
	for _, ctx := range []string{"apiToken=", "api_token: ", "DT_API_TOKEN=", "dynatrace:\n  apiToken: "} {
		enc := base64.StdEncoding.EncodeToString([]byte(ctx + legacy))
		for _, frame := range []string{"data:\n  cfg: %s\n", "%s", "x = \"%s\";", "\n%s\n"} {
			for off := range 2*decodeStride + 8 {
				in := []byte(strings.Repeat(" ", off) + fmt.Sprintf(frame, enc))
				n := 0
				for m := range Decoded(in) {
					if m.Fingerprint != legacySHA(legacy) || !nestedSpanHolds(in, m) {
						t.Fatalf("%q in %q at offset %d: match %v is not the legacy token", ctx, frame, off, m)
					}
					n++
				}
				if n != 1 {
					t.Fatalf("%q (%d characters encoded) in %q at offset %d: %d matches, want 1", ctx, len(enc), frame, off, n)
				}
			}
		}
	}
}

// nestedSpanHolds reports whether b[m.Start:m.End], decoded once or twice
// (the span is the outer quanta; the inner ones may start anywhere in their
// decoding), and read as UTF-16 when it is, holds the token m fingerprints:
// a legacy token's 21 characters, or a token the matcher finds.
func nestedSpanHolds(b []byte, m Match) bool {
	return nestedHolds(b[m.Start:m.End], m.Fingerprint, 2, true)
}

func nestedHolds(enc []byte, fp Fingerprint, depth int, aligned bool) bool {
	offs := 4
	if aligned {
		offs = 1
	}
	for off := 0; off < offs && off < len(enc); off++ {
		run := enc[off:]
		for i, c := range run {
			if decodeSextet[c] == decodeInvalid {
				run = run[:i]
				break
			}
		}
		dec := decodeQuanta(nil, run)
		for _, d := range [][]byte{dec, []byte(strings.ReplaceAll(string(dec), "\x00", ""))} {
			for i := 0; i+legacyLen <= len(d); i++ {
				if FingerprintOf(d[i:i+legacyLen]) == fp {
					return true
				}
			}
			for x := range (&Matcher{}).All(d) {
				if x.Fingerprint == fp {
					return true
				}
			}
		}
		if depth > 1 && nestedHolds(dec, fp, depth-1, false) {
			return true
		}
	}
	return false
}

// TestDecodedNestedPieces: a legacy token far into a long run, past
// several of the pieces decodeNested decodes, and one in UTF-16 text there,
// are each found once.
func TestDecodedNestedPieces(t *testing.T) {
	g := tokentest.New(1112)
	tok := g.Token("dt0s01")
	for _, at := range []int{0, 1000, decodeNestStep/4*3 - 30, decodeNestStep / 4 * 3, 3 * decodeNestStep} {
		for _, u16 := range []bool{false, true} {
			legacy := legacyGen(g, 1)[0]
			text := strings.Repeat("#", at) + "\napiToken: " + legacy + "\n" + strings.Repeat("-", 5000)
			if u16 {
				text = le16(strings.Repeat("#", at) + "\nDT_API_TOKEN=" + tok.Text + "\n" + strings.Repeat("-", 5000))
			}
			t.Run(fmt.Sprintf("%d/utf16=%v", at, u16), func(t *testing.T) {
				n := 0
				for m := range Decoded([]byte(base64.StdEncoding.EncodeToString([]byte(text)))) {
					n++
					if u16 && m.ID != ID(tok.ID) || !u16 && m.Fingerprint != legacySHA(legacy) {
						t.Errorf("found %v", m)
					}
				}
				if n != 1 {
					t.Errorf("%d matches, want 1", n)
				}
			})
		}
	}
}

// TestDecodedEnvironmentNested: the environment encoded with a token in
// UTF-16 text inside base64, and with a legacy token in base64, is found.
func TestDecodedEnvironmentNested(t *testing.T) {
	g := tokentest.New(1113)
	tok := g.Token("dt0c01")
	legacy := legacyGen(g, 1)[0]
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	const url = "https://abc12345.live.dynatrace.com"
	for _, tt := range []struct{ name, in string }{
		{"utf-16 in base64", "v: " + b64(le16("DT_URL="+url+"\r\nDT_API_TOKEN="+tok.Text+"\r\n"))},
		{"utf-16 in base64 twice", "v: " + b64(b64(le16("DT_URL="+url+"\r\nDT_API_TOKEN="+tok.Text+"\r\n")))},
		{"legacy in base64", "v: " + b64("curl -H 'Authorization: Api-Token "+legacy+"' "+url+"/api/v2/metrics\n")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			for m := range Decoded([]byte(tt.in)) {
				n++
				if got, _ := DecodedEnvironment([]byte(tt.in), m); got != url {
					t.Errorf("environment %q, want %q", got, url)
				}
			}
			if n != 1 {
				t.Fatalf("%d matches, want 1", n)
			}
		})
	}
}

// TestDecodedNestedMany: a long base64 block (wrapped or not) holding a
// legacy token every 130 bytes yields each exactly once, across the pieces
// decodeNested decodes.
func TestDecodedNestedMany(t *testing.T) {
	g := tokentest.New(1114)
	var yaml strings.Builder
	n := 0
	for yaml.Len() < 64<<10 {
		yaml.WriteString("# the settings of one service, kept with its code\ndynatrace:\n  apiToken: " + legacyGen(g, 1)[0] + "\n")
		n++
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(yaml.String()))
	for name, enc := range map[string]string{"run": b64, "wrapped": wrap(b64, 76, "  ", "\n")} {
		got, end := 0, 0
		for m := range Decoded([]byte(enc)) {
			got++
			if m.Start < end {
				t.Errorf("%s: match at %d overlaps the one before, ending at %d", name, m.Start, end)
			}
			end = m.End
		}
		if got != n {
			t.Errorf("%s: %d matches, want %d", name, got, n)
		}
	}
}
