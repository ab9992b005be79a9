package report

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
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
//
// The findings are written one at a time through a small buffer, not
// marshalled as one array and then indented: a report of a million
// findings (a long minified file dense with tokens) would otherwise hold
// the whole document in memory three times over, and its cost would follow
// the memory more than the findings.
func JSON(w io.Writer, res scanner.Result) error {
	if len(res.Findings) == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	var e jsonWriter
	buf := append(make([]byte, 0, jsonFlush+4096), "[\n"...)
	for i := range res.Findings {
		if i > 0 {
			buf = append(buf, ",\n"...)
		}
		j := newJSONFinding(&res.Findings[i])
		var err error
		if buf, err = e.appendFinding(buf, &j); err != nil {
			return err
		}
		if len(buf) >= jsonFlush {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	buf = append(buf, "\n]\n"...)
	_, err := w.Write(buf)
	return err
}

// jsonFlush is how many bytes of the json format are gathered before a
// write.
const jsonFlush = 64 << 10

// jsonWriter appends findings in the json format, each as the element of
// an array indented by two spaces. The common finding, unverified with
// plain ASCII strings, is written field by field; any other goes through
// encoding/json, which says what the format's bytes are (TestJSONFastPath
// holds the two to the same output).
type jsonWriter struct {
	scratch bytes.Buffer
	enc     *json.Encoder
}

// appendFinding appends j, indented as an element of the report's array
// (its first line indented too), without a newline after it.
func (e *jsonWriter) appendFinding(buf []byte, j *jsonFinding) ([]byte, error) {
	if j.jsonVerification != nil {
		return e.appendEncoded(buf, j, "  ")
	}
	buf = append(buf, "  {"...)
	var err error
	first := true
	field := func(name string) {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, "\n    \""...)
		buf = append(buf, name...)
		buf = append(buf, "\": "...)
	}
	str := func(name, v string, omitEmpty bool) {
		if omitEmpty && v == "" {
			return
		}
		field(name)
		if err == nil {
			buf, err = e.appendString(buf, v)
		}
	}
	boolPtr := func(name string, v *bool) {
		if v == nil {
			return
		}
		field(name)
		buf = strconv.AppendBool(buf, *v)
	}
	str("repository", j.Repository, true)
	str("token_id", j.TokenID, false)
	str("prefix", j.Prefix, false)
	str("type", j.Type, false)
	str("description", j.Description, false)
	str("path", j.Path, false)
	field("line")
	buf = strconv.AppendInt(buf, int64(j.Line), 10)
	field("column")
	buf = strconv.AppendInt(buf, int64(j.Column), 10)
	str("fingerprint", j.Fingerprint, false)
	str("encoding", j.Encoding, true)
	str("location", j.Location, true)
	str("environment", j.Environment, true)
	str("commit", j.Commit, true)
	str("author_name", j.AuthorName, true)
	str("author_email", j.AuthorEmail, true)
	str("date", j.Date, true)
	boolPtr("at_head", j.AtHead)
	str("blob", j.Blob, true)
	boolPtr("reachable", j.Reachable)
	return append(buf, "\n  }"...), err
}

// appendString appends s as a JSON string. Printable ASCII other than the
// quote and the backslash stands for itself; a string with any other byte
// is left to encoding/json, whose escapes (without HTML's) are the
// format's.
func (e *jsonWriter) appendString(buf []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return e.appendEncoded(buf, s, "")
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"'), nil
}

// appendEncoded appends v as encoding/json writes it, indented as the
// format is, each line after the first starting with prefix.
func (e *jsonWriter) appendEncoded(buf []byte, v any, prefix string) ([]byte, error) {
	if e.enc == nil {
		e.enc = json.NewEncoder(&e.scratch)
		// Paths with < > & stay readable; the output is never
		// embedded in HTML.
		e.enc.SetEscapeHTML(false)
	}
	e.scratch.Reset()
	e.enc.SetIndent(prefix, "  ")
	if err := e.enc.Encode(v); err != nil {
		return buf, err
	}
	buf = append(buf, prefix...)
	return append(buf, bytes.TrimSuffix(e.scratch.Bytes(), []byte("\n"))...), nil
}
