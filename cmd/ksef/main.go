// Command ksef is the command-line tool for KSeF 2.0, Poland's National
// e-Invoice System: authentication, KSeF tokens, the local KSeF simulator and
// an end-to-end demo against it.
//
// Usage:
//
//	ksef demo                         # the whole flow against the embedded simulator
//	ksef sim serve --addr 127.0.0.1:8080
//	ksef auth login --cert c.pem --key k.pem --nip 5261040828
//	ksef auth login --p12 seal.p12    # password from $KSEF_KEY_PASSWORD or the terminal
//	KSEF_TOKEN=... ksef auth login --nip 5261040828
//	ksef auth status -o json
//	ksef auth sessions
//	ksef auth logout
//
// Every command accepts -o json for machine-readable output. Global flags
// select the environment (--env test|demo|production, default test;
// --base-url overrides it), the named profile (--profile) holding the
// tokens in a file readable only by its owner, and debug logging
// (--verbose). Tokens are never printed unless --show-tokens is given.
// Errors are printed as "ksef: <message>" with exit status 1.
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
