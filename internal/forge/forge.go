// Package forge lists the repositories of a GitHub organisation or user and
// of a GitLab group (with its subgroups) through their REST APIs, following
// pagination and waiting out rate limits within a bound.
//
// Every request is bounded: a listing stops after [Client.MaxPages] pages,
// a rate-limited request is retried at most [Client.MaxRetries] times, and
// no single wait is longer than [Client.MaxWait]. Tokens travel in the
// Authorization header only and appear in no error.
package forge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Repo is one repository a forge listed.
type Repo struct {
	// Name is the forge's full name: "org/repo", or "group/sub/project".
	Name string
	// CloneURL is the HTTPS clone URL the API gives (clone_url,
	// http_url_to_repo), used as given, so that a mirror or proxy the
	// forge names is honoured.
	CloneURL string
	Fork     bool
	Archived bool
}

// Filter says which repositories a listing keeps. The zero value keeps
// neither forks nor archived repositories, as an audit of what a team owns
// and still works on wants by default.
type Filter struct {
	Forks, Archived bool
}

func (f Filter) keep(r Repo) bool {
	return (f.Forks || !r.Fork) && (f.Archived || !r.Archived)
}

// Client talks to a forge's API. The zero value is usable.
type Client struct {
	// HTTP is the client requests go through; nil means a client with a
	// one-minute timeout per request.
	HTTP *http.Client
	// MaxPages bounds a listing; 0 means 1000 pages (100 000 repositories).
	MaxPages int
	// MaxRetries bounds how often one page is asked for again after a
	// rate limit or a 5xx answer; 0 means 5.
	MaxRetries int
	// MaxWait bounds one wait for a rate limit to clear; 0 means 15
	// minutes. A limit that resets later is an error saying when.
	MaxWait time.Duration
	// Wait is told of every wait before it starts, for a progress line;
	// it may be nil.
	Wait func(what string, d time.Duration)
	// sleep waits d or until ctx ends; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
	// now is the clock; tests replace it.
	now func() time.Time
}

// APIError is an answer the API gave that is not a page of repositories:
// 401 (a bad or missing token), 403, 404 (no such organisation or group,
// or one the token cannot see), or a rate limit that outlasts the wait.
type APIError struct {
	// What names the listing ("GitHub organisation acme").
	What string
	// Status is the HTTP status code.
	Status int
	// Message is the API's message, from its JSON error body, cut short
	// and made printable.
	Message string
	// RetryAfter is how long until a rate limit clears, when it was one.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s: %d %s", e.What, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		s += ": " + e.Message
	}
	switch {
	case e.RetryAfter > 0:
		s += fmt.Sprintf(" (rate limited for %s more)", e.RetryAfter.Round(time.Second))
	case e.Status == http.StatusUnauthorized:
		s += " (check the token in the environment)"
	}
	return s
}

// ErrTooManyPages is returned when a listing has more pages than MaxPages.
var ErrTooManyPages = errors.New("more pages than the limit")

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: time.Minute}
}

func (c *Client) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

func (c *Client) pause(ctx context.Context, d time.Duration) error {
	if c.sleep != nil {
		return c.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func orDefault[T int | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

// page is one answer the listing loop asks for; next is the URL of the
// following page, empty after the last.
type page struct {
	body []byte
	next string
}

// get fetches one page, waiting out rate limits and retrying 5xx answers.
func (c *Client) get(ctx context.Context, what, u string, header http.Header, nextOf func(*http.Response, *url.URL) string) (page, error) {
	retries := orDefault(c.MaxRetries, 5)
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return page{}, err
		}
		req.Header = header.Clone()
		resp, err := c.httpClient().Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return page{}, ctx.Err()
			}
			return page{}, fmt.Errorf("%s: %w", what, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return page{}, fmt.Errorf("%s: %w", what, err)
		}
		if resp.StatusCode == http.StatusOK {
			return page{body: body, next: nextOf(resp, req.URL)}, nil
		}
		apiErr := &APIError{What: what, Status: resp.StatusCode, Message: errorMessage(body)}
		wait, limited := c.rateLimit(resp)
		retry := limited || resp.StatusCode >= 500
		if !retry || attempt >= retries {
			if limited {
				apiErr.RetryAfter = wait
			}
			return page{}, apiErr
		}
		if !limited {
			wait = time.Duration(1<<attempt) * time.Second
		}
		if wait > orDefault(c.MaxWait, 15*time.Minute) {
			apiErr.RetryAfter = wait
			return page{}, apiErr
		}
		if c.Wait != nil {
			c.Wait(what, wait)
		}
		if err := c.pause(ctx, wait); err != nil {
			return page{}, err
		}
	}
}

// rateLimit reports whether resp is a rate limit and how long to wait, as
// GitHub and GitLab document: Retry-After (seconds) first; then, when no
// request remains (x-ratelimit-remaining 0), the reset time
// (X-RateLimit-Reset or RateLimit-Reset, epoch seconds); a 429 or a 403
// that says "rate limit" without either waits a minute, as GitHub asks for
// its secondary limits.
func (c *Client) rateLimit(resp *http.Response) (time.Duration, bool) {
	h := resp.Header
	if s := h.Get("Retry-After"); s != "" && (resp.StatusCode == 429 || resp.StatusCode == 403) {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 {
			return time.Duration(n) * time.Second, true
		}
		if t, err := http.ParseTime(s); err == nil {
			return max(t.Sub(c.clock()), 0), true
		}
	}
	remaining := cmpOr(h.Get("X-RateLimit-Remaining"), h.Get("RateLimit-Remaining"))
	reset := cmpOr(h.Get("X-RateLimit-Reset"), h.Get("RateLimit-Reset"))
	if (resp.StatusCode == 429 || resp.StatusCode == 403) && reset != "" && (remaining == "0" || resp.StatusCode == 429) {
		if n, err := strconv.ParseInt(strings.TrimSpace(reset), 10, 64); err == nil {
			// A second more than the reset: the clocks differ.
			return max(time.Unix(n, 0).Sub(c.clock())+time.Second, 0), true
		}
	}
	if resp.StatusCode == 429 {
		return time.Minute, true
	}
	return 0, false
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// errorMessage takes the message out of a JSON error body, as both forges
// send ({"message": "Not Found"}; GitLab's message may be an object, and
// OAuth errors say {"error": …, "error_description": …}), cut to 200
// characters. Anything else gives "".
func errorMessage(body []byte) string {
	var e struct {
		Message          json.RawMessage `json:"message"`
		Error            string          `json:"error"`
		ErrorDescription string          `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	msg := ""
	var s string
	switch {
	case json.Unmarshal(e.Message, &s) == nil:
		msg = s
	case len(e.Message) > 0:
		msg = string(e.Message)
	case e.ErrorDescription != "":
		msg = e.ErrorDescription
	default:
		msg = e.Error
	}
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	if utf8.RuneCountInString(msg) > 200 {
		msg = string([]rune(msg)[:200]) + "…"
	}
	return msg
}

// list walks the pages from first, decoding each into repositories with
// decode, and keeps what filter keeps.
func (c *Client) list(ctx context.Context, what, first string, header http.Header, nextOf func(*http.Response, *url.URL) string, decode func([]byte) ([]Repo, error), filter Filter) ([]Repo, error) {
	var out []Repo
	u := first
	for n := 0; u != ""; n++ {
		if n >= orDefault(c.MaxPages, 1000) {
			return out, fmt.Errorf("%s: %w (%d)", what, ErrTooManyPages, n)
		}
		p, err := c.get(ctx, what, u, header, nextOf)
		if err != nil {
			return out, err
		}
		repos, err := decode(p.body)
		if err != nil {
			return out, fmt.Errorf("%s: page %d: %w", what, n+1, err)
		}
		for _, r := range repos {
			if filter.keep(r) {
				out = append(out, r)
			}
		}
		if p.next != "" && !sameOrigin(first, p.next) {
			// The token goes with every page: never to another host.
			return out, fmt.Errorf("%s: page %d links its next page on another host", what, n+1)
		}
		u = p.next
	}
	return out, nil
}

// sameOrigin reports whether two URLs share scheme and host.
func sameOrigin(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	return errA == nil && errB == nil && ua.Scheme == ub.Scheme && strings.EqualFold(ua.Host, ub.Host)
}

// linkNext returns the rel="next" target of a Link header (RFC 8288), as
// GitHub and GitLab paginate, resolved against the request's URL.
func linkNext(resp *http.Response, base *url.URL) string {
	for _, v := range resp.Header.Values("Link") {
		for _, link := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(link), ";")
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(k, "rel") && hasRel(strings.Trim(val, `"`), "next") {
					ref, err := url.Parse(target[1 : len(target)-1])
					if err != nil {
						return ""
					}
					return base.ResolveReference(ref).String()
				}
			}
		}
	}
	return ""
}

func hasRel(rels, want string) bool {
	for _, r := range strings.Fields(rels) {
		if strings.EqualFold(r, want) {
			return true
		}
	}
	return false
}

// apiBase parses a base URL given on the command line.
func apiBase(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("want an http or https URL")
	}
	if u.User != nil {
		return nil, errors.New("credentials in the API URL: put the token in the environment instead")
	}
	return u, nil
}
