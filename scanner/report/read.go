package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// ReadJSON reads a report written by the json format back into findings,
// for merging the reports of several runs (shards of one audit). It is the
// json writer's inverse: writing the findings it returns gives the same
// report. Fields it does not know (from a newer dtleaks) are ignored. A type
// the catalogue does not list keeps its name and description. Anything that
// is not such a report is an error that says where, such as `finding 3:
// "fingerprint" is not 64 hex digits`; the caller adds the file name.
func ReadJSON(r io.Reader) ([]scanner.Finding, error) {
	entries, err := readArray(r, "report")
	if err != nil {
		return nil, err
	}
	kinds := make(map[string]*rules.Kind)
	for _, k := range rules.Kinds() {
		kinds[k.Name] = rules.Classify(k.Prefix, k.Shape)
	}
	out := make([]scanner.Finding, 0, len(entries))
	for i, raw := range entries {
		if raw[0] != '{' {
			return nil, fmt.Errorf("finding %d is a JSON %s, want an object", i+1, jsonKind(raw[0]))
		}
		var j jsonFinding
		if err := json.Unmarshal(raw, &j); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil, fmt.Errorf("finding %d: %q is a JSON %s, want a %s", i+1, te.Field, te.Value, te.Type)
			}
			return nil, fmt.Errorf("finding %d: %v", i+1, err)
		}
		f, err := j.finding(kinds)
		if err != nil {
			return nil, fmt.Errorf("finding %d: %w", i+1, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// finding is newJSONFinding's inverse.
func (j *jsonFinding) finding(kinds map[string]*rules.Kind) (scanner.Finding, error) {
	if !isFingerprint(j.Fingerprint) {
		return scanner.Finding{}, errors.New(`"fingerprint" is not 64 lowercase hex digits`)
	}
	if j.Type == "" {
		return scanner.Finding{}, errors.New(`no "type"`)
	}
	if p := prefix(rules.ID(j.TokenID)); p != j.Prefix {
		return scanner.Finding{}, errors.New(`"prefix" is not the start of "token_id"`)
	}
	k := kinds[j.Type]
	if k == nil || k.Description != j.Description {
		k = &rules.Kind{Name: j.Type, Description: j.Description}
	}
	f := scanner.Finding{
		Repository:  j.Repository,
		ID:          rules.ID(j.TokenID),
		Kind:        k,
		Fingerprint: rules.Fingerprint(j.Fingerprint),
		Encoding:    rules.Encoding(j.Encoding),
		Path:        j.Path,
		Location:    scanner.Location(j.Location),
		Line:        j.Line,
		Column:      j.Column,
		Environment: j.Environment,
		Origin: scanner.Origin{
			Commit:      j.Commit,
			AuthorName:  j.AuthorName,
			AuthorEmail: j.AuthorEmail,
			Blob:        j.Blob,
			AtHead:      j.AtHead != nil && *j.AtHead,
			Unreachable: j.Reachable != nil && !*j.Reachable,
		},
	}
	if j.Date != "" {
		d, err := time.Parse(time.RFC3339, j.Date)
		if err != nil {
			return scanner.Finding{}, errors.New(`"date" is not an RFC 3339 time`)
		}
		f.Origin.Date = d
	}
	if j.jsonVerification != nil {
		v, err := j.jsonVerification.verification()
		if err != nil {
			return scanner.Finding{}, err
		}
		f.Verification = v
	}
	return f, nil
}

// verification is newJSONVerification's inverse, so that merged shards
// and revoke keep what --verify learnt.
func (j *jsonVerification) verification() (*scanner.Verification, error) {
	switch s := scanner.Status(j.Verified); s {
	case scanner.Live, scanner.Invalid, scanner.Unknown:
	default:
		return nil, fmt.Errorf(`"verified" is %q, want live, invalid or unknown`, s)
	}
	v := &scanner.Verification{
		Status:      scanner.Status(j.Verified),
		Reason:      j.VerifiedReason,
		Environment: j.VerifiedEnvironment,
		Privileged:  j.Privileged,
		Name:        j.TokenName,
		Owner:       j.TokenOwner,
		Scopes:      j.TokenScopes,
	}
	for _, t := range []struct {
		field string
		s     string
		to    *time.Time
	}{{"created", j.Created, &v.Created}, {"expires", j.Expires, &v.Expires}, {"last_used", j.LastUsed, &v.LastUsed}} {
		if t.s == "" {
			continue
		}
		d, err := time.Parse(time.RFC3339, t.s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an RFC 3339 time", t.field)
		}
		*t.to = d
	}
	return v, nil
}
