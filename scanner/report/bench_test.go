package report_test

import (
	"fmt"
	"io"
	"testing"

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
