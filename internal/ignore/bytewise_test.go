package ignore

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMatchBytewiseLikeGit (issue 11, item 13): "?" and bracket
// expressions match one byte, as in git, not one character. git
// check-ignore --no-index is the oracle for every pattern and path.
func TestMatchBytewiseLikeGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	patterns := []string{
		"backup-?.env", "backup-??.env", "backup-?", "[é].txt", "[!a].txt", "x[a-z].txt",
		"é?.txt", "?é.txt", "*.env", "d?r/", "\xff?", "[\xc3\xa9]x", "caf?", "caf??", "ü*", "[^é]y",
	}
	paths := []string{
		"backup-a.env", "backup-é.env", "backup-ab.env", "backup-é", "backup-\xc3",
		"é.txt", "a.txt", "b.txt", "xé.txt", "xb.txt", "éa.txt", "aé.txt", "\xc3.txt",
		"dér", "dir", "\xff\xfe", "\xffa", "éx", "\xc3x", "café", "cafe", "über", "éy", "ay", "\xa9y",
	}
	dir := t.TempDir()
	git := func(stdin []byte, args ...string) ([]byte, error) {
		x := exec.Command("git", args...)
		x.Dir = dir
		x.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		x.Stdin = bytes.NewReader(stdin)
		return x.Output()
	}
	if _, err := git(nil, "init", "-q"); err != nil {
		t.Fatal(err)
	}
	for _, pat := range patterns {
		if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte(pat+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		l := Parse([]byte(pat + "\n"))
		for _, isDir := range []bool{false, true} {
			var in bytes.Buffer
			for _, p := range paths {
				in.WriteString(p)
				if isDir {
					in.WriteString("/")
				}
				in.WriteByte(0)
			}
			out, err := git(in.Bytes(), "check-ignore", "--no-index", "--stdin", "-z", "-v", "-n")
			if err != nil && len(out) == 0 {
				t.Fatalf("git check-ignore: %v", err)
			}
			// -v -n -z: source, line, pattern, path for every path; an
			// empty source means no rule matched.
			f := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
			if len(f) != 4*len(paths) {
				t.Fatalf("git check-ignore gave %d fields for %d paths", len(f), len(paths))
			}
			for i, p := range paths {
				gitIgn := f[4*i] != "" && !strings.HasPrefix(f[4*i+2], "!")
				ign, _ := l.Match(p, p, isDir)
				if ign != gitIgn {
					t.Errorf("pattern %q, path %q (dir %v): ignored %v; git says %v", pat, p, isDir, ign, gitIgn)
				}
			}
		}
	}
}
