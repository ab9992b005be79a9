//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

func TestScanFIFOAndSymlinks(t *testing.T) {
	dir, toks := tree(t, 6, map[string]string{"real/a.txt": "{a}", "outside/b.txt": "{b}"})
	if err := syscall.Mkfifo(filepath.Join(dir, "real", "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, os.Symlink(filepath.Join(dir, "outside", "b.txt"), filepath.Join(dir, "real", "link.txt")))
	must(t, os.Symlink(filepath.Join(dir, "outside"), filepath.Join(dir, "real", "linkdir")))
	must(t, os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "real", "loop")))
	r := dtleaks(t, filepath.Join(dir, "real"), "scan", "--format", "json")
	got := where(decode(t, r))
	if want := []string{"a.txt:1:1 " + toks["a"].ID}; r.code != 1 || !equal(got, want) {
		t.Errorf("exit %d, findings %v; want 1 and %v (links not followed, FIFO skipped)", r.code, got, want)
	}
}

// TestHostileSpecialFiles puts a FIFO, a character device, a socket-like
// FIFO pair, symbolic link loops and dangling links in a tree: the walk
// skips them all without blocking and finds the token beside them. Named on
// the command line, a FIFO or device is reported and not read (exit 2).
func TestHostileSpecialFiles(t *testing.T) {
	dir, toks := tree(t, 504, map[string]string{"ok.txt": "{a}"})
	must(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	must(t, os.Symlink("loop2", filepath.Join(dir, "loop1")))
	must(t, os.Symlink("loop1", filepath.Join(dir, "loop2")))
	must(t, os.Symlink(".", filepath.Join(dir, "self")))
	must(t, os.Symlink("..", filepath.Join(dir, "up")))
	must(t, os.Symlink("nowhere", filepath.Join(dir, "dangling")))
	dev := filepath.Join(dir, "null")
	haveDev := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3) == nil // /dev/null's 1,3, as root
	if !haveDev {
		dev = "/dev/null"
	}
	r := dtleaks(t, dir, "scan", "--format", "json")
	wantRun(t, r, 1, []string{"ok.txt:1:1 " + toks["a"].ID}, toks["a"])

	for _, path := range []string{"fifo", dev, "/dev/zero", "loop1", "dangling"} {
		r := dtleaks(t, dir, "scan", "--format", "json", path)
		noCrash(t, r)
		if r.code != 2 || len(bytes.TrimSpace(r.stderr)) == 0 {
			t.Errorf("scan %s: exit %d; want 2 and a message", path, r.code)
		}
	}
	if !haveDev {
		t.Log("not root: the character device case used /dev/null")
	}
}

// runAsUser makes x run as the user and group uid (the tests run as root
// in CI).
func runAsUser(t *testing.T, x *exec.Cmd, uid int) {
	x.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
}

// haveRusage says whether peakRSS can measure a child.
const haveRusage = true

// peakRSS returns the peak resident set size of a finished process, in
// bytes.
func peakRSS(ps *os.ProcessState) (int64, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, false
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss), true // macOS counts bytes
	}
	return int64(ru.Maxrss) * 1024, true // Linux and the BSDs count kilobytes
}
