package scanner

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

// BenchmarkScanItem reads one item in windows, as Scan does, for the inputs
// whose cost used to stop following their size: NUL bytes, random bytes,
// and many tokens on one line (beside the same bytes on many lines); the
// random bytes also mapped (a Mapper, as a large file is), searched ahead
// on every processor; and a small source file, whose cost is mostly what
// an item costs whatever its size. bench/linear.sh checks the same cases
// end to end against ripgrep.
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
		{"random-mapped", random},
		{"small-file", smallSource},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, DefaultChunkSize+rules.MaxSpan)
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for b.Loop() {
				var r io.Reader = bytes.NewReader(c.data)
				if strings.HasSuffix(c.name, "-mapped") {
					r = mapped(c.data)
				}
				if _, _, err := scanItem(context.Background(), Item{Path: "f", R: r}, &rules.Matcher{}, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// smallSource is a small file of Go source without a token, as most files
// of a tree are.
var smallSource = bytes.Repeat([]byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello, world\") }\n"), 20)

// TestScanItemAllocs: an item without findings costs a fixed, small number
// of allocations, whatever its size: a tree of many small files pays them
// for each. (Ranging over the matches as an iterator inside window once
// made its loop body a closure, and allocated every variable it shared:
// twelve for each file.)
func TestScanItemAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	buf := make([]byte, 0, DefaultChunkSize+rules.MaxSpan)
	m := &rules.Matcher{}
	r := bytes.NewReader(nil)
	n := testing.AllocsPerRun(100, func() {
		r.Reset(smallSource)
		if _, _, err := scanItem(context.Background(), Item{Path: "f", R: r}, m, buf); err != nil {
			t.Fatal(err)
		}
	})
	if n > 1 {
		t.Errorf("%v allocations for a small file without findings, want at most 1", n)
	}
}
