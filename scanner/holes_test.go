package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// sparse is content with a run of zeros (a hole) at [at, at+hole), read
// as a sparse file is: it tells the hole's zeros without giving them, and
// fails if asked to give more than maxRead of them.
type sparse struct {
	head, tail []byte
	hole       int64
	maxRead    int64

	pos, zerosRead int64
}

func (s *sparse) size() int64 { return int64(len(s.head)) + s.hole + int64(len(s.tail)) }

func (s *sparse) Read(p []byte) (int, error) {
	if s.zerosRead > s.maxRead {
		return 0, errors.New("read the hole instead of skipping it")
	}
	if s.pos >= s.size() {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && s.pos < s.size() {
		switch h := int64(len(s.head)); {
		case s.pos < h:
			c := copy(p[n:], s.head[s.pos:])
			n += c
			s.pos += int64(c)
		case s.pos < h+s.hole:
			c := int(min(int64(len(p)-n), h+s.hole-s.pos))
			clear(p[n : n+c])
			n += c
			s.pos += int64(c)
			s.zerosRead += int64(c)
		default:
			c := copy(p[n:], s.tail[s.pos-h-s.hole:])
			n += c
			s.pos += int64(c)
		}
	}
	return n, nil
}

// skipping is a sparse file that offers its holes to skip.
type skipping struct{ *sparse }

func (s skipping) ZerosAhead() (int64, error) {
	h := int64(len(s.head))
	if s.pos < h || s.pos >= h+s.hole {
		return 0, nil
	}
	return h + s.hole - s.pos, nil
}

func (s skipping) SkipZeros(n int64) error {
	if z, _ := s.ZerosAhead(); n > z {
		return fmt.Errorf("skipped %d bytes, %d of them data", n, n-z)
	}
	s.pos += n
	return nil
}

// TestScanSkipsHoles (issue 11, item 20): the zeros of a hole are skipped,
// not read, and the findings around it are those of reading every byte, at
// the same offsets, lines and columns.
func TestScanSkipsHoles(t *testing.T) {
	g := tokentest.New(1120)
	a, b, c := g.Token("dt0c01"), g.Token("dt0s16"), g.Token("dt0c01")
	head := []byte("first line\nx=" + a.Text + " then the hole: ")
	tail := []byte(" after the hole " + b.Text + "\nnext " + c.Text + "\n")
	describe := func(res Result) string {
		var out []string
		for _, f := range res.Findings {
			out = append(out, fmt.Sprintf("%s %d:%d @%d", f.ID, f.Line, f.Column, f.Offset))
		}
		return strings.Join(out, "\n")
	}
	for _, hole := range []int64{0, 1000, 1 << 20, 3<<20 + 7, 40 << 20} {
		t.Run(fmt.Sprint(hole), func(t *testing.T) {
			read := &sparse{head: head, tail: tail, hole: hole, maxRead: 1 << 62}
			want, err := Scan(context.Background(), items{{Path: "f", R: read}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s := &sparse{head: head, tail: tail, hole: hole, maxRead: 2*DefaultChunkSize + 4096}
			got, err := Scan(context.Background(), items{{Path: "f", R: skipping{s}}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Problems) > 0 {
				t.Fatalf("problems: %v", got.Problems)
			}
			if describe(got) != describe(want) || len(want.Findings) != 3 {
				t.Errorf("skipping the hole found\n%s\nreading it found\n%s", describe(got), describe(want))
			}
			if got.Stats.Bytes != want.Stats.Bytes {
				t.Errorf("skipping counts %d bytes, reading %d", got.Stats.Bytes, want.Stats.Bytes)
			}
		})
	}
	// A 1 TiB hole: read, it would take hours.
	const tib = 1 << 40
	s := &sparse{head: head, tail: tail, hole: tib, maxRead: 2*DefaultChunkSize + 4096}
	got, err := Scan(context.Background(), items{{Path: "f", R: skipping{s}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Problems) > 0 {
		t.Fatalf("problems: %v", got.Problems)
	}
	col := len("x="+a.Text+" then the hole: ") + tib + len(" after the hole ") + 1
	want := fmt.Sprintf("%s 2:3 @13\n%s 2:%d @%d\n%s 3:6 @%d", a.ID, b.ID, col, int64(len(head))+tib+16, c.ID, int64(len(head))+tib+int64(len(tail))-int64(len(c.Text))-1)
	if describe(got) != want {
		t.Errorf("found\n%s\nwant\n%s", describe(got), want)
	}
}
