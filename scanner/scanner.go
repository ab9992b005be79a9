// Package scanner is the pipeline between where bytes come from and what is
// reported: a [Source] yields [Item]s, [Scan] reads each in overlapping
// windows, hands them to the [rules.Matcher], turns every match into a
// [Finding] with its line and column, and returns a sorted [Result].
//
// Findings carry the token identifier and fingerprint only: there is no field
// that could hold a secret, so no report built from a Result can leak one.
// Anything that could not be read becomes a [Problem]; it is never dropped.
package scanner

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/dtleaks/dtleaks/rules"
)

// Location says what an item's bytes are when they are not a file's or a
// blob's content. Its values are written in reports, so they never change.
type Location string

// The locations of items.
const (
	LocationContent       Location = ""               // a file's or a blob's content
	LocationCommitMessage Location = "commit-message" // a commit's message
	LocationTagMessage    Location = "tag-message"    // an annotated tag's message
	// LocationCommitHeader and LocationTagHeader are the headers of a
	// commit or tag object (everything before its message: author,
	// committer, tagger, tag name, mergetag, signatures); line 1 is the
	// object's first line.
	LocationCommitHeader Location = "commit-header"
	LocationTagHeader    Location = "tag-header"
	// LocationRefName is a ref's name, such as refs/heads/main; the item's
	// Path is that name redacted.
	LocationRefName Location = "ref-name"
)

// Item is one thing to scan: a file, a blob, standard input, a commit's or
// tag's message or headers, or a ref's name.
type Item struct {
	// Path names the item with forward slashes: for a file, the root it
	// was found under joined with its path below it, as the user would
	// type it from the working directory; in a repository, the path from
	// the repository's top; "-" for standard input; empty for a commit's or
	// tag's message or headers; for a ref, its name redacted.
	Path string
	// Location says what the bytes are when they are not file content;
	// LocationContent for file content.
	Location Location
	// Origin says where in a repository's history the item came from; zero
	// outside history scans.
	Origin Origin
	// R gives the item's bytes. It is read once, by Scan, only during the
	// call to the yield function the item was passed to.
	R io.Reader
}

// Origin says where in a repository's history a finding came from.
type Origin struct {
	// Commit is the full hash of the commit that introduced the blob at the
	// path (or of the commit or tag whose message or headers hold the
	// token).
	Commit string
	// RenamedFrom is the path the blob had in a parent of Commit when
	// Commit moved it to Path (a rename: the parent has the blob there and
	// Commit no longer does), so that a baseline entry at the old path
	// still matches.
	RenamedFrom string
	// AuthorName, AuthorEmail and Date describe the commit's author.
	AuthorName, AuthorEmail string
	Date                    time.Time
	// Blob is the hash of the blob the finding is in.
	Blob string
	// Unreachable is true for an object that no ref reaches.
	Unreachable bool
	// AtHead is true when the same token is still in the tree of HEAD.
	AtHead bool
}

// LocationPath is the Location of a finding in a name rather than in
// content: a file or directory name of the walk, a tree entry's path in
// history, a staged path. Scan looks for tokens in the Path of every item it
// is given, so a token there is reported, not only redacted.
const LocationPath = "path"

// Source yields the items to scan. Items may call yield concurrently from
// several goroutines. A failure to read one item arrives as yield(Item{Path:
// p}, err), and the source goes on with the next. An error returned by yield
// ends the walk and is returned. The error Items returns means the source
// itself failed or ctx ended.
type Source interface {
	Items(ctx context.Context, yield func(Item, error) error) error
}

// Resolver is implemented by sources that learn where a finding came from
// only after the scan (a blob's commit and path) or that keep only some
// findings (the lines a commit adds). Scan calls Resolve once, with every
// finding, before sorting.
type Resolver interface {
	Resolve(ctx context.Context, fs []Finding) ([]Finding, []Problem, error)
}

// Finding is one token found. It holds no secret byte.
type Finding struct {
	// ID is the token identifier; empty for a legacy token.
	ID rules.ID
	// Kind is the catalogue row of the token.
	Kind *rules.Kind
	// Fingerprint is the hex SHA-256 of the whole token.
	Fingerprint rules.Fingerprint
	// Encoding says how the token was encoded where it was found, whose
	// position is that of the encoded text; rules.EncodingNone for a token
	// as it is.
	Encoding rules.Encoding
	// Path, Location and Origin are copied from the item.
	Path     string
	Location Location
	Origin   Origin
	// Offset is the byte offset of the match in the item.
	Offset int64
	// Line and Column are 1-based; the column counts Unicode characters
	// (each invalid UTF-8 byte counts as one), as an editor shows it. For a
	// token in UTF-16 text, in an item that is UTF-16 text, both count
	// UTF-16 units, so that a character whose UTF-16 form holds a byte
	// 0x0A or 0x0D breaks no line.
	Line, Column int
	// Environment is the base URL of the Dynatrace environment nearest to
	// the token in the window of the item it was found in (the
	// Options.ChunkSize bytes Scan read at once, with the overlap before
	// them), when there is one: an environment named further away in a
	// large item is not seen.
	Environment string
	// Repository names the repository the finding is in, when a run scans
	// several: a URL without credentials, or a local path. Empty otherwise.
	Repository string
	// Verification is what Dynatrace said of the token when it was asked
	// (--verify); nil when nobody asked.
	Verification *Verification
}

// Status is the verdict of a verification.
type Status string

// The verdicts of a verification.
const (
	// Live: the token authenticates in its environment.
	Live Status = "live"
	// Invalid: the environment rejected the token (revoked, deleted, or of
	// another environment).
	Invalid Status = "invalid"
	// Unknown: no verdict could be had (no safe check for the type, no known
	// environment, a network failure); Verification.Reason says why.
	Unknown Status = "unknown"
)

// Verification is what asking Dynatrace about a token told. It holds what
// the environment says of the token, never the token.
type Verification struct {
	Status Status
	// Reason says why the status is Unknown, or how a verdict was reached.
	Reason string
	// Environment is the base URL that answered.
	Environment string
	// Name, Owner and Scopes are the token's metadata, when the environment
	// returned them.
	Name, Owner string
	Scopes      []string
	// Created, Expires and LastUsed are zero when unknown or never.
	Created, Expires, LastUsed time.Time
	// LastUsedIP is the address the token was last used from.
	LastUsedIP string
	// Privileged is true for a live token with a write or admin scope.
	Privileged bool
}

// Problem is an item, or part of one, that could not be scanned. A scan with
// problems is not clean, whatever it found.
type Problem struct {
	// Path names the item, as in Item.Path; it may be empty for a problem
	// of the source as a whole (a corrupt object store).
	Path string
	Err  error
}

// Error is the problem as one line, "path: error", naming the path once:
// it is left out when the error's message names it already (see
// NamesPath), as an os error's does.
func (p Problem) Error() string {
	msg := "<nil>"
	if p.Err != nil {
		msg = p.Err.Error()
	}
	if p.Path == "" || NamesPath(p.Err, p.Path) {
		return msg
	}
	return p.Path + ": " + msg
}

// NamesPath reports whether the message of err names path, by what err
// is rather than by its text: an *fs.PathError about path (or about a path
// ending in it, as a walk's root joined with it), or an error with a
// NamedPath method that returns path, such as a source's error about an
// object at a path of its tree.
func NamesPath(err error, path string) bool {
	if err == nil || path == "" {
		return false
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		p := filepath.ToSlash(pe.Path)
		if pe.Path == path || p == path || strings.HasSuffix(p, "/"+path) {
			return true
		}
	}
	var named interface{ NamedPath() string }
	return errors.As(err, &named) && named.NamedPath() == path
}

// Stats counts the work a scan did.
type Stats struct {
	Items    int64
	Bytes    int64
	Findings int
	Duration time.Duration
	// Allowed counts the tokens left out because their line holds
	// AllowMarker, and Ignored the paths the source's ignore rules left
	// out (set by the caller, which knows the source): a summary says what
	// was not reported, so that "clean" is never a guess.
	Allowed int64
	Ignored int64
}

// Result is what a scan found, sorted by path, commit, line and column.
type Result struct {
	Findings []Finding
	Problems []Problem
	Stats    Stats
}

// Rereader is an Item's reader that can give again bytes it has given:
// RereadAt reads len(p) bytes at offset off from the first byte Read gave,
// failing when fewer are there. Scan then counts lines only up to windows
// that hold a match, reading the windows before them again (a regular
// file): a large file without findings costs no line counting.
type Rereader interface {
	io.Reader
	RereadAt(p []byte, off int64) (int, error)
}
