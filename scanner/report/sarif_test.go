package report_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
)

// The official SARIF 2.1.0 schema (draft-04), copied from
// shared/schemas/sarif-2.1.0.json.
const sarifSchemaFile = "testdata/sarif-2.1.0.json"

var sarifSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open(sarifSchemaFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	// The schema names its draft in $schema; the default only matters if
	// it did not.
	c.DefaultDraft(jsonschema.Draft4)
	// Check "uri", "uri-reference" and "date-time" too: code scanning
	// rejects a malformed URI.
	c.AssertFormat()
	const loc = "file:///sarif-2.1.0.json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	return c.Compile(loc)
})

// validateSARIF fails the test unless out is valid against the SARIF 2.1.0
// schema. Every SARIF output of the tests goes through it.
func validateSARIF(t *testing.T, out []byte) {
	t.Helper()
	sch, err := sarifSchema()
	if err != nil {
		t.Fatalf("loading %s: %v", sarifSchemaFile, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("SARIF output is not JSON: %v", err)
	}
	if err := sch.Validate(v); err != nil {
		// The error names schema and instance locations, not values.
		t.Errorf("SARIF output is not valid SARIF 2.1.0: %v", err)
	}
}

// The parts of SARIF the tests check, named as the specification names them.
type sarifLog struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		ColumnKind string `json:"columnKind"`
		Tool       struct {
			Driver struct {
				Name, InformationURI, Version string
				Rules                         []struct {
					ID               string `json:"id"`
					HelpURI          string `json:"helpUri"`
					ShortDescription struct{ Text string }
					FullDescription  struct{ Text string }
					Help             struct{ Text, Markdown string }
					Properties       struct {
						SecuritySeverity string   `json:"security-severity"`
						Tags             []string `json:"tags"`
					}
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []sarifResult `json:"results"`
	} `json:"runs"`
}

type sarifResult struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Level     string `json:"level"`
	Message   struct {
		Text string `json:"text"`
	} `json:"message"`
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI       string `json:"uri"`
				URIBaseID string `json:"uriBaseId"`
			} `json:"artifactLocation"`
			Region struct {
				StartLine   int `json:"startLine"`
				StartColumn int `json:"startColumn"`
				EndLine     int `json:"endLine"`
				EndColumn   int `json:"endColumn"`
			} `json:"region"`
		} `json:"physicalLocation"`
		LogicalLocations []struct {
			Name, FullyQualifiedName, Kind string
		} `json:"logicalLocations"`
	} `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

func decodeSARIF(t *testing.T, res scanner.Result, opts report.Options) sarifLog {
	t.Helper()
	var buf bytes.Buffer
	if err := report.SARIF(&buf, res, opts); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, buf.Bytes())
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("SARIF has %d runs; want 1", len(log.Runs))
	}
	return log
}

func TestSARIFStructure(t *testing.T) {
	res, _ := fixture()
	log := decodeSARIF(t, res, report.Options{ToolVersion: "1.2.3"})
	if log.Version != "2.1.0" || log.Schema == "" {
		t.Errorf("version, $schema = %q, %q; want 2.1.0 and the schema URI", log.Version, log.Schema)
	}
	run := log.Runs[0]
	d := run.Tool.Driver
	if d.Name != "dtleaks" || d.Version != "1.2.3" || d.InformationURI == "" {
		t.Errorf("driver = %q %q %q; want dtleaks, 1.2.3 and an information URI", d.Name, d.Version, d.InformationURI)
	}
	if run.ColumnKind != "unicodeCodePoints" {
		t.Errorf("columnKind = %q; want unicodeCodePoints (columns count characters)", run.ColumnKind)
	}

	kinds := rules.Kinds()
	if len(d.Rules) != len(kinds) {
		t.Fatalf("driver has %d rules; want one per catalogue kind, %d", len(d.Rules), len(kinds))
	}
	for i, r := range d.Rules {
		k := kinds[i]
		if r.ID != k.Name || r.Properties.SecuritySeverity != k.Severity {
			t.Errorf("rule %d = id %q, severity %q; want %q, %q", i, r.ID, r.Properties.SecuritySeverity, k.Name, k.Severity)
		}
		if r.HelpURI == "" || !strings.HasPrefix(r.HelpURI, "https://") || !strings.Contains(k.Source, r.HelpURI) {
			t.Errorf("rule %s helpUri = %q; want the address in its source %q", r.ID, r.HelpURI, k.Source)
		}
		if !strings.Contains(r.Help.Text, k.Source) {
			t.Errorf("rule %s help does not quote its source", r.ID)
		}
		if !strings.Contains(r.ShortDescription.Text, k.Description) || r.FullDescription.Text == "" {
			t.Errorf("rule %s descriptions = %q, %q; want the catalogue's description", r.ID, r.ShortDescription.Text, r.FullDescription.Text)
		}
		for _, help := range []string{r.Help.Text, r.Help.Markdown} {
			for _, want := range []string{"Revoke", "Access tokens", "Remove", "scopes"} {
				if !strings.Contains(strings.ToLower(help), strings.ToLower(want)) {
					t.Errorf("rule %s help does not say %q", r.ID, want)
				}
			}
		}
		if strings.Join(r.Properties.Tags, ",") != "security,secret" {
			t.Errorf("rule %s tags = %q; want security, secret", r.ID, r.Properties.Tags)
		}
	}

	if len(run.Results) != len(res.Findings) {
		t.Fatalf("SARIF has %d results for %d findings", len(run.Results), len(res.Findings))
	}
	seen := map[string]int{}
	for i, r := range run.Results {
		f := res.Findings[i]
		if r.RuleID != f.Kind.Name || r.RuleIndex == nil || d.Rules[*r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %d ruleId %q, ruleIndex %v; want %q and the index of that rule", i, r.RuleID, r.RuleIndex, f.Kind.Name)
		}
		if r.Level != "error" {
			t.Errorf("result %d level = %q; want error", i, r.Level)
		}
		name := string(f.ID)
		if name == "" {
			name = string(f.Fingerprint[:8])
		}
		if !strings.Contains(r.Message.Text, name) || !strings.Contains(r.Message.Text, f.Kind.Name) {
			t.Errorf("result %d message %q does not name the token %s and type %s", i, r.Message.Text, name, f.Kind.Name)
		}
		if len(r.Locations) != 1 {
			t.Fatalf("result %d has %d locations; want 1", i, len(r.Locations))
		}
		loc := r.Locations[0]
		pl := loc.PhysicalLocation
		if pl.ArtifactLocation.URIBaseID != "%SRCROOT%" {
			t.Errorf("result %d uriBaseId = %q; want %%SRCROOT%%", i, pl.ArtifactLocation.URIBaseID)
		}
		u, err := url.Parse(pl.ArtifactLocation.URI)
		if err != nil || u.Scheme != "" || u.IsAbs() {
			t.Errorf("result %d uri %q is not a relative reference (%v)", i, pl.ArtifactLocation.URI, err)
		}
		path, err := url.PathUnescape(pl.ArtifactLocation.URI)
		switch {
		case err != nil:
			t.Errorf("result %d uri %q does not unescape: %v", i, pl.ArtifactLocation.URI, err)
		case f.Path != "" && (f.Origin.Commit == "" && f.Origin.Blob == "" || f.Origin.AtHead):
			if path != f.Path {
				t.Errorf("result %d uri %q unescapes to %q; want the path %q", i, pl.ArtifactLocation.URI, path, f.Path)
			}
		case f.Path != "":
			// In history only: under .git/dtleaks/, never HEAD's file.
			want := ".git/dtleaks/commit/" + f.Origin.Commit + "/" + f.Path
			if f.Origin.Commit == "" {
				want = ".git/dtleaks/blob/" + f.Origin.Blob + "/" + f.Path
			}
			if path != want {
				t.Errorf("history-only result %d uri %q unescapes to %q; want %q", i, pl.ArtifactLocation.URI, path, want)
			}
		case f.Path == "":
			if want := ".git/dtleaks/" + string(f.Location) + "/" + f.Origin.Commit; path != want {
				t.Errorf("message result %d uri = %q; want the placeholder %q", i, path, want)
			}
			if len(loc.LogicalLocations) != 1 || loc.LogicalLocations[0].FullyQualifiedName != f.Origin.Commit || loc.LogicalLocations[0].Kind != string(f.Location) {
				t.Errorf("message result %d logicalLocations = %+v; want the commit %s as a %s", i, loc.LogicalLocations, f.Origin.Commit, f.Location)
			}
		}
		if pl.Region.StartLine != f.Line || pl.Region.StartColumn != f.Column {
			t.Errorf("result %d region = %d:%d; want %d:%d", i, pl.Region.StartLine, pl.Region.StartColumn, f.Line, f.Column)
		}
		// endColumn is exclusive: the token's own length for a token as
		// it is (96 for a standard one, 21 for a legacy one).
		wantEnd := f.Column + 1
		switch {
		case f.Encoding != "":
		case f.ID == "":
			wantEnd = f.Column + 21
		default:
			wantEnd = f.Column + len(f.ID) + 65
		}
		if pl.Region.EndLine != f.Line || pl.Region.EndColumn != wantEnd {
			t.Errorf("result %d region ends at %d:%d; want %d:%d", i, pl.Region.EndLine, pl.Region.EndColumn, f.Line, wantEnd)
		}
		if h := r.PartialFingerprints["primaryLocationLineHash"]; h != r.PartialFingerprints["dtleaks/v1"][:16]+":1" {
			t.Errorf("result %d primaryLocationLineHash = %q; want dtleaks' own, from dtleaks/v1", i, h)
		}
		fp := r.PartialFingerprints["dtleaks/v1"]
		if len(fp) != 64 || strings.Contains(fp, string(f.Fingerprint)) {
			t.Errorf("result %d partialFingerprints = %v; want a 64-digit dtleaks/v1 hash", i, r.PartialFingerprints)
		}
		if j, dup := seen[fp]; dup {
			t.Errorf("results %d and %d share the partial fingerprint %s", j, i, fp)
		}
		seen[fp] = i
		if f.Origin.Commit != "" && r.Properties["commit"] != f.Origin.Commit {
			t.Errorf("result %d properties.commit = %v; want %s", i, r.Properties["commit"], f.Origin.Commit)
		}
		if f.Origin.Blob != "" && r.Properties["reachable"] != !f.Origin.Unreachable {
			t.Errorf("result %d properties.reachable = %v; want %v", i, r.Properties["reachable"], !f.Origin.Unreachable)
		}
	}
}

// The alert for a token stays the same alert when the file is edited around
// it (line and column change) and across runs, and is a different alert in
// another file.
func TestSARIFFingerprintStable(t *testing.T) {
	res, _ := fixture()
	f := res.Findings[1]
	moved := f
	moved.Line, moved.Column = f.Line+10, f.Column+3
	other := f
	other.Path = "another/file"
	log := decodeSARIF(t, scanner.Result{Findings: []scanner.Finding{f, moved, other}}, report.Options{})
	again := decodeSARIF(t, scanner.Result{Findings: []scanner.Finding{f}}, report.Options{})
	fp := func(l sarifLog, i int) string { return l.Runs[0].Results[i].PartialFingerprints["dtleaks/v1"] }
	if fp(log, 0) != fp(log, 1) {
		t.Error("moving a token within its file changed its partial fingerprint")
	}
	if fp(log, 0) == fp(log, 2) {
		t.Error("the same token in another file has the same partial fingerprint")
	}
	if fp(log, 0) != fp(again, 0) {
		t.Error("the partial fingerprint changed between two runs")
	}
}

// Every path the fixture's corners can produce must stay a valid URI
// reference that unescapes to the path.
func TestSARIFPaths(t *testing.T) {
	paths := []string{
		"a:b/c.txt", "100%/x", "sp ace/t\tab", "q?uery#frag", "ünï/日本.yaml", "bad\xff\xfe", "-", "a/../b", "[v6]/x", `back\slash`,
	}
	var fs []scanner.Finding
	for i, p := range paths {
		fs = append(fs, scanner.Finding{ID: "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX", Kind: rules.Classify("dt0c01", rules.Standard),
			Fingerprint: rules.Fingerprint(strings.Repeat("0", 63) + string(rune('a'+i))), Path: p, Line: 1, Column: 1})
	}
	log := decodeSARIF(t, scanner.Result{Findings: fs}, report.Options{})
	for i, r := range log.Runs[0].Results {
		uri := r.Locations[0].PhysicalLocation.ArtifactLocation.URI
		u, err := url.Parse(uri)
		if err != nil || u.Scheme != "" || u.RawQuery != "" || u.Fragment != "" {
			t.Errorf("path %q: uri %q parses as %+v, %v; want a plain relative path", paths[i], uri, u, err)
			continue
		}
		if got, err := url.PathUnescape(uri); err != nil || got != paths[i] {
			t.Errorf("path %q: uri %q unescapes to %q, %v", paths[i], uri, got, err)
		}
	}
}
