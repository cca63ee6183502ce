package mcpcmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned by [Store.Invoice] for a KSeF number the store
// does not hold.
var ErrNotFound = errors.New("the invoice is not in the local store (run ksef sync, or check the KSeF number)")

// Invoice is an invoice as the local store holds it: the key fields of its
// metadata (amounts in minor units, grosze) and, from [Store.Invoice], its
// XML.
type Invoice struct {
	KSeFNumber    string
	InvoiceNumber string
	SellerNIP     string
	SellerName    string
	BuyerIDType   string
	BuyerID       string
	BuyerName     string
	// IssueDate is P_1, YYYY-MM-DD.
	IssueDate string
	// PermanentStorageDate is when KSeF stored the invoice for good.
	PermanentStorageDate time.Time
	// StoredAt is when the local store got the invoice (zero if unknown).
	StoredAt time.Time
	Currency string
	// Net, VAT and Gross are in minor units (1/100 of the currency).
	Net, VAT, Gross int64
	// InvoiceType is KSeF's invoice type (Vat, Kor, Zal, ...).
	InvoiceType string
	// FormCode is the form's system code, e.g. "FA (3)".
	FormCode string
	// XML is the invoice document (only from [Store.Invoice]).
	XML []byte
}

// Query selects invoices of the store. Zero fields select everything.
type Query struct {
	// Party keeps invoices whose seller or buyer name contains it (case
	// insensitive).
	Party string
	// NIP keeps invoices whose seller NIP or buyer identifier is NIP.
	NIP string
	// Role narrows NIP and Party to the "seller" or the "buyer".
	Role string
	// InvoiceNumber keeps invoices whose number contains it.
	InvoiceNumber string
	// IssuedFrom and IssuedTo (YYYY-MM-DD, inclusive) bound the issue date.
	IssuedFrom, IssuedTo string
	// MinGross and MaxGross bound the gross amount (minor units, inclusive).
	MinGross, MaxGross *int64
	// InvoiceType keeps one invoice type (case insensitive).
	InvoiceType string
	// Currency keeps one currency (case insensitive).
	Currency string
	// StoredSince keeps invoices stored locally at or after it.
	StoredSince time.Time
}

// Match reports whether inv is selected by q.
func (q *Query) Match(inv *Invoice) bool {
	seller, buyer := q.Role != "buyer", q.Role != "seller"
	if q.NIP != "" && !(seller && inv.SellerNIP == q.NIP || buyer && inv.BuyerID == q.NIP) {
		return false
	}
	if p := strings.ToLower(q.Party); p != "" &&
		!(seller && strings.Contains(strings.ToLower(inv.SellerName), p) || buyer && strings.Contains(strings.ToLower(inv.BuyerName), p)) {
		return false
	}
	if q.InvoiceNumber != "" && !strings.Contains(strings.ToLower(inv.InvoiceNumber), strings.ToLower(q.InvoiceNumber)) {
		return false
	}
	if q.IssuedFrom != "" && inv.IssueDate < q.IssuedFrom || q.IssuedTo != "" && inv.IssueDate > q.IssuedTo {
		return false
	}
	if q.MinGross != nil && inv.Gross < *q.MinGross || q.MaxGross != nil && inv.Gross > *q.MaxGross {
		return false
	}
	if q.InvoiceType != "" && !strings.EqualFold(inv.InvoiceType, q.InvoiceType) {
		return false
	}
	if q.Currency != "" && !strings.EqualFold(inv.Currency, q.Currency) {
		return false
	}
	if !q.StoredSince.IsZero() && inv.StoredAt.Before(q.StoredSince) {
		return false
	}
	return true
}

// Store is what the MCP server reads: the local sync store (see `ksef
// sync`), never KSeF itself. Implementations stream: Search holds at most a
// few invoices in memory, however many match.
type Store interface {
	// Search yields the invoices matching q without their XML, ordered by
	// issue date and KSeF number (the SQLite and memory stores; a store
	// read through ksefsync.Reader keeps its own order).
	Search(ctx context.Context, q Query) iter.Seq2[Invoice, error]
	// Invoice returns one invoice with its XML, or an error matching
	// [ErrNotFound].
	Invoice(ctx context.Context, ksefNumber string) (*Invoice, error)
	// LastSync returns when the last sync run began to store invoices
	// (zero when the store was never synced).
	LastSync(ctx context.Context) (time.Time, error)
}

// MemStore is a [Store] in memory, for tests and `ksef mcp --selftest`.
type MemStore struct {
	mu       sync.Mutex
	invoices map[string]Invoice
	lastSync time.Time
}

// Add stores invoices as one sync run at time at: their StoredAt becomes
// at (when zero) and LastSync returns at.
func (m *MemStore) Add(at time.Time, invs ...Invoice) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.invoices == nil {
		m.invoices = map[string]Invoice{}
	}
	for _, inv := range invs {
		if inv.StoredAt.IsZero() {
			inv.StoredAt = at
		}
		m.invoices[inv.KSeFNumber] = inv
	}
	m.lastSync = at
}

// Search implements [Store].
func (m *MemStore) Search(_ context.Context, q Query) iter.Seq2[Invoice, error] {
	m.mu.Lock()
	var out []Invoice
	for _, inv := range m.invoices {
		if q.Match(&inv) {
			inv.XML = nil
			out = append(out, inv)
		}
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b Invoice) int {
		return cmp.Or(cmp.Compare(a.IssueDate, b.IssueDate), cmp.Compare(a.KSeFNumber, b.KSeFNumber))
	})
	return func(yield func(Invoice, error) bool) {
		for _, inv := range out {
			if !yield(inv, nil) {
				return
			}
		}
	}
}

// Invoice implements [Store].
func (m *MemStore) Invoice(_ context.Context, ksefNumber string) (*Invoice, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inv, ok := m.invoices[ksefNumber]
	if !ok {
		return nil, fmt.Errorf("%s: %w", ksefNumber, ErrNotFound)
	}
	return &inv, nil
}

// LastSync implements [Store].
func (m *MemStore) LastSync(context.Context) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastSync, nil
}
