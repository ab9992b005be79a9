package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/scanner"
)

// dirFixture is a tree to build: each path ending in "/" is a directory,
// each other path a file whose content is given, where the word TOKEN is
// replaced by a generated token of its own.
type dirFixture map[string]string

// dirTree is a built fixture: the token planted in each file.
type dirTree struct {
	root   string
	tokens map[string]tokentest.Token // by path relative to root
}

// dirBuild writes fx under root. Tokens come from a fixed seed, in sorted
// path order, so a re-executed test binary makes the same ones.
func dirBuild(t testing.TB, root string, fx dirFixture) *dirTree {
	t.Helper()
	g := tokentest.New(7)
	tr := &dirTree{root: root, tokens: map[string]tokentest.Token{}}
	paths := make([]string, 0, len(fx))
	for p := range fx {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		full := filepath.Join(root, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		content := fx[p]
		if strings.Contains(content, "TOKEN") {
			tok := g.Token("dt0c01")
			tr.tokens[p] = tok
			content = strings.ReplaceAll(content, "TOKEN", tok.Text)
		}
		if err := os.WriteFile(dirTestPath(full), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// dirScan runs a real scan and returns the token IDs found, by item path,
// and the problems.
func dirScan(t testing.TB, src scanner.Source) (map[string][]string, []scanner.Problem) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := scanner.Scan(ctx, src, scanner.Options{})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	found := map[string][]string{}
	for _, f := range res.Findings {
		found[f.Path] = append(found[f.Path], string(f.ID))
	}
	return found, res.Problems
}

// dirCheck compares what a scan found with the files expected to be
// scanned (paths as the items name them, each mapped to the fixture path
// whose token it holds). It names paths and token IDs only.
func dirCheck(t *testing.T, tr *dirTree, found map[string][]string, want map[string]string) {
	t.Helper()
	for item, fx := range want {
		tok, ok := tr.tokens[fx]
		if !ok {
			t.Fatalf("fixture %q has no token", fx)
		}
		if got := found[item]; !slices.Equal(got, []string{tok.ID}) {
			t.Errorf("%q: found IDs %v, want [%s]", item, got, tok.ID)
		}
	}
	for item, ids := range found {
		if _, ok := want[item]; !ok {
			t.Errorf("%q: found IDs %v, want the file not scanned", item, ids)
		}
	}
}

// dirWant maps fixture paths to item paths under the given item root.
func dirWant(itemRoot string, fxPaths ...string) map[string]string {
	m := map[string]string{}
	for _, p := range fxPaths {
		m[dirJoin(filepath.ToSlash(itemRoot), p)] = p
	}
	return m
}

// dirGit makes dir the top of a git repository, as far as a walk can tell.
func dirGit(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, ".git", "info"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestDirIgnore(t *testing.T) {
	tests := []struct {
		name     string
		repo     bool // a .git directory at the root
		noIgnore bool
		fx       dirFixture
		want     []string // fixture paths whose token is found
	}{{
		name: "negation",
		repo: true,
		fx: dirFixture{
			".gitignore":        "*.log\n!important.log\n",
			"a.log":             "TOKEN",
			"important.log":     "TOKEN",
			"sub/b.log":         "TOKEN",
			"sub/important.log": "TOKEN",
			"sub/c.txt":         "TOKEN",
		},
		want: []string{"important.log", "sub/important.log", "sub/c.txt"},
	}, {
		name: "dir-only",
		repo: true,
		fx: dirFixture{
			".gitignore":       "build/\n",
			"build/out.bin":    "TOKEN",
			"sub/build/x.txt":  "TOKEN",
			"other/build":      "TOKEN", // a file named build
			"other/builder.go": "TOKEN",
		},
		want: []string{"other/build", "other/builder.go"},
	}, {
		name: "anchored",
		repo: true,
		fx: dirFixture{
			".gitignore":       "/top.txt\ndocs/*.md\na/b\n",
			"top.txt":          "TOKEN",
			"sub/top.txt":      "TOKEN",
			"docs/a.md":        "TOKEN",
			"docs/deep/b.md":   "TOKEN",
			"x/docs/a.md":      "TOKEN",
			"a/b":              "TOKEN",
			"x/a/b":            "TOKEN",
			"docs/readme.txt":  "TOKEN",
			"a/bc":             "TOKEN",
			"anchored-kept.md": "TOKEN",
		},
		want: []string{"sub/top.txt", "docs/deep/b.md", "x/docs/a.md", "x/a/b", "docs/readme.txt", "a/bc", "anchored-kept.md"},
	}, {
		name: "nested file relative to its directory",
		repo: true,
		fx: dirFixture{
			"sub/.gitignore":        "/local.txt\nsecret.*\n",
			"local.txt":             "TOKEN",
			"sub/local.txt":         "TOKEN",
			"sub/deeper/local.txt":  "TOKEN",
			"secret.env":            "TOKEN",
			"sub/secret.env":        "TOKEN",
			"sub/deeper/secret.env": "TOKEN",
		},
		want: []string{"local.txt", "sub/deeper/local.txt", "secret.env"},
	}, {
		name: "nested negation overrides parent",
		repo: true,
		fx: dirFixture{
			".gitignore":      "*.txt\n",
			"sub/.gitignore":  "!keep.txt\n",
			"keep.txt":        "TOKEN",
			"sub/keep.txt":    "TOKEN",
			"sub/other.txt":   "TOKEN",
			"sub/d/keep.txt":  "TOKEN",
			"sub/d/other.txt": "TOKEN",
		},
		want: []string{"sub/keep.txt", "sub/d/keep.txt"},
	}, {
		name: "no re-include below an ignored directory",
		repo: true,
		fx: dirFixture{
			".gitignore":   "secret/\n!secret/a.txt\n",
			"secret/a.txt": "TOKEN",
			"plain.txt":    "TOKEN",
		},
		want: []string{"plain.txt"},
	}, {
		name: "contents of a directory and re-include",
		repo: true,
		fx: dirFixture{
			".gitignore":    "abc/**\n!abc/keep\nlib/*\n!lib/keep/\n",
			"abc/keep":      "TOKEN",
			"abc/x":         "TOKEN",
			"abc/d/y":       "TOKEN",
			"lib/x":         "TOKEN",
			"lib/keep/y":    "TOKEN",
			"lib/keep/z/w":  "TOKEN",
			"elsewhere/abc": "TOKEN",
		},
		want: []string{"abc/keep", "lib/keep/y", "lib/keep/z/w", "elsewhere/abc"},
	}, {
		name: "double star",
		repo: true,
		fx: dirFixture{
			".gitignore":      "**/gen/*.go\na/**/z.txt\n",
			"gen/a.go":        "TOKEN",
			"x/y/gen/b.go":    "TOKEN",
			"x/y/gen/c.txt":   "TOKEN",
			"a/z.txt":         "TOKEN",
			"a/b/c/z.txt":     "TOKEN",
			"b/a/z.txt":       "TOKEN",
			"x/gen/deep/d.go": "TOKEN",
		},
		want: []string{"x/y/gen/c.txt", "b/a/z.txt", "x/gen/deep/d.go"},
	}, {
		name: "glob characters",
		repo: true,
		fx: dirFixture{
			".gitignore": "file?.txt\n[!a]b.txt\nc++\n\\#hash\nsp\\ \n",
			"file1.txt":  "TOKEN",
			"file12.txt": "TOKEN",
			"xb.txt":     "TOKEN",
			"ab.txt":     "TOKEN",
			"c++":        "TOKEN",
			"#hash":      "TOKEN",
			"sp ":        "TOKEN",
			"sp":         "TOKEN",
		},
		want: []string{"file12.txt", "ab.txt", "sp"},
	}, {
		name: "info/exclude",
		repo: true,
		fx: dirFixture{
			".git/info/exclude": "excluded.txt\n",
			".gitignore":        "!sub/excluded.txt\n",
			"excluded.txt":      "TOKEN",
			"sub/excluded.txt":  "TOKEN",
			"kept.txt":          "TOKEN",
		},
		want: []string{"sub/excluded.txt", "kept.txt"},
	}, {
		name: "dtleaksignore at root and nested",
		repo: true,
		fx: dirFixture{
			".dtleaksignore":      "fixtures/\n",
			"fixtures/a.txt":      "TOKEN",
			"sub/.dtleaksignore":  "*.pem\n",
			"sub/key.pem":         "TOKEN",
			"key.pem":             "TOKEN",
			"sub/fixtures/b.txt":  "TOKEN",
			"sub/other/plain.txt": "TOKEN",
		},
		want: []string{"key.pem", "sub/other/plain.txt"},
	}, {
		name: "dtleaksignore decides before gitignore",
		repo: true,
		fx: dirFixture{
			".gitignore":     "*.env\n",
			".dtleaksignore": "!prod.env\nnotes.txt\n",
			"prod.env":       "TOKEN",
			"dev.env":        "TOKEN",
			"notes.txt":      "TOKEN",
		},
		want: []string{"prod.env"},
	}, {
		name: "not a repository",
		fx: dirFixture{
			".gitignore":       "*.env\n",
			"sub/.gitignore":   "*\n",
			".dtleaksignore":   "skip/\n",
			"app.env":          "TOKEN",
			"sub/x.txt":        "TOKEN",
			"skip/a.txt":       "TOKEN",
			".git-not-a-repo/": "",
		},
		want: []string{"app.env", "sub/x.txt"},
	}, {
		name:     "no ignore",
		repo:     true,
		noIgnore: true,
		fx: dirFixture{
			".gitignore":      "*.env\n",
			".dtleaksignore":  "skip/\n",
			"app.env":         "TOKEN",
			"skip/a.txt":      "TOKEN",
			".git/config":     "TOKEN",
			".git/objects/ab": "TOKEN",
		},
		want: []string{"app.env", "skip/a.txt"},
	}, {
		name: "hidden files and .git",
		repo: true,
		fx: dirFixture{
			".env":             "TOKEN",
			".hidden/dir/.x":   "TOKEN",
			".git/config":      "TOKEN",
			"sub/.git/HEAD":    "TOKEN", // a nested repository's .git
			"sub/.env.local":   "TOKEN",
			".gitignore":       "# nothing\n",
			".dtleaksignore":   "\n",
			"sub/.gitignore":   "",
			".github/ci.yml":   "TOKEN",
			"dir.git/file.txt": "TOKEN",
		},
		want: []string{".env", ".hidden/dir/.x", "sub/.env.local", ".github/ci.yml", "dir.git/file.txt"},
	}, {
		name: "nested repository",
		repo: true,
		fx: dirFixture{
			".gitignore":            "*.x\n",
			".dtleaksignore":        "*.y\n",
			"a.x":                   "TOKEN",
			"mod/.git/info/exclude": "excl.txt\n",
			"mod/.gitignore":        "*.z\n",
			"mod/b.x":               "TOKEN", // the parent's .gitignore stops at a repository
			"mod/c.y":               "TOKEN", // .dtleaksignore does not
			"mod/d.z":               "TOKEN",
			"mod/excl.txt":          "TOKEN",
			"excl.txt":              "TOKEN",
		},
		want: []string{"mod/b.x", "excl.txt"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if tt.repo {
				dirGit(t, root)
			}
			tr := dirBuild(t, root, tt.fx)
			found, problems := dirScan(t, Dir{Roots: []string{root}, NoIgnore: tt.noIgnore})
			for _, p := range problems {
				t.Errorf("problem: %v", p)
			}
			dirCheck(t, tr, found, dirWant(root, tt.want...))
		})
	}
}

// TestDirRootInRepo scans a directory below a repository's top: the
// ignore files from the top down apply, and items are named as the root
// was given.
func TestDirRootInRepo(t *testing.T) {
	top := t.TempDir()
	dirGit(t, top)
	tr := dirBuild(t, top, dirFixture{
		".git/info/exclude":        "/a/b/excluded.txt\n",
		".gitignore":               "*.secret\n/a/b/c/anchored.txt\n",
		".dtleaksignore":           "fixtures/\n",
		"a/.gitignore":             "*.tmp\n!keep.tmp\n",
		"a/b/x.secret":             "TOKEN",
		"a/b/y.tmp":                "TOKEN",
		"a/b/keep.tmp":             "TOKEN",
		"a/b/c/anchored.txt":       "TOKEN",
		"a/b/anchored.txt":         "TOKEN",
		"a/b/fixtures/f.txt":       "TOKEN",
		"a/b/excluded.txt":         "TOKEN",
		"a/b/plain.txt":            "TOKEN",
		"a/b/.gitignore":           "plain2.txt\n",
		"a/b/plain2.txt":           "TOKEN",
		"a/b/.dtleaksignore":       "!x.secret2\n",
		"a/b/x.secret2":            "TOKEN",
		"a/b/.gitignore-not-ig.go": "TOKEN",
	})
	t.Chdir(filepath.Join(top, "a"))
	found, problems := dirScan(t, Dir{Roots: []string{"b"}})
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	want := map[string]string{
		"b/keep.tmp":             "a/b/keep.tmp",
		"b/anchored.txt":         "a/b/anchored.txt",
		"b/plain.txt":            "a/b/plain.txt",
		"b/x.secret2":            "a/b/x.secret2",
		"b/.gitignore-not-ig.go": "a/b/.gitignore-not-ig.go",
	}
	dirCheck(t, tr, found, want)
}

// TestDirGitOracle checks the ignore rules against git itself: the files a
// walk scans are the untracked, not ignored files git lists.
func TestDirGitOracle(t *testing.T) {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	root := t.TempDir()
	fx := dirFixture{
		".gitignore":      "*.log\n!important.log\n/build/\ndocs/**/*.html\n**/tmp\nvendor/*\n!vendor/keep/\nfile?.txt\n[!x]y.md\na/**\n!a/b/\n*.o\n!*.o/\n",
		"x.o/in.c":        "TOKEN",
		"y.o":             "TOKEN",
		"a/b/c":           "TOKEN",
		"a/c":             "TOKEN",
		"a.log":           "TOKEN",
		"important.log":   "TOKEN",
		"d/important.log": "TOKEN",
		"d/e.log":         "TOKEN",
		"build/x":         "TOKEN",
		"d/build/x":       "TOKEN",
		"docs/a.html":     "TOKEN",
		"docs/x/y/b.html": "TOKEN",
		"docs/c.txt":      "TOKEN",
		"tmp":             "TOKEN",
		"d/tmp/x":         "TOKEN",
		"vendor/x/y":      "TOKEN",
		"vendor/keep/z":   "TOKEN",
		"vendor/z":        "TOKEN",
		"file1.txt":       "TOKEN",
		"file10.txt":      "TOKEN",
		"ay.md":           "TOKEN",
		"xy.md":           "TOKEN",
		"n/.gitignore":    "!*.log\n/only-here\ndeep/\n*.txt\n!keep*.txt\n",
		"n/f.log":         "TOKEN",
		"n/only-here":     "TOKEN",
		"n/m/only-here":   "TOKEN",
		"n/deep/x":        "TOKEN",
		"n/m/deep/x":      "TOKEN",
		"n/t.txt":         "TOKEN",
		"n/keep1.txt":     "TOKEN",
		"n/m/.gitignore":  "!t.txt\n",
		"n/m/t.txt":       "TOKEN",
		"n/m/u.txt":       "TOKEN",
		"plain.go":        "TOKEN",
	}
	cmd := exec.Command(gitBin, "init", "-q", root)
	cmd.Env = dirGitEnv(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	tr := dirBuild(t, root, fx)
	if err := os.WriteFile(filepath.Join(root, ".git", "info", "exclude"), []byte("plain.go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(gitBin, "ls-files", "-z", "--others", "--exclude-standard")
	cmd.Dir, cmd.Env = root, dirGitEnv(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	want := map[string]string{}
	for _, p := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if _, ok := tr.tokens[p]; ok {
			want[p] = p
		}
	}
	t.Chdir(root)
	found, problems := dirScan(t, Dir{Roots: []string{"."}})
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	dirCheck(t, tr, found, want)
}

// dirGitEnv runs git without the user's or the system's configuration.
func dirGitEnv(t *testing.T) []string {
	return append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "HOME="+t.TempDir())
}

// TestDirPaths checks that items are named as a user would type them.
func TestDirPaths(t *testing.T) {
	root := t.TempDir()
	tr := dirBuild(t, root, dirFixture{"app.env": "TOKEN", "sub/app.env": "TOKEN", "sub/deep/x.txt": "TOKEN"})
	t.Chdir(root)
	all := []string{"app.env", "sub/app.env", "sub/deep/x.txt"}
	tests := []struct {
		roots []string
		want  map[string]string
	}{
		{nil, dirWant(".", all...)},
		{[]string{"."}, dirWant(".", all...)},
		{[]string{"./"}, dirWant(".", all...)},
		{[]string{"sub"}, map[string]string{"sub/app.env": "sub/app.env", "sub/deep/x.txt": "sub/deep/x.txt"}},
		{[]string{"./sub/"}, map[string]string{"sub/app.env": "sub/app.env", "sub/deep/x.txt": "sub/deep/x.txt"}},
		{[]string{"sub/deep/../app.env"}, map[string]string{"sub/app.env": "sub/app.env"}},
		{[]string{"app.env", "sub/deep", "./app.env", "sub/deep/"}, map[string]string{"app.env": "app.env", "sub/deep/x.txt": "sub/deep/x.txt"}},
		{[]string{root}, dirWant(root, all...)},
		{[]string{root + "/sub/app.env"}, map[string]string{filepath.ToSlash(root) + "/sub/app.env": "sub/app.env"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.roots), func(t *testing.T) {
			found, problems := dirScan(t, Dir{Roots: tt.roots})
			for _, p := range problems {
				t.Errorf("problem: %v", p)
			}
			dirCheck(t, tr, found, tt.want)
		})
	}
}

// TestDirNames checks that odd bytes in names reach the item intact.
func TestDirNames(t *testing.T) {
	root := t.TempDir()
	names := []string{"with space.txt", "new\nline.txt", "bad\xff\xfeutf8.txt", "tab\there/x y.env", "quote\"'.txt", "\x1b[31mred.txt"}
	if runtime.GOOS == "windows" {
		// Windows names hold no control characters, no '"' and only
		// what UTF-16 can: these are the odd names it can hold.
		names = []string{"with space.txt", "quote'.txt", "ünï cødé/x y.env", "semi;colon,&^%.txt"}
	}
	fx := dirFixture{}
	for _, n := range names {
		fx[n] = "TOKEN"
	}
	tr := dirBuild(t, root, fx)
	t.Chdir(root)
	found, problems := dirScan(t, Dir{Roots: []string{"."}})
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	dirCheck(t, tr, found, dirWant(".", names...))
}

// TestDirSymlinks checks that links inside a walk are not followed, a
// loop does not trap the walk, and a root's own link is followed.
func TestDirSymlinks(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	root := filepath.Join(base, "root")
	tr := dirBuild(t, base, dirFixture{
		"outside/secret.txt": "TOKEN",
		"outside/d/x.txt":    "TOKEN",
		"root/real.txt":      "TOKEN",
		"root/sub/real.txt":  "TOKEN",
	})
	for _, l := range []struct{ target, name string }{
		{filepath.Join(outside, "secret.txt"), "root/file-link"},
		{filepath.Join(outside, "d"), "root/dir-link"},
		{"..", "root/sub/up"}, // a loop
		{"loop-b", "root/loop-a"},
		{"loop-a", "root/loop-b"},
		{"missing", "root/dangling"},
		{root, "root-link"},
	} {
		if err := os.Symlink(l.target, filepath.Join(base, l.name)); err != nil {
			if runtime.GOOS == "windows" {
				t.Skipf("cannot make symbolic links here (Windows needs developer mode or the privilege): %v", err)
			}
			t.Fatal(err)
		}
	}
	if fi, err := os.Lstat(filepath.Join(base, "root-link")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		// Wine 8's CreateSymbolicLink reports success and makes nothing.
		t.Skipf("os.Symlink made no symbolic link on this system: %v", err)
	}
	t.Run("not followed", func(t *testing.T) {
		found, problems := dirScan(t, Dir{Roots: []string{root}, NoIgnore: true})
		for _, p := range problems {
			t.Errorf("problem: %v", p)
		}
		dirCheck(t, tr, found, dirWant(base, "root/real.txt", "root/sub/real.txt"))
	})
	t.Run("root link followed", func(t *testing.T) {
		t.Chdir(base)
		found, problems := dirScan(t, Dir{Roots: []string{"root-link", "root/file-link"}})
		for _, p := range problems {
			t.Errorf("problem: %v", p)
		}
		dirCheck(t, tr, found, map[string]string{
			"root-link/real.txt":     "root/real.txt",
			"root-link/sub/real.txt": "root/sub/real.txt",
			"root/file-link":         "outside/secret.txt",
		})
	})
	t.Run("root loop", func(t *testing.T) {
		_, problems := dirScan(t, Dir{Roots: []string{filepath.Join(root, "loop-a")}})
		if len(problems) != 1 || !errors.Is(problems[0].Err, syscall.ELOOP) {
			t.Errorf("problems = %v, want one ELOOP", problems)
		}
	})
}

// dirSource adapts a function to scanner.Source.
type dirSource func(ctx context.Context, yield func(scanner.Item, error) error) error

func (f dirSource) Items(ctx context.Context, yield func(scanner.Item, error) error) error {
	return f(ctx, yield)
}

// dirWithin runs f and fails the test if it has not returned after d: a
// scan blocked in a system call (opening a FIFO) would not see a context.
func dirWithin(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still running after %v: blocked on a FIFO?", d)
	}
}

// TestDirMissingRoot checks that a missing root is a problem for that
// root alone.
func TestDirMissingRoot(t *testing.T) {
	root := t.TempDir()
	tr := dirBuild(t, root, dirFixture{"a.txt": "TOKEN"})
	t.Chdir(root)
	found, problems := dirScan(t, Dir{Roots: []string{"nosuch", "a.txt", "nosuch-dir/"}})
	dirCheck(t, tr, found, map[string]string{"a.txt": "a.txt"})
	var got []string
	for _, p := range problems {
		if !errors.Is(p.Err, fs.ErrNotExist) {
			t.Errorf("%q: err = %v, want not exist", p.Path, p.Err)
		}
		got = append(got, p.Path)
	}
	if want := []string{"nosuch", "nosuch-dir"}; !slices.Equal(got, want) {
		t.Errorf("problem paths = %q, want %q", got, want)
	}
}

// dirMany builds a tree of n files in nested directories, each with a
// token.
func dirMany(t testing.TB, root string, n int) *dirTree {
	fx := dirFixture{}
	for i := range n {
		fx[fmt.Sprintf("d%d/e%d/f%d.txt", i%7, i%13, i)] = "x=TOKEN\n"
	}
	return dirBuild(t, root, fx)
}

// TestDirJobs checks that the result does not depend on the number of
// workers (run with -race).
func TestDirJobs(t *testing.T) {
	root := t.TempDir()
	tr := dirMany(t, root, 300)
	want := map[string]string{}
	for p := range tr.tokens {
		want[dirJoin(filepath.ToSlash(root), p)] = p
	}
	var results []scanner.Result
	for _, jobs := range []int{1, 8} {
		res, err := scanner.Scan(context.Background(), Dir{Roots: []string{root}, Jobs: jobs}, scanner.Options{})
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
		found := map[string][]string{}
		for _, f := range res.Findings {
			found[f.Path] = append(found[f.Path], string(f.ID))
		}
		dirCheck(t, tr, found, want)
	}
	a, b := results[0], results[1]
	if len(a.Findings) != len(b.Findings) || a.Stats.Items != b.Stats.Items || a.Stats.Bytes != b.Stats.Bytes {
		t.Fatalf("jobs 1: %d findings, %+v; jobs 8: %d findings, %+v", len(a.Findings), a.Stats, len(b.Findings), b.Stats)
	}
	for i := range a.Findings {
		fa, fb := a.Findings[i], b.Findings[i]
		if fa.Path != fb.Path || fa.ID != fb.ID || fa.Offset != fb.Offset {
			t.Errorf("finding %d: jobs 1 %q %s @%d, jobs 8 %q %s @%d", i, fa.Path, fa.ID, fa.Offset, fb.Path, fb.ID, fb.Offset)
		}
	}
}

// TestDirConcurrentYield checks that yield is called from several workers
// at once when Jobs allows, and never from more than Jobs.
func TestDirConcurrentYield(t *testing.T) {
	root := t.TempDir()
	dirMany(t, root, 64)
	for _, jobs := range []int{1, 4} {
		var cur, peak atomic.Int32
		var mu sync.Mutex
		err := Dir{Roots: []string{root}, Jobs: jobs}.Items(context.Background(), func(it scanner.Item, err error) error {
			if err != nil {
				return err
			}
			n := cur.Add(1)
			mu.Lock()
			if n > peak.Load() {
				peak.Store(n)
			}
			mu.Unlock()
			time.Sleep(time.Millisecond) // let other workers arrive
			io.Copy(io.Discard, it.R)
			cur.Add(-1)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if p := peak.Load(); p > int32(jobs) || jobs > 1 && p < 2 {
			t.Errorf("jobs %d: peak concurrent yields %d", jobs, p)
		}
	}
}

// TestDirCancel checks that a cancelled walk stops at once and returns the
// context's error.
func TestDirCancel(t *testing.T) {
	root := t.TempDir()
	dirMany(t, root, 500)
	t.Run("before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var n atomic.Int32
		err := Dir{Roots: []string{root}}.Items(ctx, func(scanner.Item, error) error { n.Add(1); return nil })
		if !errors.Is(err, context.Canceled) || n.Load() != 0 {
			t.Errorf("err = %v after %d items, want context.Canceled after none", err, n.Load())
		}
	})
	for _, jobs := range []int{1, 8} {
		t.Run(fmt.Sprint("during/jobs=", jobs), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var n, after atomic.Int32
			var cancelled atomic.Bool
			err := Dir{Roots: []string{root}, Jobs: jobs}.Items(ctx, func(it scanner.Item, err error) error {
				if cancelled.Load() {
					after.Add(1)
				}
				if n.Add(1) == 10 {
					cancel()
					cancelled.Store(true)
				}
				return ctx.Err()
			})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
			// Workers already past their check may yield one item each.
			if a := after.Load(); a > int32(jobs) {
				t.Errorf("%d items yielded after cancel with %d workers", a, jobs)
			}
		})
	}
	t.Run("scan", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := scanner.Scan(ctx, Dir{Roots: []string{root}}, scanner.Options{}); !errors.Is(err, context.Canceled) {
			t.Errorf("Scan err = %v, want context.Canceled", err)
		}
	})
}

// TestDirChurn scans a tree while another goroutine creates, grows and
// deletes files in it: no panic, no deadlock, every untouched token found,
// and a file that vanished is at most a problem.
func TestDirChurn(t *testing.T) {
	root := t.TempDir()
	tr := dirMany(t, root, 200)
	want := map[string]string{}
	for p := range tr.tokens {
		want[dirJoin(filepath.ToSlash(root), p)] = p
	}
	churn := filepath.Join(root, "churn")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			d := filepath.Join(churn, fmt.Sprint(i%5))
			p := filepath.Join(d, fmt.Sprint("f", i%17))
			switch i % 4 {
			case 0, 1:
				os.MkdirAll(d, 0o755)
				f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
				if err == nil {
					f.Write([]byte(strings.Repeat("churn\n", 100)))
					f.Close()
				}
			case 2:
				os.Remove(p)
			case 3:
				os.RemoveAll(d)
			}
		}
	}()
	for range 5 {
		var (
			found    map[string][]string
			problems []scanner.Problem
		)
		dirWithin(t, time.Minute, func() { found, problems = dirScan(t, Dir{Roots: []string{root}, Jobs: 4}) })
		for p := range found {
			if strings.HasPrefix(p, churn) {
				t.Errorf("%q: a token in a churned file", p)
			}
		}
		for item := range want {
			if len(found[item]) != 1 {
				t.Errorf("%q: found %v, want its token", item, found[item])
			}
		}
		for _, p := range problems {
			if !strings.HasPrefix(p.Path, filepath.ToSlash(churn)) || !errors.Is(p.Err, fs.ErrNotExist) {
				t.Errorf("problem outside the churn or not a vanished file: %v", p)
			}
		}
	}
	cancel()
	wg.Wait()
}

// TestDirYieldError checks that an error from yield ends the walk and is
// returned.
func TestDirYieldError(t *testing.T) {
	root := t.TempDir()
	dirMany(t, root, 100)
	stop := errors.New("stop")
	var n atomic.Int32
	err := Dir{Roots: []string{root}, Jobs: 4}.Items(context.Background(), func(scanner.Item, error) error {
		if n.Add(1) == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("err = %v, want %v", err, stop)
	}
	if got := n.Load(); got > 5+4 {
		t.Errorf("%d items yielded, want the walk to stop soon after the 5th", got)
	}
}

// BenchmarkDirGoRoot scans the Go distribution as `dtleaks scan
// --no-ignore` would; compare with `rg -uuu -c dt0 $(go env GOROOT)`, as
// bench/scan.sh does.
func BenchmarkDirGoRoot(b *testing.B) {
	root := runtime.GOROOT()
	for _, jobs := range []int{1, 0} {
		b.Run(fmt.Sprint("jobs=", jobs), func(b *testing.B) {
			var bytes int64
			for b.Loop() {
				res, err := scanner.Scan(context.Background(), Dir{Roots: []string{root}, NoIgnore: true, Jobs: jobs}, scanner.Options{})
				if err != nil {
					b.Fatal(err)
				}
				bytes = res.Stats.Bytes
			}
			b.SetBytes(bytes)
		})
	}
}

// BenchmarkDirGoRootIgnore is the same walk honouring ignore files (the Go
// tree has a few .gitignore files but is no repository, so .dtleaksignore
// lookups are all the cost).
func BenchmarkDirGoRootIgnore(b *testing.B) {
	root := runtime.GOROOT()
	for b.Loop() {
		if _, err := scanner.Scan(context.Background(), Dir{Roots: []string{root}}, scanner.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDirIgnoreRules measures what honouring ignore files costs: a
// repository of 2,000 small files with a typical .gitignore at the top and
// a small one in every tenth directory, scanned with and without the
// rules.
func BenchmarkDirIgnoreRules(b *testing.B) {
	root := b.TempDir()
	if err := os.MkdirAll(filepath.Join(root, ".git", "info"), 0o755); err != nil {
		b.Fatal(err)
	}
	fx := dirFixture{
		".gitignore": strings.Join([]string{
			"# build output", "/bin/", "/dist/", "*.o", "*.a", "*.so", "*.exe", "*.test", "*.out",
			"coverage.*", "*.prof", ".DS_Store", "Thumbs.db", ".idea/", ".vscode/", "*.swp", "*~",
			"node_modules/", "vendor/", "/tmp/", "**/testdata/golden/*.new", "*.log", "!keep.log",
			"docs/_build/", "*.pyc", "__pycache__/", ".env.local", "secrets/**", "!secrets/README",
		}, "\n"),
	}
	for i := range 2000 {
		d := fmt.Sprintf("pkg%d/sub%d", i%100, i%7)
		fx[fmt.Sprintf("%s/file%d.go", d, i)] = "package x\n"
		if i%10 == 0 {
			fx[fmt.Sprintf("pkg%d/.gitignore", i%100)] = "*.gen.go\n/local/\n"
		}
	}
	dirBuild(b, root, fx)
	for _, noIgnore := range []bool{true, false} {
		b.Run(fmt.Sprint("noIgnore=", noIgnore), func(b *testing.B) {
			var items int64
			for b.Loop() {
				res, err := scanner.Scan(context.Background(), Dir{Roots: []string{root}, NoIgnore: noIgnore}, scanner.Options{})
				if err != nil {
					b.Fatal(err)
				}
				items = res.Stats.Items
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*items), "ns/file")
		})
	}
}

// TestDirReadBounded checks that one Read reads at most dirMaxRead bytes,
// however large the buffer, and that a file read so is read whole.
func TestDirReadBounded(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	want := make([]byte, 3*dirMaxRead+100)
	for i := range want {
		want[i] = byte(i % 251)
	}
	if err := os.WriteFile(p, want, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := dirOpen(p, true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, len(want)+1)
	n, err := f.Read(buf)
	if n != dirMaxRead || err != nil {
		t.Errorf("first Read: %d bytes, %v; want %d, nil", n, err, dirMaxRead)
	}
	rest, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := append(buf[:n], rest...); !bytes.Equal(got, want) {
		t.Errorf("read %d bytes, not the %d of the file", len(got), len(want))
	}
}
