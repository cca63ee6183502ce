package qr

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// InvoiceLinkFor builds KOD I for an invoice file, reading the seller NIP
// (Faktura/Podmiot1/DaneIdentyfikacyjne/NIP) and the issue date
// (Faktura/Fa/P_1, or Faktura/FakturaRR/P_4B in FA_RR) from the document
// itself; the hash covers the exact bytes given. Elements are matched by
// local name, so FA(2), FA(3) and FA_RR(1) invoices all work. The invoice is
// not validated against its schema.
func InvoiceLinkFor(host string, invoice []byte) (*InvoiceLink, error) {
	nip, date, err := invoiceFacts(invoice)
	if err != nil {
		return nil, err
	}
	day, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return nil, fmt.Errorf("qr: invoice issue date %q is not YYYY-MM-DD", truncate(date))
	}
	return NewInvoiceLink(host, nip, day, invoice)
}

// invoiceFacts reads the seller NIP and the issue date of an invoice.
func invoiceFacts(doc []byte) (nip, date string, err error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	// Only ASCII digits and dates are read: take the bytes as they are
	// whatever encoding the declaration names.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var path []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", "", fmt.Errorf("qr: invoice is not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
		case xml.EndElement:
			path = path[:len(path)-1]
		case xml.CharData:
			switch strings.Join(path, "/") {
			case "Faktura/Podmiot1/DaneIdentyfikacyjne/NIP":
				nip += string(t)
			case "Faktura/Fa/P_1", "Faktura/FakturaRR/P_4B":
				date += string(t)
			}
		}
	}
	nip, date = strings.TrimSpace(nip), strings.TrimSpace(date)
	switch {
	case nip == "":
		return "", "", errors.New("qr: invoice has no seller NIP (Faktura/Podmiot1/DaneIdentyfikacyjne/NIP)")
	case date == "":
		return "", "", errors.New("qr: invoice has no issue date (Faktura/Fa/P_1)")
	}
	return nip, date, nil
}
