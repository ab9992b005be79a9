package history

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// gitRepo builds a repository with the git CLI, with fixed identities and
// commit dates one minute apart, so "oldest" is well defined.
type gitRepo struct {
	t    *testing.T
	dir  string
	home string
	n    int
}

func newGitRepo(t *testing.T, args ...string) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	g := &gitRepo{t: t, dir: t.TempDir(), home: t.TempDir()}
	g.git(append([]string{"init", "-q", "-b", "main"}, args...)...)
	return g
}

func (g *gitRepo) gitIn(dir string, args ...string) string {
	g.t.Helper()
	return g.run(dir, "", args...)
}

// gitWithInput runs git in the repository with in as its standard input.
func (g *gitRepo) gitWithInput(in string, args ...string) string {
	g.t.Helper()
	return g.run(g.dir, in, args...)
}

func (g *gitRepo) run(dir, in string, args ...string) string {
	g.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(in)
	date := time.Date(2024, 1, 1, 0, g.n, 0, 0, time.UTC).Format(time.RFC3339)
	cmd.Env = append(os.Environ(), "HOME="+g.home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Ann Author", "GIT_AUTHOR_EMAIL=ann@example.com", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=Cid Committer", "GIT_COMMITTER_EMAIL=cid@example.com", "GIT_COMMITTER_DATE="+date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		// git's output names files and refs, never file content.
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (g *gitRepo) git(args ...string) string { g.t.Helper(); return g.gitIn(g.dir, args...) }

func (g *gitRepo) write(path, content string) {
	g.t.Helper()
	p := filepath.Join(g.dir, path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

// commit stages everything and commits; it returns the commit's hash.
func (g *gitRepo) commit(msg string) string {
	g.t.Helper()
	g.n++
	g.git("add", "-A")
	g.git("commit", "-q", "--allow-empty", "-m", msg)
	return g.git("rev-parse", "HEAD")
}

// got is what a test checks of a finding: never anything of the secret.
type got struct {
	ID          rules.ID
	Path        string
	Location    scanner.Location
	Commit      string
	AtHead      bool
	Unreachable bool
}

func (g got) String() string {
	c := g.Commit
	if len(c) > 8 {
		c = c[:8]
	}
	return fmt.Sprintf("{%s %q %s commit=%s head=%v unreachable=%v}", g.ID, g.Path, g.Location, c, g.AtHead, g.Unreachable)
}

func gots(fs []scanner.Finding) []got {
	out := []got{}
	for _, f := range fs {
		out = append(out, got{f.ID, f.Path, f.Location, f.Origin.Commit, f.Origin.AtHead, f.Origin.Unreachable})
	}
	return out
}

func scan(t *testing.T, h *Source) scanner.Result {
	t.Helper()
	res, err := scanner.Scan(context.Background(), h, scanner.Options{})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return res
}

// checkClean fails on any problem.
func checkClean(t *testing.T, res scanner.Result) {
	t.Helper()
	for _, p := range res.Problems {
		t.Errorf("problem: %v", p)
	}
}

func checkGots(t *testing.T, res scanner.Result, want ...got) {
	t.Helper()
	g := gots(res.Findings)
	if len(g) != len(want) || len(g) > 0 && !reflect.DeepEqual(g, want) {
		t.Errorf("findings:\n got %v\nwant %v", g, want)
	}
}

// layouts runs a test on the repository as git left it (loose objects) and
// after packing everything, unreachable objects included.
func layouts(t *testing.T, f func(t *testing.T, pack func(g *gitRepo))) {
	t.Run("loose", func(t *testing.T) { f(t, func(*gitRepo) {}) })
	t.Run("packed", func(t *testing.T) {
		f(t, func(g *gitRepo) { g.git("repack", "-q", "-a", "-d", "--keep-unreachable") })
	})
}

func TestDeletedAndAtHead(t *testing.T) {
	layouts(t, func(t *testing.T, pack func(*gitRepo)) {
		gen := tokentest.New(1)
		gone, kept := gen.Token("dt0c01"), gen.Token("dt0c01")
		g := newGitRepo(t)
		g.write("app.env", "TOKEN="+gone.Text+"\n")
		g.write("keep/conf.yaml", "a: 1\ntoken: "+kept.Text+"\n")
		c1 := g.commit("add config")
		g.write("other.txt", "x")
		g.commit("unrelated")
		g.git("rm", "-q", "app.env")
		g.commit("remove config")
		pack(g)
		res := scan(t, &Source{Path: g.dir})
		checkClean(t, res)
		checkGots(t, res,
			got{rules.ID(gone.ID), "app.env", "", c1, false, false},
			got{rules.ID(kept.ID), "keep/conf.yaml", "", c1, true, false},
		)
		for _, f := range res.Findings {
			if f.Origin.AuthorName != "Ann Author" || f.Origin.AuthorEmail != "ann@example.com" || f.Origin.Date.IsZero() {
				t.Errorf("%s: author %q <%s> %v", f.ID, f.Origin.AuthorName, f.Origin.AuthorEmail, f.Origin.Date)
			}
			if f.Path == "keep/conf.yaml" && (f.Line != 2 || f.Column != 8) {
				t.Errorf("%s: at %d:%d; want 2:8", f.ID, f.Line, f.Column)
			}
		}
	})
}

func TestRenameAndSameBlob(t *testing.T) {
	tok := tokentest.New(2).Token("dt0c01")
	g := newGitRepo(t)
	g.write("a.env", tok.Text)
	c1 := g.commit("add")
	for i := range 5 {
		g.write("n.txt", fmt.Sprint(i))
		g.commit("more")
	}
	g.git("mv", "a.env", "b.env")
	c2 := g.commit("rename")
	res := scan(t, &Source{Path: g.dir})
	checkClean(t, res)
	checkGots(t, res,
		got{rules.ID(tok.ID), "a.env", "", c1, true, false},
		got{rules.ID(tok.ID), "b.env", "", c2, true, false},
	)
}

func TestRefs(t *testing.T) {
	layouts(t, func(t *testing.T, pack func(*gitRepo)) {
		gen := tokentest.New(3)
		onBranch, light, annotated, stashed, merged := gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01")
		g := newGitRepo(t)
		g.write("README", "hi")
		g.commit("init")

		g.git("checkout", "-q", "-b", "feature")
		g.write("f.env", onBranch.Text)
		cBranch := g.commit("on branch")

		g.git("checkout", "-q", "-b", "tmp1", "main")
		g.write("l.env", light.Text)
		cLight := g.commit("lightweight")
		g.git("tag", "light")
		g.git("checkout", "-q", "-b", "tmp2", "main")
		g.write("a.env", annotated.Text)
		cAnn := g.commit("annotated")
		g.n++
		g.git("tag", "-a", "-m", "release", "v1")

		g.git("checkout", "-q", "-b", "topic", "main")
		g.write("m.env", merged.Text)
		cMerged := g.commit("topic work")
		g.git("checkout", "-q", "main")
		g.write("other", "x")
		g.commit("main work")
		g.n++
		g.git("merge", "-q", "--no-ff", "-m", "merge topic", "topic")
		g.git("branch", "-q", "-D", "tmp1", "tmp2", "topic")

		g.write("README", "hi "+stashed.Text)
		g.n++
		g.git("stash", "-q")
		pack(g)

		res := scan(t, &Source{Path: g.dir})
		checkClean(t, res)
		var stash string
		for _, f := range res.Findings {
			if f.ID == rules.ID(stashed.ID) {
				stash = f.Origin.Commit
			}
		}
		if stash == "" {
			t.Fatalf("stashed token %s not found", stashed.ID)
		}
		checkGots(t, res,
			got{rules.ID(stashed.ID), "README", "", stash, false, false},
			got{rules.ID(annotated.ID), "a.env", "", cAnn, false, false},
			got{rules.ID(onBranch.ID), "f.env", "", cBranch, false, false},
			got{rules.ID(light.ID), "l.env", "", cLight, false, false},
			got{rules.ID(merged.ID), "m.env", "", cMerged, true, false},
		)
	})
}

func TestUnreachable(t *testing.T) {
	layouts(t, func(t *testing.T, pack func(*gitRepo)) {
		gen := tokentest.New(4)
		dangling, loose := gen.Token("dt0c01"), gen.Token("dt0c01")
		g := newGitRepo(t)
		g.write("README", "hi")
		g.commit("init")
		g.git("checkout", "-q", "-b", "gone")
		g.write("d.env", dangling.Text)
		cGone := g.commit("deleted branch")
		g.git("checkout", "-q", "main")
		g.git("branch", "-q", "-D", "gone")
		g.git("reflog", "expire", "--expire=now", "--all")
		g.write("never-committed", loose.Text)
		g.git("hash-object", "-w", "never-committed")
		if err := os.Remove(filepath.Join(g.dir, "never-committed")); err != nil {
			t.Fatal(err)
		}
		pack(g)

		res := scan(t, &Source{Path: g.dir})
		checkClean(t, res)
		checkGots(t, res,
			got{rules.ID(loose.ID), "", "", "", false, true},
			got{rules.ID(dangling.ID), "d.env", "", cGone, false, true},
		)
		for _, f := range res.Findings {
			if f.Origin.Blob == "" {
				t.Errorf("%s: no blob named", f.ID)
			}
		}

		res = scan(t, &Source{Path: g.dir, NoUnreachable: true})
		checkClean(t, res)
		checkGots(t, res)
	})
}

func TestMessages(t *testing.T) {
	gen := tokentest.New(5)
	inCommit, inTag := gen.Token("dt0c01"), gen.Token("dt0c01")
	g := newGitRepo(t)
	c1 := g.commit("deploy with " + inCommit.Text)
	g.n++
	g.git("tag", "-a", "-m", "token "+inTag.Text, "v1")
	tag := g.git("rev-parse", "v1")
	res := scan(t, &Source{Path: g.dir})
	checkClean(t, res)
	checkGots(t, res,
		got{rules.ID(inCommit.ID), "", "commit-message", c1, false, false},
		got{rules.ID(inTag.ID), "", "tag-message", tag, false, false},
	)
	for _, f := range res.Findings {
		if f.Origin.AuthorName == "" || f.Origin.Date.IsZero() {
			t.Errorf("%s: no author or date", f.ID)
		}
	}
}

func TestRange(t *testing.T) {
	gen := tokentest.New(6)
	old, fresh, msg := gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01")
	g := newGitRepo(t)
	g.write("old.env", old.Text)
	c1 := g.commit("old")
	g.write("new.env", fresh.Text)
	g.write("old.env", old.Text+"\n# edited\n")
	c2 := g.commit("new")
	c3 := g.commit("note " + msg.Text)
	want := []got{
		{rules.ID(msg.ID), "", "commit-message", c3, false, false},
		{rules.ID(fresh.ID), "new.env", "", c2, true, false},
		{rules.ID(old.ID), "old.env", "", c2, true, false},
	}
	for _, h := range []*Source{{Path: g.dir, Range: c1 + ".." + c3}, {Path: g.dir, Since: c1}, {Path: g.dir, Range: c1 + ".."}} {
		res := scan(t, h)
		checkClean(t, res)
		checkGots(t, res, want...)
	}
	res := scan(t, &Source{Path: g.dir, Range: c2 + ".." + c3})
	checkClean(t, res)
	checkGots(t, res, want[0])

	_, err := scanner.Scan(context.Background(), &Source{Path: g.dir, Range: "nope..HEAD"}, scanner.Options{})
	if err == nil {
		t.Errorf("Scan with an unknown revision: no error")
	}
}

func TestLayouts(t *testing.T) {
	tok := tokentest.New(7).Token("dt0c01")
	g := newGitRepo(t)
	g.write("a.env", tok.Text)
	g.commit("one")
	g.write("b.txt", "b")
	c2 := g.commit("two")
	g.write("c.txt", "c")
	g.commit("three")

	t.Run("bare", func(t *testing.T) {
		// Inside the working tree of another repository, which must not
		// be mistaken for it.
		bare := filepath.Join(g.dir, "bare.git")
		g.git("clone", "-q", "--bare", g.dir, bare)
		res := scan(t, &Source{Path: bare})
		checkClean(t, res)
		if len(res.Findings) != 1 || res.Findings[0].Path != "a.env" {
			t.Errorf("findings %v; want a.env", gots(res.Findings))
		}
	})
	t.Run("shallow", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "shallow")
		g.git("clone", "-q", "--depth", "2", "file://"+g.dir, dir)
		res := scan(t, &Source{Path: dir})
		checkClean(t, res)
		// Only the last two commits are in the clone: the token is
		// attributed to the shallow boundary, the oldest commit there.
		checkGots(t, res, got{rules.ID(tok.ID), "a.env", "", c2, true, false})
		res = scan(t, &Source{Path: dir, Since: "HEAD~1"})
		checkClean(t, res)
		checkGots(t, res)
	})
	t.Run("empty", func(t *testing.T) {
		e := newGitRepo(t)
		res := scan(t, &Source{Path: e.dir})
		checkClean(t, res)
		checkGots(t, res)
	})
	t.Run("worktree", func(t *testing.T) {
		wt := filepath.Join(t.TempDir(), "wt")
		g.git("worktree", "add", "-q", wt)
		res := scan(t, &Source{Path: filepath.Join(wt)})
		checkClean(t, res)
		if len(res.Findings) != 1 || res.Findings[0].Path != "a.env" || !res.Findings[0].Origin.AtHead {
			t.Errorf("findings %v; want a.env at head", gots(res.Findings))
		}
	})
	t.Run("subdirectory", func(t *testing.T) {
		if err := os.MkdirAll(filepath.Join(g.dir, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		res := scan(t, &Source{Path: filepath.Join(g.dir, "sub")})
		checkClean(t, res)
		if len(res.Findings) != 1 {
			t.Errorf("findings %v; want 1", gots(res.Findings))
		}
	})
	t.Run("not a repository", func(t *testing.T) {
		_, err := scanner.Scan(context.Background(), &Source{Path: t.TempDir()}, scanner.Options{})
		if err == nil || !strings.Contains(err.Error(), "not a git repository") {
			t.Errorf("Scan outside a repository: %v", err)
		}
	})
}

func TestSubmodule(t *testing.T) {
	gen := tokentest.New(8)
	inSub, inSuper := gen.Token("dt0c01"), gen.Token("dt0c01")
	sub := newGitRepo(t)
	sub.write("s.env", inSub.Text)
	sub.commit("sub")
	g := newGitRepo(t)
	g.write("p.env", inSuper.Text)
	g.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.dir, "mod")
	c := g.commit("with submodule")
	res := scan(t, &Source{Path: g.dir})
	checkClean(t, res)
	checkGots(t, res, got{rules.ID(inSuper.ID), "p.env", "", c, true, false})
}

// corrupt returns a packed repository holding tok, and the path of its
// pack.
func corruptRepo(t *testing.T, tok tokentest.Token) (*gitRepo, string) {
	g := newGitRepo(t)
	for i := range 40 {
		g.write(fmt.Sprintf("f%02d.txt", i), strings.Repeat(fmt.Sprintf("line %d of file %d\n", i, i), 200+i))
	}
	g.write("z.env", tok.Text)
	g.commit("files")
	g.git("repack", "-q", "-a", "-d")
	packs, _ := filepath.Glob(filepath.Join(g.dir, ".git/objects/pack/*.pack"))
	if len(packs) != 1 {
		t.Fatalf("%d packs; want 1", len(packs))
	}
	return g, packs[0]
}

func TestCorruptPack(t *testing.T) {
	tok := tokentest.New(9).Token("dt0c01")
	g, pack := corruptRepo(t, tok)
	fi, err := os.Stat(pack)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(pack, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	res, err := scanner.Scan(context.Background(), &Source{Path: g.dir}, scanner.Options{})
	if err == nil && len(res.Problems) == 0 {
		t.Fatalf("truncated pack: no error and no problem")
	}
	for _, p := range res.Problems {
		if !strings.Contains(p.Error(), ".pack") && !strings.Contains(p.Error(), "object") {
			t.Errorf("problem does not name the pack or object: %v", p)
		}
	}
	if d, leak := tokentest.Leak([]byte(fmt.Sprint(res.Problems, err)), tok); leak {
		t.Errorf("problems leak: %s", d)
	}
}

func TestCorruptLoose(t *testing.T) {
	tok := tokentest.New(10).Token("dt0c01")
	g := newGitRepo(t)
	g.write("a.txt", "plain text\n")
	g.write("z.env", tok.Text)
	g.commit("files")
	blob := g.git("rev-parse", "HEAD:a.txt")
	obj := filepath.Join(g.dir, ".git/objects", blob[:2], blob[2:])
	if err := os.Chmod(obj, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(obj, []byte("this is not zlib data at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := scan(t, &Source{Path: g.dir})
	if len(res.Problems) == 0 {
		t.Fatalf("corrupt loose object: no problem")
	}
	for _, p := range res.Problems {
		if !strings.Contains(p.Error(), blob) {
			t.Errorf("problem does not name object %s: %v", blob, p)
		}
	}
	found := false
	for _, f := range res.Findings {
		found = found || f.ID == rules.ID(tok.ID)
	}
	if !found {
		t.Errorf("token in the intact blob not found")
	}
}

func TestCancel(t *testing.T) {
	g := newGitRepo(t)
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "blob\nmark :%d\ndata <<EOF\nfile number %d\nEOF\n", i+1, i)
	}
	b.WriteString("commit refs/heads/main\ncommitter C <c@example.com> 1700000000 +0000\ndata 4\nmany\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "M 100644 :%d f%d.txt\n", i+1, i)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = g.dir
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fast-import: %v\n%s", err, out)
	}
	for _, jobs := range []int{1, 4} {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		h := &Source{Path: g.dir, Jobs: jobs}
		start := time.Now()
		var mu = make(chan struct{}, 1)
		mu <- struct{}{}
		err := h.Items(ctx, func(it scanner.Item, err error) error {
			<-mu
			n++
			if n == 10 {
				cancel()
			}
			mu <- struct{}{}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("jobs %d: Items after cancel = %v; want context.Canceled", jobs, err)
		}
		if n > 10+jobs*2 {
			t.Errorf("jobs %d: %d items after cancelling at 10", jobs, n)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("jobs %d: took %v", jobs, d)
		}
		cancel()
	}
}

func TestDeterministic(t *testing.T) {
	gen := tokentest.New(11)
	g := newGitRepo(t)
	var toks []tokentest.Token
	for i := range 30 {
		tok := gen.Token("dt0c01")
		toks = append(toks, tok)
		g.write(fmt.Sprintf("d%d/t%d.env", i%4, i), tok.Text+"\n"+toks[i/2].Text)
		g.commit(fmt.Sprintf("c%d", i))
		if i%5 == 4 {
			g.git("rm", "-q", "-r", fmt.Sprintf("d%d", i%4))
			g.commit("rm")
		}
	}
	g.git("repack", "-q", "-a", "-d")
	one := scan(t, &Source{Path: g.dir, Jobs: 1})
	eight := scan(t, &Source{Path: g.dir, Jobs: 8})
	checkClean(t, one)
	if len(one.Findings) == 0 {
		t.Fatal("no findings")
	}
	if !reflect.DeepEqual(one.Findings, eight.Findings) {
		t.Errorf("Jobs 1 and 8 differ:\n%v\n%v", gots(one.Findings), gots(eight.Findings))
	}
}

// TestCorruptObject damages one delta base inside an intact pack:
// it and the deltas built on it are problems naming their objects, and
// everything else is still scanned.
func TestCorruptObject(t *testing.T) {
	tok := tokentest.New(11).Token("dt0c01")
	g := newGitRepo(t)
	base := strings.Repeat("a line of the base file, long enough to deltify against\n", 400)
	g.write("base.txt", base)
	g.write("z.env", tok.Text)
	g.commit("base")
	g.write("base.txt", base+"one more line\n")
	g.commit("edit")
	g.git("repack", "-q", "-a", "-d", "-f")
	idx, _ := filepath.Glob(filepath.Join(g.dir, ".git/objects/pack/*.idx"))
	if len(idx) != 1 {
		t.Fatalf("%d pack indexes; want 1", len(idx))
	}
	// verify-pack -v: "HASH TYPE SIZE PACKED-SIZE OFFSET [DEPTH BASE]".
	var victim string
	var off, packed int64
	list := g.git("verify-pack", "-v", idx[0]) + "\n"
	for line := range strings.Lines(list) {
		f := strings.Fields(line)
		if len(f) == 5 && f[1] == "blob" && strings.Contains(list, " "+f[0]+"\n") {
			victim = f[0]
			packed, _ = strconv.ParseInt(f[3], 10, 64)
			off, _ = strconv.ParseInt(f[4], 10, 64)
			break
		}
	}
	if victim == "" {
		t.Fatalf("no blob that a delta is built on")
	}
	pack := strings.TrimSuffix(idx[0], ".idx") + ".pack"
	if err := os.Chmod(pack, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(pack, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("\xff\xff\xff\xff\xff\xff"), off+packed/2); err != nil {
		t.Fatal(err)
	}
	f.Close()

	res, err := scanner.Scan(context.Background(), &Source{Path: g.dir}, scanner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	named := false
	for _, p := range res.Problems {
		named = named || strings.Contains(p.Error(), victim)
		if !strings.Contains(p.Error(), ".pack") && !strings.Contains(p.Error(), "object") {
			t.Errorf("problem does not name the pack or object: %v", p)
		}
	}
	if !named {
		t.Errorf("none of %d problems names the damaged object %s", len(res.Problems), victim)
	}
	found := false
	for _, f := range res.Findings {
		found = found || f.ID == rules.ID(tok.ID)
	}
	if !found {
		t.Errorf("token in an intact blob not found")
	}
	if d, leak := tokentest.Leak([]byte(fmt.Sprint(res.Problems)), tok); leak {
		t.Errorf("problems leak: %s", d)
	}
}

// TestNotes finds a token written only in a git note: the note is a
// blob under refs/notes/commits, reachable, so --no-unreachable keeps it.
func TestNotes(t *testing.T) {
	tok := tokentest.New(61).Token("dt0c01")
	g := newGitRepo(t)
	g.write("a.txt", "clean\n")
	g.commit("one")
	g.git("notes", "add", "-m", "deployed with "+tok.Text)
	for _, noUnreachable := range []bool{false, true} {
		res := scan(t, &Source{Path: g.dir, NoUnreachable: noUnreachable})
		checkClean(t, res)
		if len(res.Findings) != 1 || string(res.Findings[0].ID) != tok.ID || res.Findings[0].Origin.Unreachable {
			t.Errorf("NoUnreachable=%v: findings %v; want %s, reachable", noUnreachable, gots(res.Findings), tok.ID)
		}
	}
}
