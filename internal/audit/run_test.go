package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/dtleaks/dtleaks/internal/gitserve"
	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// blobs is a minimal history source for these tests: every blob of the
// repository at path, by hash. The real one lives in scanner/source; the
// runner must not care which it is given.
type blobs string

func (b blobs) Items(ctx context.Context, yield func(scanner.Item, error) error) error {
	repo, err := git.PlainOpen(string(b))
	if err != nil {
		return err
	}
	iter, err := repo.BlobObjects()
	if err != nil {
		return err
	}
	return iter.ForEach(func(o *object.Blob) error {
		r, err := o.Reader()
		if err != nil {
			return yield(scanner.Item{Path: o.Hash.String()}, err)
		}
		defer r.Close()
		return yield(scanner.Item{Path: o.Hash.String(), R: r}, nil)
	})
}

func testOptions(t *testing.T) Options {
	return Options{
		Jobs:    3,
		TempDir: t.TempDir(),
		Source:  func(path string) scanner.Source { return blobs(path) },
		Scan:    scanner.Options{Matcher: &rules.Matcher{}},
	}
}

func parse(t *testing.T, s string) Target {
	t.Helper()
	tg, err := ParseTarget(s)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestRun(t *testing.T) {
	g := tokentest.New(13)
	tokA, tokC := g.Token("dt0c01"), g.Token("dt0c01")
	root := t.TempDir()
	gitserve.Bare(t, root, "a.git", map[string]string{"config.env": "DT_TOKEN=" + tokA.Text + "\n"})
	gitserve.Bare(t, root, "b.git", map[string]string{"README": "clean\n"})
	gitserve.Bare(t, root, "empty.git")
	local := gitserve.Bare(t, t.TempDir(), "c.git", map[string]string{"x": tokC.Text})
	big := map[string]string{}
	for i := range 40 {
		big[fmt.Sprint("f", i)] = strings.Repeat(fmt.Sprint("incompressible? ", i*7919), 200)
	}
	gitserve.Bare(t, root, "big.git", big)
	srv := gitserve.Start(t, root, gitserve.Options{})
	dropping := gitserve.Start(t, root, gitserve.Options{DropAfter: 200})
	locked := gitserve.Start(t, root, gitserve.Options{User: "alice", Password: "s3cretpass"})
	lockedURL, _ := url.Parse(locked.URL)

	targets := []Target{
		parse(t, srv.URL+"/a.git"),
		parse(t, srv.URL+"/b.git"),
		parse(t, srv.URL+"/empty.git"),
		parse(t, srv.URL+"/nope.git"),
		parse(t, dropping.URL+"/big.git"),
		parse(t, "http://alice:s3cretpass@"+lockedURL.Host+"/a.git"),
		parse(t, "http://alice:wr0ngpass@"+lockedURL.Host+"/b.git"),
		parse(t, "file://"+filepath.ToSlash(filepath.Join(root, "b.git"))),
		parse(t, local),
		parse(t, filepath.Join(root, "missing.git")),
		parse(t, srv.URL+"/a.git"), // twice: scanned once
	}
	opts := testOptions(t)
	var events []Event
	opts.Event = func(e Event) { events = append(events, e) }
	res, sum, err := Run(context.Background(), targets, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{Repositories: 10, Scanned: 6, Failed: 4, Empty: 1, WithFindings: 3}
	if sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	var repos []string
	for _, f := range res.Findings {
		repos = append(repos, f.Repository)
	}
	wantRepos := []string{"http://" + lockedURL.Host + "/a.git", srv.URL + "/a.git", local}
	slices.Sort(wantRepos)
	if !slices.Equal(repos, wantRepos) {
		t.Errorf("findings in %q, want %q", repos, wantRepos)
	}
	var msgs []string
	for _, p := range res.Problems {
		var re *RepositoryError
		if !errors.As(p.Err, &re) {
			t.Errorf("problem %v does not name its repository", p)
		}
		msgs = append(msgs, p.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, name := range []string{srv.URL + "/nope.git", dropping.URL + "/big.git", "http://" + lockedURL.Host + "/b.git", "missing.git"} {
		if !strings.Contains(all, name) {
			t.Errorf("no problem names %s:\n%s", name, all)
		}
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "%v %+v", res, events)
	if strings.Contains(out.String(), "s3cretpass") || strings.Contains(out.String(), "wr0ngpass") {
		t.Error("a password from a URL reached the result or the events")
	}
	if desc, leaked := tokentest.Leak(out.Bytes(), tokA, tokC); leaked {
		t.Errorf("the result leaks a token: %s", desc)
	}
	if left := entries(t, opts.TempDir); len(left) != 0 {
		t.Errorf("temporary clones left behind: %v", left)
	}
}

func TestRunCloneDir(t *testing.T) {
	root := t.TempDir()
	bare := gitserve.Bare(t, root, "a.git", map[string]string{"a": "one"})
	srv := gitserve.Start(t, root, gitserve.Options{})
	opts := testOptions(t)
	opts.CloneDir = t.TempDir()
	targets := []Target{parse(t, srv.URL+"/a.git")}
	if _, sum, err := Run(context.Background(), targets, opts); err != nil || sum.Scanned != 1 {
		t.Fatalf("first run: %+v, %v", sum, err)
	}
	mirrorDir := filepath.Join(opts.CloneDir, targets[0].Remote.Dir())
	before := gitserve.Git(t, mirrorDir, "rev-parse", "refs/heads/main")

	work := t.TempDir()
	gitserve.Git(t, work, "clone", "-q", bare, ".")
	os.WriteFile(filepath.Join(work, "b"), []byte("two"), 0o644)
	gitserve.Git(t, work, "add", "b")
	gitserve.Git(t, work, "commit", "-q", "-m", "two")
	gitserve.Git(t, work, "push", "-q", "origin", "main")
	if _, sum, err := Run(context.Background(), targets, opts); err != nil || sum.Scanned != 1 {
		t.Fatalf("second run: %+v, %v", sum, err)
	}
	after := gitserve.Git(t, mirrorDir, "rev-parse", "refs/heads/main")
	if before == after || after != gitserve.Git(t, bare, "rev-parse", "refs/heads/main") {
		t.Errorf("the kept mirror was not brought up to date: %s -> %s", before, after)
	}
}

func TestRunCancelDuringClone(t *testing.T) {
	root := t.TempDir()
	for _, n := range []string{"a.git", "b.git", "c.git"} {
		gitserve.Bare(t, root, n, map[string]string{"f": n})
	}
	hold, holding := make(chan struct{}), make(chan struct{}, 3)
	defer close(hold)
	srv := gitserve.Start(t, root, gitserve.Options{Hold: hold, Holding: holding})
	opts := testOptions(t)
	opts.Jobs = 1
	ctx, cancel := context.WithCancel(context.Background())
	type ret struct {
		sum Summary
		err error
	}
	done := make(chan ret, 1)
	go func() {
		_, sum, err := Run(ctx, []Target{parse(t, srv.URL+"/a.git"), parse(t, srv.URL+"/b.git"), parse(t, srv.URL+"/c.git")}, opts)
		done <- ret{sum, err}
	}()
	select {
	case <-holding:
	case <-time.After(30 * time.Second):
		t.Fatal("no clone started")
	}
	if len(entries(t, opts.TempDir)) != 1 {
		t.Fatalf("no temporary directory while cloning: %v", entries(t, opts.TempDir))
	}
	cancel()
	select {
	case r := <-done:
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", r.err)
		}
		if r.sum.NotScanned != 3 || r.sum.Failed != 0 {
			t.Errorf("summary = %+v, want 3 not scanned and none failed", r.sum)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if left := entries(t, opts.TempDir); len(left) != 0 {
		t.Errorf("temporary directory left after Ctrl-C: %v", left)
	}
}

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]Target{
		"https://u:p@h.example/o/r.git": {Name: "https://h.example/o/r.git"},
		"git@h.example:o/r.git":         {Name: "git@h.example:o/r.git"},
		"./repo":                        {Name: "./repo", Path: "./repo"},
	} {
		got, err := ParseTarget(in)
		if err != nil || got.Name != want.Name || got.Path != want.Path || (got.Remote == nil) != (want.Path != "") {
			t.Errorf("ParseTarget(%q) = %+v, %v", in, got, err)
		}
	}
	if _, err := ParseTarget("ftp://u:p@h/x"); err == nil || strings.Contains(err.Error(), "u:p") {
		t.Errorf("bad URL: %v", err)
	}
}

func TestShard(t *testing.T) {
	for _, bad := range []string{"", "1", "0/3", "4/3", "a/b", "1/0", "-1/3", "1/3/4"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
	var shards []Shard
	for k := 1; k <= 3; k++ {
		s, err := ParseShard(fmt.Sprintf("%d/3", k))
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, s)
	}
	counts := make([]int, 3)
	for i := range 250 {
		https := parse(t, fmt.Sprintf("https://github.com/acme/repo-%03d.git", i))
		ssh := parse(t, fmt.Sprintf("git@github.com:acme/repo-%03d", i))
		in := 0
		for k, s := range shards {
			if s.Has(https) {
				in++
				counts[k]++
				if !s.Has(ssh) {
					t.Errorf("%s and its ssh form fall in different shards", https.Name)
				}
			}
		}
		if in != 1 {
			t.Errorf("%s is in %d shards", https.Name, in)
		}
	}
	for k, n := range counts {
		if n < 50 {
			t.Errorf("shard %d/3 has %d of 250 repositories: the hash does not spread", k+1, n)
		}
	}
	// The hash is part of the contract between machines: it must not
	// change between releases.
	for name, k := range map[string]int{
		"https://github.com/acme/repo-000.git": 1,
		"git@gitlab.com:org/team/p":            1,
		"https://github.com/acme/repo-002.git": 3,
	} {
		if !(Shard{k, 3}).Has(parse(t, name)) {
			t.Errorf("%s is no longer in shard %d/3: the hash changed, and machines of two releases would split a list differently", name, k)
		}
	}
}

// refsBlobs is blobs that can tell the refs containing commits: it answers
// with whether the repository was still on disk when asked.
type refsBlobs struct{ blobs }

func (r refsBlobs) RefsContaining(ctx context.Context, commits []string) (map[string][]string, error) {
	if _, err := os.Stat(filepath.Join(string(r.blobs), "HEAD")); err != nil {
		return map[string][]string{"gone": nil}, nil
	}
	return map[string][]string{"there": {"refs/heads/main"}}, nil
}

func TestRunRefs(t *testing.T) {
	g := tokentest.New(14)
	tok := g.Token("dt0c01")
	root := t.TempDir()
	gitserve.Bare(t, root, "a.git", map[string]string{"config.env": tok.Text + "\n"})
	gitserve.Bare(t, root, "clean.git", map[string]string{"README": "clean\n"})
	srv := gitserve.Start(t, root, gitserve.Options{})
	opts := testOptions(t)
	opts.Source = func(path string) scanner.Source { return refsBlobs{blobs(path)} }
	got := map[string]map[string][]string{}
	opts.Refs = func(repo string, refs map[string][]string) { got[repo] = refs }
	targets := []Target{parse(t, srv.URL+"/a.git"), parse(t, srv.URL+"/clean.git")}
	if _, _, err := Run(context.Background(), targets, opts); err != nil {
		t.Fatal(err)
	}
	// Asked of the repository with findings only, while its temporary
	// mirror was there.
	want := map[string]map[string][]string{srv.URL + "/a.git": {"there": {"refs/heads/main"}}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("refs = %v, want %v", got, want)
	}
}

// ignoringBlobs is blobs whose ignore rules left out n paths.
type ignoringBlobs struct {
	blobs
	n int64
}

func (b ignoringBlobs) IgnoredPaths() int64 { return b.n }

func TestRunSumsWhatWasLeftOut(t *testing.T) {
	root := t.TempDir()
	a := gitserve.Bare(t, root, "a.git", map[string]string{"x": "one"})
	b := gitserve.Bare(t, root, "b.git", map[string]string{"y": "two"})
	opts := testOptions(t)
	opts.Source = func(path string) scanner.Source {
		return ignoringBlobs{blobs(path), map[bool]int64{true: 2, false: 3}[strings.HasSuffix(path, "a.git")]}
	}
	res, _, err := Run(context.Background(), []Target{parse(t, a), parse(t, b)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Ignored != 5 {
		t.Errorf("Stats.Ignored = %d, want 5, the sum of the repositories'", res.Stats.Ignored)
	}
}
