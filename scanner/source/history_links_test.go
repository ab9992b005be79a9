package source

import (
	"crypto/sha1"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// linkTree builds tree object data from "MODE NAME HASHSEED" lines, in the
// order given (so that a test can build an unsorted tree).
func linkTree(entries ...string) []byte {
	var b []byte
	for _, e := range entries {
		f := strings.Fields(e)
		h := sha1.Sum([]byte(f[2]))
		b = fmt.Appendf(b, "%s %s\x00", f[0], f[1])
		b = append(b, h[:]...)
	}
	return b
}

func linkHash(seed string) plumbing.Hash { return plumbing.Hash(sha1.Sum([]byte(seed))) }

func TestHistoryTreeLinks(t *testing.T) {
	known := map[plumbing.Hash]bool{linkHash("a1"): true, linkHash("d1"): true}
	cases := []struct {
		name       string
		data, base []byte
		looked     []string // the seeds looked up, in order
		missing    []string // "name seed" of the entries reported
		err        bool
	}{
		{"whole tree: every entry looked up",
			linkTree("100644 a a1", "40000 d d1", "100644 z z1"), nil,
			[]string{"a1", "d1", "z1"}, []string{"z z1"}, false},
		{"delta: unchanged entries are not looked up again",
			linkTree("100644 a a1", "40000 d d2", "100644 z z1"),
			linkTree("100644 a a1", "40000 d d1", "100644 z z1"),
			[]string{"d2"}, []string{"d d2"}, false},
		{"delta: an added entry and a mode change are looked up",
			linkTree("100644 a a1", "100644 b b1", "100755 z z1"),
			linkTree("100644 a a1", "100644 z z1"),
			[]string{"b1", "z1"}, []string{"b b1", "z z1"}, false},
		{"delta: a renamed entry is looked up",
			linkTree("100644 b a1"), linkTree("100644 a a1"),
			[]string{"a1"}, nil, false},
		{"submodules name another repository's commits",
			linkTree("160000 sub s1", "100644 z z1"), nil,
			[]string{"z1"}, []string{"z z1"}, false},
		{"unsorted tree: entries are looked up, never skipped wrongly",
			linkTree("100644 z z1", "100644 a a1"),
			linkTree("100644 a a1", "100644 z z1"),
			[]string{"a1"}, nil, false},
		{"a base that does not parse means every entry is looked up",
			linkTree("100644 a a1", "100644 z z1"), []byte("100644 a\x00short"),
			[]string{"a1", "z1"}, []string{"z z1"}, false},
		{"a tree that does not parse is an error",
			append(linkTree("100644 a a1"), "100644 broken"...), nil,
			[]string{"a1"}, nil, true},
		{"a bad mode is an error", linkTree("10x644 a a1"), nil, nil, nil, true},
		{"empty tree", nil, nil, nil, nil, false},
	}
	seeds := map[plumbing.Hash]string{}
	for _, s := range []string{"a1", "b1", "d1", "d2", "s1", "z1"} {
		seeds[linkHash(s)] = s
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var looked, missing []string
			exists := func(h plumbing.Hash) bool {
				looked = append(looked, seeds[h])
				return known[h]
			}
			err := histTreeLinks(c.data, c.base, exists, func(dir bool, name []byte, h plumbing.Hash) {
				missing = append(missing, string(name)+" "+seeds[h])
			})
			if (err != nil) != c.err {
				t.Errorf("err = %v; want error %v", err, c.err)
			}
			if !slices.Equal(looked, c.looked) {
				t.Errorf("looked up %q; want %q", looked, c.looked)
			}
			if !slices.Equal(missing, c.missing) {
				t.Errorf("missing %q; want %q", missing, c.missing)
			}
		})
	}
}

// TestHistoryMissingLinks packs trees that name objects the store lacks,
// some of them deltas of a tree that names only what exists, and loose
// ones too: every missing object is a problem naming it, the rest of the
// store is still scanned, and what exists is never called missing.
func TestHistoryMissingLinks(t *testing.T) {
	g := newHistGit(t)
	var files []string
	for i := range 60 {
		files = append(files, fmt.Sprintf("file%02d.txt", i))
		g.write(files[i], fmt.Sprintf("content %d\n", i))
	}
	g.commit("many files")
	g.git("repack", "-q", "-a", "-d")
	base := g.git("rev-parse", "HEAD^{tree}")
	ls := strings.Split(g.git("ls-tree", base), "\n")
	lost := map[string]bool{}
	var packed []string
	// Three trees, each the base tree with one entry pointing elsewhere:
	// small changes of a large tree, which pack-objects stores as deltas.
	for i, n := range []int{7, 30, 52} {
		entries := slices.Clone(ls)
		h := fmt.Sprintf("%040x", sha1.Sum(fmt.Appendf(nil, "lost %d", i)))
		entries[n] = fmt.Sprintf("100644 blob %s\t%s", h, files[n])
		lost[h] = true
		cmd := g.gitWithInput(strings.Join(entries, "\n")+"\n", "mktree", "--missing")
		packed = append(packed, cmd)
	}
	list := strings.Join(append([]string{base}, packed...), "\n") + "\n"
	g.gitWithInput(list, "pack-objects", "-q", filepath.Join(g.dir, ".git", "objects", "pack", "pack"))
	for _, tr := range packed {
		os.Remove(filepath.Join(g.dir, ".git", "objects", tr[:2], tr[2:]))
	}
	// And a loose tree naming a missing subtree.
	h := fmt.Sprintf("%040x", sha1.Sum([]byte("lost dir")))
	lost[h] = true
	g.gitWithInput(fmt.Sprintf("040000 tree %s\tgone\n", h), "mktree", "--missing")

	res := histScan(t, &History{Path: g.dir})
	if len(res.Problems) != len(lost) {
		t.Errorf("%d problems; want %d: %v", len(res.Problems), len(lost), res.Problems)
	}
	for _, p := range res.Problems {
		named := 0
		for h := range lost {
			if strings.Contains(p.Error(), h) {
				named++
			}
		}
		if named != 1 || !strings.Contains(p.Error(), "missing from the repository") {
			t.Errorf("problem %q does not name one missing object", p.Error())
		}
	}
	if res.Stats.Items < 60 {
		t.Errorf("%d items scanned; the 60 blobs beside the damage were not all read", res.Stats.Items)
	}
}

// TestHistoryAlternates scans a clone made with --shared, whose history
// lives in another repository's store: the token committed in the clone is
// found, the borrowed history is named as not scanned (one problem, not one
// per object the clone's trees and refs name), and scanning the other
// repository finds what it holds.
func TestHistoryAlternates(t *testing.T) {
	gen := tokentest.New(60)
	shared, local := gen.Token("dt0c01"), gen.Token("dt0s16")
	origin := newHistGit(t)
	origin.write("old.env", "K="+shared.Text+"\n")
	origin.commit("shared history")
	clone := &histGit{t: t, dir: filepath.Join(t.TempDir(), "clone"), home: origin.home}
	origin.gitIn(origin.dir, "clone", "-q", "--shared", origin.dir, clone.dir)
	clone.write("new.env", "K="+local.Text+"\n")
	clone.commit("local work")

	for _, noUnreachable := range []bool{false, true} {
		res := histScan(t, &History{Path: clone.dir, NoUnreachable: noUnreachable})
		if len(res.Findings) != 1 || string(res.Findings[0].ID) != local.ID {
			t.Errorf("NoUnreachable=%v: findings %v; want only %s", noUnreachable, gots(res.Findings), local.ID)
		}
		if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Error(), "borrows objects from "+filepath.Join(origin.dir, ".git", "objects")) {
			t.Errorf("NoUnreachable=%v: problems %v; want one naming the borrowed store", noUnreachable, res.Problems)
		}
	}
	res := histScan(t, &History{Path: origin.dir})
	checkClean(t, res)
	if len(res.Findings) != 1 || string(res.Findings[0].ID) != shared.ID {
		t.Errorf("origin: findings %v; want %s", gots(res.Findings), shared.ID)
	}
}
