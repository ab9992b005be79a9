package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/windows"
)

// runAsUser skips: dropping to another user is a unix test (setuid).
func runAsUser(t *testing.T, x *exec.Cmd, uid int) {
	t.Skip("running as an unprivileged user needs setuid, which Windows has not")
}

// haveRusage says whether peakRSS can measure a child.
const haveRusage = false

func peakRSS(ps *os.ProcessState) (int64, bool) { return 0, false }

// TestScanWindows runs the binary as a Windows user would: paths given
// with backslashes are reported with forward slashes, a file with CRLF line
// ends is found at the right line and column, and a file another program
// holds open without sharing is a problem (exit 2) that names it, while the
// rest of the scan goes on.
func TestScanWindows(t *testing.T) {
	dir, toks := tree(t, 1201, map[string]string{
		"sub/a.txt":    "{a}",
		"sub/crlf.env": "x=1\r\nTOKEN={c}\r\n",
		"locked.txt":   "{l}",
	})
	want := []string{"sub/a.txt:1:1 " + toks["a"].ID, "sub/crlf.env:2:7 " + toks["c"].ID}
	for _, c := range []struct {
		root string
		want []string
	}{{`.\sub\`, want}, {`sub\a.txt`, want[:1]}, {filepath.Join(dir, "sub"), nil}} {
		r := dtleaks(t, dir, "scan", "--format", "json", c.root)
		got := where(decode(t, r))
		if c.want == nil { // absolute: the same files under the slashed root
			c.want = []string{filepath.ToSlash(dir) + "/" + want[0], filepath.ToSlash(dir) + "/" + want[1]}
		}
		if r.code != 1 || !equal(got, c.want) {
			t.Errorf("scan %s: exit %d, findings %v; want 1 and %v", c.root, r.code, got, c.want)
		}
	}

	name, err := windows.UTF16PtrFromString(filepath.Join(dir, "locked.txt"))
	must(t, err)
	h, err := windows.CreateFile(name, windows.GENERIC_READ, 0 /* no sharing */, nil, windows.OPEN_EXISTING, 0, 0)
	must(t, err)
	defer windows.CloseHandle(h)
	r := dtleaks(t, dir, "scan", "--format", "json", ".")
	noCrash(t, r)
	got := where(decode(t, r))
	if r.code != 2 || !equal(got, want) || !bytes.Contains(r.stderr, []byte("locked.txt")) {
		t.Errorf("locked: exit %d, findings %v, stderr %q; want 2, %v and a problem naming locked.txt", r.code, got, r.stderr, want)
	}
	noLeak(t, r, toks)
}
