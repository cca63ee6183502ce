package fa3

import (
	"testing"

	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

var elementOnly = xsdtest.ElementOnlyPaths(schemaRoots)

func TestRoundTripSamples(t *testing.T) {
	for _, c := range fa3Samples(t) {
		t.Run(c.Name, func(t *testing.T) {
			f, err := Parse(c.Doc)
			if err != nil {
				t.Fatal(err)
			}
			out, err := f.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			want, err := xsdtest.Canonical(c.Doc, elementOnly)
			if err != nil {
				t.Fatal(err)
			}
			got, err := xsdtest.Canonical(out, elementOnly)
			if err != nil {
				t.Fatal(err)
			}
			if d := xsdtest.FirstDifference(want, got); d != "" {
				t.Fatalf("round trip lost data at %s", d)
			}
			if err := ValidateBytes(out); err != nil {
				t.Fatalf("marshalled invoice is invalid: %v", err)
			}
			// Negative control: the comparison notices a changed value.
			f.Fa.P_2 += "x"
			changed, err := f.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got2, err := xsdtest.Canonical(changed, elementOnly)
			if err != nil {
				t.Fatal(err)
			}
			if xsdtest.FirstDifference(want, got2) == "" {
				t.Fatal("canonical comparison missed a changed P_2")
			}
		})
	}
}

// roundTrip reports where parse+marshal changes doc, or "".
func roundTrip(doc []byte) (string, error) {
	f, err := Parse(doc)
	if err != nil {
		return "", err
	}
	out, err := f.Marshal()
	if err != nil {
		return "", err
	}
	want, err := xsdtest.Canonical(doc, elementOnly)
	if err != nil {
		return "", err
	}
	got, err := xsdtest.Canonical(out, elementOnly)
	if err != nil {
		return "", err
	}
	return xsdtest.FirstDifference(want, got), nil
}

func TestParseRejectsOtherRoot(t *testing.T) {
	if _, err := Parse([]byte(`<Faktura xmlns="urn:other"/>`)); err == nil {
		t.Fatal("Parse accepted a Faktura in another namespace")
	}
	if _, err := Parse([]byte(`<Faktura xmlns="` + Namespace + `"><Naglowek>`)); err == nil {
		t.Fatal("Parse accepted a truncated document")
	}
}
