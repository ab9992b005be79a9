package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/dtleaks/dtleaks/internal/gitrepo"
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
//
// clone says what the repository holds. A range whose end is not in it (a
// force-push: GitHub's "before" is the commit that was overwritten, which
// the checkout does not fetch; a shallow checkout, actions/checkout's
// default depth of 1) cannot be walked: the whole reachable history is
// scanned instead, and warn says why and what to change. warn is also set
// when the whole history of a shallow clone is all there is to scan.
func ciRange(getenv func(string) string, clone cloneInfo) (spec, why, warn string, err error) {
	spec, why, err = eventRange(getenv)
	if err != nil || clone == nil {
		return spec, why, "", err
	}
	const fix = "check out with actions/checkout's fetch-depth: 0 so the clone holds the whole history"
	if from, to, ok := strings.Cut(spec, ".."); ok {
		for _, end := range []string{from, to} {
			if !clone.has(end) {
				warn = fmt.Sprintf("commit %s, an end of the %s range, is not in this clone, so the whole reachable history is scanned instead. "+
					"After a force-push the overwritten commit is gone and this is expected; otherwise %s", short(end), why, fix)
				if clone.shallow() {
					warn = fmt.Sprintf("commit %s, an end of the %s range, is not in this shallow clone, so the whole reachable history is scanned instead, "+
						"and history before the clone's oldest commit is not scanned at all: %s", short(end), why, fix)
				}
				return "", why + ", an end missing: whole reachable history", warn, nil
			}
		}
		return spec, why, "", nil
	}
	if clone.shallow() {
		warn = "the clone is shallow: history before its oldest commit is not in it and is not scanned; " + fix
	}
	return spec, why, warn, nil
}

// short abbreviates a commit hash for a message.
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// cloneInfo is what ciRange needs to know of the repository.
type cloneInfo interface {
	// has reports whether the commit is in the repository.
	has(commit string) bool
	// shallow reports whether the repository is a shallow clone.
	shallow() bool
}

// gitClone is a cloneInfo read from the repository at a path.
type gitClone struct{ repo *gitrepo.Repo }

// openClone opens the repository at path for ciRange; nil when it cannot
// be opened, which the scan itself then reports.
func openClone(path string, getenv func(string) string) cloneInfo {
	if path == "" {
		path = "."
	}
	r, err := gitrepo.OpenEnv(path, getenv)
	if err != nil {
		return nil
	}
	return gitClone{r}
}

func (g gitClone) has(commit string) bool {
	if len(commit) != 40 || strings.Trim(strings.ToLower(commit), "0123456789abcdef") != "" {
		// Not a full hash: leave it to the scan, which resolves names.
		return true
	}
	_, err := g.repo.Store.EncodedObject(plumbing.CommitObject, plumbing.NewHash(commit))
	return err == nil
}

func (g gitClone) shallow() bool {
	hs, err := g.repo.Store.Shallow()
	return err == nil && len(hs) > 0
}

// eventRange reads the range from the environment alone.
func eventRange(getenv func(string) string) (spec, why string, err error) {
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
