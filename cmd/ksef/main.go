// Command ksef is the command-line tool for KSeF 2.0, Poland's National
// e-Invoice System: authentication, KSeF tokens, the local KSeF simulator and
// an end-to-end demo against it.
//
// Usage:
//
//	ksef demo                         # the whole flow against the embedded simulator
//	ksef sim serve --addr 127.0.0.1:8080
//	ksef auth login --cert c.pem --key k.pem --nip 5261040828
//	ksef auth status -o json
//
// Every command accepts -o json for machine-readable output.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, errorMessage(err))
		os.Exit(1)
	}
}
