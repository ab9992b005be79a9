package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/internal/gitserve"
	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// auditFinding is what these tests read of a JSON finding.
type auditFinding struct {
	Repository string `json:"repository"`
	Path       string `json:"path"`
	TokenID    string `json:"token_id"`
	Commit     string `json:"commit"`
}

func decodeAudit(t *testing.T, r result) []auditFinding {
	t.Helper()
	var fs []auditFinding
	if err := json.Unmarshal(r.stdout, &fs); err != nil {
		t.Fatalf("stdout is not a JSON report: %v (exit %d, stderr %s)", err, r.code, r.stderr)
	}
	return fs
}

// org is a fake GitHub organisation: n bare repositories under root, served
// by a fake API 100 a page with Link headers, each clone_url a file:// URL.
// The repositories numbered in tokens hold a token each (two tokens in two
// files in 123); repository empty is empty.
type org struct {
	root, api string
	toks      map[string]tokentest.Token
	names     []string
}

func newOrg(t *testing.T, n int, tokens []int, empty int) *org {
	t.Helper()
	o := &org{root: t.TempDir(), toks: map[string]tokentest.Token{}}
	g := tokentest.New(99)
	template := gitserve.Bare(t, t.TempDir(), "template.git", map[string]string{"README.md": "nothing here\n"})
	for i := range n {
		name := fmt.Sprintf("repo-%03d.git", i)
		o.names = append(o.names, name)
		switch {
		case slices.Contains(tokens, i):
			tok, tok2 := g.Token("dt0c01"), g.Token("dt0c01")
			o.toks[name], o.toks[name+"2"] = tok, tok2
			gitserve.Bare(t, o.root, name, map[string]string{"README.md": "x\n"},
				map[string]string{"deploy/env": "DT_API_TOKEN=" + tok.Text + "\n", "a/b.txt": tok2.Text + " " + tok.Text})
		case i == empty:
			gitserve.Bare(t, o.root, name)
		default:
			if err := os.CopyFS(filepath.Join(o.root, name), os.DirFS(template)); err != nil {
				t.Fatal(err)
			}
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer gh-test-token" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`)
			return
		}
		if r.URL.Path != "/api/v3/orgs/acme/repos" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		var repos []map[string]any
		for i := (page - 1) * 100; i < min(page*100, n); i++ {
			repos = append(repos, map[string]any{
				"full_name": "acme/" + strings.TrimSuffix(o.names[i], ".git"),
				"clone_url": "file://" + filepath.ToSlash(filepath.Join(o.root, o.names[i])),
				"fork":      false, "archived": false,
			})
		}
		if page*100 < n {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?per_page=100&page=%d>; rel="next"`, r.Host, r.URL.Path, page+1))
		}
		json.NewEncoder(w).Encode(repos)
	}))
	t.Cleanup(srv.Close)
	o.api = srv.URL + "/api/v3"
	return o
}

func (o *org) run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	env = append([]string{"GITHUB_TOKEN=gh-test-token", "TMPDIR=" + t.TempDir()}, env...)
	base := []string{"history", "--github-org", "acme", "--github-api-url", o.api}
	return cmd{dir: t.TempDir(), env: env, args: append(base, args...)}.run(t)
}

// TestAuditGitHubOrg audits an organisation of 250 repositories listed over
// 3 pages, then again in three shards, whose merged reports must be the
// report of the whole run, byte for byte.
func TestAuditGitHubOrg(t *testing.T) {
	o := newOrg(t, 250, []int{7, 123, 242}, 50)
	whole := o.run(t, nil, "--format", "json")
	if whole.code != exitFindings {
		t.Fatalf("exit %d, want 1; stderr:\n%s", whole.code, whole.stderr)
	}
	noLeak(t, whole, o.toks)
	fs := decodeAudit(t, whole)
	var got []string
	for _, f := range fs {
		got = append(got, filepath.Base(f.Repository)+" "+f.Path)
		if f.Commit == "" {
			t.Errorf("finding %+v names no commit", f)
		}
	}
	want := []string{
		"repo-007.git a/b.txt", "repo-007.git a/b.txt", "repo-007.git deploy/env",
		"repo-123.git a/b.txt", "repo-123.git a/b.txt", "repo-123.git deploy/env",
		"repo-242.git a/b.txt", "repo-242.git a/b.txt", "repo-242.git deploy/env",
	}
	if !equal(got, want) {
		t.Errorf("findings %q, want %q", got, want)
	}
	if !bytes.Contains(whole.stderr, []byte("250 repositories: 250 scanned (1 empty), 0 failed, 3 with findings")) {
		t.Errorf("summary:\n%s", whole.stderr)
	}
	if bytes.Contains(whole.stderr, []byte("gh-test-token")) || bytes.Contains(whole.stdout, []byte("gh-test-token")) {
		t.Error("the token is in the output")
	}

	t.Run("401", func(t *testing.T) {
		r := o.run(t, []string{"GITHUB_TOKEN=wrong"})
		if r.code != exitError || !bytes.Contains(r.stderr, []byte("GitHub organisation acme: 401 Unauthorized: Bad credentials")) {
			t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
		if bytes.Contains(r.stderr, []byte("wrong")) {
			t.Errorf("the token is in the error:\n%s", r.stderr)
		}
	})
	t.Run("404", func(t *testing.T) {
		r := cmd{dir: t.TempDir(), env: []string{"GITHUB_TOKEN=gh-test-token"}, args: []string{"history", "--github-org", "nobody", "--github-api-url", o.api}}.run(t)
		if r.code != exitError || !bytes.Contains(r.stderr, []byte("GitHub organisation nobody: 404 Not Found")) {
			t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
	})
}

// TestAuditURLs scans repositories over smart HTTP (one behind basic auth
// with the credentials in the URL), file:// and a local path at once, with
// repositories that fail in each way; the others are scanned and the report
// groups findings by repository.
func TestAuditURLs(t *testing.T) {
	root := t.TempDir()
	g := tokentest.New(5)
	tokA, tokL := g.Token("dt0c01"), g.Token("dt0c01")
	gitserve.Bare(t, root, "a.git", map[string]string{"app.env": "TOKEN=" + tokA.Text + "\n"})
	gitserve.Bare(t, root, "empty.git")
	big := map[string]string{}
	for i := range 40 {
		big[fmt.Sprint("f", i)] = strings.Repeat(fmt.Sprint("filler ", i*7919), 300)
	}
	gitserve.Bare(t, root, "big.git", big)
	local := gitserve.Bare(t, t.TempDir(), "local.git", map[string]string{"x.yaml": "token: " + tokL.Text + "\n"})
	srv := gitserve.Start(t, root, gitserve.Options{})
	locked := gitserve.Start(t, root, gitserve.Options{User: "alice", Password: "hunter2secret"})
	dropping := gitserve.Start(t, root, gitserve.Options{DropAfter: 200})
	lu, _ := url.Parse(locked.URL)
	toks := map[string]tokentest.Token{"a": tokA, "l": tokL}

	clones := t.TempDir()
	r := cmd{dir: t.TempDir(), env: []string{"TMPDIR=" + t.TempDir()}, args: []string{
		"history", "--clone-dir", clones,
		"http://alice:hunter2secret@" + lu.Host + "/a.git",
		"http://alice:badpassword@" + lu.Host + "/empty.git",
		srv.URL + "/empty.git",
		srv.URL + "/missing.git",
		dropping.URL + "/big.git",
		local,
	}}.run(t)
	if r.code != exitError {
		t.Errorf("exit %d, want 2 (problems)", r.code)
	}
	noLeak(t, r, toks)
	if bytes.ContainsAny(r.stderr, "\r\x1b") {
		t.Errorf("a progress line on standard error that is not a terminal:\n%q", r.stderr)
	}
	out := string(r.stdout) + string(r.stderr)
	for _, secret := range []string{"hunter2secret", "badpassword", "alice:"} {
		if strings.Contains(out, secret) {
			t.Errorf("output shows URL credentials %q:\n%s", secret, out)
		}
	}
	// Repositories in order of their names: the local path (/tmp/...)
	// before http://.
	wantOut := "repository " + local + "\nx.yaml:1:8: classic-access-token " + tokL.ID + ".**** commit "
	if !strings.HasPrefix(string(r.stdout), wantOut) || !strings.Contains(string(r.stdout), "\n\nrepository http://"+lu.Host+"/a.git\napp.env:1:7: ") {
		t.Errorf("text report:\n%s", r.stdout)
	}
	for _, name := range []string{"http://" + lu.Host + "/empty.git", srv.URL + "/missing.git", dropping.URL + "/big.git"} {
		if !strings.Contains(string(r.stderr), "dtleaks history: "+name+": fetch: ") {
			t.Errorf("no problem names %s:\n%s", name, r.stderr)
		}
	}
	if !strings.Contains(string(r.stderr), "6 repositories: 3 scanned (1 empty), 3 failed, 2 with findings") {
		t.Errorf("summary:\n%s", r.stderr)
	}
	kept, _ := filepath.Glob(filepath.Join(clones, "*", "a-*.git"))
	if len(kept) != 1 {
		t.Errorf("--clone-dir keeps %v, want the mirror of a.git", kept)
	}
	if cfg, err := os.ReadFile(filepath.Join(kept[0], "config")); err != nil || bytes.Contains(cfg, []byte("hunter2")) {
		t.Errorf("the kept mirror's config holds the password (%v)", err)
	}
}

// TestAuditInterrupt sends SIGINT while a clone is under way: the run stops,
// reports what it did, exits 2, and leaves no temporary clone behind.
func TestAuditInterrupt(t *testing.T) {
	root := t.TempDir()
	gitserve.Bare(t, root, "a.git", map[string]string{"a": "a"})
	gitserve.Bare(t, root, "b.git", map[string]string{"b": "b"})
	hold, holding := make(chan struct{}), make(chan struct{}, 2)
	defer close(hold)
	srv := gitserve.Start(t, root, gitserve.Options{Hold: hold, Holding: holding})
	tmp := t.TempDir()
	x := exec.Command(binary, "history", "--parallel-repos", "1", srv.URL+"/a.git", srv.URL+"/b.git")
	x.Env = []string{"HOME=/nonexistent", "PATH=" + os.Getenv("PATH"), "TMPDIR=" + tmp}
	var stdout, stderr bytes.Buffer
	x.Stdout, x.Stderr = &stdout, &stderr
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-holding:
	case <-time.After(time.Minute):
		x.Process.Kill()
		t.Fatal("no clone started")
	}
	if es, _ := os.ReadDir(tmp); len(es) != 1 {
		t.Errorf("no temporary clone directory while cloning: %v", es)
	}
	x.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- x.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		x.Process.Kill()
		t.Fatal("dtleaks did not stop after SIGINT")
	}
	if code := x.ProcessState.ExitCode(); code != exitError {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "interrupted: 2 of 2 repositories not scanned") ||
		!strings.Contains(stderr.String(), "2 repositories: 0 scanned (0 empty), 0 failed, 0 with findings, 2 not scanned") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	if es, _ := os.ReadDir(tmp); len(es) != 0 {
		t.Errorf("temporary clones left after SIGINT: %v", es)
	}
}

func TestAuditUsageErrors(t *testing.T) {
	reposFile := filepath.Join(t.TempDir(), "repos.txt")
	os.WriteFile(reposFile, []byte("# comment\n\nhttps://example.com/a.git\nftp://user:pw@example.com/b\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"history", "--range", "a..b", "https://example.com/a.git"}, "--range and --since-commit apply to one local repository"},
		{[]string{"history", "--shard", "4/3", "."}, `shard "4/3": want K/N`},
		{[]string{"history", "--repos", reposFile}, "repos.txt:4: unsupported URL scheme"},
		{[]string{"history", "--github-org", "x", "--github-api-url", "ftp://x"}, "--github-api-url: want an http or https URL"},
		{[]string{"history", "--parallel-repos", "0", "https://example.com/a.git"}, "--parallel-repos must be at least 1"},
		{[]string{"merge"}, "no report to merge"},
		{[]string{"merge", "--format", "xml", "a.json"}, `unknown --format "xml"`},
	} {
		r := dtleaks(t, t.TempDir(), tc.args...)
		if r.code != exitError || !strings.Contains(string(r.stderr), tc.want) {
			t.Errorf("dtleaks %s: exit %d, stderr %s; want 2 and %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
		}
		if strings.Contains(string(r.stderr), "user:pw") {
			t.Errorf("dtleaks %s: the error quotes the URL's credentials", strings.Join(tc.args, " "))
		}
	}
	if r := dtleaks(t, t.TempDir(), "help", "merge"); r.code != 0 || !bytes.Contains(r.stdout, []byte("Usage: dtleaks merge")) {
		t.Errorf("help merge: exit %d:\n%s", r.code, r.stdout)
	}
	help := dtleaks(t, t.TempDir(), "history", "--help")
	if !strings.Contains(string(help.stdout), "A clone holds every secret its repository holds") {
		t.Errorf("history --help does not warn about clones:\n%s", help.stdout)
	}
}

func TestMergeBadReport(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`[{"repository":"https://example.com/a.git","token_id":"dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX","prefix":"dt0c01","type":"classic-access-token","description":"d","path":"a","line":1,"column":1,"fingerprint":"`+strings.Repeat("ab", 32)+`"}]`), 0o644)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"runs":[]}`), 0o644)
	r := dtleaks(t, dir, "merge", "--format", "json", good, bad, filepath.Join(dir, "missing.json"))
	if r.code != exitError {
		t.Errorf("exit %d, want 2", r.code)
	}
	if !bytes.Contains(r.stdout, []byte(`"repository": "https://example.com/a.git"`)) {
		t.Errorf("the good report was not merged:\n%s", r.stdout)
	}
	for _, want := range []string{"bad.json: a JSON object, want an array", "missing.json"} {
		if !bytes.Contains(r.stderr, []byte(want)) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// TestAuditShardsMerged runs an organisation in three shards: their merged
// reports must be the report of one unsharded run, byte for byte. (30
// repositories: the 250 of TestAuditGitHubOrg, four times over, cost
// minutes under -race on a loaded machine and test nothing more.)
func TestAuditShardsMerged(t *testing.T) {
	o := newOrg(t, 30, []int{3, 7, 13, 22, 29}, 20)
	whole := o.run(t, nil, "--format", "json")
	if whole.code != exitFindings {
		t.Fatalf("exit %d, want 1; stderr:\n%s", whole.code, whole.stderr)
	}
	{
		dir := t.TempDir()
		var reports []string
		total := 0
		for k := 1; k <= 3; k++ {
			name := filepath.Join(dir, fmt.Sprintf("shard-%d.json", k))
			r := o.run(t, nil, "--shard", fmt.Sprintf("%d/3", k), "--format", "json", "--output", name)
			if r.code == exitError {
				t.Fatalf("shard %d/3: exit 2:\n%s", k, r.stderr)
			}
			var n int
			for _, line := range strings.Split(string(r.stderr), "\n") {
				if strings.Contains(line, " repositories: ") {
					fmt.Sscanf(line, "dtleaks: %d repositories", &n)
				}
			}
			if n == 0 || n == 30 {
				t.Errorf("shard %d/3 scanned %d repositories", k, n)
			}
			total += n
			reports = append(reports, name)
		}
		if total != 30 {
			t.Errorf("the shards scanned %d repositories in all, want 30", total)
		}
		merged := dtleaks(t, dir, append([]string{"merge", "--format", "json"}, reports...)...)
		if merged.code != exitFindings {
			t.Fatalf("merge: exit %d:\n%s", merged.code, merged.stderr)
		}
		if !bytes.Equal(merged.stdout, whole.stdout) {
			t.Errorf("merged shards:\n%s\nwant the unsharded report:\n%s", merged.stdout, whole.stdout)
		}
		// Merging a report twice changes nothing.
		again := dtleaks(t, dir, append([]string{"merge", "--format", "json", reports[0]}, reports...)...)
		if !bytes.Equal(again.stdout, whole.stdout) {
			t.Error("a report merged twice gave duplicates")
		}
		for _, format := range []string{"text", "sarif", "github", "markdown"} {
			r := dtleaks(t, dir, append([]string{"merge", "--format", format}, reports...)...)
			if r.code != exitFindings || len(r.stdout) == 0 {
				t.Errorf("merge --format %s: exit %d, %d bytes:\n%s", format, r.code, len(r.stdout), r.stderr)
			}
			noLeak(t, r, o.toks)
		}
	}
}

// TestAuditGitLabGroup lists a group over two pages (X-Next-Page) with a
// fork and an archived project left out, and clones the http_url_to_repo
// each project names.
func TestAuditGitLabGroup(t *testing.T) {
	root := t.TempDir()
	g := tokentest.New(21)
	tok := g.Token("dt0c01")
	gitserve.Bare(t, root, "p0.git", map[string]string{"ci.yml": "token: " + tok.Text + "\n"})
	for _, n := range []string{"p1.git", "fork.git", "old.git"} {
		gitserve.Bare(t, root, n, map[string]string{"README": n})
	}
	projects := []map[string]any{
		{"path_with_namespace": "org/team/p0", "http_url_to_repo": "file://" + filepath.ToSlash(filepath.Join(root, "p0.git")), "archived": false},
		{"path_with_namespace": "org/team/sub/p1", "http_url_to_repo": "file://" + filepath.ToSlash(filepath.Join(root, "p1.git")), "archived": false},
		{"path_with_namespace": "org/fork", "http_url_to_repo": "file://" + filepath.ToSlash(filepath.Join(root, "fork.git")), "archived": false, "forked_from_project": map[string]any{"id": 9}},
		{"path_with_namespace": "org/old", "http_url_to_repo": "file://" + filepath.ToSlash(filepath.Join(root, "old.git")), "archived": true},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer gl-test-token" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"401 Unauthorized"}`)
			return
		}
		if r.URL.EscapedPath() != "/api/v4/groups/org/projects" || r.URL.Query().Get("include_subgroups") != "true" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"404 Group Not Found"}`)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		next := ""
		if page == 1 {
			next = "2"
		}
		w.Header().Set("X-Next-Page", next)
		json.NewEncoder(w).Encode(projects[(page-1)*2 : page*2])
	}))
	defer srv.Close()
	r := cmd{dir: t.TempDir(), env: []string{"GITLAB_TOKEN=gl-test-token"}, args: []string{
		"history", "--gitlab-group", "org", "--gitlab-url", srv.URL, "--format", "json"}}.run(t)
	if r.code != exitFindings {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	fs := decodeAudit(t, r)
	if len(fs) != 1 || !strings.HasSuffix(fs[0].Repository, "/p0.git") || fs[0].Path != "ci.yml" {
		t.Errorf("findings %+v", fs)
	}
	if !bytes.Contains(r.stderr, []byte("2 repositories: 2 scanned (0 empty), 0 failed, 1 with findings")) {
		t.Errorf("summary:\n%s", r.stderr)
	}
	all := cmd{dir: t.TempDir(), env: []string{"GITLAB_TOKEN=gl-test-token"}, args: []string{
		"history", "--gitlab-group", "org", "--gitlab-url", srv.URL, "--include-forks", "--include-archived"}}.run(t)
	if !bytes.Contains(all.stderr, []byte("4 repositories: 4 scanned")) {
		t.Errorf("with forks and archived:\n%s", all.stderr)
	}
	noLeak(t, r, map[string]tokentest.Token{"t": tok})
}
