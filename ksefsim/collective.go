package ksefsim

import (
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
)

// collectivePermissions are the permissions of the collective-identifier
// operations (any one of).
var collectivePermissions = []string{"InvoiceRead", "InvoiceWrite", "CollectiveIdentifierManage"}

// maxIdentifiersPerInvoice is how many collective identifiers of one
// context one invoice may belong to (71002 beyond).
const maxIdentifiersPerInvoice = 132

// collectiveID is one collective identifier.
type collectiveID struct {
	number   string
	ctx      ctxID // the context that created it
	seller   string
	created  time.Time
	invoices []ksef.CollectiveIdentifierInvoice
}

func (c *collectiveID) has(ksefNumber string) bool {
	return slices.ContainsFunc(c.invoices, func(i ksef.CollectiveIdentifierInvoice) bool { return i.KSeFNumber == ksefNumber })
}

// visible reports whether context cx lists identifier c: it created it, or
// (a NIP context) it is the seller of its invoices.
func (c *collectiveID) visible(cx ctxID) bool {
	return c.ctx == cx || (cx.Type == "Nip" && cx.Value == c.seller)
}

// handleCreateCollective serves POST /collective-identifiers.
func (s *Simulator) handleCreateCollective(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requirePermission(r, collectivePermissions...)
	if e != nil {
		return e
	}
	var req ksef.GenerateCollectiveIdentifierRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if len(req.Invoices) < 2 {
		return validation("invoices: wymagane co najmniej 2 faktury, otrzymano %d.", len(req.Invoices))
	}
	for i, inv := range req.Invoices {
		if utf8.RuneCountInString(inv.Description) > 512 {
			return validation("invoices[%d].description: maksymalnie 512 znaków.", i)
		}
		if inv.Payment != nil && (inv.Payment.Currency == "" || inv.Payment.Amount < 0) {
			return validation("invoices[%d].payment: wymagana kwota i waluta.", i)
		}
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := p.ctx()
	if limit := int(s.contextLimits(c).CollectiveIdentifier.MaxInvoices); len(req.Invoices) > limit {
		return validation("invoices: przekroczono limit %d faktur w identyfikatorze zbiorczym.", limit)
	}
	a := s.st.admin()
	seen := map[string]bool{}
	seller := ""
	for _, inv := range req.Invoices {
		num := inv.KSeFNumber
		if seen[num] {
			return badRequest(71005, "Powtórzony numer KSeF "+num+".")
		}
		seen[num] = true
		stored := s.st.online().byKSeF[num]
		if stored == nil {
			return badRequest(71001, "Faktura o numerze KSeF "+num+" nie została znaleziona.")
		}
		if seller == "" {
			seller = stored.sellerNIP
		} else if stored.sellerNIP != seller {
			return badRequest(71004, "Faktura o numerze KSeF "+num+" ma innego sprzedawcę.")
		}
		n := 0
		for _, ci := range a.collectiveOrder {
			if ci.ctx == c && ci.has(num) {
				n++
			}
		}
		if n >= maxIdentifiersPerInvoice {
			return badRequest(71002, "Faktura o numerze KSeF "+num+" jest już przypisana do maksymalnej liczby Identyfikatorów Zbiorczych.")
		}
	}
	var number string
	for {
		number = string(ident.NewCollectiveIdentifier(ident.NIP(seller), now, nil))
		if a.collective[number] == nil {
			break
		}
	}
	ci := &collectiveID{number: number, ctx: c, seller: seller, created: now, invoices: slices.Clone(req.Invoices)}
	a.collective[number] = ci
	a.collectiveOrder = append(a.collectiveOrder, ci)
	writeOK(w, http.StatusCreated, ksef.GenerateCollectiveIdentifierResponse{CollectiveIdentifierNumber: number})
	return nil
}

// newestCollective sorts identifiers by dateCreated and number, descending.
func newestCollective(a, b *collectiveID) int {
	if c := b.created.Compare(a.created); c != 0 {
		return c
	}
	return strings.Compare(b.number, a.number)
}

// handleQueryCollective serves POST /collective-identifiers/query.
func (s *Simulator) handleQueryCollective(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requirePermission(r, collectivePermissions...)
	if e != nil {
		return e
	}
	size, offset, e := pageParams(r, 200, "collective")
	if e != nil {
		return e
	}
	var q ksef.CollectiveIdentifiersQueryRequest
	if e := decodeJSON(r, &q); e != nil {
		return e
	}
	if q.DateCreatedFrom.IsZero() || q.DateCreatedTo.IsZero() {
		return validation("dateCreatedFrom, dateCreatedTo: wymagane wartości.")
	}
	if q.DateCreatedTo.Before(q.DateCreatedFrom) || q.DateCreatedTo.Sub(q.DateCreatedFrom) > 100*24*time.Hour {
		return validation("dateCreatedFrom, dateCreatedTo: zakres może obejmować najwyżej 100 dni.")
	}
	c := p.ctx()
	s.mu.Lock()
	var found []*collectiveID
	for _, ci := range s.st.admin().collectiveOrder {
		n := int32(len(ci.invoices))
		switch {
		case !ci.visible(c), ci.created.Before(q.DateCreatedFrom), ci.created.After(q.DateCreatedTo),
			q.CollectiveIdentifierNumber != "" && q.CollectiveIdentifierNumber != ci.number,
			q.InvoiceCountFrom != nil && n < *q.InvoiceCountFrom,
			q.InvoiceCountTo != nil && n > *q.InvoiceCountTo,
			q.CreatedInCurrentContext != nil && *q.CreatedInCurrentContext != (ci.ctx == c):
			continue
		}
		found = append(found, ci)
	}
	slices.SortFunc(found, newestCollective)
	pg, next := page(found, offset, size, "collective")
	out := ksef.CollectiveIdentifiersQueryResponse{CollectiveIdentifiers: []ksef.CollectiveIdentifiersQueryResponseItem{}, ContinuationToken: next}
	for _, ci := range pg {
		out.CollectiveIdentifiers = append(out.CollectiveIdentifiers, ksef.CollectiveIdentifiersQueryResponseItem{
			CollectiveIdentifierNumber: ci.number, DateCreated: ci.created, InvoiceCount: int32(len(ci.invoices)), CreatedInCurrentContext: ci.ctx == c})
	}
	s.mu.Unlock()
	writeOK(w, http.StatusOK, out)
	return nil
}

// handleCollectiveByKSeF serves GET /collective-identifiers/ksef/{ksefNumber}.
func (s *Simulator) handleCollectiveByKSeF(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requirePermission(r, collectivePermissions...)
	if e != nil {
		return e
	}
	num := r.PathValue("ksefNumber")
	if _, err := ident.ParseKSeFNumber(num); err != nil {
		return validation("ksefNumber: nieprawidłowy numer KSeF %q.", num)
	}
	size, offset, e := pageParams(r, 200, "collective-ksef")
	if e != nil {
		return e
	}
	c := p.ctx()
	s.mu.Lock()
	var found []*collectiveID
	for _, ci := range s.st.admin().collectiveOrder {
		if ci.visible(c) && ci.has(num) {
			found = append(found, ci)
		}
	}
	slices.SortFunc(found, newestCollective)
	pg, next := page(found, offset, size, "collective-ksef")
	out := ksef.CollectiveIdentifiersByKsefNumberQueryResponse{CollectiveIdentifiers: []ksef.CollectiveIdentifiersByKsefNumberQueryResponseItem{}, ContinuationToken: next}
	for _, ci := range pg {
		out.CollectiveIdentifiers = append(out.CollectiveIdentifiers, ksef.CollectiveIdentifiersByKsefNumberQueryResponseItem{
			CollectiveIdentifierNumber: ci.number, DateCreated: ci.created, CreatedInCurrentContext: ci.ctx == c})
	}
	s.mu.Unlock()
	writeOK(w, http.StatusOK, out)
	return nil
}

// handleCollectiveInvoices serves POST /collective-identifiers/invoices:
// the invoices of 1-10 identifiers, by KSeF number descending. Payment and
// description are shown to the context that created the identifier; other
// callers get detailsHidden=true where they were given.
func (s *Simulator) handleCollectiveInvoices(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requirePermission(r, collectivePermissions...)
	if e != nil {
		return e
	}
	size, offset, e := pageParams(r, 500, "collective-invoices")
	if e != nil {
		return e
	}
	var req ksef.CollectiveIdentifierInvoicesQueryRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if n := len(req.CollectiveIdentifierNumbers); n < 1 || n > 10 {
		return validation("collectiveIdentifierNumbers: wymagane 1-10 identyfikatorów, otrzymano %d.", n)
	}
	c := p.ctx()
	var items []ksef.CollectiveIdentifierInvoicesQueryResponseItem
	s.mu.Lock()
	for _, num := range slices.Compact(slices.Sorted(slices.Values(req.CollectiveIdentifierNumbers))) {
		ci := s.st.admin().collective[num]
		if ci == nil {
			continue
		}
		for _, inv := range ci.invoices {
			it := ksef.CollectiveIdentifierInvoicesQueryResponseItem{KSeFNumber: inv.KSeFNumber, CollectiveIdentifierNumber: ci.number}
			switch {
			case ci.ctx == c:
				it.Description = inv.Description
				if inv.Payment != nil {
					it.Payment = &ksef.CollectiveIdentifierInvoicesQueryResponseItemPayment{Amount: inv.Payment.Amount, Currency: string(inv.Payment.Currency)}
				}
			case inv.Payment != nil || inv.Description != "":
				it.DetailsHidden = true
			}
			items = append(items, it)
		}
	}
	s.mu.Unlock()
	slices.SortStableFunc(items, func(a, b ksef.CollectiveIdentifierInvoicesQueryResponseItem) int {
		if c := strings.Compare(b.KSeFNumber, a.KSeFNumber); c != 0 {
			return c
		}
		return strings.Compare(a.CollectiveIdentifierNumber, b.CollectiveIdentifierNumber)
	})
	pg, next := page(items, offset, size, "collective-invoices")
	writeOK(w, http.StatusOK, ksef.CollectiveIdentifierInvoicesQueryResponse{Invoices: pg, ContinuationToken: next})
	return nil
}
