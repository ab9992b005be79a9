//go:build linux

package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// openPTY opens a pseudo-terminal pair with the standard library only: the
// controlling side, and the terminal a program writes to.
func openPTY(t *testing.T) (ctrl, tty *os.File) {
	t.Helper()
	ctrl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ctrl.Close() })
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ctrl.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Skipf("unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ctrl.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Skipf("ptsname: %v", e)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return ctrl, tty
}

// TestColorOnTerminal runs dtleaks with its standard output on a terminal:
// the text format is coloured, except with --no-color, NO_COLOR, or TERM=dumb
// (a terminal that understands no escape sequences).
func TestColorOnTerminal(t *testing.T) {
	dir, toks := tree(t, 60, map[string]string{"app.env": "{a}\n"})
	for _, c := range []struct {
		name   string
		env    []string
		args   []string
		colour bool
	}{
		{"xterm", []string{"TERM=xterm-256color"}, nil, true},
		{"dumb terminal", []string{"TERM=dumb"}, nil, false},
		{"NO_COLOR", []string{"TERM=xterm-256color", "NO_COLOR=1"}, nil, false},
		{"--no-color", []string{"TERM=xterm-256color"}, []string{"--no-color"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctrl, tty := openPTY(t)
			x := exec.Command(binary, append([]string{"scan"}, append(c.args, ".")...)...)
			x.Dir = dir
			x.Env = append([]string{"HOME=/nonexistent", "PATH=" + os.Getenv("PATH")}, c.env...)
			x.Stdout = tty
			var stderr bytes.Buffer
			x.Stderr = &stderr
			if err := x.Start(); err != nil {
				t.Fatal(err)
			}
			err := x.Wait()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v; want 1 (stderr %q)", err, stderr.Bytes())
			}
			tty.Close()
			ctrl.SetReadDeadline(time.Now().Add(10 * time.Second))
			out, _ := io.ReadAll(ctrl) // ends with EIO once the terminal is closed
			noLeak(t, result{stdout: out, stderr: stderr.Bytes()}, toks)
			if !bytes.Contains(out, []byte(toks["a"].ID)) {
				t.Fatalf("the terminal shows %q; want the finding", out)
			}
			if got := bytes.Contains(out, []byte("\x1b[")); got != c.colour {
				t.Errorf("colour %v; want %v (terminal shows %q)", got, c.colour, out)
			}
		})
	}
}
