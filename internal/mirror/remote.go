// Package mirror names git repositories by URL and fetches them into bare
// mirrors with go-git: every ref the server has (branches, tags, notes,
// GitHub's refs/pull/*, GitLab's refs/merge-requests/*), as git clone
// --mirror does, so that a history scan of the mirror sees what a scan of
// the server would.
//
// A [Remote] never shows the user information of its URL: credentials given
// in a URL are used to fetch and appear in no string the package returns,
// no error and no file it writes (the mirror's config names the URL
// without them).
package mirror

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// Remote is a repository named by URL.
type Remote struct {
	// u is the URL as given, credentials included; scp-like addresses
	// (git@host:org/repo.git) are held as ssh:// URLs.
	u *url.URL
	// scp is true for an scp-like address, which String writes back in
	// that form.
	scp bool
}

// ErrNotURL is returned by [Parse] for a string that is not a git URL: a
// local path.
var ErrNotURL = errors.New("not a git URL")

// scpLike matches git's scp-like syntax, user@host:path, which git takes
// for ssh when there is no slash before the colon.
var scpLike = regexp.MustCompile(`^(?:([^@/:]+)@)?([^@/:]+):(.+)$`)

// IsURL reports whether s names a remote repository rather than a local
// path: an http(s)://, ssh://, git:// or file:// URL, or an scp-like
// address (git@host:org/repo.git).
func IsURL(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// Parse reads a git URL. It returns an error wrapping [ErrNotURL] for what
// git would take for a local path, and an error that does not quote the
// URL for a URL it cannot use (the URL may hold a password).
func Parse(s string) (Remote, error) {
	if i := strings.Index(s, "://"); i > 0 {
		u, err := url.Parse(s)
		if err != nil {
			// url.Error quotes the URL, password and all.
			return Remote{}, errors.New("not a valid URL")
		}
		switch u.Scheme {
		case "http", "https", "ssh", "git":
			if u.Host == "" {
				return Remote{}, fmt.Errorf("%s URL without a host", u.Scheme)
			}
		case "file":
			if u.Host != "" && u.Host != "localhost" {
				return Remote{}, errors.New("file URL with a host other than localhost")
			}
		default:
			return Remote{}, fmt.Errorf("unsupported URL scheme %q (want https, http, ssh, git or file)", u.Scheme)
		}
		if u.Path == "" || u.Path == "/" {
			return Remote{}, errors.New("URL without a repository path")
		}
		return Remote{u: u}, nil
	}
	// git takes "a:b" for a path when a slash comes before the colon,
	// and so do we; a Windows drive letter ("C:\x") is a path too.
	m := scpLike.FindStringSubmatch(s)
	if m == nil || len(m[2]) == 1 {
		return Remote{}, fmt.Errorf("%w", ErrNotURL)
	}
	u := &url.URL{Scheme: "ssh", Host: m[2], Path: "/" + strings.TrimPrefix(m[3], "/")}
	if m[1] != "" {
		u.User = url.User(m[1])
	}
	return Remote{u: u, scp: true}, nil
}

// String is the URL without a password or token: safe to print, to store
// in a report, and to hash. The user name of an ssh URL (git@) is kept,
// since it is part of the address and no secret; any other user
// information is dropped.
func (r Remote) String() string {
	if r.u == nil {
		return ""
	}
	c := *r.u
	c.User = nil
	if c.Scheme == "ssh" && r.u.User != nil {
		if _, hasPass := r.u.User.Password(); !hasPass {
			c.User = url.User(r.u.User.Username())
		}
	}
	if r.scp {
		user := ""
		if c.User != nil {
			user = c.User.Username() + "@"
		}
		return user + c.Host + ":" + strings.TrimPrefix(c.Path, "/")
	}
	return c.String()
}

// fetchURL is the URL go-git fetches from: without user information,
// which travels as an auth method instead, except for an ssh user name.
func (r Remote) fetchURL() string {
	c := *r.u
	c.User = nil
	if c.Scheme == "ssh" && r.u.User != nil {
		c.User = url.User(r.u.User.Username())
	}
	return c.String()
}

// Scheme is the URL's scheme: https, http, ssh, git or file (ssh for an
// scp-like address).
func (r Remote) Scheme() string { return r.u.Scheme }

// Host is the URL's host, with its port when it has one.
func (r Remote) Host() string { return r.u.Host }

// Userinfo returns the user and password the URL carries, if any. They
// are for the fetch's authentication and must never be shown.
func (r Remote) Userinfo() (user, password string, ok bool) {
	if r.u.User == nil {
		return "", "", false
	}
	password, ok = r.u.User.Password()
	return r.u.User.Username(), password, ok
}

// Key is the normalised name of the repository: host (lowercase, without
// a default port) and path (without a trailing slash or ".git"), the same
// for https://host/org/repo.git, ssh://git@host/org/repo and
// git@host:org/repo. Shards are chosen by Key, so an org listed over https
// on one machine and over ssh on another splits the same way.
func (r Remote) Key() string {
	host := strings.ToLower(r.u.Hostname())
	if p := r.u.Port(); p != "" && p != defaultPort[r.u.Scheme] {
		host += ":" + p
	}
	p := strings.TrimSuffix(strings.TrimRight(r.u.Path, "/"), ".git")
	if r.u.Scheme == "file" {
		return "file://" + path.Clean(p)
	}
	return host + "/" + strings.TrimLeft(path.Clean(p), "/")
}

var defaultPort = map[string]string{"http": "80", "https": "443", "ssh": "22", "git": "9418"}

// Dir is where the mirror of r lives below a clone directory: host and
// path, ending in ".git", every segment made safe for a file system. Two
// remotes with the same Key share a directory; a short hash of the Key
// keeps remotes whose cleaned names collide apart.
func (r Remote) Dir() string {
	key := r.Key()
	var segs []string
	for _, s := range strings.Split(key, "/") {
		s = safeSegment.ReplaceAllString(s, "_")
		if s == "" || s == "." || s == ".." {
			continue
		}
		segs = append(segs, s)
	}
	sum := sha256.Sum256([]byte(key))
	last := "repo"
	if n := len(segs); n > 0 {
		last = segs[n-1]
		segs = segs[:n-1]
	}
	segs = append(segs, fmt.Sprintf("%s-%08x.git", last, binary.BigEndian.Uint32(sum[:4])))
	return filepath.Join(segs...)
}

var safeSegment = regexp.MustCompile(`[^A-Za-z0-9._-]+`)
