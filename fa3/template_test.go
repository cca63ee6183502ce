package fa3_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

type templateFile struct {
	name string
	data []byte
	fa3  bool
}

// sampleTemplates reads every template of the shared samples.
func sampleTemplates(t *testing.T) []templateFile {
	t.Helper()
	dir := filepath.Join(testenv.SpecDir(t), "samples", "invoices", "templates")
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates in %s: %v", dir, err)
	}
	var out []templateFile
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, templateFile{name: filepath.Base(f), data: data, fa3: bytes.Contains(data, []byte(`xmlns="`+fa3.Namespace+`"`))})
	}
	return out
}

var templateNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// TestEverySampleTemplate fills every FA(3) sample template with defaults
// and checks the results with fa3.Validate and xmllint; the other
// templates (FA(2), FA_RR(1), PEF) are refused as not FA(3).
func TestEverySampleTemplate(t *testing.T) {
	var cases []xsdtest.Case
	nFA3 := 0
	for _, tf := range sampleTemplates(t) {
		if !tf.fa3 {
			_, err := fa3.FromTemplateWithDefaults(tf.data, nil, nil)
			if err == nil || !strings.Contains(err.Error(), "not an FA(3) invoice") {
				t.Errorf("%s: got %v, want the not-FA(3) error", tf.name, err)
			}
			continue
		}
		nFA3++
		tmpl, err := fa3.ParseTemplate(tf.data)
		if err != nil {
			t.Fatalf("%s: %v", tf.name, err)
		}
		if len(tmpl.Placeholders()) == 0 {
			t.Errorf("%s: no placeholders found", tf.name)
		}
		opts := &fa3.TemplateOptions{Rand: rand.New(rand.NewPCG(1, uint64(nFA3))), Now: templateNow}
		doc, err := fa3.FromTemplateWithDefaults(tf.data, nil, opts)
		if err != nil {
			t.Errorf("%s: %v", tf.name, err)
			continue
		}
		// The same defaults given explicitly produce the same document.
		vals := tmpl.Defaults(&fa3.TemplateOptions{Rand: rand.New(rand.NewPCG(1, uint64(nFA3))), Now: templateNow})
		doc2, err := fa3.FromTemplate(tf.data, vals)
		if err != nil || !bytes.Equal(doc, doc2) {
			t.Errorf("%s: FromTemplate with the defaults differs: %v", tf.name, err)
		}
		for _, n := range tmpl.Placeholders() {
			if bytes.Contains(doc, []byte("#"+n+"#")) {
				t.Errorf("%s: placeholder #%s# left", tf.name, n)
			}
			if strings.Contains(strings.ToLower(n), "nip") {
				if _, err := ksef.ParseNIP(vals[n]); err != nil {
					t.Errorf("%s: default %s: %v", tf.name, n, err)
				}
			}
		}
		f, err := fa3.Parse(doc)
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := vals["invoice_number"]; ok && !strings.Contains(string(f.Fa.P_2), n) {
			t.Errorf("%s: P_2 %q lacks the invoice number %q", tf.name, f.Fa.P_2, n)
		}
		if d, ok := vals["invoicing_date"]; ok && string(f.Fa.P_1) != d {
			t.Errorf("%s: P_1 %q, want %q", tf.name, f.Fa.P_1, d)
		}
		cases = append(cases, xsdtest.Case{Name: tf.name, Doc: doc})
	}
	if nFA3 < 5 {
		t.Errorf("only %d FA(3) templates", nFA3)
	}
	verdicts, _ := xsdtest.Xmllint(t, fa3Schema, cases)
	for i, v := range verdicts {
		if !v.Valid {
			t.Errorf("xmllint rejects filled %s:\n%s", cases[i].Name, v.Output)
		}
	}
}

func readTemplate(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.SpecFile(t, "samples/invoices/templates/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTemplateMissingAndUnknown(t *testing.T) {
	tmpl := readTemplate(t, "invoice-template-fa-3.xml")
	_, err := fa3.FromTemplate(tmpl, map[string]string{"nip": "5265877635", "colour": "red", "amount": "1"})
	var te *fa3.TemplateError
	if !errors.As(err, &te) {
		t.Fatalf("got %v", err)
	}
	if !slices.Equal(te.Missing, []string{"invoice_number"}) || !slices.Equal(te.Unknown, []string{"amount", "colour"}) {
		t.Errorf("missing %v unknown %v", te.Missing, te.Unknown)
	}
	want := "fa3: template: no value for placeholder #invoice_number#; template has no placeholder #amount#, #colour#"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	// Defaults do not excuse unknown values.
	if _, err := fa3.FromTemplateWithDefaults(tmpl, map[string]string{"colour": "red"}, nil); !errors.As(err, &te) || len(te.Unknown) != 1 {
		t.Errorf("got %v", err)
	}
	// A placeholder without a default is missing.
	syn := bytes.Replace(tmpl, []byte("<P_1M>Warszawa</P_1M>"), []byte("<P_1M>#city#</P_1M>"), 1)
	if _, err := fa3.FromTemplateWithDefaults(syn, nil, nil); !errors.As(err, &te) || !slices.Equal(te.Missing, []string{"city"}) {
		t.Errorf("got %v", err)
	}
	if doc, err := fa3.FromTemplateWithDefaults(syn, map[string]string{"city": "Kraków"}, nil); err != nil || !bytes.Contains(doc, []byte("<P_1M>Kraków</P_1M>")) {
		t.Errorf("got %v", err)
	}
}

func TestTemplateValidationErrors(t *testing.T) {
	tmpl := readTemplate(t, "invoice-template-fa-3.xml")
	_, err := fa3.FromTemplate(tmpl, map[string]string{"nip": "12-34", "invoice_number": strings.Repeat("9", 300)})
	var ve *fa3.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v", err)
	}
	paths := map[string]bool{}
	for _, v := range ve.Violations {
		paths[v.Path] = true
	}
	if !paths["/Faktura/Podmiot1/DaneIdentyfikacyjne/NIP"] || !paths["/Faktura/Fa/P_2"] || len(ve.Violations) != 2 {
		t.Errorf("violations %v", ve.Violations)
	}
}

func TestTemplateEscapesValues(t *testing.T) {
	tmpl := readTemplate(t, "invoice-template-fa-3.xml")
	doc, err := fa3.FromTemplate(tmpl, map[string]string{"nip": "5265877635", "invoice_number": `A&B<1>"x"`})
	if err != nil {
		t.Fatal(err)
	}
	f, err := fa3.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if f.Fa.P_2 != `FA/GRQMB-A&B<1>"x"/05/2025` {
		t.Errorf("P_2 = %q", f.Fa.P_2)
	}
}

func TestTemplateRejectsNonTemplates(t *testing.T) {
	for _, in := range []string{"", "not xml", "<a/>", `<Faktura xmlns="urn:x"/>`, "<Faktura"} {
		if _, err := fa3.ParseTemplate([]byte(in)); err == nil {
			t.Errorf("ParseTemplate(%q) accepted", in)
		}
	}
}

// TestTemplateKSeFNumberDefault: a template built from a correction with the
// corrected invoice's KSeF number as a placeholder gets a KSeF number with a
// valid checksum for the seller NIP.
func TestTemplateKSeFNumberDefault(t *testing.T) {
	p := kinds()["kor"]
	doc, err := fa3.BuildXML(p)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := bytes.ReplaceAll(doc, []byte(p.Correction.KSeFNumber), []byte("#ksef_number#"))
	tmpl = bytes.ReplaceAll(tmpl, []byte(p.Seller.NIP), []byte("#nip#"))
	tp, err := fa3.ParseTemplate(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tp.Placeholders(), []string{"nip", "ksef_number"}) {
		t.Fatalf("placeholders %v", tp.Placeholders())
	}
	for i := range 50 {
		vals := tp.Defaults(&fa3.TemplateOptions{Rand: rand.New(rand.NewPCG(uint64(i), 0)), Now: templateNow})
		n, err := ksef.ParseKSeFNumber(vals["ksef_number"])
		if err != nil || string(n.SellerNIP()) != vals["nip"] || !n.Date().Equal(time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("ksef_number %q (nip %s): %v", vals["ksef_number"], vals["nip"], err)
		}
		if _, err := fa3.FromTemplate(tmpl, vals); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTemplateDefaultsAreUnique(t *testing.T) {
	tp, err := fa3.ParseTemplate(readTemplate(t, "invoice-template-fa-3-with-custom-Subject2.xml"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 5000 {
		v := tp.Defaults(nil)
		if v["nip"] == v["nipOdbiorca"] {
			t.Fatalf("same NIP for seller and buyer: %v", v)
		}
		if seen[v["invoice_number"]] {
			t.Fatalf("invoice number %s repeated", v["invoice_number"])
		}
		seen[v["invoice_number"]] = true
	}
}

func FuzzFromTemplate(f *testing.F) {
	f.Add([]byte(`<Faktura xmlns="`+fa3.Namespace+`">#a#</Faktura>`), "x")
	f.Add([]byte(`<?xml version="1.0"?><Faktura xmlns="`+fa3.Namespace+`"><Naglowek a="#b#"/></Faktura>`), "<&>")
	f.Fuzz(func(t *testing.T, tmpl []byte, v string) {
		tp, err := fa3.ParseTemplate(tmpl)
		if err != nil {
			return
		}
		vals := map[string]string{}
		for _, n := range tp.Placeholders() {
			vals[n] = v
		}
		doc, err := fa3.FromTemplate(tmpl, vals)
		if err != nil {
			return
		}
		if err := fa3.ValidateBytes(doc); err != nil {
			t.Fatalf("FromTemplate returned an invalid document: %v", err)
		}
	})
}

func ExampleFromTemplateWithDefaults() {
	tmpl := []byte(`<Faktura xmlns="` + fa3.Namespace + `"><Naglowek>#nip#</Naglowek></Faktura>`)
	_, err := fa3.FromTemplateWithDefaults(tmpl, map[string]string{"nip": "5265877635"}, nil)
	var ve *fa3.ValidationError
	if errors.As(err, &ve) {
		fmt.Println("invalid:", len(ve.Violations) > 0)
	}
	// Output: invalid: true
}
