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

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

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
func layouts(t *testing.T, f func(t *testing.T, pack func(g *gittest.Repo))) {
	t.Run("loose", func(t *testing.T) { f(t, func(*gittest.Repo) {}) })
	t.Run("packed", func(t *testing.T) {
		f(t, func(g *gittest.Repo) { g.Git("repack", "-q", "-a", "-d", "--keep-unreachable") })
	})
}

func TestDeletedAndAtHead(t *testing.T) {
	layouts(t, func(t *testing.T, pack func(*gittest.Repo)) {
		gen := tokentest.New(1)
		gone, kept := gen.Token("dt0c01"), gen.Token("dt0c01")
		g := gittest.New(t)
		g.Write("app.env", "TOKEN="+gone.Text+"\n")
		g.Write("keep/conf.yaml", "a: 1\ntoken: "+kept.Text+"\n")
		c1 := g.Commit("add config")
		g.Write("other.txt", "x")
		g.Commit("unrelated")
		g.Git("rm", "-q", "app.env")
		g.Commit("remove config")
		pack(g)
		res := scan(t, &Source{Path: g.Dir})
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
	g := gittest.New(t)
	g.Write("a.env", tok.Text)
	c1 := g.Commit("add")
	for i := range 5 {
		g.Write("n.txt", fmt.Sprint(i))
		g.Commit("more")
	}
	g.Git("mv", "a.env", "b.env")
	c2 := g.Commit("rename")
	res := scan(t, &Source{Path: g.Dir})
	checkClean(t, res)
	checkGots(t, res,
		got{rules.ID(tok.ID), "a.env", "", c1, true, false},
		got{rules.ID(tok.ID), "b.env", "", c2, true, false},
	)
}

func TestRefs(t *testing.T) {
	layouts(t, func(t *testing.T, pack func(*gittest.Repo)) {
		gen := tokentest.New(3)
		onBranch, light, annotated, stashed, merged := gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01"), gen.Token("dt0c01")
		g := gittest.New(t)
		g.Write("README", "hi")
		g.Commit("init")

		g.Git("checkout", "-q", "-b", "feature")
		g.Write("f.env", onBranch.Text)
		cBranch := g.Commit("on branch")

		g.Git("checkout", "-q", "-b", "tmp1", "main")
		g.Write("l.env", light.Text)
		cLight := g.Commit("lightweight")
		g.Git("tag", "light")
		g.Git("checkout", "-q", "-b", "tmp2", "main")
		g.Write("a.env", annotated.Text)
		cAnn := g.Commit("annotated")
		g.Tick()
		g.Git("tag", "-a", "-m", "release", "v1")

		g.Git("checkout", "-q", "-b", "topic", "main")
		g.Write("m.env", merged.Text)
		cMerged := g.Commit("topic work")
		g.Git("checkout", "-q", "main")
		g.Write("other", "x")
		g.Commit("main work")
		g.Tick()
		g.Git("merge", "-q", "--no-ff", "-m", "merge topic", "topic")
		g.Git("branch", "-q", "-D", "tmp1", "tmp2", "topic")

		g.Write("README", "hi "+stashed.Text)
		g.Tick()
		g.Git("stash", "-q")
		pack(g)

		res := scan(t, &Source{Path: g.Dir})
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
	layouts(t, func(t *testing.T, pack func(*gittest.Repo)) {
		gen := tokentest.New(4)
		dangling, loose := gen.Token("dt0c01"), gen.Token("dt0c01")
		g := gittest.New(t)
		g.Write("README", "hi")
		g.Commit("init")
		g.Git("checkout", "-q", "-b", "gone")
		g.Write("d.env", dangling.Text)
		cGone := g.Commit("deleted branch")
		g.Git("checkout", "-q", "main")
		g.Git("branch", "-q", "-D", "gone")
		g.Git("reflog", "expire", "--expire=now", "--all")
		g.Write("never-committed", loose.Text)
		g.Git("hash-object", "-w", "never-committed")
		if err := os.Remove(filepath.Join(g.Dir, "never-committed")); err != nil {
			t.Fatal(err)
		}
		pack(g)

		res := scan(t, &Source{Path: g.Dir})
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

		res = scan(t, &Source{Path: g.Dir, NoUnreachable: true})
		checkClean(t, res)
		checkGots(t, res)
	})
}

func TestMessages(t *testing.T) {
	gen := tokentest.New(5)
	inCommit, inTag := gen.Token("dt0c01"), gen.Token("dt0c01")
	g := gittest.New(t)
	c1 := g.Commit("deploy with " + inCommit.Text)
	g.Tick()
	g.Git("tag", "-a", "-m", "token "+inTag.Text, "v1")
	tag := g.Git("rev-parse", "v1")
	res := scan(t, &Source{Path: g.Dir})
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
	g := gittest.New(t)
	g.Write("old.env", old.Text)
	c1 := g.Commit("old")
	g.Write("new.env", fresh.Text)
	g.Write("old.env", old.Text+"\n# edited\n")
	c2 := g.Commit("new")
	c3 := g.Commit("note " + msg.Text)
	want := []got{
		{rules.ID(msg.ID), "", "commit-message", c3, false, false},
		{rules.ID(fresh.ID), "new.env", "", c2, true, false},
		{rules.ID(old.ID), "old.env", "", c2, true, false},
	}
	for _, h := range []*Source{{Path: g.Dir, Range: c1 + ".." + c3}, {Path: g.Dir, Since: c1}, {Path: g.Dir, Range: c1 + ".."}} {
		res := scan(t, h)
		checkClean(t, res)
		checkGots(t, res, want...)
	}
	res := scan(t, &Source{Path: g.Dir, Range: c2 + ".." + c3})
	checkClean(t, res)
	checkGots(t, res, want[0])

	_, err := scanner.Scan(context.Background(), &Source{Path: g.Dir, Range: "nope..HEAD"}, scanner.Options{})
	if err == nil {
		t.Errorf("Scan with an unknown revision: no error")
	}
}

func TestLayouts(t *testing.T) {
	tok := tokentest.New(7).Token("dt0c01")
	g := gittest.New(t)
	g.Write("a.env", tok.Text)
	g.Commit("one")
	g.Write("b.txt", "b")
	c2 := g.Commit("two")
	g.Write("c.txt", "c")
	g.Commit("three")

	t.Run("bare", func(t *testing.T) {
		// Inside the working tree of another repository, which must not
		// be mistaken for it.
		bare := filepath.Join(g.Dir, "bare.git")
		g.Git("clone", "-q", "--bare", g.Dir, bare)
		res := scan(t, &Source{Path: bare})
		checkClean(t, res)
		if len(res.Findings) != 1 || res.Findings[0].Path != "a.env" {
			t.Errorf("findings %v; want a.env", gots(res.Findings))
		}
	})
	t.Run("shallow", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "shallow")
		g.Git("clone", "-q", "--depth", "2", "file://"+g.Dir, dir)
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
		e := gittest.New(t)
		res := scan(t, &Source{Path: e.Dir})
		checkClean(t, res)
		checkGots(t, res)
	})
	t.Run("worktree", func(t *testing.T) {
		wt := filepath.Join(t.TempDir(), "wt")
		g.Git("worktree", "add", "-q", wt)
		res := scan(t, &Source{Path: filepath.Join(wt)})
		checkClean(t, res)
		if len(res.Findings) != 1 || res.Findings[0].Path != "a.env" || !res.Findings[0].Origin.AtHead {
			t.Errorf("findings %v; want a.env at head", gots(res.Findings))
		}
	})
	t.Run("subdirectory", func(t *testing.T) {
		if err := os.MkdirAll(filepath.Join(g.Dir, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		res := scan(t, &Source{Path: filepath.Join(g.Dir, "sub")})
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
	sub := gittest.New(t)
	sub.Write("s.env", inSub.Text)
	sub.Commit("sub")
	g := gittest.New(t)
	g.Write("p.env", inSuper.Text)
	g.Git("-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.Dir, "mod")
	c := g.Commit("with submodule")
	res := scan(t, &Source{Path: g.Dir})
	checkClean(t, res)
	checkGots(t, res, got{rules.ID(inSuper.ID), "p.env", "", c, true, false})
}

// corrupt returns a packed repository holding tok, and the path of its
// pack.
func corruptRepo(t *testing.T, tok tokentest.Token) (*gittest.Repo, string) {
	g := gittest.New(t)
	for i := range 40 {
		g.Write(fmt.Sprintf("f%02d.txt", i), strings.Repeat(fmt.Sprintf("line %d of file %d\n", i, i), 200+i))
	}
	g.Write("z.env", tok.Text)
	g.Commit("files")
	g.Git("repack", "-q", "-a", "-d")
	packs, _ := filepath.Glob(filepath.Join(g.Dir, ".git/objects/pack/*.pack"))
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
	res, err := scanner.Scan(context.Background(), &Source{Path: g.Dir}, scanner.Options{})
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
	g := gittest.New(t)
	g.Write("a.txt", "plain text\n")
	g.Write("z.env", tok.Text)
	g.Commit("files")
	blob := g.Git("rev-parse", "HEAD:a.txt")
	obj := filepath.Join(g.Dir, ".git/objects", blob[:2], blob[2:])
	if err := os.Chmod(obj, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(obj, []byte("this is not zlib data at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := scan(t, &Source{Path: g.Dir})
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
	g := gittest.New(t)
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "blob\nmark :%d\ndata <<EOF\nfile number %d\nEOF\n", i+1, i)
	}
	b.WriteString("commit refs/heads/main\ncommitter C <c@example.com> 1700000000 +0000\ndata 4\nmany\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "M 100644 :%d f%d.txt\n", i+1, i)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = g.Dir
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fast-import: %v\n%s", err, out)
	}
	for _, jobs := range []int{1, 4} {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		h := &Source{Path: g.Dir, Jobs: jobs}
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
	g := gittest.New(t)
	var toks []tokentest.Token
	for i := range 30 {
		tok := gen.Token("dt0c01")
		toks = append(toks, tok)
		g.Write(fmt.Sprintf("d%d/t%d.env", i%4, i), tok.Text+"\n"+toks[i/2].Text)
		g.Commit(fmt.Sprintf("c%d", i))
		if i%5 == 4 {
			g.Git("rm", "-q", "-r", fmt.Sprintf("d%d", i%4))
			g.Commit("rm")
		}
	}
	g.Git("repack", "-q", "-a", "-d")
	one := scan(t, &Source{Path: g.Dir, Jobs: 1})
	eight := scan(t, &Source{Path: g.Dir, Jobs: 8})
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
	g := gittest.New(t)
	base := strings.Repeat("a line of the base file, long enough to deltify against\n", 400)
	g.Write("base.txt", base)
	g.Write("z.env", tok.Text)
	g.Commit("base")
	g.Write("base.txt", base+"one more line\n")
	g.Commit("edit")
	g.Git("repack", "-q", "-a", "-d", "-f")
	idx, _ := filepath.Glob(filepath.Join(g.Dir, ".git/objects/pack/*.idx"))
	if len(idx) != 1 {
		t.Fatalf("%d pack indexes; want 1", len(idx))
	}
	// verify-pack -v: "HASH TYPE SIZE PACKED-SIZE OFFSET [DEPTH BASE]".
	var victim string
	var off, packed int64
	list := g.Git("verify-pack", "-v", idx[0]) + "\n"
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

	res, err := scanner.Scan(context.Background(), &Source{Path: g.Dir}, scanner.Options{})
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
	g := gittest.New(t)
	g.Write("a.txt", "clean\n")
	g.Commit("one")
	g.Git("notes", "add", "-m", "deployed with "+tok.Text)
	for _, noUnreachable := range []bool{false, true} {
		res := scan(t, &Source{Path: g.Dir, NoUnreachable: noUnreachable})
		checkClean(t, res)
		if len(res.Findings) != 1 || string(res.Findings[0].ID) != tok.ID || res.Findings[0].Origin.Unreachable {
			t.Errorf("NoUnreachable=%v: findings %v; want %s, reachable", noUnreachable, gots(res.Findings), tok.ID)
		}
	}
}
