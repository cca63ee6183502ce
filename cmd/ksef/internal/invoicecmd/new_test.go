package invoicecmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/fa3"
)

const descriptionYAML = `
kind: VAT
number: FV/100/2026
issueDate: "2026-02-01"
seller: {nip: "5265877635", name: Sprzedawca, addressLine1: ul. A 1}
buyer: {nip: "7773152431", name: Nabywca, addressLine1: ul. B 2}
lines:
  - {name: Usługa, unit: h, quantity: 3, unitPrice: 0.10, rate: 23}
  - {name: Towar, quantity: "1.5", unitPrice: 2, rate: 8}
payment: {dueDate: "2026-02-15", method: 6, bankAccount: "PL61109010140000071219812874"}
`

func TestInvoiceNew(t *testing.T) {
	dir := t.TempDir()
	yml := clitest.WriteTempDoc(t, dir, "inv.yaml", []byte(descriptionYAML))
	out := filepath.Join(dir, "inv.xml")
	text := mustRunDoc(t, "invoice", "new", yml, "--out", out)
	if text != "wrote "+out+" (FA (3) VAT FV/100/2026, gross 3.61)\n" {
		t.Errorf("output %q", text)
	}
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := fa3.ValidateBytes(doc); err != nil {
		t.Fatal(err)
	}
	mustRunDoc(t, "invoice", "validate", out)

	// The same description in JSON, from stdin, XML to stdout.
	var p fa3.InvoiceParams
	if err := json.Unmarshal([]byte(`{"number":"FV/100/2026","issueDate":"2026-02-01",
		"seller":{"nip":"5265877635","name":"Sprzedawca","addressLine1":"ul. A 1"},
		"buyer":{"nip":"7773152431","name":"Nabywca","addressLine1":"ul. B 2"},
		"lines":[{"name":"Usługa","unit":"h","quantity":3,"unitPrice":0.10,"rate":"23"}]}`), &p); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(p)
	xmlOut, _, err := runDoc(t, string(js), "invoice", "new", "-")
	if err != nil {
		t.Fatal(err)
	}
	f, err := fa3.Parse([]byte(xmlOut))
	if err != nil || f.Fa.P_15 != "0.37" || fa3.ValidateBytes([]byte(xmlOut)) != nil {
		t.Errorf("stdout invoice: %v %+v", err, f)
	}

	// -o json without --out carries the XML.
	jsOut := mustRunDoc(t, "invoice", "new", yml, "-o", "json")
	var res newResult
	if err := json.Unmarshal([]byte(jsOut), &res); err != nil || res.Kind != "VAT" || res.Gross != "3.61" || fa3.ValidateBytes([]byte(res.XML)) != nil {
		t.Errorf("json: %v %+v", err, res)
	}

	// Problems of the description are listed.
	bad := clitest.WriteTempDoc(t, dir, "bad.yaml", []byte(strings.Replace(strings.Replace(descriptionYAML, "5265877635", "5265877636", 1), "quantity: 3", "quantity: -3", 1)))
	_, _, err = runDoc(t, "", "invoice", "new", bad)
	if err == nil || !strings.Contains(err.Error(), bad+": cannot build the invoice:\n  seller.nip: NIP \"5265877636\" has a wrong checksum\n") ||
		!strings.Contains(err.Error(), "lines[1].quantity -3 is negative") {
		t.Errorf("err = %v", err)
	}
	typo := clitest.WriteTempDoc(t, dir, "typo.json", []byte(`{"numer": "1"}`))
	if _, _, err := runDoc(t, "", "invoice", "new", typo); err == nil || !strings.Contains(err.Error(), `unknown field "numer"`) {
		t.Errorf("err = %v", err)
	}
	typoY := clitest.WriteTempDoc(t, dir, "typo.yml", []byte("numer: 1\n"))
	if _, _, err := runDoc(t, "", "invoice", "new", typoY); err == nil || !strings.Contains(err.Error(), "field numer not found") {
		t.Errorf("err = %v", err)
	}
	if _, _, err := runDoc(t, "", "invoice", "new"); err == nil {
		t.Error("no error without input")
	}
}

func TestInvoiceNewFromTemplate(t *testing.T) {
	dir := t.TempDir()
	tmpl := clitest.WriteTempDoc(t, dir, "t.xml", clitest.SpecTemplate(t, "invoice-template-fa-3.xml"))
	out := filepath.Join(dir, "inv.xml")
	mustRunDoc(t, "invoice", "new", "--template", tmpl, "--set", "invoice_number=77", "--out", out)
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	f, err := fa3.Parse(doc)
	if err != nil || f.Fa.P_2 != "FA/GRQMB-77/05/2025" || fa3.ValidateBytes(doc) != nil {
		t.Errorf("%v %s", err, f.Fa.P_2)
	}
	_, _, err = runDoc(t, "", "invoice", "new", "--template", tmpl, "--no-defaults", "--set", "nip=5265877635")
	if err == nil || !strings.Contains(err.Error(), "no value for placeholder #invoice_number#") {
		t.Errorf("err = %v", err)
	}
	_, _, err = runDoc(t, "", "invoice", "new", "--template", tmpl, "--set", "nip=12")
	if err == nil || !strings.Contains(err.Error(), "is not valid FA(3)") || !strings.Contains(err.Error(), "/Faktura/Podmiot1/DaneIdentyfikacyjne/NIP") {
		t.Errorf("err = %v", err)
	}
}

// FuzzDecodeParams: descriptions from files never crash the decoder, and
// whatever decodes either builds a valid invoice or fails with an error.
func FuzzDecodeParams(f *testing.F) {
	f.Add("d.yaml", []byte(descriptionYAML))
	f.Add("d.json", []byte(`{"number":"1","lines":[{"quantity":1}]}`))
	f.Add("d", []byte("{]"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		p, err := decodeParams(name, data)
		if err != nil {
			return
		}
		doc, err := fa3.BuildXML(*p)
		if err == nil && fa3.ValidateBytes(doc) != nil {
			t.Fatal("invalid document built")
		}
	})
}

// TestInvoiceNewExamples builds the example descriptions of every kind
// shipped with package fa3 and validates the results with the CLI.
func TestInvoiceNewExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "fa3", "testdata", "builder", "*.yaml"))
	if err != nil || len(files) < 5 {
		t.Fatalf("examples: %v %v", files, err)
	}
	dir := t.TempDir()
	var outs []string
	for _, f := range files {
		out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(f), ".yaml")+".xml")
		text := mustRunDoc(t, "invoice", "new", f, "--out", out)
		kind := strings.ToUpper(strings.TrimSuffix(filepath.Base(f), ".yaml"))
		if !strings.Contains(text, "(FA (3) "+kind+" ") {
			t.Errorf("%s: %q", f, text)
		}
		outs = append(outs, out)
	}
	res := mustRunDoc(t, append([]string{"invoice", "validate"}, outs...)...)
	if strings.Count(res, ": valid FA (3)\n") != len(outs) {
		t.Errorf("validate:\n%s", res)
	}
}
