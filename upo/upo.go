package upo

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ksef2/ksef/ident"
)

// Namespace is the XML namespace of UPO v4-3 documents.
const Namespace = "http://upo.schematy.mf.gov.pl/KSeF/v4-3"

// signatureNamespace is the XML-DSig namespace of the ds:Signature element
// that KSeF appends to the UPOs it issues.
const signatureNamespace = "http://www.w3.org/2000/09/xmldsig#"

// ErrInvalid reports a UPO that is not well-formed or misses or garbles data
// that the v4-3 schema requires. Errors returned by [Parse] wrap it.
var ErrInvalid = errors.New("upo: invalid UPO document")

// ErrUnsupported reports a Potwierdzenie document in a namespace other than
// [Namespace] (for example an older UPO version).
var ErrUnsupported = errors.New("upo: unsupported UPO version")

// Authentication describes how the sending session was authenticated
// (element Uwierzytelnienie). Exactly one of KSeFTokenReferenceNumber and
// AuthenticationDocumentHash is set.
type Authentication struct {
	// Context is IdKontekstu: its element (Nip, IdWewnetrzny,
	// IdZlozonyVatUE, IdDostawcyUslugPeppol) becomes the Type
	// ident.TypeNip, TypeInternalID, TypeNipVatUe or TypePeppolID.
	Context ident.Identifier
	// KSeFTokenReferenceNumber is NumerReferencyjnyTokenaKSeF, set when the
	// session was opened with a KSeF token.
	KSeFTokenReferenceNumber string
	// AuthenticationDocumentHash is SkrotDokumentuUwierzytelniajacego: the
	// Base64 SHA-256 of the signed authentication document, set when the
	// session was opened with a XAdES signature.
	AuthenticationDocumentHash string
}

// PageInfo is the page description of a session UPO (element
// OpisPotwierdzenia). KSeF splits session UPOs into pages of up to 10 000
// documents.
type PageInfo struct {
	// Page is Strona, the number of this page, from 1.
	Page int
	// PageCount is LiczbaStron.
	PageCount int
	// FirstDocument is ZakresDokumentowOd, the ordinal of the first document
	// on this page (inclusive).
	FirstDocument int
	// EndDocument is ZakresDokumentowDo, the end of the document range on this
	// page (exclusive, as the schema documents it).
	EndDocument int
	// TotalDocuments is CalkowitaLiczbaDokumentow, across all pages.
	TotalDocuments int
}

// SendingMode is the TrybWysylki of a document: Online or Offline.
type SendingMode string

// Sending modes of UPO v4-3.
const (
	ModeOnline  SendingMode = "Online"
	ModeOffline SendingMode = "Offline"
)

// Document is one invoice confirmed by the UPO (element Dokument).
type Document struct {
	// SellerNIP is NipSprzedawcy, the NIP of Podmiot1.
	SellerNIP string
	// KSeFNumber is NumerKSeFDokumentu.
	KSeFNumber string
	// InvoiceNumber is NumerFaktury (P_2 of the invoice).
	InvoiceNumber string
	// IssueDate is DataWystawieniaFaktury (P_1), midnight UTC of that day.
	IssueDate time.Time
	// SubmittedAt is DataPrzeslaniaDokumentu, with the offset given in the UPO.
	SubmittedAt time.Time
	// KSeFNumberAssignedAt is DataNadaniaNumeruKSeF, with the offset given in the UPO.
	KSeFNumberAssignedAt time.Time
	// DocumentHash is SkrotDokumentu: Base64 of the SHA-256 of the invoice file.
	DocumentHash string
	// Mode is TrybWysylki.
	Mode SendingMode
}

// UPO is a parsed UPO v4-3 document (root element Potwierdzenie).
type UPO struct {
	// SchemaVersion is the optional wersjaSchemy attribute.
	SchemaVersion string
	// ReceivingEntity is NazwaPodmiotuPrzyjmujacego, e.g. "Ministerstwo Finansów".
	ReceivingEntity string
	// SessionReferenceNumber is NumerReferencyjnySesji.
	SessionReferenceNumber string
	// Authentication is Uwierzytelnienie.
	Authentication Authentication
	// Page is OpisPotwierdzenia; nil when absent (UPOs of single invoices).
	Page *PageInfo
	// LogicalStructureName is NazwaStrukturyLogicznej, e.g. "Schemat_FA(3)_v1-0E.xsd".
	LogicalStructureName string
	// FormCode is KodFormularza, e.g. "FA (3)".
	FormCode string
	// Documents are the Dokument elements in document order; never empty
	// after a successful [Parse].
	Documents []Document
	// Signed reports whether the document carries a ds:Signature element.
	// The signature is not verified by this package.
	Signed bool
}

// Document returns the document with the given KSeF number.
func (u *UPO) Document(ksefNumber string) (Document, bool) {
	for _, d := range u.Documents {
		if d.KSeFNumber == ksefNumber {
			return d, true
		}
	}
	return Document{}, false
}

// IsSessionUPO reports whether the UPO is a page of a session UPO (it has
// OpisPotwierdzenia) rather than the UPO of a single invoice.
func (u *UPO) IsSessionUPO() bool { return u.Page != nil }

// xmlUPO mirrors the v4-3 schema for decoding and encoding.
type xmlUPO struct {
	XMLName         xml.Name        `xml:"Potwierdzenie"`
	SchemaVersion   string          `xml:"wersjaSchemy,attr,omitempty"`
	ReceivingEntity string          `xml:"NazwaPodmiotuPrzyjmujacego"`
	SessionRef      string          `xml:"NumerReferencyjnySesji"`
	Auth            xmlAuth         `xml:"Uwierzytelnienie"`
	Page            *xmlPage        `xml:"OpisPotwierdzenia"`
	StructureName   string          `xml:"NazwaStrukturyLogicznej"`
	FormCode        string          `xml:"KodFormularza"`
	Documents       []xmlDocument   `xml:"Dokument"`
	Signatures      []xmlSignatureT `xml:"http://www.w3.org/2000/09/xmldsig# Signature"`
}

type xmlSignatureT struct{}

type xmlAuth struct {
	Context  xmlContext `xml:"IdKontekstu"`
	TokenRef string     `xml:"NumerReferencyjnyTokenaKSeF,omitempty"`
	DocHash  string     `xml:"SkrotDokumentuUwierzytelniajacego,omitempty"`
}

type xmlContext struct {
	NIP        string `xml:"Nip,omitempty"`
	InternalID string `xml:"IdWewnetrzny,omitempty"`
	NIPVatUE   string `xml:"IdZlozonyVatUE,omitempty"`
	PeppolID   string `xml:"IdDostawcyUslugPeppol,omitempty"`
}

type xmlPage struct {
	Page  string `xml:"Strona"`
	Pages string `xml:"LiczbaStron"`
	From  string `xml:"ZakresDokumentowOd"`
	To    string `xml:"ZakresDokumentowDo"`
	Total string `xml:"CalkowitaLiczbaDokumentow"`
}

type xmlDocument struct {
	SellerNIP   string `xml:"NipSprzedawcy"`
	KSeFNumber  string `xml:"NumerKSeFDokumentu"`
	InvoiceNo   string `xml:"NumerFaktury"`
	IssueDate   string `xml:"DataWystawieniaFaktury"`
	SubmittedAt string `xml:"DataPrzeslaniaDokumentu"`
	AssignedAt  string `xml:"DataNadaniaNumeruKSeF"`
	Hash        string `xml:"SkrotDokumentu"`
	Mode        string `xml:"TrybWysylki"`
}

// minTimestamp is the schema's minInclusive for the two document timestamps.
var minTimestamp = time.Date(2021, 10, 1, 0, 0, 0, 0, time.UTC)

// minIssueDate is the schema's minInclusive for DataWystawieniaFaktury.
var minIssueDate = time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC)

// Parse decodes a UPO v4-3 document. See the package documentation for what
// it checks. Errors wrap [ErrInvalid] or [ErrUnsupported].
func Parse(data []byte) (*UPO, error) {
	var x xmlUPO
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&x); err != nil {
		var se xml.UnmarshalError
		if errors.As(err, &se) && strings.Contains(string(se), "expected element type <Potwierdzenie>") {
			return nil, fmt.Errorf("%w: root element is not Potwierdzenie", ErrInvalid)
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	// Nothing but whitespace, comments and processing instructions may follow the root.
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return nil, fmt.Errorf("%w: content after the root element", ErrInvalid)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("%w: content after the root element", ErrInvalid)
			}
		}
	}
	if x.XMLName.Space != Namespace {
		return nil, fmt.Errorf("%w: namespace %q", ErrUnsupported, x.XMLName.Space)
	}
	return x.convert()
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func (x *xmlUPO) convert() (*UPO, error) {
	u := &UPO{
		SchemaVersion:          strings.TrimSpace(x.SchemaVersion),
		ReceivingEntity:        collapse(x.ReceivingEntity),
		SessionReferenceNumber: strings.TrimSpace(x.SessionRef),
		LogicalStructureName:   collapse(x.StructureName),
		FormCode:               collapse(x.FormCode),
		Signed:                 len(x.Signatures) > 0,
	}
	if u.ReceivingEntity == "" {
		return nil, invalid("missing NazwaPodmiotuPrzyjmujacego")
	}
	if u.SessionReferenceNumber == "" {
		return nil, invalid("missing NumerReferencyjnySesji")
	}
	if u.LogicalStructureName == "" {
		return nil, invalid("missing NazwaStrukturyLogicznej")
	}
	if u.FormCode == "" {
		return nil, invalid("missing KodFormularza")
	}

	var ctxs []ident.Identifier
	for _, c := range []ident.Identifier{
		{Type: ident.TypeNip, Value: x.Auth.Context.NIP},
		{Type: ident.TypeInternalID, Value: x.Auth.Context.InternalID},
		{Type: ident.TypeNipVatUe, Value: x.Auth.Context.NIPVatUE},
		{Type: ident.TypePeppolID, Value: x.Auth.Context.PeppolID},
	} {
		if c.Value = strings.TrimSpace(c.Value); c.Value != "" {
			ctxs = append(ctxs, c)
		}
	}
	if len(ctxs) != 1 {
		return nil, invalid("IdKontekstu must hold exactly one identifier, found %d", len(ctxs))
	}
	u.Authentication.Context = ctxs[0]
	u.Authentication.KSeFTokenReferenceNumber = strings.TrimSpace(x.Auth.TokenRef)
	u.Authentication.AuthenticationDocumentHash = strings.TrimSpace(x.Auth.DocHash)
	if (u.Authentication.KSeFTokenReferenceNumber == "") == (u.Authentication.AuthenticationDocumentHash == "") {
		return nil, invalid("Uwierzytelnienie must hold exactly one of NumerReferencyjnyTokenaKSeF and SkrotDokumentuUwierzytelniajacego")
	}
	if h := u.Authentication.AuthenticationDocumentHash; h != "" && !isSHA256Base64(h) {
		return nil, invalid("SkrotDokumentuUwierzytelniajacego is not a Base64 SHA-256 digest")
	}

	if x.Page != nil {
		p := &PageInfo{}
		for _, f := range []struct {
			name string
			raw  string
			dst  *int
		}{
			{"Strona", x.Page.Page, &p.Page},
			{"LiczbaStron", x.Page.Pages, &p.PageCount},
			{"ZakresDokumentowOd", x.Page.From, &p.FirstDocument},
			{"ZakresDokumentowDo", x.Page.To, &p.EndDocument},
			{"CalkowitaLiczbaDokumentow", x.Page.Total, &p.TotalDocuments},
		} {
			n, err := strconv.Atoi(strings.TrimSpace(f.raw))
			if err != nil || n < 1 {
				return nil, invalid("OpisPotwierdzenia/%s is not a positive integer", f.name)
			}
			*f.dst = n
		}
		u.Page = p
	}

	if len(x.Documents) == 0 {
		return nil, invalid("no Dokument element")
	}
	seen := make(map[string]bool, len(x.Documents))
	for i, xd := range x.Documents {
		d, err := xd.convert()
		if err != nil {
			return nil, fmt.Errorf("%w (Dokument %d)", err, i+1)
		}
		if seen[d.KSeFNumber] {
			return nil, invalid("duplicate NumerKSeFDokumentu %s", d.KSeFNumber)
		}
		seen[d.KSeFNumber] = true
		u.Documents = append(u.Documents, d)
	}
	return u, nil
}

func (xd *xmlDocument) convert() (Document, error) {
	d := Document{
		SellerNIP:     strings.TrimSpace(xd.SellerNIP),
		KSeFNumber:    strings.TrimSpace(xd.KSeFNumber),
		InvoiceNumber: collapse(xd.InvoiceNo),
		DocumentHash:  strings.TrimSpace(xd.Hash),
		Mode:          SendingMode(strings.TrimSpace(xd.Mode)),
	}
	if err := ident.CheckNIPPattern(d.SellerNIP); err != nil {
		return d, fmt.Errorf("%w: NipSprzedawcy: %w", ErrInvalid, err)
	}
	if _, err := ident.ParseKSeFNumber(d.KSeFNumber); err != nil {
		return d, fmt.Errorf("%w: NumerKSeFDokumentu: %w", ErrInvalid, err)
	}
	if d.InvoiceNumber == "" {
		return d, invalid("missing NumerFaktury")
	}
	var err error
	if d.IssueDate, err = parseDate(xd.IssueDate); err != nil || d.IssueDate.Before(minIssueDate) {
		return d, invalid("DataWystawieniaFaktury %q is not a valid date", strings.TrimSpace(xd.IssueDate))
	}
	if d.SubmittedAt, err = parseDateTime(xd.SubmittedAt); err != nil || d.SubmittedAt.Before(minTimestamp) {
		return d, invalid("DataPrzeslaniaDokumentu %q is not a valid timestamp", strings.TrimSpace(xd.SubmittedAt))
	}
	if d.KSeFNumberAssignedAt, err = parseDateTime(xd.AssignedAt); err != nil || d.KSeFNumberAssignedAt.Before(minTimestamp) {
		return d, invalid("DataNadaniaNumeruKSeF %q is not a valid timestamp", strings.TrimSpace(xd.AssignedAt))
	}
	if !isSHA256Base64(d.DocumentHash) {
		return d, invalid("SkrotDokumentu is not a Base64 SHA-256 digest")
	}
	if d.Mode != ModeOnline && d.Mode != ModeOffline {
		return d, invalid("TrybWysylki %q is neither Online nor Offline", d.Mode)
	}
	return d, nil
}

// parseDate parses an xsd:date without a time zone.
func parseDate(s string) (time.Time, error) {
	return time.Parse(time.DateOnly, strings.TrimSpace(s))
}

// parseDateTime parses an xsd:dateTime; a value without a zone is taken as UTC.
func parseDateTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02T15:04:05.999999999", s)
}

func isSHA256Base64(s string) bool {
	if len(s) != 44 {
		return false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == 32
}

// collapse applies the xsd:token whitespace rule: trim and collapse runs of
// whitespace to one space.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
