package scanner

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

// mappedReader is a Mapper over bytes in memory, as a mapped file is.
type mappedReader struct {
	*bytes.Reader
	data []byte
}

func mapped(data []byte) *mappedReader {
	return &mappedReader{Reader: bytes.NewReader(data), data: data}
}

// Map gives the bytes; nil for none, as a file too small to map.
func (r *mappedReader) Map() []byte {
	if len(r.data) == 0 {
		return nil
	}
	return r.data
}

// mappedInput builds text of every kind the windows must agree on: tokens
// plain, in base64, in UTF-16 and legacy, on lines of every ending and on
// lines longer than a window, the allow marker, runs of NUL bytes a
// window long, and non-ASCII characters, which cut windows at a
// character's start.
func mappedInput(seed uint64, size int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	g := tokentest.New(seed)
	var b bytes.Buffer
	for b.Len() < size {
		tok := g.Token([]string{"dt0c01", "dt0s16", "dt0a01"}[r.IntN(3)]).Text
		switch r.IntN(12) {
		case 0:
			b.WriteString(tok)
		case 1:
			b.WriteString("auth: " + base64.StdEncoding.EncodeToString([]byte(tok)) + "\n")
		case 2:
			for _, c := range []byte(" " + tok + "\r\n") {
				b.Write([]byte{c, 0})
			}
		case 3:
			b.WriteString("apiToken: " + g.String("ABCDEFGHabcdefgh0123", 21) + "\n")
		case 4:
			b.WriteString(tok + " " + AllowMarker + "\r")
		case 5:
			b.Write(make([]byte, r.IntN(3000)))
		case 6:
			b.WriteString(strings.Repeat("é《", r.IntN(400)))
		case 7:
			b.WriteString("https://abc12345.live.dynatrace.com " + tok + "\r\n")
		default:
			line := make([]byte, r.IntN(300))
			for i := range line {
				line[i] = "abc XYZ.=\"\n\r\t"[r.IntN(13)]
			}
			b.Write(line)
		}
	}
	return b.Bytes()
}

// TestScanMappedAgrees: an item searched in place, by goroutines ahead of
// the one placing the matches, gets the findings, allowed counts and byte
// counts of the same bytes read a window at a time, whatever the window
// size, and whether other processors may join the search or not.
func TestScanMappedAgrees(t *testing.T) {
	for seed := range uint64(6) {
		data := mappedInput(seed, 200<<10+int(seed)*7919)
		for _, chunk := range []int{1, 100, 4093, 16 << 10, 1 << 20} {
			data := data
			if chunk == 1 {
				data = data[:20<<10] // a window per byte: a part is enough
			}
			buf := make([]byte, 0, chunk+rules.MaxSpan)
			want, wn, wa, werr := scanItemAllow(context.Background(), Item{Path: "f", R: bytes.NewReader(data)}, &rules.Matcher{}, buf, false, nil)
			if werr != nil {
				t.Fatal(werr)
			}
			var saturated atomic.Int32
			saturated.Store(1 << 20) // no processor idle: one searching goroutine
			for _, busy := range []*atomic.Int32{nil, new(atomic.Int32), &saturated} {
				name := fmt.Sprintf("seed %d, chunk %d, busy %v", seed, chunk, busy)
				got, n, a, err := scanItemAllow(context.Background(), Item{Path: "f", R: mapped(data)}, &rules.Matcher{}, buf, false, busy)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if n != wn || a != wa {
					t.Errorf("%s: %d bytes, %d allowed; read: %d, %d", name, n, a, wn, wa)
				}
				if len(got) != len(want) {
					t.Fatalf("%s: %d findings, read: %d", name, len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s: finding %d at offset %d line %d col %d, read: offset %d line %d col %d",
							name, i, got[i].Offset, got[i].Line, got[i].Column, want[i].Offset, want[i].Line, want[i].Column)
					}
				}
				if busy != nil && busy != &saturated && busy.Load() != 0 {
					t.Errorf("%s: busy left at %d", name, busy.Load())
				}
			}
			if len(want) == 0 {
				t.Fatalf("seed %d: no findings to compare", seed)
			}
		}
	}
}

// TestScanMappedWindows: the windows cover the item, each owning the bytes
// up to the next one's start, on a character's start, each but the last
// seeing rules.MaxSpan bytes more.
func TestScanMappedWindows(t *testing.T) {
	data := mappedInput(9, 50<<10)
	for _, chunk := range []int{1, 3, 64, 4096, 50 << 10, 1 << 20} {
		var ws []mappedWindow
		mappedWindows(data, chunk, &ws)
		at := 0
		for i, w := range ws {
			if w.base != at {
				t.Fatalf("chunk %d: window %d at %d, want %d", chunk, i, w.base, at)
			}
			if w.last != (i == len(ws)-1) || w.base+w.n > len(data) {
				t.Fatalf("chunk %d: window %d %+v of %d bytes", chunk, i, w, len(data))
			}
			if !w.last && (w.n != chunk+rules.MaxSpan || w.end < chunk || w.end > chunk+3 || !utf8Start(data, w.base+w.end)) {
				t.Fatalf("chunk %d: window %d %+v", chunk, i, w)
			}
			at = w.base + w.end
		}
		if at != len(data) {
			t.Fatalf("chunk %d: windows end at %d of %d", chunk, at, len(data))
		}
	}
}

func utf8Start(b []byte, i int) bool { return i >= len(b) || b[i]&0xc0 != 0x80 }

// TestScanMappedStops: a scan of a mapped item ends when its context does,
// with every searching goroutine.
func TestScanMappedStops(t *testing.T) {
	data := mappedInput(3, 1<<20)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var busy atomic.Int32
	_, _, _, err := scanItemAllow(ctx, Item{Path: "f", R: mapped(data)}, &rules.Matcher{}, make([]byte, 0, 1024+rules.MaxSpan), false, &busy)
	if err != context.Canceled {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if busy.Load() != 0 {
		t.Errorf("busy left at %d", busy.Load())
	}
}

var _ io.Reader = mapped(nil)
