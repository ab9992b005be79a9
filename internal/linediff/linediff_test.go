package linediff

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// lcs is the textbook O(nm) longest common subsequence length: the
// oracle for Match on small inputs.
func lcs(a, b []uint64) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			switch {
			case a[i] == b[j]:
				cur[j+1] = prev[j] + 1
			case prev[j+1] >= cur[j]:
				cur[j+1] = prev[j+1]
			default:
				cur[j+1] = cur[j]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// checkMatch checks that m is a common subsequence of a and b and
// returns its length.
func checkMatch(t *testing.T, a, b []uint64, m []int) int {
	t.Helper()
	if len(m) != len(b) {
		t.Fatalf("len(match) = %d; want %d", len(m), len(b))
	}
	last, n := -1, 0
	for j, i := range m {
		if i < 0 {
			continue
		}
		if i <= last || i >= len(a) {
			t.Fatalf("line %d of new matched to old line %d after old line %d: not increasing", j, i, last)
		}
		if a[i] != b[j] {
			t.Fatalf("line %d of new matched to a different old line %d", j, i)
		}
		last = i
		n++
	}
	return n
}

func hashes(t *testing.T, s string) []uint64 {
	t.Helper()
	txt, err := ReadLines(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return txt.Hash
}

func TestReadLines(t *testing.T) {
	for _, tc := range []struct {
		in    string
		lines []string // the lines, as Scan numbers them
	}{
		{"", []string{""}},
		{"a", []string{"a"}},
		{"a\n", []string{"a", ""}},
		{"a\nb", []string{"a", "b"}},
		{"a\r\nb\r\n", []string{"a", "b", ""}},
		{"a\rb\r", []string{"a", "b", ""}},
		{"a\r\r\nb", []string{"a", "", "b"}},
		{"a\n\rb", []string{"a", "", "b"}},
		{"\n\n", []string{"", "", ""}},
	} {
		got := hashes(t, tc.in)
		var want []uint64
		for _, l := range tc.lines {
			want = append(want, hashes(t, l)[0])
		}
		if len(got) != len(want) {
			t.Errorf("ReadLines(%q): %d lines; want %d", tc.in, len(got), len(want))
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("ReadLines(%q): line %d differs from %q", tc.in, i+1, tc.lines[i])
			}
		}
	}
}

// TestReadLinesChunks checks that line splitting does not depend on
// where the reader cuts its input, "\r\n" split across reads included.
func TestReadLinesChunks(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var b bytes.Buffer
	for b.Len() < 300<<10 {
		switch r.IntN(6) {
		case 0:
			b.WriteString("\r\n")
		case 1:
			b.WriteByte('\r')
		case 2:
			b.WriteByte('\n')
		default:
			b.WriteString(strings.Repeat("x", r.IntN(100<<10)))
		}
	}
	whole, err := ReadLines(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 3, 7, 4096} {
		got, err := ReadLines(&chunkReader{b: b.Bytes(), n: n})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Hash) != len(whole.Hash) {
			t.Fatalf("reads of %d bytes: %d lines; want %d", n, len(got.Hash), len(whole.Hash))
		}
		total := 0
		for i := range got.Hash {
			if got.Hash[i] != whole.Hash[i] || got.Size[i] != whole.Size[i] {
				t.Fatalf("reads of %d bytes: line %d differs", n, i+1)
			}
			total += got.Size[i]
		}
		if total != b.Len() {
			t.Errorf("reads of %d bytes: line sizes add up to %d; want %d", n, total, b.Len())
		}
	}
}

type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		old, new string
		added    []int // 1-based lines of new reported as added
	}{
		{"", "", nil},
		{"a\nb\nc", "a\nb\nc", nil},
		{"a\nb\nc", "a\nX\nb\nc", []int{2}},
		{"a\nb\nc", "a\nB\nc", []int{2}},
		{"a\nb\nc", "c\nb\na", []int{1, 2}}, // one of several longest matches
		{"", "a\nb", []int{1, 2}},
		{"a\nb", "", []int{1}}, // new is one empty line, not in old
		{"a\r\nb\r\n", "a\nb\n", nil},
		{"k\nk\nk", "k\nk\nX\nk\nk", []int{3, 4}}, // old has three k lines, new four
	} {
		a, b := hashes(t, tc.old), hashes(t, tc.new)
		m := Match(a, b, DefaultWork)
		checkMatch(t, a, b, m)
		var got []int
		for j, i := range m {
			if i < 0 {
				got = append(got, j+1)
			}
		}
		if !slicesEqual(got, tc.added) {
			t.Errorf("Match(%q, %q): added lines %v; want %v", tc.old, tc.new, got, tc.added)
		}
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestMatchRandom compares Match with the O(nm) oracle on
// random edits of small-alphabet texts (many repeated lines: the hard case),
// with the full budget and with a tiny one that forces the anchor fallback.
func TestMatchRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for iter := range 3000 {
		a := make([]uint64, r.IntN(60))
		for i := range a {
			a[i] = uint64(r.IntN(6))
		}
		b := mutate(r, a)
		m := Match(a, b, DefaultWork)
		if got, want := checkMatch(t, a, b, m), lcs(a, b); got != want {
			t.Fatalf("case %d: matched %d lines; the longest common subsequence has %d", iter, got, want)
		}
		checkMatch(t, a, b, Match(a, b, r.IntN(40)))
	}
}

func mutate(r *rand.Rand, a []uint64) []uint64 {
	var b []uint64
	for _, x := range a {
		switch r.IntN(8) {
		case 0: // delete
		case 1: // replace
			b = append(b, uint64(r.IntN(9)))
		case 2: // insert before
			b = append(b, uint64(r.IntN(9)), x)
		default:
			b = append(b, x)
		}
	}
	if r.IntN(3) == 0 {
		b = append(b, uint64(r.IntN(9)))
	}
	return b
}

// FuzzDiff checks the line diff on arbitrary old and new texts: the
// lines it does not report as added are matched to equal old lines in
// order, and, as long as the exact search is within budget, as many lines
// are matched as a longest common subsequence allows, so no line is
// reported as added that an LCS would keep.
func FuzzDiff(f *testing.F) {
	f.Add([]byte("a\nb\nc\n"), []byte("a\nb\nX\nc\n"))
	f.Add([]byte("a\r\nb\r\n"), []byte("a\nb\rc"))           // line endings only
	f.Add([]byte("k\nk\nk\nk\n"), []byte("k\nX\nk\nk\nk\n")) // repeated lines
	f.Add([]byte(""), []byte("a\x00b\nc"))                   // binary, new file
	f.Add([]byte("x\ny\nz"), []byte("z\ny\nx"))              // reversed
	// UTF-16 without a mark: ਊ is 0A0A, a byte "\n" that breaks no line.
	f.Add([]byte("a\n"), utf16Of("mostly ascii text ਊ here\r\nline two", false, false))
	f.Fuzz(func(t *testing.T, old, new []byte) {
		ta, err := ReadLines(bytes.NewReader(old))
		if err != nil {
			t.Fatal(err)
		}
		tb, err := ReadLines(bytes.NewReader(new))
		if err != nil {
			t.Fatal(err)
		}
		oldLines, newLines := linesOf(old), linesOf(new)
		if got, want := len(tb.Hash), len(newLines); got != want {
			t.Fatalf("%d lines in new; want %d", got, want)
		}
		m := Match(ta.Hash, tb.Hash, DefaultWork)
		got := checkMatch(t, ta.Hash, tb.Hash, m)
		for j, i := range m {
			if i >= 0 && !bytes.Equal(oldLines[i], newLines[j]) {
				t.Fatalf("new line %d matched to old line %d, which differs", j+1, i+1)
			}
		}
		if len(ta.Hash)*len(tb.Hash) <= 1<<20 {
			if want := lcs(ta.Hash, tb.Hash); got != want {
				t.Fatalf("matched %d lines; the longest common subsequence has %d", got, want)
			}
		}
		checkMatch(t, ta.Hash, tb.Hash, Match(ta.Hash, tb.Hash, 8))
	})
}

// split splits b into lines as scanner.Scan numbers them, without
// their terminators: the plain oracle for ReadLines.
func split(b []byte) [][]byte {
	var lines [][]byte
	start := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\n':
			lines = append(lines, b[start:i])
			start = i + 1
		case '\r':
			lines = append(lines, b[start:i])
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	return append(lines, b[start:])
}

// linesOf splits b into lines as ReadLines does: in UTF-16 units when
// UTF16Text calls it UTF-16 text (a fuzzed input can look like it), else
// in bytes.
func linesOf(b []byte) [][]byte {
	text, big := UTF16Text(b[:min(len(b), headSize)])
	if !text {
		return split(b)
	}
	return splitUnits(b, big)
}

// splitUnits is split for UTF-16 text: a break is a unit "\n" or "\r",
// "\r\n" is one break, and an odd last byte belongs to the last line.
func splitUnits(b []byte, big bool) [][]byte {
	unit := func(i int) uint16 {
		if big {
			return uint16(b[i])<<8 | uint16(b[i+1])
		}
		return uint16(b[i+1])<<8 | uint16(b[i])
	}
	var lines [][]byte
	start := 0
	for i := 0; i+1 < len(b); i += 2 {
		switch unit(i) {
		case '\n':
			lines = append(lines, b[start:i])
			start = i + 2
		case '\r':
			lines = append(lines, b[start:i])
			if i+3 < len(b) && unit(i+2) == '\n' {
				i += 2
			}
			start = i + 2
		}
	}
	return append(lines, b[start:])
}
