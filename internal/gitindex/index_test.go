package gitindex

import (
	"crypto/sha1"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/format/index"
)

func sha1Sum(b []byte) [20]byte { return sha1.Sum(b) }

// FuzzParse checks the index reader against go-git's decoder: on any
// input both accept, they agree on every entry. The fuzzer's input is the
// index without its trailing checksum, which the target appends, so that
// mutations reach the parser instead of failing the checksum.
func FuzzParse(f *testing.F) {
	for _, v := range []uint32{2, 3, 4} {
		idx := &index.Index{Version: v}
		for _, name := range []string{"a", "a/b", "a/c/d", "ab", "b/" + strings.Repeat("x", 40)} {
			e := idx.Add(name)
			e.Mode = 0o100644
			e.Hash[0] = byte(len(name))
			if v == 3 && name == "ab" {
				e.IntentToAdd = true
			}
		}
		var buf strings.Builder
		if err := index.NewEncoder(&buf).Encode(idx); err != nil {
			f.Fatal(err)
		}
		b := []byte(buf.String())
		f.Add(b[:len(b)-20])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sum := sha1Sum(body)
		b := append(append([]byte(nil), body...), sum[:]...)
		mine, err := Parse(b)
		if err != nil {
			return
		}
		var theirs index.Index
		if err := index.NewDecoder(strings.NewReader(string(b))).Decode(&theirs); err != nil {
			return
		}
		if len(mine.Entries) != len(theirs.Entries) {
			t.Fatalf("%d entries; go-git has %d", len(mine.Entries), len(theirs.Entries))
		}
		for i, e := range theirs.Entries {
			m := mine.Entries[i]
			if m.Name != e.Name || m.Hash != e.Hash || m.Mode != uint32(e.Mode) || m.Stage != uint8(e.Stage) ||
				m.IntentToAdd != e.IntentToAdd || m.SkipWorktree != e.SkipWorktree {
				t.Fatalf("entry %d = %+v; go-git has %+v", i, m, *e)
			}
		}
	})
}

// BenchmarkParse reads the index of $STAGED_BENCH_REPO.
func BenchmarkParse(b *testing.B) {
	dir := os.Getenv("STAGED_BENCH_REPO")
	if dir == "" {
		b.Skip("STAGED_BENCH_REPO not set: run bench/staged/run.sh")
	}
	raw, err := os.ReadFile(filepath.Join(dir, ".git", "index"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}
