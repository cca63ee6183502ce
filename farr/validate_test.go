package farr

import (
	"testing"

	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

// form runs the tests shared by every generated invoice-schema package.
var form = xsdtest.Form{
	Package:   "farr",
	Schema:    "xsd/RR/schemat_FA_RR(1)_v1-1E.xsd",
	Samples:   []string{"invoice-template-fa-rr-1.xml"},
	Mutants:   1000,
	Validate:  ValidateBytes,
	Stream:    Validate,
	RoundTrip: xsdtest.ParseMarshal(Parse),
	Roots:     schemaRoots(),
}

func TestGeneratedCodeIsUpToDate(t *testing.T) { form.TestGenerated(t) }
func TestSamplesAgreeWithXmllint(t *testing.T) { form.TestSamples(t) }
func TestMutantsAgreeWithXmllint(t *testing.T) { form.TestMutants(t) }
func TestRoundTripSamples(t *testing.T)        { form.TestRoundTripSamples(t) }
func TestViolationPosition(t *testing.T)       { form.TestViolationPosition(t) }

// FuzzValidate checks that the validator never panics and is deterministic.
func FuzzValidate(f *testing.F) { form.Fuzz(f) }
