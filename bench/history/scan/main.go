// Command scan runs a history scan of one repository through scanner.Scan
// and history.Source and prints what it did: the stand-in for
// "dtleaks history REPO" in the benchmark until the command exists.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"

	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/source/history"
)

func main() {
	jobs := flag.Int("jobs", 0, "workers (0: GOMAXPROCS)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := scanner.Scan(ctx, &history.Source{Path: flag.Arg(0), Jobs: *jobs}, scanner.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for _, p := range res.Problems {
		fmt.Fprintln(os.Stderr, p)
	}
	fmt.Printf("items %d, bytes %d, findings %d, problems %d, %v\n",
		res.Stats.Items, res.Stats.Bytes, len(res.Findings), len(res.Problems), res.Stats.Duration)
}
