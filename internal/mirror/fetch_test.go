package mirror

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/internal/gitserve"
)

// source makes a bare repository with what a mirror must carry: two
// branches, a lightweight and an annotated tag, a note and a GitHub pull
// request ref.
func source(t *testing.T, root string) string {
	bare := gitserve.Bare(t, root, "src.git", map[string]string{"a.txt": "one"}, map[string]string{"b.txt": "two"})
	work := t.TempDir()
	gitserve.Git(t, work, "clone", "-q", bare, ".")
	gitserve.Git(t, work, "checkout", "-q", "-b", "feature")
	gitserve.Git(t, work, "commit", "-q", "--allow-empty", "-m", "feature")
	gitserve.Git(t, work, "tag", "light")
	gitserve.Git(t, work, "tag", "-a", "-m", "annotated", "v1")
	gitserve.Git(t, work, "notes", "add", "-m", "a note")
	gitserve.Git(t, work, "commit", "-q", "--allow-empty", "-m", "pull request only")
	gitserve.Git(t, work, "push", "-q", "origin", "feature~1:refs/heads/feature", "light", "v1", "refs/notes/commits", "HEAD:refs/pull/1/head")
	return bare
}

func refs(t *testing.T, dir string) string {
	return gitserve.Git(t, dir, "for-each-ref", "--format=%(objectname) %(refname)")
}

func TestFetchFile(t *testing.T) {
	root := t.TempDir()
	bare := source(t, root)
	r, err := Parse("file://" + filepath.ToSlash(bare))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), r.Dir())
	if err := Fetch(context.Background(), r, dir, Credentials{}, nil); err != nil {
		t.Fatal(err)
	}
	want := refs(t, bare)
	if got := refs(t, dir); got != want {
		t.Errorf("mirror refs:\n%s\nwant (git for-each-ref of the source):\n%s", got, want)
	}
	for _, ref := range []string{"refs/pull/1/head", "refs/notes/commits", "refs/tags/v1"} {
		if !strings.Contains(want, ref) {
			t.Fatalf("the source lacks %s", ref)
		}
	}
	if head := strings.TrimSpace(gitserve.Git(t, dir, "symbolic-ref", "HEAD")); head != "refs/heads/main" {
		t.Errorf("HEAD = %s, want refs/heads/main", head)
	}
	gitserve.Git(t, dir, "fsck", "--no-progress")

	// A second fetch brings what is new and drops what is gone.
	work := t.TempDir()
	gitserve.Git(t, work, "clone", "-q", bare, ".")
	gitserve.Git(t, work, "commit", "-q", "--allow-empty", "-m", "new")
	gitserve.Git(t, work, "push", "-q", "origin", "main", ":refs/heads/feature")
	if err := Fetch(context.Background(), r, dir, Credentials{}, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := refs(t, dir), refs(t, bare); got != want {
		t.Errorf("after the second fetch:\n%s\nwant:\n%s", got, want)
	}
}

func TestFetchHTTP(t *testing.T) {
	root := t.TempDir()
	bare := source(t, root)
	want := refs(t, bare)
	open := gitserve.Start(t, root, gitserve.Options{})
	locked := gitserve.Start(t, root, gitserve.Options{User: "alice", Password: "pa55word"})
	lockedURL, _ := url.Parse(locked.URL)
	tokenHost := gitserve.Start(t, root, gitserve.Options{User: "x-access-token", Password: "ghtoken123"})
	tokenURL, _ := url.Parse(tokenHost.URL)

	for _, tc := range []struct {
		name, url string
		creds     Credentials
		wantErr   string
	}{
		{"open", open.URL + "/src.git", Credentials{}, ""},
		{"url credentials", "http://alice:pa55word@" + lockedURL.Host + "/src.git", Credentials{}, ""},
		{"wrong password", "http://alice:wr0ngpass@" + lockedURL.Host + "/src.git", Credentials{}, "authentication"},
		{"no credentials", locked.URL + "/src.git", Credentials{}, "authentication"},
		{"github token", tokenHost.URL + "/src.git", Credentials{GitHubToken: "ghtoken123", GitHubHosts: []string{tokenURL.Host}}, ""},
		{"token for another host", tokenHost.URL + "/src.git", Credentials{GitHubToken: "ghtoken123", GitHubHosts: []string{"github.com"}}, "authentication"},
		{"not found", open.URL + "/nope.git", Credentials{}, "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), r.Dir())
			err = Fetch(context.Background(), r, dir, tc.creds, nil)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := refs(t, dir); got != want {
					t.Errorf("mirror refs:\n%s\nwant:\n%s", got, want)
				}
				cfg := gitserve.Git(t, dir, "config", "--list")
				if strings.Contains(cfg, "pa55word") || strings.Contains(cfg, "ghtoken123") {
					t.Errorf("the mirror's config holds the credentials")
				}
				return
			}
			var fe *Error
			if !errors.As(err, &fe) || !strings.Contains(strings.ToLower(err.Error()), tc.wantErr) {
				t.Fatalf("Fetch = %v, want an *Error saying %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "wr0ngpass") || strings.Contains(err.Error(), "alice:") {
				t.Errorf("the error shows the credentials: %v", err)
			}
		})
	}
}

func TestFetchEmpty(t *testing.T) {
	root := t.TempDir()
	gitserve.Bare(t, root, "empty.git")
	srv := gitserve.Start(t, root, gitserve.Options{})
	for _, u := range []string{srv.URL + "/empty.git", "file://" + filepath.ToSlash(filepath.Join(root, "empty.git"))} {
		r, _ := Parse(u)
		err := Fetch(context.Background(), r, filepath.Join(t.TempDir(), r.Dir()), Credentials{}, nil)
		if !errors.Is(err, ErrEmpty) {
			t.Errorf("Fetch(%s) = %v, want ErrEmpty", u, err)
		}
	}
}

func TestFetchDropped(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{}
	for i := range 50 {
		files["f"+strings.Repeat("x", i)] = strings.Repeat("content that does not compress away ", 100+i)
	}
	gitserve.Bare(t, root, "big.git", files)
	srv := gitserve.Start(t, root, gitserve.Options{DropAfter: 300})
	r, _ := Parse(srv.URL + "/big.git")
	err := Fetch(context.Background(), r, filepath.Join(t.TempDir(), r.Dir()), Credentials{}, nil)
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("Fetch of a pack cut short = %v, want an *Error", err)
	}
}

func TestFetchCancel(t *testing.T) {
	root := t.TempDir()
	gitserve.Bare(t, root, "a.git", map[string]string{"a": "a"})
	hold, holding := make(chan struct{}), make(chan struct{}, 1)
	defer close(hold)
	srv := gitserve.Start(t, root, gitserve.Options{Hold: hold, Holding: holding})
	r, _ := Parse(srv.URL + "/a.git")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Fetch(ctx, r, filepath.Join(t.TempDir(), r.Dir()), Credentials{}, nil) }()
	select {
	case <-holding:
	case <-time.After(30 * time.Second):
		t.Fatal("the fetch never asked for the pack")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Fetch after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Fetch did not return after cancel")
	}
}
