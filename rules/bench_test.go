package rules

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io/fs"
	"iter"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// indexAll is the plain alternative to [Matcher.All]: find every "dt0" with
// bytes.Index and check the shapes there. It yields the same matches (the
// fuzzer checks it against the same oracles) and is kept as the benchmark's
// reference point.
func indexAll(b []byte) iter.Seq[Match] {
	return func(yield func(Match) bool) {
		for i := 0; ; {
			j := bytes.Index(b[i:], []byte("dt0"))
			if j < 0 {
				return
			}
			p := i + j
			shape, end, ok := Standard, 0, false
			if end, ok = standardAt(b, p); !ok {
				if end, ok = shortAt(b, p); ok {
					shape = Short
				} else if end, ok = agentAt(b, p); ok {
					shape = Agent
				}
			}
			if !ok {
				i = p + 1
				continue
			}
			if !yield(newMatch(b, p, end, shape, identLen(shape), "")) {
				return
			}
			i = end
			if b[end-1] == 'd' {
				i = end - 1 // an Agent token's 'd' may start the next
			}
		}
	}
}

const benchSize = 1 << 20

// benchInputs returns the benchmark inputs, each benchSize bytes:
//   - source: Go source from the Go distribution, without tokens;
//   - nearmiss: text dense with "dt0" candidates that are not tokens;
//   - dense: the same with a token of some shape every ~400 bytes;
//   - random: random bytes (fixed seed), as in binaries and compressed files.
func benchInputs(b *testing.B) []struct {
	name string
	data []byte
} {
	b.Helper()
	return []struct {
		name string
		data []byte
	}{
		{"source", benchSource(b)},
		{"nearmiss", benchNearMiss(false)},
		{"dense", benchNearMiss(true)},
		{"random", benchRandom()},
	}
}

// benchRandom returns benchSize random bytes from a fixed seed.
func benchRandom() []byte {
	b := make([]byte, benchSize)
	r := rand.New(rand.NewPCG(15, 15))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// benchSource reads .go files from the Go distribution's source tree until
// it has benchSize bytes; every machine that runs these benchmarks has one.
func benchSource(b *testing.B) []byte {
	b.Helper()
	root := filepath.Join(runtime.GOROOT(), "src")
	var buf []byte
	for _, dir := range []string{"net/http", "go/types", "runtime", "crypto"} {
		filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || len(buf) >= benchSize {
				return fs.SkipAll
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			buf = append(buf, data...)
			return nil
		})
	}
	if len(buf) < benchSize {
		b.Skipf("Go source under %s: %d bytes, want %d", root, len(buf), benchSize)
	}
	return buf[:benchSize]
}

// benchNearMiss builds text made of near misses of every shape, words and
// punctuation; with dense set, one part in five is a real token instead.
func benchNearMiss(dense bool) []byte {
	g := tokentest.New(99)
	u, l, h := charsUpperDigit, charsLowerDigit, charsHex
	misses := []func() string{
		func() string { return "dt0c01." + g.String(u, 23) + "." + g.String(u, 64) },
		func() string { return "dt0c01." + g.String(u, 25) + "." + g.String(u, 64) },
		func() string { return "dt0c01." + g.String(u, 24) + "." + g.String(u, 63) },
		func() string { return "dt0s01." + g.String(u, 24) + "." + strings.ToLower(g.String(u, 64)) },
		func() string { return "dt0s02." + g.String(u, 8) },
		func() string { return "dt0c01." + g.String(u, 8) + "." + g.String(u, 64) },
		func() string { return "dt0a01." + g.String(l, 8) + "." + g.String(h, 63) },
		func() string { return "dt0a01." + g.String(u, 8) + "." + g.String(h, 64) },
		func() string { return "dt0g02." + g.String(u, 7) + "." + g.String(u, 64) },
		func() string { return "dt0c01" },
		func() string { return "url=https://abc12345.live.dynatrace.com/api/v2/dt0" },
		func() string { return "token: dt0c01.XXXXXXXXXXXXXXXXXXXXXXXX.<secret>" },
	}
	hits := []func() string{
		func() string { return g.Token("dt0c01").Text },
		func() string { return genShort(g, "dt0s16").Text },
		func() string { return genAgent(g).Text },
	}
	words := []string{" ", "\n", "\"", "=", ": ", "\tapiToken: ", "return ", "x.y", "// comment\n"}
	r := g.Rand()
	var buf []byte
	for len(buf) < benchSize {
		if dense && r.IntN(5) == 0 {
			buf = append(buf, hits[r.IntN(len(hits))]()...)
		} else {
			buf = append(buf, misses[r.IntN(len(misses))]()...)
		}
		buf = append(buf, words[r.IntN(len(words))]...)
	}
	return buf[:benchSize]
}

func BenchmarkMatch(b *testing.B) {
	re := regexp.MustCompile(Pattern)
	var m Matcher
	inputs := benchInputs(b)
	impls := []struct {
		name string
		run  func(data []byte) int
	}{
		{"matcher", func(data []byte) (n int) {
			for range m.All(data) {
				n++
			}
			return n
		}},
		// plain is the exact matcher alone, the one to set beside regexp;
		// matcher above adds the base64 and legacy searches, nodecode the
		// legacy search only (--no-decode).
		{"plain", func(data []byte) (n int) {
			plain(data, func(Match) bool { n++; return true })
			return n
		}},
		{"nodecode", func(data []byte) (n int) {
			for range (&Matcher{NoDecode: true}).All(data) {
				n++
			}
			return n
		}},
		// legacy is the legacy search alone.
		{"legacy", func(data []byte) (n int) {
			for range LegacyTokens(data) {
				n++
			}
			return n
		}},
		{"regexp", func(data []byte) int { return len(re.FindAllIndex(data, -1)) }},
		{"index", func(data []byte) (n int) {
			for range indexAll(data) {
				n++
			}
			return n
		}},
	}
	for _, impl := range impls {
		b.Run(impl.name, func(b *testing.B) {
			for _, in := range inputs {
				b.Run(in.name, func(b *testing.B) {
					b.SetBytes(int64(len(in.data)))
					for b.Loop() {
						impl.run(in.data)
					}
				})
			}
		})
	}
}

// BenchmarkMatchHostile runs the matcher on inputs built to make a search
// go back over bytes it has seen: NUL bytes, one long base64 run, one long
// run of UTF-16 text, "token" glued to itself, and tokens packed in plain,
// base64, UTF-16 and legacy form. Each at two sizes: the cost per byte
// must not grow with the size (compare the MB/s of the two).
func BenchmarkMatchHostile(b *testing.B) {
	g := tokentest.New(15)
	tok := g.Token("dt0c01").Text
	b64 := base64.StdEncoding.EncodeToString([]byte(tok + " "))
	var u16 []byte
	for _, c := range []byte(tok + " ") {
		u16 = append(u16, c, 0)
	}
	legacy := "apiToken: " + g.String("ABCDEFGHabcdefgh0123", 21) + "\n"
	unit := map[string][]byte{
		"nul":          {0},
		"base64-run":   []byte("QUJD"),
		"utf16-run":    {'a', 0},
		"token-glued":  []byte("token"),
		"dense-plain":  []byte(tok + " "),
		"dense-base64": []byte(b64 + " "),
		"dense-utf16":  u16,
		"dense-legacy": []byte(legacy),
		"dense-glued":  []byte(tok),
	}
	names := slices.Sorted(maps.Keys(unit))
	var m Matcher
	for _, name := range names {
		for _, size := range []int{256 << 10, 1 << 20, 4 << 20} {
			in := bytes.Repeat(unit[name], size/len(unit[name]))
			b.Run(fmt.Sprintf("%s/%dk", name, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(in)))
				for b.Loop() {
					for range m.All(in) {
					}
				}
			})
		}
	}
}
