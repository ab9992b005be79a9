package history

import (
	"crypto/sha1"
	"sync"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// A token in a tree entry's name (a file or directory of some commit) is a
// finding of its own, with Location scanner.LocationPath, reported at the
// entry's full path in the commit that introduced it. Tracing finds those
// paths as it finds a blob's: each entry whose name holds a token is given
// to it as a pseudo-entry whose "blob" is nameKey(name), so the pair (path,
// key) is introduced where that name first appears at that path.

// names records the entry names holding tokens that the scan met, by
// nameKey. Trees are read by several workers at once.
type names struct {
	mu sync.Mutex
	m  map[plumbing.Hash]string
}

// nameKey is the pseudo-blob hash tracing knows a token-holding name by.
func nameKey(name string) plumbing.Hash {
	return plumbing.Hash(sha1.Sum([]byte("dtleaks tree entry name\x00" + name)))
}

// hasToken reports whether b holds a token.
func hasToken(b []byte) bool {
	for range (&rules.Matcher{}).All(b) {
		return true
	}
	return false
}

// note records a name holding a token and returns its key.
func (n *names) note(name string) plumbing.Hash {
	k := nameKey(name)
	n.mu.Lock()
	if n.m == nil {
		n.m = map[plumbing.Hash]string{}
	}
	n.m[k] = name
	n.mu.Unlock()
	return k
}

// noteTree records the names holding tokens of a raw tree object. The
// cheap test on the whole object comes first: almost no tree has one.
func (n *names) noteTree(data []byte) {
	if !hasToken(data) {
		return
	}
	it := treeIter{data: data}
	for {
		_, name, _, ok, err := it.next()
		if err != nil || !ok {
			return
		}
		if hasToken(name) {
			n.note(string(name))
		}
	}
}

// any reports whether any name was recorded.
func (n *names) any() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.m) > 0
}

// nameFindings makes the findings of the names recorded, one per token
// and path where tracing found the name (sites, by key), or at the bare
// name, unreachable, where it found none. author gives a commit's author.
func (n *names) findings(sites map[plumbing.Hash][]site, author func(plumbing.Hash) *object.Commit) []scanner.Finding {
	var out []scanner.Finding
	for k, name := range n.m {
		ss := sites[k]
		if len(ss) == 0 {
			ss = []site{{path: name}}
		}
		for _, s := range ss {
			out = append(out, nameFindings(name, s, author)...)
		}
	}
	return out
}

// nameFindings makes the findings of the tokens in name, the last part of
// the path of site s.
func nameFindings(name string, s site, author func(plumbing.Hash) *object.Commit) []scanner.Finding {
	var out []scanner.Finding
	dir := s.path[:len(s.path)-len(name)]
	for mt := range (&rules.Matcher{}).All([]byte(name)) {
		f := scanner.Finding{
			ID: mt.ID, Kind: mt.Kind, Fingerprint: mt.Fingerprint, Encoding: mt.Encoding,
			Path: s.path, Location: scanner.LocationPath,
			Offset: int64(len(dir) + mt.Start),
			Line:   1, Column: utf8.RuneCountInString(dir) + utf8.RuneCountInString(name[:mt.Start]) + 1,
		}
		f.Origin.Unreachable = !s.reachable
		if !s.commit.IsZero() {
			f.Origin.Commit = s.commit.String()
			if a := author(s.commit); a != nil {
				f.Origin.AuthorName, f.Origin.AuthorEmail, f.Origin.Date = rules.Redact(a.Author.Name), rules.Redact(a.Author.Email), a.Author.When
			}
		}
		out = append(out, f)
	}
	return out
}
