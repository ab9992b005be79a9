package source

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dtleaks/dtleaks/internal/gitindex"
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
	gitDir := ignoreGitDir(gitPath, isDir)
	if gitDir == "" {
		return ""
	}
	if isDir {
		return filepath.Join(gitDir, ignore.ExcludeFile)
	}
	// A linked worktree keeps info/exclude in the common directory.
	return filepath.Join(gitrepo.CommonDir(gitDir), ignore.ExcludeFile)
}

// ignoreGitDir returns the git directory of the repository whose top holds
// gitPath: gitPath itself, or where its "gitdir: " line points.
func ignoreGitDir(gitPath string, isDir bool) string {
	if isDir {
		return gitPath
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
	return gitDir
}

// ignoreTracked reads what the index of the repository whose top holds
// gitPath tracks. It returns nil when that cannot be known (no index, as in
// a repository without a commit, or one that cannot be read or parsed):
// then the ignore rules apply as they stand.
func ignoreTracked(gitPath string, isDir bool) *ignore.Tracked {
	gitDir := ignoreGitDir(gitPath, isDir)
	if gitDir == "" {
		return nil
	}
	f, err := dirOpen(filepath.Join(gitDir, "index"), false)
	if err != nil {
		return nil
	}
	const max = 1 << 30 // git's own limit on an index is about 4 GB; none near this is sane
	b, err := io.ReadAll(io.LimitReader(f, max))
	f.Close()
	if err != nil {
		return nil
	}
	idx, err := gitindex.Parse(b)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(idx.Entries))
	for _, e := range idx.Entries {
		names = append(names, e.Name) // with git add -N's: known to git, so not ignored
	}
	return ignore.NewTracked(names)
}

// ignoreAncestors finds whether the directory root (as given) is inside a
// git repository and returns the node for root's parent: the rules of the
// .gitignore and .dtleaksignore files from the repository's top down to
// root's parent, and info/exclude. key is root's key (its path below the
// top). When root is the top or is in no repository, both are zero: root's
// own files are read by the walk. Unreadable ignore files are returned as
// problems, keyed by path.
func ignoreAncestors(root string) (n *ignore.Node, key string, problems []dirProblem) {
	// The repository a root is in is the one its files are in: a root
	// given through a symbolic link is looked up where the link leads,
	// so a link inside a repository to a directory outside it does not
	// bring that repository's rules to files git would never see there.
	abs, err := filepath.EvalSymlinks(root)
	if err == nil {
		abs, err = filepath.Abs(abs)
	}
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
	if err == nil {
		n = n.WithTracked(ignoreTracked(gitPath, fi.IsDir()))
	}
	elems := strings.Split(key, "/")
	for _, e := range elems[:len(elems)-1] {
		dir, dirKey = filepath.Join(dir, e), ignore.Join(dirKey, e)
		n = n.Child(dirKey, read(filepath.Join(dir, ignore.DtleaksFile)), read(filepath.Join(dir, ignore.GitFile)), nil, false)
	}
	return n, key, problems
}
