package rules

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// TestDecodedEnvironment: the environment named in the same base64 text as
// a token (once, twice, wrapped at 76 columns) is found; none is made up.
func TestDecodedEnvironment(t *testing.T) {
	tok := tokentest.New(3131).Token("dt0c01")
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	wrap := func(s string) string {
		var out []string
		for len(s) > 76 {
			out, s = append(out, "  "+s[:76]), s[76:]
		}
		return strings.Join(append(out, "  "+s), "\n")
	}
	const url = "https://abc12345.live.dynatrace.com"
	text := "DT_URL=" + url + "\nDT_API_TOKEN=" + tok.Text + "\n"
	// UTF-16LE of s, as PowerShell writes an output file.
	u16 := func(s string) string {
		var b []byte
		for _, c := range []byte(s) {
			b = append(b, c, 0)
		}
		return string(b)
	}
	// A NUL right before the URL: it parts the URL from the letter
	// before it, in the text and in its UTF-16 form (FuzzDecodersCompose
	// found both losing the environment).
	const managed = "https://dt.example.com/e/0123abcd-1234-5678-9abc-def012345678"
	nul := "A\x00" + managed + "/api\nx=" + tok.Text + "\n0"
	for _, tt := range []struct {
		name, in, want string
	}{
		{"once", "data: " + b64(text) + "\n", url},
		{"twice", "auth: " + b64(b64(text)) + "\n", url},
		{"wrapped", "data: |\n" + wrap(b64(text+strings.Repeat("# padding line\n", 8))) + "\nnext: 1\n", url},
		{"utf-16", "data: " + b64("\xff\xfe"+u16(text)) + "\n", url},
		{"stray nul", "data: " + b64(nul) + "\n", managed},
		{"utf-16 nul", "data: " + b64(u16(nul)) + "\n", managed},
		{"no url", "data: " + b64("DT_API_TOKEN="+tok.Text+"\n") + "\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			for m := range Decoded([]byte(tt.in)) {
				n++
				got, _ := DecodedEnvironment([]byte(tt.in), m)
				if got != tt.want {
					t.Errorf("environment %q, want %q", got, tt.want)
				}
			}
			if n != 1 {
				t.Fatalf("%d matches, want 1", n)
			}
		})
	}
}
