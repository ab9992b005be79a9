package report_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
)

var fp1 = strings.Repeat("ab", 32)

func TestReadBaselineErrors(t *testing.T) {
	tests := []struct {
		name, in, want string // want: a part of the error message
	}{
		{"empty", "", "empty"},
		{"blank", " \n\t", "empty"},
		{"syntax", `[{"fingerprint": }]`, "not valid JSON (syntax error at byte 18)"},
		{"truncated", `[{"fingerprint": "` + fp1 + `"`, "not valid JSON"},
		{"trailing data", `[] []`, "not valid JSON"},
		{"object", `{"runs": []}`, "JSON object, want an array"},
		{"null", `null`, "JSON null, want an array"},
		{"string", `"x"`, "JSON string, want an array"},
		{"number", `12`, "JSON number, want an array"},
		{"entry not object", `[1]`, "entry 1 is a JSON number, want an object"},
		{"entry array", `[{"fingerprint":"` + fp1 + `"}, []]`, "entry 2 is a JSON array"},
		{"no fingerprint", `[{"path": "a"}]`, `entry 1 has no "fingerprint"`},
		{"null fingerprint", `[{"fingerprint": null}]`, `entry 1 has no "fingerprint"`},
		{"number fingerprint", `[{"fingerprint": 5}]`, `"fingerprint" is a JSON number, want a string`},
		{"short fingerprint", `[{"fingerprint": "abc"}]`, "not 64 hex digits"},
		{"non-hex fingerprint", `[{"fingerprint": "` + strings.Repeat("zz", 32) + `"}]`, "not 64 hex digits"},
		{"path not string", `[{"fingerprint": "` + fp1 + `", "path": []}]`, `"path" is a JSON array, want a string`},
	}
	for _, tt := range tests {
		b, err := report.ReadBaseline(strings.NewReader(tt.in))
		if err == nil {
			t.Errorf("%s: ReadBaseline = %v, nil; want an error", tt.name, b)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ReadBaseline error = %q; want it to contain %q", tt.name, err, tt.want)
		}
	}
}

// TestReadBaselineNotJSON: a baseline that is not JSON gets an error that
// names where the syntax breaks by byte offset only, never a character of
// the file (which may hold a secret), says which report it looks like when
// it is one of dtleaks' other formats, and says how to write a baseline.
func TestReadBaselineNotJSON(t *testing.T) {
	const hint = "write the baseline with --format json"
	tests := []struct {
		name, in, want string // want: a part of the error message
	}{
		{"text report", "config/app.env:2:14: classic-access-token dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.****\n", "a text report, not JSON"},
		{"text report, colour", "\x1b[1mconfig/app.env:2:14:\x1b[0m \x1b[33mclassic-access-token\x1b[0m dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.****\n", "a text report, not JSON"},
		{"github report", "::error file=a.env,line=1,col=1,title=Dynatrace token leaked::x\n", "a github report, not JSON"},
		{"markdown report", "### dtleaks: 1 Dynatrace token finding (1 distinct token)\n\n| Location |\n", "a markdown report, not JSON"},
		{"sarif report", `{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": []}`, "a SARIF report, want an array of findings"},
		{"syntax", "{zebra", "not valid JSON (syntax error at byte 2)"},
		{"syntax after blanks", "\n\n  [1, zebra]", "not valid JSON (syntax error at byte 9)"},
		{"binary", "\x00\xffQ", "not valid JSON (syntax error at byte 1)"},
	}
	for _, tt := range tests {
		_, err := report.ReadBaseline(strings.NewReader(tt.in))
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.want) || !strings.Contains(msg, hint) {
			t.Errorf("%s: error %q; want it to contain %q and %q", tt.name, msg, tt.want, hint)
		}
		// No character of the input: not the letters of "zebra", not
		// the token's identifier, not the file's first character.
		for _, part := range []string{"z", "Q", "ABCDEFGH", "classic", "config", "Location", "schemastore", "'", "\\x"} {
			if strings.Contains(msg, part) {
				t.Errorf("%s: error %q shows %q from the file", tt.name, msg, part)
			}
		}
	}
}

func TestReadBaselineTolerant(t *testing.T) {
	in := `[
  {"fingerprint": "` + strings.ToUpper(fp1) + `", "path": "a.env", "new_field": {"x": [1, 2]}, "line": 3},
  {"fingerprint": "` + strings.Repeat("0", 64) + `", "path": ""},
  {"fingerprint": "` + strings.Repeat("1", 64) + `"}
]`
	b, err := report.ReadBaseline(strings.NewReader(in))
	if err != nil {
		t.Fatalf("ReadBaseline: %v", err)
	}
	if b.Len() != 3 {
		t.Errorf("Len() = %d; want 3", b.Len())
	}
	for _, in := range []string{"[]", " [ ] \n"} {
		b, err := report.ReadBaseline(strings.NewReader(in))
		if err != nil || b.Len() != 0 {
			t.Errorf("ReadBaseline(%q) = %d entries, %v; want an empty baseline", in, b.Len(), err)
		}
	}
}

func TestBaselineFilter(t *testing.T) {
	res, _ := fixture()
	var buf bytes.Buffer
	if err := report.JSON(&buf, scanner.Result{Findings: res.Findings[:4]}); err != nil {
		t.Fatal(err)
	}
	b, err := report.ReadBaseline(&buf)
	if err != nil {
		t.Fatalf("ReadBaseline of our own JSON: %v", err)
	}
	// The same token in a new file is a new finding.
	moved := res.Findings[0]
	moved.Path = "somewhere/else"
	// The same token at another line of the same file is the known one.
	shifted := res.Findings[1]
	shifted.Line += 40
	all := append(append([]scanner.Finding{}, res.Findings...), moved, shifted)

	kept, hidden := b.Filter(all)
	if hidden != 5 {
		t.Errorf("Filter hid %d findings; want 5 (4 listed and 1 moved within its file)", hidden)
	}
	want := append(append([]scanner.Finding{}, res.Findings[4:]...), moved)
	if len(kept) != len(want) {
		t.Fatalf("Filter kept %d findings; want %d", len(kept), len(want))
	}
	for i := range want {
		if kept[i].Path != want[i].Path || kept[i].Fingerprint != want[i].Fingerprint {
			t.Errorf("kept[%d] = %s at %q; want %s at %q", i, kept[i].ID, kept[i].Path, want[i].ID, want[i].Path)
		}
	}

	var nilBaseline *report.Baseline
	if kept, hidden := nilBaseline.Filter(all); hidden != 0 || len(kept) != len(all) {
		t.Errorf("nil baseline hid %d findings; want none", hidden)
	}
}

// notJSONMessage is every error ReadBaseline may give for a file that is not
// JSON: no character of the file in it.
var notJSONMessage = regexp.MustCompile(`^(not valid JSON \(syntax error at byte [0-9]+\)|a (text|github|markdown) report, not JSON): write the baseline with --format json \(dtleaks scan --format json --output FILE\)$`)

// FuzzReadBaseline checks that no input makes ReadBaseline panic, and that
// a JSON report written by Write, whatever its path, reads back into a
// baseline that hides exactly the findings it lists.
func FuzzReadBaseline(f *testing.F) {
	res, _ := fixture()
	var buf bytes.Buffer
	if err := report.JSON(&buf, res); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes(), "config/app.env")
	f.Add([]byte(`[]`), hostilePath)
	f.Add([]byte(`[{"fingerprint":"`+fp1+`","path":"a"}]`), "a")
	f.Add([]byte(`[{"fingerprint":"`+fp1+`","path":"\ud800"}]`), "\xed\xa0\x80")
	f.Add([]byte(`{"runs":[]}`), "")
	f.Add([]byte(`[null]`), "\xff")
	f.Add([]byte(`[{"fingerprint":"`+fp1+`","path":1e999}]`), "x")
	f.Add([]byte("{zebra"), "")
	f.Add([]byte("a.env:1:1: classic-access-token dt0c01.X.****\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		read, readErr := report.ReadBaseline(bytes.NewReader(data))
		if readErr == nil {
			read.Filter([]scanner.Finding{{Fingerprint: rules.Fingerprint(fp1), Path: path}})
		}
		// Not JSON: the message is one of ours, with an offset at most,
		// and nothing taken from the file.
		if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && !json.Valid(trimmed) {
			if readErr == nil || !notJSONMessage.MatchString(readErr.Error()) {
				t.Fatalf("ReadBaseline of %d bytes that are not JSON: error %q; want one matching %s", len(data), readErr, notJSONMessage)
			}
		}

		sum := sha256.Sum256(data)
		listed := scanner.Finding{
			ID:          "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX",
			Kind:        rules.Classify("dt0c01", rules.Standard),
			Fingerprint: rules.Fingerprint(hex.EncodeToString(sum[:])),
			Path:        path,
			Line:        1,
			Column:      1,
		}
		other := listed
		other.Path = path + "/other"
		var buf bytes.Buffer
		if err := report.Write(&buf, "json", scanner.Result{Findings: []scanner.Finding{listed}}, report.Options{}); err != nil {
			t.Fatalf("Write json: %v", err)
		}
		b, err := report.ReadBaseline(&buf)
		if err != nil {
			t.Fatalf("ReadBaseline of Write's own JSON: %v", err)
		}
		kept, hidden := b.Filter([]scanner.Finding{listed, other})
		if hidden != 1 || len(kept) != 1 || kept[0].Path != other.Path {
			t.Errorf("path %q: baseline hid %d and kept %d; want the listed finding hidden and the other kept", path, hidden, len(kept))
		}
	})
}

// TestBaselineRepository: an entry of an audit's report hides the token at
// its path in its repository only; an entry without a repository (a report
// of one repository) hides it in any.
func TestBaselineRepository(t *testing.T) {
	b, err := report.ReadBaseline(strings.NewReader(`[
		{"repository":"https://git.example.com/a.git","fingerprint":"` + fp1 + `","path":"x.env"},
		{"fingerprint":"` + fp1 + `","path":"y.env"}]`))
	if err != nil {
		t.Fatal(err)
	}
	f := func(repo, path string) scanner.Finding {
		return scanner.Finding{Repository: repo, Fingerprint: rules.Fingerprint(fp1), Path: path}
	}
	kept, hidden := b.Filter([]scanner.Finding{
		f("https://git.example.com/a.git", "x.env"), // hidden
		f("https://git.example.com/b.git", "x.env"), // another repository: kept
		f("", "x.env"), // no repository: kept
		f("https://git.example.com/b.git", "y.env"), // entry without repository: hidden
		f("", "y.env"), // hidden
	})
	if hidden != 3 || len(kept) != 2 || kept[0].Repository != "https://git.example.com/b.git" || kept[1].Repository != "" {
		t.Errorf("hid %d, kept %+v", hidden, kept)
	}
}
