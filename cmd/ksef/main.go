// Command ksef is the command-line tool for KSeF 2.0, Poland's National
// e-Invoice System: authentication, KSeF tokens, invoices, the local KSeF
// simulator and an end-to-end demo against it.
//
// Usage:
//
//	ksef demo                         # the whole flow against the embedded simulator
//	ksef sim serve --addr 127.0.0.1:8080
//	ksef auth login --cert c.pem --key k.pem --nip 5261040828
//	ksef auth login --p12 seal.p12    # password from $KSEF_KEY_PASSWORD or the terminal
//	KSEF_TOKEN=... ksef auth login --nip 5261040828
//	ksef auth status -o json          # asks KSeF; exit status 1 when not logged in
//	ksef auth status || ksef auth login --p12 seal.p12
//	ksef auth sessions
//	ksef auth logout
//	ksef invoice render faktura.xml --out faktura.pdf
//	ksef status                       # KSeF's status service (Latarnia)
//	ksef offline deadline --mode offline24 --issued 2026-04-03
//	ksef offline add faktura.xml --mode offline24 && ksef send --pending
//
// Every command accepts -o json for machine-readable output; -o is the
// output format only, and commands that write a file take it with --out.
// Global flags select the environment (--env test|demo|production, default
// test; --base-url overrides it), the named profile (--profile) holding the
// tokens in a file readable only by its owner, and debug logging
// (--verbose). Tokens are never printed unless --show-tokens is given.
// Errors are printed as "ksef: <message>" with exit status 1; text that
// came from a server has its control characters escaped.
//
// --timeout bounds a command (0: no limit). Defaults: 2m for auth login
// and other commands talking to KSeF, 30s for auth status, sessions and
// logout, none for sim serve, demo and the offline commands (invoice, qr,
// number). A command stopped by it names the last request it made.
//
// The commands live in packages under internal/, one per area; see
// internal/app for the list and internal/cli for what they share.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ksef2/ksef/cmd/ksef/internal/app"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, cli.NewFactory(version), os.Args[1:])
	stop()
	os.Exit(code)
}
