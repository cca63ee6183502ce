package qrcmd

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicecmd"
	"github.com/ksef2/ksef/internal/checksum"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/internal/xsd/xsdtest"
	"github.com/ksef2/ksef/qr"
)

// areas are the command areas the qr tests run: qr, and invoice for
// render.
var areas = []cli.Area{New, invoicecmd.New}

func runDoc(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	return clitest.Doc(t, areas, stdin, args...)
}

func mustRunDoc(t *testing.T, args ...string) string {
	t.Helper()
	return clitest.MustDoc(t, areas, args...)
}

func TestQR(t *testing.T) {
	dir := t.TempDir()
	doc := clitest.BuiltTestInvoice(t)
	in := clitest.WriteTempDoc(t, dir, "inv.xml", doc)
	want, err := qr.NewInvoiceLink(qr.TestHost, "5265877635", time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), doc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(want.String(), "https://qr-test.ksef.mf.gov.pl/invoice/5265877635/15-01-2026/") {
		t.Fatalf("unexpected link %s", want)
	}
	out := mustRunDoc(t, "qr", in)
	if out != want.String()+"\nlabel: OFFLINE\n" {
		t.Errorf("output %q, want the link %s", out, want)
	}

	// Production host, KSeF number label, PNG and SVG files, JSON.
	pngFile, svgFile := filepath.Join(dir, "k.png"), filepath.Join(dir, "k.svg")
	num := "5265877635-20260115-0123456789AB-CE"
	js := mustRunDoc(t, "qr", in, "--env", "production", "--ksef-number", num, "--png", pngFile, "--svg", svgFile, "-o", "json")
	var res qrResult
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatal(err)
	}
	wantProd := strings.Replace(want.String(), qr.TestHost, qr.ProductionHost, 1)
	if res.Link != wantProd || res.Label != num || res.SellerNIP != "5265877635" || res.IssueDate != "2026-01-15" ||
		res.Hash != want.Hash || res.Form != "FA (3)" || res.PNG != pngFile {
		t.Errorf("json %+v", res)
	}
	l, err := qr.ParseInvoiceLink(res.Link)
	if err != nil || l.Verify(doc) != nil {
		t.Errorf("link does not verify the file: %v", err)
	}
	b, err := os.ReadFile(pngFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Errorf("PNG: %v", err)
	}
	if s, err := os.ReadFile(svgFile); err != nil || !bytes.Contains(s, []byte("<svg")) || !bytes.Contains(s, []byte(num)) {
		t.Errorf("SVG: %v", err)
	}
	got, err := testenv.Zbarimg(t, pngFile)
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	if got != res.Link {
		t.Errorf("zbarimg read %q, want %q", got, res.Link)
	}
}

func TestQRWarnsOnForeignKSeFNumber(t *testing.T) {
	in := clitest.WriteTempDoc(t, t.TempDir(), "inv.xml", clitest.BuiltTestInvoice(t))
	s := "1111111111-20260115-0123456789AB"
	num := s + "-" + checksum.CRC8Hex(s)
	out, stderr, err := runDoc(t, "", "qr", in, "--ksef-number", num)
	if err != nil || !strings.Contains(stderr, "does not start with the seller NIP 5265877635") || !strings.Contains(out, "label: "+num) {
		t.Errorf("out %q stderr %q err %v", out, stderr, err)
	}
	_, stderr, err = runDoc(t, "", "invoice", "render", in, filepath.Join(t.TempDir(), "inv.html"), "--ksef-number", num)
	if err != nil || !strings.Contains(stderr, "does not start with the seller NIP 5265877635") {
		t.Errorf("render: stderr %q err %v", stderr, err)
	}
}

func TestQROtherForms(t *testing.T) {
	dir := t.TempDir()
	fa2 := clitest.WriteTempDoc(t, dir, "fa2.xml", xsdtest.Fill(t, clitest.SpecTemplate(t, "invoice-template-fa-2.xml")))
	out := mustRunDoc(t, "qr", fa2, "--env", "demo")
	if !strings.HasPrefix(out, qr.DemoHost+"/invoice/5265877635/") {
		t.Errorf("FA(2): %q", out)
	}
	rr := clitest.WriteTempDoc(t, dir, "rr.xml", xsdtest.Fill(t, clitest.SpecTemplate(t, "invoice-template-fa-rr-1.xml")))
	out = mustRunDoc(t, "qr", rr)
	if !strings.HasPrefix(out, qr.TestHost+"/invoice/5265877635/23-02-2026/") {
		t.Errorf("FA_RR(1): %q", out)
	}
}

func TestQRErrors(t *testing.T) {
	dir := t.TempDir()
	in := clitest.WriteTempDoc(t, dir, "inv.xml", clitest.BuiltTestInvoice(t))
	noDate := clitest.WriteTempDoc(t, dir, "nodate.xml", bytes.Replace(clitest.BuiltTestInvoice(t), []byte("<P_1>2026-01-15</P_1>"), nil, 1))
	badDate := clitest.WriteTempDoc(t, dir, "baddate.xml", bytes.Replace(clitest.BuiltTestInvoice(t), []byte("<P_1>2026-01-15</P_1>"), []byte("<P_1>15.01.2026</P_1>"), 1))
	other := clitest.WriteTempDoc(t, dir, "o.xml", []byte("<a/>"))
	for args, want := range map[string]string{
		in + " --ksef-number 5265877635-20260115-0123456789AB-00": "checksum",
		noDate:             "no issue date",
		badDate:            `issue date "15.01.2026" is not YYYY-MM-DD`,
		other:              "unknown document",
		in + " --env mars": "unknown environment",
		in + " extra":      "accepts 1 arg",
	} {
		_, _, err := runDoc(t, "", append([]string{"qr"}, strings.Fields(args)...)...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("qr %s: err %v, want %q", args, err, want)
		}
	}
}

// TestWarnsOnInvalidInvoice: qr and invoice render still work on an
// invalid invoice but say on stderr that KSeF would refuse it; a valid
// invoice gets no warning.
func TestWarnsOnInvalidInvoice(t *testing.T) {
	dir := t.TempDir()
	good := clitest.WriteTempDoc(t, dir, "good.xml", clitest.BuiltTestInvoice(t))
	bad := clitest.WriteTempDoc(t, dir, "bad.xml", bytes.Replace(clitest.BuiltTestInvoice(t), []byte("<KodWaluty>PLN</KodWaluty>"), []byte("<KodWaluty>ZZZ</KodWaluty>"), 1))
	for _, args := range [][]string{
		{"qr", bad},
		{"invoice", "render", bad, filepath.Join(dir, "bad.html")},
	} {
		_, stderr, err := runDoc(t, "", args...)
		if err != nil || !strings.Contains(stderr, "warning: "+bad+" is not a valid FA (3) invoice (1 violation(s)") {
			t.Errorf("%v: stderr %q err %v", args, stderr, err)
		}
	}
	for _, args := range [][]string{
		{"qr", good},
		{"invoice", "render", good, filepath.Join(dir, "good.html")},
	} {
		if _, stderr, err := runDoc(t, "", args...); err != nil || stderr != "" {
			t.Errorf("%v: stderr %q err %v", args, stderr, err)
		}
	}
}
