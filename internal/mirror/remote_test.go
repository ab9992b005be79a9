package mirror

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, str, key string
	}{
		{"https://github.com/org/repo.git", "https://github.com/org/repo.git", "github.com/org/repo"},
		{"https://GitHub.com:443/org/repo/", "https://GitHub.com:443/org/repo/", "github.com/org/repo"},
		{"https://user:s3cret@git.example.com/org/repo", "https://git.example.com/org/repo", "git.example.com/org/repo"},
		{"https://tok3n@git.example.com/org/repo", "https://git.example.com/org/repo", "git.example.com/org/repo"},
		{"http://127.0.0.1:8080/a.git", "http://127.0.0.1:8080/a.git", "127.0.0.1:8080/a"},
		{"ssh://git@github.com/org/repo.git", "ssh://git@github.com/org/repo.git", "github.com/org/repo"},
		{"ssh://git:pw@github.com:2222/org/repo.git", "ssh://github.com:2222/org/repo.git", "github.com:2222/org/repo"},
		{"git@github.com:org/repo.git", "git@github.com:org/repo.git", "github.com/org/repo"},
		{"github.com:org/repo", "github.com:org/repo", "github.com/org/repo"},
		{"file:///srv/git/a.git", "file:///srv/git/a.git", "file:///srv/git/a"},
		{"git://example.com/a", "git://example.com/a", "example.com/a"},
	} {
		r, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := r.String(); got != tc.str {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got, tc.str)
		}
		if got := r.Key(); got != tc.key {
			t.Errorf("Parse(%q).Key() = %q, want %q", tc.in, got, tc.key)
		}
		for _, secret := range []string{"s3cret", "tok3n", "pw@"} {
			if strings.Contains(r.String()+r.Key()+r.Dir()+r.fetchURL(), secret) {
				t.Errorf("Parse(%q) shows its credentials", tc.in)
			}
		}
	}
}

func TestParseNotURL(t *testing.T) {
	for _, in := range []string{".", "repo", "./a:b", "/srv/git/a.git", "a/b:c", `C:\repos\a`, "C:/repos/a"} {
		if _, err := Parse(in); !errors.Is(err, ErrNotURL) {
			t.Errorf("Parse(%q) = %v, want ErrNotURL (a local path)", in, err)
		}
	}
	for _, in := range []string{"ftp://example.com/a", "https:///a", "https://example.com", "https://u:p@exa mple.com/%zz", "file://host/a"} {
		_, err := Parse(in)
		if err == nil || errors.Is(err, ErrNotURL) {
			t.Errorf("Parse(%q) = %v, want an error", in, err)
			continue
		}
		if strings.Contains(err.Error(), "u:p") {
			t.Errorf("Parse(%q) error quotes credentials: %v", in, err)
		}
	}
}

func TestDir(t *testing.T) {
	a, _ := Parse("https://github.com/org/repo.git")
	b, _ := Parse("git@github.com:org/repo")
	c, _ := Parse("https://github.com/org/../../etc/passwd")
	if a.Dir() != b.Dir() {
		t.Errorf("same repository, two directories: %q, %q", a.Dir(), b.Dir())
	}
	if !strings.HasPrefix(a.Dir(), "github.com/org/repo-") || !strings.HasSuffix(a.Dir(), ".git") {
		t.Errorf("Dir() = %q", a.Dir())
	}
	if strings.Contains(c.Dir(), "..") {
		t.Errorf("Dir() = %q climbs out of the clone directory", c.Dir())
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"https://u:p@h/a", "git@h:a", "file:///a", "a:b", "ssh://u@h:22/a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		_ = r.Key()
		d := r.Dir()
		if strings.HasPrefix(d, "/") || strings.Contains("/"+d+"/", "/../") {
			t.Fatalf("Dir() = %q escapes", d)
		}
		if _, pass, ok := r.Userinfo(); ok && len(pass) > 3 && strings.Contains(r.String(), pass) {
			t.Fatal("String() shows the password")
		}
	})
}

func TestAuthNeverInClear(t *testing.T) {
	c := Credentials{GitHubToken: "t", GitHubHosts: []string{"github.com", "127.0.0.1:8080"}}
	for in, want := range map[string]bool{
		"https://github.com/o/r":       true,
		"http://github.com/o/r":        false,
		"http://127.0.0.1:8080/o/r":    true,
		"https://gitlab.com/o/r":       false,
		"ssh://git@github.com/o/r.git": false,
	} {
		r, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.auth(r) != nil; got != want {
			t.Errorf("auth(%s) sends the token: %v, want %v", in, got, want)
		}
	}
}
