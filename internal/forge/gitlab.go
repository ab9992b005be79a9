package forge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// GitLabURL is GitLab.com; a self-managed instance is https://HOST.
const GitLabURL = "https://gitlab.com"

// GitLabHost returns the host of a GitLab instance's URL, where its
// repositories are cloned from and its token may be sent.
func GitLabHost(base string) (string, error) {
	u, err := apiBase(base)
	if err != nil {
		return "", err
	}
	return u.Host, nil
}

// GitLabGroup lists the projects of a group and of all its subgroups,
// given the group's full path ("org/team") or numeric ID. Projects shared
// into the group from elsewhere are left out: they belong to another
// group's audit.
func (c *Client) GitLabGroup(ctx context.Context, base, group, token string, filter Filter) ([]Repo, error) {
	u, err := apiBase(base)
	if err != nil {
		return nil, fmt.Errorf("GitLab URL: %w", err)
	}
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	first := u.String() + "/api/v4/groups/" + url.PathEscape(group) +
		"/projects?include_subgroups=true&with_shared=false&per_page=100&order_by=id&sort=asc"
	return c.list(ctx, "GitLab group "+group, first, h, gitlabNext, decodeGitLab, filter)
}

// gitlabNext follows X-Next-Page, GitLab's page header (empty on the last
// page), and falls back to the Link header.
func gitlabNext(resp *http.Response, req *url.URL) string {
	next := resp.Header.Get("X-Next-Page")
	if next == "" {
		return linkNext(resp, req)
	}
	if _, err := strconv.Atoi(next); err != nil {
		return ""
	}
	u := *req
	q := u.Query()
	q.Set("page", next)
	u.RawQuery = q.Encode()
	return u.String()
}

func decodeGitLab(body []byte) ([]Repo, error) {
	var page []struct {
		PathWithNamespace string          `json:"path_with_namespace"`
		HTTPURLToRepo     string          `json:"http_url_to_repo"`
		Archived          bool            `json:"archived"`
		ForkedFrom        json.RawMessage `json:"forked_from_project"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, fmt.Errorf("not a JSON array of projects: %w", err)
	}
	out := make([]Repo, 0, len(page))
	for i, p := range page {
		if p.HTTPURLToRepo == "" {
			return nil, fmt.Errorf("project %d has no http_url_to_repo", i+1)
		}
		fork := len(p.ForkedFrom) > 0 && string(p.ForkedFrom) != "null"
		out = append(out, Repo{Name: p.PathWithNamespace, CloneURL: p.HTTPURLToRepo, Fork: fork, Archived: p.Archived})
	}
	return out, nil
}
