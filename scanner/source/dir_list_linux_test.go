package source

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDirStatMode checks the types a listing gives when the file system
// does not say (DT_UNKNOWN, from fstatat) against os.Lstat's, for every
// kind of file a test can make.
func TestDirStatMode(t *testing.T) {
	dir := t.TempDir()
	dirBuild(t, dir, dirFixture{"file": "x", "sub/f": "x"})
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("file", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, p := range []string{"file", "sub", "fifo", "link", "sock", "/dev/null"} {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			t.Fatal(err)
		}
		if got, want := dirStatMode(st.Mode), fi.Mode().Type(); got != want {
			t.Errorf("%s: type %v, want %v", p, got, want)
		}
	}
}
