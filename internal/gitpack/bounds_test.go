package gitpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// leb is a delta header size.
func leb(v uint64) []byte {
	var out []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(out, c)
		}
		out = append(out, c|0x80)
	}
}

// bombDelta is a valid delta of 16 MiB that makes 1 TiB from a 64 KiB
// base: 2^24 one-byte commands, each a copy of the whole base.
func bombDelta() []byte {
	d := append(leb(0x10000), leb(1<<40)...)
	return append(d, bytes.Repeat([]byte{0x80}, 1<<24)...)
}

// TestPatchBounds: a delta's result size is believed only when its
// commands make it, and only up to MaxObject; nothing beyond patchTrust is
// allocated by a size first.
func TestPatchBounds(t *testing.T) {
	base := bytes.Repeat([]byte("x"), 0x10000)
	tests := []struct {
		name  string
		delta []byte
		want  func(error) bool
	}{
		{"makes 1 TiB", bombDelta(), func(err error) bool { var se *SizeError; return errors.As(err, &se) }},
		{"claims 1 TiB, makes 64 KiB", append(append(leb(0x10000), leb(1<<40)...), 0x80),
			func(err error) bool { return errors.Is(err, packfile.ErrInvalidDelta) }},
		{"claims 64 KiB, makes 128 KiB", append(append(leb(0x10000), leb(0x10000)...), 0x80, 0x80),
			func(err error) bool { return errors.Is(err, packfile.ErrInvalidDelta) }},
		{"claims patchTrust, makes 64 KiB", append(append(leb(0x10000), leb(patchTrust)...), 0x80),
			func(err error) bool { return errors.Is(err, packfile.ErrInvalidDelta) }},
		{"claims 64 KiB, makes 64 KiB and one byte", append(append(leb(0x10000), leb(0x10000)...), 0x80, 0x01, 'x'),
			func(err error) bool { return errors.Is(err, packfile.ErrInvalidDelta) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := NewInflater(nil)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			out, err := Patch(in, base, tt.delta)
			runtime.ReadMemStats(&after)
			if !tt.want(err) {
				t.Fatalf("Patch: %d bytes, error %v", len(out), err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > patchTrust+1<<20 {
				t.Errorf("Patch allocated %d bytes for a delta it refused", grew)
			}
		})
	}
}

// TestReadIndexBounds: an index whose fan-out table claims more objects
// than its bytes can hold is refused before anything is sized by it.
func TestReadIndexBounds(t *testing.T) {
	idx := []byte("\377tOc\x00\x00\x00\x02")
	for range 256 {
		idx = binary.BigEndian.AppendUint32(idx, 200_000_000)
	}
	idx = append(idx, make([]byte, 40)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadIndex(bytes.NewReader(idx), int64(len(idx)))
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("ReadIndex: no error")
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("ReadIndex allocated %d bytes for an index it refused", grew)
	}
}
