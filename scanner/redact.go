package scanner

import (
	"unicode/utf8"

	"github.com/dtleaks/dtleaks/rules"
)

// nameFindings returns a finding, with Location LocationPath, for each
// token in the path of an item of file content: a name is content an
// attacker or a careless user controls like any other. The position is on
// line 1, at the character the token starts at in the path.
func nameFindings(it Item, m *rules.Matcher) []Finding {
	if it.Path == "" || it.Location != "" {
		return nil
	}
	var fs []Finding
	for mt := range m.All([]byte(it.Path)) {
		fs = append(fs, Finding{
			ID:          mt.ID,
			Kind:        mt.Kind,
			Fingerprint: mt.Fingerprint,
			Encoding:    mt.Encoding,
			Path:        it.Path,
			Location:    LocationPath,
			Origin:      it.Origin,
			Offset:      int64(mt.Start),
			Line:        1,
			Column:      utf8.RuneCountInString(it.Path[:mt.Start]) + 1,
		})
	}
	return fs
}

// redactResult replaces every token in the paths of findings and problems,
// and in the messages of problems, by its identifier and "****" (see
// rules.Redact).
//
// It runs in Scan, after the source's Resolve and before anything else sees
// the Result, because every report (text, JSON, SARIF, GitHub, markdown,
// baselines, summaries), the ones that exist and the ones still to be
// written, is built from a Result and prints paths as they stand: redacting
// here, once, means no format can forget to. The sources and Resolve still
// see the real paths, which they need to find blobs and lines.
func redactResult(res *Result) {
	for i := range res.Findings {
		res.Findings[i].Path = rules.Redact(res.Findings[i].Path)
	}
	for i := range res.Problems {
		p := &res.Problems[i]
		path := rules.Redact(p.Path)
		if p.Err != nil {
			msg := p.Err.Error()
			if red := rules.Redact(msg); red != msg || path != p.Path {
				p.Err = &redactedError{err: p.Err, msg: red, path: path, named: NamesPath(p.Err, p.Path)}
			}
		}
		p.Path = path
	}
}

// redactedError is an error whose message held a token: it prints the
// redacted message and still unwraps to the error, for errors.Is and As.
type redactedError struct {
	err   error
	msg   string
	path  string // the redacted path of the problem
	named bool   // whether the message names the problem's path
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// NamedPath keeps NamesPath true of the redacted path when the message
// named the path before it was redacted.
func (e *redactedError) NamedPath() string {
	if e.named {
		return e.path
	}
	return ""
}
