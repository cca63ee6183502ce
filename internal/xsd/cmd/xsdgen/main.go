// Command xsdgen generates the validation tables, typed structs and the
// Validate/Parse/Marshal API of a KSeF document package (fa3, fa2, farr)
// from the official XSD schemas.
//
// Usage (from go:generate in the target package):
//
//	go run ../internal/xsd/cmd/xsdgen -spec ../../shared/spec -schema 'xsd/FA/schemat_FA(3)_v1-0E.xsd' -pkg fa3 -root Faktura -attachment Zalacznik
//
// It writes schema_gen.go (tables), model_gen.go (structs) and form_gen.go
// (API) into the output directory.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/internal/xsd/gen"
)

func main() {
	var cfg gen.Config
	flag.StringVar(&cfg.SpecDir, "spec", testenv.SpecDirPath(), "KSeF spec directory (default $KSEF_SPEC_DIR or ../shared/spec)")
	gen.Flags(flag.CommandLine, &cfg)
	out := flag.String("out", ".", "output directory")
	flag.Parse()
	if cfg.Schema == "" || cfg.Package == "" {
		fmt.Fprintln(os.Stderr, "xsdgen: -schema and -pkg are required")
		os.Exit(2)
	}
	if d := os.Getenv("KSEF_SPEC_DIR"); d != "" {
		cfg.SpecDir = d
	}
	files, err := gen.Generate(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(*out, n), files[n], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "xsdgen:", err)
			os.Exit(1)
		}
	}
}
