// Command dtleaks finds leaked Dynatrace access tokens in files, in the whole
// history of a git repository, and in what is about to be committed. It
// reports each token by its identifier (prefix and public portion) and never
// shows a character of the secret portion.
//
// Run "dtleaks help" for usage.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// signalGrace is how long a run has, after SIGINT or SIGTERM, to notice
// its context ended and report so, before the process leaves anyway.
const signalGrace = 2 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// Every wait of a scan watches ctx, but a write can block where
		// no context reaches: --output onto a FIFO nobody reads, a
		// standard output piped to a stopped reader. A signal ends the
		// process whatever it is waiting for, never as clean.
		<-ctx.Done()
		time.Sleep(signalGrace)
		os.Stderr.WriteString("dtleaks: interrupted\n")
		os.Exit(exitError)
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}
