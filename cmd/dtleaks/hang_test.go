//go:build unix

// FIFOs and /dev/zero are unix things: on Windows a named pipe is another
// kind of object, refused by the walker's own Windows tests.

package main

// Issue 11, item 17: no file put in dtleaks' way (a FIFO, a device) makes it
// hang, and SIGINT ends any wait.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// mkfifo makes a FIFO at path.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	os.Remove(path)
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
}

// TestNoHangOnFIFOs: a FIFO where a regular file is expected is an error
// (exit 2), at once, never a wait for a writer.
func TestNoHangOnFIFOs(t *testing.T) {
	tok := tokentest.New(1117).Token("dt0c01")
	newRepoWithToken := func(t *testing.T) string {
		dir := newRepo(t)
		commit(t, dir, "a", map[string]*string{"a.env": str("T=" + tok.Text + "\n")})
		return dir
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) cmd
	}{
		{"baseline", func(t *testing.T, dir string) cmd {
			mkfifo(t, filepath.Join(dir, "base.json"))
			return cmd{dir: dir, args: []string{"scan", "--baseline", "base.json", "."}}
		}},
		{"merge report", func(t *testing.T, dir string) cmd {
			mkfifo(t, filepath.Join(dir, "report.json"))
			return cmd{dir: dir, args: []string{"merge", "report.json"}}
		}},
		{"packed-refs", func(t *testing.T, dir string) cmd {
			mkfifo(t, filepath.Join(dir, ".git", "packed-refs"))
			return cmd{dir: dir, args: []string{"history"}}
		}},
		{"alternates", func(t *testing.T, dir string) cmd {
			must(t, os.MkdirAll(filepath.Join(dir, ".git", "objects", "info"), 0o755))
			mkfifo(t, filepath.Join(dir, ".git", "objects", "info", "alternates"))
			return cmd{dir: dir, args: []string{"history"}}
		}},
		{"alternates staged", func(t *testing.T, dir string) cmd {
			must(t, os.MkdirAll(filepath.Join(dir, ".git", "objects", "info"), 0o755))
			mkfifo(t, filepath.Join(dir, ".git", "objects", "info", "alternates"))
			return cmd{dir: dir, args: []string{"staged"}}
		}},
		{"index /dev/zero", func(t *testing.T, dir string) cmd {
			return cmd{dir: dir, env: []string{"GIT_INDEX_FILE=/dev/zero"}, args: []string{"staged"}}
		}},
		{"index FIFO", func(t *testing.T, dir string) cmd {
			mkfifo(t, filepath.Join(dir, "idx"))
			return cmd{dir: dir, env: []string{"GIT_INDEX_FILE=" + filepath.Join(dir, "idx")}, args: []string{"staged"}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := newRepoWithToken(t)
			r := tc.setup(t, dir).run(t)
			noCrash(t, r)
			noLeak(t, r, map[string]tokentest.Token{"t": tok})
			if r.code != 2 {
				t.Errorf("exit %d; want 2 (stderr %s)", r.code, shown(r.stderr, tok))
			}
		})
	}
}

// TestSignalEndsBlockedOutput: --output onto a FIFO whose reader stopped
// reading blocks the write once the pipe is full; SIGINT still ends the
// run, not as clean.
func TestSignalEndsBlockedOutput(t *testing.T) {
	g := tokentest.New(1118)
	dir := t.TempDir()
	var b strings.Builder
	for i := range 2000 { // a report well over a pipe's 64 KiB
		b.WriteString("T" + string(rune('a'+i%26)) + "=" + g.Token("dt0c01").Text + "\n")
	}
	must(t, os.WriteFile(filepath.Join(dir, "many.env"), []byte(b.String()), 0o644))
	fifo := filepath.Join(dir, "out.fifo")
	mkfifo(t, fifo)
	// A reader that opens the FIFO and never reads.
	rd, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	must(t, err)
	defer rd.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	x := exec.CommandContext(ctx, binary, "scan", "--format", "json", "--output", fifo, "many.env")
	x.Dir = dir
	var errb bytes.Buffer
	x.Stderr = &errb
	must(t, x.Start())
	// Wait until the pipe is full: the run is blocked in its write.
	time.Sleep(1500 * time.Millisecond)
	must(t, x.Process.Signal(os.Interrupt))
	err = x.Wait()
	if ctx.Err() != nil {
		t.Fatal("dtleaks did not end after SIGINT")
	}
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() == 0 || ee.ExitCode() == 1 {
		t.Errorf("exit %v after SIGINT; want an error status", err)
	}
}

// TestLooseRefFIFO: a FIFO in place of a loose ref (.git/refs/heads/x) is
// a problem naming the ref (exit 2), at once; in an audit it names the
// repository too, and the other repositories are scanned.
func TestLooseRefFIFO(t *testing.T) {
	tok := tokentest.New(1119).Token("dt0c01")
	bad := newRepo(t)
	commit(t, bad, "a", map[string]*string{"a.txt": str("clean\n")})
	mkfifo(t, filepath.Join(bad, ".git", "refs", "heads", "x"))
	good := newRepo(t)
	commit(t, good, "a", map[string]*string{"a.env": str("T=" + tok.Text + "\n")})

	r := dtleaks(t, bad, "history")
	noCrash(t, r)
	if r.code != 2 || !strings.Contains(string(r.stderr), "ref refs/heads/x: not a regular file") {
		t.Errorf("history of a repository with a FIFO ref: exit %d, stderr %q; want 2 naming refs/heads/x", r.code, r.stderr)
	}

	r = dtleaks(t, t.TempDir(), "history", "--group", "token", bad, good)
	noCrash(t, r)
	noLeak(t, r, map[string]tokentest.Token{"t": tok})
	if r.code != 2 || !strings.Contains(string(r.stderr), bad+": ref refs/heads/x: not a regular file") {
		t.Errorf("audit: exit %d, stderr %s; want 2 naming the repository and refs/heads/x", r.code, shown(r.stderr, tok))
	}
	if !strings.Contains(string(r.stdout), tok.ID) {
		t.Errorf("audit: the other repository's token is not reported: %s", shown(r.stdout, tok))
	}
}
