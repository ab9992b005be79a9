package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// ErrEmpty is returned by [Fetch] for a repository that has no commit yet:
// there is nothing to scan, which is not a failure.
var ErrEmpty = errors.New("empty repository")

// mirrorSpec takes every ref of the server as it is, as git clone --mirror
// does: branches, tags, notes, and the refs forges keep for pull and merge
// requests (refs/pull/*, refs/merge-requests/*), where a leaked token often
// lives on after the branch is gone.
const mirrorSpec = "+refs/*:refs/*"

// Credentials are the tokens to authenticate with over HTTP(S), taken from
// the environment by the caller. A token is sent only to the hosts listed
// for it, never to another host a repository list names.
type Credentials struct {
	// GitHubToken goes to GitHubHosts as the password of user
	// x-access-token, as GitHub documents for installation and personal
	// tokens.
	GitHubToken string
	GitHubHosts []string
	// GitLabToken goes to GitLabHosts as the password of user oauth2.
	GitLabToken string
	GitLabHosts []string
}

// auth is the authentication for r: the user and password of its URL when
// it has them, otherwise a forge token for its host over HTTPS (or plain
// HTTP to this machine), otherwise none (for ssh, go-git then asks the ssh
// agent).
func (c Credentials) auth(r Remote) transport.AuthMethod {
	if r.Scheme() != "http" && r.Scheme() != "https" {
		return nil
	}
	if r.u.User != nil {
		// A token may stand as the user name alone
		// (https://TOKEN@host/...), as GitHub accepts.
		pass, _ := r.u.User.Password()
		return &githttp.BasicAuth{Username: r.u.User.Username(), Password: pass}
	}
	host := strings.ToLower(r.Host())
	if r.Scheme() == "http" && !loopback(r.u.Hostname()) {
		// A forge token never crosses the network in clear text.
		return nil
	}
	if c.GitHubToken != "" && hasHost(c.GitHubHosts, host) {
		return &githttp.BasicAuth{Username: "x-access-token", Password: c.GitHubToken}
	}
	if c.GitLabToken != "" && hasHost(c.GitLabHosts, host) {
		return &githttp.BasicAuth{Username: "oauth2", Password: c.GitLabToken}
	}
	return nil
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func hasHost(hosts []string, host string) bool {
	for _, h := range hosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// Error is a failed fetch. It names the repository without credentials;
// Err is what went wrong, with any URL in it stripped of credentials too.
type Error struct {
	Remote string
	Err    error
}

func (e *Error) Error() string { return "fetch " + e.Remote + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Fetch brings the bare mirror of r at dir up to date: it creates it when
// dir does not exist (or is empty) and otherwise fetches what is new, so a
// re-audit into the same directory downloads only new objects. Refs the
// server no longer has are pruned, as in git remote update --prune. HEAD
// is set to the server's HEAD, so that a scan knows what is still at HEAD.
// progress receives the server's progress messages; it may be nil.
//
// It returns [ErrEmpty] for a repository without commits. Every other
// error is an [*Error].
func Fetch(ctx context.Context, r Remote, dir string, creds Credentials, progress io.Writer) error {
	err := fetch(ctx, r, dir, creds, progress)
	if err == nil || errors.Is(err, ErrEmpty) {
		return err
	}
	return &Error{Remote: r.String(), Err: scrub(err, r)}
}

func fetch(ctx context.Context, r Remote, dir string, creds Credentials, progress io.Writer) error {
	repo, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return err
		}
		repo, err = git.PlainInit(dir, true)
	}
	if err != nil {
		return err
	}
	// The config names the URL without credentials: a password given in
	// a URL must not be written to disk.
	rc := &config.RemoteConfig{Name: "origin", URLs: []string{r.fetchURL()}, Fetch: []config.RefSpec{mirrorSpec}}
	if err := rc.Validate(); err != nil {
		return err
	}
	cfg, err := repo.Config()
	if err != nil {
		return err
	}
	cfg.Remotes["origin"] = rc
	if err := repo.SetConfig(cfg); err != nil {
		return err
	}
	remote, err := repo.Remote("origin")
	if err != nil {
		return err
	}
	if fs, ok := repo.Storer.(*filesystem.Storage); ok {
		// A first fetch takes its pack through packStorage, faster.
		first, err := fresh(fs)
		if err != nil {
			return err
		}
		if first {
			remote = git.NewRemote(&packStorage{Storage: fs, ctx: ctx, dir: dir}, rc)
		}
	}
	auth := creds.auth(r)
	var sb io.Writer
	if progress != nil {
		sb = progress
	}
	err = remote.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{mirrorSpec},
		Auth:       auth,
		Progress:   sb,
		Tags:       git.NoTags, // the refspec takes every tag already
		Force:      true,
		Prune:      true,
	})
	switch {
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return ErrEmpty
	case errors.Is(err, git.NoErrAlreadyUpToDate):
		err = nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return setHead(ctx, repo, remote, auth)
}

// setHead points the mirror's HEAD where the server's does. A server that
// does not say (an old one, or a HEAD that names nothing) leaves HEAD alone.
func setHead(ctx context.Context, repo *git.Repository, remote *git.Remote, auth transport.AuthMethod) error {
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: auth})
	if err != nil {
		return err
	}
	for _, ref := range refs {
		if ref.Name() == plumbing.HEAD && ref.Type() == plumbing.SymbolicReference {
			return repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, ref.Target()))
		}
	}
	return nil
}

// scrub removes r's credentials from an error's text, for libraries that
// quote the URL they were given, and the blank end go-git leaves on some. The result keeps the error's chain for
// errors.Is only when nothing had to be removed.
func scrub(err error, r Remote) error {
	user, pass, _ := r.Userinfo()
	if r.Scheme() == "ssh" {
		user = "" // the ssh user name (git@) is an address, not a secret
	}
	msg := err.Error()
	clean := msg
	for _, s := range []string{pass, user} {
		if s != "" {
			clean = strings.ReplaceAll(clean, s, "****")
		}
	}
	// go-git ends some messages with the server's body, newline and all,
	// or with ": " and nothing after it.
	clean = strings.TrimRight(clean, " \t\r\n:")
	if clean == msg {
		return err
	}
	return fmt.Errorf("%s", clean)
}
