package rules

import (
	"bytes"
	"fmt"
	"iter"
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// The oracles. Pattern is the documented expression; the other two state
// the Short and Agent shapes as plainly as a regexp can, anchored, so that
// the test can ask at every position whether such a token starts there.
var (
	oracleStandard = regexp.MustCompile(Pattern)
	oracleShort    = regexp.MustCompile(`^(?:dt0g02|dt0s02|dt0s03|dt0s08|dt0s16)\.[A-Z0-9]{8}\.[A-Z0-9]{64}`)
	oracleAgent    = regexp.MustCompile(`^dt0a01\.[a-z0-9]{8}\.[0-9a-f]{64}`)
)

// span is a hit without its identifying data: safe to print.
type span struct {
	Start, End int
	Shape      Shape
}

func (s span) String() string { return fmt.Sprintf("%s@%d-%d", s.Shape, s.Start, s.End) }

// spans collects the hits of a matcher as spans.
func spans(seq iter.Seq[Match]) []span {
	var out []span
	for m := range seq {
		out = append(out, span{m.Start, m.End, m.Kind.Shape})
	}
	return out
}

// want is what the matcher must find in b, built from the oracles alone:
// Standard hits are exactly the documented expression's, and a Short or
// Agent token is found wherever its oracle matches, even where it overlaps
// another hit (the only overlap possible is the 'd' that ends an Agent
// token and starts the next: each is a secret, so both are found).
func want(b []byte) []span {
	var out []span
	for _, loc := range oracleStandard.FindAllIndex(b, -1) {
		out = append(out, span{loc[0], loc[1], Standard})
	}
	for i := 0; i < len(b); i++ {
		if !bytes.HasPrefix(b[i:], []byte("dt0")) {
			continue // a speed-up only: both oracles start with dt0
		}
		switch {
		case oracleShort.Match(b[i:]):
			out = append(out, span{i, i + 80, Short})
		case oracleAgent.Match(b[i:]):
			out = append(out, span{i, i + 80, Agent})
		}
	}
	slices.SortFunc(out, func(a, b span) int { return a.Start - b.Start })
	return out
}

// checkMatch compares the matcher (and the bytes.Index variant) with the
// oracles on b. Failure messages name lengths, offsets and shapes, never
// the input.
func checkMatch(t *testing.T, b []byte) {
	t.Helper()
	var m Matcher
	got := spans(m.All(b))
	w := want(b)
	if !slices.Equal(got, w) {
		t.Errorf("All mismatch, len(b)=%d:\n got  %v\n want %v", len(b), got, w)
	}
	if idx := spans(indexAll(b)); !slices.Equal(idx, w) {
		t.Errorf("indexAll mismatch, len(b)=%d:\n got  %v\n want %v", len(b), idx, w)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Start < got[i-1].End && !(got[i].Start == got[i-1].End-1 && b[got[i].Start] == 'd') {
			t.Errorf("hits overlap by more than a 'd', len(b)=%d: %v and %v", len(b), got[i-1], got[i])
		}
	}
	for mt := range m.All(b) {
		if mt.Kind == nil || mt.Fingerprint != FingerprintOf(b[mt.Start:mt.End]) {
			t.Errorf("hit at %d-%d: bad kind or fingerprint", mt.Start, mt.End)
		}
		if want := b[mt.Start : mt.Start+len(mt.ID)]; string(want) != string(mt.ID) || len(mt.ID) != identLen(mt.Kind.Shape) {
			t.Errorf("hit at %d-%d: ID is not the token's prefix and public portion", mt.Start, mt.End)
		}
	}
}

func FuzzMatch(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkMatch(t, b)
	})
}

// TestMatchSeeds runs the fuzz seeds, and more random inputs built the same
// way, without -fuzz.
func TestMatchSeeds(t *testing.T) {
	for _, b := range fuzzSeeds() {
		checkMatch(t, b)
	}
	r := rand.New(rand.NewPCG(5, 6))
	parts := fuzzParts()
	for range 2000 {
		var b []byte
		for range r.IntN(8) {
			p := parts[r.IntN(len(parts))]
			b = append(b, p...)
			if r.IntN(3) == 0 {
				b = append(b, "x.-/\n\x00"[r.IntN(6)])
			}
		}
		if len(b) > 0 && r.IntN(2) == 0 {
			b = b[r.IntN(len(b)):] // cut a token at its start
		}
		if len(b) > 0 && r.IntN(2) == 0 {
			b = b[:r.IntN(len(b))] // or at its end
		}
		checkMatch(t, b)
	}
}

// fuzzParts returns tokens of every shape and near misses of each, for
// building inputs.
func fuzzParts() [][]byte {
	g := tokentest.New(77)
	var parts [][]byte
	add := func(s string) { parts = append(parts, []byte(s)) }
	for _, k := range catalogue {
		switch k.Shape {
		case Standard:
			add(g.Token(k.Prefix).Text)
		case Short:
			add(genShort(g, k.Prefix).Text)
		case Agent:
			add(genAgent(g).Text)
		}
	}
	add(g.Token("dt0Z99").Text)                                                                // unknown prefix
	add(g.Shaped("dt0c01", g.String(charsUpperDigit, 23), g.String(charsUpperDigit, 64)).Text) // 23
	add(g.Shaped("dt0c01", g.String(charsUpperDigit, 25), g.String(charsUpperDigit, 64)).Text) // 25
	add(g.Shaped("dt0c01", g.String(charsUpperDigit, 24), g.String(charsUpperDigit, 63)).Text) // 63
	add(g.Shaped("dt0s16", g.String(charsUpperDigit, 8), g.String(charsUpperDigit, 63)).Text)
	add(g.Shaped("dt0c01", g.String(charsUpperDigit, 8), g.String(charsUpperDigit, 64)).Text) // short, wrong prefix
	add(g.Shaped("dt0a01", g.String(charsUpperDigit, 8), g.String(charsUpperDigit, 64)).Text) // short, agent prefix
	add(g.Shaped("dt0a01", g.String(charsLowerDigit, 8), g.String(charsHex, 63)).Text)
	add(g.Shaped("dt0a01", g.String(charsLowerDigit, 8), g.String(charsHex, 63)+"d").Text) // ends in d
	add("t0c01." + g.String(charsUpperDigit, 24) + "." + g.String(charsUpperDigit, 64))    // completes a d
	add("t0g02." + g.String(charsUpperDigit, 8) + "." + g.String(charsUpperDigit, 64))
	add("t0a01." + g.String(charsLowerDigit, 8) + "." + g.String(charsHex, 64))
	add("dt0s02." + g.String(charsUpperDigit, 8)) // bare client ID
	add("dt0")
	add("dt0c01.")
	add(".")
	add(g.String(charsUpperDigit, 64))
	add(g.String(charsHex, 70))
	add(g.String(charsLowerDigit, 8))
	return parts
}

// fuzzSeeds returns the seed corpus: tokens of each shape at every offset
// mod 64, glued and split tokens, near misses, overlapping candidates and
// binary noise.
func fuzzSeeds() [][]byte {
	g := tokentest.New(78)
	var seeds [][]byte
	toks := []string{g.Token("dt0c01").Text, genShort(g, "dt0g02").Text, genAgent(g).Text}
	for _, tok := range toks {
		for off := range 64 + 2 {
			seeds = append(seeds, []byte(g.String("ab.c ;", off)+tok))
		}
		seeds = append(seeds,
			[]byte(tok+tok),
			[]byte("A"+tok+"Z"),
			[]byte(tok[:len(tok)-1]),
			[]byte(tok[1:]),
			[]byte(tok[:len(tok)/2]+"\n"+tok[len(tok)/2:]),
		)
	}
	// An Agent token ending in 'd' glued to the rest of each shape.
	ag := []byte(genAgent(g).Text)
	ag[len(ag)-1] = 'd'
	for _, tok := range []string{g.Token("dt0c01").Text, genShort(g, "dt0s08").Text, genAgent(g).Text} {
		seeds = append(seeds, append(slices.Clip(ag), tok[1:]...))
	}
	for _, p := range fuzzParts() {
		seeds = append(seeds, p)
	}
	noise := make([]byte, 300)
	r := rand.New(rand.NewPCG(9, 9))
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	seeds = append(seeds, noise, append(slices.Clip(noise[:100]), append([]byte(toks[0]), noise[100:]...)...))
	return seeds
}
