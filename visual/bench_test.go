package visual_test

import (
	"io"
	"os"
	"testing"

	"github.com/ksef2/ksef/visual"
)

func BenchmarkInvoicePDF(b *testing.B) {
	inv := ownInvoice(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := visual.InvoicePDF(inv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInvoicePDF150Lines(b *testing.B) {
	inv := manyLines(150)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := visual.InvoicePDF(inv); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTestdataIsValidFA3 validates the package's own test invoices against
// the official schema with libxml2, so that the renderer is tested on real
// FA(3) documents.
func BenchmarkInvoiceHTML(b *testing.B) {
	inv := ownInvoice(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := visual.RenderInvoiceHTML(io.Discard, inv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromFA3(b *testing.B) {
	data, err := os.ReadFile("testdata/faktura-pelna.xml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := visual.FromFA3(data); err != nil {
			b.Fatal(err)
		}
	}
}
