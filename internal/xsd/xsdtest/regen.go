package xsdtest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/internal/xsd/gen"
)

// CheckGenerated regenerates the files of a document package from the
// schemas and fails the test on any difference with the committed files
// in dir.
func CheckGenerated(t *testing.T, dir string, cfg gen.Config) {
	t.Helper()
	cfg.SpecDir = testenv.SpecDir(t)
	if cfg.Catalog == "" {
		cfg.Catalog = "xsd/catalog.xml"
	}
	files, err := gen.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v (run go generate)", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output; run go generate in %s", name, dir)
		}
	}
}
