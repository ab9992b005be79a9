package scanner

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

// FuzzScanWindows checks Scan's windowing against a plain oracle on hostile
// input: arbitrary bytes (binary, invalid UTF-8, every mix of "\n", "\r\n"
// and lone "\r", UTF-16, base64 and legacy-token context) with tokens, plain
// and in UTF-16, spliced in.
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
		"\xff\xfe~\r\x00\n\x00~\r\x00",
		"\x00\r\x00\n~\x00 \x00@\n~",
		// Long lines and dense tokens: many tokens on one line, glued or
		// not, and lines longer than a window, of ASCII, NUL and
		// non-ASCII bytes, before and after tokens.
		strings.Repeat("@ ", 60),
		strings.Repeat("@", 50) + "\n" + strings.Repeat("@\r", 20),
		strings.Repeat("~ ", 20) + "\n" + strings.Repeat("~", 10),
		strings.Repeat("x", 6000) + "@" + strings.Repeat("y", 1500) + "@\n@",
		strings.Repeat("\x00", 7000) + "@" + strings.Repeat("\x00", 1000) + "@",
		// Windows of NUL bytes only, between findings still open and the
		// marker or line break that decides them.
		"@" + strings.Repeat("\x00", 5000) + "dtleaks:allow\r@" + strings.Repeat("\x00", 3000) + "\n@\x00",
		"\r\x00" + strings.Repeat("\x00", 4000) + "\r\n" + strings.Repeat("\x00", 3000) + "@é\r",
		strings.Repeat("é", 2500) + "@" + strings.Repeat("\xff", 700) + "@ dtleaks:allow\n@",
		strings.Repeat("ab\x00", 1500) + "\r" + strings.Repeat("@ é", 30),
		// UTF-16 text whose characters hold the bytes 0x0A and 0x0D,
		// with and without a byte order mark, either byte order.
		string(utf16Of("Počítač 《x》\r\n", false, true)) + "~" + string(utf16Of("\r\nč\n", false, false)) + "~ @",
		string(utf16Of("《标题》 ഊ\n\r", false, false)) + "~\x00" + string(utf16Of("Počítač\r\n", false, false)) + "~",
		string(utf16Of("č\r\n《\n", true, true)) + "\x00~\x00\n~",
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
		// Each '@' becomes a token and each '~' a token in UTF-16LE; pad
		// puts the input at different offsets from the window edges.
		var b bytes.Buffer
		b.Write(bytes.Repeat([]byte("p"), int(pad)))
		n := 0
		for _, c := range in {
			switch c {
			case '@':
				b.WriteString(toks[n%len(toks)].Text)
				n++
			case '~':
				for _, ch := range []byte(toks[n%len(toks)].Text) {
					b.Write([]byte{ch, 0})
				}
				n++
			default:
				b.WriteByte(c)
			}
		}
		data := b.Bytes()
		if len(data) > 64<<10 {
			// Read a byte at a time, a window per byte: keep each run
			// short enough for the fuzzer to get anywhere.
			return
		}
		want := scanOracle(data)
		for _, cs := range []int{int(chunk)%4096 + 1, 64, rules.MaxSpan} {
			// Lines counted as the windows go, and counted only up to
			// the windows that hold a match, reading the others again
			// (a Rereader, as a regular file is), or the bytes searched
			// in place, ahead, by other goroutines (a Mapper, as a
			// large file is).
			for _, r := range []io.Reader{bytes.NewReader(data), newRereader(data), mapped(data)} {
				got, _, err := scanItem(context.Background(), Item{Path: "f", R: r}, &rules.Matcher{}, make([]byte, 0, cs+rules.MaxSpan))
				if err != nil {
					t.Fatalf("chunk %d: %v", cs, err)
				}
				if d := diffPlaces(places(byOffset(got)), want); d != "" {
					t.Errorf("chunk %d, %d bytes, read as %T: %s", cs, len(data), r, d)
				}
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
	text16, be := utf16Text(data[:min(len(data), rules.MaxSpan)])
	for m := range (&rules.Matcher{}).All(data) {
		if m.Encoding == "utf-16" && text16 {
			if p, ok := utf16Oracle(data, m, be); ok {
				out = append(out, p)
			}
			continue
		}
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
				// "\r\x00\n" is the CRLF of UTF-16 text.
				if i+2 < len(data) && data[i+1] == 0 && data[i+2] == '\n' {
					if i+2 < m.Start {
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
		col := utf8.RuneCount(data[lineStart:m.Start]) + 1
		if m.Encoding == "utf-16" {
			if bytes.Contains(data[lineStart:lineEnd], allowLE) || bytes.Contains(data[lineStart:lineEnd], allowBE) {
				continue
			}
			// A character and its NUL are one column, a byte order mark
			// none.
			col = (col + 1) / 2
			if line == 1 && (bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff})) {
				col--
			}
		}
		out = append(out, place{m.ID, line, col})
	}
	return out
}

// utf16Oracle places a token found in UTF-16 text, in an item that is
// UTF-16 text, by reading the item's units one by one up to the token's:
// U+000A, U+000D U+000A and a lone U+000D break a line, the column counts
// units (the byte order mark none). It reports false for a token on a line
// holding the allow marker.
func utf16Oracle(data []byte, m rules.Match, be bool) (place, bool) {
	unit := func(u int) int {
		if u < 0 || u+1 >= len(data) {
			return -1
		}
		if be {
			return int(data[u])<<8 | int(data[u+1])
		}
		return int(data[u+1])<<8 | int(data[u])
	}
	t := m.Start
	if be {
		t--
	}
	line, ls := 1, t%2
	for u := t % 2; u < t; u += 2 {
		if v := unit(u); v == '\n' || v == '\r' && unit(u+2) != '\n' {
			line, ls = line+1, u+2
		}
	}
	col := (t-ls)/2 + 1
	if ls == 0 && (bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff})) {
		col--
	}
	// The allow marker, as scan reads it: on the bytes from the last byte
	// '\n' or '\r' before the token to the first after it.
	lineStart := bytes.LastIndexAny(data[:m.Start], "\r\n") + 1
	lineEnd := len(data)
	if j := bytes.IndexAny(data[m.End:], "\r\n"); j >= 0 {
		lineEnd = m.End + j
	}
	own := data[lineStart:lineEnd]
	if bytes.Contains(own, []byte(AllowMarker)) || bytes.Contains(own, allowLE) || bytes.Contains(own, allowBE) {
		return place{}, false
	}
	return place{m.ID, line, col}, true
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
					if d := diffPlaces(places(byOffset(got)), want); d != "" {
						t.Errorf("seps %q %q, pad %d, chunk %d: %s", a, b, pad, cs, d)
					}
				}
			}
		}
	}
}

// byOffset orders findings by where they start, as the oracle lists them:
// scanItem decides a finding whose line goes on past its window only when
// the line ends, after findings further on, and Scan sorts what it returns.
func byOffset(fs []Finding) []Finding {
	slices.SortStableFunc(fs, func(a, b Finding) int { return cmp.Compare(a.Offset, b.Offset) })
	return fs
}

// TestScanAllowNextLine puts a token on a line longer than a window and
// dtleaks:allow on the line after it: the marker belongs to the next line,
// so the token is still reported, whatever the window size.
func TestScanAllowNextLine(t *testing.T) {
	tok := tokentest.New(952).Token("dt0c01")
	data := []byte("k=" + tok.Text + strings.Repeat("x", 4200) + "\n# dtleaks:allow\n" + strings.Repeat("more\n", 3000))
	for _, cs := range []int{64, 2048, 4096, 1 << 20} {
		got, _, err := scanItem(context.Background(), Item{Path: "f", R: bytes.NewReader(data)}, &rules.Matcher{}, make([]byte, 0, cs+rules.MaxSpan))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || string(got[0].ID) != tok.ID {
			t.Errorf("chunk %d: %d findings; want the token on line 1", cs, len(got))
		}
	}
}

// TestScanGluedTokens scans an Agent token whose secret ends in 'd' glued
// to the rest of a classic token, so that the 'd' is the last byte of one
// and the first of the other: each is a secret, both are reported, at their
// own columns, wherever the windows cut (issue 11, item 14).
func TestScanGluedTokens(t *testing.T) {
	g := tokentest.New(953)
	ag := g.Shaped("dt0a01", g.String("abcdefghijklmnopqrstuvwxyz0123456789", 8), g.String("0123456789abcdef", 63)+"d")
	std := g.Token("dt0c01")
	data := []byte("é " + ag.Text + std.Text[1:] + "\n")
	want := []place{{rules.ID(ag.ID), 1, 3}, {rules.ID(std.ID), 1, 82}}
	for _, cs := range []int{1, 7, 80, 1 << 20} {
		got, _, err := scanItem(context.Background(), Item{Path: "f", R: bytes.NewReader(data)}, &rules.Matcher{}, make([]byte, 0, cs+rules.MaxSpan))
		if err != nil {
			t.Fatal(err)
		}
		if d := diffPlaces(places(byOffset(got)), want); d != "" {
			t.Errorf("chunk %d: %s", cs, d)
		}
	}
}

// TestScanWindowsWrappedBase64 scans base64 wrapped at 76 and 64 columns
// (several tokens, in a YAML block scalar and bare) in windows of many
// sizes: each token is found once, at the line and column of its first
// quantum, as in the whole input at once (issue 11, item 12).
func TestScanWindowsWrappedBase64(t *testing.T) {
	g := tokentest.New(954)
	var payload strings.Builder
	for range 6 {
		payload.WriteString("token: " + g.Token("dt0c01").Text + "\n")
	}
	enc := base64.StdEncoding.EncodeToString([]byte(payload.String()))
	for _, width := range []int{64, 76} {
		var b strings.Builder
		b.WriteString("kind: Secret\ndata:\n  cert: |\n")
		for s := enc; s != ""; {
			n := min(width, len(s))
			b.WriteString("    " + s[:n] + "\n")
			s = s[n:]
		}
		b.WriteString("bare:\n")
		for s := enc; s != ""; {
			n := min(width, len(s))
			b.WriteString(s[:n] + "\r\n")
			s = s[n:]
		}
		data := []byte(b.String())
		want := scanOracle(data)
		if len(want) != 12 {
			t.Fatalf("width %d: the oracle found %d tokens; want 12", width, len(want))
		}
		for _, cs := range []int{1, 50, 333, 1000, 1 << 20} {
			got, _, err := scanItem(context.Background(), Item{Path: "f", R: bytes.NewReader(data)}, &rules.Matcher{}, make([]byte, 0, cs+rules.MaxSpan))
			if err != nil {
				t.Fatal(err)
			}
			if d := diffPlaces(places(byOffset(got)), want); d != "" {
				t.Errorf("width %d, chunk %d: %s", width, cs, d)
			}
		}
	}
}

// utf16Of encodes s (any Unicode) as UTF-16, with a byte order mark when
// bom is set.
func utf16Of(s string, bigEndian, bom bool) []byte {
	var out []byte
	put := func(u uint16) {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	if bom {
		put(0xfeff)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		put(u)
	}
	return out
}

// TestScanUTF16Lines scans UTF-16 text whose characters hold the bytes
// 0x0A and 0x0D (č is U+010D, 《 U+300A, ഊ U+0D0A): they break no line, and
// the token is placed at the line and column an editor shows, in either
// byte order, with a byte order mark or without, in windows of any size;
// and the environment named in the text is found (issue 11, item 15).
func TestScanUTF16Lines(t *testing.T) {
	tok := tokentest.New(955).Token("dt0c01")
	text := "Počítač ഊ\r\n《标题》 url: https://abc12345.live.dynatrace.com/\r\nčč key = " + tok.Text + " 《\r\n"
	for _, c := range []struct {
		name    string
		be, bom bool
	}{{"le", false, false}, {"le bom", false, true}, {"be bom", true, true}} {
		data := utf16Of(text, c.be, c.bom)
		for _, cs := range []int{1, 7, 64, 1 << 20} {
			got, _, err := scanItem(context.Background(), Item{Path: "f", R: bytes.NewReader(data)}, &rules.Matcher{}, make([]byte, 0, cs+rules.MaxSpan))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%s, chunk %d: %d findings; want 1", c.name, cs, len(got))
			}
			f := got[0]
			if f.Line != 3 || f.Column != 10 {
				t.Errorf("%s, chunk %d: line %d, column %d; want 3, 10", c.name, cs, f.Line, f.Column)
			}
			if f.Environment != "https://abc12345.live.dynatrace.com" {
				t.Errorf("%s, chunk %d: environment %q; want the one on the line before", c.name, cs, f.Environment)
			}
		}
	}
}

// rereader is a bytes.Reader that is a Rereader, counting the bytes read
// again.
type rereader struct {
	*bytes.Reader
	data    []byte
	reread  int
	failing bool
}

func newRereader(data []byte) *rereader { return &rereader{Reader: bytes.NewReader(data), data: data} }

func (r *rereader) RereadAt(p []byte, off int64) (int, error) {
	if r.failing {
		return 0, errors.New("gone")
	}
	n, err := bytes.NewReader(r.data).ReadAt(p, off)
	r.reread += n
	return n, err
}

// TestLinesCountedLazily: an item that can be read again has the lines of
// its windows counted only when a later window holds a match, by reading
// those windows again; one without a match is never read again. A failed
// read again is the item's error, its findings kept.
func TestLinesCountedLazily(t *testing.T) {
	tok := tokentest.New(77).Token("dt0c01").Text
	filler := bytes.Repeat([]byte("a\rb\nc\r\n"), 40000) // 360 KB, lines of every ending
	const chunk = 64 << 10
	run := func(r io.Reader) ([]Finding, error) {
		fs, _, err := scanItem(context.Background(), Item{Path: "f", R: r}, &rules.Matcher{}, make([]byte, 0, chunk+rules.MaxSpan))
		return fs, err
	}

	clean := newRereader(filler)
	if fs, err := run(clean); err != nil || len(fs) != 0 || clean.reread != 0 {
		t.Fatalf("no token: %d findings, err %v, %d bytes read again; want none of them", len(fs), err, clean.reread)
	}

	data := append(append(slices.Clone(filler), "\nkey "...), tok...)
	lazy := newRereader(data)
	got, err := run(lazy)
	if err != nil {
		t.Fatal(err)
	}
	want, err := run(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(want) != 1 || got[0].Line != want[0].Line || got[0].Column != want[0].Column {
		t.Fatalf("counted lazily: %d findings %v; as it goes: %d %v", len(got), places(got), len(want), places(want))
	}
	if lazy.reread < len(filler)-2*chunk {
		t.Errorf("%d bytes read again, want the %d before the last window or so", lazy.reread, len(filler))
	}

	failing := newRereader(data)
	failing.failing = true
	if fs, err := run(failing); err == nil || len(fs) != 1 {
		t.Errorf("failing to read again: %d findings, err %v; want the finding and an error", len(fs), err)
	}
}
