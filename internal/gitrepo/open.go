package gitrepo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	billy "github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// OpenEnv is Open with git's environment read through getenv (nil means
// os.Getenv). For path "" or ".", $GIT_DIR names the git directory
// outright, relative to the current directory, and $GIT_WORK_TREE its work
// tree (the current directory when unset, as git has it): hooks run with
// GIT_DIR set (a pre-receive hook in a bare repository, as "."), and a
// user may set it by hand, so the repository read must be the one git
// reads. A path other than "" or "." names a repository explicitly and
// wins over GIT_DIR, so that a hook can scan another repository than its
// own. The object-directory variables apply either way (see build).
func OpenEnv(path string, getenv func(string) string) (*Repo, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	gitDir := getenv("GIT_DIR")
	if gitDir == "" || path != "" && path != "." {
		return openPath(path, getenv)
	}
	gitDir, err := filepath.Abs(gitDir)
	if err != nil {
		return nil, err
	}
	workTree := getenv("GIT_WORK_TREE")
	if workTree == "" {
		if cfg, err := readConfig(gitDir); err != nil || !cfg.Core.IsBare {
			workTree = "."
		}
	}
	return openGitDir(gitDir, workTree, getenv)
}

// harmlessExtensions are the repository extensions that change nothing of
// what a scan reads, which go-git refuses all the same (it compares their
// lower-cased names with camel-cased ones). worktreeConfig only lets each
// worktree have a config of its own (sparse checkouts set it).
var harmlessExtensions = map[string]bool{"worktreeconfig": true, "noop": true}

// onlyHarmless reports whether every extension gitDir's config names is
// in harmlessExtensions.
func onlyHarmless(cfg *config.Config) bool {
	if cfg == nil || cfg.Raw == nil || !cfg.Raw.HasSection("extensions") {
		return true
	}
	for _, o := range cfg.Raw.Section("extensions").Options {
		if !harmlessExtensions[strings.ToLower(o.Key)] {
			return false
		}
	}
	return true
}

// Config returns the repository's config without the extensions that
// change nothing of what is read (harmlessExtensions), so that go-git
// opens a repository that has only those.
func (s *Storer) Config() (*config.Config, error) {
	cfg, err := s.Storage.Config()
	if err != nil || cfg.Raw == nil || !cfg.Raw.HasSection("extensions") || !onlyHarmless(cfg) {
		return cfg, err
	}
	c := *cfg
	raw := *cfg.Raw
	raw.Sections = nil
	for _, sec := range cfg.Raw.Sections {
		if !strings.EqualFold(sec.Name, "extensions") {
			raw.Sections = append(raw.Sections, sec)
		}
	}
	c.Raw = &raw
	return &c, nil
}

// extensionErr reports whether err is go-git refusing a repository for its
// extensions.
func extensionErr(err error) bool {
	return errors.Is(err, git.ErrUnknownExtension) || errors.Is(err, git.ErrUnsupportedExtensionRepositoryFormatVersion)
}

// openHarmless opens the repository at path that go-git refused for its
// extensions, when they are all harmless; ok is false otherwise.
func openHarmless(path string, getenv func(string) string) (*Repo, bool, error) {
	gitDir := findGitDir(path)
	if gitDir == "" {
		return nil, false, nil
	}
	cfg, err := readConfig(gitDir)
	if err != nil || !onlyHarmless(cfg) {
		return nil, false, nil
	}
	workTree := ""
	if !IsBare(path) {
		workTree = filepath.Dir(gitDir)
		if top, ok := worktreeTop(path); ok {
			workTree = top
		}
	}
	r, err := openGitDir(gitDir, workTree, getenv)
	return r, true, err
}

// worktreeTop returns the nearest directory at or above path that holds a
// .git.
func worktreeTop(path string) (string, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := osfs.Default.Lstat(filepath.Join(d, ".git")); err == nil {
			return d, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// readConfig reads the config of the repository whose git directory is
// gitDir (its common directory's, for a linked worktree).
func readConfig(gitDir string) (*config.Config, error) {
	f, err := osfs.Default.Open(filepath.Join(CommonDir(gitDir), "config"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return config.ReadConfig(f)
}

// openGitDir opens the repository whose git directory is gitDir, with the
// work tree workTree ("" for none), as Open does once it found them.
func openGitDir(gitDir, workTree string, getenv func(string) string) (*Repo, error) {
	var fs billy.Filesystem = osfs.New(gitDir)
	if common := CommonDir(gitDir); common != gitDir {
		fs = dotgit.NewRepositoryFilesystem(fs, osfs.New(common))
	}
	var worktree billy.Filesystem
	if workTree != "" {
		worktree = osfs.New(workTree)
	}
	return build(gitDir, fs, worktree, getenv)
}
