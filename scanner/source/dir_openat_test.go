//go:build unix

package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/scanner"
)

// dirOpenFDs counts the process's open file descriptors, or skips the test
// where /proc/self/fd is not there to tell.
func dirOpenFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open descriptors: %v", err)
	}
	return len(ents) - 1 // the one ReadDir itself held
}

// dirCPUTime is the CPU time, user and system, the process has used.
func dirCPUTime(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// dirDeep builds a tree of depth levels under root, each directory holding
// width files and one subdirectory, every file holding a token.
func dirDeep(t testing.TB, root string, depth, width int) *dirTree {
	fx := dirFixture{}
	dir := ""
	for d := range depth {
		for i := range width {
			fx[fmt.Sprintf("%sf%d.txt", dir, i)] = "x=TOKEN\n"
		}
		dir += fmt.Sprintf("d%d/", d)
	}
	return dirBuild(t, root, fx)
}

// TestDirOpenAtNoLeak checks that every directory kept open for its
// entries is closed by the end of a walk: one that completes, one whose
// yield fails, one cancelled, with the bound on open directories reached
// or not.
func TestDirOpenAtNoLeak(t *testing.T) {
	root := t.TempDir()
	dirDeep(t, root, 40, 5)
	dirMany(t, filepath.Join(root, "many"), 300)
	before := dirOpenFDs(t)
	stop := errors.New("stop")
	for _, maxOpen := range []int{0, 3, -1} {
		for _, jobs := range []int{1, 4} {
			name := fmt.Sprintf("max=%d/jobs=%d", maxOpen, jobs)
			d := Dir{Roots: []string{root}, Jobs: jobs, maxOpenDirs: maxOpen}
			var n atomic.Int32
			if err := d.Items(context.Background(), func(it scanner.Item, err error) error {
				if err != nil {
					t.Errorf("%s: problem: %v", name, err)
				}
				n.Add(1)
				return nil
			}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := n.Load(); got != 40*5+300 {
				t.Errorf("%s: %d items, want %d", name, got, 40*5+300)
			}
			if got := dirOpenFDs(t); got != before {
				t.Errorf("%s, complete walk: %d descriptors open, %d before", name, got, before)
			}

			n.Store(0)
			err := d.Items(context.Background(), func(scanner.Item, error) error {
				if n.Add(1) == 50 {
					return stop
				}
				return nil
			})
			if !errors.Is(err, stop) {
				t.Errorf("%s: err = %v, want %v", name, err, stop)
			}
			if got := dirOpenFDs(t); got != before {
				t.Errorf("%s, yield failed: %d descriptors open, %d before", name, got, before)
			}

			ctx, cancel := context.WithCancel(context.Background())
			n.Store(0)
			err = d.Items(ctx, func(scanner.Item, error) error {
				if n.Add(1) == 50 {
					cancel()
				}
				return nil
			})
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: err = %v, want context.Canceled", name, err)
			}
			if got := dirOpenFDs(t); got != before {
				t.Errorf("%s, cancelled: %d descriptors open, %d before", name, got, before)
			}
		}
	}
}

// TestDirOpenAtBound checks that a walk keeps at most maxOpenDirs
// directories open, and past that opens entries by their full path: the
// same items either way. (How many it does keep open depends on the order
// the file system lists entries in; TestDirOpenAtParentSwapped shows that
// it keeps them.)
func TestDirOpenAtBound(t *testing.T) {
	root := t.TempDir()
	tr := dirDeep(t, root, 30, 3)
	want := dirWant(root, func() []string {
		var ps []string
		for p := range tr.tokens {
			ps = append(ps, p)
		}
		return ps
	}()...)
	before := dirOpenFDs(t)
	for _, maxOpen := range []int{0, 2, -1} {
		const jobs = 2
		var peak atomic.Int32
		d := Dir{Roots: []string{root}, Jobs: jobs, NoIgnore: true, maxOpenDirs: maxOpen}
		probe := dirSource(func(ctx context.Context, yield func(scanner.Item, error) error) error {
			return d.Items(ctx, func(it scanner.Item, err error) error {
				if n := int32(dirOpenFDs(t) - before); n > peak.Load() {
					peak.Store(n) // racy maximum: good enough for a bound
				}
				return yield(it, err)
			})
		})
		found, problems := dirScan(t, probe)
		for _, p := range problems {
			t.Errorf("max=%d: problem: %v", maxOpen, p)
		}
		dirCheck(t, tr, found, want)
		// Each worker holds its file open while it yields, and maybe
		// a directory it is listing; the walk holds its open
		// directories.
		limit := int32(2 * jobs)
		switch {
		case maxOpen > 0:
			limit += int32(maxOpen)
		case maxOpen == 0:
			limit += dirOpenDirsMax()
		}
		if p := peak.Load(); p > limit {
			t.Errorf("max=%d: %d descriptors open at once, want at most %d", maxOpen, p, limit)
		}
	}
}

// TestDirOpenAtParentSwapped replaces a listed directory with a symbolic
// link to another tree just before a file in it is opened. The file is
// opened in the directory that was listed, never through the link: what
// is scanned is what was there, under the path it was listed by. (Opened
// by its full path, as past the bound on open directories, the link would
// be followed: O_NOFOLLOW guards the last name only.)
func TestDirOpenAtParentSwapped(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	tr := dirBuild(t, base, dirFixture{
		"root/sub/a.txt":  "TOKEN",
		"root/sub/b.txt":  "TOKEN",
		"outside/a.txt":   "TOKEN",
		"outside/b.txt":   "TOKEN",
		"root/other/c.md": "TOKEN",
	})
	sub := filepath.Join(root, "sub")
	var once sync.Once
	d := Dir{Roots: []string{root}, Jobs: 1, beforeOpen: func(p string) {
		if !strings.HasPrefix(p, sub+"/") {
			return
		}
		once.Do(func() {
			if err := os.Rename(sub, filepath.Join(base, "moved")); err != nil {
				t.Error(err)
			}
			if err := os.Symlink(filepath.Join(base, "outside"), sub); err != nil {
				t.Error(err)
			}
		})
	}}
	found, problems := dirScan(t, d)
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	// The tokens of root/sub, found under the paths they were listed by.
	dirCheck(t, tr, found, map[string]string{
		root + "/sub/a.txt":  "root/sub/a.txt",
		root + "/sub/b.txt":  "root/sub/b.txt",
		root + "/other/c.md": "root/other/c.md",
	})
}

// BenchmarkDirWalkGoRoot measures the walk alone, each file read to its
// end and not scanned, with directories kept open for their entries to be
// opened relative to them ("openat") and without ("path", every file
// opened by its full path as before).
func BenchmarkDirWalkGoRoot(b *testing.B) {
	root := runtime.GOROOT()
	for _, c := range []struct {
		name    string
		maxOpen int
	}{{"openat", 0}, {"path", -1}} {
		b.Run(c.name, func(b *testing.B) {
			bufs := sync.Pool{New: func() any { return new([64 << 10]byte) }}
			var bytes, files atomic.Int64
			var iters int64
			cpu0 := dirCPUTime(b)
			for b.Loop() {
				iters++
				bytes.Store(0)
				files.Store(0)
				err := Dir{Roots: []string{root}, NoIgnore: true, maxOpenDirs: c.maxOpen}.Items(context.Background(), func(it scanner.Item, err error) error {
					if err != nil {
						return err
					}
					buf := bufs.Get().(*[64 << 10]byte)
					defer bufs.Put(buf)
					for {
						n, err := it.R.Read(buf[:])
						bytes.Add(int64(n))
						if err == io.EOF {
							break
						}
						if err != nil {
							return err
						}
					}
					files.Add(1)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			cpu := dirCPUTime(b) - cpu0
			b.SetBytes(bytes.Load())
			// The CPU time the process spent, user and system, which
			// other load on the machine disturbs less than the wall
			// time.
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(iters*files.Load()), "cpu-ns/file")
		})
	}
}

// TestDirList checks a directory's listing against os.ReadDir: the
// directories of GOROOT/src, and one holding every kind of entry, listed
// with a buffer too small for it at first.
func TestDirList(t *testing.T) {
	special := t.TempDir()
	dirBuild(t, special, dirFixture{"file": "x", "sub/f": "x"})
	if err := syscall.Mkfifo(filepath.Join(special, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("file", filepath.Join(special, "link")); err != nil {
		t.Fatal(err)
	}
	for i := range 300 { // more than one getdents call's worth
		if err := os.WriteFile(filepath.Join(special, fmt.Sprintf("%s%03d", strings.Repeat("n", 100), i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dirs := []string{special}
	filepath.WalkDir(filepath.Join(runtime.GOROOT(), "src"), func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() && len(dirs) < 400 {
			dirs = append(dirs, p)
		}
		return nil
	})
	var buf []byte
	for _, dir := range dirs {
		d, err := dirOpenDir(nil, dir, true)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.list(dir, nil, &buf)
		d.close()
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		want, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(got, func(a, b dirEnt) int { return strings.Compare(a.name, b.name) })
		if len(got) != len(want) {
			t.Errorf("%s: %d entries, want %d", dir, len(got), len(want))
			continue
		}
		for i, w := range want {
			if got[i].name != w.Name() || got[i].typ != w.Type() {
				t.Errorf("%s: entry %d is %q %v, want %q %v", dir, i, got[i].name, got[i].typ, w.Name(), w.Type())
			}
		}
	}
}
