//go:build linux

package source

import (
	"encoding/binary"
	"io/fs"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// dirDir is an open directory, listed with getdents64 directly: os.File's
// ReadDir would cost a system call (fcntl) and an os.File per directory,
// and two allocations (a DirEntry and its name) per entry; here a listing
// costs one string for all its names.
type dirDir struct {
	fd int
}

// dirNewDir makes an open directory of a descriptor.
func dirNewDir(fd int, _ string) dirDir { return dirDir{fd: fd} }

// list appends the directory's entries to ents, but for "." and "..".
// The raw entries are read into *buf, grown as needed and kept for the
// next listing; the names are copied out of it in one string. Whatever was
// listed before an error is returned with it.
func (d dirDir) list(path string, ents []dirEnt, buf *[]byte) ([]dirEnt, error) {
	const min = 16 << 10
	if cap(*buf) < min {
		*buf = make([]byte, 0, min)
	}
	b := (*buf)[:0]
	var err error
	for {
		b = slices.Grow(b, min/2)
		n, e := unix.Getdents(d.fd, b[len(b):cap(b)])
		if e == syscall.EINTR {
			continue
		}
		if e != nil {
			err = &fs.PathError{Op: "readdirent", Path: path, Err: e}
			break
		}
		if n <= 0 {
			break
		}
		b = b[:len(b)+n]
	}
	*buf = b
	// One string holds every record, names and all; each name is a
	// slice of it.
	s := string(b)
	for off := 0; off+19 <= len(s); {
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8,
		// then the name, NUL-terminated and padded.
		reclen := int(binary.NativeEndian.Uint16(b[off+16:]))
		if reclen < 19 || off+reclen > len(s) {
			break
		}
		ino := binary.NativeEndian.Uint64(b[off:])
		typ := b[off+18]
		name := s[off+19 : off+reclen]
		for i := 0; i < len(name); i++ {
			if name[i] == 0 {
				name = name[:i]
				break
			}
		}
		off += reclen
		if ino == 0 || name == "." || name == ".." {
			continue
		}
		mode, ok := dirTypeMode(typ)
		if !ok {
			// The file system does not say (DT_UNKNOWN): ask,
			// without following a link.
			var st unix.Stat_t
			if e := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); e != nil {
				if e == syscall.ENOENT {
					continue // gone since the listing
				}
				if err == nil {
					err = &fs.PathError{Op: "lstat", Path: dirJoin(path, name), Err: e}
				}
				continue
			}
			mode = dirStatMode(st.Mode)
		}
		ents = append(ents, dirEnt{name: name, typ: mode})
	}
	return ents, err
}

// dirTypeMode turns a dirent's d_type into fs.FileMode type bits; false
// for DT_UNKNOWN.
func dirTypeMode(t uint8) (fs.FileMode, bool) {
	switch t {
	case syscall.DT_REG:
		return 0, true
	case syscall.DT_DIR:
		return fs.ModeDir, true
	case syscall.DT_LNK:
		return fs.ModeSymlink, true
	case syscall.DT_FIFO:
		return fs.ModeNamedPipe, true
	case syscall.DT_SOCK:
		return fs.ModeSocket, true
	case syscall.DT_CHR:
		return fs.ModeDevice | fs.ModeCharDevice, true
	case syscall.DT_BLK:
		return fs.ModeDevice, true
	case syscall.DT_UNKNOWN:
		return 0, false
	}
	return fs.ModeIrregular, true
}

// dirStatMode turns a stat st_mode into fs.FileMode type bits.
func dirStatMode(m uint32) fs.FileMode {
	switch m & syscall.S_IFMT {
	case syscall.S_IFREG:
		return 0
	case syscall.S_IFDIR:
		return fs.ModeDir
	case syscall.S_IFLNK:
		return fs.ModeSymlink
	case syscall.S_IFIFO:
		return fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		return fs.ModeSocket
	case syscall.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		return fs.ModeDevice
	}
	return fs.ModeIrregular
}

// close closes the directory.
func (d dirDir) close() { syscall.Close(d.fd) }
