package ksefsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ksef2/ksef"
)

// invoiceStore is the repository of invoices that received a KSeF number:
// what GET /invoices/ksef/{ksefNumber}, POST /invoices/query/metadata and
// exports read. Every path that assigns a KSeF number (online sessions,
// batch sessions, seeding) registers the invoice here through
// Simulator.storeInvoice, the one place that keeps the indexes. It lives
// in state and is guarded by Simulator.mu.
type invoiceStore struct {
	byKSeF map[string]*storedInvoice
	// all holds the invoices ordered by permanent storage date (then KSeF
	// number); storeInvoice inserts in order.
	all []*storedInvoice
}

// invoices returns the invoice repository, creating it on first use.
func (st *state) invoices() *invoiceStore {
	if st.invoiceSt == nil {
		st.invoiceSt = &invoiceStore{byKSeF: map[string]*storedInvoice{}}
	}
	return st.invoiceSt
}

// storedInvoice is one invoice of the repository.
type storedInvoice struct {
	md ksef.InvoiceMetadata
	// doc is the invoice XML; seeded invoices have render instead (the XML
	// is generated on demand so that 100,000 seeded invoices stay small).
	doc    []byte
	render func() []byte
	// visibleAt is when the invoice reaches the query index, exports and
	// download (its permanent storage date plus the storage delay).
	visibleAt time.Time
	// subject identifiers, for the subjectType filter.
	third      []string // Podmiot3 identifier values
	authorized string   // PodmiotUpowazniony NIP
}

// xml returns the invoice document.
func (inv *storedInvoice) xml() []byte {
	if inv.doc != nil {
		return inv.doc
	}
	return inv.render()
}

// WithPermanentStorageDelay sets how long after its acceptance an invoice
// takes to reach permanent storage: until then GET /invoices/ksef/{n}
// answers 400/21165 and queries and exports do not see it, and the
// permanentStorageHwmDate stays before its permanent storage date (data up
// to the HWM is final). The default is 0.
func WithPermanentStorageDelay(d time.Duration) Option {
	return func(c *config) { c.storageDelay = max(d, 0) }
}

// storeInvoice registers an invoice that received a KSeF number. Callers
// hold s.mu.
func (s *Simulator) storeInvoice(inv *storedInvoice) {
	st := s.st.invoices()
	if st.byKSeF[inv.md.KSeFNumber] != nil {
		return
	}
	st.byKSeF[inv.md.KSeFNumber] = inv
	// Insert in permanent-storage order (appends in the common case).
	i := len(st.all)
	for i > 0 && storageLess(inv, st.all[i-1]) {
		i--
	}
	if i == len(st.all) {
		st.all = append(st.all, inv)
		return
	}
	st.all = append(st.all, nil)
	copy(st.all[i+1:], st.all[i:])
	st.all[i] = inv
}

func storageLess(a, b *storedInvoice) bool {
	if !a.md.PermanentStorageDate.Equal(b.md.PermanentStorageDate) {
		return a.md.PermanentStorageDate.Before(b.md.PermanentStorageDate)
	}
	return a.md.KSeFNumber < b.md.KSeFNumber
}

// hwm is the permanent-storage high-water mark at now: every invoice with
// a permanent storage date up to it is visible, so data up to it is final.
// Callers hold s.mu.
func (s *Simulator) hwm(now time.Time) time.Time {
	h := now
	st := s.st.invoices()
	// Pending invoices are the recent ones: scan back from the end while
	// the storage date could still be pending.
	for i := len(st.all) - 1; i >= 0; i-- {
		inv := st.all[i]
		if inv.md.PermanentStorageDate.Add(s.cfg.storageDelay).Before(now) && !inv.visibleAt.After(now) {
			break
		}
		if inv.visibleAt.After(now) && !inv.md.PermanentStorageDate.After(h) {
			h = inv.md.PermanentStorageDate.Add(-time.Millisecond)
		}
	}
	return h.Truncate(time.Millisecond)
}

// indexSessionInvoice registers an invoice accepted in a session (online
// or batch) with its KSeF number; f holds its bytes and facts. Callers
// hold s.mu.
func (s *Simulator) indexSessionInvoice(form formSpec, c ctxID, inv *sessionInvoice, f *invoiceFacts) {
	if f == nil || f.doc == nil || inv.ksefNumber == "" {
		return
	}
	md, extra := metadataOf(form, f.doc)
	md.KSeFNumber = inv.ksefNumber
	md.InvoicingDate = inv.sentAt.UTC().Truncate(time.Millisecond)
	md.AcquisitionDate = inv.readyAt.UTC().Truncate(time.Millisecond)
	md.PermanentStorageDate = md.AcquisitionDate
	md.InvoicingMode = ksef.InvoicingMode(inv.mode())
	md.InvoiceHash = inv.hash
	if md.Seller.Nip == "" {
		md.Seller.Nip = contextNIP(c)
	}
	s.storeInvoice(&storedInvoice{
		md:         md,
		doc:        f.doc,
		visibleAt:  md.PermanentStorageDate.Add(s.cfg.storageDelay),
		third:      extra.third,
		authorized: extra.authorized,
	})
}

// partyExtra are the subject identifiers of an invoice that the metadata
// does not carry in a form the filters need.
type partyExtra struct {
	third      []string
	authorized string
}

// invoiceTypes maps RodzajFaktury to the API's invoice types.
var invoiceTypes = map[string]ksef.InvoiceType{
	"VAT": ksef.InvoiceTypeVat, "ZAL": ksef.InvoiceTypeZal, "KOR": ksef.InvoiceTypeKor,
	"ROZ": ksef.InvoiceTypeRoz, "UPR": ksef.InvoiceTypeUpr, "KOR_ZAL": ksef.InvoiceTypeKorZal,
	"KOR_ROZ": ksef.InvoiceTypeKorRoz, "VAT_RR": ksef.InvoiceTypeVatRr, "KOR_VAT_RR": ksef.InvoiceTypeKorVatRr,
}

// metadataOf reads the metadata of an invoice from its XML by local
// element paths (FA(2), FA(3), FA_RR and PEF). Dates, number and hash are
// the caller's.
func metadataOf(form formSpec, doc []byte) (ksef.InvoiceMetadata, partyExtra) {
	md := ksef.InvoiceMetadata{FormCode: form.code, Currency: "PLN"}
	md.Buyer.Identifier.Type = ksef.BuyerIdentifierType("None")
	var extra partyExtra
	d := xml.NewDecoder(bytes.NewReader(doc))
	var path []string
	var net, vat, gross float64
	var third *ksef.InvoiceMetadataThirdSubject
	var auth *ksef.InvoiceMetadataAuthorizedSubject
	num := func(v string) float64 { f, _ := strconv.ParseFloat(v, 64); return f }
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			if len(path) == 1 && form.pef {
				md.InvoiceType = ksef.InvoiceTypeVatPef
				if t.Name.Local == "CreditNote" {
					md.InvoiceType = ksef.InvoiceTypeKorPef
				}
			}
			if len(path) == 2 {
				switch t.Name.Local {
				case "Zalacznik":
					md.HasAttachment = true
				case "Podmiot3":
					md.ThirdSubjects = append(md.ThirdSubjects, ksef.InvoiceMetadataThirdSubject{})
					third = &md.ThirdSubjects[len(md.ThirdSubjects)-1]
					third.Identifier.Type = "None"
				case "PodmiotUpowazniony":
					auth = &ksef.InvoiceMetadataAuthorizedSubject{}
				}
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		case xml.CharData:
			v := strings.TrimSpace(string(t))
			if v == "" || len(path) < 2 {
				continue
			}
			p := strings.Join(path[1:], "/")
			if form.pef {
				switch {
				case p == "ID":
					md.InvoiceNumber = v
				case p == "IssueDate":
					md.IssueDate = v
				case p == "DocumentCurrencyCode":
					md.Currency = v
				case strings.HasSuffix(p, "AccountingSupplierParty/Party/PartyTaxScheme/CompanyID") && md.Seller.Nip == "":
					md.Seller.Nip = strings.TrimPrefix(v, "PL")
				case strings.HasSuffix(p, "AccountingSupplierParty/Party/PartyLegalEntity/RegistrationName"):
					md.Seller.Name = v
				case strings.HasSuffix(p, "AccountingCustomerParty/Party/PartyTaxScheme/CompanyID"):
					md.Buyer.Identifier = ksef.InvoiceMetadataBuyerIdentifier{Type: "Other", Value: v}
					if strings.HasPrefix(v, "PL") && len(v) == 12 {
						md.Buyer.Identifier = ksef.InvoiceMetadataBuyerIdentifier{Type: "Nip", Value: v[2:]}
					}
				case strings.HasSuffix(p, "AccountingCustomerParty/Party/PartyLegalEntity/RegistrationName"):
					md.Buyer.Name = v
				case p == "LegalMonetaryTotal/TaxExclusiveAmount":
					net = num(v)
				case p == "LegalMonetaryTotal/TaxInclusiveAmount":
					gross = num(v)
				case p == "TaxTotal/TaxAmount":
					vat = num(v)
				}
				continue
			}
			switch {
			case p == "Podmiot1/DaneIdentyfikacyjne/NIP":
				md.Seller.Nip = v
			case p == "Podmiot1/DaneIdentyfikacyjne/Nazwa":
				md.Seller.Name = v
			case p == "Podmiot2/DaneIdentyfikacyjne/NIP":
				md.Buyer.Identifier = ksef.InvoiceMetadataBuyerIdentifier{Type: "Nip", Value: v}
			case p == "Podmiot2/DaneIdentyfikacyjne/NrVatUE":
				md.Buyer.Identifier = ksef.InvoiceMetadataBuyerIdentifier{Type: "VatUe", Value: md.Buyer.Identifier.Value + v}
			case p == "Podmiot2/DaneIdentyfikacyjne/KodUE":
				md.Buyer.Identifier.Value = v + md.Buyer.Identifier.Value
			case p == "Podmiot2/DaneIdentyfikacyjne/NrID":
				md.Buyer.Identifier = ksef.InvoiceMetadataBuyerIdentifier{Type: "Other", Value: v}
			case p == "Podmiot2/DaneIdentyfikacyjne/Nazwa":
				md.Buyer.Name = v
			case third != nil && strings.HasPrefix(p, "Podmiot3/"):
				switch p {
				case "Podmiot3/DaneIdentyfikacyjne/NIP":
					third.Identifier = ksef.InvoiceMetadataThirdSubjectIdentifier{Type: "Nip", Value: v}
					extra.third = append(extra.third, v)
				case "Podmiot3/DaneIdentyfikacyjne/IDWew":
					third.Identifier = ksef.InvoiceMetadataThirdSubjectIdentifier{Type: "InternalId", Value: v}
					extra.third = append(extra.third, v)
				case "Podmiot3/DaneIdentyfikacyjne/NrVatUE":
					third.Identifier = ksef.InvoiceMetadataThirdSubjectIdentifier{Type: "VatUe", Value: v}
				case "Podmiot3/DaneIdentyfikacyjne/NrID":
					third.Identifier = ksef.InvoiceMetadataThirdSubjectIdentifier{Type: "Other", Value: v}
				case "Podmiot3/DaneIdentyfikacyjne/Nazwa":
					third.Name = v
				case "Podmiot3/Rola":
					r, _ := strconv.Atoi(v)
					third.Role = int32(r)
				}
			case auth != nil && strings.HasPrefix(p, "PodmiotUpowazniony/"):
				switch p {
				case "PodmiotUpowazniony/DaneIdentyfikacyjne/NIP":
					auth.Nip = v
					extra.authorized = v
				case "PodmiotUpowazniony/DaneIdentyfikacyjne/Nazwa":
					auth.Name = v
				case "PodmiotUpowazniony/RolaPU":
					r, _ := strconv.Atoi(v)
					auth.Role = int32(r)
				}
			case len(path) == 3 && (path[1] == "Fa" || path[1] == "FakturaRR"):
				switch k := path[2]; {
				case k == "P_1" || k == "P_4B":
					md.IssueDate = v
				case k == "P_2" || k == "P_4C":
					md.InvoiceNumber = v
				case k == "KodWaluty":
					md.Currency = v
				case k == "RodzajFaktury":
					md.InvoiceType = invoiceTypes[v]
				case k == "P_15" || k == "P_12_2":
					gross = num(v)
				case k == "P_12_1":
					vat += num(v)
				case k == "P_11" || k == "P_11_1":
					net += num(v)
				case strings.HasPrefix(k, "P_13_"):
					net += num(v)
				case strings.HasPrefix(k, "P_14_") && !strings.HasSuffix(k, "W"):
					vat += num(v)
				}
			case p == "Fa/Adnotacje/P_17" && v == "1":
				md.IsSelfInvoicing = true
			}
		}
	}
	if auth != nil && auth.Nip != "" {
		md.AuthorizedSubject = auth
	}
	if md.InvoiceType == "" {
		md.InvoiceType = ksef.InvoiceTypeVat
	}
	if gross == 0 {
		gross = net + vat
	}
	md.NetAmount, md.VatAmount, md.GrossAmount = round2(net), round2(vat), round2(gross)
	if md.IssueDate == "" {
		md.IssueDate = time.Now().UTC().Format(time.DateOnly)
	}
	return md, extra
}

func round2(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 2, 64), 64)
	return v
}

// hashOf returns the SHA-256 of doc.
func hashOf(doc []byte) []byte {
	h := sha256.Sum256(doc)
	return h[:]
}

// sortInvoices sorts invoices by the date of dateType, ascending or
// descending, ties by KSeF number (always ascending, so that moving a
// window to the last record's date never skips a record).
func sortInvoices(list []*storedInvoice, dateType ksef.InvoiceQueryDateType, desc bool) {
	key := dateKey(dateType)
	sort.SliceStable(list, func(i, j int) bool {
		a, b := key(list[i]), key(list[j])
		if !a.Equal(b) {
			return a.Before(b) != desc
		}
		return list[i].md.KSeFNumber < list[j].md.KSeFNumber
	})
}

// dateKey returns the date of an invoice a filter's dateType selects.
func dateKey(dateType ksef.InvoiceQueryDateType) func(*storedInvoice) time.Time {
	switch dateType {
	case ksef.InvoiceQueryDateTypeIssue:
		return func(inv *storedInvoice) time.Time {
			t, _ := time.Parse(time.DateOnly, inv.md.IssueDate)
			return t
		}
	case ksef.InvoiceQueryDateTypeInvoicing:
		return func(inv *storedInvoice) time.Time { return inv.md.InvoicingDate }
	default:
		return func(inv *storedInvoice) time.Time { return inv.md.PermanentStorageDate }
	}
}
