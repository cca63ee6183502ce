package xsdtest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/internal/xsd/rt"
)

// Form describes one generated invoice-schema package (fa3, fa2, farr) for
// the tests every such package runs: regeneration, the differential test
// against xmllint on the samples and on mutants, and lossless round trips.
type Form struct {
	Package string   // Go package name of the generated code
	Schema  string   // schema path below the spec directory
	Samples []string // sample file patterns, as for [Samples]
	// Mutants is the minimum number of mutants, spread over the samples.
	Mutants int
	// Validate is the package's ValidateBytes.
	Validate func([]byte) error
	// Stream is the package's streaming Validate.
	Stream func(io.Reader) error
	// RoundTrip parses a document into the typed model and marshals it back.
	RoundTrip func([]byte) ([]byte, error)
	// Roots are the package's global element declarations (schemaRoots).
	Roots []*rt.Element
}

// Cases returns the filled samples of the form.
func (f Form) Cases(t testing.TB) []Case { return Samples(t, f.Samples...) }

// TestGenerated fails when regenerating the package's code from the schema,
// with the flags of the package's //go:generate line, gives anything other
// than the committed files, or when that line names another schema or
// package than f.
func (f Form) TestGenerated(t *testing.T) {
	cfg := Directive(t, ".")
	if cfg.Schema != f.Schema || cfg.Package != f.Package {
		t.Fatalf("go:generate runs xsdgen for %s (package %s), the tests use %s (package %s)", cfg.Schema, cfg.Package, f.Schema, f.Package)
	}
	CheckGenerated(t, ".", cfg)
}

// TestSamples checks that xmllint accepts every sample and that the
// validator agrees with it.
func (f Form) TestSamples(t *testing.T) {
	cases := f.Cases(t)
	agree, valid := Differential(t, f.Schema, f.Validate, cases)
	t.Logf("samples: agree %d/%d (xmllint valid: %d)", agree, len(cases), valid)
	if valid != len(cases) {
		t.Errorf("xmllint rejects %d samples", len(cases)-valid)
	}
}

// TestMutants runs the differential test on at least f.Mutants mutants and
// checks that every valid mutant survives the typed model without loss.
func (f Form) TestMutants(t *testing.T) {
	testenv.SkipShort(t, "xmllint differential over the mutants")
	bases := f.Cases(t)
	cases := Mutants(t, bases, f.Mutants/len(bases)+1)
	agree, valid := Differential(t, f.Schema, f.Validate, cases)
	t.Logf("mutants: agree %d/%d (xmllint valid: %d, invalid: %d)", agree, len(cases), valid, len(cases)-valid)
	ReportKinds(t, f.Validate, cases)
	if len(cases) < f.Mutants {
		t.Errorf("only %d mutants, want at least %d", len(cases), f.Mutants)
	}
	trips := 0
	for _, c := range cases {
		if f.Validate(c.Doc) != nil {
			continue
		}
		if d, err := f.RoundTripDiff(c.Doc); err != nil || d != "" {
			t.Errorf("%s (%s): round trip: %v %s", c.Name, c.Desc, err, d)
			continue
		}
		trips++
	}
	t.Logf("round trips of valid mutants: %d lossless", trips)
}

// TestRoundTripSamples checks that every sample survives the typed model
// without loss and that the marshalled document is valid.
func (f Form) TestRoundTripSamples(t *testing.T) {
	for _, c := range f.Cases(t) {
		d, err := f.RoundTripDiff(c.Doc)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if d != "" {
			t.Errorf("%s: round trip lost data at %s", c.Name, d)
		}
	}
}

// RoundTripDiff reports where parse+marshal changes doc, or "".
func (f Form) RoundTripDiff(doc []byte) (string, error) {
	out, err := f.RoundTrip(doc)
	if err != nil {
		return "", err
	}
	if err := f.Validate(out); err != nil {
		return "", err
	}
	elementOnly := ElementOnlyPaths(f.Roots)
	want, err := Canonical(doc, elementOnly)
	if err != nil {
		return "", err
	}
	got, err := Canonical(out, elementOnly)
	if err != nil {
		return "", err
	}
	return FirstDifference(want, got), nil
}

// TestViolationPosition checks that the streaming validator, fed one byte
// at a time, reports a broken seller NIP with its line, column, element
// path and a message, and refuses a byte order mark before the schema is
// looked at.
func (f Form) TestViolationPosition(t *testing.T) {
	doc := f.Cases(t)[0].Doc
	i := bytes.Index(doc, []byte("<Podmiot1>"))
	j := bytes.Index(doc[i:], []byte("<NIP>"))
	if i < 0 || j < 0 {
		t.Fatal("sample has no Podmiot1 NIP")
	}
	at := i + j
	k := bytes.Index(doc[at:], []byte("</NIP>"))
	bad := append(append(append([]byte(nil), doc[:at]...), "<NIP>12345</NIP>"...), doc[at+k+len("</NIP>"):]...)
	err := f.Stream(iotest.OneByteReader(bytes.NewReader(bad)))
	var ve *rt.ValidationError
	if !errors.As(err, &ve) || len(ve.Violations) != 1 {
		t.Fatalf("err = %v", err)
	}
	v := ve.Violations[0]
	line := bytes.Count(bad[:at], []byte("\n")) + 1
	col := at - bytes.LastIndexByte(bad[:at], '\n')
	if v.Line != line || v.Column != col || v.Path != "/Faktura/Podmiot1/DaneIdentyfikacyjne/NIP" ||
		!strings.Contains(v.Message, `"12345"`) {
		t.Errorf("violation %+v, want line %d column %d", v, line, col)
	}
	err = f.Validate(append([]byte("\xEF\xBB\xBF"), doc...))
	if !errors.As(err, &ve) || !strings.Contains(ve.Violations[0].Message, "byte order mark") {
		t.Errorf("BOM: %v", err)
	}
}

// ParseMarshal returns a [Form.RoundTrip] that parses a document with the
// package's Parse and marshals the typed model back.
func ParseMarshal[T interface{ Marshal() ([]byte, error) }](parse func([]byte) (T, error)) func([]byte) ([]byte, error) {
	return func(doc []byte) ([]byte, error) {
		v, err := parse(doc)
		if err != nil {
			return nil, err
		}
		return v.Marshal()
	}
}

// Fuzz feeds the samples and arbitrary bytes to the form's validator: it
// must not panic and must judge a document the same way twice.
func (f Form) Fuzz(ff *testing.F) {
	for _, c := range f.Cases(ff) {
		ff.Add(c.Doc)
	}
	ff.Fuzz(func(t *testing.T, doc []byte) {
		err := f.Validate(doc)
		if err != nil && err.Error() != f.Validate(doc).Error() {
			t.Fatal("non-deterministic")
		}
	})
}
