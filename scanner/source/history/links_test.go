package history

import (
	"crypto/sha1"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/scanner"
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

func TestTreeLinks(t *testing.T) {
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
			err := checkTreeLinks(c.data, c.base, exists, func(dir bool, name []byte, h plumbing.Hash) {
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

// TestMissingLinks packs trees that name objects the store lacks,
// some of them deltas of a tree that names only what exists, and loose
// ones too: every missing object is a problem naming it, the rest of the
// store is still scanned, and what exists is never called missing.
func TestMissingLinks(t *testing.T) {
	g := gittest.New(t)
	var files []string
	for i := range 60 {
		files = append(files, fmt.Sprintf("file%02d.txt", i))
		g.Write(files[i], fmt.Sprintf("content %d\n", i))
	}
	g.Commit("many files")
	g.Git("repack", "-q", "-a", "-d")
	base := g.Git("rev-parse", "HEAD^{tree}")
	ls := strings.Split(g.Git("ls-tree", base), "\n")
	lost := map[string]bool{}
	var packed []string
	// Three trees, each the base tree with one entry pointing elsewhere:
	// small changes of a large tree, which pack-objects stores as deltas.
	for i, n := range []int{7, 30, 52} {
		entries := slices.Clone(ls)
		h := fmt.Sprintf("%040x", sha1.Sum(fmt.Appendf(nil, "lost %d", i)))
		entries[n] = fmt.Sprintf("100644 blob %s\t%s", h, files[n])
		lost[h] = true
		cmd := g.GitInput(strings.Join(entries, "\n")+"\n", "mktree", "--missing")
		packed = append(packed, cmd)
	}
	list := strings.Join(append([]string{base}, packed...), "\n") + "\n"
	g.GitInput(list, "pack-objects", "-q", filepath.Join(g.Dir, ".git", "objects", "pack", "pack"))
	for _, tr := range packed {
		os.Remove(filepath.Join(g.Dir, ".git", "objects", tr[:2], tr[2:]))
	}
	// And a loose tree naming a missing subtree.
	h := fmt.Sprintf("%040x", sha1.Sum([]byte("lost dir")))
	lost[h] = true
	g.GitInput(fmt.Sprintf("040000 tree %s\tgone\n", h), "mktree", "--missing")

	res := scan(t, &Source{Path: g.Dir})
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

// TestAlternates scans clones whose history lives in another
// repository's store: one made with --shared (an absolute path in
// objects/info/alternates) and one borrowing through a relative path, as
// forges' fork pools do. The borrowed history is scanned and traced like
// the clone's own, with no problem; a borrowed store that is gone is a
// problem naming it, and what the clone holds is still found.
func TestAlternates(t *testing.T) {
	gen := tokentest.New(60)
	shared, local := gen.Token("dt0c01"), gen.Token("dt0s16")
	origin := gittest.New(t)
	origin.Write("README", "base\n")
	origin.Commit("base")
	origin.Write("old.env", "K="+shared.Text+"\n")
	sharedCommit := origin.Commit("shared history")
	origin.Git("repack", "-q", "-a", "-d")

	clone := func(t *testing.T) *gittest.Repo {
		c := gittest.At(t, filepath.Join(t.TempDir(), "clone"))
		origin.GitIn(origin.Dir, "clone", "-q", "--shared", origin.Dir, c.Dir)
		c.Write("new.env", "K="+local.Text+"\n")
		c.Commit("local work")
		return c
	}
	alternates := func(c *gittest.Repo) string { return filepath.Join(c.Dir, ".git", "objects", "info", "alternates") }
	want := func(t *testing.T, res scanner.Result, noUnreachable bool) {
		t.Helper()
		found := map[string]scanner.Finding{}
		for _, f := range res.Findings {
			found[string(f.ID)] = f
		}
		if len(res.Findings) != 2 || found[shared.ID].Origin.Commit != sharedCommit || found[local.ID].Path != "new.env" {
			t.Errorf("NoUnreachable=%v: findings %v; want %s traced to %s and %s", noUnreachable, gots(res.Findings), shared.ID, sharedCommit[:12], local.ID)
		}
	}

	t.Run("absolute", func(t *testing.T) {
		c := clone(t)
		for _, noUnreachable := range []bool{false, true} {
			res := scan(t, &Source{Path: c.Dir, NoUnreachable: noUnreachable})
			checkClean(t, res)
			want(t, res, noUnreachable)
		}
		res := scan(t, &Source{Path: c.Dir, Range: "HEAD~2..HEAD"})
		checkClean(t, res)
		if len(res.Findings) != 2 {
			t.Errorf("range: findings %v; want both tokens", gots(res.Findings))
		}
	})
	t.Run("relative", func(t *testing.T) {
		c := clone(t)
		rel, err := filepath.Rel(filepath.Join(c.Dir, ".git", "objects"), filepath.Join(origin.Dir, ".git", "objects"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(alternates(c), []byte("# a pool\n"+rel+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		res := scan(t, &Source{Path: c.Dir})
		checkClean(t, res)
		want(t, res, false)
	})
	t.Run("gone", func(t *testing.T) {
		c := clone(t)
		gone := filepath.Join(t.TempDir(), "gone", "objects")
		if err := os.WriteFile(alternates(c), []byte(gone+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		res := scan(t, &Source{Path: c.Dir})
		if len(res.Findings) != 1 || string(res.Findings[0].ID) != local.ID {
			t.Errorf("findings %v; want %s", gots(res.Findings), local.ID)
		}
		named := false
		for _, p := range res.Problems {
			named = named || strings.Contains(p.Error(), gone)
		}
		if !named {
			t.Errorf("problems %v; want one naming %s", res.Problems, gone)
		}
	})
}
