package simcmd

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ksefsim"
)

// TestSimServeSeedInvoices: --seed-invoices fills the simulator with
// invoices sold by the printed identity's NIP, which a logged-in client
// then finds with a metadata query.
func TestSimServeSeedInvoices(t *testing.T) {
	c := newCLI(t)
	c.SimOptions = []ksefsim.Option{clitest.ContractOption(t)}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &clitest.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		_, _, err := c.RunTo(ctx, out, &clitest.SyncBuffer{}, "sim", "serve", "--addr", "127.0.0.1:0",
			"--identity-dir", filepath.Join(t.TempDir(), "id"), "--seed-invoices", "300", "--no-rate-limits", "-o", "json")
		done <- err
	}()
	var info simInfo
	for {
		if err := json.Unmarshal([]byte(out.String()), &info); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("sim serve ended: %v\n%s", err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if info.SeededInvoices != 300 {
		t.Errorf("seededInvoices %d", info.SeededInvoices)
	}
	cred, err := credentials.LoadPEMFiles(info.Identity.CertFile, info.Identity.KeyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := ksef.NewClient(ksef.WithBaseURL(info.BaseURL))
	if err != nil {
		t.Fatal(err)
	}
	a, err := cl.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(info.Identity.NIP)), cred.Certificate, cred.Signer,
		&ksef.LoginParams{Wait: &ksef.WaitOptions{MinDelay: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range a.Invoices.QueryMetadataAll(t.Context(), &ksef.MetadataQuery{Filters: ksef.InvoiceQueryFilters{
		SubjectType: ksef.InvoiceQuerySubjectTypeSubject1,
		DateRange:   ksef.InvoiceQueryDateRange{DateType: ksef.InvoiceQueryDateTypePermanentStorage, From: time.Now().Add(-31 * 24 * time.Hour)},
	}}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 300 {
		t.Errorf("the identity's NIP sold %d invoices, want 300", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("sim serve after cancel: %v", err)
	}
}
