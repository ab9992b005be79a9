package history

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/dtleaks/dtleaks/internal/gitrepo"
)

// ErrRevision is wrapped by the error about a revision that cannot be
// resolved exactly as git would: unknown, not a commit, or of a form
// dtleaks does not support. A range scan must never fall back to a guess
// (an empty range would say "clean" about commits it did not read).
var ErrRevision = errors.New("cannot resolve revision")

// revisionError says which revision failed and why.
func revisionError(rev, format string, args ...any) error {
	return fmt.Errorf("revision %q: %w: %s", rev, ErrRevision, fmt.Sprintf(format, args...))
}

// maxLog bounds the reflog read for a selector.
const maxLog = 256 << 20

// resolveRevision turns a revision into a commit hash, as `git rev-parse
// REV^{commit}` does, for the forms a range is written with: a full or
// abbreviated hash, a ref name (found as git finds it: as given, then under
// refs/, refs/tags/, refs/heads/, refs/remotes/), "@" for HEAD, a reflog
// entry NAME@{n} or @{n} (of the current branch), then any sequence of ^,
// ^n, ~, ~n, ^{} and ^{commit}. Anything else (@{-n}, @{upstream}, dates,
// :/text, REV:path, ^{tree}) is an error wrapping ErrRevision, never a
// guess.
func resolveRevision(repo *repository, rev string) (plumbing.Hash, error) {
	if rev == "" {
		return plumbing.ZeroHash, revisionError(rev, "empty")
	}
	if strings.ContainsAny(rev, ": \t\n\\*?[") {
		return plumbing.ZeroHash, revisionError(rev, "unsupported form (only names, hashes, @{n}, ^, ~ and ^{commit})")
	}
	end := strings.IndexAny(rev, "^~")
	if i := strings.Index(rev, "@{"); i >= 0 && (end < 0 || i < end) {
		end = i
	}
	if end < 0 {
		end = len(rev)
	}
	base, rest := rev[:end], rev[end:]
	var h plumbing.Hash
	var err error
	if strings.HasPrefix(rest, "@{") {
		close := strings.IndexByte(rest, '}')
		if close < 0 {
			return plumbing.ZeroHash, revisionError(rev, "unclosed @{")
		}
		sel := rest[2:close]
		rest = rest[close+1:]
		n, err := strconv.Atoi(sel)
		if err != nil || n < 0 || sel != strconv.Itoa(n) {
			return plumbing.ZeroHash, revisionError(rev, "@{%s}: only reflog entries @{n} are supported", sel)
		}
		if h, err = reflogEntry(repo, rev, base, n); err != nil {
			return plumbing.ZeroHash, err
		}
	} else if h, err = resolveName(repo, rev, base); err != nil {
		return plumbing.ZeroHash, err
	}
	for rest != "" {
		op := rest[0]
		rest = rest[1:]
		if op == '^' && strings.HasPrefix(rest, "{") {
			close := strings.IndexByte(rest, '}')
			if close < 0 {
				return plumbing.ZeroHash, revisionError(rev, "unclosed ^{")
			}
			if typ := rest[1:close]; typ != "" && typ != "commit" {
				return plumbing.ZeroHash, revisionError(rev, "^{%s}: a range is made of commits", typ)
			}
			rest = rest[close+1:]
			if h, err = peelCommit(repo, rev, h); err != nil {
				return plumbing.ZeroHash, err
			}
			continue
		}
		digits := len(rest) - len(strings.TrimLeft(rest, "0123456789"))
		n := 1
		if digits > 0 {
			if n, err = strconv.Atoi(rest[:digits]); err != nil {
				return plumbing.ZeroHash, revisionError(rev, "bad number")
			}
			rest = rest[digits:]
		}
		if h, err = peelCommit(repo, rev, h); err != nil {
			return plumbing.ZeroHash, err
		}
		switch op {
		case '^':
			if n == 0 {
				continue
			}
			c, err := readCommit(repo, h)
			if err != nil {
				return plumbing.ZeroHash, fmt.Errorf("revision %q: %w", rev, err)
			}
			if n > len(c.parents) {
				return plumbing.ZeroHash, revisionError(rev, "commit %s has no parent %d", gitrepo.Short(h), n)
			}
			h = c.parents[n-1]
		case '~':
			for range n {
				c, err := readCommit(repo, h)
				if err != nil {
					return plumbing.ZeroHash, fmt.Errorf("revision %q: %w", rev, err)
				}
				if len(c.parents) == 0 {
					return plumbing.ZeroHash, revisionError(rev, "commit %s has no parent", gitrepo.Short(h))
				}
				h = c.parents[0]
			}
		default:
			return plumbing.ZeroHash, revisionError(rev, "unsupported form")
		}
	}
	return peelCommit(repo, rev, h)
}

// isHex reports whether s is all lower- or upper-case hex digits.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// refRules are where git looks for a short ref name, in its order.
var refRules = []string{"%s", "refs/%s", "refs/tags/%s", "refs/heads/%s", "refs/remotes/%s", "refs/remotes/%s/HEAD"}

// dwimRef returns the full name of the ref name stands for, as git finds
// it, and its hash; ok is false when there is none.
func dwimRef(repo *repository, name string) (full plumbing.ReferenceName, hash plumbing.Hash, ok bool) {
	for _, rule := range refRules {
		n := plumbing.ReferenceName(fmt.Sprintf(rule, name))
		if rule == "%s" && n != plumbing.HEAD && !strings.HasPrefix(string(n), "refs/") && strings.ToUpper(string(n)) != string(n) {
			continue // git takes only HEAD-like names ($GIT_DIR/ORIG_HEAD) as they are
		}
		var ref *plumbing.Reference
		err := gitrepo.Guard(func() error {
			var err error
			ref, err = repo.Reference(n, true)
			return err
		})
		if err == nil {
			return n, ref.Hash(), true
		}
	}
	return "", plumbing.ZeroHash, false
}

// resolveName resolves the name part of a revision: a full hash, a ref, an
// abbreviated hash.
func resolveName(repo *repository, rev, name string) (plumbing.Hash, error) {
	if name == "@" {
		name = "HEAD"
	}
	if len(name) == 40 && isHex(name) {
		return plumbing.NewHash(name), nil
	}
	if name == "" {
		return plumbing.ZeroHash, revisionError(rev, "no name")
	}
	if _, h, ok := dwimRef(repo, name); ok {
		return h, nil
	}
	if len(name) >= 4 && isHex(name) {
		return resolvePrefix(repo, rev, strings.ToLower(name))
	}
	return plumbing.ZeroHash, revisionError(rev, "unknown revision")
}

// resolvePrefix resolves an abbreviated hash: the one commit (or tag of
// one) whose hash starts with prefix. Several are ambiguous, as git says;
// git would not pick one, and nor does dtleaks.
func resolvePrefix(repo *repository, rev, prefix string) (plumbing.Hash, error) {
	b, err := hex.DecodeString(prefix[:len(prefix)&^1])
	if err != nil {
		return plumbing.ZeroHash, revisionError(rev, "unknown revision")
	}
	var hs []plumbing.Hash
	err = gitrepo.Guard(func() error {
		var err error
		hs, err = repo.Store.HashesWithPrefix(b)
		return err
	})
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("revision %q: %w", rev, err)
	}
	var found []plumbing.Hash
	for _, h := range hs {
		if !strings.HasPrefix(h.String(), prefix) || slices.Contains(found, h) {
			continue
		}
		if _, err := peelCommit(repo, rev, h); err == nil {
			found = append(found, h)
		}
	}
	switch len(found) {
	case 0:
		return plumbing.ZeroHash, revisionError(rev, "unknown revision")
	case 1:
		return found[0], nil
	}
	return plumbing.ZeroHash, revisionError(rev, "ambiguous: %d commits start with %s", len(found), prefix)
}

// reflogEntry returns the value ref name had n changes ago: NAME@{n}, as
// its reflog (logs/<ref>) records it. An empty name is the branch HEAD is
// on, or HEAD when it is detached.
func reflogEntry(repo *repository, rev, name string, n int) (plumbing.Hash, error) {
	var full plumbing.ReferenceName
	switch name {
	case "":
		var ref *plumbing.Reference
		err := gitrepo.Guard(func() error {
			var err error
			ref, err = repo.Reference(plumbing.HEAD, false)
			return err
		})
		switch {
		case err != nil:
			return plumbing.ZeroHash, revisionError(rev, "no HEAD")
		case ref.Type() == plumbing.SymbolicReference:
			full = ref.Target()
		default:
			full = plumbing.HEAD // detached: git reads HEAD's own reflog
		}
	case "@":
		full = plumbing.HEAD
	default:
		var ok bool
		if full, _, ok = dwimRef(repo, name); !ok {
			return plumbing.ZeroHash, revisionError(rev, "unknown ref %q", name)
		}
	}
	f, err := repo.FS.Open("logs/" + full.String())
	if err != nil {
		return plumbing.ZeroHash, revisionError(rev, "no reflog for %s: %v", full, err)
	}
	defer f.Close()
	var news []plumbing.Hash
	sc := bufio.NewScanner(io.LimitReader(f, maxLog))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		if len(line) < 82 || line[40] != ' ' || !isHex(string(line[41:81])) || line[81] != ' ' {
			return plumbing.ZeroHash, revisionError(rev, "malformed reflog of %s", full)
		}
		news = append(news, plumbing.NewHash(string(line[41:81])))
	}
	if err := sc.Err(); err != nil {
		return plumbing.ZeroHash, revisionError(rev, "reading the reflog of %s: %v", full, err)
	}
	if n >= len(news) {
		return plumbing.ZeroHash, revisionError(rev, "the reflog of %s has %d entries, %s needs %d", full, len(news), rev, n+1)
	}
	h := news[len(news)-1-n]
	if h.IsZero() {
		return plumbing.ZeroHash, revisionError(rev, "%s was deleted then", full)
	}
	return h, nil
}

// peelCommit follows annotated tags from h to a commit; anything else is
// an error.
func peelCommit(repo *repository, rev string, h plumbing.Hash) (plumbing.Hash, error) {
	for range 64 {
		obj, err := readObject(repo, h)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("revision %q: %w", rev, gitrepo.ObjectErr("object", h, notFound(err)))
		}
		switch obj.Type() {
		case plumbing.CommitObject:
			return h, nil
		case plumbing.TagObject:
			var t object.Tag
			if err := gitrepo.Guard(func() error { return t.Decode(obj) }); err != nil {
				return plumbing.ZeroHash, fmt.Errorf("revision %q: %w", rev, gitrepo.ObjectErr("tag", h, err))
			}
			h = t.Target
		default:
			return plumbing.ZeroHash, revisionError(rev, "%s is a %s, not a commit", gitrepo.Short(h), obj.Type())
		}
	}
	return plumbing.ZeroHash, revisionError(rev, "tags nested too deep")
}
