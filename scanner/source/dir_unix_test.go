//go:build unix

package source

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
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

// TestDirSpecialFiles checks that FIFOs and sockets are skipped, never
// opened, so the scan cannot hang on one; and that a root that is one is a
// problem, not a hang.
func TestDirSpecialFiles(t *testing.T) {
	root := t.TempDir()
	tr := dirBuild(t, root, dirFixture{"a.txt": "TOKEN", "sub/b.txt": "TOKEN"})
	fifo := filepath.Join(root, "sub", "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(root, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var (
		found    map[string][]string
		problems []scanner.Problem
	)
	dirWithin(t, 30*time.Second, func() { found, problems = dirScan(t, Dir{Roots: []string{root}, NoIgnore: true}) })
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	dirCheck(t, tr, found, dirWant(root, "a.txt", "sub/b.txt"))

	dirWithin(t, 30*time.Second, func() { _, problems = dirScan(t, Dir{Roots: []string{fifo}}) })
	if len(problems) != 1 || problems[0].Path != fifo || !strings.Contains(problems[0].Err.Error(), "named pipe") {
		t.Errorf("FIFO root: problems = %v, want one naming the pipe", problems)
	}
}

// TestDirSwapped replaces a listed file with a FIFO, a link or nothing
// just before it is opened: the walk must neither hang, follow the link,
// nor drop the disappearance silently.
func TestDirSwapped(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	tr := dirBuild(t, base, dirFixture{
		"outside.txt":     "TOKEN",
		"root/fifo.txt":   "TOKEN",
		"root/link.txt":   "TOKEN",
		"root/gone.txt":   "TOKEN",
		"root/gone/x.txt": "TOKEN",
		"root/linkdir/y":  "TOKEN",
		"root/kept.txt":   "TOKEN",
	})
	var swapped atomic.Int32
	d := Dir{Roots: []string{root}, beforeOpen: func(p string) {
		var err error
		switch strings.TrimPrefix(p, root+"/") {
		case "fifo.txt":
			if err = os.Remove(p); err == nil {
				err = syscall.Mkfifo(p, 0o644)
			}
		case "link.txt":
			if err = os.Remove(p); err == nil {
				err = os.Symlink(filepath.Join(base, "outside.txt"), p)
			}
		case "linkdir":
			if err = os.RemoveAll(p); err == nil {
				err = os.Symlink(base, p)
			}
		case "gone.txt", "gone":
			err = os.RemoveAll(p)
		default:
			return
		}
		if err != nil {
			t.Error(err)
		}
		swapped.Add(1)
	}}
	var (
		mu     sync.Mutex
		opened []string
	)
	probe := dirSource(func(ctx context.Context, yield func(scanner.Item, error) error) error {
		return d.Items(ctx, func(it scanner.Item, err error) error {
			if err == nil {
				mu.Lock()
				opened = append(opened, it.Path)
				mu.Unlock()
			}
			return yield(it, err)
		})
	})
	var (
		found    map[string][]string
		problems []scanner.Problem
	)
	dirWithin(t, 30*time.Second, func() { found, problems = dirScan(t, probe) })
	if want := []string{root + "/kept.txt"}; !slices.Equal(opened, want) {
		t.Errorf("yielded %q, want only %q", opened, want)
	}
	if got := swapped.Load(); got != 5 {
		t.Errorf("swapped %d paths, want 5", got)
	}
	dirCheck(t, tr, found, dirWant(base, "root/kept.txt"))
	want := map[string]error{
		root + "/gone.txt": fs.ErrNotExist,
		root + "/gone":     fs.ErrNotExist,
		root + "/link.txt": syscall.ELOOP,
		root + "/linkdir":  syscall.ENOTDIR, // O_NOFOLLOW|O_DIRECTORY on a link
	}
	for _, p := range problems {
		w, ok := want[p.Path]
		if !ok {
			t.Errorf("unexpected problem: %v", p)
			continue
		}
		if !errors.Is(p.Err, w) && !(w == syscall.ENOTDIR && errors.Is(p.Err, syscall.ELOOP)) {
			t.Errorf("%q: err = %v, want %v", p.Path, p.Err, w)
		}
		delete(want, p.Path)
	}
	for p := range want {
		t.Errorf("%q: no problem reported", p)
	}
}

// dirUnreadableFixture is the tree TestDirUnreadable builds, and checks
// from a re-executed, unprivileged copy of the test binary.
var dirUnreadableFixture = dirFixture{
	"ok.txt":              "TOKEN",
	"locked.txt":          "TOKEN",
	"lockeddir/x.txt":     "TOKEN",
	"sub/ok.txt":          "TOKEN",
	"sub/.gitignore":      "nothing\n",
	"sub/.dtleaksignore":  "nothing\n",
	"sub2/.dtleaksignore": "x\n",
}

const dirChildEnv = "DTLEAKS_SOURCE_TEST_UNREADABLE_TREE"

// TestDirUnreadable checks that a file and a directory without read
// permission are reported and the walk goes on. As root, permission bits
// stop nothing, so the test re-executes itself as the unprivileged user
// 65534.
func TestDirUnreadable(t *testing.T) {
	if root := os.Getenv(dirChildEnv); root != "" {
		dirCheckUnreadable(t, root)
		return
	}
	base := t.TempDir()
	root := filepath.Join(base, "tree")
	dirBuild(t, root, dirUnreadableFixture)
	for _, p := range []string{"locked.txt", "lockeddir", "sub2/.dtleaksignore"} {
		if err := os.Chmod(filepath.Join(root, p), 0); err != nil {
			t.Fatal(err)
		}
	}
	if os.Getuid() != 0 {
		dirCheckUnreadable(t, root)
		return
	}
	// The unprivileged child needs to reach the tree and the binary.
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "source.test")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestDirUnreadable$", "-test.v")
	cmd.Dir = base
	cmd.Env = []string{dirChildEnv + "=" + root, "PATH=" + os.Getenv("PATH")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		// The child prints paths, IDs and errors only, never a secret.
		t.Errorf("unprivileged child failed: %v\n%s", err, out)
	default:
		t.Skipf("cannot run as an unprivileged user: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestDirUnreadable") {
		t.Errorf("unprivileged child did not run the test:\n%s", out)
	}
}

func dirCheckUnreadable(t *testing.T, root string) {
	tr := &dirTree{root: root, tokens: map[string]tokentest.Token{}}
	// The same seed and order as dirBuild: the same tokens.
	g := tokentest.New(7)
	paths := make([]string, 0, len(dirUnreadableFixture))
	for p := range dirUnreadableFixture {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if strings.Contains(dirUnreadableFixture[p], "TOKEN") {
			tr.tokens[p] = g.Token("dt0c01")
		}
	}
	found, problems := dirScan(t, Dir{Roots: []string{root}})
	dirCheck(t, tr, found, dirWant(root, "ok.txt", "sub/ok.txt"))
	want := []string{root + "/locked.txt", root + "/lockeddir", root + "/sub2/.dtleaksignore"}
	var got []string
	for _, p := range problems {
		got = append(got, p.Path)
		if !errors.Is(p.Err, fs.ErrPermission) {
			t.Errorf("%q: err = %v, want permission denied", p.Path, p.Err)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("problem paths = %q, want %q", got, want)
	}
}

// dirTestPath is the name to create a fixture file by.
func dirTestPath(p string) string { return p }
