package qr_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/ksef2/ksef/qr"
)

func ExampleNewInvoiceLink() {
	invoice := []byte("<Faktura>...</Faktura>") // the invoice XML file as sent to KSeF
	link, err := qr.NewInvoiceLink(qr.TestHost, "1111111111", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), invoice)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(link.String()[:61])

	// Render it with the label KSeF requires: the KSeF number, or OFFLINE.
	code, err := qr.Encode(link.String())
	if err != nil {
		fmt.Println(err)
		return
	}
	var png bytes.Buffer
	if err := code.WritePNG(&png, &qr.RenderOptions{Label: qr.InvoiceLabel("")}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(png.Len() > 0)
	// Output:
	// https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/
	// true
}

func ExampleParseLink() {
	l, err := qr.ParseLink("https://qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE/AAAA")
	if err != nil {
		fmt.Println(err)
		return
	}
	switch l := l.(type) {
	case *qr.InvoiceLink:
		fmt.Println("KOD I", l.SellerNIP)
	case *qr.CertificateLink:
		fmt.Println("KOD II", l.ContextType, l.CertSerial)
		fmt.Println(l.SignedData())
	}
	// Output:
	// KOD II Nip 01F20A5D352AE590
	// qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE
}
