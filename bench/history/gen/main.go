// Command gen writes a git fast-import stream for a synthetic repository
// with many commits, many files and a few large files, for benchmarking
// "dtleaks history" against git. Usage:
//
//	go run ./bench/history/gen -commits 3000 | git -C REPO fast-import --quiet
//
// The content is pseudo-random text from a fixed seed, so it compresses
// about as well as source code does and every run builds the same
// repository. A few generated fake tokens are planted along the way.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

func main() {
	commits := flag.Int("commits", 3000, "number of commits")
	files := flag.Int("files", 400, "number of small files")
	large := flag.Int("large", 6, "number of large files")
	largeSize := flag.Int("large-size", 24<<20, "size of a large file in bytes")
	tokens := flag.Int("tokens", 20, "number of fake tokens to plant")
	flag.Parse()

	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	r := rand.New(rand.NewPCG(1, 2))
	gen := tokentest.New(42)
	words := make([]string, 4096)
	for i := range words {
		words[i] = gen.String("abcdefghijklmnopqrstuvwxyz_", 3+r.IntN(8))
	}
	text := func(n int) []byte {
		b := make([]byte, 0, n+64)
		for len(b) < n {
			for range 4 + r.IntN(10) {
				b = append(b, words[r.IntN(len(words))]...)
				b = append(b, ' ')
			}
			b = append(b, '\n')
		}
		return b
	}
	small := make([][]byte, *files)
	for i := range small {
		small[i] = text(500 + r.IntN(20000))
	}
	big := make([][]byte, *large)
	for i := range big {
		big[i] = text(*largeSize)
	}
	planted := 0
	for c := 0; c < *commits; c++ {
		fmt.Fprintf(w, "commit refs/heads/main\ncommitter Bench <bench@example.com> %d +0000\n", 1700000000+c*60)
		msg := fmt.Sprintf("commit %d\n", c)
		fmt.Fprintf(w, "data %d\n%s", len(msg), msg)
		// Each commit edits a few small files; every 500th edits a large one.
		for range 1 + r.IntN(6) {
			i := r.IntN(len(small))
			f := small[i]
			at := r.IntN(len(f))
			edit := text(40 + r.IntN(400))
			if planted < *tokens && r.IntN(*commits / *tokens + 1) == 0 {
				edit = append(edit, "token: "+gen.Token("dt0c01").Text+"\n"...)
				planted++
			}
			small[i] = append(append(append([]byte{}, f[:at]...), edit...), f[at:]...)
			writeFile(w, fmt.Sprintf("src/d%02d/f%04d.txt", i%37, i), small[i])
		}
		if len(big) > 0 && (c < len(big) || c%500 == 0) {
			i := c % len(big)
			at := r.IntN(len(big[i]))
			big[i] = append(append(append([]byte{}, big[i][:at]...), text(1000)...), big[i][at:]...)
			writeFile(w, fmt.Sprintf("data/large%d.txt", i), big[i])
		}
	}
}

func writeFile(w *bufio.Writer, path string, b []byte) {
	fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n", path, len(b))
	w.Write(b)
	w.WriteByte('\n')
}
