package fa3

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/internal/xsd/mutate"
)

// FuzzValidate feeds arbitrary bytes to the validator: it must not panic,
// must be deterministic, and every violation must carry a position.
func FuzzValidate(f *testing.F) {
	for _, c := range fa3Samples(f) {
		f.Add(c.Doc)
	}
	f.Add([]byte("\xEF\xBB\xBF<Faktura/>"))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-2"?><a><?pi x?></a>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		err1 := ValidateBytes(doc)
		err2 := Validate(bytes.NewReader(doc))
		if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
			t.Fatalf("non-deterministic: %v vs %v", err1, err2)
		}
		var ve *ValidationError
		if err1 != nil {
			if !errors.As(err1, &ve) {
				t.Fatalf("error is not a *ValidationError: %v", err1)
			}
			if len(ve.Violations) == 0 {
				t.Fatal("ValidationError without violations")
			}
			for _, v := range ve.Violations {
				if v.Line < 1 || v.Column < 1 || v.Message == "" {
					t.Fatalf("bad violation %+v", v)
				}
			}
		}
	})
}

// FuzzMutants is the mutation generator as a fuzz target: each input picks
// a sample and a mutation seed; the mutant must be judged the same way by
// our validator and by xmllint, and a valid mutant must round-trip.
func FuzzMutants(f *testing.F) {
	testenv.SkipShort(f, "one xmllint run per mutant seed")
	samples := fa3Samples(f)
	for i := range 16 {
		f.Add(uint8(i), uint64(i*7919))
	}
	bin := testenv.RequireTool(f, "xmllint")
	spec := testenv.SpecDir(f)
	f.Fuzz(func(t *testing.T, sample uint8, seed uint64) {
		base := samples[int(sample)%len(samples)]
		m, err := mutate.Mutate(base.Doc, seed)
		if err != nil {
			t.Fatal(err)
		}
		ours := ValidateBytes(m.Doc)
		cmd := exec.Command(bin, "--noout", "--nonet", "--schema", filepath.Join(spec, filepath.FromSlash(schemaRel)), "-")
		cmd.Env = append(cmd.Environ(), "XML_CATALOG_FILES="+filepath.Join(spec, "xsd", "catalog.xml"))
		cmd.Stdin = bytes.NewReader(m.Doc)
		out, _ := cmd.CombinedOutput()
		theirs := strings.Contains(string(out), "- validates")
		if (ours == nil) != theirs {
			t.Fatalf("%s: ours valid=%v, xmllint valid=%v\nours: %v\nxmllint: %s", m.Desc, ours == nil, theirs, ours, out)
		}
		if ours == nil {
			if d, err := form.RoundTripDiff(m.Doc); err != nil || d != "" {
				t.Fatalf("%s: round trip: %v %s", m.Desc, err, d)
			}
		}
	})
}
