package invoicecmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/cmd/ksef/internal/qrcmd"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

// areas are the command areas the invoice tests run: invoice, and qr for
// the verification link.
var areas = []cli.Area{New, qrcmd.New}

// runDoc runs a ksef command line in-process with the given stdin and
// returns stdout, stderr and the error main would print.
func runDoc(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	return clitest.Doc(t, areas, stdin, args...)
}

func mustRunDoc(t *testing.T, args ...string) string {
	t.Helper()
	return clitest.MustDoc(t, areas, args...)
}

var violationLine = regexp.MustCompile(`^(.+):(\d+):(\d+): (/\S*): (.+)$`)

func TestInvoiceValidate(t *testing.T) {
	dir := t.TempDir()
	good := clitest.WriteTempDoc(t, dir, "good.xml", clitest.BuiltTestInvoice(t))
	fa2 := clitest.WriteTempDoc(t, dir, "fa2.xml", xsdtest.Fill(t, clitest.SpecTemplate(t, "invoice-template-fa-2.xml")))
	rr := clitest.WriteTempDoc(t, dir, "rr.xml", xsdtest.Fill(t, clitest.SpecTemplate(t, "invoice-template-fa-rr-1.xml")))
	badDoc := bytes.Replace(clitest.BuiltTestInvoice(t), []byte("<P_2>FV/7/2026</P_2>"), []byte("<P_2></P_2><P_2x/>"), 1)
	bad := clitest.WriteTempDoc(t, dir, "bad.xml", badDoc)
	other := clitest.WriteTempDoc(t, dir, "other.xml", []byte(`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>`))
	missing := filepath.Join(dir, "missing.xml")

	// All valid: success, one line per file naming the form.
	out := mustRunDoc(t, "invoice", "validate", good, fa2, rr)
	for _, want := range []string{good + ": valid FA (3)", fa2 + ": valid FA (2)", rr + ": valid FA_RR (1)"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Invalid files: an error (exit status 1) and one line per violation.
	out, _, err := runDoc(t, "", "invoice", "validate", good, bad, other, missing)
	if err == nil || err.Error() != "3 of 4 files invalid" {
		t.Fatalf("err = %v", err)
	}
	want := fa3.ValidateBytes(badDoc)
	var ve *fa3.ValidationError
	if !errors.As(want, &ve) || len(ve.Violations) == 0 {
		t.Fatalf("the broken invoice is valid: %v", want)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if m := violationLine.FindStringSubmatch(l); m != nil && m[1] == bad {
			got = append(got, fmt.Sprintf("%s:%s: %s: %s", m[2], m[3], m[4], m[5]))
		}
	}
	if len(got) != len(ve.Violations) {
		t.Fatalf("printed %d violations of %s, want %d:\n%s", len(got), bad, len(ve.Violations), out)
	}
	for i, v := range ve.Violations {
		if w := fmt.Sprintf("%d:%d: %s: %s", v.Line, v.Column, v.Path, v.Message); got[i] != w {
			t.Errorf("violation %d printed as %q, want %q", i, got[i], w)
		}
	}
	if !strings.Contains(out, other+": unknown document: root element {urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice") {
		t.Errorf("no message for the non-invoice:\n%s", out)
	}
	if !strings.Contains(out, missing+": ") || !strings.Contains(out, "no such file") {
		t.Errorf("no message for the missing file:\n%s", out)
	}
	if strings.Count(out, missing) != 1 {
		t.Errorf("the missing file's name is printed more than once:\n%s", out)
	}

	// JSON.
	out, _, err = runDoc(t, "", "invoice", "validate", "-o", "json", good, bad)
	if err == nil {
		t.Fatal("no error for an invalid file")
	}
	var res []validateResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res) != 2 || !res[0].Valid || res[0].Form != "FA (3)" || res[1].Valid || len(res[1].Violations) != len(ve.Violations) ||
		res[1].Violations[0].Line != ve.Violations[0].Line || res[1].Violations[0].Path != ve.Violations[0].Path {
		t.Errorf("json: %+v", res)
	}

	// Stdin.
	out, _, err = runDoc(t, string(clitest.BuiltTestInvoice(t)), "invoice", "validate", "-")
	if err != nil || out != "-: valid FA (3)\n" {
		t.Errorf("stdin: %q, %v", out, err)
	}
	if _, _, err := runDoc(t, "", "invoice", "validate"); err == nil {
		t.Error("no error without files")
	}

	// An invoice description given by mistake points to invoice new.
	desc := filepath.Join(t.TempDir(), "vat.yaml")
	if err := os.WriteFile(desc, []byte(descriptionYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err = runDoc(t, "", "invoice", "validate", desc)
	if err == nil || !strings.Contains(out, "`ksef invoice new "+desc+" --out FILE.xml`") {
		t.Errorf("validate on a YAML description: %v\n%s", err, out)
	}
}

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

func TestInvoiceRender(t *testing.T) {
	dir := t.TempDir()
	in := clitest.WriteTempDoc(t, dir, "inv.xml", clitest.BuiltTestInvoice(t))
	html := filepath.Join(dir, "inv.html")
	out := mustRunDoc(t, "invoice", "render", in, "--out", html, "--ksef-number", "5265877635-20260115-0123456789AB-CE")
	if !strings.HasPrefix(out, "wrote "+html+" (HTML, ") {
		t.Errorf("output %q", out)
	}
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	link := strings.TrimSpace(mustRunDoc(t, "qr", in))
	link = strings.SplitN(link, "\n", 2)[0]
	for _, want := range []string{"FV/7/2026", "Konsultacje", "5265877635-20260115-0123456789AB-CE"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if !bytes.Contains(b, []byte(strings.ReplaceAll(link, "&", "&amp;"))) {
		t.Errorf("HTML lacks the verification link %s", link)
	}

	pdf := filepath.Join(dir, "inv.pdf")
	js := mustRunDoc(t, "invoice", "render", in, pdf, "-o", "json")
	var res renderResult
	if err := json.Unmarshal([]byte(js), &res); err != nil || res.Format != "pdf" || res.VerificationLink != link {
		t.Errorf("json %v %+v", err, res)
	}
	b, err = os.ReadFile(pdf)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) || res.Bytes != len(b) {
		t.Fatalf("pdf: %v, %d bytes", err, len(b))
	}
	pdftotext := testenv.RequireTool(t, "pdftotext")
	text, err := exec.Command(pdftotext, "-enc", "UTF-8", pdf, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FV/7/2026", "Konsultacje", "OFFLINE"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}

	for args, want := range map[string]string{
		in:                                     "no output file: give --out FILE.pdf",
		in + " x.txt":                          "use the extension .pdf or .html",
		in + " a.pdf --out b.pdf":              "output file given twice",
		in + " a.pdf --ksef-number 5265877635": "not a KSeF number",
		filepath.Join(dir, "none.xml") + " a.pdf": "no such file",
	} {
		_, _, err := runDoc(t, "", append([]string{"invoice", "render"}, strings.Fields(args)...)...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("render %s: err %v, want %q", args, err, want)
		}
	}
}

// TestInvoiceRenderOutputFlag: -o is the report format only. A file name
// given to -o (the old form "ksef invoice render FILE -o out.pdf") is an
// error that says to use --out FILE, and writes nothing; other commands
// reject anything but text and json as well.
func TestInvoiceRenderOutputFlag(t *testing.T) {
	dir := t.TempDir()
	in := clitest.WriteTempDoc(t, dir, "inv.xml", clitest.BuiltTestInvoice(t))

	for _, args := range [][]string{
		{in, "-o", filepath.Join(dir, "o.pdf")},
		{"-o", filepath.Join(dir, "o.HTML"), in},                             // the flag before the file
		{in, filepath.Join(dir, "a.pdf"), "-o", filepath.Join(dir, "b.pdf")}, // an output file given as well
		{in, "-o", "foo.txt"},
		{in, "-o", "yaml"},
	} {
		o := args[slices.Index(args, "-o")+1]
		_, _, err := runDoc(t, "", append([]string{"invoice", "render"}, args...)...)
		want := fmt.Sprintf("unknown output format %q (want text or json; -o is the output format only: to write a file, use --out FILE)", o)
		if err == nil || err.Error() != want {
			t.Errorf("render %v: err %v, want %q", args, err, want)
		}
		if _, err := os.Stat(o); err == nil {
			t.Errorf("render %v wrote %s", args, o)
		}
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 1 {
		t.Errorf("refused -o values left files: %v %v", ents, err)
	}

	// --out writes the file, before or after the input; upper-case
	// extensions count.
	pdf := filepath.Join(dir, "o.pdf")
	out := mustRunDoc(t, "invoice", "render", in, "--out", pdf)
	if !strings.HasPrefix(out, "wrote "+pdf+" (PDF, ") {
		t.Errorf("--out %s: output %q", pdf, out)
	}
	if b, err := os.ReadFile(pdf); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("--out %s: %v, %.8q", pdf, err, b)
	}
	html := filepath.Join(dir, "o.HTML")
	out = mustRunDoc(t, "invoice", "render", "--out", html, in)
	if !strings.HasPrefix(out, "wrote "+html+" (HTML, ") {
		t.Errorf("--out %s: output %q", html, out)
	}
	if b, err := os.ReadFile(html); err != nil || !bytes.Contains(b, []byte("FV/7/2026")) || !bytes.Contains(b, []byte("<html")) {
		t.Errorf("--out %s: %v, %d bytes", html, err, len(b))
	}

	// -o json is the report format.
	pdf2 := filepath.Join(dir, "j.pdf")
	js := mustRunDoc(t, "invoice", "render", in, "--out", pdf2, "-o", "json")
	var res renderResult
	if err := json.Unmarshal([]byte(js), &res); err != nil || res.Out != pdf2 || res.Format != "pdf" || res.Bytes == 0 {
		t.Errorf("-o json: %v %+v\n%s", err, res, js)
	}
	if _, err := os.Stat(filepath.Join(dir, "json")); err == nil {
		t.Error("-o json wrote a file named json")
	}
	if out := mustRunDoc(t, "invoice", "render", in, pdf2, "-o", "text"); !strings.HasPrefix(out, "wrote "+pdf2) {
		t.Errorf("-o text: %q", out)
	}

	for args, want := range map[string]string{
		in + " b.html --out a.pdf":                      "output file given twice",
		"--out " + filepath.Join(dir, "x.pdf"):          "accepts between 1 and 2 arg(s)",
		filepath.Join(dir, "none.xml") + " --out a.pdf": "no such file",
	} {
		_, _, err := runDoc(t, "", append([]string{"invoice", "render"}, strings.Fields(args)...)...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("render %s: err %v, want %q", args, err, want)
		}
	}
	if _, _, err := runDoc(t, "", "invoice", "render", in, filepath.Join(dir, "e.pdf"), "-o", ""); err == nil || !strings.Contains(err.Error(), `unknown output format ""`) {
		t.Errorf(`-o "": err %v`, err)
	}
	// invoice new writes its file with --out too; commands that write no
	// file reject file names without pointing to --out.
	if _, _, err := runDoc(t, "", "invoice", "new", "--template", in, "-o", "x.xml"); err == nil || !strings.Contains(err.Error(), "use --out FILE") {
		t.Errorf("invoice new -o x.xml: err %v", err)
	}
	for _, args := range [][]string{{"invoice", "validate", in, "-o", "x.pdf"}, {"qr", in, "-o", "x.html"}} {
		if _, _, err := runDoc(t, "", args...); err == nil || !strings.Contains(err.Error(), "unknown output format") || strings.Contains(err.Error(), "--out") {
			t.Errorf("%v: err %v", args, err)
		}
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

// TestInvoiceValidateOtherEncoding: a document declaring another encoding
// is recognised and gets the validator's message about the encoding, not
// a decoder error.
func TestInvoiceValidateOtherEncoding(t *testing.T) {
	doc := bytes.Replace(clitest.BuiltTestInvoice(t), []byte(`encoding="UTF-8"`), []byte(`encoding="windows-1250"`), 1)
	if !bytes.Contains(doc, []byte("windows-1250")) {
		t.Fatal("the test invoice has no encoding declaration")
	}
	in := clitest.WriteTempDoc(t, t.TempDir(), "cp.xml", doc)
	out, _, err := runDoc(t, "", "invoice", "validate", in)
	if err == nil || !strings.Contains(out, in+":1:") || !strings.Contains(out, `encoding "windows-1250"`) {
		t.Errorf("err %v, output:\n%s", err, out)
	}
}
