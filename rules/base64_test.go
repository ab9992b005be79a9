package rules

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// decodeSpan is what the tests compare: where an encoded token is and which
// token it is. It never holds a secret byte, so it is safe to print.
type decodeSpan struct {
	Start, End  int
	Fingerprint Fingerprint
}

func (s decodeSpan) String() string {
	return fmt.Sprintf("[%d,%d) %.12s", s.Start, s.End, s.Fingerprint)
}

func decodedSpans(b []byte) []decodeSpan {
	var out []decodeSpan
	for m := range Decoded(b) {
		out = append(out, decodeSpan{m.Start, m.End, m.Fingerprint})
	}
	return out
}

var (
	stdEnc = base64.StdEncoding.EncodeToString
	urlEnc = base64.URLEncoding.EncodeToString
	rawEnc = base64.RawStdEncoding.EncodeToString
	rawURL = base64.RawURLEncoding.EncodeToString
)

func TestDecoded(t *testing.T) {
	g := tokentest.New(11)
	tok := g.Token("dt0c01")
	tok2 := g.Token("dt0c01")
	nearMiss := g.Shaped("dt0c01", g.String("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 23), tok.Secret)
	lower := g.Shaped("dt0c01", strings.ToLower(tok.ID[7:]), tok.Secret)
	random := make([]byte, 3000)
	for i := range random {
		random[i] = byte(g.Rand().IntN(256))
	}

	type want struct {
		tok tokentest.Token
		// value is the encoded text the token's span must equal, when the
		// token is all the encoded text holds; otherwise the span must lie
		// inside it.
		value string
		whole bool
	}
	type tc struct {
		name string
		in   string
		want []want
	}
	var tests []tc
	add := func(name, in string, w ...want) { tests = append(tests, tc{name, in, w}) }

	for _, enc := range []struct {
		name string
		f    func([]byte) string
	}{{"std", stdEnc}, {"url", urlEnc}, {"raw", rawEnc}, {"rawurl", rawURL}} {
		v := enc.f([]byte(tok.Text))
		add("secret/"+enc.name, "apiVersion: v1\nkind: Secret\ndata:\n  apiToken: "+v+"\n  other: c2VjcmV0\n", want{tok, v, true})
		// A prefix of 0, 1 and 2 bytes puts the token at each offset of
		// a quantum; the suffix makes the encodings differ in + and /.
		for pre := range 3 {
			plain := strings.Repeat(">", pre) + tok.Text + "\n?>?"
			v := enc.f([]byte(plain))
			add(fmt.Sprintf("offset%d/%s", pre, enc.name), "X="+v+"\n", want{tok, v, false})
		}
	}
	v := stdEnc([]byte("DT_API_TOKEN=" + tok.Text + "\nDT_URL=https://abc12345.live.dynatrace.com\n"))
	add("env file", "kind: Secret\ndata:\n  .env: "+v+"\n", want{tok, v, false})
	v = stdEnc([]byte(tok.Text))
	add("helm quoted", `apiToken: "`+v+`"`, want{tok, v, true})
	add("glued to text", "prefix-"+v+"-suffix", want{tok, v, true})
	v = stdEnc([]byte(tok.Text + "," + tok2.Text))
	add("two tokens", "data: "+v+"\n", want{tok, v, false}, want{tok2, v, false})
	v = stdEnc([]byte(tok.Text + tok2.Text))
	add("two tokens back to back", "data: "+v+"\n", want{tok, v, false}, want{tok2, v, false})

	// A .dockerconfigjson: "auth" is base64 of user:password, and the
	// Secret holds the whole file base64-encoded again. The user and the
	// registry names move the token through every pair of offsets.
	for user := range 3 {
		for reg := range 3 {
			auth := stdEnc([]byte(strings.Repeat("u", user+1) + ":" + tok.Text))
			cfg := `{"auths":{"r` + strings.Repeat("e", reg) + `.example.io":{"auth":"` + auth + `"}}}`
			for _, enc := range []struct {
				name string
				f    func([]byte) string
			}{{"std", stdEnc}, {"rawurl", rawURL}} {
				v := enc.f([]byte(cfg))
				add(fmt.Sprintf("dockerconfigjson/user%d/reg%d/%s", user, reg, enc.name),
					"kind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: "+v+"\n",
					want{tok, v, false})
			}
		}
	}

	// Decoys.
	add("plain token", "apiToken: "+tok.Text+"\n")
	add("near miss", "data: "+stdEnc([]byte(nearMiss.Text))+"\n")
	add("lowercase public portion", "data: "+stdEnc([]byte(lower.Text))+"\n")
	add("random base64", "data: "+stdEnc(random)+"\n")
	add("random url-safe", "data: "+rawURL(random)+"\n")
	add("three levels", "data: "+stdEnc([]byte(stdEnc([]byte(stdEnc([]byte(tok.Text))))))+"\n")
	add("cut short", "data: "+stdEnc([]byte(tok.Text))[:120]+"\n")
	add("empty", "")

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			var got []Match
			for m := range Decoded(in) {
				got = append(got, m)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Decoded found %d tokens %v, want %d", len(got), decodedSpans(in), len(tt.want))
			}
			for i, m := range got {
				w := tt.want[i]
				if string(m.Fingerprint) != w.tok.Fingerprint || string(m.ID) != w.tok.ID {
					t.Errorf("match %d is %s (fingerprint %.12s), want %s", i, m.ID, m.Fingerprint, w.tok.ID)
				}
				if m.Encoding != "base64" {
					t.Errorf("match %d: Encoding = %q, want base64", i, m.Encoding)
				}
				if m.Kind == nil || m.Kind.Shape != Standard {
					t.Errorf("match %d: Kind = %v, want a standard-shape row", i, m.Kind)
				}
				vs := strings.Index(tt.in, w.value)
				ve := vs + len(w.value)
				if w.whole && (m.Start != vs || m.End != ve) {
					t.Errorf("match %d spans [%d,%d), want the whole value [%d,%d)", i, m.Start, m.End, vs, ve)
				}
				if m.Start < vs || m.End > ve {
					t.Errorf("match %d spans [%d,%d), outside the value [%d,%d)", i, m.Start, m.End, vs, ve)
				}
				if !decodeSpanHolds(in, m) {
					t.Errorf("match %d: the span [%d,%d) does not decode to %s", i, m.Start, m.End, w.tok.ID)
				}
				if i > 0 && m.Start < got[i-1].End {
					t.Errorf("match %d at %d overlaps the one before, which ends at %d", i, m.Start, got[i-1].End)
				}
			}
			if desc, leak := tokentest.Leak([]byte(fmt.Sprint(got)), tok, tok2); leak {
				t.Errorf("a Match holds a secret: %s", desc)
			}
		})
	}
}

// TestDecodePatterns checks the derived patterns against encodings of real
// tokens: each must be found at its stated place, for every offset, both
// alphabets, and once and twice encoded.
func TestDecodePatterns(t *testing.T) {
	if len(decodePatterns) < 12 {
		t.Fatalf("%d patterns, want at least 3 once-encoded and 9 twice-encoded", len(decodePatterns))
	}
	for _, p := range decodePatterns[:3] {
		if p.parent != nil || len(p.text) < 3 {
			t.Errorf("once-encoded pattern %q: parent %v, want nil and 3 or more characters", p.text, p.parent)
		}
	}
	if got := decodePatterns[0].text; got != "ZHQw" {
		t.Errorf("the pattern for offset 0 is %q, want ZHQw", got)
	}
	g := tokentest.New(12)
	for range 50 {
		tok := g.Token("dt0c01")
		for pre := range 3 {
			plain := g.String("abc+/?>~", pre) + tok.Text
			for _, enc := range []func([]byte) string{stdEnc, rawURL} {
				once := enc([]byte(plain))
				if !decodeHasPattern(once, nil) {
					t.Fatalf("no once-encoded pattern in the encoding of %s at offset %d", tok.ID, pre)
				}
				for pre2 := range 3 {
					twice := enc([]byte(g.String("xyz", pre2) + once))
					if !decodeHasPattern(twice, decodePatterns[0:1]) {
						t.Fatalf("no twice-encoded pattern for %s at offsets %d, %d", tok.ID, pre, pre2)
					}
				}
			}
		}
	}
}

// decodeHasPattern reports whether s holds a pattern that decodes, from its
// quantum, to what the pattern says. Once-encoded patterns when parents is
// nil, twice-encoded ones otherwise.
func decodeHasPattern(s string, parents []decodePattern) bool {
	for _, p := range decodePatterns {
		if (p.parent == nil) != (parents == nil) {
			continue
		}
		i := strings.Index(s, p.text)
		if i < 0 || i < p.lead {
			continue
		}
		dec := decodeQuanta(nil, []byte(s[i-p.lead:]))
		want := "dt0"
		if p.parent != nil {
			want = p.parent.text
		}
		if strings.HasPrefix(string(dec[p.off:]), want) {
			return true
		}
	}
	return false
}

// decodeSpanHolds reports whether b[m.Start-m.Lead:m.End], decoded with
// encoding/base64 once or twice, holds the token m names. A span whose Start
// was moved up to the end of the match before it is widened back to its
// quanta first: at most two quanta, when the tokens are encoded twice.
func decodeSpanHolds(b []byte, m Match) bool {
	// A span over a wrapped block holds its line breaks and indentation:
	// without them, it is base64 text again. A legacy token's span starts
	// Lead characters earlier, with its context.
	span := regexp.MustCompile(`\r?\n[ \t]*`).ReplaceAll(b[:m.End], nil)
	start := len(regexp.MustCompile(`\r?\n[ \t]*`).ReplaceAll(b[:m.Start-m.Lead], nil))
	for back := range 9 {
		if start-back < 0 {
			break
		}
		for _, s := range decodeReference(span[start-back:]) {
			if s.Fingerprint == m.Fingerprint {
				return true
			}
		}
	}
	return false
}

// decodeReference is the slow, plainly correct Decoded: it decodes every
// maximal run of base64 characters, or wrapped block of them, at each of
// its four offsets with encoding/base64, runs the matcher on the result,
// and does the same once more for every run of base64 characters in what it
// decoded.
func decodeReference(b []byte) []decodeSpan {
	var ms []Match
	for _, blk := range decodeRefBlocks(b) {
		text, pos, e := blk.text, blk.pos, blk.end
		n := len(ms)
		for o := range 4 {
			if o > len(text) {
				break
			}
			dec := decodeRefDecode(text[o:])
			at := func(x, y int) (int, int) { // decoded [x,y) to text
				return o + x/3*4, min(len(text), o+(y+2)/3*4)
			}
			for m := range (&Matcher{}).All(dec) {
				m.Start, m.End = at(m.Start, m.End)
				ms = append(ms, m)
			}
			for s2, e2 := range decodeRefRuns(dec) {
				for o2 := range 4 {
					if s2+o2 > e2 {
						break
					}
					for m := range (&Matcher{}).All(decodeRefDecode(dec[s2+o2 : e2])) {
						x, y := s2+o2+m.Start/3*4, min(e2, s2+o2+(m.End+2)/3*4)
						m.Start, m.End = at(x, y)
						ms = append(ms, m)
					}
				}
			}
		}
		// From text to b, with the padding after the block when the
		// span ends in a short quantum there.
		for i := n; i < len(ms); i++ {
			x, y := ms[i].Start, ms[i].End
			pad := 0
			if y == len(text) {
				switch (y - x) % 4 {
				case 2:
					if len(b)-e >= 2 && b[e] == '=' && b[e+1] == '=' {
						pad = 2
					}
				case 3:
					if len(b)-e >= 1 && b[e] == '=' {
						pad = 1
					}
				}
			}
			ms[i].Start, ms[i].End = pos[x], pos[y-1]+1+pad
		}
	}
	slices.SortFunc(ms, func(a, b Match) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return a.End - b.End
	})
	ms = slices.CompactFunc(ms, func(a, b Match) bool {
		return a.Start == b.Start && a.End == b.End && a.Fingerprint == b.Fingerprint
	})
	var out []decodeSpan
	for _, m := range decodeDisjoint(ms, 0) {
		out = append(out, decodeSpan{m.Start, m.End, m.Fingerprint})
	}
	return out
}

// decodeRefBlock is a maximal run of base64 characters, or a wrapped
// block of them: its characters, the offset in b of each, and where in b
// its last run ends.
type decodeRefBlock struct {
	text []byte
	pos  []int
	end  int
}

// decodeRefBlocks returns the runs of b and its wrapped blocks, as the
// package documents them: two runs are one block when only a line break
// ("\n" or "\r\n") and at most 64 spaces or tabs stand between them and one
// of them has 40 characters or more.
func decodeRefBlocks(b []byte) []decodeRefBlock {
	var runs [][2]int
	for s, e := range decodeRefRuns(b) {
		runs = append(runs, [2]int{s, e})
	}
	sep := regexp.MustCompile(`^\r?\n[ \t]{0,64}$`)
	var out []decodeRefBlock
	for i := 0; i < len(runs); {
		j := i + 1
		for j < len(runs) && sep.Match(b[runs[j-1][1]:runs[j][0]]) &&
			(runs[j-1][1]-runs[j-1][0] >= 40 || runs[j][1]-runs[j][0] >= 40) {
			j++
		}
		var blk decodeRefBlock
		for _, r := range runs[i:j] {
			for k := r[0]; k < r[1]; k++ {
				blk.text = append(blk.text, b[k])
				blk.pos = append(blk.pos, k)
			}
			blk.end = r[1]
		}
		out = append(out, blk)
		i = j
	}
	return out
}

// decodeRefRuns yields the maximal runs of characters of either base64
// alphabet in b.
func decodeRefRuns(b []byte) func(func(int, int) bool) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
	return func(yield func(int, int) bool) {
		for i := 0; i < len(b); {
			if strings.IndexByte(alphabet, b[i]) < 0 {
				i++
				continue
			}
			j := i
			for j < len(b) && strings.IndexByte(alphabet, b[j]) >= 0 {
				j++
			}
			if !yield(i, j) {
				return
			}
			i = j
		}
	}
}

// decodeRefDecode decodes base64 text of either alphabet with
// encoding/base64, dropping a lone final character, which holds no whole
// byte.
func decodeRefDecode(s []byte) []byte {
	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}
	std := bytes.Map(func(r rune) rune {
		switch r {
		case '-':
			return '+'
		case '_':
			return '/'
		}
		return r
	}, s)
	dec, err := base64.RawStdEncoding.DecodeString(string(std))
	if err != nil {
		panic("decodeRefDecode: not base64") // the runs hold only base64 characters
	}
	return dec
}

func TestDecodedMatchesReference(t *testing.T) {
	for i, in := range decodeSeeds() {
		got, want := decodedSpans(in), decodeReference(in)
		if !slices.Equal(got, want) {
			t.Errorf("seed %d: Decoded found %v, the reference %v", i, got, want)
		}
	}
}

// decodeSeeds are inputs for the reference test and the fuzzer.
func decodeSeeds() [][]byte {
	g := tokentest.New(13)
	tok, tok2 := g.Token("dt0c01"), g.Token("dt0s01")
	var seeds [][]byte
	for pre := range 3 {
		plain := strings.Repeat("-", pre) + tok.Text + " " + tok2.Text
		seeds = append(seeds,
			[]byte("data: "+stdEnc([]byte(plain))+"\n"),
			[]byte("data: "+rawURL([]byte(plain))+"=\n"),
			[]byte("x"+stdEnc([]byte(strings.Repeat("a", pre)+stdEnc([]byte(plain))))),
			[]byte(rawURL([]byte(strings.Repeat("a", pre)+rawURL([]byte(plain))))),
		)
	}
	// Wrapped: base64 and PEM line lengths, YAML indentation, CRLF, a
	// short last line, lines too short to join, more indentation than
	// joins.
	long := stdEnc([]byte("x" + tok.Text + " " + tok2.Text))
	for _, width := range []int{64, 76, 39, 50} {
		seeds = append(seeds,
			[]byte(wrap(long, width, "", "\n")),
			[]byte("data: |\n"+wrap(long, width, "    ", "\n")+"x: y\n"),
			[]byte("-----BEGIN-----\r\n"+wrap(long, width, "", "\r\n")),
			[]byte(wrap(long, width, strings.Repeat(" ", 65), "\n")),
		)
	}
	seeds = append(seeds,
		[]byte(stdEnc([]byte(tok.Text+tok2.Text))),
		[]byte(stdEnc([]byte(tok.Text))[:127]),
		[]byte("plain "+tok.Text),
		[]byte(strings.Repeat("ZHQwR0MkdD", 30)),
	)
	// Nested: a legacy token with its context, and a token in UTF-16
	// text, inside base64 once and twice, at each offset of a quantum.
	legacy := legacyGen(g, 1)[0]
	var u16 []byte
	for _, c := range []byte("DT_API_TOKEN=" + tok.Text + "\r\n") {
		u16 = append(u16, c, 0)
	}
	for pre := range 3 {
		// Long enough that the seeds in UTF-16 (TestUTF16Seeds) are 80
		// characters or more, as a legacy token there needs.
		p := strings.Repeat("#", pre) + " the settings of the monitoring\n"
		seeds = append(seeds,
			[]byte("data: "+stdEnc([]byte(p+"dynatrace:\n  apiToken: "+legacy+"\n"))+"\n"),
			[]byte("auth: "+stdEnc([]byte(p+stdEnc([]byte("Authorization: Api-Token "+legacy))))),
			[]byte(rawURL(append([]byte(p), u16...))),
			[]byte(stdEnc([]byte(p+stdEnc(u16)))),
		)
	}
	return seeds
}

func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got []Match
		for m := range Decoded(b) {
			if m.Start < 0 || m.End > len(b) || m.Start >= m.End || m.End-m.Start > MaxSpan {
				t.Fatalf("match at [%d,%d) in %d bytes", m.Start, m.End, len(b))
			}
			if len(got) > 0 && m.Start < got[len(got)-1].End {
				t.Fatalf("match at %d overlaps the one before, ending at %d", m.Start, got[len(got)-1].End)
			}
			if m.Encoding != "base64" || m.Kind == nil {
				t.Fatalf("match at %d: Encoding %q, Kind %v", m.Start, m.Encoding, m.Kind)
			}
			if !decodeSpanHolds(b, m) {
				t.Fatalf("the span [%d,%d) does not decode to the token %s it reports", m.Start, m.End, m.ID)
			}
			got = append(got, m)
		}
		spans := make([]decodeSpan, len(got))
		for i, m := range got {
			spans[i] = decodeSpan{m.Start, m.End, m.Fingerprint}
		}
		if want := decodeReference(b); !slices.Equal(spans, want) {
			t.Fatalf("len(b)=%d: Decoded found %v, the reference %v", len(b), spans, want)
		}
	})
}

// decodeSource is source-like text for the benchmarks: the files of a few
// standard-library packages, concatenated.
func decodeSource(b *testing.B) []byte {
	var buf bytes.Buffer
	for _, dir := range []string{"net/http", "encoding/json", "runtime", "crypto/tls"} {
		files, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", dir, "*.go"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			buf.Write(data)
		}
	}
	if buf.Len() == 0 {
		b.Skip("no Go sources under GOROOT")
	}
	return buf.Bytes()
}

// BenchmarkDecoded measures the decoder beside the plain matcher on the
// same source text: the decoder's cost is what turning decoding on adds to
// a scan.
func BenchmarkDecoded(b *testing.B) {
	src := decodeSource(b)
	b.Run("matcher", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		var m Matcher
		for b.Loop() {
			for range m.All(src) {
			}
		}
	})
	b.Run("decoded", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			for range Decoded(src) {
			}
		}
	})
	b.Run("decoded-blocks", func(b *testing.B) {
		// The search as it was before decodeNextRun: a block tested
		// every decodeOldStride bytes (decodedBlocks).
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			decodedBlocks(src, func(Match) bool { return true })
		}
	})
	// The first 256 KiB alone, which stay in the cache from one run to
	// the next, as a file or chunk a scan matches does between the plain
	// matcher's pass and the decoder's: this measures the search rather
	// than the memory's bandwidth.
	hot := src[:min(len(src), 256<<10)]
	b.Run("decoded-256k", func(b *testing.B) {
		b.SetBytes(int64(len(hot)))
		for b.Loop() {
			for range Decoded(hot) {
			}
		}
	})
	b.Run("decoded-blocks-256k", func(b *testing.B) {
		b.SetBytes(int64(len(hot)))
		for b.Loop() {
			decodedBlocks(hot, func(Match) bool { return true })
		}
	})
	b.Run("decoded-nested", func(b *testing.B) {
		// Base64 of YAML with a legacy token every few hundred bytes:
		// every run hits an anchor and is decoded (decodeNested).
		g := tokentest.New(15)
		var yaml strings.Builder
		for yaml.Len() < 3<<18 {
			yaml.WriteString("# the settings of one service, kept with its code\ndynatrace:\n  apiToken: " + legacyGen(g, 1)[0] + "\n")
		}
		enc := []byte(wrap(stdEnc([]byte(yaml.String())), 76, "  ", "\n"))
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			for range Decoded(enc) {
			}
		}
	})
	b.Run("decoded-base64", func(b *testing.B) {
		// The worst case the sampling meets: nothing but long base64 runs.
		g := tokentest.New(14)
		raw := make([]byte, 1<<20)
		for i := range raw {
			raw[i] = byte(g.Rand().IntN(256))
		}
		enc := []byte(stdEnc(raw))
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			for range Decoded(enc) {
			}
		}
	})
}

// wrap breaks s into lines of n characters, each after indent, as base64
// (76), openssl and PEM (64) print it, and YAML block scalars indent it.
func wrap(s string, n int, indent, eol string) string {
	var sb strings.Builder
	for len(s) > n {
		sb.WriteString(indent + s[:n] + eol)
		s = s[n:]
	}
	sb.WriteString(indent + s + eol)
	return sb.String()
}

// TestDecodedWrapped checks base64 wrapped over several lines: the lines of
// a block are joined before decoding, whatever the line length (64, 76),
// line end, indentation and place of the token in the block (issue 11,
// item 12). The span starts at the token's first quantum and ends after
// its last, line breaks between them included.
func TestDecodedWrapped(t *testing.T) {
	g := tokentest.New(12)
	tok := g.Token("dt0c01")
	var payloads []string
	payloads = append(payloads, tok.Text, "apiVersion: v1\nkind: Secret\ndata:\n  token: "+tok.Text+"\n")
	for k := range 3 {
		payloads = append(payloads, strings.Repeat("x", k)+tok.Text) // every offset in a quantum
	}
	for _, payload := range payloads {
		for _, enc := range []func([]byte) string{stdEnc, urlEnc, rawEnc} {
			for _, width := range []int{64, 76} {
				for _, layout := range []struct{ before, indent, eol, after string }{
					{"", "", "\n", ""},                                           // base64 > file
					{"data: |\n", "    ", "\n", "other: x\n"},                    // YAML block scalar
					{"-----BEGIN X-----\r\n", "", "\r\n", "-----END X-----\r\n"}, // PEM, CRLF
					{"key: ", "", "\n", ""},                                      // echo "key: $(base64 f)"
				} {
					text := enc([]byte(payload))
					b := layout.before + wrap(text, width, layout.indent, layout.eol) + layout.after
					got := decodedSpans([]byte(b))
					if len(got) != 1 || got[0].Fingerprint != Fingerprint(tok.Fingerprint) {
						t.Errorf("width %d, layout %q: found %v; want %s once", width, layout.before, got, tok.ID)
						continue
					}
					// The span holds the token's encoding: what it holds,
					// joined, decodes (from its first quantum) to bytes
					// holding the token.
					span := b[got[0].Start:got[0].End]
					for _, cut := range []string{layout.eol, layout.indent} {
						if cut != "" {
							span = strings.ReplaceAll(span, cut, "")
						}
					}
					dec, _ := base64.RawStdEncoding.DecodeString(strings.TrimRight(strings.NewReplacer("-", "+", "_", "/").Replace(span), "="))
					if !bytes.Contains(dec, []byte(tok.Text)) {
						t.Errorf("width %d, layout %q: span [%d,%d) does not decode to the token", width, layout.before, got[0].Start, got[0].End)
					}
				}
			}
		}
	}
}

// TestDecodedTwiceWrapped: a token encoded twice, its inner base64 wrapped
// (base64 of a file that base64(1) or PEM wrote, as a Secret holds it), is
// found wherever the inner line breaks fall: before its first quantum,
// inside the three or four characters that encode "dt0", or in the rest
// of it. Before, it was found only when its inner encoding stood on one
// line, which a token's 128 characters or more never do at 64 or 76.
func TestDecodedTwiceWrapped(t *testing.T) {
	tok := tokentest.New(13).Token("dt0c01")
	for pad := range 80 {
		payload := "DT_URL=x\n" + strings.Repeat("#", pad) + "DT_API_TOKEN=" + tok.Text + "\n"
		for _, width := range []int{64, 76} {
			for _, eol := range []string{"\n", "\r\n"} {
				inner := wrap(stdEnc([]byte(payload)), width, "", eol)
				for _, enc := range []func([]byte) string{stdEnc, urlEnc} {
					got := decodedSpans([]byte("data: " + enc([]byte(inner)) + "\n"))
					if len(got) != 1 || got[0].Fingerprint != Fingerprint(tok.Fingerprint) {
						t.Errorf("pad %d, width %d, eol %q: found %v; want %s once", pad, width, eol, got, tok.ID)
					}
				}
			}
		}
	}
}

// TestDecodedAnyCase: a legacy token's context is recognised in base64 in
// whatever case its name is written, as in plain text. The anchors that
// decide whether a run is decoded once knew only token, Token and TOKEN, so
// "ApitokEn: <t>" was found in plain text and missed in base64.
func TestDecodedAnyCase(t *testing.T) {
	g := tokentest.New(41)
	for _, name := range []string{"apiToken", "ApitokEn", "API_tOkEn", "dt_api_TOKEn", "PAASTOKEn"} {
		legacy := legacyGen(g, 1)[0]
		plain := name + ": " + legacy + "\n"
		if n := countSeq(LegacyTokens([]byte(plain))); n != 1 {
			t.Fatalf("%s: plain text: %d legacy tokens, want 1", name, n)
		}
		var u16 []byte
		for _, c := range []byte(plain) {
			u16 = append(u16, c, 0)
		}
		for _, in := range []struct{ form, text string }{
			{"base64", "data: " + stdEnc([]byte(plain))},
			{"base64 twice", "data: " + stdEnc([]byte(stdEnc([]byte(plain))))},
			{"UTF-16 in base64", "data: " + stdEnc(u16)},
		} {
			if n := countSeq(Decoded([]byte(in.text))); n != 1 {
				t.Errorf("%s in %s: Decoded found %d tokens, want 1", name, in.form, n)
			}
		}
	}
}

func countSeq(s iter.Seq[Match]) (n int) {
	for range s {
		n++
	}
	return n
}
