package scanner

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

// BenchmarkScanItem reads one item in windows, as Scan does, for the inputs
// whose cost used to stop following their size: NUL bytes, random bytes,
// and many tokens on one line (beside the same bytes on many lines).
// bench/linear.sh checks the same cases end to end against ripgrep.
func BenchmarkScanItem(b *testing.B) {
	const size = 16 << 20
	r := rand.New(rand.NewPCG(15, 1))
	random := make([]byte, size)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	g := tokentest.New(15)
	var oneLine strings.Builder
	for oneLine.Len() < 4<<20 {
		oneLine.WriteString(strings.Repeat("word ", 20) + g.Token("dt0c01").Text + " ")
	}
	dense := []byte(oneLine.String())
	cases := []struct {
		name string
		data []byte
	}{
		{"nul", make([]byte, size)},
		{"random", random},
		{"dense-one-line", dense},
		{"dense-lines", bytes.ReplaceAll(dense, []byte(" dt0"), []byte("\ndt0"))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, DefaultChunkSize+rules.MaxSpan)
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				if _, _, err := scanItem(context.Background(), Item{Path: "f", R: bytes.NewReader(c.data)}, &rules.Matcher{}, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
