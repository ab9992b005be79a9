package scanner

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

// FuzzScanWindows checks Scan's windowing against a plain oracle on hostile
// input: arbitrary bytes (binary, invalid UTF-8, every mix of "\n", "\r\n"
// and lone "\r", base64 and legacy-token context) with tokens spliced in.
// Read in windows of any size, an item must give exactly the matches the
// matcher finds in the whole input at once, each at the line and column
// counted over the whole input; lines holding the allow marker are left out.
func FuzzScanWindows(f *testing.F) {
	for _, s := range []string{
		"",
		"\r\n\r\n@\r\n",
		"a\rb\r@\r\r\n@",
		"\xff\xfe\xed\xa0\x80 @ \x80\n@",
		"ключ «@» 🔑 @",
		"DT_API_TOKEN=AbCdEfGhIjKlMnOpQrStU\n@\r",
		"token: ZHQwYzAx\n@ dtleaks:allow\n@",
		"\x00\x00@\x00\r",
		"x\r",
		"@@",
	} {
		f.Add([]byte(s), uint16(1), uint8(0))
		f.Add([]byte(s), uint16(1100), uint8(3))
	}
	g := tokentest.New(950)
	toks := []tokentest.Token{g.Token("dt0c01"), g.Token("dt0s16"), g.Token("dt0g02")}
	f.Fuzz(func(t *testing.T, in []byte, chunk uint16, pad uint8) {
		if len(in) > 8<<10 {
			return
		}
		// Each '@' becomes a token; pad puts the input at different
		// offsets from the window edges.
		var b bytes.Buffer
		b.Write(bytes.Repeat([]byte("p"), int(pad)))
		n := 0
		for _, c := range in {
			if c == '@' {
				b.WriteString(toks[n%len(toks)].Text)
				n++
				continue
			}
			b.WriteByte(c)
		}
		data := b.Bytes()
		want := scanOracle(data)
		for _, cs := range []int{int(chunk)%4096 + 1, 64, rules.MaxSpan} {
			got, _, err := scanItem(context.Background(), Item{Path: "f", R: bytes.NewReader(data)}, &rules.Matcher{}, make([]byte, 0, cs+rules.MaxSpan))
			if err != nil {
				t.Fatalf("chunk %d: %v", cs, err)
			}
			if d := diffPlaces(places(got), want); d != "" {
				t.Errorf("chunk %d, %d bytes: %s", cs, len(data), d)
			}
		}
	})
}

// scanOracle finds the tokens in the whole of data at once and places each
// by counting over everything before it: "\r\n" is one line break, as are a
// lone "\n" and a lone "\r"; each invalid UTF-8 byte is one column. Tokens on
// a line holding the allow marker are left out.
func scanOracle(data []byte) []place {
	var out []place
	for m := range (&rules.Matcher{}).All(data) {
		line, lineStart := 1, 0
		for i := 0; i < m.Start; i++ {
			switch data[i] {
			case '\n':
				line, lineStart = line+1, i+1
			case '\r':
				if i+1 < len(data) && data[i+1] == '\n' {
					if i+1 < m.Start {
						continue // counted at the '\n'
					}
				}
				line, lineStart = line+1, i+1
			}
		}
		lineEnd := len(data)
		if j := bytes.IndexAny(data[m.End:], "\r\n"); j >= 0 {
			lineEnd = m.End + j
		}
		if bytes.Contains(data[lineStart:lineEnd], []byte(AllowMarker)) {
			continue
		}
		out = append(out, place{m.ID, line, utf8.RuneCount(data[lineStart:m.Start]) + 1})
	}
	return out
}

// TestScanWindowsLineEndings runs the oracle comparison over every split
// of CR, LF and CRLF around a token at each small chunk size, without the
// fuzzer, so that CI checks it on every run.
func TestScanWindowsLineEndings(t *testing.T) {
	tok := tokentest.New(951).Token("dt0c01").Text
	seps := []string{"\n", "\r", "\r\n", "\n\r", "\r\r", "\n\n"}
	for _, a := range seps {
		for _, b := range seps {
			// Padding around MaxSpan puts the separators and tokens on
			// every side of a window's edge.
			for pad := rules.MaxSpan - 160; pad < rules.MaxSpan+60; pad += 23 {
				data := []byte(fmt.Sprintf("%sx%s%s%s%s\xffé%s", bytes.Repeat([]byte("q"), pad), a, tok, b, a, tok))
				want := scanOracle(data)
				if len(want) != 2 {
					t.Fatalf("oracle found %d tokens; want 2", len(want))
				}
				for _, cs := range []int{1, 3, 17, 200} {
					got, _, err := scanItem(context.Background(), Item{Path: "f", R: bytes.NewReader(data)}, &rules.Matcher{}, make([]byte, 0, cs+rules.MaxSpan))
					if err != nil {
						t.Fatal(err)
					}
					if d := diffPlaces(places(got), want); d != "" {
						t.Errorf("seps %q %q, pad %d, chunk %d: %s", a, b, pad, cs, d)
					}
				}
			}
		}
	}
}
