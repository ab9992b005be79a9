package mirror

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/dtleaks/dtleaks/internal/gitpack"
	"github.com/dtleaks/dtleaks/internal/gitserve"
)

// packOfAll is a pack of every object of the repository at dir, as
// git pack-objects makes for a clone.
func packOfAll(t *testing.T, dir string) []byte {
	t.Helper()
	cmd := exec.Command("sh", "-c", "git rev-list --objects --all | git pack-objects -q --stdout")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// packFiles lists the files of dir's objects/pack.
func packFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "objects", "pack"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// TestPackStorage writes packs through packStorage as go-git's fetch
// does: a good one becomes a pack and an index git fsck and go-git take,
// named by its checksum; a bad one is an error and leaves nothing behind.
func TestPackStorage(t *testing.T) {
	src := source(t, t.TempDir())
	pack := packOfAll(t, src)
	tests := []struct {
		name string
		pack []byte
		bad  bool
	}{
		{"good", pack, false},
		{"cut short", pack[:len(pack)-30], true},
		{"bad checksum", append(append([]byte(nil), pack[:len(pack)-1]...), pack[len(pack)-1]^1), true},
		// Refused at its first bytes, with most of it still to come.
		{"not a pack", append([]byte("KCAP"), pack[4:]...), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "m.git")
			repo, err := git.PlainInit(dir, true)
			if err != nil {
				t.Fatal(err)
			}
			s := &packStorage{Storage: repo.Storer.(*filesystem.Storage), ctx: context.Background(), dir: dir}
			w, err := s.PackfileWriter()
			if err != nil {
				t.Fatal(err)
			}
			// In pieces, as a fetch writes; as go-git's fetch does, it
			// stops at the first failed write, and closes.
			var werr error
			for p := tt.pack; len(p) > 0 && werr == nil; p = p[min(len(p), 1000):] {
				_, werr = w.Write(p[:min(len(p), 1000)])
			}
			err = errors.Join(werr, w.Close())
			files := packFiles(t, dir)
			if tt.bad {
				var pe *gitpack.PackError
				if !errors.As(err, &pe) {
					t.Errorf("Write, Close = %v, want a *gitpack.PackError", err)
				}
				if len(files) != 0 {
					t.Errorf("left %v behind", files)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 2 || filepath.Ext(files[0]) != ".idx" || filepath.Ext(files[1]) != ".pack" {
				t.Fatalf("objects/pack holds %v, want a pack and its index", files)
			}
			gitserve.Git(t, dir, "verify-pack", filepath.Join(dir, "objects", "pack", files[0]))
			gitserve.Git(t, dir, "fsck", "--no-progress", "--strict")
			// Every object of the source, through the store that took
			// the pack and through a fresh one.
			want := gitserve.Git(t, src, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
			if got := gitserve.Git(t, dir, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)"); got != want {
				t.Errorf("objects of the mirror:\n%s\nwant:\n%s", got, want)
			}
			again, err := git.PlainOpen(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range []*filesystem.Storage{s.Storage, again.Storer.(*filesystem.Storage)} {
				n := 0
				for _, line := range strings.Fields(want) {
					if _, err := st.EncodedObject(plumbing.AnyObject, plumbing.NewHash(line)); err != nil {
						t.Errorf("go-git cannot read %s: %v", line, err)
					}
					n++
				}
				if n == 0 {
					t.Fatal("the source has no objects")
				}
			}
		})
	}
}

// TestFresh checks which stores packStorage may take a fetch for: only
// one no reference points from, for a fetch into any other may bring a
// thin pack.
func TestFresh(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m.git")
	repo, err := git.PlainInit(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := fresh(repo.Storer); !ok || err != nil {
		t.Errorf("fresh(new repository) = %v, %v; want true", ok, err)
	}
	src := source(t, t.TempDir())
	r, err := Parse("file://" + filepath.ToSlash(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := Fetch(context.Background(), r, dir, Credentials{}, nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := fresh(repo.Storer); ok || err != nil {
		t.Errorf("fresh(fetched repository) = %v, %v; want false", ok, err)
	}
}

// TestFetchDeltas fetches a repository whose pack is mostly deltas, as
// real ones are, over HTTP and file://, into a new mirror (the pack
// indexed by packStorage) and then again after new commits (go-git's own
// path, for the pack may be thin): each time the mirror holds every
// object of the source and git fsck finds nothing wrong.
func TestFetchDeltas(t *testing.T) {
	root := t.TempDir()
	var commits []map[string]string
	lines := make([]string, 200)
	for i := range lines {
		lines[i] = "a line of a file that changes one line at a time\n"
	}
	for c := range 40 {
		lines[(c*13)%len(lines)] = "edit " + strings.Repeat("x", c) + "\n"
		commits = append(commits, map[string]string{"a.txt": strings.Join(lines, ""), "dir/b.txt": strings.Join(lines[c:], "")})
	}
	bare := gitserve.Bare(t, root, "deltas.git", commits...)
	gitserve.Git(t, bare, "repack", "-adfq")
	if !strings.Contains(gitserve.Git(t, bare, "verify-pack", "-v", must(filepath.Glob(filepath.Join(bare, "objects", "pack", "*.idx")))[0]), "chain length") {
		t.Fatal("the source's pack has no delta")
	}
	srv := gitserve.Start(t, root, gitserve.Options{})
	objects := func(dir string) string {
		return gitserve.Git(t, dir, "cat-file", "--batch-all-objects", "--batch-check")
	}
	for _, u := range []string{srv.URL + "/deltas.git", "file://" + filepath.ToSlash(bare)} {
		r, err := Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), r.Dir())
		if err := Fetch(context.Background(), r, dir, Credentials{}, nil); err != nil {
			t.Fatal(err)
		}
		gitserve.Git(t, dir, "fsck", "--no-progress", "--strict")
		if got, want := objects(dir), objects(bare); got != want {
			t.Errorf("%s: the mirror holds other objects than the source", u)
		}
	}

	// New commits, and fetches into mirrors that have the old ones.
	mirrors := map[string]string{}
	for _, u := range []string{srv.URL + "/deltas.git", "file://" + filepath.ToSlash(bare)} {
		r, _ := Parse(u)
		mirrors[u] = filepath.Join(t.TempDir(), r.Dir())
		if err := Fetch(context.Background(), r, mirrors[u], Credentials{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	work := t.TempDir()
	gitserve.Git(t, work, "clone", "-q", bare, ".")
	for c := range 5 {
		lines[c] = "later edit\n"
		if err := os.WriteFile(filepath.Join(work, "a.txt"), []byte(strings.Join(lines, "")), 0o644); err != nil {
			t.Fatal(err)
		}
		gitserve.Git(t, work, "commit", "-qam", "later")
	}
	gitserve.Git(t, work, "push", "-q", "origin", "main")
	for u, dir := range mirrors {
		r, _ := Parse(u)
		if err := Fetch(context.Background(), r, dir, Credentials{}, nil); err != nil {
			t.Fatal(err)
		}
		gitserve.Git(t, dir, "fsck", "--no-progress", "--strict")
		if got, want := refs(t, dir), refs(t, bare); got != want {
			t.Errorf("%s: after the second fetch:\n%s\nwant:\n%s", u, got, want)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
