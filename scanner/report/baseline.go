package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// Baseline is the set of findings an earlier run reported, which a team has
// dealt with (the tokens are revoked) and no longer wants to see. It holds
// fingerprints and paths only, never a token.
type Baseline struct {
	known map[baselineKey]bool
}

type baselineKey struct {
	// repository is empty for an entry of a report over one repository,
	// which matches the fingerprint and path in any repository.
	repository  string
	fingerprint rules.Fingerprint
	path        string
}

// maxBaseline bounds how much of a baseline file is read: far more than any
// real report, small enough that a wrong file cannot exhaust memory.
const maxBaseline = 256 << 20

// ReadBaseline reads a report written by the json format: a JSON array of
// objects, each with a "fingerprint" (64 hex digits) and a "path" (which may
// be empty, as for a commit-message finding). Other fields are ignored, so a
// report from a newer or older dtleaks serves. Anything else is an error
// that says what is wrong, such as `entry 3 has no "fingerprint"`; the
// caller adds the file name.
func ReadBaseline(r io.Reader) (*Baseline, error) {
	entries, err := readArray(r, "baseline")
	if err != nil {
		return nil, err
	}
	b := &Baseline{known: make(map[baselineKey]bool, len(entries))}
	for i, raw := range entries {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			return nil, fmt.Errorf("entry %d is empty", i+1)
		}
		if raw[0] != '{' {
			return nil, fmt.Errorf("entry %d is a JSON %s, want an object", i+1, jsonKind(raw[0]))
		}
		var e struct {
			Fingerprint *string `json:"fingerprint"`
			Path        *string `json:"path"`
			Repository  string  `json:"repository"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil, fmt.Errorf("entry %d: %q is a JSON %s, want a string", i+1, te.Field, te.Value)
			}
			return nil, fmt.Errorf("entry %d: %v", i+1, err)
		}
		if e.Fingerprint == nil {
			return nil, fmt.Errorf("entry %d has no \"fingerprint\"", i+1)
		}
		fp := strings.ToLower(*e.Fingerprint)
		if !isFingerprint(fp) {
			return nil, fmt.Errorf("entry %d: \"fingerprint\" is not 64 hex digits", i+1)
		}
		path := ""
		if e.Path != nil {
			path = *e.Path
		}
		b.known[baselineKey{e.Repository, rules.Fingerprint(fp), path}] = true
	}
	return b, nil
}

// readArray reads what ReadBaseline and ReadJSON both start with: a report
// written by the json format, at most maxBaseline bytes, as one raw message
// per finding. what names the file in the hints ("baseline", "report").
// Its errors never quote the input, only a byte offset, for the input may
// hold a secret.
func readArray(r io.Reader, what string) ([]json.RawMessage, error) {
	hint := jsonHint(what)
	data, err := io.ReadAll(io.LimitReader(r, maxBaseline+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxBaseline {
		return nil, fmt.Errorf("larger than %d MB", maxBaseline>>20)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("empty, want a JSON array of findings (as --format json writes)")
	}
	if !json.Valid(trimmed) {
		if kind := reportKind(trimmed); kind != "" {
			return nil, fmt.Errorf("a %s report, not JSON: %s", kind, hint)
		}
		// Decode again only to find where the syntax breaks. The
		// decoder's message quotes the character it stopped at, which
		// may be one of a secret's: only the offset is kept.
		var v any
		err := json.Unmarshal(trimmed, &v)
		var se *json.SyntaxError
		if !errors.As(err, &se) {
			return nil, fmt.Errorf("not valid JSON: %s", hint)
		}
		lead := int64(len(data) - len(bytes.TrimLeft(data, " \t\r\n")))
		return nil, fmt.Errorf("not valid JSON (syntax error at byte %d): %s", lead+se.Offset, hint)
	}
	if trimmed[0] != '[' {
		if trimmed[0] == '{' && isSARIF(trimmed) {
			return nil, fmt.Errorf("a SARIF report, want an array of findings: %s", hint)
		}
		return nil, fmt.Errorf("a JSON %s, want an array of findings (as --format json writes)", jsonKind(trimmed[0]))
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(trimmed, &entries); err != nil {
		return nil, err
	}
	return entries, nil
}

// jsonHint says how to write a file ReadBaseline or ReadJSON reads.
func jsonHint(what string) string {
	return "write the " + what + " with --format json (dtleaks scan --format json --output FILE)"
}

// textReportLine is the start of a line of the text format,
// "PATH:LINE:COLUMN: TYPE PREFIX.PUBLIC.****", with or without colour.
var textReportLine = regexp.MustCompile(`(?m)^.*:[0-9]+:[0-9]+:(\x1b\[[0-9;]*m)? (\x1b\[[0-9;]*m)?[a-z0-9-]+(\x1b\[[0-9;]*m)? [^ ]*\.\*\*\*\*`)

// reportKind names the dtleaks report format data is written in, when it
// is one of those that are not JSON, or returns "".
func reportKind(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("::")):
		return "github"
	case bytes.HasPrefix(data, []byte("### dtleaks")):
		return "markdown"
	case textReportLine.Match(data[:min(len(data), 64<<10)]):
		return "text"
	}
	return ""
}

// isSARIF reports whether data, a JSON object, is a SARIF log.
func isSARIF(data []byte) bool {
	var log struct {
		Version *string          `json:"version"`
		Runs    *json.RawMessage `json:"runs"`
	}
	return json.Unmarshal(data, &log) == nil && log.Version != nil && log.Runs != nil
}

func jsonKind(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func isFingerprint(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Len returns how many (fingerprint, path) pairs the baseline lists.
func (b *Baseline) Len() int {
	if b == nil {
		return 0
	}
	return len(b.known)
}

// Filter returns the findings the baseline does not list, in their order,
// and how many it hid. A finding is listed when the baseline has its
// fingerprint at its path (compared as the json format writes the path), so
// a known token that turns up in a new file is still reported. Renames are
// followed: a history finding whose commit moved the file from a listed
// path (Origin.RenamedFrom) is listed, and in a scan of files a listed
// token no longer at a listed path, found at paths the baseline does not
// list, is taken as moved there: each such vanished path accounts for one
// new path, in path order. An entry with a repository (from an audit)
// matches in that repository only; one without matches in any. A nil
// baseline hides nothing.
func (b *Baseline) Filter(fs []scanner.Finding) (kept []scanner.Finding, hidden int) {
	if b.Len() == 0 {
		return fs, 0
	}
	known := func(f *scanner.Finding, path string) bool {
		path = validUTF8(path)
		return b.known[baselineKey{"", f.Fingerprint, path}] || f.Repository != "" && b.known[baselineKey{validUTF8(f.Repository), f.Fingerprint, path}]
	}
	moved := b.moved(fs, known)
	kept = make([]scanner.Finding, 0, len(fs))
	for i := range fs {
		f := &fs[i]
		if known(f, f.Path) || f.Origin.RenamedFrom != "" && known(f, f.Origin.RenamedFrom) ||
			moved[movedKey{f.Repository, f.Fingerprint, f.Path}] {
			hidden++
			continue
		}
		kept = append(kept, *f)
	}
	return kept, hidden
}

type movedKey struct {
	repository  string
	fingerprint rules.Fingerprint
	path        string
}

// moved finds the files a listed token was moved to in a scan of files
// (findings with no commit or blob): for each token, the listed paths it is
// no longer found at are paired, in order, with the unlisted paths it is
// found at.
func (b *Baseline) moved(fs []scanner.Finding, known func(*scanner.Finding, string) bool) map[movedKey]bool {
	type tok struct {
		repository  string
		fingerprint rules.Fingerprint
	}
	found := map[tok]map[string]bool{}
	fresh := map[tok][]string{}
	for i := range fs {
		f := &fs[i]
		if f.Origin.Commit != "" || f.Origin.Blob != "" {
			continue
		}
		k := tok{f.Repository, f.Fingerprint}
		if found[k] == nil {
			found[k] = map[string]bool{}
		}
		p := validUTF8(f.Path)
		if !found[k][p] && !known(f, f.Path) {
			fresh[k] = append(fresh[k], p)
		}
		found[k][p] = true
	}
	if len(fresh) == 0 {
		return nil
	}
	out := map[movedKey]bool{}
	for k, paths := range fresh {
		var gone []string
		for e := range b.known {
			if e.fingerprint == k.fingerprint && (e.repository == "" || e.repository == validUTF8(k.repository)) && !found[k][e.path] {
				gone = append(gone, e.path)
			}
		}
		slices.Sort(paths)
		for i := range min(len(gone), len(paths)) {
			out[movedKey{k.repository, k.fingerprint, paths[i]}] = true
		}
	}
	return out
}
