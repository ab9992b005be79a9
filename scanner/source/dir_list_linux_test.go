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

// TestDirOpenAtFewDescriptors walks a deep tree in a process allowed few
// descriptors: the walk keeps fewer directories open, and every file is
// still opened.
func TestDirOpenAtFewDescriptors(t *testing.T) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Skip(err)
	}
	open := dirOpenFDs(t)
	low := rl
	low.Cur = uint64(open + 64)
	if low.Cur > rl.Cur {
		t.Skipf("the limit is already %d", rl.Cur)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skip(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	if got, want := dirOpenDirsMax(), int32(low.Cur/8); got != want {
		t.Errorf("dirOpenDirsMax() = %d with %d descriptors allowed, want %d", got, low.Cur, want)
	}
	root := t.TempDir()
	tr := dirDeep(t, root, 200, 2)
	var ps []string
	for p := range tr.tokens {
		ps = append(ps, p)
	}
	found, problems := dirScan(t, Dir{Roots: []string{root}, Jobs: 4, NoIgnore: true})
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	dirCheck(t, tr, found, dirWant(root, ps...))
}
