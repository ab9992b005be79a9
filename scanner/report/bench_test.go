package report_test

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
)

// BenchmarkWrite renders 10,000 findings in each format: reports must not
// be what makes a large history scan slow.
func BenchmarkWrite(b *testing.B) {
	base, _ := fixture()
	fs := make([]scanner.Finding, 0, 10_000)
	for i := 0; len(fs) < cap(fs); i++ {
		f := base.Findings[i%len(base.Findings)]
		if f.Path != "" {
			f.Path = fmt.Sprintf("dir%d/%s", i, f.Path)
		}
		fs = append(fs, f)
	}
	res := scanner.Result{Findings: fs}
	for _, format := range report.Formats() {
		b.Run(format, func(b *testing.B) {
			for b.Loop() {
				if err := report.Write(io.Discard, format, res, report.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(fs)), "ns/finding")
		})
	}
}

// manyFindings is an organisation audit of n findings: n/5 distinct
// tokens of three types, each in five places across 40 repositories, with
// commits spread over three years, a fifth of them verified. It is what a
// page for a large audit must stay usable with.
func manyFindings(n int) scanner.Result {
	g := tokentest.New(10_000)
	prefixes := []string{"dt0c01", "dt0c01", "dt0c01", "dt0s16", "dt0g02"}
	start := time.Date(2022, 1, 3, 9, 0, 0, 0, time.UTC)
	fs := make([]scanner.Finding, 0, n)
	var tok tokentest.Token
	for i := range n {
		if i%5 == 0 {
			tok = g.Token(prefixes[(i/5)%len(prefixes)])
		}
		d := start.Add(time.Duration(i) * 157 * time.Minute)
		f := historyFinding(tok, fmt.Sprintf("https://github.com/acme/service-%02d", (i/5+i%5)%40),
			fmt.Sprintf("deploy/env-%d/config-%d.yaml", i%13, i%97), 10+i%50,
			fmt.Sprintf("%016x%016x%08x", uint64(i)*0x9e3779b97f4a7c15, uint64(i)^0x5bd1e995, i), []string{"Ada Admin", "Bob Ops", "Carol Dev", "Dan SRE"}[i%4], d, i%3 == 0)
		f.Kind = rules.Classify(tok.ID[:6], rules.Standard)
		switch (i / 5) % 5 {
		case 0:
			f.Verification = &scanner.Verification{Status: scanner.Live, Environment: "https://abc12345.live.dynatrace.com", Scopes: []string{"ReadConfig", "WriteConfig"}, Privileged: i%2 == 0}
			f.Environment = "https://abc12345.live.dynatrace.com"
		}
		fs = append(fs, f)
	}
	scanner.Sort(fs)
	return scanner.Result{Findings: fs, Stats: scanner.Stats{Findings: len(fs)}}
}

// BenchmarkHTML renders the page of a 10,000-finding audit, side by side
// with the JSON report of the same result, and reports the page's size.
func BenchmarkHTML(b *testing.B) {
	res := manyFindings(10_000)
	for _, format := range []string{"json", "html"} {
		b.Run(format, func(b *testing.B) {
			var n countWriter
			for b.Loop() {
				n = 0
				if err := report.Write(&n, format, res, testOptions); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/1e6, "MB")
		})
	}
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
