package visual_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/checksum"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/internal/xsd/xsdtest"
	"github.com/ksef2/ksef/qr"
	"github.com/ksef2/ksef/visual"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	if strings.HasSuffix(name, ".pdf") {
		t.Errorf("%s differs from the golden file (%d vs %d bytes); inspect with pdftoppm and rerun with -update", name, len(got), len(want))
		return
	}
	t.Errorf("%s differs from the golden file (-want +got):\n%s", name,
		cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")))
}

// invoiceCase is an invoice document to render.
type invoiceCase struct {
	name string
	xml  []byte
}

// ownInvoices are the invoices in testdata (always available).
func ownInvoices(t *testing.T) []invoiceCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test invoices: %v", err)
	}
	var cases []invoiceCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, invoiceCase{filepath.Base(f), data})
	}
	return cases
}

// templateValues fill the placeholders of the official invoice templates.
var templateValues = strings.NewReplacer(
	"#nip#", "7270021375",
	"#nipOdbiorca#", "5252259852",
	"#selfInvocingNip#", "9512345675",
	"#invoice_number#", "2026/17",
	"#invoicing_date#", "2026-02-10",
)

// specInvoices are the official filled samples and the FA templates with
// their placeholders filled in.
func specInvoices(t *testing.T) []invoiceCase {
	t.Helper()
	dir := testenv.SpecFile(t, "samples/invoices")
	var cases []invoiceCase
	for _, sub := range []string{"filled", "templates"} {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*.xml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if sub == "templates" {
				data = []byte(templateValues.Replace(string(data)))
			}
			if !bytes.Contains(data, []byte(visual.NamespaceFA3)) && !bytes.Contains(data, []byte(visual.NamespaceFA2)) {
				continue // PEF (UBL) and FA_RR templates are other formats
			}
			cases = append(cases, invoiceCase{sub + "/" + filepath.Base(f), data})
		}
	}
	if len(cases) < 3 {
		t.Fatalf("only %d FA sample invoices found under %s", len(cases), dir)
	}
	return cases
}

// expectation is what the rendered invoice must show, read from the XML
// with an independent XML library.
type expectation struct {
	number, sellerNIP, buyerNIP, gross, currency string
	names                                        []string
}

func expect(t *testing.T, data []byte) expectation {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	text := func(path string) string {
		if e := root.FindElement(path); e != nil {
			return strings.Join(strings.Fields(e.Text()), " ")
		}
		return ""
	}
	e := expectation{
		number:    text("Fa/P_2"),
		sellerNIP: text("Podmiot1/DaneIdentyfikacyjne/NIP"),
		buyerNIP:  text("Podmiot2/DaneIdentyfikacyjne/NIP"),
		gross:     text("Fa/P_15"),
		currency:  text("Fa/KodWaluty"),
	}
	for _, l := range root.FindElements("Fa/FaWiersz/P_7") {
		e.names = append(e.names, strings.Join(strings.Fields(l.Text()), " "))
	}
	for _, l := range root.FindElements("Fa/Zamowienie/ZamowienieWiersz/P_7Z") {
		e.names = append(e.names, strings.Join(strings.Fields(l.Text()), " "))
	}
	if e.number == "" || e.sellerNIP == "" || e.gross == "" || len(e.names) == 0 {
		t.Fatalf("incomplete sample: %+v", e)
	}
	return e
}

// pdfText extracts the text of a PDF with poppler's pdftotext, in content
// order, with whitespace runs collapsed. Pages are separated by "\f".
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin := testenv.RequireTool(t, "pdftotext")
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-raw", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages := strings.Split(string(out), "\f")
	for i, p := range pages {
		pages[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(pages, "\f")
}

// totalRE matches the total: "RAZEM DO ZAPŁATY", or "DO ZWROTU" with the
// amount without its minus when the total is negative.
var totalRE = regexp.MustCompile(`(RAZEM DO ZAPŁATY|DO ZWROTU) (-?\d{1,3}(?: \d{3})*,\d{2}) ([A-Z]{3})`)

// checkInvoicePDF asserts the facts the issue requires on a rendered invoice.
func checkInvoicePDF(t *testing.T, pdf []byte, e expectation) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 16)])
	}
	text := strings.ReplaceAll(pdfText(t, pdf), "\f", " ")
	for _, want := range []string{e.number, "NIP: " + e.sellerNIP} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if e.buyerNIP != "" && !strings.Contains(text, "NIP: "+e.buyerNIP) {
		t.Errorf("PDF text lacks buyer NIP %q", e.buyerNIP)
	}
	for i, name := range e.names {
		if !strings.Contains(text, name) {
			t.Errorf("PDF text lacks the name of line %d: %q", i+1, name)
		}
	}
	m := totalRE.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("PDF text has no amount due:\n%s", text)
	}
	got := strings.ReplaceAll(strings.ReplaceAll(m[2], " ", ""), ",", ".")
	if m[1] == "DO ZWROTU" {
		got = "-" + got
	}
	if want := twoDecimals(e.gross); got != want || strings.HasPrefix(m[2], "-") {
		t.Errorf("total printed as %q %q (%s), want P_15 = %s", m[1], m[2], got, want)
	}
	if e.currency != "" && m[3] != e.currency {
		t.Errorf("currency printed as %q, want %q", m[3], e.currency)
	}
}

// twoDecimals writes a plain decimal with exactly two fraction digits
// (padding only; the samples never carry more than two).
func twoDecimals(s string) string {
	i, f, _ := strings.Cut(s, ".")
	if i == "" {
		i = "0"
	}
	return i + "." + (f + "00")[:2]
}

func renderPDF(t *testing.T, inv *visual.Invoice) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := visual.RenderInvoicePDF(&buf, inv); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestInvoicePDFText(t *testing.T) {
	testenv.SkipShort(t, "pdftotext over every rendered invoice")
	cases := ownInvoices(t)
	if testenv.InCI() || exists(testenv.SpecDirPath()) {
		cases = append(cases, specInvoices(t)...)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := expect(t, c.xml)
			inv, err := visual.FromFA3(c.xml)
			if err != nil {
				t.Fatal(err)
			}
			checkInvoicePDF(t, renderPDF(t, inv), e)
		})
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestOwnInvoiceDiacritics pins the Polish line names of the test invoice,
// so that a font without Polish glyphs (or a lossy text encoding) fails.
func TestOwnInvoiceDiacritics(t *testing.T) {
	inv, _ := readInvoice(t, "faktura-pelna.xml")
	text := pdfText(t, renderPDF(t, inv))
	for _, want := range []string{
		"Usługa księgowa – żółć",
		"Książka „Ćwiczenia z rachunkowości” – wydanie ÓSME",
		"Przedsiębiorstwo Handlowo-Usługowe „Łąka” S.A.",
		"90-001 Łódź",
		"Sprzedawca", "Nabywca", "Lp.", "Nazwa towaru lub usługi", "Ilość", "J.m.", "Cena jedn. netto",
		"Wartość netto", "Stawka VAT", "Data wystawienia",
		"mechanizm podzielonej płatności",
		"61 1090 1014 0000 0712 1981 2874",
		"Słownie: dziesięć tysięcy czterysta sześćdziesiąt jeden złotych 29/100",
	} {
		if !strings.Contains(strings.ReplaceAll(text, "\f", " "), want) &&
			!strings.Contains(strings.ToLower(text), strings.ToLower(want)) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
}

func TestFromFA3(t *testing.T) {
	inv, data := readInvoice(t, "faktura-pelna.xml")
	e := expect(t, data)
	if inv.Number != e.number || inv.Seller.NIP != e.sellerNIP || inv.Buyer.NIP != e.buyerNIP || inv.Totals.Gross != e.gross {
		t.Errorf("header = %q %q %q %q, want %+v", inv.Number, inv.Seller.NIP, inv.Buyer.NIP, inv.Totals.Gross, e)
	}
	if len(inv.Lines) != len(e.names) {
		t.Fatalf("%d lines, want %d", len(inv.Lines), len(e.names))
	}
	for i, l := range inv.Lines {
		if l.Name != e.names[i] {
			t.Errorf("line %d name %q, want %q", i+1, l.Name, e.names[i])
		}
	}
	if inv.Title != "Faktura VAT" || inv.FormCode != "FA (3)" || inv.Currency != "PLN" {
		t.Errorf("title/form/currency = %q %q %q", inv.Title, inv.FormCode, inv.Currency)
	}
	// The per-rate rows must add up to P_15: a check on both the sample and
	// the decimal arithmetic.
	var rates []string
	for _, r := range inv.VATSummary {
		rates = append(rates, r.Rate)
	}
	if diff := cmp.Diff([]string{"23%", "8%", "5%", "zw"}, rates); diff != "" {
		t.Errorf("VAT summary rates (-want +got):\n%s", diff)
	}
	if inv.Totals.Net != "8852.20" || inv.Totals.VAT != "1609.09" {
		t.Errorf("totals = %+v", inv.Totals)
	}
	sum := "0"
	for _, r := range inv.VATSummary {
		sum = visual.AddDecimalsForTest(sum, r.Gross)
	}
	if sum != inv.Totals.Gross {
		t.Errorf("sum of per-rate gross %s != P_15 %s", sum, inv.Totals.Gross)
	}
	if len(inv.ThirdParties) != 1 || inv.ThirdParties[0].Role != "Odbiorca" || inv.ThirdParties[0].NIP != "9512345675" {
		t.Errorf("third parties = %+v", inv.ThirdParties)
	}
	if diff := cmp.Diff([]string{"mechanizm podzielonej płatności",
		"zwolnienie z podatku VAT – podstawa: art. 43 ust. 1 pkt 29 lit. c ustawy o VAT"}, inv.Annotations); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	p := inv.Payment
	if p == nil || p.Method != "Przelew" || len(p.DueDates) != 1 || p.DueDates[0] != "2026-02-24" ||
		len(p.BankAccounts) != 1 || p.BankAccounts[0].Number != "61109010140000071219812874" {
		t.Errorf("payment = %+v", p)
	}
	if len(inv.Footer.Registries) != 2 || inv.Footer.Registries[0] != (visual.KeyValue{Key: "KRS", Value: "0000123456"}) {
		t.Errorf("footer = %+v", inv.Footer)
	}
	if len(inv.Orders) != 1 || inv.Orders[0].Number != "ZAM/7/2026" {
		t.Errorf("orders = %+v", inv.Orders)
	}
}

func TestFromFA3Rejects(t *testing.T) {
	for name, doc := range map[string]string{
		"UPO":             `<Potwierdzenie xmlns="http://upo.schematy.mf.gov.pl/KSeF/v4-3"/>`,
		"FA_RR":           `<Faktura xmlns="http://crd.gov.pl/wzor/2026/03/06/14189/"/>`,
		"no namespace":    `<Faktura/>`,
		"UBL":             `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>`,
		"not well-formed": `<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"><Fa>`,
	} {
		_, err := visual.FromFA3([]byte(doc))
		if err == nil {
			t.Errorf("%s: FromFA3 accepted %s", name, doc)
			continue
		}
		if name != "not well-formed" && !errors.Is(err, visual.ErrNotInvoice) {
			t.Errorf("%s: error %v is not ErrNotInvoice", name, err)
		}
		if !strings.HasPrefix(err.Error(), "visual: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
}

// withQR sets a KSeF number and both QR links of the invoice file data,
// as for an offline invoice that KSeF accepted later: KOD I is computed
// from the file, its seller NIP and issue date, the KSeF number carries
// the seller NIP and a correct CRC-8, and KOD II has the real structure
// (context, seller, certificate serial, hash) with a stand-in signature
// (a real one would make the golden files random).
func withQR(t testing.TB, inv *visual.Invoice, data []byte) *visual.Invoice {
	t.Helper()
	issued, err := time.Parse(time.DateOnly, inv.IssueDate)
	if err != nil {
		t.Fatal(err)
	}
	kod1, err := qr.NewInvoiceLink(qr.TestHost, inv.Seller.NIP, issued, data)
	if err != nil {
		t.Fatal(err)
	}
	kod2 := &qr.CertificateLink{Host: qr.TestHost, ContextType: ident.TypeNip, ContextValue: inv.Seller.NIP,
		SellerNIP: inv.Seller.NIP, CertSerial: "01F20A5D352AE590", Hash: kod1.Hash,
		Signature: []byte("stand-in for the signature by the offline certificate")}
	body := inv.Seller.NIP + "-" + issued.AddDate(0, 0, 2).Format("20060102") + "-0100A1B2C3D4"
	inv.KSeFNumber = body + "-" + checksum.CRC8Hex(body)
	inv.VerificationLink = kod1.String()
	inv.CertificateLink = kod2.String()
	return inv
}

func ownInvoice(t testing.TB) *visual.Invoice {
	t.Helper()
	inv, data := readInvoice(t, "faktura-pelna.xml")
	return withQR(t, inv, data)
}

// readInvoice reads a test invoice of testdata and returns its model and
// its XML.
func readInvoice(t testing.TB, name string) (*visual.Invoice, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := visual.FromFA3(data)
	if err != nil {
		t.Fatal(err)
	}
	return inv, data
}

func TestInvoicePDFDeterministic(t *testing.T) {
	a := renderPDF(t, ownInvoice(t))
	b := renderPDF(t, ownInvoice(t))
	if !bytes.Equal(a, b) {
		t.Fatal("two renders of the same invoice differ")
	}
	for _, clock := range []string{"CreationDate", "ModDate"} {
		if bytes.Contains(a, []byte(clock)) {
			t.Errorf("PDF carries a %s", clock)
		}
	}
	golden(t, "faktura-pelna.pdf", a)
}

func TestInvoiceHTMLGolden(t *testing.T) {
	var buf bytes.Buffer
	for _, c := range ownInvoices(t) {
		inv, err := visual.FromFA3(c.xml)
		if err != nil {
			t.Fatal(err)
		}
		switch c.name {
		case "faktura-pelna.xml":
			withQR(t, inv, c.xml)
		case "faktura-zaliczkowa.xml": // issued offline, not yet in KSeF
			withQR(t, inv, c.xml).KSeFNumber = ""
		}
		buf.Reset()
		if err := visual.RenderInvoiceHTML(&buf, inv); err != nil {
			t.Fatal(err)
		}
		golden(t, strings.TrimSuffix(c.name, ".xml")+".html", buf.Bytes())
		if c.name == "faktura-zaliczkowa.xml" {
			pdf := renderPDF(t, inv)
			golden(t, "faktura-zaliczkowa.pdf", pdf)
			text := pdfText(t, pdf)
			for _, want := range []string{"Faktura zaliczkowa", "ZAMÓWIENIE – WARTOŚĆ ZAMÓWIENIA 12 300,00 PLN",
				"Szafa dębowa przesuwna 240 × 260 cm, fronty z lustrem", "OFFLINE", "CERTYFIKAT", "Zapłacono dnia 2026-04-14"} {
				if !strings.Contains(text, want) {
					t.Errorf("advance invoice PDF lacks %q", want)
				}
			}
		}
	}

	for _, c := range specInvoices(t) {
		if !strings.HasPrefix(c.name, "filled/") {
			continue
		}
		inv, err := visual.FromFA3(c.xml)
		if err != nil {
			t.Fatal(err)
		}
		buf.Reset()
		if err := visual.RenderInvoiceHTML(&buf, inv); err != nil {
			t.Fatal(err)
		}
		golden(t, strings.TrimSuffix(filepath.Base(c.name), ".xml")+".html", buf.Bytes())
	}
}

func TestInvoiceHTMLContent(t *testing.T) {
	inv := ownInvoice(t)
	inv.Lines[0].Name = `<script>alert("x")</script> & żółć`
	var buf bytes.Buffer
	if err := visual.RenderInvoiceHTML(&buf, inv); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if strings.Contains(html, "<script>") {
		t.Error("line name is not escaped")
	}
	for _, want := range []string{
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; żółć",
		"FV/2026/02/0017", "7270021375", "5252259852", "10 461,29 PLN",
		"<figcaption><strong>" + inv.KSeFNumber + "</strong>",
		"<figcaption><strong>CERTYFIKAT</strong>",
		`<svg xmlns="http://www.w3.org/2000/svg"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, external := range []string{"<link", "src=\"http", "@import", "url("} {
		if strings.Contains(html, external) {
			t.Errorf("HTML is not self-contained: has %q", external)
		}
	}
	// Without a KSeF number KOD I is labelled OFFLINE.
	inv.KSeFNumber = ""
	buf.Reset()
	if err := visual.RenderInvoiceHTML(&buf, inv); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "<figcaption><strong>OFFLINE</strong>") {
		t.Error("KOD I of an invoice without KSeF number is not labelled OFFLINE")
	}
}

// manyLines builds an invoice long enough for several pages.
func manyLines(n int) *visual.Invoice {
	inv := &visual.Invoice{
		Title: "Faktura VAT", Number: "FV/2026/LONG/1", IssueDate: "2026-02-10", Currency: "PLN",
		Seller: visual.Party{Name: "Sprzedawca Sp. z o.o.", NIP: "7270021375", Address: []string{"ul. Długa 1", "00-001 Warszawa"}},
		Buyer:  visual.Party{Name: "Nabywca S.A.", NIP: "5252259852", Address: []string{"ul. Krótka 2", "30-001 Kraków"}},
	}
	for i := 1; i <= n; i++ {
		inv.Lines = append(inv.Lines, visual.Line{
			No: fmt.Sprint(i), Name: fmt.Sprintf("Pozycja nr %d – usługa księgowa żółć", i),
			Unit: "szt.", Quantity: "1", UnitNetPrice: "10.00", Net: "10.00", VATRate: "23%",
		})
	}
	net := fmt.Sprintf("%d.00", 10*n)
	vat := fmt.Sprintf("%d.%02d", 23*n/10, (23*n%10)*10)
	gross := visual.AddDecimalsForTest(net, vat)
	inv.VATSummary = []visual.VATRow{{Rate: "23%", Net: net, VAT: vat, Gross: gross}}
	inv.Totals = visual.Totals{Net: net, VAT: vat, Gross: gross}
	inv.VerificationLink = "https://qr-test.ksef.mf.gov.pl/invoice/7270021375/10-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"
	return inv
}

func TestInvoicePDFMultiPage(t *testing.T) {
	inv := manyLines(150)
	pdf := renderPDF(t, inv)
	pages := strings.Split(pdfText(t, pdf), "\f")
	if pages[len(pages)-1] == "" {
		pages = pages[:len(pages)-1]
	}
	if len(pages) < 3 {
		t.Fatalf("150 lines fit on %d pages", len(pages))
	}
	for i, p := range pages {
		if want := fmt.Sprintf("Strona %d z %d", i+1, len(pages)); !strings.Contains(p, want) {
			t.Errorf("page %d lacks %q", i+1, want)
		}
		if strings.Contains(p, "Pozycja nr") && !strings.Contains(p, "Lp. Nazwa towaru lub usługi") {
			t.Errorf("page %d has lines but no table header", i+1)
		}
		if !strings.Contains(p, inv.Number) {
			t.Errorf("page %d lacks the invoice number", i+1)
		}
	}
	all := strings.Join(pages, " ")
	for i := 1; i <= 150; i++ {
		if name := fmt.Sprintf("Pozycja nr %d – usługa księgowa żółć", i); !strings.Contains(all, name) {
			t.Errorf("line %d missing", i)
		}
	}
	if !strings.Contains(all, "OFFLINE") {
		t.Error("KOD I without KSeF number is not labelled OFFLINE")
	}
}

func TestInvoicePDFLongWordsAndMissingGlyphs(t *testing.T) {
	inv := manyLines(3)
	inv.Lines[0].Name = strings.Repeat("Bardzodługiesłowobezspacji", 12)
	inv.Lines[1].Name = "Emoji 😀 i chiński 汉字 w nazwie"
	// Far beyond the 512 characters FA(3) allows: the row must continue on
	// the next pages rather than run off the page.
	var huge []string
	for i := range 1500 {
		huge = append(huge, fmt.Sprintf("słowo%d", i))
	}
	inv.Lines[2].Name = strings.Join(huge, " ")
	pdf := renderPDF(t, inv)
	text := pdfText(t, pdf)
	if n := strings.Count(text, "\f"); n < 3 {
		t.Errorf("a 1500-word line fits on %d pages", n)
	}
	if !strings.Contains(strings.ReplaceAll(text, "\f", " "), "słowo0 słowo1 ") || !strings.Contains(text, "słowo1499") {
		t.Error("words of a very long line are missing")
	}
	if !strings.Contains(strings.ReplaceAll(text, " ", ""), inv.Lines[0].Name) {
		t.Error("a word wider than the column was lost")
	}
	if !strings.Contains(text, "Emoji ? i chiński ?? w nazwie") {
		t.Errorf("characters without glyphs are not replaced by '?':\n%s", text)
	}
}

// TestInvoiceQRCodesReadable decodes the QR codes of the rendered PDF with
// zbarimg, an independent decoder.
func TestInvoiceQRCodesReadable(t *testing.T) {
	testenv.SkipShort(t, "pdftoppm + zbarimg over the rendered invoice")
	testenv.RequireTool(t, "zbarimg")
	pdftoppm := testenv.RequireTool(t, "pdftoppm")
	inv := ownInvoice(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "inv.pdf")
	if err := os.WriteFile(path, renderPDF(t, inv), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(pdftoppm, "-png", "-r", "150", path, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	found := map[string]bool{}
	for _, png := range pngs {
		out, _ := testenv.Zbarimg(t, png) // exit 4 = no symbol on the page
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			found[l] = true
		}
	}
	for _, link := range []string{inv.VerificationLink, inv.CertificateLink} {
		if !found[link] {
			t.Errorf("zbarimg did not read %s from the PDF (read %v)", link, found)
		}
	}
}

func TestTestdataIsValidFA3(t *testing.T) {
	var cases []xsdtest.Case
	for _, c := range ownInvoices(t) {
		cases = append(cases, xsdtest.Case{Name: c.name, Doc: c.xml})
	}
	verdicts, _ := xsdtest.Xmllint(t, "xsd/FA/schemat_FA(3)_v1-0E.xsd", cases)
	for i, v := range verdicts {
		if !v.Valid {
			t.Errorf("%s: xmllint:\n%s", cases[i].Name, v.Output)
		}
	}
}

func TestCorrectionInvoice(t *testing.T) {
	inv, _ := readInvoice(t, "faktura-korygujaca-eur.xml")
	if inv.Title != "Faktura korygująca" || inv.Correction == nil || len(inv.Correction.Invoices) != 1 ||
		inv.Correction.Invoices[0].KSeFNumber != "6771234561-20260227-010000ABCDEF-1A" {
		t.Fatalf("correction = %q %+v", inv.Title, inv.Correction)
	}
	if !inv.Lines[0].Before || inv.Lines[1].Before {
		t.Error("StanPrzed not mapped")
	}
	if inv.VATSummary[0].VATPLN != "-98.12" || inv.VATSummary[0].Gross != "-123.00" {
		t.Errorf("VAT summary = %+v", inv.VATSummary)
	}
	text := pdfText(t, renderPDF(t, inv))
	for _, want := range []string{
		"Faktura korygująca", "KOR/2026/03/001", "Obniżenie stawki godzinowej zgodnie z aneksem nr 2 do umowy",
		"FV/2026/02/044 z dnia 2026-02-27, numer KSeF: 6771234561-20260227-010000ABCDEF-1A",
		"stan przed korektą", "DO ZWROTU 123,00 EUR", "Słownie: sto dwadzieścia trzy EUR 00/100",
		"Kwota VAT w PLN", "-98,12", "NIP VAT UE: DE123456789", "Müller & Söhne GmbH", "Niemcy", "Udział: 50%",
		"14 dni od doręczenia faktury", "PL61 1090 1014 0000 0712 1981 2874, SWIFT: WBKPPLPP", "NIP UE: PL6771234561",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	// A negative total is money given back: "Do zwrotu", no minus.
	for _, bad := range []string{"RAZEM DO ZAPŁATY", "minus", "-123,00 EUR"} {
		if strings.Contains(text, bad) {
			t.Errorf("PDF text of a negative total has %q", bad)
		}
	}
	var html bytes.Buffer
	if err := visual.RenderInvoiceHTML(&html, inv); err != nil {
		t.Fatal(err)
	}
	h := html.String()
	for _, want := range []string{`<div class="label">Do zwrotu</div>`, `<div class="value">123,00 EUR</div>`, "Słownie: sto dwadzieścia trzy EUR 00/100"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, bad := range []string{"Razem do zapłaty", "minus"} {
		if strings.Contains(h, bad) {
			t.Errorf("HTML of a negative total has %q", bad)
		}
	}
}

func TestInvoiceWithoutLines(t *testing.T) {
	inv := manyLines(0)
	inv.Title, inv.Kind = "Faktura zaliczkowa", "ZAL"
	inv.VATSummary = []visual.VATRow{{Rate: "23%", Net: "1000.00", VAT: "230.00", Gross: "1230.00"}}
	inv.Totals = visual.Totals{Net: "1000.00", VAT: "230.00", Gross: "1230.00"}
	text := pdfText(t, renderPDF(t, inv))
	if strings.Contains(text, "Nazwa towaru lub usługi") {
		t.Error("empty lines table printed")
	}
	if !strings.Contains(text, "Faktura zaliczkowa") || !strings.Contains(text, "RAZEM DO ZAPŁATY 1 230,00 PLN") {
		t.Errorf("advance invoice text:\n%s", text)
	}
	var html bytes.Buffer
	if err := visual.RenderInvoiceHTML(&html, inv); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html.String(), "Nazwa towaru lub usługi") {
		t.Error("empty lines table in HTML")
	}
}
