package qr_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/qr"
)

func TestInvoiceLinkFor(t *testing.T) {
	doc, err := fa3.BuildXML(fa3.InvoiceParams{
		Number:    "FV/7/2026",
		IssueDate: "2026-03-09",
		Seller:    fa3.Party{NIP: "5265877635", Name: "S", AddressLine1: "A 1"},
		Buyer:     fa3.Party{NIP: "9520000005", Name: "B", AddressLine1: "B 2"},
		Lines:     []fa3.Line{{Name: "x", Quantity: "1", UnitPrice: "1", Rate: "23"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := qr.InvoiceLinkFor(qr.TestHost, doc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := qr.NewInvoiceLink(qr.TestHost, "5265877635", time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), doc)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() || !strings.Contains(got.String(), "/invoice/5265877635/09-03-2026/") {
		t.Errorf("link %s, want %s", got, want)
	}
	if err := got.Verify(doc); err != nil {
		t.Error(err)
	}

	// The FA(2) sample from the official documentation.
	fa2, err := os.ReadFile(testenv.SpecFile(t, "samples/invoices/filled/invoice-fa-2-online.xml"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := qr.InvoiceLinkFor(qr.ProductionHost, fa2)
	if err != nil || l.SellerNIP != "5265877635" || l.IssueDate.Format(time.DateOnly) != "2025-06-16" || !strings.HasPrefix(l.String(), qr.ProductionHost) {
		t.Errorf("FA(2) sample: %v, %v", l, err)
	}

	for name, bad := range map[string]string{
		"no NIP":       `<Faktura><Fa><P_1>2026-01-01</P_1></Fa></Faktura>`,
		"no date":      `<Faktura><Podmiot1><DaneIdentyfikacyjne><NIP>5265877635</NIP></DaneIdentyfikacyjne></Podmiot1></Faktura>`,
		"bad date":     `<Faktura><Podmiot1><DaneIdentyfikacyjne><NIP>5265877635</NIP></DaneIdentyfikacyjne></Podmiot1><Fa><P_1>1.1.2026</P_1></Fa></Faktura>`,
		"bad NIP":      `<Faktura><Podmiot1><DaneIdentyfikacyjne><NIP>52658</NIP></DaneIdentyfikacyjne></Podmiot1><Fa><P_1>2026-01-01</P_1></Fa></Faktura>`,
		"not XML":      `kind: VAT`,
		"unclosed tag": `<Faktura><Podmiot1>`,
	} {
		if l, err := qr.InvoiceLinkFor(qr.TestHost, []byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "qr: ") {
			t.Errorf("%s: %v, %v", name, l, err)
		}
	}
	if _, err := qr.InvoiceLinkFor("ftp://x", doc); !errors.Is(err, qr.ErrMalformedLink) {
		t.Errorf("bad host: %v", err)
	}
}

func FuzzInvoiceLinkFor(f *testing.F) {
	f.Add([]byte(`<Faktura><Podmiot1><DaneIdentyfikacyjne><NIP>5265877635</NIP></DaneIdentyfikacyjne></Podmiot1><Fa><P_1>2026-01-01</P_1></Fa></Faktura>`))
	f.Add([]byte(`<Faktura><FakturaRR><P_4B>2026-01-01</P_4B></FakturaRR></Faktura>`))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-2"?><Faktura/>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		l, err := qr.InvoiceLinkFor(qr.TestHost, doc)
		if err != nil {
			return
		}
		if l.Verify(doc) != nil {
			t.Fatal("link does not verify its own invoice")
		}
		if _, err := qr.ParseInvoiceLink(l.String()); err != nil {
			t.Fatalf("link %s does not parse: %v", l, err)
		}
	})
}
