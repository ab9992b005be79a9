package gitindex

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/format/index"

	"github.com/dtleaks/dtleaks/internal/gittest"
)

// bigIndex builds, with git, the index of a repository of n paths in
// nested directories, at the given index version, and returns its bytes.
func bigIndex(tb testing.TB, n int, version int) []byte {
	tb.Helper()
	r := gittest.New(tb)
	blob := r.GitInput("some content\n", "hash-object", "-w", "--stdin")
	var info strings.Builder
	for i := range n {
		fmt.Fprintf(&info, "100644 %s\tsrc/module%02d/pkg%03d/file_%05d.go\n", blob, i%37, i%101, i)
	}
	r.GitInput(info.String(), "update-index", "--add", "--index-info")
	r.Git("update-index", "--index-version", strconv.Itoa(version))
	b, err := os.ReadFile(filepath.Join(r.Dir, ".git", "index"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestParseAgainstGit checks Parse against git ls-files -s and go-git's
// decoder on the same index, at each version git writes: the same
// entries, in the same order, with the same modes, hashes and stages;
// and the intent-to-add and skip-worktree flags git ls-files -t and
// --debug show.
func TestParseAgainstGit(t *testing.T) {
	for _, version := range []int{2, 3, 4} {
		t.Run(fmt.Sprint("v", version), func(t *testing.T) {
			r := gittest.New(t)
			r.Write("a.txt", "a\n")
			r.Write("d/b.sh", "#!/bin/sh\n")
			r.Write("d/e/c.txt", "c\n")
			r.Write("ünïcode/ñame.txt", "n\n")
			r.Commit("one")
			r.Git("update-index", "--chmod=+x", "d/b.sh")
			r.Git("update-index", "--skip-worktree", "d/e/c.txt")
			r.Write("new.txt", "new\n")
			r.Git("add", "-N", "new.txt")
			r.Git("update-index", "--index-version", strconv.Itoa(version))
			b, err := os.ReadFile(filepath.Join(r.Dir, ".git", "index"))
			if err != nil {
				t.Fatal(err)
			}
			idx, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if int(idx.Version) != version && !(version == 2 && idx.Version == 3) {
				t.Errorf("version %d, git wrote %d", idx.Version, version)
			}
			var got []string
			for _, e := range idx.Entries {
				got = append(got, fmt.Sprintf("%06o %s %d\t%s", e.Mode, e.Hash, e.Stage, e.Name))
				if e.IntentToAdd != (e.Name == "new.txt") || e.SkipWorktree != (e.Name == "d/e/c.txt") {
					t.Errorf("%s: intent-to-add %v, skip-worktree %v", e.Name, e.IntentToAdd, e.SkipWorktree)
				}
			}
			want := strings.Split(r.Git("-c", "core.quotePath=false", "ls-files", "-s"), "\n")
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("Parse:\n%s\ngit ls-files -s:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}

			var gg index.Index
			if err := index.NewDecoder(bytes.NewReader(b)).Decode(&gg); err != nil {
				t.Fatalf("go-git: %v", err)
			}
			if len(gg.Entries) != len(idx.Entries) {
				t.Fatalf("go-git: %d entries, Parse %d", len(gg.Entries), len(idx.Entries))
			}
			for i, e := range gg.Entries {
				o := idx.Entries[i]
				if e.Name != o.Name || e.Hash != o.Hash || uint32(e.Mode) != o.Mode || uint8(e.Stage) != o.Stage ||
					e.IntentToAdd != o.IntentToAdd || e.SkipWorktree != o.SkipWorktree {
					t.Errorf("entry %d: go-git %+v, Parse %+v", i, e, o)
				}
			}
		})
	}
}

// BenchmarkParseVsGoGit compares Parse with go-git's index decoder on an index of
// 50,000 paths, at versions 2 and 4 (prefix-compressed names). The bytes
// are the index file's.
func BenchmarkParseVsGoGit(b *testing.B) {
	for _, version := range []int{2, 4} {
		data := bigIndex(b, 50000, version)
		b.Run(fmt.Sprintf("v%d/ours", version), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("v%d/gogit", version), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				var idx index.Index
				if err := index.NewDecoder(bytes.NewReader(data)).Decode(&idx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
