package report_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
)

// TestReadJSONRoundTrip reads every JSON golden back and writes it again:
// the json format is a contract, and a merge must not lose a field of it.
func TestReadJSONRoundTrip(t *testing.T) {
	for _, name := range []string{"testdata/fixture.json", "testdata/empty.json"} {
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := report.ReadJSON(bytes.NewReader(want))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		res := resultOf(fs)
		var got bytes.Buffer
		if err := report.JSON(&got, res); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: written back differs:\n%s", name, got.String())
		}
	}
}

func TestReadJSONRepository(t *testing.T) {
	res, _ := fixture()
	for i := range res.Findings {
		res.Findings[i].Repository = "https://git.example.com/org/repo" + string(rune('a'+i%3))
	}
	var first bytes.Buffer
	if err := report.JSON(&first, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first.String(), `"repository": "https://git.example.com/org/repoa"`) {
		t.Fatalf("no repository field in %s", first.String())
	}
	fs, err := report.ReadJSON(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var second bytes.Buffer
	if err := report.JSON(&second, resultOf(fs)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Errorf("round trip differs:\n%s\nwant\n%s", second.String(), first.String())
	}
}

func TestReadJSONErrors(t *testing.T) {
	const fp = `"fingerprint":"` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"`
	for _, tc := range []struct{ in, want string }{
		{``, "empty"},
		{`{}`, "a JSON object"},
		{`[1]`, "finding 1 is a JSON number"},
		{`[{"type":"x","fingerprint":"zz"}]`, `finding 1: "fingerprint" is not`},
		{`[{"type":"x",` + fp + `,"line":"3"}]`, `finding 1: "line" is a JSON string`},
		{`[{` + fp + `}]`, `finding 1: no "type"`},
		{`[{"type":"x",` + fp + `,"token_id":"dt0c01.ABC","prefix":"dt0c02"}]`, `"prefix" is not the start`},
		{`[{"type":"x",` + fp + `,"date":"yesterday"}]`, `"date" is not`},
		{`[{"type":"x"`, "not valid JSON"},
		// A syntax error names its byte offset, never the character
		// there, which may be one of a secret's.
		{"\n [1, zebra]", "not valid JSON (syntax error at byte 7): write the report with --format json"},
		{"::error file=a.go::dt0c01", "a github report, not JSON: write the report with --format json"},
	} {
		_, err := report.ReadJSON(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "'") {
			t.Errorf("report.ReadJSON(%q) = %v, want an error with %q", tc.in, err, tc.want)
		}
	}
}

// FuzzReadJSON: whatever ReadJSON accepts, it writes back to a report that
// reads back to the same report.
func FuzzReadJSON(f *testing.F) {
	if data, err := os.ReadFile("testdata/fixture.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := report.ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		var once bytes.Buffer
		if err := report.JSON(&once, resultOf(fs)); err != nil {
			t.Fatal(err)
		}
		fs2, err := report.ReadJSON(bytes.NewReader(once.Bytes()))
		if err != nil {
			t.Fatalf("written report does not read back: %v", err)
		}
		var twice bytes.Buffer
		if err := report.JSON(&twice, resultOf(fs2)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once.Bytes(), twice.Bytes()) {
			t.Fatal("second round trip differs")
		}
	})
}

func resultOf(fs []scanner.Finding) scanner.Result {
	return scanner.Result{Findings: fs, Stats: scanner.Stats{Findings: len(fs)}}
}
