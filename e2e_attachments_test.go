package ksef_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/testenv"
)

// TestE2EAttachmentsConsent runs workflows §C 28 and §M 96 (attachments):
// an FA(3) invoice with Zalacznik sent in a batch session ends with status
// 415 before the NIP's consent (POST /testdata/attachment) and 200 after
// it, as GET /permissions/attachments/status says; the consent is revoked
// again through the TestDataScope.
func TestE2EAttachmentsConsent(t *testing.T) {
	tmpl, err := os.ReadFile(filepath.Join(testenv.SpecDir(t), "samples", "invoices", "templates", "invoice-template-fa-3-with-attachment.xml"))
	if err != nil {
		t.Fatal(err)
	}
	sim, c := simClient(t)
	id, a := loginSeal(t, sim, c)
	ctx := t.Context()
	doc := bytes.ReplaceAll(bytes.ReplaceAll(tmpl, []byte("#nip#"), []byte(id.NIP)), []byte("#invoice_number#"), []byte("ZAL1"))
	send := func() *ksef.BatchResult {
		t.Helper()
		bs, err := a.Sessions.SendBatch(ctx, ksef.FormFA3, func(yield func(ksef.BatchInvoice) bool) {
			yield(ksef.BatchInvoice{Name: "z-zalacznikiem.xml", Data: doc})
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bs.Wait(ctx, &ksef.WaitOptions{MinDelay: 10 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		for r, err := range bs.Results(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			return &r
		}
		t.Fatal("no result")
		return nil
	}
	if r := send(); r.Status == nil || r.Status.Status.Code != 415 {
		t.Fatalf("before the consent: %+v", r.Status)
	}
	sc := c.TestData.Temporary()
	if err := sc.EnableAttachments(ctx, id.NIP); err != nil {
		t.Fatal(err)
	}
	if r := send(); r.Status == nil || r.Status.Status.Code != 200 || r.Status.KSeFNumber == "" {
		t.Fatalf("after the consent: %+v", r.Status)
	}
	allowed := func() bool {
		t.Helper()
		st, err := a.Permissions.AttachmentStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st.IsAttachmentAllowed != nil && *st.IsAttachmentAllowed
	}
	if !allowed() {
		t.Error("GET /permissions/attachments/status: not allowed after the consent")
	}
	if err := sc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if sim.AttachmentsAllowed(id.NIP) || allowed() {
		t.Error("consent not revoked by the scope")
	}
}
