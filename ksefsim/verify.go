package ksefsim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/fa2"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/farr"
	"github.com/ksef2/ksef/ident"
)

// formSpec is a form code an online session may be opened for.
type formSpec struct {
	code      ksef.FormCode
	structure string // NazwaStrukturyLogicznej of the UPO
	pef       bool
	// validate checks the invoice against the form's schema.
	validate func([]byte) error
}

// UBL namespaces of PEF invoices and corrections.
const (
	ublInvoiceNS    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	ublCreditNoteNS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
)

// forms are the form codes of API 2.8.1 (sesja-interaktywna.md).
var forms = []formSpec{
	{code: ksef.FormCode{SystemCode: "FA (3)", SchemaVersion: "1-0E", Value: "FA"}, structure: "Schemat_FA(3)_v1-0E.xsd", validate: fa3.ValidateBytes},
	{code: ksef.FormCode{SystemCode: "FA (2)", SchemaVersion: "1-0E", Value: "FA"}, structure: "Schemat_FA(2)_v1-0E.xsd", validate: fa2.ValidateBytes},
	{code: ksef.FormCode{SystemCode: "FA_RR (1)", SchemaVersion: "1-1E", Value: "FA_RR"}, structure: "Schemat_FA_RR(1)_v1-1E.xsd", validate: farr.ValidateBytes},
	{code: ksef.FormCode{SystemCode: "PEF (3)", SchemaVersion: "2-1", Value: "PEF"}, structure: "Schemat_PEF(3)_v2-1.xsd", pef: true, validate: pefRoot("Invoice", ublInvoiceNS)},
	{code: ksef.FormCode{SystemCode: "PEF_KOR (3)", SchemaVersion: "2-1", Value: "PEF"}, structure: "Schemat_PEF_KOR(3)_v2-1.xsd", pef: true, validate: pefRoot("CreditNote", ublCreditNoteNS)},
}

func lookupForm(c ksef.FormCode) (formSpec, bool) {
	for _, f := range forms {
		if f.code == c {
			return f, true
		}
	}
	return formSpec{}, false
}

// pefRoot checks what the simulator checks of a PEF document: it is
// well-formed and its root element is local in namespace ns. The UBL and
// Peppol rules themselves are not checked.
func pefRoot(local, ns string) func([]byte) error {
	return func(doc []byte) error {
		root, err := wellFormed(doc)
		if err != nil {
			return err
		}
		if root.Local != local || root.Space != ns {
			return errors.New("element główny {" + root.Space + "}" + root.Local + " zamiast {" + ns + "}" + local)
		}
		return nil
	}
}

// wellFormed parses the whole document and returns its root element name.
func wellFormed(doc []byte) (xml.Name, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var root xml.Name
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if root.Local == "" {
				return root, errors.New("brak elementu głównego")
			}
			return root, nil
		}
		if err != nil {
			return root, errors.New("dokument nie jest poprawnym XML: " + err.Error())
		}
		if se, ok := tok.(xml.StartElement); ok && root.Local == "" {
			root = se.Name
		}
	}
}

// invoiceFacts are the fields of an invoice the acceptance rules need.
type invoiceFacts struct {
	sellerNIP     string
	kind          string // RodzajFaktury (the root element for PEF)
	number        string // P_2 (P_4C for FA_RR, cbc:ID for PEF)
	issueDate     time.Time
	hasAttachment bool
	// parties are the identifiers of Podmiot1/2/3 and PodmiotUpowazniony
	// (NIP, and IDWew of Podmiot3), checked in sessions opened with
	// subject-identifier-validation.
	parties []partyID
	// doc is the invoice XML (for the invoice repository).
	doc []byte
}

// partyID is an identifier named on an invoice.
type partyID struct {
	path, value string
	internal    bool // IDWew: NIP + 5 digits with a check digit
}

// invalidIdentifiers returns a status detail for every party NIP (and
// internal identifier) whose check digit is wrong.
func (f *invoiceFacts) invalidIdentifiers() []string {
	var out []string
	for _, p := range f.parties {
		var err error
		if p.internal {
			err = ident.InternalID(p.value).Validate()
		} else {
			err = ident.NIP(p.value).Validate()
		}
		if err != nil {
			out = append(out, "Nieprawidłowy identyfikator podmiotu ("+p.path+"): "+p.value+".")
		}
	}
	return out
}

var encodingDecl = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^<\?xml[^>]*encoding\s*=\s*["']([^"']*)["']`)
})

// verifyInvoice runs the checks that need nothing but the invoice: the
// acceptance rules on its bytes, the form's schema, the size limit and the
// attachment rule. A zero status means the invoice passed.
func verifyInvoice(form formSpec, doc []byte) (*invoiceFacts, ksef.InvoiceStatusInfo) {
	fail := func(code int32, details ...string) (*invoiceFacts, ksef.InvoiceStatusInfo) {
		st := invoiceStatus(code)
		st.Details = details
		return nil, st
	}
	switch {
	case bytes.HasPrefix(doc, []byte("\xEF\xBB\xBF")):
		return fail(430, "Plik faktury zawiera znacznik BOM; wymagane kodowanie UTF-8 bez BOM.")
	case !utf8.Valid(doc):
		return fail(430, "Plik faktury nie jest poprawnie zakodowany w UTF-8.")
	}
	if m := encodingDecl().FindSubmatch(doc); m != nil && !strings.EqualFold(string(m[1]), "UTF-8") {
		return fail(430, "Deklaracja XML wskazuje kodowanie "+string(m[1])+"; dozwolone jest wyłącznie UTF-8.")
	}
	if e := processingInstruction(doc); e != "" {
		return fail(430, e)
	}
	if err := form.validate(doc); err != nil {
		return fail(430, schemaDetails(err)...)
	}
	f := extractFacts(form, doc)
	limit := maxInvoiceSize
	if f.hasAttachment {
		limit = maxInvoiceSizeAttachments
	}
	if len(doc) > limit {
		return fail(430, "Rozmiar faktury przekracza dopuszczalny limit.")
	}
	if f.hasAttachment {
		// Online sessions take no attachments (only batch sessions do).
		return fail(415)
	}
	return f, ksef.InvoiceStatusInfo{}
}

// processingInstruction returns a description of the first processing
// instruction other than the XML declaration, or "".
func processingInstruction(doc []byte) string {
	d := xml.NewDecoder(bytes.NewReader(doc))
	first := true
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if pi, ok := tok.(xml.ProcInst); ok && !(first && pi.Target == "xml") {
			return "Plik faktury zawiera instrukcję przetwarzania <?" + pi.Target + "?>, niedozwoloną w fakturze."
		}
		first = false
	}
}

// schemaDetails turns a validator error into status details (at most 10).
func schemaDetails(err error) []string {
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
		if len(out) == 10 {
			break
		}
	}
	if len(out) == 0 {
		out = []string{"Dokument nie jest zgodny ze schemą."}
	}
	return out
}

// extractFacts reads the fields the acceptance rules use from a
// schema-valid invoice, by local element paths.
func extractFacts(form formSpec, doc []byte) *invoiceFacts {
	f := &invoiceFacts{doc: doc}
	d := xml.NewDecoder(bytes.NewReader(doc))
	var path []string
	var issue string
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			if len(path) == 1 && form.pef {
				f.kind = t.Name.Local
			}
			if len(path) == 2 && t.Name.Local == "Zalacznik" {
				f.hasAttachment = true
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		case xml.CharData:
			v := strings.TrimSpace(string(t))
			if v == "" {
				continue
			}
			p := strings.Join(path, "/")
			switch {
			case form.pef:
				switch {
				case len(path) == 2 && path[1] == "ID":
					f.number = v
				case len(path) == 2 && path[1] == "IssueDate":
					issue = v
				case strings.HasSuffix(p, "AccountingSupplierParty/Party/PartyTaxScheme/CompanyID") && f.sellerNIP == "":
					f.sellerNIP = strings.TrimPrefix(v, "PL")
				}
			case strings.HasSuffix(p, "/Podmiot1/DaneIdentyfikacyjne/NIP") && len(path) == 4:
				f.sellerNIP = v
				f.parties = append(f.parties, partyID{path: "Podmiot1/DaneIdentyfikacyjne/NIP", value: v})
			case len(path) == 4 && path[2] == "DaneIdentyfikacyjne" && (path[3] == "NIP" || path[3] == "IDWew") &&
				(path[1] == "Podmiot2" || path[1] == "Podmiot3" || path[1] == "PodmiotUpowazniony"):
				f.parties = append(f.parties, partyID{path: strings.Join(path[1:], "/"), value: v, internal: path[3] == "IDWew"})
			case len(path) == 3 && (path[1] == "Fa" || path[1] == "FakturaRR"):
				switch path[2] {
				case "P_1", "P_4B":
					issue = v
				case "P_2", "P_4C":
					f.number = v
				case "RodzajFaktury":
					f.kind = v
				}
			}
		}
	}
	if t, err := time.Parse(time.DateOnly, issue); err == nil {
		f.issueDate = t
	}
	return f
}

// sellerForNumber is the NIP a KSeF number starts with: the seller's, or
// the context's when the invoice names none that is valid (PEF).
func sellerForNumber(f *invoiceFacts, c ctxID) string {
	if ident.NIP(f.sellerNIP).Validate() == nil {
		return f.sellerNIP
	}
	if nip := contextNIP(c); ident.NIP(nip).Validate() == nil {
		return nip
	}
	return string(ident.RandomNIP(nil))
}
