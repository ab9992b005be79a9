package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// The SARIF mapping is explained in the package documentation.

const (
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	sarifVersion = "2.1.0"
	toolURI      = "https://github.com/dtleaks/dtleaks"
	// fingerprintKey names our partialFingerprints entry; the version lets
	// us change how it is computed without colliding with old alerts.
	fingerprintKey = "dtleaks/v1"
	// lineHashKey is the fingerprint GitHub code scanning tracks alerts by.
	// When a result lacks it, GitHub's upload computes it from the line of
	// the file in the checkout, which a history finding is not on; dtleaks
	// fills it itself, from the token and its place, so it is the same on
	// every run and after edits around the token.
	lineHashKey = "primaryLocationLineHash"
	// MaxSARIFResults is the most results SARIF writes in its run: GitHub
	// rejects a run with more than 25,000 results ("SARIF support for code
	// scanning", https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning,
	// "Results per run: 25,000; only the top 5,000 results will be
	// included, prioritized by severity"). The rest are counted in a
	// toolExecutionNotification.
	MaxSARIFResults = 25000
	// historyRoot is where a finding that is not in the checkout of HEAD is
	// placed: git never tracks a path with a ".git" component, so no file
	// of any commit can be there, and HEAD's unrelated lines are never
	// annotated. Below it:
	//
	//	commit/<commit>/<path>   the path as the commit that introduced it holds it
	//	blob/<blob>[/<path>]      a blob no commit reaches
	//	<location>/<commit>       a commit or tag message, header or ref name
	historyRoot = ".git/dtleaks/"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
	ColumnKind  string            `json:"columnKind"`
}

// sarifInvocation is written only to say what the run left out.
type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string          `json:"id"`
	ShortDescription     sarifText       `json:"shortDescription"`
	FullDescription      sarifText       `json:"fullDescription"`
	Help                 sarifText       `json:"help"`
	HelpURI              string          `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
	Properties           sarifRuleProps  `json:"properties"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	SecuritySeverity string   `json:"security-severity,omitempty"`
	Tags             []string `json:"tags"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           *int              `json:"ruleIndex,omitempty"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          *sarifResultProps `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind"`
}

// sarifResultProps are the finding's facts that SARIF has no place for.
type sarifResultProps struct {
	Repository  string `json:"repository,omitempty"`
	TokenID     string `json:"tokenId,omitempty"`
	Encoding    string `json:"encoding,omitempty"`
	Environment string `json:"environment,omitempty"`
	Commit      string `json:"commit,omitempty"`
	Date        string `json:"date,omitempty"`
	Blob        string `json:"blob,omitempty"`
	AtHead      *bool  `json:"atHead,omitempty"`
	Reachable   *bool  `json:"reachable,omitempty"`
	// Verification properties (--verify), only for a verified finding.
	*sarifVerification
}

// SARIF writes the findings as a SARIF 2.1.0 log for GitHub code scanning
// and other SARIF consumers.
func SARIF(w io.Writer, res scanner.Result, opts Options) error {
	kinds := rules.Kinds()
	index := make(map[string]int, len(kinds))
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "dtleaks",
			InformationURI: toolURI,
			Version:        opts.ToolVersion,
			Rules:          make([]sarifRule, 0, len(kinds)),
		}},
		Results:    make([]sarifResult, 0, len(res.Findings)),
		ColumnKind: "unicodeCodePoints",
	}
	for i := range kinds {
		index[kinds[i].Name] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleFor(&kinds[i]))
	}
	findings := res.Findings
	if n := len(findings); n > MaxSARIFResults {
		findings = findings[:MaxSARIFResults]
		run.Invocations = []sarifInvocation{{ExecutionSuccessful: true, Notifications: []sarifNotification{{
			Level: "warning",
			Message: sarifText{Text: fmt.Sprintf("%d of %d findings are not in this log: GitHub code scanning rejects a run of more than %d results. "+
				"Run dtleaks with --format json for all of them.", n-MaxSARIFResults, n, MaxSARIFResults)},
		}}}}
	}
	for i := range findings {
		f := &findings[i]
		fp := alertFingerprint(f)
		r := sarifResult{
			RuleID:    kindName(f),
			Level:     "error",
			Message:   sarifText{Text: sarifMessage(f)},
			Locations: []sarifLocation{sarifLocationFor(f, opts)},
			PartialFingerprints: map[string]string{
				fingerprintKey: fp,
				// GitHub's form is a hash and an occurrence number.
				lineHashKey: fp[:16] + ":1",
			},
			Properties: sarifPropsFor(f),
		}
		if j, ok := index[r.RuleID]; ok {
			r.RuleIndex = &j
		}
		run.Results = append(run.Results, r)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}

func sarifRuleFor(k *rules.Kind) sarifRule {
	what := k.Description
	if k.Prefix != "" {
		what += " (prefix " + k.Prefix + ")"
	}
	full := "A Dynatrace token was found in the repository: " + what + ". " +
		"Anyone who can read the repository, a clone or a backup of it can use the token until it is revoked."
	text := "Anyone with read access to this repository, any clone of it, or any backup can use this token until it is revoked. " +
		"1. Revoke the token now: in Dynatrace, open Access tokens (OAuth clients and platform tokens: Account Management) and " +
		"delete or disable the token whose identifier the alert names. " +
		"2. Remove the token from the file; if it was committed, it stays in the history, so revocation is what protects you. " +
		"3. Create a new token with only the scopes it needs and keep it in a secret store (CI secrets, a vault, a Kubernetes Secret " +
		"from an external store), never in the repository."
	md := "**Anyone with read access to this repository, any clone of it, or any backup can use this token until it is revoked.**\n\n" +
		"1. **Revoke the token now.** In Dynatrace, open **Access tokens** (for OAuth clients and platform tokens: **Account Management**), " +
		"find the token by the identifier the alert names (prefix and public portion; dtleaks never shows the secret), and delete or disable it.\n" +
		"2. **Remove the token** from the file. If it was committed, it stays in the history: revoking it is what protects you.\n" +
		"3. **Rotate:** create a new token with only the scopes it needs and keep it in a secret store " +
		"(CI secrets, a vault, a Kubernetes Secret from an external store), never in the repository.\n"
	if k.Source != "" {
		text += " Source: " + k.Source
		md += "\nSource: " + k.Source + "\n"
	}
	return sarifRule{
		ID:                   k.Name,
		ShortDescription:     sarifText{Text: "Dynatrace token leaked: " + k.Description},
		FullDescription:      sarifText{Text: full},
		Help:                 sarifText{Text: text, Markdown: md},
		HelpURI:              helpURI(k.Source),
		DefaultConfiguration: sarifRuleConfig{Level: "error"},
		Properties:           sarifRuleProps{SecuritySeverity: k.Severity, Tags: []string{"security", "secret"}},
	}
}

// helpURI returns the first web address in a catalogue row's Source, which
// is either an address or a sentence that names one; helpUri must be a URI.
func helpURI(source string) string {
	i := strings.Index(source, "https://")
	if i < 0 {
		return ""
	}
	u := source[i:]
	if j := strings.IndexAny(u, " \t\n);,"); j >= 0 {
		u = u[:j]
	}
	if p, err := url.Parse(u); err != nil || p.Host == "" {
		return ""
	}
	return u
}

// sarifMessage names the token and its type, never the secret, and says
// what to do.
func sarifMessage(f *scanner.Finding) string {
	var b strings.Builder
	b.WriteString(sarifVerifiedMessage(f))
	if f.ID == "" {
		fmt.Fprintf(&b, "Dynatrace %s with fingerprint %s", kindName(f), shortFingerprint(f.Fingerprint))
	} else {
		fmt.Fprintf(&b, "Dynatrace %s %s", kindName(f), f.ID)
	}
	if d := kindDescription(f); d != "" {
		fmt.Fprintf(&b, " (%s)", d)
	}
	if f.Encoding != "" {
		fmt.Fprintf(&b, ", %s-encoded,", f.Encoding)
	}
	switch {
	case f.Path == "" && f.Location != "":
		fmt.Fprintf(&b, " in the %s of %s", strings.ReplaceAll(string(f.Location), "-", " "), short(f.Origin.Commit))
		if !f.Origin.Date.IsZero() {
			fmt.Fprintf(&b, " (%s)", f.Origin.Date.Format(time.DateOnly))
		}
	case f.Origin.Commit != "":
		fmt.Fprintf(&b, " introduced in commit %s", short(f.Origin.Commit))
		if !f.Origin.Date.IsZero() {
			fmt.Fprintf(&b, " on %s", f.Origin.Date.Format(time.DateOnly))
		}
	case f.Origin.Unreachable:
		fmt.Fprintf(&b, " in blob %s, which no ref reaches", short(f.Origin.Blob))
	}
	if f.Environment != "" {
		fmt.Fprintf(&b, "; it opens the environment %s", validUTF8(f.Environment))
	}
	b.WriteString(". Revoke it in Dynatrace, remove it, and rotate it.")
	if f.Origin.AtHead {
		b.WriteString(" It is still in the tree of HEAD.")
	}
	return b.String()
}

func sarifLocationFor(f *scanner.Finding, opts Options) sarifLocation {
	var region *sarifRegion
	if f.Line > 0 {
		region = &sarifRegion{StartLine: f.Line, EndLine: f.Line}
		if f.Column > 0 {
			region.StartColumn = f.Column
			region.EndColumn = f.Column + tokenColumns(f)
		}
	} else {
		// Code scanning needs a start line to show a result.
		region = &sarifRegion{StartLine: 1}
	}
	if f.Path == "" && f.Location != "" {
		name := historyRoot + string(f.Location)
		if f.Origin.Commit != "" {
			name += "/" + f.Origin.Commit
		}
		return sarifLocation{
			PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: uriPath(name), URIBaseID: "%SRCROOT%"},
				Region:           region,
			},
			LogicalLocations: []sarifLogical{{
				Name:               short(f.Origin.Commit),
				FullyQualifiedName: f.Origin.Commit,
				Kind:               string(f.Location),
			}},
		}
	}
	name := f.Path
	if !placed(f, opts) {
		switch {
		case f.Origin.Commit != "":
			name = historyRoot + "commit/" + f.Origin.Commit + "/" + f.Path
		default:
			name = historyRoot + "blob/" + f.Origin.Blob
			if f.Path != "" {
				name += "/" + f.Path
			}
		}
	}
	return sarifLocation{PhysicalLocation: sarifPhysical{
		ArtifactLocation: sarifArtifact{URI: uriPath(name), URIBaseID: "%SRCROOT%"},
		Region:           region,
	}}
}

// tokenColumns is how many columns the token spans where it was found: a
// token as it is spans its own length; an encoded one, whose encoded span
// depends on how it is aligned in the encoding, is marked by its first
// column only.
func tokenColumns(f *scanner.Finding) int {
	switch {
	case f.Encoding != "":
		return 1
	case f.ID == "":
		return legacyLen
	}
	// The identifier, the dot and the 64-character secret.
	return len(f.ID) + 1 + secretLen
}

// The lengths of the parts of a token that are not in its identifier.
const (
	secretLen = 64
	legacyLen = 21
)

func sarifPropsFor(f *scanner.Finding) *sarifResultProps {
	p := sarifResultProps{
		Repository:  validUTF8(f.Repository),
		TokenID:     string(f.ID),
		Encoding:    string(f.Encoding),
		Environment: validUTF8(f.Environment),
	}
	p.sarifVerification = newSARIFVerification(f.Verification)
	if history(f) {
		o := f.Origin
		atHead, reachable := o.AtHead, !o.Unreachable
		p.Commit = o.Commit
		if !o.Date.IsZero() {
			p.Date = o.Date.Format(time.RFC3339)
		}
		p.Blob = o.Blob
		p.AtHead = &atHead
		p.Reachable = &reachable
	}
	if p == (sarifResultProps{}) {
		return nil
	}
	return &p
}

// alertFingerprint identifies an alert across runs: the token and where it
// is, but not the line, so that edits around it keep the same alert. It is
// a hash of values that are already safe to publish.
func alertFingerprint(f *scanner.Finding) string {
	place := f.Path
	if place == "" {
		place = string(f.Location) + ":" + f.Origin.Commit
	}
	if f.Repository != "" {
		// The same token at the same path of two repositories is two
		// alerts; without a repository the hash is what it always was.
		place = f.Repository + "\x00" + place
	}
	sum := sha256.Sum256([]byte(string(f.Fingerprint) + "\x00" + place))
	return hex.EncodeToString(sum[:])
}

// uriPath turns a slash-separated relative path into a relative URI
// reference: every byte but unreserved characters and '/' is
// percent-encoded. That keeps a colon in the first segment from reading as
// a scheme, and a path that is not UTF-8 from being altered.
func uriPath(p string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
