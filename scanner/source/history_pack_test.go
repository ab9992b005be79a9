package source

import (
	"bytes"
	"slices"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// histDelta encodes a delta from base to target the way git does, through
// go-git's encoder.
func histDelta(base, target []byte) []byte {
	return packfile.DiffDelta(base, target)
}

func TestHistoryPatch(t *testing.T) {
	base := bytes.Repeat([]byte("some base text, long enough to copy from\n"), 3000)
	tests := []struct {
		name         string
		base, target []byte
	}{
		{"insert", base, append(append([]byte("new start\n"), base...), "new end\n"...)},
		{"delete", base, base[1000:90000]},
		{"same", base, base},
		{"empty target", base, nil},
		{"empty base", nil, []byte("all inserted\n")},
		{"unrelated", []byte("abc"), bytes.Repeat([]byte("xyz"), 500)},
	}
	in := newHistInflater(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			delta := histDelta(tt.base, tt.target)
			got, err := histPatch(in, tt.base, delta)
			if err != nil {
				t.Fatalf("histPatch: %v", err)
			}
			if !bytes.Equal(got, tt.target) {
				t.Errorf("histPatch: %d bytes, not the %d of the target", len(got), len(tt.target))
			}
			if len(delta) > 2 {
				if _, err := histPatch(in, tt.base, delta[:len(delta)-1]); err == nil && len(tt.target) > 0 {
					t.Errorf("histPatch of a cut delta: no error")
				}
			}
		})
	}
}

// FuzzHistoryPatch checks histPatch against go-git's PatchDelta: the same
// result whenever go-git succeeds, and no panic on any input.
func FuzzHistoryPatch(f *testing.F) {
	base := []byte("the quick brown fox jumps over the lazy dog\n")
	f.Add(base, histDelta(base, []byte("the quick red fox jumps over the dog\n")))
	f.Add(base, []byte{44, 5, 0x91, 4, 5})
	f.Add([]byte{}, []byte{0, 3, 3, 'a', 'b', 'c'})
	f.Add(base, []byte{44, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x80})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		in := newHistInflater(nil)
		got, err := histPatch(in, base, delta)
		want, werr := packfile.PatchDelta(base, delta)
		if werr == nil && len(base) > 0 {
			if err != nil {
				t.Fatalf("histPatch: %v; PatchDelta succeeds", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("histPatch and PatchDelta differ")
			}
		}
	})
}

// FuzzHistoryReadHeader checks that any pack entry header either parses
// within its entry or is an error, never a panic.
func FuzzHistoryReadHeader(f *testing.F) {
	f.Add([]byte{0x95, 0x0a}, int64(12))
	f.Add([]byte{0x6a, 0x81, 0x00}, int64(5000))
	f.Add(append([]byte{0x75}, bytes.Repeat([]byte{1}, 20)...), int64(12))
	f.Add(bytes.Repeat([]byte{0xff}, 16), int64(12))
	f.Fuzz(func(t *testing.T, b []byte, off int64) {
		if off < 0 {
			return
		}
		h, err := histReadHeader(bytes.NewReader(b), off, off+int64(len(b)))
		if err != nil {
			return
		}
		if h.n > len(b) || h.size < 0 {
			t.Fatalf("header of %d bytes read %d, size %d", len(b), h.n, h.size)
		}
		if h.typ == histPackOFS && (h.baseOff < 0 || h.baseOff >= off) {
			t.Fatalf("base offset %d for entry at %d", h.baseOff, off)
		}
	})
}

func TestHistoryParseTree(t *testing.T) {
	target := plumbing.NewHash("1111111111111111111111111111111111111111")
	other := plumbing.NewHash("2222222222222222222222222222222222222222")
	sub := plumbing.NewHash("3333333333333333333333333333333333333333")
	entry := func(mode, name string, h plumbing.Hash) string { return mode + " " + name + "\x00" + string(h[:]) }
	tree := entry("100644", "a.env", target) + entry("100644", "b.txt", other) + entry("40000", "dir", sub) +
		entry("160000", "mod", target) + entry("120000", "link", target)
	tp := &histTreeParser{names: map[string]string{}}
	got, err := tp.parse([]byte(tree), map[plumbing.Hash]bool{target: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []histTreeEnt{{"a.env", target, false}, {"dir", sub, true}, {"link", target, false}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"100644 a.env", "10x644 a\x00" + string(target[:]), "100644 a\x00short", " a\x00" + string(target[:])} {
		if _, err := tp.parse([]byte(bad), nil); err == nil {
			t.Errorf("parse of a bad tree: no error")
		}
	}
}

// FuzzHistoryParseTree checks that no tree makes the parser panic.
func FuzzHistoryParseTree(f *testing.F) {
	f.Add([]byte("100644 a.env\x00aaaaaaaaaaaaaaaaaaaa40000 d\x00bbbbbbbbbbbbbbbbbbbb"))
	f.Add([]byte("7777777777777777777777 x\x00cccccccccccccccccccc"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tp := &histTreeParser{names: map[string]string{}}
		tp.parse(b, map[plumbing.Hash]bool{})
	})
}
