package sqlitestore_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/sqlitestore"
)

// commit stores invoices in one commit of the Subject1 stream of ctxNIP.
func commit(t *testing.T, st *sqlitestore.Store, ctxNIP string, invs ...*ksefsync.Invoice) {
	t.Helper()
	s, err := st.Claim(t.Context(), ksefsync.StreamKey{Context: ctxNIP, SubjectType: ksef.InvoiceQuerySubjectTypeSubject1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	if _, _, err := s.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	seq := func(yield func(*ksefsync.Invoice, error) bool) {
		for _, inv := range invs {
			if !yield(inv, nil) {
				return
			}
		}
	}
	if _, err := s.Commit(t.Context(), ksefsync.Checkpoint{From: time.Now()}, seq); err != nil {
		t.Fatal(err)
	}
}

func meta(num, seller, buyer, issue, cur string, gross float64, typ ksef.InvoiceType) *ksefsync.Invoice {
	var m ksef.InvoiceMetadata
	m.KSeFNumber, m.InvoiceNumber, m.IssueDate, m.Currency, m.GrossAmount, m.InvoiceType = num, "FV/"+num[len(num)-2:], issue, cur, gross, typ
	m.Seller.Nip = seller
	m.Buyer.Identifier.Value = buyer
	m.PermanentStorageDate = time.Now()
	return &ksefsync.Invoice{Metadata: m, XML: []byte("<Faktura/>")}
}

func TestSearchAndLastSync(t *testing.T) {
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if at, err := st.LastSync(ctx, time.Minute); err != nil || !at.IsZero() {
		t.Fatalf("LastSync of an empty store: %v, %v", at, err)
	}
	const a, b = "5265877635", "7773152431"
	commit(t, st, a, meta("N-01", a, b, "2026-01-10", "PLN", 100, "Vat"), meta("N-02", a, b, "2026-02-10", "EUR", 250.5, "Vat"))
	first := time.Now()
	time.Sleep(300 * time.Millisecond)
	commit(t, st, a, meta("N-03", b, a, "2026-02-20", "PLN", 99.99, "Kor"))
	commit(t, st, a, meta("N-04", b, a, "2026-03-01", "pln", 1000, "Vat"))

	nums := func(f sqlitestore.SearchFilter) []string {
		var out []string
		for r, err := range st.Search(ctx, f) {
			if err != nil {
				t.Fatal(err)
			}
			if r.StoredAt.IsZero() {
				t.Errorf("%s: no store time", r.KSeFNumber)
			}
			out = append(out, r.KSeFNumber)
		}
		return out
	}
	i64 := func(v int64) *int64 { return &v }
	for _, tc := range []struct {
		f    sqlitestore.SearchFilter
		want []string
	}{
		{sqlitestore.SearchFilter{}, []string{"N-01", "N-02", "N-03", "N-04"}},
		{sqlitestore.SearchFilter{NIP: a}, []string{"N-01", "N-02", "N-03", "N-04"}},
		{sqlitestore.SearchFilter{NIP: a, Role: "seller"}, []string{"N-01", "N-02"}},
		{sqlitestore.SearchFilter{NIP: a, Role: "buyer"}, []string{"N-03", "N-04"}},
		{sqlitestore.SearchFilter{IssuedFrom: "2026-02-10", IssuedTo: "2026-02-20"}, []string{"N-02", "N-03"}},
		{sqlitestore.SearchFilter{MinGross: i64(9999), MaxGross: i64(25050)}, []string{"N-01", "N-02", "N-03"}},
		{sqlitestore.SearchFilter{Currency: "pln"}, []string{"N-01", "N-03", "N-04"}},
		{sqlitestore.SearchFilter{InvoiceType: "kor"}, []string{"N-03"}},
		{sqlitestore.SearchFilter{StoredSince: first.Add(100 * time.Millisecond)}, []string{"N-03", "N-04"}},
	} {
		if got := nums(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("Search(%+v) = %v, want %v", tc.f, got, tc.want)
		}
	}
	// The last two commits were milliseconds apart, 300 ms after the
	// first: with a 100 ms gap they are the last run.
	last, err := st.LastSync(ctx, 100*time.Millisecond)
	if err != nil || !last.After(first) {
		t.Errorf("LastSync(100ms) = %v, %v; want after %v", last, err, first)
	}
	if got := nums(sqlitestore.SearchFilter{StoredSince: last}); !slices.Equal(got, []string{"N-03", "N-04"}) {
		t.Errorf("stored in the last run: %v", got)
	}
	all, err := st.LastSync(ctx, time.Hour)
	if err != nil || all.After(first) {
		t.Errorf("LastSync(1h) = %v, %v; want the first commit", all, err)
	}
}
