package farr

import (
	"testing"

	"github.com/ksef2/ksef/internal/xsd/gen"
	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

const schemaRel = "xsd/RR/schemat_FA_RR(1)_v1-1E.xsd"

func samples(t testing.TB) []xsdtest.Case {
	return xsdtest.Samples(t, "invoice-template-fa-rr-1.xml")
}

var elementOnly = xsdtest.ElementOnlyPaths(schemaRoots)

func TestGeneratedCodeIsUpToDate(t *testing.T) {
	xsdtest.CheckGenerated(t, ".", gen.Config{Schema: schemaRel, Package: "farr", Root: "Faktura"})
}

func TestSamplesAgreeWithXmllint(t *testing.T) {
	cases := samples(t)
	agree, valid := xsdtest.Differential(t, schemaRel, ValidateBytes, cases)
	t.Logf("samples: agree %d/%d (xmllint valid: %d)", agree, len(cases), valid)
	if valid != len(cases) {
		t.Errorf("xmllint rejects %d samples", len(cases)-valid)
	}
}

func TestMutantsAgreeWithXmllint(t *testing.T) {
	bases := samples(t)
	cases := xsdtest.Mutants(t, bases, 1000/len(bases)+1)
	agree, valid := xsdtest.Differential(t, schemaRel, ValidateBytes, cases)
	t.Logf("mutants: agree %d/%d (xmllint valid: %d, invalid: %d)", agree, len(cases), valid, len(cases)-valid)
	xsdtest.ReportKinds(t, ValidateBytes, cases)
	trips := 0
	for _, c := range cases {
		if ValidateBytes(c.Doc) != nil {
			continue
		}
		if d, err := roundTrip(c.Doc); err != nil || d != "" {
			t.Errorf("%s (%s): round trip: %v %s", c.Name, c.Desc, err, d)
			continue
		}
		trips++
	}
	t.Logf("round trips of valid mutants: %d lossless", trips)
}

func TestRoundTripSamples(t *testing.T) {
	for _, c := range samples(t) {
		d, err := roundTrip(c.Doc)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if d != "" {
			t.Errorf("%s: round trip lost data at %s", c.Name, d)
		}
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
	if err := ValidateBytes(out); err != nil {
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

func FuzzValidate(f *testing.F) {
	for _, c := range samples(f) {
		f.Add(c.Doc)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		err := ValidateBytes(doc)
		if err != nil && err.Error() != ValidateBytes(doc).Error() {
			t.Fatal("non-deterministic")
		}
	})
}
