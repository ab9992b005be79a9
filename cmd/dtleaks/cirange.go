package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dtleaks/dtleaks/internal/regfile"
)

// autoRange is the --range value that asks dtleaks to find the commits to
// scan from the CI system or hook it runs under.
const autoRange = "auto"

// zeroSHA is how git and GitHub name "no commit": the old side of a push
// that creates a branch.
func zeroSHA(s string) bool { return strings.Trim(s, "0") == "" }

// ciRange resolves --range auto from the environment:
//
//   - pre-commit's pre-push stage sets PRE_COMMIT_FROM_REF and
//     PRE_COMMIT_TO_REF: the commits being pushed;
//   - a GitHub Actions pull_request event: base.sha..head.sha, the commits
//     of the pull request;
//   - a GitHub Actions push event: before..after, the pushed commits, or the
//     whole history when the push creates the branch;
//   - anything else: the whole history.
//
// It returns "" for the whole history, and a description of what it chose
// for the summary line.
func ciRange(getenv func(string) string) (spec, why string, err error) {
	if to := getenv("PRE_COMMIT_TO_REF"); to != "" {
		from := getenv("PRE_COMMIT_FROM_REF")
		if from == "" || zeroSHA(from) {
			return "", "pre-push of a new branch: whole history", nil
		}
		return from + ".." + to, "pre-push", nil
	}
	event := getenv("GITHUB_EVENT_NAME")
	if event == "" {
		return "", "no CI event: whole history", nil
	}
	path := getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return "", event + " event: whole history", nil
	}
	data, err := regfile.ReadFile(path, 1<<28) // GitHub's payloads are megabytes at most
	if err != nil {
		return "", "", fmt.Errorf("reading the GitHub event: %w", err)
	}
	var ev struct {
		Before      string `json:"before"`
		After       string `json:"after"`
		PullRequest *struct {
			Base struct{ SHA string } `json:"base"`
			Head struct{ SHA string } `json:"head"`
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return "", "", fmt.Errorf("GitHub event %s: %w", path, err)
	}
	switch event {
	case "pull_request", "pull_request_target":
		if ev.PullRequest == nil || ev.PullRequest.Base.SHA == "" || ev.PullRequest.Head.SHA == "" {
			return "", "", fmt.Errorf("GitHub event %s: a %s event without pull_request.base.sha and head.sha", path, event)
		}
		return ev.PullRequest.Base.SHA + ".." + ev.PullRequest.Head.SHA, "pull request", nil
	case "push":
		if ev.After == "" || zeroSHA(ev.After) {
			return "", "", fmt.Errorf("GitHub event %s: a push event without an after commit (a deleted branch has nothing to scan)", path)
		}
		if ev.Before == "" || zeroSHA(ev.Before) {
			return "", "push creating a branch: whole history", nil
		}
		return ev.Before + ".." + ev.After, "push", nil
	}
	return "", event + " event: whole history", nil
}
