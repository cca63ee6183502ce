// Command xsdgen generates the validation tables and typed structs of a
// KSeF document package (fa3, fa2, farr) from the official XSD schemas.
//
// Usage (from go:generate in the target package):
//
//	go run ../internal/xsd/cmd/xsdgen -spec ../../shared/spec -schema 'xsd/FA/schemat_FA(3)_v1-0E.xsd' -pkg fa3 -root Faktura
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
	flag.StringVar(&cfg.Schema, "schema", "", "main schema, relative to the spec directory")
	flag.StringVar(&cfg.Catalog, "catalog", "xsd/catalog.xml", "XML catalog, relative to the spec directory")
	flag.StringVar(&cfg.Package, "pkg", "", "Go package name")
	flag.StringVar(&cfg.Root, "root", "Faktura", "Go name of the root struct")
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
