// Package gitserve serves directories of git repositories over git's smart
// HTTP protocol, with git http-backend behind net/http/cgi, on a loopback
// httptest server: the real transport, for tests of code that clones. It is
// for tests only.
package gitserve

import (
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// Options change how the server behaves.
type Options struct {
	// User and Password, when set, are required by basic auth; a request
	// without them gets 401 and a WWW-Authenticate challenge, as git
	// servers answer.
	User, Password string
	// DropAfter, when positive, makes every upload-pack response (the
	// pack) stop after that many bytes with the connection closed, as a
	// server or proxy that dies midway.
	DropAfter int
	// Hold, when set, is closed by the test to release upload-pack
	// requests, which wait for it (or for the client to give up) before
	// any byte of the pack is sent.
	Hold chan struct{}
	// Holding, when set, receives a value each time a request starts to
	// wait on Hold.
	Holding chan struct{}
}

// Server is a running git HTTP server.
type Server struct {
	*httptest.Server
	// Requests counts the requests served.
	Requests atomic.Int64
}

// Start serves the repositories under root (a repository root/x.git is at
// URL/x.git) until the test ends. It skips the test when git or its
// http-backend is not installed.
func Start(t testing.TB, root string, opts Options) *Server {
	t.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skipf("git not installed: %v", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := exec.LookPath(backend); err != nil {
		t.Skipf("git http-backend not installed: %v", err)
	}
	cgiHandler := &cgi.Handler{
		Path: backend,
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
		// http-backend's complaints (a repository not found) are the
		// test's expected failures, not noise for its log.
		Stderr: io.Discard,
	}
	s := &Server{}
	h := func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		if opts.User != "" || opts.Password != "" {
			u, p, ok := r.BasicAuth()
			if !ok || u != opts.User || p != opts.Password {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
		}
		pack := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-upload-pack")
		if pack && opts.Hold != nil {
			if opts.Holding != nil {
				opts.Holding <- struct{}{}
			}
			select {
			case <-opts.Hold:
			case <-r.Context().Done():
				return
			}
		}
		if pack && opts.DropAfter > 0 {
			rec := httptest.NewRecorder()
			cgiHandler.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			body := rec.Body.Bytes()
			w.Write(body[:min(opts.DropAfter, len(body))])
			http.NewResponseController(w).Flush()
			panic(http.ErrAbortHandler) // closes the connection mid-response
		}
		cgiHandler.ServeHTTP(w, r)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(h))
	t.Cleanup(s.Close)
	return s
}

// Git runs git in dir with a fixed identity and clock and no user or system
// configuration, and returns its standard output; it fails the test on an
// error.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir,
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
		"GIT_AUTHOR_DATE=2024-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2024-01-02T03:04:05Z",
	)
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return string(out)
}

// Bare makes the bare repository root/name (name ends in ".git") holding
// one commit per element of files on branch main, each writing its files,
// and returns its path. With no files, the repository is empty.
func Bare(t testing.TB, root, name string, files ...map[string]string) string {
	t.Helper()
	bare := filepath.Join(root, name)
	Git(t, root, "init", "-q", "--bare", "-b", "main", bare)
	if len(files) == 0 {
		return bare
	}
	work := t.TempDir()
	Git(t, work, "init", "-q", "-b", "main")
	for i, fs := range files {
		for p, content := range fs {
			full := filepath.Join(work, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		Git(t, work, "add", "-A")
		Git(t, work, "commit", "-q", "--allow-empty", "-m", "commit "+strconv.Itoa(i+1))
	}
	Git(t, work, "push", "-q", bare, "main")
	return bare
}
