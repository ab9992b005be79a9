package history

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/dtleaks/dtleaks/internal/gitindex"
	"github.com/dtleaks/dtleaks/internal/gitrepo"
	"github.com/dtleaks/dtleaks/scanner"
)

// git counts more than the refs as reachable (git fsck, git gc): every
// entry of every reflog (so stash@{1} and older stashes, and a deleted
// branch's commits that HEAD's reflog remembers), the HEAD of every linked
// worktree with its reflogs, and the blobs of the index. --no-unreachable
// keeps what git keeps, so those are roots of the walk too.

// gitRoot is an object git counts as reachable, and what holds it: a
// reflog or a worktree's HEAD, named by its file in the git directory.
type gitRoot struct {
	name string
	hash plumbing.Hash
}

// adminDirs returns the repository's common git directory and the git
// directory of each of its linked worktrees.
func adminDirs(repo *repository) (common string, dirs []string) {
	common = gitrepo.CommonDir(repo.FS.Root())
	dirs = []string{common}
	wts, _ := os.ReadDir(filepath.Join(common, "worktrees"))
	for _, w := range wts {
		if w.IsDir() {
			dirs = append(dirs, filepath.Join(common, "worktrees", w.Name()))
		}
	}
	return common, dirs
}

// reflogRoots returns every object the reflogs and the linked worktrees'
// HEADs name, and the blobs of every index; a file that cannot be read is
// a problem.
func reflogRoots(repo *repository) (roots []gitRoot, indexBlobs []plumbing.Hash, problems []scanner.Problem) {
	common, dirs := adminDirs(repo)
	rel := func(p string) string {
		if r, err := filepath.Rel(common, p); err == nil {
			return filepath.ToSlash(r)
		}
		return p
	}
	for _, d := range dirs {
		if d != common {
			if h, ok := detachedHead(filepath.Join(d, "HEAD")); ok {
				roots = append(roots, gitRoot{rel(filepath.Join(d, "HEAD")), h})
			}
		}
		logs := filepath.Join(d, "logs")
		err := filepath.WalkDir(logs, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if !e.Type().IsRegular() {
				return nil
			}
			hs, err := reflogHashes(p)
			if err != nil {
				problems = append(problems, scanner.Problem{Path: rel(p), Err: err})
				return nil
			}
			for _, h := range hs {
				roots = append(roots, gitRoot{rel(p), h})
			}
			return nil
		})
		if err != nil {
			problems = append(problems, scanner.Problem{Path: rel(logs), Err: err})
		}
		idx := filepath.Join(d, "index")
		if fi, err := os.Stat(idx); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		b, unmap, err := gitindex.Map(idx)
		if err != nil {
			problems = append(problems, scanner.Problem{Path: rel(idx), Err: err})
			continue
		}
		ix, err := gitindex.Parse(b)
		if err != nil {
			unmap()
			problems = append(problems, scanner.Problem{Path: rel(idx), Err: err})
			continue
		}
		for _, e := range ix.Entries {
			if e.Mode != 0o160000 && e.Mode != 0o040000 && !e.IntentToAdd {
				indexBlobs = append(indexBlobs, e.Hash)
			}
		}
		unmap()
	}
	return roots, indexBlobs, problems
}

// detachedHead returns the commit a worktree's HEAD names when it is
// detached; a HEAD on a branch adds nothing to the branch, a ref already.
func detachedHead(name string) (plumbing.Hash, bool) {
	b, err := os.ReadFile(name)
	if err != nil || len(b) > 4096 {
		return plumbing.ZeroHash, false
	}
	s := strings.TrimSpace(string(b))
	if !plumbing.IsHash(s) {
		return plumbing.ZeroHash, false
	}
	return plumbing.NewHash(s), true
}

// reflogHashes returns the old and new object of every entry of a reflog:
// "OLD NEW committer <email> time zone\tmessage". A line of another shape
// is skipped, as git skips it.
func reflogHashes(name string) ([]plumbing.Hash, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseReflog(f)
}

// parseReflog returns the objects of the reflog r, each once (see
// reflogHashes).
func parseReflog(r io.Reader) ([]plumbing.Hash, error) {
	var out []plumbing.Hash
	seen := map[plumbing.Hash]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), " ", 3)
		if len(fields) < 3 {
			continue
		}
		for _, s := range fields[:2] {
			if !plumbing.IsHash(s) {
				continue
			}
			if h := plumbing.NewHash(s); !h.IsZero() && !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading reflog: %w", err)
	}
	return out, nil
}
