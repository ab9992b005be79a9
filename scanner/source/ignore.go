package source

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dtleaks/dtleaks/internal/gitrepo"
	"github.com/dtleaks/dtleaks/internal/ignore"
)

// The walk's side of its ignore rules: reading ignore files without
// following links, finding a repository's info/exclude, and the rules of the
// directories above a root. What the rules mean is package ignore's.

// ignoreRead reads and compiles an ignore file. A missing file is no error
// and gives a nil list.
func ignoreRead(path string) (*ignore.List, error) {
	b, err := dirReadSmall(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	l := ignore.Parse(b)
	if l.Empty() {
		return nil, nil
	}
	return l, nil
}

// ignoreExcludePath returns where the info/exclude file of the repository
// whose top holds gitPath (".git", a directory or a "gitdir: " file, as in a
// worktree or submodule) is.
func ignoreExcludePath(gitPath string, isDir bool) string {
	if isDir {
		return filepath.Join(gitPath, ignore.ExcludeFile)
	}
	b, err := dirReadSmall(gitPath)
	if err != nil {
		return ""
	}
	gitDir, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir:")
	if !ok {
		return ""
	}
	gitDir = strings.TrimSpace(gitDir)
	if !filepath.IsAbs(gitDir) {
		gitDir = filepath.Join(filepath.Dir(gitPath), gitDir)
	}
	// A linked worktree keeps info/exclude in the common directory.
	return filepath.Join(gitrepo.CommonDir(gitDir), ignore.ExcludeFile)
}

// ignoreAncestors finds whether the directory root (as given) is inside a
// git repository and returns the node for root's parent: the rules of the
// .gitignore and .dtleaksignore files from the repository's top down to
// root's parent, and info/exclude. key is root's key (its path below the
// top). When root is the top or is in no repository, both are zero: root's
// own files are read by the walk. Unreadable ignore files are returned as
// problems, keyed by path.
func ignoreAncestors(root string) (n *ignore.Node, key string, problems []dirProblem) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, "", nil
	}
	top := ""
	for d := abs; ; {
		if _, err := os.Lstat(filepath.Join(d, ignore.GitDir)); err == nil {
			top = d
			break
		}
		up := filepath.Dir(d)
		if up == d {
			break
		}
		d = up
	}
	if top == "" || top == abs {
		return nil, "", nil
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return nil, "", nil
	}
	key = filepath.ToSlash(rel)
	read := func(path string) *ignore.List {
		l, err := ignoreRead(path)
		if err != nil {
			problems = append(problems, dirProblem{path: filepath.ToSlash(path), err: fmt.Errorf("ignore rules not applied: %w", err)})
		}
		return l
	}
	gitPath := filepath.Join(top, ignore.GitDir)
	fi, err := os.Lstat(gitPath)
	var exclude *ignore.List
	if err == nil {
		if p := ignoreExcludePath(gitPath, fi.IsDir()); p != "" {
			exclude = read(p)
		}
	}
	dir, dirKey := top, ""
	n = (*ignore.Node)(nil).Child("", read(filepath.Join(dir, ignore.DtleaksFile)), read(filepath.Join(dir, ignore.GitFile)), exclude, true)
	elems := strings.Split(key, "/")
	for _, e := range elems[:len(elems)-1] {
		dir, dirKey = filepath.Join(dir, e), ignore.Join(dirKey, e)
		n = n.Child(dirKey, read(filepath.Join(dir, ignore.DtleaksFile)), read(filepath.Join(dir, ignore.GitFile)), nil, false)
	}
	return n, key, problems
}
