// Package dttest is a local stand-in for a Dynatrace environment and its SSO,
// for tests: an HTTPS server on 127.0.0.1 that answers the calls
// the dynatrace package's Client makes as Dynatrace documents them, and records every
// request, so tests can prove where requests went, how many were made and
// that a dry run made none.
//
// The recorded requests hold the secrets sent (in Auth and Body): a test
// must never print them; compare them, or use tokentest.Leak.
package dttest

import (
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is a token the stand-in knows.
type Token struct {
	// Text is the whole token; ID its identifier (prefix.public).
	Text, ID string
	Name     string
	Owner    string
	Scopes   []string
	Disabled bool
	Deleted  bool
	// ActiveGate marks an ActiveGate token (deleted through
	// activeGateTokens, never looked up).
	ActiveGate bool
	// OAuth marks an OAuth client: Text is the client secret, ID the
	// client ID, checked at the SSO endpoint.
	OAuth bool

	// Lookup, when not zero, is the status the lookup answers for this
	// token instead of 200/401: 403, 404, 500, 302 (to Redirect), 429
	// (always).
	Lookup int
	// RateLimit is how many 429s (Retry-After: 0) the lookup answers before
	// it answers normally.
	RateLimit int
	// Delay makes the lookup answer late, for timeout tests.
	Delay time.Duration
	// Redirect is the Location of a 302 answer.
	Redirect string
	// Echo makes every error answer for this token quote the request body
	// and Authorization header, as a careless proxy might.
	Echo bool
	// Put, when not zero, is the status PUT answers (400, 403, 404).
	Put int
}

// Request is one request the stand-in received.
type Request struct {
	Method, Host, Path string
	Query              string
	Auth               string
	Body               string
}

// Server is the stand-in.
type Server struct {
	*httptest.Server
	// CAFile is a PEM file of the server's certificate, for --ca-file.
	CAFile string
	// Admin is the administrator token GET, PUT and DELETE accept.
	Admin string

	mu       sync.Mutex
	tokens   []*Token
	requests []Request
}

// New starts a stand-in with the given tokens; it is closed when t ends.
func New(t testing.TB, admin string, tokens ...*Token) *Server {
	t.Helper()
	s := &Server{Admin: admin, tokens: tokens}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	// Clients that give up mid-handshake (an untrusted certificate, a
	// connection HTTP/2 did not need) are expected: no log lines for them.
	s.Server.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.Server.StartTLS()
	t.Cleanup(s.Close)
	s.CAFile = filepath.Join(t.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := os.WriteFile(s.CAFile, block, 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// Add makes more tokens known.
func (s *Server) Add(tokens ...*Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = append(s.tokens, tokens...)
}

// Requests returns a copy of the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Token returns the stand-in's state of the token with this ID.
func (s *Server) Token(id string) *Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if t.ID == id {
			c := *t
			return &c
		}
	}
	return nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := Request{Method: r.Method, Host: r.Host, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"), Body: string(body)}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()

	// Managed and ActiveGate URLs put /e/<env-id> before /api.
	path := r.URL.Path
	if i := strings.Index(path, "/api/"); i > 0 {
		path = path[i:]
	}
	switch {
	case r.Method == http.MethodPost && path == "/api/v2/apiTokens/lookup":
		s.lookup(w, r, req)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/sso/oauth2/token"):
		s.sso(w, r, req)
	case strings.HasPrefix(path, "/api/v2/apiTokens/"):
		s.byID(w, r, req, strings.TrimPrefix(path, "/api/v2/apiTokens/"), false)
	case strings.HasPrefix(path, "/api/v2/activeGateTokens/"):
		s.byID(w, r, req, strings.TrimPrefix(path, "/api/v2/activeGateTokens/"), true)
	default:
		writeError(w, http.StatusNotFound, "not found", "")
	}
}

// writeError writes Dynatrace's ErrorEnvelope, with echo appended to the
// message when a test wants the request quoted back.
func writeError(w http.ResponseWriter, code int, msg, echo string) {
	if echo != "" {
		msg += ": " + echo
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

func echoOf(t *Token, req Request) string {
	if t == nil || !t.Echo {
		return ""
	}
	return "request " + req.Auth + " " + req.Body
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request, req Request) {
	var in struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(req.Body), &in); err != nil {
		writeError(w, http.StatusBadRequest, "bad body", "")
		return
	}
	s.mu.Lock()
	var t *Token
	for _, x := range s.tokens {
		if x.Text == in.Token && !x.OAuth && !x.ActiveGate {
			t = x
		}
	}
	rate := false
	if t != nil && t.RateLimit > 0 {
		t.RateLimit--
		rate = true
	}
	var c Token
	if t != nil {
		c = *t
	}
	s.mu.Unlock()
	if t == nil {
		writeError(w, http.StatusUnauthorized, "Missing authorization parameter.", "")
		return
	}
	if c.Delay > 0 {
		select {
		case <-time.After(c.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if rate {
		w.Header().Set("Retry-After", "0")
		writeError(w, http.StatusTooManyRequests, "Too many requests", echoOf(&c, req))
		return
	}
	if req.Auth != "Api-Token "+in.Token {
		writeError(w, http.StatusUnauthorized, "token mismatch", "")
		return
	}
	switch c.Lookup {
	case 0:
	case http.StatusFound:
		w.Header().Set("Location", c.Redirect)
		w.WriteHeader(http.StatusFound)
		return
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "0")
		writeError(w, c.Lookup, "Too many requests", echoOf(&c, req))
		return
	default:
		writeError(w, c.Lookup, http.StatusText(c.Lookup), echoOf(&c, req))
		return
	}
	if c.Disabled || c.Deleted {
		writeError(w, http.StatusUnauthorized, "Token is disabled", echoOf(&c, req))
		return
	}
	writeToken(w, &c)
}

func writeToken(w http.ResponseWriter, t *Token) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id": t.ID, "name": t.Name, "owner": t.Owner, "enabled": !t.Disabled,
		"personalAccessToken": false, "scopes": t.Scopes,
		"creationDate":      "2024-01-02T03:04:05.000Z",
		"expirationDate":    "2031-01-02T03:04:05.000Z",
		"lastUsedDate":      "2026-11-30T10:00:00.000Z",
		"lastUsedIpAddress": "192.0.2.7",
	})
}

func (s *Server) byID(w http.ResponseWriter, r *http.Request, req Request, id string, ag bool) {
	if req.Auth != "Api-Token "+s.Admin || s.Admin == "" {
		writeError(w, http.StatusUnauthorized, "Invalid token", "")
		return
	}
	id, _ = url.PathUnescape(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	var t *Token
	for _, x := range s.tokens {
		if x.ID == id && !x.Deleted && x.ActiveGate == ag {
			t = x
		}
	}
	if t == nil {
		writeError(w, http.StatusNotFound, "Token "+id+" not found", "")
		return
	}
	switch {
	case r.Method == http.MethodGet && !ag:
		writeToken(w, t)
	case r.Method == http.MethodPut && !ag:
		if t.Put != 0 {
			writeError(w, t.Put, http.StatusText(t.Put), echoOf(t, req))
			return
		}
		var in struct {
			Enabled *bool `json:"enabled"`
		}
		if json.Unmarshal([]byte(req.Body), &in) != nil || in.Enabled == nil {
			writeError(w, http.StatusBadRequest, "bad body", "")
			return
		}
		t.Disabled = !*in.Enabled
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodDelete:
		t.Deleted = true
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusMethodNotAllowed, "method not allowed", "")
	}
}

func (s *Server) sso(w http.ResponseWriter, r *http.Request, req Request) {
	form, err := url.ParseQuery(req.Body)
	if err != nil || form.Get("grant_type") != "client_credentials" {
		ssoError(w, http.StatusBadRequest, "invalid_request", "")
		return
	}
	s.mu.Lock()
	var t *Token
	for _, x := range s.tokens {
		if x.OAuth && x.ID == form.Get("client_id") {
			t = x
		}
	}
	var c Token
	if t != nil {
		c = *t
	}
	s.mu.Unlock()
	if t == nil || c.Deleted || c.Text != form.Get("client_secret") {
		ssoError(w, http.StatusUnauthorized, "invalid_client", echoOf(t, req))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": "opaque-test-access", "token_type": "Bearer", "expires_in": 300})
}

func ssoError(w http.ResponseWriter, code int, e, echo string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	desc := "client authentication failed"
	if echo != "" {
		desc += ": " + echo
	}
	json.NewEncoder(w).Encode(map[string]any{"error": e, "error_description": desc})
}
