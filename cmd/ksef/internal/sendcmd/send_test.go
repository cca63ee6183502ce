package sendcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/simtest"
)

func readReceipt(t *testing.T, path string) Receipt {
	t.Helper()
	return clitest.DecodeJSON[Receipt](t, string(clitest.MustRead(t, path)))
}

// futureInvoice is schema-valid but dated tomorrow: KSeF rejects it.
func futureInvoice(t *testing.T, nip string) []byte {
	t.Helper()
	day := time.Now().AddDate(0, 0, 2).Format(time.DateOnly)
	b, err := fa3.BuildXML(fa3.InvoiceParams{
		Number: "FV/FUTURE/1", IssueDate: day, SaleDate: day, Created: time.Now(),
		Seller: fa3.Party{NIP: nip, Name: "Sprzedawca S.A.", AddressLine1: "ul. Kwiatowa 1"},
		Buyer:  fa3.Party{NIP: "7773152431", Name: "Nabywca", AddressLine1: "ul. Polna 1"},
		Lines:  []fa3.Line{{Name: "Usługa", Unit: "szt.", Quantity: "1", UnitPrice: "100", Rate: "23"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSendDirectoryAndRerun(t *testing.T) {
	sim, base := simtest.Start(t)
	c := clitest.New(t, New)
	nip, _ := c.LogIn(sim, base, "default")

	dir := t.TempDir()
	for i, n := range []string{"a.xml", "b.xml", "c.XML"} {
		clitest.WriteTempDoc(t, dir, n, clitest.FA3Invoice(t, nip, "FV/SEND/"+string(rune('1'+i))))
	}
	clitest.WriteTempDoc(t, dir, "d-invalid.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><Faktura xmlns="`+fa3.Namespace+`"/>`))
	clitest.WriteTempDoc(t, dir, "e-future.xml", futureInvoice(t, nip))
	clitest.WriteTempDoc(t, dir, "notes.txt", []byte("not an invoice"))
	receipt := filepath.Join(t.TempDir(), "r1.json")

	out, stderr, err := c.Run("send", dir, "--receipt", receipt, "-o", "json")
	if err == nil || !strings.Contains(err.Error(), "2 of 5 invoice(s) are not in KSeF") || !strings.Contains(err.Error(), receipt) {
		t.Fatalf("send with an invalid file: %v\n%s", err, stderr)
	}
	if strings.Contains(stderr, "sent") {
		t.Errorf("progress on a stderr that is no terminal: %q", stderr)
	}
	printed := clitest.DecodeJSON[Receipt](t, out)
	rec := readReceipt(t, receipt)
	if printed.Path != receipt || rec.Path != receipt || len(rec.Invoices) != 5 {
		t.Fatalf("receipt: %+v", rec)
	}
	want := Summary{Total: 5, Registered: 3, Rejected: 1, Invalid: 1}
	if rec.Summary != want || printed.Summary != want {
		t.Errorf("summary %+v, want %+v", rec.Summary, want)
	}
	numbers := map[string]string{}
	for _, e := range rec.Invoices[:3] {
		if e.Status != "registered" || !e.OK || e.Form != "FA (3)" || e.SessionReferenceNumber == "" || e.InvoiceReferenceNumber == "" {
			t.Errorf("entry %+v", e)
		}
		if _, err := ident.ParseKSeFNumber(e.KSeFNumber); err != nil {
			t.Errorf("%s: KSeF number %q: %v", e.File, e.KSeFNumber, err)
		}
		numbers[e.File] = e.KSeFNumber
	}
	if bad := rec.Invoices[3]; bad.Status != "invalid" || bad.OK || bad.KSeFNumber != "" || bad.InvoiceReferenceNumber != "" ||
		!strings.Contains(bad.Error, "schema validation failed") || !strings.Contains(bad.Error, "line 1:") {
		t.Errorf("invalid entry: %+v", bad)
	}
	if fut := rec.Invoices[4]; fut.Status != "rejected" || fut.OK || fut.StatusCode < 400 || fut.Error == "" || fut.InvoiceReferenceNumber == "" {
		t.Errorf("future-dated entry: %+v", fut)
	}
	if len(rec.Sessions) != 1 || rec.BaseURL != base || rec.Profile != "default" {
		t.Errorf("receipt sessions %v, base %q, profile %q", rec.Sessions, rec.BaseURL, rec.Profile)
	}

	// Re-running the valid files gives the same KSeF numbers as duplicates,
	// and exits 0; the progress bar is drawn when stderr is a terminal.
	forceProgress = true
	t.Cleanup(func() { forceProgress = false })
	receipt2 := filepath.Join(t.TempDir(), "r2.json")
	files := []string{filepath.Join(dir, "a.xml"), filepath.Join(dir, "b.xml"), filepath.Join(dir, "c.XML")}
	out, stderr, err = c.Run(append([]string{"send", "--receipt", receipt2}, files...)...)
	if err != nil {
		t.Fatalf("re-run: %v\n%s\n%s", err, out, stderr)
	}
	if !strings.Contains(stderr, "3/3 sent") || !strings.Contains(stderr, "[==============================]") {
		t.Errorf("progress bar: %q", stderr)
	}
	for _, want := range []string{"duplicate", "already in KSeF", rec.Sessions[0], "3 invoice(s): 0 registered, 3 duplicate", "Receipt: " + receipt2} {
		if !strings.Contains(out, want) {
			t.Errorf("re-run output lacks %q:\n%s", want, out)
		}
	}
	rec2 := readReceipt(t, receipt2)
	for _, e := range rec2.Invoices {
		if e.Status != "duplicate" || !e.OK || e.KSeFNumber != numbers[e.File] || e.OriginalSessionReferenceNumber != rec.Sessions[0] || e.StatusCode != 440 {
			t.Errorf("re-run entry %+v, want duplicate of %s", e, numbers[e.File])
		}
	}
	if rec2.Sessions[0] == rec.Sessions[0] {
		t.Error("the re-run used the first run's session")
	}

	// Without --receipt the receipt goes to the current directory.
	forceProgress = false
	wd := t.TempDir()
	t.Chdir(wd)
	out = c.MustRun("send", files[0])
	ents, _ := filepath.Glob(filepath.Join(wd, "ksef-send-*Z.json"))
	if len(ents) != 1 || !strings.Contains(out, "Receipt: ksef-send-") {
		t.Fatalf("default receipt: %v\n%s", ents, out)
	}
	if r := readReceipt(t, ents[0]); r.Invoices[0].KSeFNumber != numbers[files[0]] {
		t.Errorf("default receipt: %+v", r.Invoices)
	}
	if p := defaultReceiptPath(time.Now()); p == filepath.Base(ents[0]) {
		t.Errorf("default path %s taken twice", p)
	}
}

func TestSendErrors(t *testing.T) {
	sim, base := simtest.Start(t)
	c := clitest.New(t, New)
	if _, _, err := c.Run("send", "nosuch.xml"); err == nil || !strings.Contains(err.Error(), "nosuch.xml") {
		t.Errorf("missing file: %v", err)
	}
	empty := t.TempDir()
	if _, _, err := c.Run("send", empty); err == nil || !strings.Contains(err.Error(), "no *.xml files") {
		t.Errorf("empty directory: %v", err)
	}
	f := clitest.WriteTempDoc(t, t.TempDir(), "x.xml", clitest.FA3Invoice(t, "5265877635", "FV/1"))
	if _, _, err := c.Run("send", f); err == nil || !strings.Contains(err.Error(), "log in") {
		t.Errorf("not logged in: %v", err)
	}
	if _, _, err := c.Run("send", f, "--form", "FA (9)"); err == nil || !strings.Contains(err.Error(), `unknown form "FA (9)"`) {
		t.Errorf("--form FA (9): %v", err)
	}
	// A form given explicitly is the one validated against.
	nip, _ := c.LogIn(sim, base, "default")
	f = clitest.WriteTempDoc(t, t.TempDir(), "y.xml", clitest.FA3Invoice(t, nip, "FV/2"))
	receipt := filepath.Join(t.TempDir(), "r.json")
	if _, _, err := c.Run("send", f, "--form", "fa2", "--receipt", receipt); err == nil {
		t.Error("an FA(3) invoice sent as FA (2) passed")
	}
	if r := readReceipt(t, receipt); r.Invoices[0].Status != "invalid" || r.Invoices[0].Form != "FA (2)" {
		t.Errorf("receipt: %+v", r.Invoices[0])
	}
	// The receipt is written atomically: no temporary file is left.
	if ents, _ := os.ReadDir(filepath.Dir(receipt)); len(ents) != 1 {
		t.Errorf("receipt directory holds %v", ents)
	}
}

func TestParseForm(t *testing.T) {
	for in, want := range map[string]ksef.Form{
		"FA (3)": ksef.FormFA3, "fa3": ksef.FormFA3, "FA2": ksef.FormFA2, "fa_rr": ksef.FormFARR, "FA_RR (1)": ksef.FormFARR,
		"pef": ksef.FormPEF3, "PEF_KOR (3)": ksef.FormPEFKOR3, "pef-kor": ksef.FormPEFKOR3,
	} {
		if got, err := ParseForm(in); err != nil || got != want {
			t.Errorf("ParseForm(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseForm("fa"); err == nil {
		t.Error(`ParseForm("fa") is ambiguous but passed`)
	}
}

// TestSendStoppedByTimeout: a run stopped by --timeout still writes its
// receipt, with the files that have no outcome marked failed.
func TestSendStoppedByTimeout(t *testing.T) {
	sim, base := simtest.Start(t)
	c := clitest.New(t, New)
	nip, _ := c.LogIn(sim, base, "default")
	f := clitest.WriteTempDoc(t, t.TempDir(), "a.xml", clitest.FA3Invoice(t, nip, "FV/T/1"))
	receipt := filepath.Join(t.TempDir(), "r.json")
	if _, _, err := c.Run("send", f, "--receipt", receipt, "--timeout", "1ms"); err == nil || !strings.Contains(err.Error(), "--timeout") {
		t.Fatalf("send --timeout 1ms: %v", err)
	}
	r := readReceipt(t, receipt)
	if len(r.Invoices) != 1 || r.Invoices[0].Status != "failed" || r.Invoices[0].OK || r.Invoices[0].Error == "" || r.Summary.Failed != 1 {
		t.Errorf("receipt of a stopped run: %+v", r)
	}
}
