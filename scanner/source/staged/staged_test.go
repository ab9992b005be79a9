package staged

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/scanner"
)

// testRepo is a repository built with the git CLI in a temporary
// directory, with tokens generated from a fixed seed.
type testRepo struct {
	t   *testing.T
	dir string
	gen *tokentest.Gen
}

func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	r := &testRepo{t: t, dir: t.TempDir(), gen: tokentest.New(11)}
	r.git("init", "-q", "-b", "main")
	return r
}

// gitEnv is the environment of git commands: fixed identities and
// dates, no user configuration, and no index or repository inherited from
// a hook the tests may run under.
func gitEnv() []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "GIT_INDEX_FILE=") || strings.HasPrefix(kv, "GIT_DIR=") || strings.HasPrefix(kv, "GIT_WORK_TREE=")
	})
	return append(env,
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_AUTHOR_DATE=2024-01-01T00:00:00Z",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid", "GIT_COMMITTER_DATE=2024-01-01T00:00:00Z")
}

func (r *testRepo) gitIn(dir string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		// The output names paths and hashes; no test writes a token into
		// a commit message or a path.
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *testRepo) git(args ...string) string { r.t.Helper(); return r.gitIn(r.dir, args...) }

func (r *testRepo) write(path, content string) {
	r.t.Helper()
	full := filepath.Join(r.dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) token() tokentest.Token { return r.gen.Token("dt0c01") }

func (r *testRepo) commit(msg string) {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
}

// spot is a finding as the tests compare it: no secret in it.
type spot struct {
	Path string
	Line int
	ID   string
}

func (h spot) String() string { return fmt.Sprintf("%s:%d %s", h.Path, h.Line, h.ID) }

// scan runs a whole scan of src and returns its findings and problems.
func scan(t *testing.T, src *Source) ([]spot, []scanner.Problem) {
	t.Helper()
	res, err := scanner.Scan(context.Background(), src, scanner.Options{})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	var hits []spot
	for _, f := range res.Findings {
		hits = append(hits, spot{f.Path, f.Line, string(f.ID)})
	}
	return hits, res.Problems
}

func (r *testRepo) check(want ...spot) {
	r.t.Helper()
	r.checkSrc(&Source{Path: r.dir}, want...)
}

func (r *testRepo) checkSrc(src *Source, want ...spot) {
	r.t.Helper()
	got, problems := scan(r.t, src)
	for _, p := range problems {
		r.t.Errorf("problem: %v", p)
	}
	if !slices.Equal(got, want) {
		r.t.Errorf("findings = %v; want %v", got, want)
	}
}

func hit(path string, line int, tok tokentest.Token) spot { return spot{path, line, tok.ID} }

func TestNewFile(t *testing.T) {
	r := newTestRepo(t)
	r.write("README", "hello\n")
	r.commit("init")
	tok := r.token()
	r.write("conf/app.env", "A=1\nB=2\nTOKEN="+tok.Text+"\n")
	r.git("add", "conf/app.env")
	r.check(hit("conf/app.env", 3, tok))
}

func TestEdit(t *testing.T) {
	r := newTestRepo(t)
	old := r.token()
	r.write("app.env", "A=1\nOLD="+old.Text+"\nB=2\nC=3\n")
	r.commit("init")
	// The committed token stays on a line that is not touched, while
	// lines around it change and a new token arrives further down.
	tok := r.token()
	r.write("app.env", "A=10\nOLD="+old.Text+"\nB=2\nNEW="+tok.Text+"\nC=30\n")
	r.git("add", "app.env")
	r.check(hit("app.env", 4, tok))
}

func TestUntouchedToken(t *testing.T) {
	r := newTestRepo(t)
	old := r.token()
	r.write("app.env", "x\ny\nOLD="+old.Text+"\nz\n")
	r.commit("init")
	r.write("app.env", "inserted\nx\nY\nOLD="+old.Text+"\nz\nappended\n")
	r.git("add", "app.env")
	r.check()
}

func TestChangedLine(t *testing.T) {
	r := newTestRepo(t)
	old := r.token()
	r.write("app.env", "x\nOLD="+old.Text+"\n")
	r.commit("init")
	// The same token on a changed line: the commit adds that line.
	r.write("app.env", "x\nOLD="+old.Text+" # rotated soon\n")
	r.git("add", "app.env")
	r.check(hit("app.env", 2, old))
}

func TestUnstaged(t *testing.T) {
	r := newTestRepo(t)
	r.write("app.env", "x\n")
	r.commit("init")
	tok := r.token()
	r.write("app.env", "x\nT="+tok.Text+"\n") // not added
	r.write("new.env", "T="+tok.Text+"\n")    // untracked
	r.check()
}

func TestThenRestored(t *testing.T) {
	r := newTestRepo(t)
	r.write("app.env", "x\n")
	r.commit("init")
	tok := r.token()
	r.write("app.env", "x\nT="+tok.Text+"\n")
	r.git("add", "app.env")
	r.write("app.env", "x\n") // the work tree is clean again; the index is not
	r.check(hit("app.env", 2, tok))
}

func TestInitialCommit(t *testing.T) {
	r := newTestRepo(t)
	a, b := r.token(), r.token()
	r.write("a.env", "T="+a.Text+"\n")
	r.write("dir/sub/b.env", "\n\nT="+b.Text+"\n")
	r.git("add", "-A")
	r.check(hit("a.env", 1, a), hit("dir/sub/b.env", 3, b))
}

func TestEmptyRepository(t *testing.T) {
	r := newTestRepo(t) // no index file at all
	r.check()
}

func TestDeleted(t *testing.T) {
	r := newTestRepo(t)
	tok := r.token()
	r.write("app.env", "T="+tok.Text+"\n")
	r.write("keep", "k\n")
	r.commit("init")
	r.git("rm", "-q", "app.env")
	r.check()
}

func TestRename(t *testing.T) {
	r := newTestRepo(t)
	old := r.token()
	body := "a\nb\nc\nd\nOLD=" + old.Text + "\ne\nf\ng\n"
	r.write("conf/app.env", body)
	r.write("other/x.env", "one\n")
	r.commit("init")

	// A pure rename, into another directory: nothing is added.
	if err := os.MkdirAll(filepath.Join(r.dir, "deploy", "prod"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.git("mv", "conf/app.env", "deploy/prod/app.env")
	r.check()

	// A rename with an edit: the old token is not new, the new one is.
	tok := r.token()
	r.write("deploy/prod/app.env", strings.Replace(body, "b\n", "NEW="+tok.Text+"\n", 1))
	r.git("add", "-A")
	r.check(hit("deploy/prod/app.env", 2, tok))
}

func TestCopyIsAdded(t *testing.T) {
	r := newTestRepo(t)
	old := r.token()
	r.write("app.env", "OLD="+old.Text+"\n")
	r.commit("init")
	// A copy leaves the original in place: the commit adds the token to a
	// second file, as `git diff --cached` shows it.
	r.write("copy.env", "OLD="+old.Text+"\n")
	r.git("add", "copy.env")
	r.check(hit("copy.env", 1, old))
}

func TestBinary(t *testing.T) {
	r := newTestRepo(t)
	r.write("blob.bin", "\x00\x01\x02old\x00\n")
	r.commit("init")
	tok := r.token()
	r.write("blob.bin", "\x00\x01\x02old\x00\n\x00\xff"+tok.Text+"\x00\x00")
	r.git("add", "blob.bin")
	r.check(hit("blob.bin", 2, tok))
}

func TestSubdirectory(t *testing.T) {
	r := newTestRepo(t)
	r.write("a/b/c/keep", "k\n")
	r.commit("init")
	tok := r.token()
	r.write("top.env", "T="+tok.Text+"\n")
	r.git("add", "top.env")
	r.checkSrc(&Source{Path: filepath.Join(r.dir, "a", "b")}, hit("top.env", 1, tok))

	// The default path is the current directory.
	t.Chdir(filepath.Join(r.dir, "a", "b", "c"))
	r.checkSrc(&Source{}, hit("top.env", 1, tok))
}

func TestWorktree(t *testing.T) {
	r := newTestRepo(t)
	r.write("keep", "k\n")
	r.commit("init")
	wt := filepath.Join(t.TempDir(), "wt")
	r.git("worktree", "add", "-q", "-b", "feature", wt)
	if fi, err := os.Stat(filepath.Join(wt, ".git")); err != nil || fi.IsDir() {
		t.Fatalf("worktree .git: %v, want a file", err)
	}
	tok := r.token()
	if err := os.WriteFile(filepath.Join(wt, "wt.env"), []byte("T="+tok.Text+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.gitIn(wt, "add", "wt.env")
	r.checkSrc(&Source{Path: wt}, hit("wt.env", 1, tok))
	// The main work tree's index has nothing staged.
	r.check()
}

func TestNotARepository(t *testing.T) {
	dir := t.TempDir()
	_, err := scanner.Scan(context.Background(), &Source{Path: dir}, scanner.Options{})
	if !errors.Is(err, git.ErrRepositoryNotExists) {
		t.Fatalf("Scan(not a repository) error = %v; want git.ErrRepositoryNotExists", err)
	}
	if !strings.Contains(err.Error(), "not in a git repository") {
		t.Errorf("error %q does not say the directory is not in a repository", err)
	}
}

func TestBare(t *testing.T) {
	r := newTestRepo(t)
	r.write("keep", "k\n")
	r.commit("init")
	bare := filepath.Join(t.TempDir(), "bare.git")
	r.git("clone", "-q", "--bare", r.dir, bare)
	if _, err := scanner.Scan(context.Background(), &Source{Path: bare}, scanner.Options{}); err == nil {
		t.Fatal("Scan(bare repository) succeeded; want an error: there is no index")
	}
}

func TestSymlink(t *testing.T) {
	r := newTestRepo(t)
	r.write("keep", "k\n")
	r.commit("init")
	tok := r.token()
	if err := os.Symlink("/etc/"+tok.Text, filepath.Join(r.dir, "link")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	r.git("add", "link")
	r.check(hit("link", 1, tok))
}

func TestSubmoduleSkipped(t *testing.T) {
	r := newTestRepo(t)
	r.write("keep", "k\n")
	r.commit("init")
	head := r.git("rev-parse", "HEAD")
	r.git("update-index", "--add", "--cacheinfo", "160000,"+head+",sub")
	tok := r.token()
	r.write("b.env", "T="+tok.Text+"\n")
	r.git("add", "b.env")
	r.check(hit("b.env", 1, tok))
}

func TestIntentToAdd(t *testing.T) {
	r := newTestRepo(t)
	r.write("keep", "k\n")
	r.commit("init")
	tok := r.token()
	r.write("later.env", "T="+tok.Text+"\n")
	r.git("add", "-N", "later.env") // known, but no content staged
	r.check()
}

func TestModeOnly(t *testing.T) {
	r := newTestRepo(t)
	old := r.token()
	r.write("run.sh", "T="+old.Text+"\n")
	r.commit("init")
	r.git("update-index", "--chmod=+x", "run.sh")
	r.check()
}

func TestFileBecomesDirectory(t *testing.T) {
	r := newTestRepo(t)
	old := r.token()
	r.write("conf", "T="+old.Text+"\n")
	r.commit("init")
	r.git("rm", "-q", "conf")
	tok := r.token()
	r.write("conf/app.env", "x\nT="+tok.Text+"\n")
	r.git("add", "conf/app.env")
	r.check(hit("conf/app.env", 2, tok))
}

func TestUnmerged(t *testing.T) {
	r := newTestRepo(t)
	r.write("f", "base\n")
	r.commit("base")
	r.git("checkout", "-q", "-b", "other")
	r.write("f", "other\n")
	r.commit("other")
	r.git("checkout", "-q", "main")
	r.write("f", "main\n")
	r.commit("main")
	cmd := exec.Command("git", "merge", "-q", "other")
	cmd.Dir, cmd.Env = r.dir, gitEnv()
	if err := cmd.Run(); err == nil {
		t.Fatal("merge succeeded; want a conflict")
	}
	_, problems := scan(t, &Source{Path: r.dir})
	if len(problems) != 1 || problems[0].Path != "f" || !errors.Is(problems[0].Err, ErrUnmerged) {
		t.Errorf("problems = %v; want one unmerged path f", problems)
	}
}

// TestIndexFile checks the index a hook is given: `git commit -a`
// stages into a temporary index and names it in $GIT_INDEX_FILE.
func TestIndexFile(t *testing.T) {
	r := newTestRepo(t)
	r.write("app.env", "x\n")
	r.commit("init")
	tok := r.token()
	r.write("app.env", "x\nT="+tok.Text+"\n")
	tmp := filepath.Join(t.TempDir(), "next-index")
	cmd := exec.Command("sh", "-c", `cp "$(git rev-parse --git-dir)/index" "$TMPINDEX" && GIT_INDEX_FILE="$TMPINDEX" git add app.env`)
	cmd.Dir, cmd.Env = r.dir, append(gitEnv(), "TMPINDEX="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	r.check() // the repository's index has nothing staged
	r.checkSrc(&Source{Path: r.dir, IndexFile: tmp}, hit("app.env", 2, tok))
	t.Setenv("GIT_INDEX_FILE", tmp)
	r.checkSrc(&Source{Path: r.dir}, hit("app.env", 2, tok))
}

// TestHook runs a real pre-commit hook that runs this test binary as
// `dtleaks staged` would run, for `git commit` and `git commit -a`.
func TestHook(t *testing.T) {
	if os.Getenv("STAGED_HOOK_CHILD") != "" {
		return
	}
	r := newTestRepo(t)
	r.write("app.env", "x\n")
	r.commit("init")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	hook := "#!/bin/sh\nexec '" + exe + "' -test.run=TestHookChild\n"
	if err := os.WriteFile(filepath.Join(r.dir, ".git", "hooks", "pre-commit"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	tok := r.token()
	r.write("app.env", "x\nT="+tok.Text+"\n")
	for _, args := range [][]string{{"commit", "-q", "-a", "-m", "m"}, {"commit", "-q", "-m", "m", "app.env"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = r.dir
		cmd.Env = append(gitEnv(), "STAGED_HOOK_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("git %s: the hook let a new token through", strings.Join(args, " "))
		}
		if desc, leaked := tokentest.Leak(out, tok); leaked {
			t.Errorf("hook output leaks the %s", desc)
		}
		if !strings.Contains(string(out), "FINDINGS 1 app.env:2") {
			t.Errorf("git %s: hook output does not report app.env:2 (%d bytes of output)", strings.Join(args, " "), len(out))
		}
	}
}

// TestHookChild is the pre-commit hook of TestHook.
func TestHookChild(t *testing.T) {
	if os.Getenv("STAGED_HOOK_CHILD") == "" {
		t.Skip("run by TestHook's pre-commit hook")
	}
	got, problems := scan(t, &Source{})
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	var where []string
	for _, h := range got {
		where = append(where, fmt.Sprintf("%s:%d", h.Path, h.Line))
	}
	fmt.Printf("FINDINGS %d %s\n", len(got), strings.Join(where, " "))
	if len(got) > 0 {
		t.Fail()
	}
}

// TestChangesOracle builds a repository of many directories, stages
// a mix of changes, and checks the changed paths against a plain
// comparison of the whole index (read by go-git) with the whole HEAD tree,
// both with git's cached tree and without it (as go-git writes an index),
// and that the cached tree spares reading unchanged parts of HEAD.
func TestChangesOracle(t *testing.T) {
	r := newTestRepo(t)
	for d := range 6 {
		for s := range 4 {
			for f := range 5 {
				r.write(fmt.Sprintf("d%d/s%d/f%d.txt", d, s, f), fmt.Sprintf("%d %d %d\n", d, s, f))
			}
		}
	}
	r.write("top.txt", "top\n")
	r.commit("init")
	r.write("d1/s2/f3.txt", "changed\n")
	r.write("d4/new/deep/n.txt", "new\n")
	r.git("rm", "-q", "-r", "d5/s0")
	r.write("d5/s0", "a file where a directory was\n")
	r.git("rm", "-q", "d2/s1/f0.txt")
	r.git("add", "d1", "d4", "d5/s0", "top.txt")
	r.git("update-index", "--chmod=+x", "d0/s0/f0.txt")
	var want []string

	check := func(name string, maxReads int) {
		t.Helper()
		repo, err := git.PlainOpen(r.dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := oracle(t, repo); !slices.Equal(got, want) {
			t.Fatalf("%s: oracle = %v; want %v", name, got, want)
		}
		st, err := (&Source{Path: r.dir}).load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer st.repo.Close()
		var got []string
		for _, c := range st.changes {
			got = append(got, c.path)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: changed paths = %v; want %v", name, got, want)
		}
		if st.reads > maxReads {
			t.Errorf("%s: read %d trees of HEAD; want at most %d", name, st.reads, maxReads)
		}
	}
	r.git("write-tree") // primes the cached tree for the whole index
	r.write("d1/s2/f3.txt", "changed again\n")
	r.git("add", "d1/s2/f3.txt") // invalidates /, d1 and d1/s2 only
	want = []string{"d1/s2/f3.txt", "d4/new/deep/n.txt", "d5/s0"}
	// With a valid cached tree everywhere but along the changed paths:
	// the root, d0 (mode change), d0/s0, d1, d1/s2, d2, d2/s1, d4, d5.
	check("git index", 9)

	// go-git rewrites the index without the cached tree: every staged
	// tree hash is then computed, and the reads are the same.
	repo, err := git.PlainOpen(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := repo.Storer.Index()
	if err != nil {
		t.Fatal(err)
	}
	idx.Cache = nil
	if err := repo.Storer.SetIndex(idx); err != nil {
		t.Fatal(err)
	}
	check("go-git index", 9)
}

// oracle compares the whole index with the whole HEAD tree.
func oracle(t *testing.T, repo *git.Repository) []string {
	t.Helper()
	idx, err := repo.Storer.Index()
	if err != nil {
		t.Fatal(err)
	}
	head := map[string]string{}
	ref, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.CommitObject(ref.Hash())
	if err != nil {
		t.Fatal(err)
	}
	tree, err := c.Tree()
	if err != nil {
		t.Fatal(err)
	}
	if err := tree.Files().ForEach(func(f *object.File) error {
		head[f.Name] = f.Hash.String()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var changed []string
	for _, e := range idx.Entries {
		if e.Stage == 0 && !e.IntentToAdd && head[e.Name] != e.Hash.String() {
			changed = append(changed, e.Name)
		}
	}
	return changed
}

// TestIndexVersions reads the same staged change from index
// versions 2, 3 (with an extended flag) and 4 (prefix-compressed names).
func TestIndexVersions(t *testing.T) {
	for _, v := range []string{"2", "3", "4"} {
		t.Run("v"+v, func(t *testing.T) {
			r := newTestRepo(t)
			r.write("a/b/keep", "k\n")
			r.write("a/bc", "k\n")
			r.commit("init")
			tok := r.token()
			r.write("a/b/new.env", "T="+tok.Text+"\n")
			r.git("add", "a/b/new.env")
			if v == "3" {
				r.write("a/later", "x\n")
				r.git("add", "-N", "a/later")
			}
			r.git("update-index", "--index-version", v)
			r.check(hit("a/b/new.env", 1, tok))
		})
	}
}

// TestCancel checks that a cancelled context stops Items.
func TestCancel(t *testing.T) {
	r := newTestRepo(t)
	for i := range 100 {
		r.write(fmt.Sprintf("f%03d", i), "x\n")
	}
	r.git("add", "-A")
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := (&Source{Path: r.dir, Jobs: 1}).Items(ctx, func(it scanner.Item, err error) error {
		n++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Items after cancel = %v; want context.Canceled", err)
	}
	if n > 2 {
		t.Errorf("Items yielded %d items after cancel", n)
	}
}

// TestJobs scans an initial commit of many files with several
// workers, each with its own repository handle.
func TestJobs(t *testing.T) {
	r := newTestRepo(t)
	var want []spot
	for i := range 200 {
		p := fmt.Sprintf("d%d/f%03d.env", i%7, i)
		if i%20 == 0 {
			tok := r.token()
			r.write(p, "x\nT="+tok.Text+"\n")
			want = append(want, hit(p, 2, tok))
			continue
		}
		r.write(p, "x\n")
	}
	r.git("add", "-A")
	slices.SortFunc(want, func(a, b spot) int { return strings.Compare(a.Path, b.Path) })
	r.checkSrc(&Source{Path: r.dir, Jobs: 4}, want...)
}

// BenchmarkSource scans the repository named by $STAGED_BENCH_REPO (built
// by bench/staged/run.sh: 100k files and one staged change) in process.
// The figure that matters, process start to exit, is what
// bench/staged/run.sh measures; this one is for profiling.
func BenchmarkSource(b *testing.B) {
	dir := os.Getenv("STAGED_BENCH_REPO")
	if dir == "" {
		b.Skip("STAGED_BENCH_REPO not set: run bench/staged/run.sh")
	}
	for b.Loop() {
		if _, err := scanner.Scan(context.Background(), &Source{Path: dir}, scanner.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSharedClone stages an edit in a clone made with --shared, whose
// HEAD objects are all in the origin's store: the committed token is not
// reported, the added one is.
func TestSharedClone(t *testing.T) {
	origin := newTestRepo(t)
	old := origin.token()
	origin.write("app.env", "A=1\nOLD="+old.Text+"\n")
	origin.commit("init")
	origin.git("repack", "-q", "-a", "-d")
	r := &testRepo{t: t, dir: filepath.Join(t.TempDir(), "clone"), gen: origin.gen}
	origin.git("clone", "-q", "--shared", origin.dir, r.dir)
	tok := r.token()
	r.write("app.env", "A=1\nOLD="+old.Text+"\nNEW="+tok.Text+"\n")
	r.git("add", "app.env")
	r.check(hit("app.env", 3, tok))
}

// TestRelativeAlternates stages an edit in a clone that borrows HEAD's
// objects through a relative path in objects/info/alternates, as forges'
// fork pools do: it is read like the clone made with --shared.
func TestRelativeAlternates(t *testing.T) {
	origin := newTestRepo(t)
	old := origin.token()
	origin.write("app.env", "A=1\nOLD="+old.Text+"\n")
	origin.commit("init")
	origin.git("repack", "-q", "-a", "-d")
	r := &testRepo{t: t, dir: filepath.Join(t.TempDir(), "clone"), gen: origin.gen}
	origin.git("clone", "-q", "--shared", origin.dir, r.dir)
	objects := filepath.Join(r.dir, ".git", "objects")
	rel, err := filepath.Rel(objects, filepath.Join(origin.dir, ".git", "objects"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(objects, "info", "alternates"), []byte(rel+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tok := r.token()
	r.write("app.env", "A=1\nOLD="+old.Text+"\nNEW="+tok.Text+"\n")
	r.git("add", "app.env")
	r.check(hit("app.env", 3, tok))
}
