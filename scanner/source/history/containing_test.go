package history

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/gittest"
)

// RefsContaining agrees with git branch -a --contains and git tag
// --contains, annotated tags and merges included.
func TestRefsContaining(t *testing.T) {
	r := gittest.New(t)
	r.Write("a", "1")
	c1 := r.Commit("one")
	r.Git("tag", "-a", "-m", "v1", "v1")
	r.Git("checkout", "-q", "-b", "side")
	r.Write("b", "2")
	c2 := r.Commit("two")
	r.Git("checkout", "-q", "main")
	r.Write("c", "3")
	c3 := r.Commit("three")
	r.Git("tag", "light")
	r.Git("checkout", "-q", "-b", "merged")
	r.Git("merge", "-q", "--no-edit", "side")
	r.Git("checkout", "-q", "main")
	r.Git("update-ref", "refs/remotes/origin/main", c1)

	got, err := (&Source{Path: r.Dir}).RefsContaining(context.Background(), []string{c1, c2, c3})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{c1, c2, c3} {
		var want []string
		for _, line := range strings.Split(r.Git("for-each-ref", "--contains", c, "--format=%(refname)", "refs/heads", "refs/remotes", "refs/tags"), "\n") {
			if line != "" {
				want = append(want, line)
			}
		}
		slices.Sort(want)
		if !slices.Equal(got[c], want) {
			t.Errorf("commit %.12s: %v, git says %v", c, got[c], want)
		}
	}
}
