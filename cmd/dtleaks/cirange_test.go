package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCIRange(t *testing.T) {
	dir := t.TempDir()
	event := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const a, b = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	const zero = "0000000000000000000000000000000000000000"
	cases := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"nothing", nil, "", ""},
		{"pre-push", map[string]string{"PRE_COMMIT_FROM_REF": a, "PRE_COMMIT_TO_REF": b}, a + ".." + b, ""},
		{"pre-push new branch", map[string]string{"PRE_COMMIT_FROM_REF": zero, "PRE_COMMIT_TO_REF": b}, "", ""},
		{"push", map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": event("push.json", `{"before":"`+a+`","after":"`+b+`","ref":"refs/heads/main"}`)}, a + ".." + b, ""},
		{"push new branch", map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": event("new.json", `{"before":"`+zero+`","after":"`+b+`","created":true}`)}, "", ""},
		{"push deleting a branch", map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": event("del.json", `{"before":"`+a+`","after":"`+zero+`","deleted":true}`)}, "", "deleted branch"},
		{"pull request", map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event("pr.json", `{"number":7,"pull_request":{"base":{"sha":"`+a+`","ref":"main"},"head":{"sha":"`+b+`"}}}`)}, a + ".." + b, ""},
		{"pull request without shas", map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event("badpr.json", `{"number":7}`)}, "", "pull_request.base.sha"},
		{"manual run", map[string]string{"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_EVENT_PATH": event("wd.json", `{"inputs":{}}`)}, "", ""},
		{"schedule without event file", map[string]string{"GITHUB_EVENT_NAME": "schedule"}, "", ""},
		{"broken event file", map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": event("broken.json", `{"before":`)}, "", "broken.json"},
		{"missing event file", map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": filepath.Join(dir, "nope.json")}, "", "nope.json"},
	}
	for _, c := range cases {
		got, why, warn, err := ciRange(func(k string) string { return c.env[k] }, nil)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: ciRange error = %v; want one mentioning %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want || why == "" || warn != "" {
			t.Errorf("%s: ciRange = %q, %q, %q, %v; want %q, a reason, no warning, nil", c.name, got, why, warn, err, c.want)
		}
	}
}

// fakeClone is a cloneInfo holding the listed commits.
type fakeClone struct {
	commits   map[string]bool
	isShallow bool
}

func (f fakeClone) has(c string) bool { return f.commits[c] }
func (f fakeClone) shallow() bool     { return f.isShallow }

// TestCIRangeMissingEnd checks the fallback when a range end is not in the
// clone: the whole history, with a warning that names fetch-depth: 0.
func TestCIRangeMissingEnd(t *testing.T) {
	dir := t.TempDir()
	const a, b = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	p := filepath.Join(dir, "push.json")
	if err := os.WriteFile(p, []byte(`{"before":"`+a+`","after":"`+b+`","forced":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": p}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		name       string
		clone      fakeClone
		want       string
		wantWarn   []string
		wantNoWarn bool
	}{
		{"both ends", fakeClone{commits: map[string]bool{a: true, b: true}}, a + ".." + b, nil, true},
		{"force-push", fakeClone{commits: map[string]bool{b: true}}, "", []string{"111111111111", "not in this clone", "fetch-depth: 0"}, false},
		{"shallow", fakeClone{commits: map[string]bool{b: true}, isShallow: true}, "", []string{"shallow", "fetch-depth: 0"}, false},
		{"shallow with both ends", fakeClone{commits: map[string]bool{a: true, b: true}, isShallow: true}, a + ".." + b, nil, true},
	}
	for _, c := range cases {
		got, _, warn, err := ciRange(getenv, c.clone)
		if err != nil || got != c.want || (warn == "") != c.wantNoWarn {
			t.Errorf("%s: ciRange = %q, warning %q, %v; want %q", c.name, got, warn, err, c.want)
		}
		for _, w := range c.wantWarn {
			if !strings.Contains(warn, w) {
				t.Errorf("%s: warning %q does not say %q", c.name, warn, w)
			}
		}
	}
	// The whole history of a shallow clone is not the whole history.
	env = map[string]string{"GITHUB_EVENT_NAME": "workflow_dispatch"}
	if got, _, warn, err := ciRange(getenv, fakeClone{isShallow: true}); err != nil || got != "" || !strings.Contains(warn, "fetch-depth: 0") {
		t.Errorf("shallow manual run: ciRange = %q, warning %q, %v; want the whole history and a warning", got, warn, err)
	}
}

// With --format github, an error is also an ::error workflow command on
// standard output, and the fallback warning a ::warning one, so the runner
// shows them as annotations (issue 17).
func TestRangeGitHubAnnotations(t *testing.T) {
	notRepo := t.TempDir()
	r := cmd{dir: notRepo, args: []string{"history", "--format", "github", "."}}.run(t)
	if r.code != 2 || !bytes.HasPrefix(r.stdout, []byte("::error title=dtleaks history::")) {
		t.Errorf("history of a directory that is no repository: exit %d, stdout %q; want 2 and an ::error command", r.code, r.stdout)
	}
	r = cmd{dir: notRepo, args: []string{"history", "--format", "text", "."}}.run(t)
	if bytes.Contains(r.stdout, []byte("::error")) {
		t.Errorf("--format text printed a workflow command: %q", r.stdout)
	}

	ws := t.TempDir()
	git(t, ws, "init", "-q", "-b", "main")
	head := commit(t, ws, "start", map[string]*string{"README": str("hello\n")})
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"before":"0123456789abcdef0123456789abcdef01234567","after":"`+head+`","forced":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r = cmd{dir: ws, env: []string{"GITHUB_EVENT_NAME=push", "GITHUB_EVENT_PATH=" + event},
		args: []string{"history", "--range", "auto", "--format", "github", "."}}.run(t)
	if r.code != 0 || !bytes.HasPrefix(r.stdout, []byte("::warning title=dtleaks history::commit 0123456789ab")) || !bytes.Contains(r.stdout, []byte("fetch-depth: 0")) {
		t.Errorf("force-push: exit %d, stdout %q; want 0 and a ::warning naming the missing commit and fetch-depth: 0", r.code, r.stdout)
	}
}
