package history

import (
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/gittest"
)

// TestShallowNote (issue 11, item 25): a shallow clone is scanned without
// a problem, with a note that its history is partial; a full clone gets
// no note.
func TestShallowNote(t *testing.T) {
	src := gittest.New(t)
	for i := range 3 {
		src.Write("a.txt", strings.Repeat("x", i+1))
		src.Commit("c")
	}
	for _, depth := range []string{"", "1"} {
		clone := &gittest.Repo{T: t, Dir: t.TempDir(), Home: src.Home}
		args := []string{"clone", "-q", "--no-local"}
		if depth != "" {
			args = append(args, "--depth", depth)
		}
		clone.GitIn(src.Dir, append(args, "file://"+src.Dir, clone.Dir)...)
		shallow := clone.Git("rev-parse", "--is-shallow-repository") == "true"
		if shallow != (depth != "") {
			t.Fatalf("depth %q: git says shallow %v", depth, shallow)
		}
		for _, rng := range []string{"", "HEAD"} {
			h := &Source{Path: clone.Dir, Since: rng}
			res := scan(t, h)
			checkClean(t, res)
			notes := h.Notes()
			noted := len(notes) == 1 && strings.Contains(notes[0], "shallow")
			if noted != shallow || !shallow && len(notes) > 0 {
				t.Errorf("depth %q since %q: notes %q", depth, rng, notes)
			}
		}
	}
}
