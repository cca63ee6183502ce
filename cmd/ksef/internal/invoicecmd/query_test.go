package invoicecmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/ksefsim"
)

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"now":                       now,
		"-30d":                      now.Add(-30 * 24 * time.Hour),
		"-12h":                      now.Add(-12 * time.Hour),
		"+90m":                      now.Add(90 * time.Minute),
		"2026-01-31":                time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC),
		"2026-01-31T10:00:00+01:00": time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC),
	} {
		got, err := ParseWhen(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-30x", "yesterday", "2026-13-01"} {
		if _, err := ParseWhen(bad, now); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestInvoiceGetAndQuery(t *testing.T) {
	sim, base := simtest.Start(t, ksefsim.WithoutRateLimits())
	c := clitest.New(t, New)
	nip, a := c.LogIn(sim, base, "default")
	ctx := t.Context()
	res, err := sim.SeedInvoices(ksefsim.SeedParams{Count: 30, SellerNIP: nip, From: time.Now().Add(-5 * 24 * time.Hour), To: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.Sessions.OpenOnline(ctx, ksef.FormFA3, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc := clitest.FA3Invoice(t, nip, "FV/CLI/1")
	sent, err := s.SendInvoice(ctx, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.WaitInvoice(ctx, sent.ReferenceNumber, &ksef.WaitOptions{MinDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// get: the XML as sent, and a PDF
	out := filepath.Join(t.TempDir(), "inv.xml")
	c.MustRun("invoice", "get", st.KSeFNumber, "--out", out, "--pdf")
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("downloaded invoice differs: %v", err)
	}
	if pdf, err := os.ReadFile(strings.TrimSuffix(out, ".xml") + ".pdf"); err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Errorf("PDF: %v", err)
	}
	if _, _, err := c.Run("invoice", "get", "5265877635-20250826-0100001AF629-AF"); err == nil {
		t.Error("unknown number: no error")
	}
	// query: one page, all pages, filters, JSON
	text := c.MustRun("invoice", "query", "--subject", "seller", "--from", "-7d", "--page-size", "10")
	if !strings.Contains(text, "10 invoice(s); more pages follow") {
		t.Errorf("one page:\n%s", text)
	}
	var all queryResult
	if err := jsonInto(c.MustRun("invoice", "query", "--subject", "seller", "--from", "-7d", "--all", "--page-size", "10", "-o", "json"), &all); err != nil {
		t.Fatal(err)
	}
	if len(all.Invoices) != 31 {
		t.Errorf("--all: %d invoices, want 31", len(all.Invoices))
	}
	var one queryResult
	if err := jsonInto(c.MustRun("invoice", "query", "--subject", "seller", "--from", "-7d", "--invoice-number", "FV/CLI/1",
		"--currency", "PLN", "--type", "Vat", "--form", "FA", "--amount-from", "100", "--amount-type", "net", "-o", "json"), &one); err != nil {
		t.Fatal(err)
	}
	if len(one.Invoices) != 1 || one.Invoices[0].KSeFNumber != st.KSeFNumber {
		t.Errorf("filtered: %+v", one.Invoices)
	}
	_ = res
	// invalid filters fail before any request
	for _, args := range [][]string{
		{"--from", "-101d"}, {"--subject", "nobody"}, {"--page-size", "5"}, {"--date-type", "x"}, {"--seller-nip", "123"},
	} {
		if _, _, err := c.Run(append([]string{"invoice", "query"}, args...)...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
