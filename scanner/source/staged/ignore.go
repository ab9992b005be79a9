package staged

import (
	"io"
	"path"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/dtleaks/dtleaks/internal/gitindex"
	"github.com/dtleaks/dtleaks/internal/ignore"
	"github.com/dtleaks/dtleaks/scanner"
)

// maxIgnoreFile bounds a staged .dtleaksignore read: rules files are small.
const maxIgnoreFile = 1 << 20

// dropIgnored takes out of st.changes the paths that the staged
// .dtleaksignore files leave out: the rules the commit will hold, as a scan
// of its checkout would apply them. An ignore file that cannot be read is a
// problem, and the paths below it are kept.
func (s *Source) dropIgnored(st *state, entries []gitindex.Entry) {
	files := map[string]plumbing.Hash{}
	for _, e := range entries {
		if e.Stage == 0 && path.Base(e.Name) == ignore.DtleaksFile && e.Mode&0o170000 == 0o100000 {
			dir := path.Dir(e.Name)
			if dir == "." {
				dir = ""
			}
			files[dir] = e.Hash
		}
	}
	if len(files) == 0 {
		return
	}
	t := &ignore.Tree{Read: func(dir string) ([]byte, error) {
		h, ok := files[dir]
		if !ok {
			return nil, nil
		}
		rc, err := openBlob(st.repo.Store, ignore.Join(dir, ignore.DtleaksFile), h)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(io.LimitReader(rc, maxIgnoreFile))
	}}
	reported := map[error]bool{}
	kept := st.changes[:0]
	for _, ch := range st.changes {
		skip, err := t.Ignored(ch.path)
		if err != nil && !reported[err] {
			reported[err] = true
			st.problems = append(st.problems, scanner.Problem{Err: err})
		}
		if skip {
			st.ignored++
			continue
		}
		kept = append(kept, ch)
	}
	st.changes = kept
}
