package history

import (
	"slices"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestParseTree(t *testing.T) {
	target := plumbing.NewHash("1111111111111111111111111111111111111111")
	other := plumbing.NewHash("2222222222222222222222222222222222222222")
	sub := plumbing.NewHash("3333333333333333333333333333333333333333")
	entry := func(mode, name string, h plumbing.Hash) string { return mode + " " + name + "\x00" + string(h[:]) }
	tree := entry("100644", "a.env", target) + entry("100644", "b.txt", other) + entry("40000", "dir", sub) +
		entry("160000", "mod", target) + entry("120000", "link", target)
	tp := &treeParser{names: map[string]string{}}
	got, err := tp.parse([]byte(tree), map[plumbing.Hash]bool{target: true}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []treeEntry{{name: "a.env", hash: target}, {name: "dir", hash: sub, dir: true}, {name: "link", hash: target}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"100644 a.env", "10x644 a\x00" + string(target[:]), "100644 a\x00short", " a\x00" + string(target[:])} {
		if _, err := tp.parse([]byte(bad), nil, true); err == nil {
			t.Errorf("parse of a bad tree: no error")
		}
	}
}

// FuzzParseTree checks that no tree makes the parser panic.
func FuzzParseTree(f *testing.F) {
	f.Add([]byte("100644 a.env\x00aaaaaaaaaaaaaaaaaaaa40000 d\x00bbbbbbbbbbbbbbbbbbbb"))
	f.Add([]byte("7777777777777777777777 x\x00cccccccccccccccccccc"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tp := &treeParser{names: map[string]string{}}
		tp.parse(b, map[plumbing.Hash]bool{}, true)
	})
}
