package source

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"golang.org/x/sys/windows"
)

// TestDirWindowsPaths checks that roots given with backslashes, relative,
// absolute or mixed, are walked and reported with forward slashes.
func TestDirWindowsPaths(t *testing.T) {
	root := t.TempDir()
	tr := dirBuild(t, root, dirFixture{"app.env": "TOKEN", "sub/app.env": "TOKEN", "sub/deep/x.txt": "TOKEN"})
	t.Chdir(root)
	abs := filepath.ToSlash(root)
	for _, c := range []struct {
		roots []string
		want  map[string]string
	}{
		{[]string{`sub\deep`}, map[string]string{"sub/deep/x.txt": "sub/deep/x.txt"}},
		{[]string{`.\sub\app.env`}, map[string]string{"sub/app.env": "sub/app.env"}},
		{[]string{root + `\sub\deep\`}, map[string]string{abs + "/sub/deep/x.txt": "sub/deep/x.txt"}},
		{[]string{root + `/sub\app.env`}, map[string]string{abs + "/sub/app.env": "sub/app.env"}},
		// Rooted on the current drive, without a drive letter.
		{[]string{root[2:] + `\sub\deep`}, map[string]string{filepath.ToSlash(root[2:]) + "/sub/deep/x.txt": "sub/deep/x.txt"}},
	} {
		t.Run(strings.Join(c.roots, ","), func(t *testing.T) {
			if onWine() && strings.HasPrefix(c.roots[0], `\`) {
				t.Skip("Wine takes a path that starts with a slash for a Unix path, not one on the current drive")
			}
			found, problems := dirScan(t, Dir{Roots: c.roots})
			for _, p := range problems {
				t.Errorf("problem: %v", p)
			}
			dirCheck(t, tr, found, c.want)
		})
	}
}

// TestDirWindowsLongPath checks that a file whose path is longer than
// MAX_PATH (260 characters) is found.
func TestDirWindowsLongPath(t *testing.T) {
	root := t.TempDir()
	seg := strings.Repeat("d", 60)
	rel := strings.Join([]string{seg, seg, seg, seg, seg}, "/") + "/deep.txt"
	tr := dirBuild(t, root, dirFixture{rel: "TOKEN", "short.txt": "TOKEN"})
	if n := len(filepath.Join(root, rel)); n <= 260 {
		t.Fatalf("path is %d characters, want more than 260", n)
	}
	found, problems := dirScan(t, Dir{Roots: []string{root}})
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	dirCheck(t, tr, found, dirWant(root, rel, "short.txt"))
}

// TestDirWindowsReservedNames checks that files named as Windows devices
// ("nul", "con.txt") or with a trailing dot or space, which only a \\?\
// path can make, are read as the files they are: never the device.
func TestDirWindowsReservedNames(t *testing.T) {
	root := t.TempDir()
	tr := dirBuild(t, root, dirFixture{"plain.txt": "TOKEN"})
	names := []string{"nul", "con.txt", "aux", "dot.", "space "}
	g := tokentest.New(99)
	for _, n := range names {
		tok := g.Token("dt0c01")
		if err := os.WriteFile(`\\?\`+filepath.Join(root, n), []byte("k="+tok.Text+"\n"), 0o644); err != nil {
			t.Skipf("cannot make a file named %q here: %v", n, err)
		}
		tr.tokens[n] = tok
	}
	found, problems := dirScan(t, Dir{Roots: []string{root}})
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	dirCheck(t, tr, found, dirWant(root, append(names, "plain.txt")...))
}

// TestDirWindowsLocked checks that a file another process holds open
// without sharing (a sharing violation) is a problem naming it, and that
// the walk goes on.
func TestDirWindowsLocked(t *testing.T) {
	root := t.TempDir()
	tr := dirBuild(t, root, dirFixture{"locked.txt": "TOKEN", "ok.txt": "TOKEN", "sub/ok.txt": "TOKEN"})
	name, err := windows.UTF16PtrFromString(filepath.Join(root, "locked.txt"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := windows.CreateFile(name, windows.GENERIC_READ, 0 /* no sharing */, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CloseHandle(h)
	found, problems := dirScan(t, Dir{Roots: []string{root}})
	dirCheck(t, tr, found, dirWant(root, "ok.txt", "sub/ok.txt"))
	if len(problems) != 1 || problems[0].Path != filepath.ToSlash(root)+"/locked.txt" || !errors.Is(problems[0].Err, windows.ERROR_SHARING_VIOLATION) {
		t.Errorf("problems = %v, want one sharing violation on locked.txt", problems)
	}
}

// TestDirWindowsJunction checks that a junction inside a walk is not
// followed, and that a root that is one is.
func TestDirWindowsJunction(t *testing.T) {
	base := t.TempDir()
	tr := dirBuild(t, base, dirFixture{"outside/secret.txt": "TOKEN", "root/real.txt": "TOKEN"})
	junction := filepath.Join(base, "root", "junction")
	out, err := exec.Command("cmd", "/c", "mklink", "/J", junction, filepath.Join(base, "outside")).CombinedOutput()
	if err != nil {
		t.Skipf("cannot make a junction here (Wine 8 has no reparse points): %v: %s", err, out)
	}
	if fi, err := os.Lstat(junction); err != nil || fi.IsDir() {
		t.Skipf("mklink /J made no junction here: %v", err)
	}
	found, problems := dirScan(t, Dir{Roots: []string{filepath.Join(base, "root")}})
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	dirCheck(t, tr, found, dirWant(filepath.Join(base, "root"), "real.txt"))

	found, problems = dirScan(t, Dir{Roots: []string{junction}})
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	dirCheck(t, tr, found, map[string]string{filepath.ToSlash(junction) + "/secret.txt": "outside/secret.txt"})
}

// dirTestPath is the name to create a fixture file by: a \\?\ path, so that
// a name such as "sp " (a trailing space) is created as it is written.
func dirTestPath(p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	return `\\?\` + filepath.Clean(p)
}

// onWine reports whether the test runs under Wine, which differs from
// Windows in ways the tests must step around.
func onWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}
