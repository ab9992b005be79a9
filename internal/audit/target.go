// Package audit scans many repositories in one run: local paths and git
// URLs, fetched into bare mirrors, scanned in parallel (bounded), each
// finding labelled with its repository, a repository that fails reported as
// a problem naming it while the others go on. [Shard] splits a list of
// repositories over machines without coordination.
//
// The package does not know how a repository's history is read: the caller
// gives a function from a path to a [scanner.Source].
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dtleaks/dtleaks/internal/mirror"
)

// Target is one repository to scan.
type Target struct {
	// Name is how reports name the repository: the URL without
	// credentials, or the local path as given.
	Name string
	// Remote is the repository's URL; nil for a local path.
	Remote *mirror.Remote
	// Path is the local repository; empty for a URL.
	Path string
}

// ParseTarget reads a repository given on the command line or in a
// --repos file: a git URL or a local path. The error for a bad URL does not
// quote it (it may hold a password).
func ParseTarget(s string) (Target, error) {
	r, err := mirror.Parse(s)
	switch {
	case err == nil:
		return Target{Name: r.String(), Remote: &r}, nil
	case errors.Is(err, mirror.ErrNotURL):
		return Target{Name: s, Path: s}, nil
	}
	return Target{}, err
}

// Key is the normalised name shards are chosen by: the URL's host and path
// ([mirror.Remote.Key]), or a local path made absolute.
func (t Target) Key() string {
	if t.Remote != nil {
		return t.Remote.Key()
	}
	if abs, err := filepath.Abs(t.Path); err == nil {
		return "file://" + filepath.ToSlash(abs)
	}
	return "file://" + filepath.ToSlash(filepath.Clean(t.Path))
}

// Shard is part K of N of a list of repositories: those whose Key hashes
// to K. Every machine that runs shard K of N with the same list takes the
// same repositories, whatever the list's order, and every repository falls
// in exactly one shard.
type Shard struct{ K, N int }

// ParseShard reads "K/N", 1 <= K <= N.
func ParseShard(s string) (Shard, error) {
	k, n, ok := strings.Cut(s, "/")
	K, errK := strconv.Atoi(strings.TrimSpace(k))
	N, errN := strconv.Atoi(strings.TrimSpace(n))
	if !ok || errK != nil || errN != nil || N < 1 || K < 1 || K > N || N > 1_000_000 {
		return Shard{}, fmt.Errorf("shard %q: want K/N with 1 <= K <= N, such as 2/5", s)
	}
	return Shard{K, N}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.K, s.N) }

// Has reports whether t falls in the shard: the first 8 bytes of the
// SHA-256 of its Key, modulo N, are K-1. The zero Shard has everything.
func (s Shard) Has(t Target) bool {
	if s.N <= 1 {
		return true
	}
	sum := sha256.Sum256([]byte(t.Key()))
	return binary.BigEndian.Uint64(sum[:8])%uint64(s.N) == uint64(s.K-1)
}
