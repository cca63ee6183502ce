package visual_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/ksef2/ksef/qr"
	"github.com/ksef2/ksef/visual"
)

// ExampleFromFA3 reads an FA(3) invoice into the view model.
func ExampleFromFA3() {
	doc, err := os.ReadFile("testdata/faktura-pelna.xml")
	if err != nil {
		log.Fatal(err)
	}
	inv, err := visual.FromFA3(doc)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(inv.Title, inv.Number, inv.IssueDate)
	fmt.Println("Sprzedawca:", inv.Seller.Name, inv.Seller.NIP)
	fmt.Println("Nabywca:", inv.Buyer.Name, inv.Buyer.NIP)
	for _, r := range inv.VATSummary {
		fmt.Printf("%-4s netto %9s VAT %8s brutto %9s\n", r.Rate, r.Net, r.VAT, r.Gross)
	}
	fmt.Println("Razem do zapłaty:", inv.Totals.Gross, inv.Currency)
	// Output:
	// Faktura VAT FV/2026/02/0017 2026-02-10
	// Sprzedawca: Biuro Rachunkowe „Żółć i Wspólnicy” Spółka z ograniczoną odpowiedzialnością 7270021375
	// Nabywca: Przedsiębiorstwo Handlowo-Usługowe „Łąka” S.A. 5252259852
	// 23%  netto   6700.00 VAT  1541.00 brutto   8241.00
	// 8%   netto    682.50 VAT    54.60 brutto    737.10
	// 5%   netto    269.70 VAT    13.49 brutto    283.19
	// zw   netto   1200.00 VAT     0.00 brutto   1200.00
	// Razem do zapłaty: 10461.29 PLN
}

// ExampleRenderInvoicePDF prints an invoice issued offline: KOD I is
// labelled OFFLINE until KSeF assigns a number.
func ExampleRenderInvoicePDF() {
	doc, err := os.ReadFile("testdata/faktura-pelna.xml")
	if err != nil {
		log.Fatal(err)
	}
	inv, err := visual.FromFA3(doc)
	if err != nil {
		log.Fatal(err)
	}
	issued, _ := time.Parse(time.DateOnly, inv.IssueDate)
	kod1, err := qr.NewInvoiceLink(qr.TestHost, inv.Seller.NIP, issued, doc)
	if err != nil {
		log.Fatal(err)
	}
	inv.VerificationLink = kod1.String()
	// inv.CertificateLink = kod2.String() // KOD II, signed with an Offline certificate

	f, err := os.CreateTemp("", "faktura-*.pdf")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := visual.RenderInvoicePDF(f, inv); err != nil {
		log.Fatal(err)
	}
	fmt.Println(kod1)
	// Output:
	// https://qr-test.ksef.mf.gov.pl/invoice/7270021375/10-02-2026/IxmLv-Viw5nAW8mQupuBUmZLmtOto_V1y-FSW7hq09c
}
