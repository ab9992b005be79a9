package main

// Issue 11, item 1: a token in a file or directory name, or in a path of
// a repository's tree, is a finding of its own (location "path") and is
// shown redacted, like every token, in every format.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// jsonLocated is a JSON finding with its location.
type jsonLocated struct {
	TokenID  string `json:"token_id"`
	Path     string `json:"path"`
	Location string `json:"location"`
	Column   int    `json:"column"`
}

// namesCorpus builds a repository whose committed tree holds a directory
// and a file named after tokens (one of the files also holding a token),
// and a staged file named after another token.
func namesCorpus(t *testing.T) (dir string, dirTok, fileTok, inside, staged tokentest.Token) {
	t.Helper()
	g := tokentest.New(1101)
	dirTok, fileTok, inside, staged = g.Token("dt0c01"), g.Token("dt0s16"), g.Token("dt0c01"), g.Token("dt0c01")
	dir = newRepo(t)
	commit(t, dir, "empty start", nil)
	write := func(name, content string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(content), 0o644))
	}
	write("d/cache-"+fileTok.Text+".txt", "nothing here\n")
	write("k-"+dirTok.Text+"/x.env", "T="+inside.Text+"\n")
	commit(t, dir, "names", nil)
	write("s/new-"+staged.Text+".txt", "clean\n")
	git(t, dir, "add", "s")
	return dir, dirTok, fileTok, inside, staged
}

func TestNamesRedactedInEveryFormat(t *testing.T) {
	dir, dirTok, fileTok, inside, staged := namesCorpus(t)
	all := map[string]tokentest.Token{"dir": dirTok, "file": fileTok, "inside": inside, "staged": staged}
	for _, mode := range [][]string{{"scan", "."}, {"history"}, {"staged"}} {
		for _, format := range []string{"text", "json", "sarif", "github", "markdown"} {
			args := []string{mode[0], "--no-color"}
			out := filepath.Join(t.TempDir(), "report")
			if format == "markdown" {
				args = append(args, "--report", "markdown="+out)
			} else {
				args = append(args, "--format", format, "--output", out)
			}
			args = append(args, mode[1:]...)
			r := dtleaks(t, dir, args...)
			noCrash(t, r)
			noLeak(t, r, all)
			data, err := os.ReadFile(out)
			must(t, err)
			noLeak(t, result{stdout: data}, all)
			if r.code != 1 {
				t.Errorf("%s %s: exit %d, want 1 (stderr %s)", mode[0], format, r.code, shown(r.stderr, dirTok, fileTok, inside, staged))
			}
		}
	}
}

func TestNamesAreFindings(t *testing.T) {
	dir, dirTok, fileTok, inside, staged := namesCorpus(t)
	all := map[string]tokentest.Token{"dir": dirTok, "file": fileTok, "inside": inside, "staged": staged}
	run := func(args ...string) []string {
		t.Helper()
		r := dtleaks(t, dir, append(args, "--format", "json")...)
		noCrash(t, r)
		noLeak(t, r, all)
		var fs []jsonLocated
		if err := json.Unmarshal(r.stdout, &fs); err != nil {
			t.Fatalf("%s: stdout is not JSON: %v", args[0], err)
		}
		var got []string
		for _, f := range fs {
			got = append(got, f.Location+" "+f.TokenID+" "+f.Path)
		}
		slices.Sort(got)
		return got
	}
	red := func(tok tokentest.Token) string { return tok.ID + ".****" }
	if got, want := run("staged"), []string{
		"path " + staged.ID + " s/new-" + red(staged) + ".txt",
	}; !slices.Equal(got, want) {
		t.Errorf("staged findings:\n%s\nwant:\n%s", shown([]byte(strings.Join(got, "\n")), dirTok, fileTok, inside, staged), strings.Join(want, "\n"))
	}
	want := []string{
		" " + inside.ID + " k-" + red(dirTok) + "/x.env",
		"path " + dirTok.ID + " k-" + red(dirTok) + "/x.env",
		"path " + fileTok.ID + " d/cache-" + red(fileTok) + ".txt",
		"path " + staged.ID + " s/new-" + red(staged) + ".txt",
	}
	slices.Sort(want)
	if got := run("scan"); !slices.Equal(got, want) {
		t.Errorf("scan findings:\n%s\nwant:\n%s", shown([]byte(strings.Join(got, "\n")), dirTok, fileTok, inside, staged), strings.Join(want, "\n"))
	}
	// History: the tree entries, a directory's at its own path.
	want = []string{
		" " + inside.ID + " k-" + red(dirTok) + "/x.env",
		"path " + dirTok.ID + " k-" + red(dirTok),
		"path " + fileTok.ID + " d/cache-" + red(fileTok) + ".txt",
	}
	slices.Sort(want)
	if got := run("history"); !slices.Equal(got, want) {
		t.Errorf("history findings:\n%s\nwant:\n%s", shown([]byte(strings.Join(got, "\n")), dirTok, fileTok, inside, staged), strings.Join(want, "\n"))
	}
	// A range: the paths it introduces, with the files' own.
	want = []string{
		" " + inside.ID + " k-" + red(dirTok) + "/x.env",
		"path " + dirTok.ID + " k-" + red(dirTok) + "/x.env",
		"path " + fileTok.ID + " d/cache-" + red(fileTok) + ".txt",
	}
	slices.Sort(want)
	if got := run("history", "--range", "HEAD~1..HEAD"); !slices.Equal(got, want) {
		t.Errorf("history --range findings:\n%s\nwant:\n%s", shown([]byte(strings.Join(got, "\n")), dirTok, fileTok, inside, staged), strings.Join(want, "\n"))
	}
}
