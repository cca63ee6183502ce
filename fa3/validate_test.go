package fa3

import (
	"bytes"
	"testing"
	"testing/iotest"

	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

const schemaRel = "xsd/FA/schemat_FA(3)_v1-0E.xsd"

// fa3Samples are the FA(3) sample invoices (templates filled).
func fa3Samples(t testing.TB) []xsdtest.Case {
	return xsdtest.Samples(t, "invoice-template-fa-3.xml", "invoice-template-fa-3-with-*.xml",
		"invoice-template-fa-3-self-invoicing.xml", "invoice-fa-3-*.xml")
}

func TestSamplesAgreeWithXmllint(t *testing.T) {
	cases := fa3Samples(t)
	agree, valid := xsdtest.Differential(t, schemaRel, ValidateBytes, cases)
	t.Logf("samples: agree %d/%d (xmllint valid: %d)", agree, len(cases), valid)
	if valid != len(cases) {
		t.Errorf("xmllint rejects %d samples", len(cases)-valid)
	}
}

func TestMutantsAgreeWithXmllint(t *testing.T) {
	bases := fa3Samples(t)
	cases := xsdtest.Mutants(t, bases, 2400/len(bases)+1)
	agree, valid := xsdtest.Differential(t, schemaRel, ValidateBytes, cases)
	t.Logf("mutants: agree %d/%d (xmllint valid: %d, invalid: %d)", agree, len(cases), valid, len(cases)-valid)
	xsdtest.ReportKinds(t, ValidateBytes, cases)
	if len(cases) < 2000 {
		t.Errorf("only %d mutants", len(cases))
	}
	// Every valid mutant must also survive the typed model unchanged.
	trips := 0
	for _, c := range cases {
		if ValidateBytes(c.Doc) != nil {
			continue
		}
		d, err := roundTrip(c.Doc)
		if err != nil {
			t.Errorf("%s (%s): %v", c.Name, c.Desc, err)
			continue
		}
		if d != "" {
			t.Errorf("%s (%s): round trip lost data at %s", c.Name, c.Desc, d)
			continue
		}
		trips++
	}
	t.Logf("round trips of valid mutants: %d lossless", trips)
}

// TestValidateConcurrently shares the schema tables between goroutines
// (run with -race).
func TestValidateConcurrently(t *testing.T) {
	cases := fa3Samples(t)
	done := make(chan error)
	for i := 0; i < 8; i++ {
		go func(i int) {
			for j := 0; j < 20; j++ {
				c := cases[(i+j)%len(cases)]
				if err := ValidateBytes(c.Doc); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestStreamingIsChunkingIndependent validates mutants whole and one byte
// at a time: the violations must be identical.
func TestStreamingIsChunkingIndependent(t *testing.T) {
	cases := xsdtest.Mutants(t, fa3Samples(t), 50)
	for _, c := range cases {
		a := ValidateBytes(c.Doc)
		b := Validate(iotest.OneByteReader(bytes.NewReader(c.Doc)))
		if (a == nil) != (b == nil) || (a != nil && a.Error() != b.Error()) {
			t.Fatalf("%s (%s): whole: %v\none byte at a time: %v", c.Name, c.Desc, a, b)
		}
	}
}
