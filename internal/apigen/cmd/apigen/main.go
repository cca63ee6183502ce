// Command apigen writes the generated files of the root package ksef (wire
// types, operation table, schema table of the tests) from the KSeF OpenAPI
// document. Run it with go generate in the repository root:
//
//	go run ./internal/apigen/cmd/apigen -spec ../shared/spec
//
// KSEF_SPEC_DIR overrides the spec directory.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ksef2/ksef/internal/apigen"
	"github.com/ksef2/ksef/internal/testenv"
)

func main() {
	spec := flag.String("spec", testenv.SpecDirPath(), "KSeF spec directory (default $KSEF_SPEC_DIR or ../shared/spec)")
	out := flag.String("out", ".", "output directory (the root package)")
	flag.Parse()
	if d := os.Getenv("KSEF_SPEC_DIR"); d != "" {
		*spec = d
	}
	files, err := apigen.Generate(*spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, n := range apigen.Files {
		if err := os.WriteFile(filepath.Join(*out, n), files[n], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "apigen:", err)
			os.Exit(1)
		}
	}
}
