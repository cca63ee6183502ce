// Command ksef is the command-line tool for KSeF 2.0: authentication, invoice
// sessions, downloads and the local KSeF simulator.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "ksef: not built yet")
	os.Exit(1)
}
