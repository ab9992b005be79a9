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

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/scanner"
)

// testRepo is a repository built with the git CLI (see gittest), with
// tokens generated from a fixed seed.
type testRepo struct {
	*gittest.Repo
	gen *tokentest.Gen
}

func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	return &testRepo{gittest.New(t), tokentest.New(11)}
}

// env is the environment of the git commands a test runs itself.
func (r *testRepo) env() []string { return gittest.Env(r.Home, gittest.Epoch) }

func (r *testRepo) token() tokentest.Token { return r.gen.Token("dt0c01") }

// spot is a finding as the tests compare it: no secret in it.
type spot struct {
	Path string
	Line int
	ID   string
}

func (h spot) String() string { return fmt.Sprintf("%s:%d %s", h.Path, h.Line, h.ID) }

// scan runs a whole scan of src and returns its findings and problems.
func scan(t testing.TB, src *Source) ([]spot, []scanner.Problem) {
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
	r.T.Helper()
	r.checkSrc(&Source{Path: r.Dir}, want...)
}

func (r *testRepo) checkSrc(src *Source, want ...spot) {
	r.T.Helper()
	got, problems := scan(r.T, src)
	for _, p := range problems {
		r.T.Errorf("problem: %v", p)
	}
	if !slices.Equal(got, want) {
		r.T.Errorf("findings = %v; want %v", got, want)
	}
}

func hit(path string, line int, tok tokentest.Token) spot { return spot{path, line, tok.ID} }

// TestStaged builds a repository, stages a change and scans it: each case
// returns the findings the scan must report, and nothing else may be
// reported, nor any problem.
func TestStaged(t *testing.T) {
	tests := []struct {
		name  string
		stage func(t *testing.T, r *testRepo) []spot
	}{
		{"EmptyRepository", func(t *testing.T, r *testRepo) []spot {
			return nil // no index file at all
		}},
		{"NewFile", func(t *testing.T, r *testRepo) []spot {
			r.Write("README", "hello\n")
			r.Commit("init")
			tok := r.token()
			r.Write("conf/app.env", "A=1\nB=2\nTOKEN="+tok.Text+"\n")
			r.Git("add", "conf/app.env")
			return []spot{hit("conf/app.env", 3, tok)}
		}},
		{"Edit", func(t *testing.T, r *testRepo) []spot {
			old := r.token()
			r.Write("app.env", "A=1\nOLD="+old.Text+"\nB=2\nC=3\n")
			r.Commit("init")
			// The committed token stays on a line that is not touched, while
			// lines around it change and a new token arrives further down.
			tok := r.token()
			r.Write("app.env", "A=10\nOLD="+old.Text+"\nB=2\nNEW="+tok.Text+"\nC=30\n")
			r.Git("add", "app.env")
			return []spot{hit("app.env", 4, tok)}
		}},
		{"UntouchedToken", func(t *testing.T, r *testRepo) []spot {
			old := r.token()
			r.Write("app.env", "x\ny\nOLD="+old.Text+"\nz\n")
			r.Commit("init")
			r.Write("app.env", "inserted\nx\nY\nOLD="+old.Text+"\nz\nappended\n")
			r.Git("add", "app.env")
			return nil
		}},
		{"ChangedLine", func(t *testing.T, r *testRepo) []spot {
			old := r.token()
			r.Write("app.env", "x\nOLD="+old.Text+"\n")
			r.Commit("init")
			// The same token on a changed line: the commit adds that line.
			r.Write("app.env", "x\nOLD="+old.Text+" # rotated soon\n")
			r.Git("add", "app.env")
			return []spot{hit("app.env", 2, old)}
		}},
		{"Unstaged", func(t *testing.T, r *testRepo) []spot {
			r.Write("app.env", "x\n")
			r.Commit("init")
			tok := r.token()
			r.Write("app.env", "x\nT="+tok.Text+"\n") // not added
			r.Write("new.env", "T="+tok.Text+"\n")    // untracked
			return nil
		}},
		{"ThenRestored", func(t *testing.T, r *testRepo) []spot {
			r.Write("app.env", "x\n")
			r.Commit("init")
			tok := r.token()
			r.Write("app.env", "x\nT="+tok.Text+"\n")
			r.Git("add", "app.env")
			r.Write("app.env", "x\n") // the work tree is clean again; the index is not
			return []spot{hit("app.env", 2, tok)}
		}},
		{"InitialCommit", func(t *testing.T, r *testRepo) []spot {
			a, b := r.token(), r.token()
			r.Write("a.env", "T="+a.Text+"\n")
			r.Write("dir/sub/b.env", "\n\nT="+b.Text+"\n")
			r.Git("add", "-A")
			return []spot{hit("a.env", 1, a), hit("dir/sub/b.env", 3, b)}
		}},
		{"Deleted", func(t *testing.T, r *testRepo) []spot {
			tok := r.token()
			r.Write("app.env", "T="+tok.Text+"\n")
			r.Write("keep", "k\n")
			r.Commit("init")
			r.Git("rm", "-q", "app.env")
			return nil
		}},
		{"CopyIsAdded", func(t *testing.T, r *testRepo) []spot {
			old := r.token()
			r.Write("app.env", "OLD="+old.Text+"\n")
			r.Commit("init")
			// A copy leaves the original in place: the commit adds the token to a
			// second file, as `git diff --cached` shows it.
			r.Write("copy.env", "OLD="+old.Text+"\n")
			r.Git("add", "copy.env")
			return []spot{hit("copy.env", 1, old)}
		}},
		{"Binary", func(t *testing.T, r *testRepo) []spot {
			r.Write("blob.bin", "\x00\x01\x02old\x00\n")
			r.Commit("init")
			tok := r.token()
			r.Write("blob.bin", "\x00\x01\x02old\x00\n\x00\xff"+tok.Text+"\x00\x00")
			r.Git("add", "blob.bin")
			return []spot{hit("blob.bin", 2, tok)}
		}},
		{"Symlink", func(t *testing.T, r *testRepo) []spot {
			r.Write("keep", "k\n")
			r.Commit("init")
			tok := r.token()
			if err := os.Symlink("/etc/"+tok.Text, filepath.Join(r.Dir, "link")); err != nil {
				t.Skip("no symbolic links:", err)
			}
			r.Git("add", "link")
			return []spot{hit("link", 1, tok)}
		}},
		{"SubmoduleSkipped", func(t *testing.T, r *testRepo) []spot {
			r.Write("keep", "k\n")
			r.Commit("init")
			head := r.Git("rev-parse", "HEAD")
			r.Git("update-index", "--add", "--cacheinfo", "160000,"+head+",sub")
			tok := r.token()
			r.Write("b.env", "T="+tok.Text+"\n")
			r.Git("add", "b.env")
			return []spot{hit("b.env", 1, tok)}
		}},
		{"IntentToAdd", func(t *testing.T, r *testRepo) []spot {
			r.Write("keep", "k\n")
			r.Commit("init")
			tok := r.token()
			r.Write("later.env", "T="+tok.Text+"\n")
			r.Git("add", "-N", "later.env") // known, but no content staged
			return nil
		}},
		{"ModeOnly", func(t *testing.T, r *testRepo) []spot {
			old := r.token()
			r.Write("run.sh", "T="+old.Text+"\n")
			r.Commit("init")
			r.Git("update-index", "--chmod=+x", "run.sh")
			return nil
		}},
		{"FileBecomesDirectory", func(t *testing.T, r *testRepo) []spot {
			old := r.token()
			r.Write("conf", "T="+old.Text+"\n")
			r.Commit("init")
			r.Git("rm", "-q", "conf")
			tok := r.token()
			r.Write("conf/app.env", "x\nT="+tok.Text+"\n")
			r.Git("add", "conf/app.env")
			return []spot{hit("conf/app.env", 2, tok)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRepo(t)
			r.check(tt.stage(t, r)...)
		})
	}
}

func TestRename(t *testing.T) {
	r := newTestRepo(t)
	old := r.token()
	body := "a\nb\nc\nd\nOLD=" + old.Text + "\ne\nf\ng\n"
	r.Write("conf/app.env", body)
	r.Write("other/x.env", "one\n")
	r.Commit("init")

	// A pure rename, into another directory: nothing is added.
	if err := os.MkdirAll(filepath.Join(r.Dir, "deploy", "prod"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.Git("mv", "conf/app.env", "deploy/prod/app.env")
	r.check()

	// A rename with an edit: the old token is not new, the new one is.
	tok := r.token()
	r.Write("deploy/prod/app.env", strings.Replace(body, "b\n", "NEW="+tok.Text+"\n", 1))
	r.Git("add", "-A")
	r.check(hit("deploy/prod/app.env", 2, tok))
}

func TestSubdirectory(t *testing.T) {
	r := newTestRepo(t)
	r.Write("a/b/c/keep", "k\n")
	r.Commit("init")
	tok := r.token()
	r.Write("top.env", "T="+tok.Text+"\n")
	r.Git("add", "top.env")
	r.checkSrc(&Source{Path: filepath.Join(r.Dir, "a", "b")}, hit("top.env", 1, tok))

	// The default path is the current directory.
	t.Chdir(filepath.Join(r.Dir, "a", "b", "c"))
	r.checkSrc(&Source{}, hit("top.env", 1, tok))
}

func TestWorktree(t *testing.T) {
	r := newTestRepo(t)
	r.Write("keep", "k\n")
	r.Commit("init")
	wt := filepath.Join(t.TempDir(), "wt")
	r.Git("worktree", "add", "-q", "-b", "feature", wt)
	if fi, err := os.Stat(filepath.Join(wt, ".git")); err != nil || fi.IsDir() {
		t.Fatalf("worktree .git: %v, want a file", err)
	}
	tok := r.token()
	if err := os.WriteFile(filepath.Join(wt, "wt.env"), []byte("T="+tok.Text+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.GitIn(wt, "add", "wt.env")
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
	r.Write("keep", "k\n")
	r.Commit("init")
	bare := filepath.Join(t.TempDir(), "bare.git")
	r.Git("clone", "-q", "--bare", r.Dir, bare)
	if _, err := scanner.Scan(context.Background(), &Source{Path: bare}, scanner.Options{}); err == nil {
		t.Fatal("Scan(bare repository) succeeded; want an error: there is no index")
	}
}

func TestUnmerged(t *testing.T) {
	r := newTestRepo(t)
	r.Write("f", "base\n")
	r.Commit("base")
	r.Git("checkout", "-q", "-b", "other")
	r.Write("f", "other\n")
	r.Commit("other")
	r.Git("checkout", "-q", "main")
	r.Write("f", "main\n")
	r.Commit("main")
	cmd := exec.Command("git", "merge", "-q", "other")
	cmd.Dir, cmd.Env = r.Dir, r.env()
	if err := cmd.Run(); err == nil {
		t.Fatal("merge succeeded; want a conflict")
	}
	_, problems := scan(t, &Source{Path: r.Dir})
	if len(problems) != 1 || problems[0].Path != "f" || !errors.Is(problems[0].Err, ErrUnmerged) {
		t.Errorf("problems = %v; want one unmerged path f", problems)
	}
}

// TestIndexFile checks the index a hook is given: `git commit -a`
// stages into a temporary index and names it in $GIT_INDEX_FILE.
func TestIndexFile(t *testing.T) {
	r := newTestRepo(t)
	r.Write("app.env", "x\n")
	r.Commit("init")
	tok := r.token()
	r.Write("app.env", "x\nT="+tok.Text+"\n")
	tmp := filepath.Join(t.TempDir(), "next-index")
	cmd := exec.Command("sh", "-c", `cp "$(git rev-parse --git-dir)/index" "$TMPINDEX" && GIT_INDEX_FILE="$TMPINDEX" git add app.env`)
	cmd.Dir, cmd.Env = r.Dir, append(r.env(), "TMPINDEX="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	r.check() // the repository's index has nothing staged
	r.checkSrc(&Source{Path: r.Dir, IndexFile: tmp}, hit("app.env", 2, tok))
	t.Setenv("GIT_INDEX_FILE", tmp)
	r.checkSrc(&Source{Path: r.Dir}, hit("app.env", 2, tok))
}

// TestHook runs a real pre-commit hook that runs this test binary as
// `dtleaks staged` would run, for `git commit` and `git commit -a`.
func TestHook(t *testing.T) {
	if os.Getenv("STAGED_HOOK_CHILD") != "" {
		return
	}
	r := newTestRepo(t)
	r.Write("app.env", "x\n")
	r.Commit("init")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	hook := "#!/bin/sh\nexec '" + exe + "' -test.run=TestHookChild\n"
	if err := os.WriteFile(filepath.Join(r.Dir, ".git", "hooks", "pre-commit"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	tok := r.token()
	r.Write("app.env", "x\nT="+tok.Text+"\n")
	for _, args := range [][]string{{"commit", "-q", "-a", "-m", "m"}, {"commit", "-q", "-m", "m", "app.env"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = r.Dir
		cmd.Env = append(r.env(), "STAGED_HOOK_CHILD=1")
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
				r.Write(fmt.Sprintf("d%d/s%d/f%d.txt", d, s, f), fmt.Sprintf("%d %d %d\n", d, s, f))
			}
		}
	}
	r.Write("top.txt", "top\n")
	r.Commit("init")
	r.Write("d1/s2/f3.txt", "changed\n")
	r.Write("d4/new/deep/n.txt", "new\n")
	r.Git("rm", "-q", "-r", "d5/s0")
	r.Write("d5/s0", "a file where a directory was\n")
	r.Git("rm", "-q", "d2/s1/f0.txt")
	r.Git("add", "d1", "d4", "d5/s0", "top.txt")
	r.Git("update-index", "--chmod=+x", "d0/s0/f0.txt")
	var want []string

	check := func(name string, maxReads int) {
		t.Helper()
		repo, err := git.PlainOpen(r.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := oracle(t, repo); !slices.Equal(got, want) {
			t.Fatalf("%s: oracle = %v; want %v", name, got, want)
		}
		st, err := (&Source{Path: r.Dir}).load(context.Background())
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
	r.Git("write-tree") // primes the cached tree for the whole index
	r.Write("d1/s2/f3.txt", "changed again\n")
	r.Git("add", "d1/s2/f3.txt") // invalidates /, d1 and d1/s2 only
	want = []string{"d1/s2/f3.txt", "d4/new/deep/n.txt", "d5/s0"}
	// With a valid cached tree everywhere but along the changed paths:
	// the root, d0 (mode change), d0/s0, d1, d1/s2, d2, d2/s1, d4, d5.
	check("git index", 9)

	// go-git rewrites the index without the cached tree: every staged
	// tree hash is then computed, and the reads are the same.
	repo, err := git.PlainOpen(r.Dir)
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
			r.Write("a/b/keep", "k\n")
			r.Write("a/bc", "k\n")
			r.Commit("init")
			tok := r.token()
			r.Write("a/b/new.env", "T="+tok.Text+"\n")
			r.Git("add", "a/b/new.env")
			if v == "3" {
				r.Write("a/later", "x\n")
				r.Git("add", "-N", "a/later")
			}
			r.Git("update-index", "--index-version", v)
			r.check(hit("a/b/new.env", 1, tok))
		})
	}
}

// TestCancel checks that a cancelled context stops Items.
func TestCancel(t *testing.T) {
	r := newTestRepo(t)
	for i := range 100 {
		r.Write(fmt.Sprintf("f%03d", i), "x\n")
	}
	r.Git("add", "-A")
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := (&Source{Path: r.Dir, Jobs: 1}).Items(ctx, func(it scanner.Item, err error) error {
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
			r.Write(p, "x\nT="+tok.Text+"\n")
			want = append(want, hit(p, 2, tok))
			continue
		}
		r.Write(p, "x\n")
	}
	r.Git("add", "-A")
	slices.SortFunc(want, func(a, b spot) int { return strings.Compare(a.Path, b.Path) })
	r.checkSrc(&Source{Path: r.Dir, Jobs: 4}, want...)
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

// TestAlternates stages an edit in a clone whose HEAD objects are all in
// the origin's store: made with --shared (an absolute path in
// objects/info/alternates), or borrowing through a relative path, as
// forges' fork pools do. The committed token is not reported, the added one
// is.
func TestAlternates(t *testing.T) {
	for _, relative := range []bool{false, true} {
		t.Run(map[bool]string{false: "absolute", true: "relative"}[relative], func(t *testing.T) {
			origin := newTestRepo(t)
			old := origin.token()
			origin.Write("app.env", "A=1\nOLD="+old.Text+"\n")
			origin.Commit("init")
			origin.Git("repack", "-q", "-a", "-d")
			r := &testRepo{gittest.At(t, filepath.Join(t.TempDir(), "clone")), origin.gen}
			origin.Git("clone", "-q", "--shared", origin.Dir, r.Dir)
			if relative {
				objects := filepath.Join(r.Dir, ".git", "objects")
				rel, err := filepath.Rel(objects, filepath.Join(origin.Dir, ".git", "objects"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(objects, "info", "alternates"), []byte(rel+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tok := r.token()
			r.Write("app.env", "A=1\nOLD="+old.Text+"\nNEW="+tok.Text+"\n")
			r.Git("add", "app.env")
			r.check(hit("app.env", 3, tok))
		})
	}
}
