package upo

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"time"

	"github.com/ksef2/ksef/ident"
)

// xmlOutUPO is the encoding form of a UPO: the same elements as xmlUPO, in
// schema order, in the default namespace [Namespace].
type xmlOutUPO struct {
	XMLName         xml.Name      `xml:"Potwierdzenie"`
	Xmlns           string        `xml:"xmlns,attr"`
	SchemaVersion   string        `xml:"wersjaSchemy,attr,omitempty"`
	ReceivingEntity string        `xml:"NazwaPodmiotuPrzyjmujacego"`
	SessionRef      string        `xml:"NumerReferencyjnySesji"`
	Auth            xmlAuth       `xml:"Uwierzytelnienie"`
	Page            *xmlPage      `xml:"OpisPotwierdzenia"`
	StructureName   string        `xml:"NazwaStrukturyLogicznej"`
	FormCode        string        `xml:"KodFormularza"`
	Documents       []xmlDocument `xml:"Dokument"`
}

// Marshal encodes the UPO as an unsigned UPO v4-3 document (UTF-8, with an
// XML declaration), elements in schema order. Timestamps keep their offsets
// and are written with millisecond precision (more when needed), as KSeF does. A simulator signs
// the result with package xades. Marshal does not validate u; [Parse] of the
// output reports what is wrong with it.
func (u *UPO) Marshal() ([]byte, error) {
	out := xmlOutUPO{
		Xmlns:           Namespace,
		SchemaVersion:   u.SchemaVersion,
		ReceivingEntity: u.ReceivingEntity,
		SessionRef:      u.SessionReferenceNumber,
		Auth: xmlAuth{
			TokenRef: u.Authentication.KSeFTokenReferenceNumber,
			DocHash:  u.Authentication.AuthenticationDocumentHash,
		},
		StructureName: u.LogicalStructureName,
		FormCode:      u.FormCode,
	}
	switch c := u.Authentication.Context; c.Type {
	case ident.TypeNip:
		out.Auth.Context.NIP = c.Value
	case ident.TypeInternalID:
		out.Auth.Context.InternalID = c.Value
	case ident.TypeNipVatUe:
		out.Auth.Context.NIPVatUE = c.Value
	case ident.TypePeppolID:
		out.Auth.Context.PeppolID = c.Value
	default:
		return nil, fmt.Errorf("upo: unknown context type %q", c.Type)
	}
	if p := u.Page; p != nil {
		out.Page = &xmlPage{
			Page:  strconv.Itoa(p.Page),
			Pages: strconv.Itoa(p.PageCount),
			From:  strconv.Itoa(p.FirstDocument),
			To:    strconv.Itoa(p.EndDocument),
			Total: strconv.Itoa(p.TotalDocuments),
		}
	}
	for _, d := range u.Documents {
		out.Documents = append(out.Documents, xmlDocument{
			SellerNIP:   d.SellerNIP,
			KSeFNumber:  d.KSeFNumber,
			InvoiceNo:   d.InvoiceNumber,
			IssueDate:   d.IssueDate.Format(time.DateOnly),
			SubmittedAt: formatTimestamp(d.SubmittedAt),
			AssignedAt:  formatTimestamp(d.KSeFNumberAssignedAt),
			Hash:        d.DocumentHash,
			Mode:        string(d.Mode),
		})
	}
	b, err := xml.MarshalIndent(out, "", "\t")
	if err != nil {
		return nil, fmt.Errorf("upo: %w", err)
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}

// formatTimestamp writes milliseconds, as KSeF does, unless the value is
// more precise.
func formatTimestamp(t time.Time) string {
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		return t.Format(time.RFC3339Nano)
	}
	return t.Format("2006-01-02T15:04:05.000Z07:00")
}
