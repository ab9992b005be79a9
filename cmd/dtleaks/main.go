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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}
