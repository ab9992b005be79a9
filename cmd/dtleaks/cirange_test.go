package main

import (
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
		got, why, err := ciRange(func(k string) string { return c.env[k] })
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: ciRange error = %v; want one mentioning %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want || why == "" {
			t.Errorf("%s: ciRange = %q, %q, %v; want %q, a reason, nil", c.name, got, why, err, c.want)
		}
	}
}
