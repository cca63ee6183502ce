package ksefsync_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/sqlitestore"
)

// Sync the invoices of one logged-in context (here: of the local simulator,
// with 25 seeded sales invoices) into an SQLite file, then read the store.
func Example() {
	ctx := context.Background()
	sim := ksefsim.New()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	id, err := sim.NewTestIdentity()
	if err != nil {
		log.Fatal(err)
	}
	c, err := ksef.NewClient(ksef.WithBaseURL(srv.URL + ksefsim.BasePath))
	if err != nil {
		log.Fatal(err)
	}
	auth, err := c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := sim.SeedInvoices(ksefsim.SeedParams{Count: 25, SellerNIP: id.NIP, From: sim.Now().Add(-48 * time.Hour), To: sim.Now().Add(-time.Hour)}); err != nil {
		log.Fatal(err)
	}

	dir, err := os.MkdirTemp("", "ksefsync-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "ksef.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	eng, err := ksefsync.NewEngine(st, []ksefsync.ContextSource{{
		Context: id.NIP,
		Source:  &ksefsync.ExportSource{Invoices: auth.Invoices, TempDir: dir},
	}}, ksefsync.Options{Start: time.Now().AddDate(0, 0, -7)})
	if err != nil {
		log.Fatal(err)
	}
	s := eng.Run(ctx)
	if err := s.Err(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("new invoices:", s.New())
	fmt.Println("again:", eng.Run(ctx).New())
	tot, err := st.Totals(ctx, ksefsync.Filter{SubjectType: ksef.InvoiceQuerySubjectTypeSubject1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("issued:", tot[0].Count, tot[0].Currency)
	// Output:
	// new invoices: 25
	// again: 0
	// issued: 25 PLN
}
