package forge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// GitHubAPI is the API of github.com; GitHub Enterprise Server's is
// https://HOST/api/v3.
const GitHubAPI = "https://api.github.com"

// GitHubHost returns the host git URLs of the API's repositories use, for
// deciding where a token may be sent: github.com for api.github.com, the
// API's own host for GitHub Enterprise Server.
func GitHubHost(api string) (string, error) {
	u, err := apiBase(api)
	if err != nil {
		return "", err
	}
	if u.Host == "api.github.com" {
		return "github.com", nil
	}
	return u.Host, nil
}

// GitHubOrg lists the repositories of an organisation (type=all: public,
// private and internal ones the token can see).
func (c *Client) GitHubOrg(ctx context.Context, api, org, token string, filter Filter) ([]Repo, error) {
	return c.github(ctx, api, "orgs/"+url.PathEscape(org)+"/repos?type=all&per_page=100", "GitHub organisation "+org, token, filter)
}

// GitHubUser lists the repositories a user owns.
func (c *Client) GitHubUser(ctx context.Context, api, user, token string, filter Filter) ([]Repo, error) {
	return c.github(ctx, api, "users/"+url.PathEscape(user)+"/repos?type=owner&per_page=100", "GitHub user "+user, token, filter)
}

func (c *Client) github(ctx context.Context, api, path, what, token string, filter Filter) ([]Repo, error) {
	base, err := apiBase(api)
	if err != nil {
		return nil, fmt.Errorf("GitHub API URL: %w", err)
	}
	h := http.Header{}
	h.Set("Accept", "application/vnd.github+json")
	h.Set("X-GitHub-Api-Version", "2022-11-28")
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return c.list(ctx, what, base.String()+"/"+path, h, linkNext, decodeGitHub, filter)
}

func decodeGitHub(body []byte) ([]Repo, error) {
	var page []struct {
		FullName string `json:"full_name"`
		CloneURL string `json:"clone_url"`
		Fork     bool   `json:"fork"`
		Archived bool   `json:"archived"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, fmt.Errorf("not a JSON array of repositories: %w", err)
	}
	out := make([]Repo, 0, len(page))
	for i, r := range page {
		if r.CloneURL == "" {
			return nil, fmt.Errorf("repository %d has no clone_url", i+1)
		}
		out = append(out, Repo{Name: r.FullName, CloneURL: r.CloneURL, Fork: r.Fork, Archived: r.Archived})
	}
	return out, nil
}
