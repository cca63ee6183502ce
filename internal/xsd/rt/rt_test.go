package rt

import (
	"bytes"
	"errors"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func str() *SimpleType {
	return &SimpleType{Name: "xsd:string", Kind: KindString, Length: -1, MinLength: -1, MaxLength: -1, TotalDigits: -1, FractionDigits: -1}
}

func testSchema() *Schema {
	y := &ComplexType{Attributes: []*Attribute{{Name: "a", Type: str(), Required: true, Fixed: "A B", HasFixed: true}}}
	content := &Particle{Kind: ParticleSequence, Min: 1, Max: 1, Children: []*Particle{
		{Kind: ParticleElement, Min: 0, Max: Unbounded, Element: &Element{Name: "x", Simple: str()}},
		{Kind: ParticleElement, Min: 1, Max: 1, Element: &Element{Name: "y", Complex: y}},
	}}
	return &Schema{Package: "t", Roots: []*Element{{Name: "r", Complex: &ComplexType{Content: content}}}}
}

// TestAttributeNormalisationFarIntoTheDocument checks that raw start tags
// are still available after the decoder has moved far past the start.
func TestAttributeNormalisationFarIntoTheDocument(t *testing.T) {
	s := testSchema()
	filler := strings.Repeat("<x>filler text</x>\n", 20000)
	for _, tc := range []struct {
		attr  string
		valid bool
	}{{"A\tB", true}, {"A\nB", true}, {"A&#9;B", false}, {"A B", true}, {"A  B", false}} {
		doc := "<r>" + filler + `<y a="` + tc.attr + `"/></r>`
		// One byte at a time and in one piece must give the same answer.
		for _, r := range []*strings.Reader{strings.NewReader(doc)} {
			err := s.Validate(r)
			if (err == nil) != tc.valid {
				t.Errorf("a=%q: err=%v, want valid=%v", tc.attr, err, tc.valid)
			}
		}
		err := s.Validate(iotest.OneByteReader(strings.NewReader(doc)))
		if (err == nil) != tc.valid {
			t.Errorf("a=%q one byte at a time: err=%v, want valid=%v", tc.attr, err, tc.valid)
		}
	}
}

func TestReadErrorIsNotAValidationError(t *testing.T) {
	s := testSchema()
	boom := errors.New("boom")
	err := s.Validate(iotest.ErrReader(boom))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		t.Fatal("read error reported as a validation error")
	}
	err = s.Validate(iotest.TimeoutReader(bytes.NewReader([]byte("<r><y a=\"A B\"/></r>"))))
	if err == nil {
		t.Fatal("timeout not reported")
	}
}

func TestWellFormedness(t *testing.T) {
	s := testSchema()
	for _, doc := range []string{
		`<r><y a="A B"/></r><r/>`,
		`<r><y a="A B" a="A B"/></r>`,
		`<r><p:y a="A B"/></r>`,
		`<r><y a="A B"/></x>`,
		`<r><y a="A B"/>`,
		``,
		`text`,
		`<r><y a="A B"/></r>trailing`,
	} {
		if err := s.Validate(strings.NewReader(doc)); err == nil {
			t.Errorf("%q accepted", doc)
		}
	}
	if err := s.Validate(strings.NewReader(`<?xml version="1.0"?><!-- c --><r><x>a<!-- c -->b</x><y a="A B"/></r><!-- after -->`)); err != nil {
		t.Errorf("valid document rejected: %v", err)
	}
}

func TestDecimalAndDateParsing(t *testing.T) {
	for in, want := range map[string]int{"0.05": 2, "00.000": 1, "12.0": 2, "000123": 3, "-1.50": 2, "0": 1} {
		d, ok := parseDecimal(in)
		if !ok || d.total != want {
			t.Errorf("parseDecimal(%q) = %+v, %v; want total %d", in, d, ok, want)
		}
	}
	for _, in := range []string{"", "-", "+", ".", "1e5", "1,5", "1.2.3", "1234567890123456789012345"} {
		if _, ok := parseDecimal(in); ok {
			t.Errorf("parseDecimal(%q) accepted", in)
		}
	}
	less := [][2]string{{"-1", "0"}, {"0.5", "1"}, {"1.05", "1.5"}, {"-2", "-1.5"}, {"99", "100"}}
	for _, p := range less {
		a, _ := parseDecimal(p[0])
		b, _ := parseDecimal(p[1])
		if cmpDecimal(a, b) >= 0 || cmpDecimal(b, a) <= 0 {
			t.Errorf("%s < %s not recognised", p[0], p[1])
		}
	}
	for _, in := range []string{"2024-02-29", "2000-02-29", "1900-02-28", "-0044-03-15", "2025-01-01Z", "2025-01-01+14:00"} {
		if _, ok := parseDateTime(in, KindDate); !ok {
			t.Errorf("date %q rejected", in)
		}
	}
	for _, in := range []string{"1900-02-29", "2100-02-29", "0000-01-01", "2025-04-31", "2025-01-01+14:01", "25-01-01", "2025-01-01T00:00:00"} {
		if _, ok := parseDateTime(in, KindDate); ok {
			t.Errorf("date %q accepted", in)
		}
	}
	a, _ := parseDateTime("2025-09-01T02:00:00+02:00", KindDateTime)
	b, _ := parseDateTime("2025-09-01T00:00:00Z", KindDateTime)
	if !a.equal(b) {
		t.Error("time zones not normalised")
	}
	if daysFromCivil(1970, 1, 1) != 0 || daysFromCivil(2000, 3, 1) != 11017 {
		t.Error("daysFromCivil")
	}
}

// TestAdversarialInputsAreFast guards against quadratic behaviour. It
// compares the CPU time of the validating thread (not wall time, which a
// loaded machine inflates at random) on each adversarial document at n
// and 4n units, the fastest of three tries each: linear work grows about
// 4 times, quadratic work 16 times; the test fails above 11.
func TestAdversarialInputsAreFast(t *testing.T) {
	s := testSchema()
	attrs := func(n int) string {
		var b strings.Builder
		b.WriteString("<r><y")
		for i := range n {
			b.WriteString(" a")
			b.WriteString(strings.Repeat("x", i%7))
			b.WriteString(strconv.Itoa(i))
			b.WriteString(`="1"`)
		}
		b.WriteString(` a="A B"/></r>`)
		return b.String()
	}
	docs := []func(n int) string{
		attrs,
		func(n int) string {
			return "<r>" + strings.Repeat("<u>", n) + strings.Repeat("</u>", n) + `<y a="A B"/></r>`
		},
		func(n int) string { return "<r>" + strings.Repeat("<u/>", n) + `<y a="A B"/></r>` },
		func(n int) string { return "<r>" + strings.Repeat("<y a=\"A B\"/>", n) + `</r>` },
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// No collections while measuring: GC assists would charge the
	// validating thread with work of the collector's choosing.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	fastest := func(d string) time.Duration {
		best := time.Duration(1<<63 - 1)
		for range 3 {
			start := threadCPU()
			if err := s.Validate(strings.NewReader(d)); err == nil {
				t.Fatalf("document of %d bytes accepted", len(d))
			}
			best = min(best, threadCPU()-start)
		}
		return best
	}
	const n = 40000
	for i, doc := range docs {
		small, large := fastest(doc(n)), fastest(doc(4*n))
		ratio := float64(large) / float64(max(small, time.Microsecond))
		t.Logf("doc %d: %v at n=%d, %v at 4n: ratio %.1f (linear 4, quadratic 16)", i, small, n, large, ratio)
		if ratio > 11 {
			t.Errorf("doc %d: 4 times the input took %.1f times as long: superlinear", i, ratio)
		}
	}
}

// TestSharedContentModel: a particle tree used by two complex types must
// not confuse the transition cache.
func TestSharedContentModel(t *testing.T) {
	el := func(n string, min, max int) *Particle {
		return &Particle{Kind: ParticleElement, Min: min, Max: max, Element: &Element{Name: n, Simple: str()}}
	}
	shared := &Particle{Kind: ParticleSequence, Min: 1, Max: 1, Children: []*Particle{el("a", 0, 1), el("b", 1, 1)}}
	t1 := &ComplexType{Content: shared}
	t2 := &ComplexType{Content: &Particle{Kind: ParticleSequence, Min: 1, Max: 1, Children: []*Particle{shared, el("c", 1, 1)}}}
	root := &ComplexType{Content: &Particle{Kind: ParticleSequence, Min: 1, Max: 1, Children: []*Particle{
		{Kind: ParticleElement, Min: 1, Max: 1, Element: &Element{Name: "x", Complex: t1}},
		{Kind: ParticleElement, Min: 1, Max: 1, Element: &Element{Name: "y", Complex: t2}},
	}}}
	s := &Schema{Package: "t", Roots: []*Element{{Name: "r", Complex: root}}}
	for doc, valid := range map[string]bool{
		`<r><x><a/><b/></x><y><a/><b/><c/></y></r>`: true,
		`<r><x><b/></x><y><b/><c/></y></r>`:         true,
		`<r><x><b/></x><y><b/></y></r>`:             false,
		`<r><x><b/><c/></x><y><b/><c/></y></r>`:     false,
	} {
		for range 3 { // repeat so that cached transitions are used
			if err := s.Validate(strings.NewReader(doc)); (err == nil) != valid {
				t.Errorf("%s: err=%v, want valid=%v", doc, err, valid)
			}
		}
	}
}
