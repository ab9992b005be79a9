//go:build unix

// FIFOs and /dev/zero are unix things: on Windows a named pipe is another
// kind of object, refused by the walker's own Windows tests.

package regfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOpenAndReadFile(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "reg")
	if err := os.WriteFile(reg, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		max     int64
		wantErr error
		want    string
	}{
		{"regular", reg, 5, nil, "hello"},
		{"too large", reg, 4, ErrTooLarge, ""},
		{"FIFO, not waited on", fifo, 10, ErrNotRegular, ""},
		{"link to a FIFO", link, 10, ErrNotRegular, ""},
		{"device read for ever", "/dev/zero", 10, ErrNotRegular, ""},
		{"directory", dir, 10, ErrNotRegular, ""},
		{"missing", filepath.Join(dir, "none"), 10, os.ErrNotExist, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ReadFile(tc.path, tc.max)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("ReadFile: %v; want %v", err, tc.wantErr)
			}
			if string(b) != tc.want {
				t.Errorf("ReadFile = %q; want %q", b, tc.want)
			}
			if tc.wantErr == ErrNotRegular {
				if err := Check(tc.path); !errors.Is(err, ErrNotRegular) {
					t.Errorf("Check: %v; want ErrNotRegular", err)
				}
			}
		})
	}
	if err := Check(filepath.Join(dir, "none")); err != nil {
		t.Errorf("Check of a missing file: %v; want nil", err)
	}
}
