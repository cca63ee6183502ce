package xsd

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/internal/xsd/rt"
)

func TestLoadFA3ValidatesSample(t *testing.T) {
	spec := testenv.SpecDir(t)
	c, err := Load(spec, "xsd/FA/schemat_FA(3)_v1-0E.xsd", "xsd/catalog.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Schema.Roots) != 1 || c.Schema.Roots[0].Name != "Faktura" {
		t.Fatalf("roots = %v", c.Schema.Roots)
	}
	c.Schema.Package = "test"
	data, err := os.ReadFile(filepath.Join(spec, "samples/invoices/filled/invoice-fa-3-generated.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Schema.Validate(bytes.NewReader(data)); err != nil {
		t.Fatalf("sample invalid: %v", err)
	}
	bad := bytes.Replace(data, []byte("<P_2>"), []byte("<P_2x>x</P_2x><P_2>"), 1)
	err = c.Schema.Validate(bytes.NewReader(bad))
	var ve *rt.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("mutated sample: err = %v", err)
	}
	t.Log(err)
}
