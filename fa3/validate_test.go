package fa3

import (
	"bytes"
	"testing"
	"testing/iotest"

	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

const schemaRel = "xsd/FA/schemat_FA(3)_v1-0E.xsd"

// form runs the tests shared by every generated invoice-schema package.
var form = xsdtest.Form{
	Package: "fa3",
	Schema:  schemaRel,
	Samples: []string{"invoice-template-fa-3.xml", "invoice-template-fa-3-with-*.xml",
		"invoice-template-fa-3-self-invoicing.xml", "invoice-fa-3-*.xml"},
	Mutants:   2400,
	Validate:  ValidateBytes,
	Stream:    Validate,
	RoundTrip: xsdtest.ParseMarshal(Parse),
	Roots:     schemaRoots(),
}

// fa3Samples are the FA(3) sample invoices (templates filled).
func fa3Samples(t testing.TB) []xsdtest.Case { return form.Cases(t) }

func TestGeneratedCodeIsUpToDate(t *testing.T) { form.TestGenerated(t) }
func TestSamplesAgreeWithXmllint(t *testing.T) { form.TestSamples(t) }
func TestViolationPosition(t *testing.T)       { form.TestViolationPosition(t) }

// TestMutantsAgreeWithXmllint also checks that every valid mutant survives
// the typed model unchanged.
func TestMutantsAgreeWithXmllint(t *testing.T) { form.TestMutants(t) }

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
