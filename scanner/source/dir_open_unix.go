//go:build unix

package source

import (
	"io/fs"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// dirHandle is an open file as the system names it: a descriptor.
type dirHandle = int

// dirNoHandle is no open file.
const dirNoHandle dirHandle = -1

// dirOpenDirsMax is how many directories a walk may keep open for their
// entries to be opened relative to them (openat; see dirRef):
// dirMaxOpenDirs, or an eighth of the descriptors the process may open if
// that is fewer, so that the files the workers open, and whatever else
// the process has open, still find descriptors.
func dirOpenDirsMax() int32 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && uint64(rl.Cur)/8 < dirMaxOpenDirs {
		return int32(uint64(rl.Cur) / 8)
	}
	return dirMaxOpenDirs
}

// dirOpenDir opens a directory to list it, relative to parent when set. With
// noFollow, a path that has become a symbolic link since it was listed
// fails to open (O_NOFOLLOW).
func dirOpenDir(parent *dirRef, path string, noFollow bool) (dirDir, error) {
	flags := syscall.O_RDONLY | syscall.O_DIRECTORY | syscall.O_CLOEXEC
	if noFollow {
		flags |= syscall.O_NOFOLLOW
	}
	fd, err := dirOpenFlags(parent, path, flags)
	if err != nil {
		return dirDir{}, err
	}
	return dirNewDir(fd, path), nil
}

// dirListedFile reports whether a directory entry of type typ is a file to
// open. Symbolic links are not followed; FIFOs, sockets and devices are
// never opened.
func dirListedFile(typ fs.FileMode) bool { return typ.IsRegular() }

// dirOpenIn opens a file for reading into f, relative to parent when set,
// and makes sure it is a regular file. O_NONBLOCK keeps the open itself from
// waiting on a FIFO swapped in since the listing; the Fstat after it keeps
// us from reading one (or a device). With noFollow, a path that became a
// symbolic link fails to open.
func dirOpenIn(f *dirFile, parent *dirRef, path string, noFollow bool) error {
	flags := syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NONBLOCK | syscall.O_NOCTTY
	if noFollow {
		flags |= syscall.O_NOFOLLOW
	}
	fd, err := dirOpenFlags(parent, path, flags)
	if err != nil {
		return err
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return errDirSkip
	}
	*f = dirFile{fd: fd, path: path, size: st.Size, sparse: st.Blocks*512 < st.Size}
	return nil
}

// dirOpenFlags opens path, retrying when a signal interrupts. With a
// parent, path is one of its entries (dirJoin of its path and a name) and
// is opened by that name relative to it; errors still name the whole path.
func dirOpenFlags(parent *dirRef, path string, flags int) (int, error) {
	dirfd, name := unix.AT_FDCWD, path
	if parent != nil {
		dirfd, name = parent.d.fd, path[strings.LastIndexByte(path, '/')+1:]
	}
	for {
		fd, err := unix.Openat(dirfd, name, flags, 0)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return -1, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}

// dirSysRead reads from an open file.
func dirSysRead(fd dirHandle, p []byte) (int, error) { return syscall.Read(fd, p) }

// dirSysPread reads at off without moving the file's position.
func dirSysPread(fd dirHandle, p []byte, off int64) (int, error) { return syscall.Pread(fd, p, off) }

// dirSysClose closes an open file.
func dirSysClose(fd dirHandle) error { return syscall.Close(fd) }
