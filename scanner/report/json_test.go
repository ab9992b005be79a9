package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
)

// wantJSON is the json format's contract for one finding, written out field
// by field: a rename in the code fails here.
func wantJSON(f scanner.Finding) map[string]any {
	prefix := ""
	if f.ID != "" {
		prefix = string(f.ID)[:6]
	}
	m := map[string]any{
		"token_id":    string(f.ID),
		"prefix":      prefix,
		"type":        f.Kind.Name,
		"description": f.Kind.Description,
		"path":        asJSONString(f.Path),
		"line":        float64(f.Line),
		"column":      float64(f.Column),
		"fingerprint": string(f.Fingerprint),
	}
	if f.Encoding != "" {
		m["encoding"] = string(f.Encoding)
	}
	if f.Location != "" {
		m["location"] = string(f.Location)
	}
	if f.Environment != "" {
		m["environment"] = f.Environment
	}
	if o := f.Origin; o.Blob != "" || o.Commit != "" {
		if o.Commit != "" {
			m["commit"] = o.Commit
			m["author_name"] = o.AuthorName
			m["author_email"] = o.AuthorEmail
			m["date"] = "2024-03-05T14:07:09+02:00"
		}
		if o.Blob != "" {
			m["blob"] = o.Blob
		}
		m["at_head"] = o.AtHead
		m["reachable"] = !o.Unreachable
	}
	return m
}

// asJSONString is s as encoding/json writes and reads it back: each byte of
// invalid UTF-8 becomes U+FFFD.
func asJSONString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	var out string
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func TestJSONContract(t *testing.T) {
	res, toks := fixture()
	out, ok := render(t, "json", func(w io.Writer, r scanner.Result) error { return report.JSON(w, r) }, res, toks)
	if !ok {
		return
	}
	if !bytes.HasSuffix(out, []byte("]\n")) || !bytes.HasPrefix(out, []byte("[\n  {")) {
		t.Errorf("JSON is not an indented array ending in a newline")
	}
	var got []map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("JSON output does not decode: %v", err)
	}
	if len(got) != len(res.Findings) {
		t.Fatalf("JSON has %d objects for %d findings", len(got), len(res.Findings))
	}
	for i, f := range res.Findings {
		want := wantJSON(f)
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("JSON object %d:\n%s", i, mapDiff(got[i], want))
		}
	}
}

// mapDiff lists the keys whose values differ; the values are IDs, paths
// and hashes, never secrets (the output was leak-checked).
func mapDiff(got, want map[string]any) string {
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var lines []string
	for k := range keys {
		g, gok := got[k]
		w, wok := want[k]
		if gok != wok || !reflect.DeepEqual(g, w) {
			lines = append(lines, fmt.Sprintf("  %s: got %#v (present %v), want %#v (present %v)", k, g, gok, w, wok))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// The output does not depend on anything but the result: two renderings are
// byte for byte the same.
func TestJSONStable(t *testing.T) {
	res, _ := fixture()
	var a, b bytes.Buffer
	if err := report.JSON(&a, res); err != nil {
		t.Fatal(err)
	}
	if err := report.JSON(&b, res); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two JSON renderings of one result differ")
	}
}
