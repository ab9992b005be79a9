// Command gen writes the inputs of bench/linear.sh to standard output:
// text with a generated fake token every ~200 bytes, on one line or with a
// line break before each token, or random bytes. Usage:
//
//	go run ./bench/linear/gen -size 4194304 [-lines] > dense.txt
//	go run ./bench/linear/gen -size 1073741824 -random > random.bin
//
// The words and tokens come from a fixed seed, so every run writes the same
// bytes, and the one-line and the broken file differ only in the byte before
// each token (a space or a "\n").
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"math/rand/v2"
	"os"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

func main() {
	size := flag.Int("size", 4<<20, "bytes to write, about")
	lines := flag.Bool("lines", false, "put a line break before each token instead of a space")
	every := flag.Int("every", 200, "bytes from one token to the next, about")
	random := flag.Bool("random", false, "write random bytes (from the same fixed seed) instead")
	flag.Parse()

	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	r := rand.New(rand.NewPCG(15, 200))
	if *random {
		var buf [1 << 16]byte
		for n := 0; n < *size; n += len(buf) {
			for i := 0; i < len(buf); i += 8 {
				binary.LittleEndian.PutUint64(buf[i:], r.Uint64())
			}
			w.Write(buf[:min(len(buf), *size-n)])
		}
		return
	}
	gen := tokentest.New(15)
	words := make([]string, 1024)
	for i := range words {
		words[i] = gen.String("abcdefghijklmnopqrstuvwxyz", 2+r.IntN(8))
	}
	prefixes := []string{"dt0c01", "dt0s01", "dt0c01", "dt0s02"}
	toks := make([]string, 256)
	for i := range toks {
		toks[i] = gen.Token(prefixes[i%len(prefixes)]).Text
	}
	sep := byte(' ')
	if *lines {
		sep = '\n'
	}
	n := 0
	for i := 0; n < *size; i++ {
		// Words up to the next token, then the token.
		filler := 0
		for filler < *every-len(toks[0])-2 {
			wd := words[r.IntN(len(words))]
			w.WriteString(wd)
			w.WriteByte(' ')
			filler += len(wd) + 1
		}
		w.WriteByte(sep)
		w.WriteString(toks[i%len(toks)])
		n += filler + 1 + len(toks[0])
	}
	w.WriteByte('\n')
}
