package ksef_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/ksefsim"
)

// Sending invoices in a batch session against the local simulator: pack,
// upload, close, wait, and one result per invoice file.
func ExampleSessionsService_SendBatch() {
	sim := ksefsim.New()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	id, err := sim.NewTestIdentity()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	c, err := ksef.NewClient(ksef.WithBaseURL(srv.URL + ksefsim.BasePath))
	if err != nil {
		log.Fatal(err)
	}
	auth, err := c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, nil)
	if err != nil {
		log.Fatal(err)
	}
	var invoices []ksef.BatchInvoice
	for i := 1; i <= 3; i++ {
		today := time.Now().Format(time.DateOnly)
		xml, err := fa3.BuildXML(fa3.InvoiceParams{
			Number: fmt.Sprintf("FV/EX/%d", i), IssueDate: today, SaleDate: today, Created: time.Now().Add(-time.Minute),
			Seller: fa3.Party{NIP: id.NIP, Name: "Sprzedawca", AddressLine1: "ul. Kwiatowa 1"},
			Buyer:  fa3.Party{NIP: "7773152431", Name: "Nabywca", AddressLine1: "ul. Polna 1"},
			Lines:  []fa3.Line{{Name: "Usługa", Unit: "szt.", Quantity: "1", UnitPrice: "100", Rate: "23"}},
		})
		if err != nil {
			log.Fatal(err)
		}
		invoices = append(invoices, ksef.BatchInvoice{Name: fmt.Sprintf("fv-%d.xml", i), Data: xml})
	}
	seq := func(yield func(ksef.BatchInvoice) bool) {
		for _, inv := range invoices {
			if !yield(inv) {
				return
			}
		}
	}
	bs, err := auth.Sessions.SendBatch(ctx, ksef.FormFA3, seq, &ksef.BatchParams{
		OnProgress: func(p ksef.BatchProgress) {
			if p.PartsSent == p.PartsTotal {
				fmt.Printf("uploaded %d part(s)\n", p.PartsTotal)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	st, err := bs.Wait(ctx, &ksef.WaitOptions{MinDelay: 10 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("session status:", st.Status.Code)
	for r, err := range bs.Results(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(r.Entry.Name, r.Err() == nil && r.Status.KSeFNumber != "")
	}
	// Output:
	// uploaded 1 part(s)
	// session status: 200
	// fv-1.xml true
	// fv-2.xml true
	// fv-3.xml true
}
