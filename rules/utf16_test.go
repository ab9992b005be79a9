package rules

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// wide encodes ASCII text as UTF-16, little- or big-endian.
func wide(s string, bigEndian bool) string {
	var b []byte
	for i := range len(s) {
		if bigEndian {
			b = append(b, 0, s[i])
		} else {
			b = append(b, s[i], 0)
		}
	}
	return string(b)
}

// narrowOf takes the characters out of the UTF-16 span of a match.
func narrowOf(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte{0}, nil)
}

func TestUTF16(t *testing.T) {
	g := tokentest.New(90)
	std, short, agent := g.Token("dt0c01"), genShort(g, "dt0s16"), genAgent(g)
	le := func(s string) string { return wide(s, false) }
	be := func(s string) string { return wide(s, true) }
	type hit struct {
		start int
		tok   tokentest.Token
	}
	tests := []struct {
		name string
		b    string
		want []hit
	}{
		{"LE with BOM, CRLF", "\xff\xfe" + le("# script\r\n$env:DT_TOKEN = '") + le(std.Text) + le("'\r\n"), []hit{{2 + 2*len("# script\r\n$env:DT_TOKEN = '"), std}}},
		{"BE with BOM", "\xfe\xff" + be("k=") + be(std.Text), []hit{{2 + 4 + 1, std}}},
		{"LE at an odd offset in binary", "\x01\x02\x03" + le(short.Text) + "\x00\x00\x07", []hit{{3, short}}},
		{"BE at an even offset in binary", "\x01\x02" + be(agent.Text), []hit{{3, agent}}},
		{"two tokens in one run", le(std.Text + " and " + short.Text), []hit{{0, std}, {2 * (len(std.Text) + 5), short}}},
		{"glued", le("x" + std.Text + "y"), []hit{{2, std}}},
		{"non-ASCII Latin-1 around", le("cl") + "\xe9\x00" + le("=") + le(std.Text), []hit{{8, std}}},
		{"beside a plain token", std.Text + "\n" + le(short.Text), []hit{{0, std}, {len(std.Text) + 1, short}}},
		{"a second NUL inside breaks the token", le(std.Text[:50]) + "\x00\x00" + le(std.Text[50:]), nil},
		{"a stray byte shifts the parity", le(std.Text[:50]) + "!" + le(std.Text[50:]), nil},
		{"public portion of 23", le("dt0c01." + std.Text[7:30] + std.Text[31:]), nil},
		{"lowercase secret", le(string(bytes.ToLower([]byte(std.Text)))), nil},
		{"all NUL", string(make([]byte, 4096)), nil},
		{"UTF-16 text without a token", le("Hello, world.\r\n") + be("more"), nil},
		{"cut short", le(std.Text[:len(std.Text)-1]), nil},
	}
	// Base64 and legacy tokens in UTF-16 text.
	b64 := base64.StdEncoding.EncodeToString([]byte("token: " + std.Text))
	legacy := "Abcdefghij0123456789K"
	type other struct {
		name  string
		b     string
		start int
		id    string
	}
	for _, o := range []other{
		// The span starts at the quantum holding the token's first byte,
		// the third: "token: " is seven bytes.
		{"base64", le("secret: " + b64 + "\r\n"), 2 * (len("secret: ") + 8), std.ID},
		{"legacy", le("# PowerShell transcript, long enough to hold a tested block of UTF-16\r\n$h = @{Authorization = 'Api-Token " + legacy + "'}\r\n"), 2 * len("# PowerShell transcript, long enough to hold a tested block of UTF-16\r\n$h = @{Authorization = 'Api-Token "), ""},
	} {
		t.Run(o.name, func(t *testing.T) {
			var got []Match
			for m := range (&Matcher{}).All([]byte(o.b)) {
				got = append(got, m)
			}
			if len(got) != 1 || got[0].Start != o.start || string(got[0].ID) != o.id || got[0].Encoding != "utf-16" {
				t.Errorf("hits %v; want one at %d, ID %q, encoding utf-16", got, o.start, o.id)
			}
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.b)
			var got []Match
			for m := range (&Matcher{}).All(b) {
				got = append(got, m)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d hits; want %d: %v", len(got), len(tt.want), got)
			}
			for i, m := range got {
				w := tt.want[i]
				plainHit := m.Encoding == ""
				n := len(w.tok.Text)
				if !plainHit {
					n = 2*n - 1 // the characters and the NULs between them
				}
				if m.Start != w.start || m.End != w.start+n {
					t.Errorf("hit %d at %d-%d; want %d-%d", i, m.Start, m.End, w.start, w.start+n)
				}
				if string(m.ID) != w.tok.ID || m.Fingerprint != FingerprintOf([]byte(w.tok.Text)) {
					t.Errorf("hit %d: %v; want the token %s", i, m, w.tok.ID)
				}
				if !plainHit && (m.Encoding != "utf-16" || string(narrowOf(b[m.Start:m.End])) != w.tok.Text) {
					t.Errorf("hit %d: encoding %q, or its span is not the token's UTF-16 form", i, m.Encoding)
				}
			}
			if tt.want == nil {
				for range (&Matcher{NoDecode: true}).All(b) {
					t.Errorf("NoDecode found a hit")
				}
			}
			for m := range (&Matcher{NoDecode: true}).All(b) {
				if m.Encoding == "utf-16" {
					t.Errorf("NoDecode found a UTF-16 hit")
				}
			}
		})
	}
}

// checkUTF16 encodes b as UTF-16 (little- or big-endian, after off bytes
// of 0xff) and checks that the UTF-16 hits are exactly the matcher's hits
// in each run of b between NULs (a NUL character ends the run of UTF-16
// text the search takes out), mapped to the encoded bytes. That the
// matcher's plain hits are the oracles' is FuzzMatch's to check; here the
// plain hits are checked against the oracles too, for inputs without NUL.
func checkUTF16(t *testing.T, b []byte, off int, bigEndian bool) {
	t.Helper()
	enc := append(bytes.Repeat([]byte{0xff}, off), wide(string(b), bigEndian)...)
	var w []span
	// A hit spans its characters and the NULs between them.
	shift := off
	if bigEndian {
		shift++
	}
	at := 0
	for _, seg := range bytes.Split(b, []byte{0}) {
		var m Matcher
		for x := range m.All(seg) {
			w = append(w, span{shift + 2*(at+x.Start), shift + 2*(at+x.End) - 1, x.Kind.Shape})
		}
		at += len(seg) + 1
	}
	if bytes.IndexByte(b, 0) < 0 {
		var plainHits []span
		for _, s := range w {
			if s.Shape != Legacy && bytes.HasPrefix(narrowOf(enc[s.Start:s.End]), []byte("dt0")) {
				plainHits = append(plainHits, span{(s.Start - shift) / 2, (s.End - shift + 1) / 2, s.Shape})
			}
		}
		if o := want(b); !slices.Equal(plainHits, o) {
			t.Errorf("plain hits in UTF-16 %v; the oracles find %v", plainHits, o)
		}
	}
	var got []span
	for m := range UTF16(enc) {
		got = append(got, span{m.Start, m.End, m.Kind.Shape})
		if m.Encoding != "utf-16" {
			t.Errorf("hit at %d-%d: encoding %q", m.Start, m.End, m.Encoding)
		}
		if tok := narrowOf(enc[m.Start:m.End]); bytes.HasPrefix(tok, []byte("dt0")) && (m.Fingerprint != FingerprintOf(tok) || !bytes.HasPrefix(tok, []byte(m.ID))) {
			t.Errorf("hit at %d-%d: fingerprint or ID is not the token's", m.Start, m.End)
		}
	}
	if !slices.Equal(got, w) {
		t.Errorf("UTF16 mismatch, len(b)=%d off=%d bigEndian=%v:\n got  %v\n want %v", len(b), off, bigEndian, got, w)
	}
}

// FuzzUTF16 checks the UTF-16 search against the plain oracles: whatever
// the text, its UTF-16 form at any offset, in either byte order, holds the
// same tokens at the mapped offsets.
func FuzzUTF16(f *testing.F) {
	for i, seed := range utf16Seeds() {
		f.Add(seed, uint8(i%3), i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, b []byte, off uint8, bigEndian bool) {
		checkUTF16(t, b, int(off%8), bigEndian)
	})
}

// utf16Seeds are the matcher's and the base64 decoder's fuzz seeds, and a
// legacy token in a line of context.
func utf16Seeds() [][]byte {
	seeds := append(fuzzSeeds(), decodeSeeds()...)
	tok := legacyGen(tokentest.New(24), 1)[0]
	return append(seeds, []byte(strings.Repeat("padding of a long line ", 4)+"\r\nAuthorization: Api-Token "+tok+"\r\n"))
}

// TestUTF16Seeds runs the fuzz seeds at every offset and byte order
// without -fuzz.
func TestUTF16Seeds(t *testing.T) {
	for _, b := range utf16Seeds() {
		for off := range 4 {
			checkUTF16(t, b, off, false)
			checkUTF16(t, b, off, true)
		}
	}
}

// TestUTF16ShortAnywhere: a legacy token in UTF-16 text as short as its
// shortest context allows (apiToken= and its 21 characters, 60 bytes) is
// found at every byte offset, in either byte order, between bytes that are
// not UTF-16 text. With a block tested every 128 bytes it was found only
// where a block happened to fall inside it.
func TestUTF16ShortAnywhere(t *testing.T) {
	g := tokentest.New(61)
	for _, ctx := range []string{"apiToken=", "apiToken:", "API_TOKEN="} {
		tok := legacyGen(g, 1)[0]
		for _, be := range []bool{false, true} {
			enc := wide(ctx+tok, be)
			for pre := range 8 {
				// Junk before: bytes that are no name character, so
				// the one that joins the run (big-endian) is none; after,
				// the line break that ends the value.
				b := append(bytes.Repeat([]byte{0xd3, 0x81, 0xfe}, 3)[:pre], enc...)
				b = append(b, wide("\r\n", be)...)
				b = append(b, 0xd3, 0x81, 0xd3)
				n := 0
				for m := range UTF16(b) {
					n++
					if m.Fingerprint != FingerprintOf([]byte(tok)) {
						t.Errorf("%q, big-endian %v, offset %d: a hit that is not the token", ctx, be, pre)
					}
				}
				if n != 1 {
					t.Errorf("%q, big-endian %v, offset %d: %d hits, want 1", ctx, be, pre, n)
				}
			}
		}
	}
}

// FuzzUTF16Next: utf16Next, which tests two words at a time while neither
// passes, returns the offset a word-by-word loop returns, from every start.
func FuzzUTF16Next(f *testing.F) {
	f.Add([]byte("a\x00b\x00c\x00d\x00"), uint8(0))
	f.Add(make([]byte, 100), uint8(3))
	f.Fuzz(func(t *testing.T, in []byte, mix uint8) {
		// Bytes mostly NUL or mostly not, as mix says, so that words
		// of UTF-16 text come often.
		b := make([]byte, len(in))
		for k, c := range in {
			if c%4 < mix%4 {
				b[k] = c
			}
		}
		for i := 0; i <= len(b); i++ {
			want := -1
			for j := i; j+utf16Block <= len(b); j += utf16Stride {
				x := uint64(0)
				for k := 7; k >= 0; k-- {
					x = x<<8 | uint64(b[j+k])
				}
				if x != 0 && (x&utf16Odd == 0 || x&utf16Even == 0) {
					want = j
					break
				}
			}
			if got := utf16Next(b, i); got != want {
				t.Fatalf("utf16Next(%q, %d) = %d, want %d", b, i, got, want)
			}
		}
	})
}

// TestUTF16Units: a byte per unit, ASCII as it is, 0xFF for any other
// unit, NUL for U+0000, in either byte order; an odd last byte is no unit.
func TestUTF16Units(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []byte
		be   bool
		want []byte
	}{
		{"little-endian", []byte("h\x00i\x00"), false, []byte("hi")},
		{"big-endian", []byte("\x00h\x00i"), true, []byte("hi")},
		{"mark and non-ASCII", []byte("\xff\xfea\x00\xe9\x00\x0d\x01"), false, []byte("\xffa\xff\xff")},
		{"U+0000", []byte("A\x00\x00\x00h\x00"), false, []byte("A\x00h")},
		{"odd last byte", []byte("a\x00b"), false, []byte("a")},
		{"empty", nil, false, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := UTF16Units(nil, tt.in, tt.be); !bytes.Equal(got, tt.want) {
				t.Errorf("UTF16Units(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
