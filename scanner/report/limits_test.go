package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
)

// many returns n findings of distinct tokens, in history, on long paths:
// the shape of an audit of a large repository.
func many(n int) scanner.Result {
	g := tokentest.New(99)
	fs := make([]scanner.Finding, n)
	for i := range fs {
		t := g.Token("dt0c01")
		fs[i] = scanner.Finding{
			ID: rules.ID(t.ID), Kind: rules.Classify("dt0c01", rules.Standard), Fingerprint: rules.Fingerprint(t.Fingerprint),
			Path: fmt.Sprintf("services/team-%04d/config/environments/production/settings-%d.yaml", i%1000, i), Line: 3, Column: 14,
			Origin: scanner.Origin{Commit: strings.Repeat("c", 40), Blob: strings.Repeat("b", 40), AtHead: i%2 == 0},
		}
	}
	return scanner.Result{Findings: fs}
}

// GitHub shows 10 error annotations per step: the github format writes
// that many and one notice counting the rest.
func TestGitHubAnnotationLimit(t *testing.T) {
	for _, n := range []int{report.MaxAnnotations, report.MaxAnnotations + 1, 25} {
		var buf bytes.Buffer
		if err := report.GitHub(&buf, many(n)); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		errs, notices := 0, 0
		for _, l := range lines {
			switch parseCommand(t, l).name {
			case "error":
				errs++
			case "notice":
				notices++
				if want := fmt.Sprintf("%d more finding", n-report.MaxAnnotations); !strings.Contains(l, want) {
					t.Errorf("%d findings: notice %q does not say %q", n, l, want)
				}
			}
		}
		wantNotices := 0
		if n > report.MaxAnnotations {
			wantNotices = 1
		}
		if errs != min(n, 10) || notices != wantNotices || len(lines) != errs+notices {
			t.Errorf("%d findings: %d errors, %d notices in %d lines; want %d and %d", n, errs, notices, len(lines), min(n, 10), wantNotices)
		}
	}
}

// GitHub drops a step summary over 1 MiB whole: 30,000 findings must give
// one under it that says how many rows it left out.
func TestStepSummaryLimit(t *testing.T) {
	const n = 30000
	var buf bytes.Buffer
	if err := report.StepSummary(&buf, many(n)); err != nil {
		t.Fatal(err)
	}
	if buf.Len() >= 1<<20 {
		t.Fatalf("step summary of %d findings is %d bytes; GitHub refuses 1 MiB (%d) or more", n, buf.Len(), 1<<20)
	}
	rows := strings.Count(buf.String(), "\n| services/")
	if rows == 0 || rows == n || !strings.Contains(buf.String(), fmt.Sprintf("%d more findings not listed", n-rows)) {
		t.Errorf("step summary: %d rows of %d and no note of %d more findings not listed", rows, n, n-rows)
	}
	// A small result is whole.
	buf.Reset()
	if err := report.StepSummary(&buf, many(3)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "not listed") || strings.Count(buf.String(), "\n| services/") != 3 {
		t.Errorf("step summary of 3 findings is cut:\n%s", buf.String())
	}
}

// GitHub rejects a SARIF run of more than 25,000 results: the log holds
// that many and a notification counting the rest, and stays valid.
func TestSARIFResultLimit(t *testing.T) {
	const n = report.MaxSARIFResults + 7
	var buf bytes.Buffer
	if err := report.SARIF(&buf, many(n), report.Options{}); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, buf.Bytes())
	var log struct {
		Runs []struct {
			Invocations []struct {
				Notifications []struct {
					Message struct{ Text string } `json:"message"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
			Results []struct {
				PartialFingerprints map[string]string `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	r := log.Runs[0]
	if len(r.Results) != report.MaxSARIFResults {
		t.Errorf("%d results; want %d", len(r.Results), report.MaxSARIFResults)
	}
	if len(r.Invocations) != 1 || len(r.Invocations[0].Notifications) != 1 || !strings.Contains(r.Invocations[0].Notifications[0].Message.Text, "7 of 25007 findings") {
		t.Errorf("invocations %+v; want one notification of the 7 findings left out", r.Invocations)
	}
	seen := map[string]bool{}
	for _, res := range r.Results {
		h := res.PartialFingerprints["primaryLocationLineHash"]
		if h == "" || seen[h] {
			t.Fatalf("primaryLocationLineHash %q empty or repeated", h)
		}
		seen[h] = true
	}
}
