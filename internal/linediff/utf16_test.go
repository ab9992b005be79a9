package linediff

import (
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"
)

func utf16Of(s string, big, bom bool) []byte {
	u := utf16.Encode([]rune(s))
	if bom {
		u = append([]uint16{0xFEFF}, u...)
	}
	var out []byte
	for _, c := range u {
		if big {
			out = binary.BigEndian.AppendUint16(out, c)
		} else {
			out = binary.LittleEndian.AppendUint16(out, c)
		}
	}
	return out
}

// TestReadLinesUTF16 (issue 11, sources agree): UTF-16 text is split in
// units, as the scanner numbers its lines: "Počítač" (č holds a byte 0x0D)
// is one line, and "\r\n" is one break, in either byte order, with or
// without a mark.
func TestReadLinesUTF16(t *testing.T) {
	text := "Počítač 《x》 ਪੰਜਾਬੀ\r\nsecond line, long enough to look like text\nthird\rfourth"
	for _, big := range []bool{false, true} {
		for _, bom := range []bool{false, true} {
			b := utf16Of(text, big, bom)
			got, err := ReadLines(strings.NewReader(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Hash) != 4 {
				t.Errorf("big=%v bom=%v: %d lines, want 4", big, bom, len(got.Hash))
				continue
			}
			total := 0
			for _, n := range got.Size {
				total += n
			}
			if total != len(b) {
				t.Errorf("big=%v bom=%v: sizes add to %d, want %d", big, bom, total, len(b))
			}
			// The same lines with other line ends hash the same.
			other, _ := ReadLines(strings.NewReader(string(utf16Of(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(text), big, bom))))
			for i := range got.Hash {
				if i < len(other.Hash) && got.Hash[i] != other.Hash[i] {
					t.Errorf("big=%v bom=%v: line %d hashes differently with another line end", big, bom, i+1)
				}
			}
		}
	}
}
