package rules

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// The blocks decodedBlocks tests: any run of
// decodeOldStride+decodeOldBlock-1 characters or more (39) contains a whole
// block, wherever the blocks start.
const (
	decodeOldBlock  = 16
	decodeOldStride = 24
)

// decodedBlocks is decodedAt at the top level as it was before
// decodeNextRun: it tests a block of decodeOldBlock bytes every decodeOldStride
// bytes, and widens a block that holds only base64 characters to see
// whether its run is long enough to decode. It is kept as the reference
// the benchmarks set the search beside, and as an oracle for
// FuzzDecodeSearch: both must hand decoder.run the same runs.
func decodedBlocks(b []byte, yield func(Match) bool) {
	var (
		lineBuf [8]decodeLine
		joinBuf [512]byte
	)
	d := decoder{lines: lineBuf[:0], joined: joinBuf[:0]}
	for blk := 0; blk+decodeOldBlock <= len(b); blk += decodeOldStride {
		if !decodeAllValid((*[decodeOldBlock]byte)(b[blk:])) {
			continue
		}
		s, e := blk, blk+decodeOldBlock
		for e < len(b) && e-s < decodeShortRun && decodeSextet[b[e]] != decodeInvalid {
			e++
		}
		for s > d.done && e-s < decodeShortRun && decodeSextet[b[s-1]] != decodeInvalid {
			s--
		}
		if e-s < decodeShortRun {
			blk = e + 1 - decodeOldStride
			continue
		}
		// decoder.run took the block before it took the whole run.
		for e < len(b) && decodeSextet[b[e]] != decodeInvalid {
			e++
		}
		for s > d.done && decodeSextet[b[s-1]] != decodeInvalid {
			s--
		}
		var more bool
		if d, more = d.run(b, s, e, yield); !more {
			return
		}
		blk = d.done + 1 - decodeOldStride
	}
}

// decodeAllValid reports whether a block holds only base64 characters. It
// first tests eight bytes at a time, in a word, for a byte outside
// 0x2B..0x7A ('+' to 'z'): a space, a line end, a quote, a bracket or a
// non-ASCII byte rules the block out, and in source text the first eight
// bytes almost always hold one. Only a block that passes is looked up byte
// by byte.
func decodeAllValid(p *[decodeOldBlock]byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for w := 0; w+8 <= decodeOldBlock; w += 8 {
		x := binary.LittleEndian.Uint64(p[w:])
		// x-0x2B in a byte borrows, setting its high bit, when the byte
		// is below 0x2B; x+5 sets it when the byte is above 0x7A. A
		// borrow or carry that crosses into the next byte starts at a
		// byte that already failed, so it cannot make a good word fail.
		if (x|(x-0x2B*ones)|(x+5*ones))&highs != 0 {
			return false
		}
	}
	for _, c := range p {
		if decodeValid[c] == 0 {
			return false
		}
	}
	return true
}

// decodeRefNextRun is decodeNextRun done plainly: the first maximal run
// of decodeShortRun base64 characters or more at or after p.
func decodeRefNextRun(b []byte, p int) (s, e int) {
	for s, e := range decodeRefRuns(b[p:]) {
		if e-s >= decodeShortRun {
			return p + s, p + e
		}
	}
	return -1, -1
}

// checkNextRun checks decodeNextRun from every p it may be called with (0,
// or after a byte that is not base64) against decodeRefNextRun, and
// decodedAt against decodedBlocks.
func checkNextRun(t *testing.T, b []byte) {
	t.Helper()
	for p := 0; p <= len(b); p++ {
		if p > 0 && decodeValid[b[p-1]] != 0 {
			continue
		}
		s, e := decodeNextRun(b, p)
		if ws, we := decodeRefNextRun(b, p); s != ws || e != we {
			t.Fatalf("len(b)=%d: decodeNextRun(b, %d) = %d, %d, want %d, %d", len(b), p, s, e, ws, we)
		}
	}
	var got, want []decodeSpan
	decodedAt(b, 0, func(m Match) bool {
		got = append(got, decodeSpan{m.Start, m.End, m.Fingerprint})
		return true
	})
	decodedBlocks(b, func(m Match) bool {
		want = append(want, decodeSpan{m.Start, m.End, m.Fingerprint})
		return true
	})
	if !slices.Equal(got, want) {
		t.Fatalf("len(b)=%d: Decoded found %v, the block search %v", len(b), got, want)
	}
}

// decodeSearchSeeds are inputs made to meet each way decodeNextRun goes
// on: runs of 39, 40 and 41 characters (and longer) at every offset from
// a tested word, after and before bytes just outside 0x2B..0x7A, base64
// and not, in range and not; runs that end where the next search starts;
// wrapped lines of 40.
func decodeSearchSeeds() [][]byte {
	g := tokentest.New(16)
	legacy := legacyGen(g, 1)[0]
	enc := stdEnc([]byte("apiToken=" + legacy)) // 40 characters
	var seeds [][]byte
	seps := []string{" ", ".", "*", "{", "\x80", "\n", ":", "`", ","}
	for _, n := range []int{38, 39, 40, 41, 48, 49, 72} {
		run := strings.Repeat("Az09+/-_", 10)[:n]
		for _, sep := range seps {
			for off := range decodeStride + 8 {
				// An identifier before the run: words in range.
				pre := strings.Repeat("x", off%9) + strings.Repeat(" ", off-off%9)
				seeds = append(seeds, []byte(pre+sep+run+sep+"abcdefgh.ijklm"))
			}
		}
	}
	// An identifier of 8 to 23 characters, whose words settle the run
	// holding it, and right after it a run of 39 to 41 characters.
	for _, n := range []int{39, 40, 41} {
		run := strings.Repeat("Az09+/-_", 10)[:n]
		for id := 8; id < 24; id++ {
			for _, sep := range []string{" ", ".", " \n ", "(", ". "} {
				for off := range decodeStride {
					seeds = append(seeds, []byte(strings.Repeat(" ", off)+strings.Repeat("q", id)+sep+run+"\n"))
				}
			}
		}
	}
	for off := range decodeStride + 8 {
		pad := strings.Repeat("ab.", off/3) + strings.Repeat("-", off%3)
		seeds = append(seeds,
			[]byte(pad+" "+enc+" "+enc+"\n"),  // two runs, the second right after the first
			[]byte(pad+"."+enc+"\n"+enc+"\n"), // lines of 40: one block
			[]byte(pad+"\n"+wrap(stdEnc([]byte("#"+pad+"apiToken="+legacy+"\n"+pad)), 40, "  ", "\n")),
			[]byte(pad+strings.Repeat("Ab", 19)+":"+enc),
		)
	}
	return seeds
}

func TestDecodeNextRun(t *testing.T) {
	for _, in := range append(decodeSearchSeeds(), decodeSeeds()...) {
		checkNextRun(t, in)
	}
}

// FuzzDecodeNextRun checks decodeNextRun and the search around it against
// the plain search and the old block search. Input bytes 0xF0 and above
// stand for runs of base64 characters, so that runs of about
// decodeShortRun characters are common.
func FuzzDecodeNextRun(f *testing.F) {
	for _, s := range decodeSearchSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var b []byte
		for _, c := range in {
			if c >= 0xF0 {
				b = append(b, strings.Repeat("aZ9+/-_Q", 2)[:c-0xF0+1]...)
				continue
			}
			b = append(b, c)
		}
		checkNextRun(t, b)
	})
}

// TestDecodeWordMasks checks decodeOutside and decodeNotWord for every byte
// value at every place in a word, beside bytes that make a borrow or a
// carry if any can cross: each must flag exactly the bytes it says.
func TestDecodeWordMasks(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			for _, fill := range []byte{0, 0x2A, 0x2B, 0x7A, 0x7B, 0x7F, 0x80, 0xFF, 'A', '.'} {
				var v [8]byte
				for k := range v {
					v[k] = fill
				}
				v[pos] = byte(c)
				x := binary.LittleEndian.Uint64(v[:])
				out, not := decodeOutside(x), decodeNotWord(&v)
				for k, b := range v {
					var wantOut, wantNot uint64
					if b < 0x2B || b > 0x7A {
						wantOut = 0x80
					}
					if decodeValid[b] == 0 {
						wantNot = 0x80
					}
					if got := out >> (8 * k) & 0xff; got != wantOut {
						t.Fatalf("decodeOutside(%#x): byte %d is %#x, want %#x", x, k, got, wantOut)
					}
					if got := not >> (8 * k) & 0xff; got != wantNot {
						t.Fatalf("decodeNotWord(%#x): byte %d is %#x, want %#x", x, k, got, wantNot)
					}
				}
			}
		}
	}
}

// decodePatternsIndex is decodePatternsIn as it was before
// decodePatternScan: one bytes.Index pass per pattern. It is the oracle of
// TestDecodePatternsScan and FuzzDecodePatterns, which want the same
// matches in the same order.
func decodePatternsIndex(b []byte, s, e int, found []Match) []Match {
	run := b[s:e]
	for i := range decodePatterns {
		p := &decodePatterns[i]
		if p.parent != nil && len(run) < decodeMinRun2 {
			break // the twice-encoded patterns come last
		}
		for at := 0; ; {
			j := bytes.Index(run[at:], []byte(p.text))
			if j < 0 {
				break
			}
			at += j
			var (
				m  Match
				ok bool
			)
			if p.parent == nil {
				m, ok = decodeOnce(run, at-p.lead, p.off)
			} else {
				m, ok = decodeTwice(run, at-p.lead, p)
			}
			if ok {
				m.Start += s
				m.End = decodePadded(b, e, m.Start, m.End+s)
				m.Encoding = EncodingBase64
				found = append(found, m)
			}
			at++
		}
	}
	return found
}

// checkPatterns checks decodePatternsIn against decodePatternsIndex on
// every run of b long enough for the patterns.
func checkPatterns(t *testing.T, b []byte) {
	t.Helper()
	for s, e := range decodeRefRuns(b) {
		if e-s < decodeMinRun {
			continue
		}
		run := b[s:e]
		npat := len(decodePatterns)
		if len(run) < decodeMinRun2 {
			npat = decodeOnceLen
		}
		var want []decodeHit
		for k, p := range decodePatterns[:npat] {
			for at := range run {
				if bytes.HasPrefix(run[at:], []byte(p.text)) {
					want = append(want, decodeHit{k, at})
				}
			}
		}
		got, _ := decodePatternScan(run, npat, nil, true)
		slices.SortFunc(got, func(x, y decodeHit) int {
			if x.k != y.k {
				return x.k - y.k
			}
			return x.at - y.at
		})
		if !slices.Equal(got, want) {
			t.Fatalf("run [%d,%d): the scan found the patterns at %v, want %v", s, e, got, want)
		}
		if got, want := decodePatternsIn(b, s, e, nil), decodePatternsIndex(b, s, e, nil); !slices.Equal(got, want) {
			t.Fatalf("run [%d,%d): the scan found %d matches, bytes.Index %d, or not the same", s, e, len(got), len(want))
		}
	}
}

// decodePatternSeeds are runs dense with the patterns, encoded tokens and
// near misses: every pattern at both parities of an offset, glued to
// itself and to the others, at the run's ends.
func decodePatternSeeds() [][]byte {
	g := tokentest.New(17)
	tok := g.Token("dt0c01").Text
	var seeds [][]byte
	var all strings.Builder
	for _, p := range decodePatterns {
		all.WriteString(p.text)
	}
	for pre := range 3 {
		x := strings.Repeat("x", pre)
		seeds = append(seeds,
			[]byte(stdEnc([]byte(x+tok))),
			[]byte(stdEnc([]byte(x+tok+tok))),
			[]byte(rawURL([]byte(x+stdEnc([]byte(x+tok+" "+tok))))),
			[]byte(x+all.String()+stdEnc([]byte(x+tok))+all.String()),
		)
		// More hits than decodePatternsIn keeps on the stack.
		for _, p := range decodePatterns {
			seeds = append(seeds, []byte(x+strings.Repeat(p.text, 60)+x))
		}
	}
	return seeds
}

func TestDecodePatternsScan(t *testing.T) {
	for _, in := range slices.Concat(decodePatternSeeds(), decodeSeeds()) {
		checkPatterns(t, in)
	}
}

// FuzzDecodePatterns checks the one-pass pattern search against a pass
// per pattern. Input bytes 0xE0 and above stand for a pattern, others for
// the base64 character of their low six bits, so that every input is one
// run and holds the patterns often.
func FuzzDecodePatterns(f *testing.F) {
	for _, s := range decodePatternSeeds() {
		f.Add(s)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	f.Fuzz(func(t *testing.T, in []byte) {
		var b []byte
		for _, c := range in {
			if c >= 0xE0 {
				b = append(b, decodePatterns[int(c-0xE0)%len(decodePatterns)].text...)
				continue
			}
			b = append(b, alphabet[c%64])
		}
		checkPatterns(t, b)
	})
}

// TestDecodedNoAllocManyHits: a long run full of the patterns' characters
// and no token, whose hits overflow decodePatternsIn's stack buffer, costs
// no allocation once the pooled buffer has grown.
func TestDecodedNoAllocManyHits(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers")
	}
	var sb strings.Builder
	for _, p := range decodePatterns {
		sb.WriteString(p.text + "x")
	}
	b := []byte(strings.Repeat(sb.String(), 2000))
	if n, _ := decodePatternScan(b, len(decodePatterns), nil, true); len(n) <= 32 {
		t.Fatalf("%d hits: the input does not overflow the stack buffer", len(n))
	}
	allocs := testing.AllocsPerRun(20, func() {
		for range Decoded(b) {
			t.Fatal("unexpected match")
		}
	})
	if allocs != 0 {
		t.Errorf("got %v allocations per run of %d characters, want 0", allocs, len(b))
	}
}

// decodeValid is 1 for a base64 character of either alphabet and 0 for any
// other byte: the table of the old block loop above, which the search
// replaced with decodeNot.
var decodeValid = func() (t [256]byte) {
	for i, v := range decodeSextet {
		if v != decodeInvalid {
			t[i] = 1
		}
	}
	return t
}()
