package gitindex

import (
	"encoding/binary"
	"errors"
	"testing"
)

// ewah serialises words as git's ewah_serialize does.
func ewah(bits uint32, words ...uint64) []byte {
	b := binary.BigEndian.AppendUint32(nil, bits)
	b = binary.BigEndian.AppendUint32(b, uint32(len(words)))
	for _, w := range words {
		b = binary.BigEndian.AppendUint64(b, w)
	}
	return binary.BigEndian.AppendUint32(b, 0)
}

func TestEWAH(t *testing.T) {
	const runOfOnes = 1 | 1<<1 | 1<<33 // run bit 1, one running word, one literal word
	tests := []struct {
		name  string
		b     []byte
		limit int
		set   []int
		bad   bool
	}{
		{"empty", nil, 3, nil, false},
		{"literal", ewah(3, 1<<33, 0b101), 3, []int{0, 2}, false},
		{"run and literal", ewah(67, runOfOnes, 0b101), 70, append(seq(64), 64, 66), false},
		{"zero run", ewah(130, 2<<1|1<<33, 1), 130, []int{128}, false},
		{"beyond the shared index", ewah(3, 1<<33, 0b1000), 3, nil, true},
		{"truncated literal", ewah(3, 2<<33, 1), 3, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.b) > 0 {
				if n, err := ewahLen(tt.b); err != nil || n != len(tt.b) {
					t.Fatalf("ewahLen = %d, %v; want %d", n, err, len(tt.b))
				}
			}
			got, err := ewahBits(tt.b, tt.limit)
			if tt.bad {
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("error %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var set []int
			for i, v := range got {
				if v {
					set = append(set, i)
				}
			}
			if len(set) != len(tt.set) || len(set) > 0 && set[len(set)-1] != tt.set[len(tt.set)-1] {
				t.Errorf("set bits %v, want %v", set, tt.set)
			}
		})
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// FuzzLink feeds any bytes to the link extension's parser and the bitmaps'
// decoder: an error or a result, never a panic or an allocation beyond the
// shared index's size.
func FuzzLink(f *testing.F) {
	hash := make([]byte, 20)
	f.Add(hash, 5)
	f.Add(append(append(append([]byte(nil), hash...), ewah(3, 1<<33, 0b101)...), ewah(67, 1|1<<1|1<<33, 1)...), 70)
	f.Fuzz(func(t *testing.T, b []byte, limit int) {
		limit = min(max(limit, 0), 1<<16)
		l, err := parseLink(b)
		if err != nil {
			return
		}
		for _, bm := range [][]byte{l.del, l.repl} {
			got, err := ewahBits(bm, limit)
			if err == nil && len(got) != limit {
				t.Fatalf("%d bits, want %d", len(got), limit)
			}
		}
	})
}
