package mcpcmd

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/sqlitestore"
)

// seedStore commits n synthetic invoices (200 counterparties, 12 months,
// two currencies) into a new SQLite store.
func seedStore(b *testing.B, n int) *sqlitestore.Store {
	b.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	s, err := st.Claim(context.Background(), ksefsync.StreamKey{Context: "5265877635", SubjectType: ksef.InvoiceQuerySubjectTypeSubject1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Release()
	if _, _, err := s.Checkpoint(context.Background()); err != nil {
		b.Fatal(err)
	}
	seq := func(yield func(*ksefsync.Invoice, error) bool) {
		for i := range n {
			var m ksef.InvoiceMetadata
			m.KSeFNumber = fmt.Sprintf("5265877635-20260115-%012X-00", i)
			m.InvoiceNumber = fmt.Sprintf("FV/%d/2026", i)
			m.Seller.Nip, m.Seller.Name = "5265877635", "Sprzedawca"
			m.Buyer.Identifier.Value = fmt.Sprintf("%010d", i%200)
			m.Buyer.Name = fmt.Sprintf("Nabywca %d", i%200)
			m.IssueDate = fmt.Sprintf("2026-%02d-%02d", i%12+1, i%28+1)
			m.Currency = []string{"PLN", "EUR"}[i%2]
			m.NetAmount, m.VatAmount, m.GrossAmount = 100, 23, 123
			m.InvoiceType = "Vat"
			m.PermanentStorageDate = time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
			if !yield(&ksefsync.Invoice{Metadata: m, XML: []byte("<Faktura/>")}, nil) {
				return
			}
		}
	}
	if _, err := s.Commit(context.Background(), ksefsync.Checkpoint{From: time.Now()}, seq); err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkTotals measures invoice_totals (every invoice of the store,
// grouped per counterparty, month and currency) against a yardstick in the
// same process: ksefsync's SQL total per currency over the same rows. It
// reports the ratio of the two and the heap in use after a run at two
// sizes: the tool holds one row per group, not the invoices.
func BenchmarkTotals(b *testing.B) {
	sizes := []int{10_000, 50_000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			st := seedStore(b, n)
			srv := &server{cfg: Config{Store: SyncStore(st, SyncGap), NIP: "5265877635"}}
			ctx := context.Background()
			t0 := time.Now()
			if _, err := st.Totals(ctx, ksefsync.Filter{}); err != nil {
				b.Fatal(err)
			}
			yard := time.Since(t0)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			var out TotalsOutput
			for b.Loop() {
				var err error
				if out, err = srv.totals(ctx, TotalsInput{Period: "month"}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			if out.Invoices != n || len(out.Rows) != 600 { // lcm(200 buyers, 12 months, 2 currencies)
				b.Fatalf("%d invoices in %d groups", out.Invoices, len(out.Rows))
			}
			per := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(per)/float64(yard), "x-yardstick")
			b.ReportMetric(float64(after.HeapInuse)/(1<<20), "heap-MiB")
			b.ReportMetric(float64(n)/per.Seconds(), "invoices/s")
		})
	}
}
