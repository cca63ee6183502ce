package fa3

import (
	"testing"

	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

var elementOnly = xsdtest.ElementOnlyPaths(schemaRoots())

func TestRoundTripSamples(t *testing.T) { form.TestRoundTripSamples(t) }

// TestRoundTripNoticesChange is the negative control of the round-trip
// comparison: a changed value must be reported.
func TestRoundTripNoticesChange(t *testing.T) {
	for _, c := range fa3Samples(t) {
		f, err := Parse(c.Doc)
		if err != nil {
			t.Fatal(err)
		}
		f.Fa.P_2 += "x"
		changed, err := f.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		want, err := xsdtest.Canonical(c.Doc, elementOnly)
		if err != nil {
			t.Fatal(err)
		}
		got, err := xsdtest.Canonical(changed, elementOnly)
		if err != nil {
			t.Fatal(err)
		}
		if xsdtest.FirstDifference(want, got) == "" {
			t.Fatalf("%s: canonical comparison missed a changed P_2", c.Name)
		}
	}
}

func TestParseRejectsOtherRoot(t *testing.T) {
	if _, err := Parse([]byte(`<Faktura xmlns="urn:other"/>`)); err == nil {
		t.Fatal("Parse accepted a Faktura in another namespace")
	}
	if _, err := Parse([]byte(`<Faktura xmlns="` + Namespace + `"><Naglowek>`)); err == nil {
		t.Fatal("Parse accepted a truncated document")
	}
}
