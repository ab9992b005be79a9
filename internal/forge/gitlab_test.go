package forge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// fakeGitLab serves group "org" with projects spread over subgroups, 100 a
// page with X-Next-Page, and answers page 2 once with a 429 and
// RateLimit-Reset.
func fakeGitLab(t *testing.T, n int, now time.Time) *httptest.Server {
	limited := true
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"401 Unauthorized"}`)
			return
		}
		if r.URL.EscapedPath() != "/api/v4/groups/org%2Fplatform/projects" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"404 Group Not Found"}`)
			return
		}
		q := r.URL.Query()
		if q.Get("include_subgroups") != "true" {
			t.Errorf("subgroups not asked for: %s", r.URL)
		}
		page, _ := strconv.Atoi(q.Get("page"))
		page = max(page, 1)
		if page == 2 && limited {
			limited = false
			w.Header().Set("RateLimit-Remaining", "0")
			w.Header().Set("RateLimit-Reset", strconv.FormatInt(now.Unix()+4, 10))
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"message":"Retry later"}`)
			return
		}
		var out []map[string]any
		for i := (page - 1) * 100; i < min(page*100, n); i++ {
			p := map[string]any{
				"path_with_namespace": fmt.Sprintf("org/platform/team-%d/p%03d", i%4, i),
				"http_url_to_repo":    fmt.Sprintf("https://gitlab.example.com/org/platform/team-%d/p%03d.git", i%4, i),
				"archived":            i%10 == 2,
			}
			if i%10 == 1 {
				p["forked_from_project"] = map[string]any{"id": 1}
			}
			out = append(out, p)
		}
		w.Header().Set("X-Page", strconv.Itoa(page))
		w.Header().Set("X-Total", strconv.Itoa(n))
		if page*100 < n {
			w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
		} else {
			w.Header().Set("X-Next-Page", "")
		}
		json.NewEncoder(w).Encode(out)
	}))
}

func TestGitLabGroup(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	srv := fakeGitLab(t, 250, now)
	defer srv.Close()
	c, waits := testClient(now)
	repos, err := c.GitLabGroup(context.Background(), srv.URL, "org/platform", token, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 200 {
		t.Errorf("%d projects, want 200 (no forks, no archived)", len(repos))
	}
	if len(*waits) != 1 || (*waits)[0] != 5*time.Second {
		t.Errorf("waits = %v, want [5s] (RateLimit-Reset + 1s)", *waits)
	}
	if repos[0].CloneURL != "https://gitlab.example.com/org/platform/team-0/p000.git" {
		t.Errorf("first = %+v", repos[0])
	}
}

func TestGitLabErrors(t *testing.T) {
	srv := fakeGitLab(t, 5, time.Now())
	defer srv.Close()
	c, _ := testClient(time.Now())
	for _, tc := range []struct {
		group, token string
		status       int
		msg          string
	}{
		{"org/platform", "nope", 401, "401 Unauthorized"},
		{"org/none", token, 404, "404 Group Not Found"},
	} {
		_, err := c.GitLabGroup(context.Background(), srv.URL, tc.group, tc.token, Filter{})
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != tc.status || ae.Message != tc.msg {
			t.Errorf("%s: err = %v, want %d %q", tc.group, err, tc.status, tc.msg)
		}
	}
}
