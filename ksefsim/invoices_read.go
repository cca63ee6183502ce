package ksefsim

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ksef2/ksef"
)

// Invoice retrieval limits (pobieranie-faktur.md, API 2.8.1).
const (
	// queryRecordCap is the number of records one filter set returns at
	// most; beyond it isTruncated is set.
	queryRecordCap = 10000
	// maxQueryRange is the longest date range of a query or export
	// (100 days, counted in UTC).
	maxQueryRange = 100 * 24 * time.Hour
)

// readInvoicePermissions are the permissions of the retrieval operations.
var readInvoicePermissions = []string{"InvoiceRead"}

func init() {
	for code, d := range map[int]string{
		21164: "Faktura o podanym identyfikatorze nie istnieje.",
		21165: "Faktura o podanym numerze KSeF nie jest jeszcze dostępna.",
		21181: "Nieprawidłowe żądanie eksportu faktur.",
		21182: "Osiągnięto limit trwających eksportów.",
		21183: "Zakres filtrowania wykracza poza dostępny zakres danych.",
	} {
		if _, ok := exceptionDescriptions[code]; !ok {
			exceptionDescriptions[code] = d
		}
	}
}

// handleDownloadInvoice serves GET /invoices/ksef/{ksefNumber}: the XML
// with x-ms-meta-hash, 21164 for a number unknown to the caller's context,
// 21165 before the invoice reached permanent storage.
func (s *Simulator) handleDownloadInvoice(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requirePermission(r, readInvoicePermissions...)
	if e != nil {
		return e
	}
	num := r.PathValue("ksefNumber")
	if n := len(num); n < 35 || n > 36 {
		return validation("ksefNumber: wymagany numer KSeF (35-36 znaków).")
	}
	now := s.now()
	s.mu.Lock()
	inv := s.st.invoices().byKSeF[num]
	var doc []byte
	var ae *apiError
	switch {
	case inv == nil || !s.visibleTo(inv, p.ctx()):
		ae = badRequest(21164, "Faktura o numerze KSeF "+num+" nie została znaleziona.")
	case inv.visibleAt.After(now):
		ae = badRequest(21165, "Faktura o numerze KSeF "+num+" nie jest jeszcze dostępna. Spróbuj ponownie później.")
	default:
		doc = inv.xml()
	}
	s.mu.Unlock()
	if ae != nil {
		return ae
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-ms-meta-hash", base64.StdEncoding.EncodeToString(hashOf(doc)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc)
	return nil
}

// visibleTo reports whether the context c is a party of the invoice
// (seller, buyer, third subject or authorized subject).
func (s *Simulator) visibleTo(inv *storedInvoice, c ctxID) bool {
	for _, st := range []ksef.InvoiceQuerySubjectType{"Subject1", "Subject2", "Subject3", "SubjectAuthorized"} {
		if subjectMatches(inv, st, c) {
			return true
		}
	}
	return false
}

// subjectMatches reports whether context c is the invoice's subject of
// the given type.
func subjectMatches(inv *storedInvoice, st ksef.InvoiceQuerySubjectType, c ctxID) bool {
	nip := contextNIP(c)
	switch st {
	case ksef.InvoiceQuerySubjectTypeSubject1:
		return nip != "" && inv.md.Seller.Nip == nip
	case ksef.InvoiceQuerySubjectTypeSubject2:
		return nip != "" && inv.md.Buyer.Identifier.Type == "Nip" && inv.md.Buyer.Identifier.Value == nip
	case ksef.InvoiceQuerySubjectTypeSubject3:
		return slices.Contains(inv.third, c.Value) || nip != "" && slices.Contains(inv.third, nip)
	case ksef.InvoiceQuerySubjectTypeSubjectAuthorized:
		return nip != "" && inv.authorized == nip
	}
	return false
}

// querySelection is a validated filter set.
type querySelection struct {
	f        ksef.InvoiceQueryFilters
	from, to time.Time
	hwm      *time.Time // the permanentStorageHwmDate to report
	issue    bool
}

// checkFilters validates a filter set as KSeF does (21405; 21183 for a
// window after the HWM when restricted to it) and resolves its bounds.
// Callers hold s.mu.
func (s *Simulator) checkFilters(f ksef.InvoiceQueryFilters, now time.Time) (*querySelection, *apiError) {
	switch f.SubjectType {
	case "Subject1", "Subject2", "Subject3", "SubjectAuthorized":
	default:
		return nil, validation("subjectType: nieprawidłowa wartość %q.", f.SubjectType)
	}
	dr := f.DateRange
	switch dr.DateType {
	case "Issue", "Invoicing", "PermanentStorage":
	default:
		return nil, validation("dateRange.dateType: nieprawidłowa wartość %q.", dr.DateType)
	}
	if dr.From.IsZero() {
		return nil, validation("dateRange.from: wartość wymagana.")
	}
	q := &querySelection{f: f, from: dr.From.UTC(), to: now, issue: dr.DateType == "Issue"}
	if dr.To != nil {
		q.to = dr.To.UTC()
	}
	if q.to.Before(q.from) {
		return nil, validation("dateRange: data 'to' jest wcześniejsza niż 'from'.")
	}
	if q.to.Sub(q.from) > maxQueryRange {
		return nil, validation("dateRange: maksymalny dozwolony zakres to 100 dni (UTC).")
	}
	if f.Amount != nil {
		switch f.Amount.Type {
		case "Brutto", "Netto", "Vat":
		default:
			return nil, validation("amount.type: nieprawidłowa wartość %q.", f.Amount.Type)
		}
	}
	if f.BuyerIdentifier != nil {
		switch f.BuyerIdentifier.Type {
		case "Nip", "VatUe", "Other", "None":
		default:
			return nil, validation("buyerIdentifier.type: nieprawidłowa wartość %q.", f.BuyerIdentifier.Type)
		}
	}
	if dr.DateType == "PermanentStorage" {
		h := s.hwm(now)
		if dr.RestrictToPermanentStorageHwmDate != nil && *dr.RestrictToPermanentStorageHwmDate {
			if q.from.After(h) {
				return nil, badRequest(21183, "Data początkowa "+q.from.Format(time.RFC3339)+" jest późniejsza niż permanentStorageHwmDate "+h.Format(time.RFC3339Nano)+".")
			}
			if q.to.After(h) {
				q.to = h
			}
		}
		rep := q.to
		if rep.After(h) {
			rep = h
		}
		q.hwm = &rep
	}
	if q.issue {
		q.from = time.Date(q.from.Year(), q.from.Month(), q.from.Day(), 0, 0, 0, 0, time.UTC)
		q.to = time.Date(q.to.Year(), q.to.Month(), q.to.Day(), 0, 0, 0, 0, time.UTC)
	}
	return q, nil
}

// selectInvoices returns the visible invoices of context c matching q,
// sorted by the filter's date. Callers hold s.mu.
func (s *Simulator) selectInvoices(c ctxID, q *querySelection, now time.Time, desc bool) []*storedInvoice {
	key := dateKey(q.f.DateRange.DateType)
	var out []*storedInvoice
	for _, inv := range s.st.invoices().all {
		if inv.visibleAt.After(now) {
			continue
		}
		if d := key(inv); d.Before(q.from) || d.After(q.to) {
			continue
		}
		if !subjectMatches(inv, q.f.SubjectType, c) || !matchFilters(inv, &q.f) {
			continue
		}
		out = append(out, inv)
	}
	sortInvoices(out, q.f.DateRange.DateType, desc)
	return out
}

// matchFilters applies the optional filters other than the date range and
// subject type.
func matchFilters(inv *storedInvoice, f *ksef.InvoiceQueryFilters) bool {
	md := &inv.md
	if f.KSeFNumber != "" && md.KSeFNumber != f.KSeFNumber {
		return false
	}
	if f.InvoiceNumber != "" && md.InvoiceNumber != f.InvoiceNumber {
		return false
	}
	if f.SellerNip != "" && md.Seller.Nip != f.SellerNip {
		return false
	}
	if a := f.Amount; a != nil {
		v := md.GrossAmount
		switch a.Type {
		case "Netto":
			v = md.NetAmount
		case "Vat":
			v = md.VatAmount
		}
		if a.From != nil && v < *a.From || a.To != nil && v > *a.To {
			return false
		}
	}
	if b := f.BuyerIdentifier; b != nil {
		if string(md.Buyer.Identifier.Type) != string(b.Type) || b.Value != "" && md.Buyer.Identifier.Value != b.Value {
			return false
		}
	}
	if len(f.CurrencyCodes) > 0 && !slices.Contains(f.CurrencyCodes, ksef.CurrencyCode(md.Currency)) {
		return false
	}
	if f.InvoicingMode != "" && md.InvoicingMode != f.InvoicingMode {
		return false
	}
	if f.IsSelfInvoicing != nil && md.IsSelfInvoicing != *f.IsSelfInvoicing {
		return false
	}
	if f.FormType != "" && md.FormCode.Value != string(f.FormType) {
		return false
	}
	if len(f.InvoiceTypes) > 0 && !slices.Contains(f.InvoiceTypes, md.InvoiceType) {
		return false
	}
	if f.HasAttachment != nil && md.HasAttachment != *f.HasAttachment {
		return false
	}
	return true
}

// handleQueryMetadata serves POST /invoices/query/metadata: the filters of
// the spec, sorting by the filter's date, pageOffset/pageSize paging, at
// most 10,000 records per filter set (isTruncated on the page that
// reaches the cap) and the permanentStorageHwmDate.
func (s *Simulator) handleQueryMetadata(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requirePermission(r, readInvoicePermissions...)
	if e != nil {
		return e
	}
	qv := r.URL.Query()
	size, offset := 10, 0
	if v := qv.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 || n > 250 {
			return validation("pageSize: wartość musi mieścić się w zakresie 10-250.")
		}
		size = n
	}
	if v := qv.Get("pageOffset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return validation("pageOffset: wartość musi być nieujemna.")
		}
		offset = n
	}
	desc := false
	switch qv.Get("sortOrder") {
	case "", "Asc":
	case "Desc":
		desc = true
	default:
		return validation("sortOrder: dozwolone wartości Asc, Desc.")
	}
	var f ksef.InvoiceQueryFilters
	if e := decodeJSON(r, &f); e != nil {
		return e
	}
	now := s.now()
	s.mu.Lock()
	q, e := s.checkFilters(f, now)
	if e != nil {
		s.mu.Unlock()
		return e
	}
	all := s.selectInvoices(p.ctx(), q, now, desc)
	total := len(all)
	window := all[:min(total, queryRecordCap)]
	start := min(offset*size, len(window))
	end := min(start+size, len(window))
	out := ksef.QueryInvoicesMetadataResponse{
		HasMore:                 end < total,
		IsTruncated:             total > queryRecordCap && end >= len(window),
		PermanentStorageHwmDate: q.hwm,
		Invoices:                make([]ksef.InvoiceMetadata, 0, end-start),
	}
	for _, inv := range window[start:end] {
		out.Invoices = append(out.Invoices, inv.md)
	}
	s.mu.Unlock()
	writeOK(w, http.StatusOK, out)
	return nil
}
