package gitpack

import (
	"bytes"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// delta encodes a delta from base to target the way git does, through
// go-git's encoder.
func delta(base, target []byte) []byte {
	return packfile.DiffDelta(base, target)
}

func TestPatch(t *testing.T) {
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
	in := NewInflater(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			delta := delta(tt.base, tt.target)
			got, err := Patch(in, tt.base, delta)
			if err != nil {
				t.Fatalf("Patch: %v", err)
			}
			if !bytes.Equal(got, tt.target) {
				t.Errorf("Patch: %d bytes, not the %d of the target", len(got), len(tt.target))
			}
			if len(delta) > 2 {
				if _, err := Patch(in, tt.base, delta[:len(delta)-1]); err == nil && len(tt.target) > 0 {
					t.Errorf("Patch of a cut delta: no error")
				}
			}
		})
	}
}

// FuzzPatch checks Patch against go-git's PatchDelta: the same
// result whenever go-git succeeds, and no panic on any input.
func FuzzPatch(f *testing.F) {
	base := []byte("the quick brown fox jumps over the lazy dog\n")
	f.Add(base, delta(base, []byte("the quick red fox jumps over the dog\n")))
	f.Add(base, []byte{44, 5, 0x91, 4, 5})
	f.Add([]byte{}, []byte{0, 3, 3, 'a', 'b', 'c'})
	f.Add(base, []byte{44, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x80})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		in := NewInflater(nil)
		got, err := Patch(in, base, delta)
		want, werr := packfile.PatchDelta(base, delta)
		if werr == nil && len(base) > 0 {
			if err != nil {
				t.Fatalf("Patch: %v; PatchDelta succeeds", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Patch and PatchDelta differ")
			}
		}
	})
}

// FuzzReadHeader checks that any pack entry header either parses
// within its entry or is an error, never a panic.
func FuzzReadHeader(f *testing.F) {
	f.Add([]byte{0x95, 0x0a}, int64(12))
	f.Add([]byte{0x6a, 0x81, 0x00}, int64(5000))
	f.Add(append([]byte{0x75}, bytes.Repeat([]byte{1}, 20)...), int64(12))
	f.Add(bytes.Repeat([]byte{0xff}, 16), int64(12))
	f.Fuzz(func(t *testing.T, b []byte, off int64) {
		if off < 0 {
			return
		}
		h, err := readHeader(bytes.NewReader(b), off, off+int64(len(b)))
		if err != nil {
			return
		}
		if h.n > len(b) || h.size < 0 {
			t.Fatalf("header of %d bytes read %d, size %d", len(b), h.n, h.size)
		}
		if h.typ == rawOFSDelta && (h.baseOff < 0 || h.baseOff >= off) {
			t.Fatalf("base offset %d for entry at %d", h.baseOff, off)
		}
	})
}
