// Package gittest builds real git repositories for tests, with the git
// command line: git itself is the oracle of what a repository holds. Every
// command runs with fixed identities and dates, an empty home directory and
// no system configuration, and without the GIT_DIR, GIT_WORK_TREE or
// GIT_INDEX_FILE a hook the tests may run under would pass down, so a test
// builds the same repository wherever it runs.
package gittest

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The identities every commit is made with.
const (
	AuthorName     = "Ann Author"
	AuthorEmail    = "ann@example.com"
	CommitterName  = "Cid Committer"
	CommitterEmail = "cid@example.com"
)

// Epoch is the date of the first commit; each commit of a Repo is one
// minute after the one before, so that "oldest" is well defined.
var Epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Repo is a repository in a temporary directory.
type Repo struct {
	T    testing.TB
	Dir  string // the work tree (or the repository, if bare)
	Home string // HOME of every git command
	n    int    // commits made
}

// New creates a repository in a temporary directory with "git init -q -b
// main" and args, such as "--bare". It skips the test when git is not
// installed.
func New(t testing.TB, args ...string) *Repo {
	t.Helper()
	r := At(t, t.TempDir())
	r.Git(append([]string{"init", "-q", "-b", "main"}, args...)...)
	return r
}

// At returns a Repo for dir, which need not exist yet (the target of a
// clone): its commands run as New's do. It skips the test when git is not
// installed.
func At(t testing.TB, dir string) *Repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	return &Repo{T: t, Dir: dir, Home: t.TempDir()}
}

// Env is the environment of a git command committing at date with home as
// HOME: the process's own, less what a hook passes down, with the fixed
// identities.
func Env(home string, date time.Time) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "GIT_INDEX_FILE=") || strings.HasPrefix(kv, "GIT_DIR=") || strings.HasPrefix(kv, "GIT_WORK_TREE=")
	})
	d := date.Format(time.RFC3339)
	return append(env, "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+filepath.Join(home, ".gitconfig"),
		"GIT_AUTHOR_NAME="+AuthorName, "GIT_AUTHOR_EMAIL="+AuthorEmail, "GIT_AUTHOR_DATE="+d,
		"GIT_COMMITTER_NAME="+CommitterName, "GIT_COMMITTER_EMAIL="+CommitterEmail, "GIT_COMMITTER_DATE="+d)
}

// Run runs git in dir with in as its standard input and returns its
// output, trimmed; a failure fails the test with the output, which names
// files and refs, never file content (no test writes a token into a path,
// a ref or a commit message it expects git to fail on).
func Run(t testing.TB, dir, home string, date time.Time, in string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(in)
	cmd.Env = Env(home, date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// GitEnv runs git in the repository as Git does, with env added last so
// that it overrides the fixed identities (a token in an author's name, for
// instance). A failure names only the git command: its arguments and output
// may hold a token.
func (r *Repo) GitEnv(env []string, args ...string) string {
	r.T.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.Dir
	cmd.Env = append(Env(r.Home, r.date()), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.T.Fatalf("git %s: %v", args[0], err)
	}
	return strings.TrimSpace(string(out))
}

// Git runs git in the repository.
func (r *Repo) Git(args ...string) string {
	r.T.Helper()
	return r.GitIn(r.Dir, args...)
}

// GitIn runs git in dir, as the repository's commands run.
func (r *Repo) GitIn(dir string, args ...string) string {
	r.T.Helper()
	return Run(r.T, dir, r.Home, r.date(), "", args...)
}

// GitInput runs git in the repository with in as its standard input.
func (r *Repo) GitInput(in string, args ...string) string {
	r.T.Helper()
	return Run(r.T, r.Dir, r.Home, r.date(), in, args...)
}

// Tick moves the date of the next commands a minute on, as a commit does.
func (r *Repo) Tick() { r.n++ }

// SetClock sets the date of the next commands to n minutes after Epoch,
// for tests of equal or skewed commit times.
func (r *Repo) SetClock(n int) { r.n = n }

func (r *Repo) date() time.Time { return Epoch.Add(time.Duration(r.n) * time.Minute) }

// Write writes a file of the work tree, path in forward slashes, making
// its directories.
func (r *Repo) Write(path, content string) {
	r.T.Helper()
	p := filepath.Join(r.Dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.T.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.T.Fatal(err)
	}
}

// Commit stages everything and commits, a minute after the last commit;
// it returns the commit's hash.
func (r *Repo) Commit(msg string) string {
	r.T.Helper()
	r.Tick()
	r.Git("add", "-A")
	r.Git("commit", "-q", "--allow-empty", "-m", msg)
	return r.Git("rev-parse", "HEAD")
}
