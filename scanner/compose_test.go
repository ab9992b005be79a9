package scanner_test

// Decoders compose (issue 11, "properties, not cases"): every detector runs
// on every decoded form the product supports, in every stacking it
// supports. The oracle is plain: decode by hand (encoding/base64,
// unicode/utf16) and scan the decoded bytes; every token found there, with
// its environment when the URL is in the same decoded text, must be found
// in the encoded form. The README documents base64 once or twice
// (rules.Decoded: "It does not look deeper than two levels"), UTF-16 text
// holding plain, base64 and legacy tokens (rules.UTF16), and base64 holding
// UTF-16 text and legacy tokens (rules.Decoded).

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/source"
)

// composeKey is what must survive encoding: the token and its environment.
type composeKey struct {
	ID, Fingerprint, Environment string
}

func (k composeKey) String() string {
	id := k.ID
	if id == "" {
		id = "legacy:" + k.Fingerprint[:12]
	}
	return fmt.Sprintf("%s env=%q", id, k.Environment)
}

func composeScan(t testing.TB, b []byte) []composeKey {
	t.Helper()
	res, err := scanner.Scan(context.Background(), source.Reader{R: bytes.NewReader(b), Name: "x"}, scanner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []composeKey
	for _, f := range res.Findings {
		k := composeKey{string(f.ID), string(f.Fingerprint), f.Environment}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b composeKey) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// A stacking is a list of encodings applied in order to the plain text.
type composeEnc struct {
	name string
	enc  func([]byte) []byte
}

var (
	encB64     = composeEnc{"base64", func(b []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(b)) }}
	encB64URL  = composeEnc{"base64url", func(b []byte) []byte { return []byte(base64.RawURLEncoding.EncodeToString(b)) }}
	encB64Wrap = composeEnc{"base64 wrapped", func(b []byte) []byte {
		s := base64.StdEncoding.EncodeToString(b)
		var out []string
		for len(s) > 76 {
			out = append(out, s[:76])
			s = s[76:]
		}
		return []byte(strings.Join(append(out, s), "\n") + "\n")
	}}
	encU16LE  = composeEnc{"utf-16le", func(b []byte) []byte { return utf16Bytes(string(b), false, false) }}
	encU16BE  = composeEnc{"utf-16be", func(b []byte) []byte { return utf16Bytes(string(b), true, false) }}
	encU16BOM = composeEnc{"utf-16le bom", func(b []byte) []byte { return utf16Bytes(string(b), false, true) }}
)

// composeStacks are the stackings the product documents, each checked
// against the plain oracle: base64 once or twice (wrapped or not), UTF-16
// text, base64 inside UTF-16 text, and UTF-16 text inside base64 (base64 of
// a PowerShell output file), once or twice; and base64 of wrapped base64
// (a Secret's value holding a file that base64(1) wrote).
var composeStacks = [][]composeEnc{
	{encB64}, {encB64URL}, {encB64Wrap}, {encB64, encB64},
	{encU16LE}, {encU16BE}, {encU16BOM},
	{encB64, encU16LE}, {encB64, encU16BE}, {encB64, encB64, encU16LE}, {encB64Wrap, encU16BOM},
	{encU16LE, encB64}, {encU16BE, encB64}, {encU16BOM, encB64}, {encU16LE, encB64Wrap},
	{encU16BOM, encB64URL}, {encU16LE, encB64, encB64},
	{encB64Wrap, encB64}, {encB64Wrap, encB64URL},
}

// legacyLeftOut reports whether the fuzz leaves the text named n out of
// the stacking s: a legacy token in base64 over wrapped base64 is found
// only when no inner line break falls inside the characters that encode
// "token" in its context, as rules.Decoded documents, and text before it
// moves the breaks. (TestDecodersCompose keeps them: where its texts
// stand, no break falls there.)
func legacyLeftOut(n string, s []composeEnc) bool {
	return strings.HasPrefix(n, "legacy") && len(s) == 2 && s[0].name == encB64Wrap.name && strings.HasPrefix(s[1].name, "base64")
}

func stackName(s []composeEnc) string {
	var n []string
	for _, e := range s {
		n = append(n, e.name)
	}
	return strings.Join(n, "+")
}

func applyStack(s []composeEnc, b []byte) []byte {
	for _, e := range s {
		b = e.enc(b)
	}
	return b
}

func composeTexts(g *tokentest.Gen) map[string]string {
	legacy := g.String("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 20) + "Q"
	url := "https://abc12345.live.dynatrace.com"
	// Every text is longer than 80 characters: rules.UTF16 documents that
	// a legacy token is found in UTF-16 text of 80 characters or more.
	pad := "# configuration of the monitoring of this service, kept with the code\n"
	return map[string]string{
		"plain":                   "T=" + g.Token("dt0c01").Text + "\n",
		"plain with environment":  "DT_URL=" + url + "\nDT_API_TOKEN=" + g.Token("dt0c01").Text + "\n",
		"legacy":                  pad + "dynatrace:\n  apiToken: " + legacy + "\n",
		"legacy with environment": pad + "curl -H 'Authorization: Api-Token " + legacy + "' " + url + "/api/v2/metrics\n",
		"short shape":             "secret: " + g.Token("dt0s16").Text[:6] + "." + g.String("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 8) + "." + g.String("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 64) + "\n",
		"two tokens":              "a=" + g.Token("dt0c01").Text + "\nb=" + g.Token("dt0s01").Text + "\n" + url + "\n",
		"managed environment":     "https://dt.example.com/e/0123abcd-1234-5678-9abc-def012345678/api\nx=" + g.Token("dt0c01").Text + "\n",
	}
}

// checkCompose returns what the plain oracle finds that the encoded form
// misses.
func checkCompose(t testing.TB, plain []byte, stack []composeEnc) (missing []composeKey) {
	t.Helper()
	want := composeScan(t, plain)
	got := composeScan(t, applyStack(stack, plain))
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	return missing
}

// checkComposePlace checks that every finding in b, text that is not
// UTF-16, is placed where its encoded form starts: its line and column are
// those of its offset, as for a token standing as it is.
func checkComposePlace(t *testing.T, b []byte) {
	t.Helper()
	res, err := scanner.Scan(context.Background(), source.Reader{R: bytes.NewReader(b), Name: "x"}, scanner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if f.Offset < 0 || f.Offset >= int64(len(b)) {
			t.Errorf("%s: offset %d outside the %d bytes", f.ID, f.Offset, len(b))
			continue
		}
		line := 1 + bytes.Count(b[:f.Offset], []byte("\n"))
		col := int(f.Offset) - bytes.LastIndexByte(b[:f.Offset], '\n')
		if f.Line != line || f.Column != col {
			t.Errorf("%s (%s) at offset %d: line %d column %d, want %d:%d", f.ID, f.Encoding, f.Offset, f.Line, f.Column, line, col)
		}
	}
}

func TestDecodersCompose(t *testing.T) {
	g := tokentest.New(2222)
	texts := composeTexts(g)
	names := make([]string, 0, len(texts))
	for n := range texts {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		plain := []byte(texts[n])
		if len(composeScan(t, plain)) == 0 {
			t.Fatalf("%s: the oracle finds nothing in the plain text", n)
		}
		for _, s := range composeStacks {
			t.Run(n+"/"+stackName(s), func(t *testing.T) {
				if m := checkCompose(t, plain, s); len(m) > 0 {
					t.Errorf("missing in %s: %v (plain finds %v, encoded finds %v)", stackName(s), m, composeScan(t, plain), composeScan(t, applyStack(s, plain)))
				}
				if !strings.HasPrefix(s[len(s)-1].name, "utf-16") {
					checkComposePlace(t, applyStack(s, plain))
				}
			})
		}
	}
}

// FuzzDecodersCompose wraps arbitrary text around generated tokens, encodes
// it in a documented stacking, and checks the encoded form yields what the
// plain text does.
func FuzzDecodersCompose(f *testing.F) {
	g := tokentest.New(2223)
	texts := composeTexts(g)
	var names []string
	for n := range texts {
		names = append(names, n)
	}
	// In the order of the texts, as before the names were kept, so that
	// the inputs kept under testdata pick the same texts.
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(texts[a], texts[b]) })
	f.Add([]byte("prefix "), []byte(" suffix"), uint8(0), uint8(0))
	f.Add([]byte("Počítač\r\n"), []byte("\n"), uint8(1), uint8(4))
	f.Add([]byte("key: "), []byte(""), uint8(2), uint8(3))
	f.Fuzz(func(t *testing.T, pre, post []byte, which, stack uint8) {
		n := names[int(which)%len(names)]
		s := composeStacks[int(stack)%len(composeStacks)]
		if legacyLeftOut(n, s) {
			return
		}
		plain := append(append(append([]byte(nil), pre...), texts[n]...), post...)
		if m := checkCompose(t, plain, s); len(m) > 0 {
			t.Errorf("%s loses %v", stackName(s), m)
		}
	})
}
