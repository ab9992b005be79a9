package forge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const token = "test-token-0123"

// fakeGitHub serves n repositories of org "acme" 100 a page with Link
// headers, as api.github.com does. Repository i is a fork when i%10 == 1
// and archived when i%10 == 2. limited names the requests (by page) that
// are first answered with a rate limit, once each.
type fakeGitHub struct {
	n       int
	limited map[int]func(w http.ResponseWriter)
	mu      sync.Mutex
	asked   []string
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.asked = append(f.asked, r.URL.RequestURI())
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if r.Header.Get("Authorization") != "Bearer "+token {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`)
		return
	}
	if r.URL.Path != "/api/v3/orgs/acme/repos" && r.URL.Path != "/api/v3/users/jane/repos" {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/repos/repos#list-organization-repositories","status":"404"}`)
		return
	}
	pageNo, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if pageNo == 0 {
		pageNo = 1
	}
	f.mu.Lock()
	limit := f.limited[pageNo]
	delete(f.limited, pageNo)
	f.mu.Unlock()
	if limit != nil {
		limit(w)
		return
	}
	per := 100
	last := (f.n + per - 1) / per
	var repos []map[string]any
	for i := (pageNo - 1) * per; i < min(pageNo*per, f.n); i++ {
		repos = append(repos, map[string]any{
			"full_name": fmt.Sprintf("acme/repo-%03d", i),
			"clone_url": fmt.Sprintf("https://git.example.com/acme/repo-%03d.git", i),
			"fork":      i%10 == 1, "archived": i%10 == 2, "private": i%2 == 0,
		})
	}
	link := func(p int, rel string) string {
		return fmt.Sprintf(`<http://%s%s?type=all&per_page=100&page=%d>; rel="%s"`, r.Host, r.URL.Path, p, rel)
	}
	var links []string
	if pageNo > 1 {
		links = append(links, link(pageNo-1, "prev"), link(1, "first"))
	}
	if pageNo < last {
		links = append(links, link(pageNo+1, "next"), link(last, "last"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	json.NewEncoder(w).Encode(repos)
}

// testClient never sleeps: it records the waits it was asked for.
func testClient(now time.Time) (*Client, *[]time.Duration) {
	var waits []time.Duration
	c := &Client{
		sleep: func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return ctx.Err() },
		now:   func() time.Time { return now },
	}
	return c, &waits
}

func TestGitHubOrg(t *testing.T) {
	fake := &fakeGitHub{n: 250}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c, waits := testClient(time.Now())
	for _, tc := range []struct {
		filter Filter
		want   int
	}{
		{Filter{}, 200},
		{Filter{Forks: true}, 225},
		{Filter{Archived: true}, 225},
		{Filter{Forks: true, Archived: true}, 250},
	} {
		fake.asked = nil
		repos, err := c.GitHubOrg(context.Background(), srv.URL+"/api/v3/", "acme", token, tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		if len(repos) != tc.want {
			t.Errorf("%+v: %d repositories, want %d", tc.filter, len(repos), tc.want)
		}
		if len(fake.asked) != 3 {
			t.Errorf("%d requests, want 3 pages: %v", len(fake.asked), fake.asked)
		}
		if repos[0].CloneURL != "https://git.example.com/acme/repo-000.git" || repos[0].Name != "acme/repo-000" {
			t.Errorf("first repository = %+v", repos[0])
		}
	}
	if len(*waits) != 0 {
		t.Errorf("waited %v without a rate limit", *waits)
	}
}

func TestGitHubRateLimit(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		name  string
		limit func(w http.ResponseWriter)
		wait  time.Duration
	}{
		{"primary", func(w http.ResponseWriter) {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+30, 10))
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"API rate limit exceeded for user ID 1."}`)
		}, 31 * time.Second},
		{"secondary", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"You have exceeded a secondary rate limit."}`)
		}, 7 * time.Second},
		{"429 without headers", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusTooManyRequests)
		}, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeGitHub{n: 250, limited: map[int]func(http.ResponseWriter){2: tc.limit}}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			c, waits := testClient(now)
			var told []string
			c.Wait = func(what string, d time.Duration) { told = append(told, fmt.Sprint(what, " ", d)) }
			repos, err := c.GitHubOrg(context.Background(), srv.URL+"/api/v3", "acme", token, Filter{Forks: true, Archived: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(repos) != 250 {
				t.Errorf("%d repositories after the limit cleared, want 250", len(repos))
			}
			if len(*waits) != 1 || (*waits)[0] != tc.wait {
				t.Errorf("waits = %v, want [%v]", *waits, tc.wait)
			}
			if len(told) != 1 || !strings.Contains(told[0], "GitHub organisation acme") {
				t.Errorf("Wait told %v", told)
			}
		})
	}
}

func TestGitHubRateLimitTooLong(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	fake := &fakeGitHub{n: 250, limited: map[int]func(http.ResponseWriter){1: func(w http.ResponseWriter) {
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+3600, 10))
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"message":"API rate limit exceeded"}`)
	}}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c, waits := testClient(now)
	_, err := c.GitHubOrg(context.Background(), srv.URL+"/api/v3", "acme", token, Filter{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 403 || ae.RetryAfter < time.Hour {
		t.Fatalf("err = %v, want a 403 APIError an hour from clearing", err)
	}
	if len(*waits) != 0 {
		t.Errorf("waited %v for a limit beyond MaxWait", *waits)
	}
}

func TestGitHubErrors(t *testing.T) {
	srv := httptest.NewServer(&fakeGitHub{n: 3})
	defer srv.Close()
	c, _ := testClient(time.Now())
	for _, tc := range []struct {
		org, token string
		status     int
		msg        string
	}{
		{"acme", "wrong", 401, "Bad credentials"},
		{"nobody", token, 404, "Not Found"},
	} {
		_, err := c.GitHubOrg(context.Background(), srv.URL+"/api/v3", tc.org, tc.token, Filter{})
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != tc.status || ae.Message != tc.msg {
			t.Errorf("org %s: err = %v, want %d %q", tc.org, err, tc.status, tc.msg)
			continue
		}
		if strings.Contains(err.Error(), tc.token) {
			t.Errorf("the error shows the token: %v", err)
		}
		if !strings.Contains(err.Error(), "GitHub organisation "+tc.org) {
			t.Errorf("the error does not name the organisation: %v", err)
		}
	}
	if _, err := c.GitHubUser(context.Background(), srv.URL+"/api/v3", "jane", token, Filter{}); err != nil {
		t.Errorf("GitHubUser: %v", err)
	}
	if _, err := c.GitHubOrg(context.Background(), "https://u:p@example.com", "x", "", Filter{}); err == nil || strings.Contains(err.Error(), "u:p") {
		t.Errorf("API URL with credentials: %v", err)
	}
}

func TestGitHubServerErrorRetries(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	c, waits := testClient(time.Now())
	c.MaxRetries = 3
	_, err := c.GitHubOrg(context.Background(), srv.URL, "acme", token, Filter{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 502 {
		t.Fatalf("err = %v, want 502", err)
	}
	if calls != 4 || len(*waits) != 3 {
		t.Errorf("%d calls, %d waits; want 4 and 3 (bounded retries)", calls, len(*waits))
	}
}

func TestPagesBounded(t *testing.T) {
	// A server whose every page names a next page.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<`+r.URL.Path+`?page=x>; rel="next"`)
		fmt.Fprint(w, `[]`)
	}))
	defer srv.Close()
	c, _ := testClient(time.Now())
	c.MaxPages = 5
	_, err := c.GitHubOrg(context.Background(), srv.URL, "acme", "", Filter{})
	if !errors.Is(err, ErrTooManyPages) {
		t.Fatalf("err = %v, want ErrTooManyPages", err)
	}
}

func TestGitHubHost(t *testing.T) {
	for in, want := range map[string]string{
		GitHubAPI:                        "github.com",
		"https://ghe.example.com/api/v3": "ghe.example.com",
	} {
		if got, err := GitHubHost(in); err != nil || got != want {
			t.Errorf("GitHubHost(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
}

func TestLinkNext(t *testing.T) {
	base, _ := http.NewRequest("GET", "https://api.example.com/orgs/a/repos?page=1", nil)
	for header, want := range map[string]string{
		`<https://api.example.com/x?page=2>; rel="next", <https://api.example.com/x?page=5>; rel="last"`: "https://api.example.com/x?page=2",
		`<https://api.example.com/x?page=1>; rel="prev"`:                                                 "",
		`</x?page=3>; rel="next last"`:                                                                   "https://api.example.com/x?page=3",
		`garbage`:                                                                                        "",
		``:                                                                                               "",
	} {
		resp := &http.Response{Header: http.Header{"Link": {header}}}
		if got := linkNext(resp, base.URL); got != want {
			t.Errorf("linkNext(%q) = %q, want %q", header, got, want)
		}
	}
}

func FuzzLinkNext(f *testing.F) {
	f.Add(`<https://a/x?page=2>; rel="next"`)
	f.Fuzz(func(t *testing.T, h string) {
		base, _ := http.NewRequest("GET", "https://api.example.com/", nil)
		linkNext(&http.Response{Header: http.Header{"Link": {h}}}, base.URL)
	})
}

func FuzzErrorMessage(f *testing.F) {
	f.Add([]byte(`{"message":"Not Found"}`))
	f.Add([]byte(`{"message":{"error":"x"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m := errorMessage(b); len([]rune(m)) > 201 {
			t.Fatalf("message of %d runes", len([]rune(m)))
		}
	})
}

// TestNextPageOtherHost: a Link to another host ends the listing with an
// error instead of sending the token there.
func TestNextPageOtherHost(t *testing.T) {
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere++
		fmt.Fprint(w, `[]`)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<`+other.URL+`/orgs/acme/repos?page=2>; rel="next"`)
		fmt.Fprint(w, `[]`)
	}))
	defer srv.Close()
	c, _ := testClient(time.Now())
	if _, err := c.GitHubOrg(context.Background(), srv.URL, "acme", token, Filter{}); err == nil || !strings.Contains(err.Error(), "another host") {
		t.Errorf("err = %v, want a refusal to follow", err)
	}
	if elsewhere != 0 {
		t.Error("the token was sent to another host")
	}
}
