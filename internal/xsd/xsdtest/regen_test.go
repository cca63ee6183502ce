package xsdtest

import (
	"path/filepath"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
)

func TestParseDirective(t *testing.T) {
	cfg, err := ParseDirective(`go run ../internal/xsd/cmd/xsdgen -spec ../../shared/spec -schema "xsd/FA/schemat_FA(3)_v1-0E.xsd" -pkg fa3 -root Faktura -attachment Zalacznik`)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Schema != "xsd/FA/schemat_FA(3)_v1-0E.xsd" || cfg.Package != "fa3" || cfg.Root != "Faktura" ||
		cfg.Attachment != "Zalacznik" || cfg.Catalog != "xsd/catalog.xml" {
		t.Errorf("cfg = %+v", cfg)
	}
	for _, bad := range []string{
		"go run ./other -pkg x",
		"go run xsdgen -nosuchflag",
		"go run xsdgen -pkg x extra",
		`go run xsdgen -schema "unterminated`,
	} {
		if _, err := ParseDirective(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// The document packages' go:generate lines are what their drift tests
// regenerate with.
func TestDirectives(t *testing.T) {
	for pkg, attachment := range map[string]string{"fa3": "Zalacznik", "fa2": "", "farr": ""} {
		cfg := Directive(t, filepath.Join(testenv.ModuleRoot(), pkg))
		if cfg.Package != pkg || cfg.Attachment != attachment || cfg.Root != "Faktura" {
			t.Errorf("%s: %+v", pkg, cfg)
		}
	}
}
