package democmd

import (
	"bytes"
	"encoding/json"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/qr"
)

// demoDetails returns the details of the steps of a `ksef demo -o json`
// report by step name.
func demoDetails(t *testing.T, jsonOut string) map[string]map[string]string {
	t.Helper()
	var raw struct {
		Steps []struct {
			Name    string            `json:"name"`
			Status  string            `json:"status"`
			Details map[string]string `json:"details"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(jsonOut), &raw); err != nil {
		t.Fatal(err)
	}
	m := map[string]map[string]string{}
	for _, s := range raw.Steps {
		if s.Status != "ok" {
			t.Errorf("step %s: %s", s.Name, s.Status)
		}
		if len(s.Details) == 0 {
			t.Errorf("step %s: no details", s.Name)
		}
		for k := range s.Details {
			if !identifier.MatchString(k) {
				t.Errorf("step %s: JSON key %q is not a camelCase identifier", s.Name, k)
			}
		}
		m[s.Name] = s.Details
	}
	// Each step's object has distinct keys (a map would hide duplicates).
	var rep demoReport
	if err := json.Unmarshal([]byte(jsonOut), &rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Steps {
		seen := map[string]bool{}
		for _, f := range s.Details {
			if seen[f.key] {
				t.Errorf("step %s: JSON key %q twice", s.Name, f.key)
			}
			seen[f.key] = true
		}
	}
	return m
}

var identifier = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

func TestJSONKey(t *testing.T) {
	for label, want := range map[string]string{
		"base URL":                     "baseUrl",
		"RSA certificate":              "rsaCertificate",
		"ECDSA certificate":            "ecdsaCertificate",
		"NIP":                          "nip",
		"buyer NIP":                    "buyerNip",
		"KSeF token reference":         "ksefTokenReference",
		"old access token valid until": "oldAccessTokenValidUntil",
		"KOD I":                        "kodI",
		"VAT":                          "vat",
		"PDF file":                     "pdfFile",
		"session 12":                   "session12",
		"status polls":                 "statusPolls",
		"x-y_z":                        "xYZ",
		"":                             "",
	} {
		if got := jsonKey(label); got != want {
			t.Errorf("jsonKey(%q) = %q, want %q", label, got, want)
		}
		if again := jsonKey(want); again != want {
			t.Errorf("jsonKey(%q) = %q, not idempotent", want, again)
		}
	}
}

// TestDemoFactsText: the text output keeps the human labels, while -o json
// carries identifiers (checked in TestDemo).
func TestDemoFactsText(t *testing.T) {
	var b bytes.Buffer
	printStep(&b, stepResult{Step: 1, Name: "x", Status: "ok", Details: facts{{"base URL", "u"}, {"KSeF token reference", "r"}}})
	if !strings.Contains(b.String(), "base URL:  ") || !strings.Contains(b.String(), "KSeF token reference:  r") {
		t.Errorf("text:\n%s", b.String())
	}
	js, err := json.Marshal(stepResult{Details: facts{{"base URL", "u"}, {"KSeF token reference", "r"}}})
	if err != nil || !strings.Contains(string(js), `"details":{"baseUrl":"u","ksefTokenReference":"r"}`) {
		t.Errorf("json %s %v", js, err)
	}
}

var fileFact = regexp.MustCompile(`^(.+) \((\d+) bytes\)$`)

// demoFile reads a file named in a "PATH (N bytes)" detail and checks its
// size and that it lies in dir.
func demoFile(t *testing.T, value, dir string) (string, []byte) {
	t.Helper()
	m := fileFact.FindStringSubmatch(value)
	if m == nil {
		t.Fatalf("file detail %q", value)
	}
	if filepath.Dir(filepath.Dir(m[1])) != dir {
		t.Errorf("%s is not in a new directory under %s", m[1], dir)
	}
	b, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.Atoi(m[2]); n != len(b) {
		t.Errorf("%s: printed %s bytes, has %d", m[1], m[2], len(b))
	}
	return m[1], b
}

// checkDemoInvoice checks the invoice steps of a `ksef demo -o json` report
// run with the default --out-dir (a new directory under tmpDir): the files
// exist, the PDF shows the invoice number and both NIPs, KOD I matches the
// XML, and the printed totals are those of the XML.
func checkDemoInvoice(t *testing.T, jsonOut, tmpDir string) {
	t.Helper()
	d := demoDetails(t, jsonOut)
	identity := d["Create a test identity"]
	built := d["Build an FA(3) invoice (offline)"]
	link := d["Compute KOD I, the verification link"]
	rendered := d["Render the invoice to PDF and HTML"]
	if built == nil || link == nil || rendered == nil || d["Validate the invoice against the FA(3) schema"] == nil {
		t.Fatalf("invoice steps missing: %v", d)
	}
	if r := d["Refresh the access token"]; r == nil || !strings.HasPrefix(r["accessToken"], "replaced") {
		t.Errorf("refresh step does not say the access token was replaced: %v", r)
	}
	seller, number := identity["nip"], built["invoiceNumber"]
	buyer, _, _ := strings.Cut(built["buyerNip"], " ")
	if seller == "" || buyer == "" || buyer == seller || number == "" || built["sellerNip"] != seller {
		t.Fatalf("invoice details: %v (identity %v)", built, identity)
	}

	xmlPath, doc := demoFile(t, built["xmlFile"], tmpDir)
	if err := fa3.ValidateBytes(doc); err != nil {
		t.Errorf("%s: %v", xmlPath, err)
	}
	f, err := fa3.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if string(f.Fa.P_2) != number || string(f.Podmiot1.DaneIdentyfikacyjne.NIP) != seller {
		t.Errorf("XML: number %s, seller %s; printed %s, %s", f.Fa.P_2, f.Podmiot1.DaneIdentyfikacyjne.NIP, number, seller)
	}
	if !bytes.Contains(doc, []byte("<NIP>"+buyer+"</NIP>")) {
		t.Errorf("XML lacks the buyer NIP %s", buyer)
	}
	if got := strings.TrimSuffix(built["gross"], " PLN"); got != string(f.Fa.P_15) {
		t.Errorf("printed gross %q, P_15 %s", built["gross"], f.Fa.P_15)
	}
	// net + VAT = gross, as printed.
	var sum [3]*big.Rat
	for i, k := range []string{"net", "vat", "gross"} {
		v, ok := new(big.Rat).SetString(strings.TrimSuffix(built[k], " PLN"))
		if !ok || v.Sign() <= 0 {
			t.Fatalf("%s = %q", k, built[k])
		}
		sum[i] = v
	}
	if new(big.Rat).Add(sum[0], sum[1]).Cmp(sum[2]) != 0 {
		t.Errorf("net %s + VAT %s != gross %s", built["net"], built["vat"], built["gross"])
	}
	if len(f.Fa.FaWiersz) != 2 || f.Fa.FaWiersz[0].P_12 == f.Fa.FaWiersz[1].P_12 {
		t.Errorf("want two lines with different VAT rates")
	}

	l, err := qr.ParseInvoiceLink(link["kodI"])
	if err != nil {
		t.Fatalf("KOD I %q: %v", link["kodI"], err)
	}
	if l.Hash != qr.InvoiceHash(doc) || l.Verify(doc) != nil || l.SellerNIP != seller || l.Host != qr.TestHost ||
		l.IssueDate.Format("2006-01-02") != string(f.Fa.P_1) {
		t.Errorf("KOD I %+v does not match %s", l, xmlPath)
	}

	pdfPath, pdf := demoFile(t, rendered["pdfFile"], tmpDir)
	htmlPath, html := demoFile(t, rendered["htmlFile"], tmpDir)
	if dir := rendered["outputDirectory"]; filepath.Dir(pdfPath) != dir || filepath.Dir(htmlPath) != dir || filepath.Dir(xmlPath) != dir {
		t.Errorf("files %s, %s, %s not in %s", xmlPath, pdfPath, htmlPath, dir)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("%s is not a PDF", pdfPath)
	}
	for _, want := range []string{number, seller, buyer, ">" + link["kodI"] + "<"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("%s lacks %q", htmlPath, want)
		}
	}
	// The oracle checks of the PDF run in the full suite.
	testenv.SkipShort(t, "pdftotext, pdftoppm and zbarimg on the demo's PDF")
	pdftotext := testenv.RequireTool(t, "pdftotext")
	text, err := exec.Command(pdftotext, "-enc", "UTF-8", pdfPath, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{number, seller, buyer, "OFFLINE"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
	// The QR code printed on the PDF decodes to KOD I.
	pdftoppm, zbarimg := testenv.RequireTool(t, "pdftoppm"), testenv.RequireTool(t, "zbarimg")
	prefix := filepath.Join(t.TempDir(), "page")
	if out, err := exec.Command(pdftoppm, "-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile", pdfPath, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	decoded, err := exec.Command(zbarimg, "-q", "--raw", prefix+".png").Output()
	if err != nil || strings.TrimSpace(string(decoded)) != link["kodI"] {
		t.Errorf("QR code on the PDF: %q (%v), want %s", decoded, err, link["kodI"])
	}
}

// TestDemoOutDirUnusable: an --out-dir that cannot be created fails the
// first invoice step with a clear error.
func TestDemoOutDirUnusable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)
	out, _, err := c.Run("demo", "--out-dir", filepath.Join(file, "sub"))
	if err == nil || !strings.Contains(err.Error(), "step 9") ||
		!strings.Contains(out, "cannot create the output directory") || !strings.Contains(out, "Demo FAILED: 8 of 17") {
		t.Errorf("err %v, output:\n%s", err, out)
	}
}

func TestLineTotals(t *testing.T) {
	for _, tc := range []struct {
		lines    []fa3.Line
		net, vat string
	}{
		{demoLines, "3406.50", "596.52"},
		// Per-rate rounding half up: 0.05 × 23% = 0.0115 -> 0.01; twice
		// 0.05 at 5% = 0.005 -> 0.01.
		{[]fa3.Line{{Quantity: "1", UnitPrice: "0.05", Rate: "23"}}, "0.05", "0.01"},
		{[]fa3.Line{{Quantity: "1", UnitPrice: "0.05", Rate: "5"}, {Quantity: "1", UnitPrice: "0.05", Rate: "5"}}, "0.10", "0.01"},
		{[]fa3.Line{{Quantity: "3", UnitPrice: "0.333", Rate: "8"}}, "1.00", "0.08"},
	} {
		net, vat, err := lineTotals(tc.lines)
		if err != nil || net.FloatString(2) != tc.net || vat.FloatString(2) != tc.vat {
			t.Errorf("%v: net %v, VAT %v, %v; want %s, %s", tc.lines, net, vat, err, tc.net, tc.vat)
		}
	}
	if _, _, err := lineTotals([]fa3.Line{{Quantity: "x", UnitPrice: "1", Rate: "23"}}); err == nil {
		t.Error("no error for a bad quantity")
	}
}
