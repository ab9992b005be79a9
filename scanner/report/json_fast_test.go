package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// TestJSONFastPath holds the json format written a finding at a time, by
// hand for the common finding, to the bytes encoding/json writes for the
// whole array at once, indented, as the format was first defined.
func TestJSONFastPath(t *testing.T) {
	g := tokentest.New(15)
	strs := []string{
		"", "a.env", "dir/x y.txt", `quote"d`, `back\slash`, "tab\there", "nl\nline", "cr\r",
		"\x00nul", "\x1fus", "del\x7f", "<html>&amp;", "caf\u00e9", "\u2028\u2029", "emoji \U0001F600",
		"bad \xff utf8", "\xed\xa0\x80", "\b\f",
	}
	date := time.Date(2024, 2, 29, 23, 59, 58, 0, time.FixedZone("x", 3600))
	var fs []scanner.Finding
	for i, s := range strs {
		tok := g.Token([]string{"dt0c01", "dt0s16", "dt0a01"}[i%3])
		f := scanner.Finding{
			ID:          rules.ID(tok.ID),
			Kind:        rules.Classify(tok.ID[:6], rules.Standard),
			Fingerprint: rules.Fingerprint(tok.Fingerprint),
			Path:        s,
			Line:        i,
			Column:      i * 1000,
			Environment: s,
			Repository:  s,
		}
		fs = append(fs, f)
		f.Kind = nil
		f.Encoding = rules.EncodingBase64
		f.Location = scanner.LocationCommitMessage
		f.Origin = scanner.Origin{Commit: "c0ffee", AuthorName: s, AuthorEmail: s + "@x", Date: date, Blob: "b10b", AtHead: i%2 == 0, Unreachable: i%3 == 0}
		fs = append(fs, f)
		f.Verification = &scanner.Verification{Status: scanner.Live, Reason: s, Environment: "https://abc12345.live.dynatrace.com", Scopes: []string{s, "ReadConfig"}, Privileged: i%2 == 0, Created: date}
		fs = append(fs, f)
		fs = append(fs, scanner.Finding{Path: s, Location: scanner.LocationPath})
	}
	for _, n := range []int{0, 1, 2, 5, len(fs)} {
		res := scanner.Result{Findings: fs[:n]}
		var got bytes.Buffer
		if err := JSON(&got, res); err != nil {
			t.Fatal(err)
		}
		out := make([]jsonFinding, n)
		for i := range out {
			out[i] = newJSONFinding(&fs[i])
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			// The findings are made of generated tokens' identifiers
			// and fingerprints only: no secret is printed.
			t.Errorf("%d findings: JSON wrote\n%s\nencoding/json writes\n%s", n, got.Bytes(), want.Bytes())
		}
	}
}
