package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/dtleaks/dtleaks/scanner"
)

// jsonFinding is one element of the json format. Its field names are a
// contract with users' scripts and with baselines: add fields, never rename
// or remove one.
type jsonFinding struct {
	// Repository is set by a run over several repositories; first, so a
	// reader sees where before what.
	Repository  string `json:"repository,omitempty"`
	TokenID     string `json:"token_id"`
	Prefix      string `json:"prefix"`
	Type        string `json:"type"`
	Description string `json:"description"`
	Path        string `json:"path"`
	Line        int    `json:"line"`
	Column      int    `json:"column"`
	Fingerprint string `json:"fingerprint"`
	Encoding    string `json:"encoding,omitempty"`
	Location    string `json:"location,omitempty"`
	Environment string `json:"environment,omitempty"`

	// History fields; pointers keep false out of omitempty's way.
	Commit      string `json:"commit,omitempty"`
	AuthorName  string `json:"author_name,omitempty"`
	AuthorEmail string `json:"author_email,omitempty"`
	Date        string `json:"date,omitempty"`
	AtHead      *bool  `json:"at_head,omitempty"`
	Blob        string `json:"blob,omitempty"`
	Reachable   *bool  `json:"reachable,omitempty"`

	// Verification fields (--verify), present only when the finding was
	// verified.
	*jsonVerification
}

func newJSONFinding(f *scanner.Finding) jsonFinding {
	j := jsonFinding{
		Repository:  validUTF8(f.Repository),
		TokenID:     string(f.ID),
		Prefix:      prefix(f.ID),
		Type:        kindName(f),
		Description: kindDescription(f),
		Path:        validUTF8(f.Path),
		Line:        f.Line,
		Column:      f.Column,
		Fingerprint: string(f.Fingerprint),
		Encoding:    string(f.Encoding),
		Location:    string(f.Location),
		Environment: validUTF8(f.Environment),
	}
	j.jsonVerification = newJSONVerification(f.Verification)
	if history(f) {
		o := f.Origin
		atHead, reachable := o.AtHead, !o.Unreachable
		j.Commit = o.Commit
		j.AuthorName = validUTF8(o.AuthorName)
		j.AuthorEmail = validUTF8(o.AuthorEmail)
		if !o.Date.IsZero() {
			j.Date = o.Date.Format(time.RFC3339)
		}
		j.AtHead = &atHead
		j.Blob = o.Blob
		j.Reachable = &reachable
	}
	return j
}

// JSON writes the findings as an indented JSON array, "[]" when there is
// none, followed by a newline. The package documentation lists the fields.
func JSON(w io.Writer, res scanner.Result) error {
	out := make([]jsonFinding, len(res.Findings))
	for i := range res.Findings {
		out[i] = newJSONFinding(&res.Findings[i])
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Paths with < > & stay readable; the output is never embedded in HTML.
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
