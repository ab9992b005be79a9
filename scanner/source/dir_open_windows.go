//go:build windows

package source

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// dirHandle is an open file as the system names it: a handle.
type dirHandle = syscall.Handle

// dirNoHandle is no open file.
const dirNoHandle = syscall.InvalidHandle

// dirOpenDirsMax is 0: every entry is opened by its full path, and no
// directory is kept open for its entries (see dirRef). Windows has a
// handle-relative open too (NtCreateFile with a root directory), but
// CreateFile, its reparse point handling (dirOpenHandle) and its \\?\
// paths are what is tested here.
func dirOpenDirsMax() int32 { return 0 }

// dirOpenDir opens a directory to list it; parent is always nil (dirOpenDirsMax).
// With noFollow, a path that has become a symbolic link or a junction
// since it was listed fails to open.
func dirOpenDir(_ *dirRef, path string, noFollow bool) (dirDir, error) {
	h, fi, err := dirOpenHandle(path, noFollow)
	if err == errDirSkip {
		err = &fs.PathError{Op: "open", Path: path, Err: syscall.ENOTDIR}
	}
	if err != nil {
		return dirDir{}, err
	}
	if fi.attrs&windows.FILE_ATTRIBUTE_DIRECTORY == 0 {
		windows.CloseHandle(h)
		return dirDir{}, &fs.PathError{Op: "open", Path: path, Err: syscall.ENOTDIR}
	}
	return dirNewDir(syscall.Handle(h), path), nil
}

// dirListedFile reports whether a directory entry of type typ is a file to
// open. Symbolic links, and junctions (which Go lists as irregular
// directories), are not followed. A reparse point that is not a link is
// listed as an irregular file: a cloud file not yet downloaded (OneDrive),
// a deduplicated or compressed file. git for Windows takes those for the
// regular files they hold, and so do we: they are opened, and one that is
// a link after all is not followed (dirOpenIn). Devices and pipes are not
// found in directories on Windows.
func dirListedFile(typ fs.FileMode) bool {
	return typ.IsRegular() || typ == fs.ModeIrregular
}

// dirOpenIn opens a file for reading into f and makes sure it is a file
// on a disk, not a directory, a device or a pipe. With noFollow, a path
// that is a symbolic link or a junction fails to open. parent is always
// nil (dirOpenDirsMax).
func dirOpenIn(f *dirFile, _ *dirRef, path string, noFollow bool) error {
	h, fi, err := dirOpenHandle(path, noFollow)
	if err != nil {
		return err
	}
	if fi.attrs&windows.FILE_ATTRIBUTE_DIRECTORY != 0 {
		windows.CloseHandle(h)
		return errDirSkip
	}
	*f = dirFile{fd: syscall.Handle(h), path: path, size: fi.size}
	return nil
}

// dirHandleInfo is what dirOpenHandle learns of an open file.
type dirHandleInfo struct {
	attrs uint32
	tag   uint32 // the reparse tag, when attrs has FILE_ATTRIBUTE_REPARSE_POINT
	vol   uint32
	index uint64
	size  int64
}

// dirOpenHandle opens path for reading, sharing it with every other reader
// and writer: a file another process holds open without sharing fails with
// a sharing violation, which names the path, and the walk goes on.
//
// With noFollow the handle is of the path itself, never of what a reparse
// point names: a name surrogate (a symbolic link, a junction) fails with
// ELOOP, as O_NOFOLLOW does on unix. Any other reparse point is opened again
// through the filter driver that owns it, so that reading gives its data,
// and must still be the same file.
//
// A handle that is not of a disk file (a device, a pipe) is closed and
// errDirSkip returned.
func dirOpenHandle(path string, noFollow bool) (windows.Handle, dirHandleInfo, error) {
	perr := func(err error) error { return &fs.PathError{Op: "open", Path: path, Err: err} }
	name, err := windows.UTF16PtrFromString(dirLongPath(path))
	if err != nil {
		return 0, dirHandleInfo{}, perr(err)
	}
	flags := uint32(windows.FILE_FLAG_BACKUP_SEMANTICS | windows.FILE_FLAG_SEQUENTIAL_SCAN)
	if noFollow {
		flags |= windows.FILE_FLAG_OPEN_REPARSE_POINT
	}
	h, fi, err := dirCreate(name, flags)
	if err != nil {
		if err != errDirSkip {
			err = perr(err)
		}
		return 0, fi, err
	}
	if !noFollow || fi.attrs&windows.FILE_ATTRIBUTE_REPARSE_POINT == 0 {
		return h, fi, nil
	}
	if fi.tag&0x20000000 != 0 { // IsReparseTagNameSurrogate
		windows.CloseHandle(h)
		return 0, fi, perr(syscall.ELOOP)
	}
	h2, fi2, err := dirCreate(name, flags&^windows.FILE_FLAG_OPEN_REPARSE_POINT)
	windows.CloseHandle(h)
	if err != nil {
		if err != errDirSkip {
			err = perr(err)
		}
		return 0, fi2, err
	}
	if fi2.vol != fi.vol || fi2.index != fi.index {
		// Swapped for a link between the two opens.
		windows.CloseHandle(h2)
		return 0, fi2, perr(syscall.ELOOP)
	}
	return h2, fi2, nil
}

// dirCreate opens a file by its \\?\ name and learns what it is.
func dirCreate(name *uint16, flags uint32) (windows.Handle, dirHandleInfo, error) {
	var fi dirHandleInfo
	h, err := windows.CreateFile(name, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, flags, 0)
	if err != nil {
		return 0, fi, err
	}
	if t, err := windows.GetFileType(h); err != nil || t != windows.FILE_TYPE_DISK {
		windows.CloseHandle(h)
		return 0, fi, errDirSkip
	}
	var bh windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &bh); err != nil {
		windows.CloseHandle(h)
		return 0, fi, err
	}
	fi = dirHandleInfo{
		attrs: bh.FileAttributes,
		vol:   bh.VolumeSerialNumber,
		index: uint64(bh.FileIndexHigh)<<32 | uint64(bh.FileIndexLow),
		size:  int64(bh.FileSizeHigh)<<32 | int64(bh.FileSizeLow),
	}
	if fi.attrs&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0 {
		var tag struct{ attrs, tag uint32 } // FILE_ATTRIBUTE_TAG_INFO
		if err := windows.GetFileInformationByHandleEx(h, windows.FileAttributeTagInfo, (*byte)(unsafe.Pointer(&tag)), uint32(unsafe.Sizeof(tag))); err != nil {
			windows.CloseHandle(h)
			return 0, fi, err
		}
		fi.tag = tag.tag
	}
	return h, fi, nil
}

// dirLongPath turns a path as the walk names it (forward slashes, maybe
// relative) into an absolute \\?\ path, which Windows takes name by name: a
// path may then be longer than MAX_PATH (260 characters), and a file listed
// as "nul", "con" or "a." is opened as that file, not as a device or "a".
// A path the user gave as \\?\ or \\.\ is kept as it is.
func dirLongPath(path string) string {
	p := filepath.FromSlash(path)
	if strings.HasPrefix(p, `\\?\`) || strings.HasPrefix(p, `\\.\`) {
		return p
	}
	if !filepath.IsAbs(p) {
		vol := filepath.VolumeName(p)
		wd, err := os.Getwd()
		switch {
		case err != nil:
			return p
		case vol == "" && strings.HasPrefix(p, `\`):
			p = filepath.VolumeName(wd) + p // rooted on the current drive
		case vol == "":
			p = filepath.Join(wd, p)
		default:
			// Relative to the current directory of another drive
			// ("D:x"), which only Windows knows.
			if full, err := syscall.FullPath(p); err == nil {
				p = full
			}
		}
	}
	p = filepath.Clean(p)
	if strings.HasPrefix(p, `\\`) {
		return `\\?\UNC\` + p[2:]
	}
	return `\\?\` + p
}

// dirSysRead reads from an open file.
func dirSysRead(fd dirHandle, p []byte) (int, error) { return syscall.Read(fd, p) }

// dirSysPread reads at off. ReadFile with an offset moves a synchronous
// handle's position too, so the position is put back, as Go's own
// File.ReadAt does on Windows. End of file is a 0-byte read.
func dirSysPread(fd dirHandle, p []byte, off int64) (int, error) {
	cur, err := syscall.Seek(fd, 0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	defer syscall.Seek(fd, cur, io.SeekStart)
	var done uint32
	o := syscall.Overlapped{Offset: uint32(off), OffsetHigh: uint32(off >> 32)}
	err = syscall.ReadFile(fd, p, &done, &o)
	if err == syscall.ERROR_HANDLE_EOF {
		err = nil
	}
	return int(done), err
}

// dirSysClose closes an open file.
func dirSysClose(fd dirHandle) error { return syscall.CloseHandle(fd) }
