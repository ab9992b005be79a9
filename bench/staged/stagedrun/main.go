// Command stagedrun runs the staged scan the way `dtleaks staged [REPO]`
// does, for timing process start to exit until (and besides) the CLI:
// it prints the number of findings and problems and exits 0 when clean, 1
// with findings and 2 on an error or a problem. With -v it prints where
// the time went.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/source/staged"
)

func main() {
	verbose := flag.Bool("v", false, "print the findings' identifiers and lines, and the duration")
	cpu := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	src := &staged.Source{Path: flag.Arg(0)}
	res, err := scanner.Scan(context.Background(), src, scanner.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if *verbose {
		for _, f := range res.Findings {
			fmt.Printf("%s:%d:%d: %s\n", f.Path, f.Line, f.Column, f.ID)
		}
		for _, p := range res.Problems {
			fmt.Fprintln(os.Stderr, p.Error())
		}
		fmt.Fprintf(os.Stderr, "%d items, %d bytes, %v\n", res.Stats.Items, res.Stats.Bytes, time.Since(start))
	}
	fmt.Printf("%d findings, %d problems\n", len(res.Findings), len(res.Problems))
	pprof.StopCPUProfile()
	switch {
	case len(res.Problems) > 0:
		os.Exit(2)
	case len(res.Findings) > 0:
		os.Exit(1)
	}
}
