package ksef_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/testenv"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/ksefsend"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/upo"
)

// TestE2EOnlineSessionFlow runs workflows §C 20-22, 25 and §F 49-50
// against the simulator through the contract harness.
func TestE2EOnlineSessionFlow(t *testing.T) {
	sim, c := simClient(t)
	skipWithoutOnline(t, sim)
	id, a := loginSeal(t, sim, c)
	s := openOrSkip(t, sim, a)
	ctx := t.Context()
	var refs, numbers []string
	for i := range 2 {
		sent, err := s.SendInvoice(ctx, fa3Invoice(t, id.NIP, fmt.Sprintf("FV/e2e/%d", i)), nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.WaitInvoice(ctx, sent.ReferenceNumber, fastWait)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.KSeFNumber) != 35 {
			t.Errorf("KSeF number %q", st.KSeFNumber)
		}
		refs, numbers = append(refs, sent.ReferenceNumber), append(numbers, st.KSeFNumber)
	}
	// duplicate: the same invoice again, in a second session
	s2 := openOrSkip(t, sim, a)
	sent, err := s2.SendInvoice(ctx, fa3Invoice(t, id.NIP, "FV/e2e/0"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s2.WaitInvoice(ctx, sent.ReferenceNumber, fastWait)
	d, ok := ksef.AsDuplicate(err)
	if !errors.Is(err, ksef.ErrDuplicateInvoice) || !ok || d.OriginalKSeFNumber != numbers[0] || d.OriginalSessionReferenceNumber != s.ReferenceNumber() {
		t.Errorf("duplicate: %v %+v", err, d)
	}
	// a schema-invalid invoice (the simulator validates): status 430, listed as failed
	bad, err := s2.SendInvoice(ctx, []byte(`<?xml version="1.0" encoding="UTF-8"?><Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"/>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.WaitInvoice(ctx, bad.ReferenceNumber, fastWait); !errors.Is(err, ksef.ErrInvoiceSchema) {
		t.Errorf("invalid invoice: %v, want ErrInvoiceSchema", err)
	}
	for _, ss := range []*ksef.OnlineSession{s, s2} {
		if err := ss.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.Wait(ctx, fastWait)
	if err != nil {
		t.Fatal(err)
	}
	if st.SuccessfulInvoiceCount == nil || *st.SuccessfulInvoiceCount != 2 {
		t.Errorf("session status %+v", st)
	}
	// §F: lists
	var all, failed int
	for _, err := range a.Sessions.InvoicesAll(ctx, s2.ReferenceNumber(), &ksef.SessionInvoicesParams{PageSize: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		all++
	}
	for _, err := range a.Sessions.FailedInvoicesAll(ctx, s2.ReferenceNumber(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		failed++
	}
	if all != 2 || failed != 2 {
		t.Errorf("session 2: %d invoices, %d failed; want 2 and 2 (duplicate and invalid)", all, failed)
	}
	var listed []string
	for it, err := range a.Sessions.ListAll(ctx, &ksef.ListSessionsQuery{SessionType: ksef.SessionTypeOnline, PageSize: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, it.ReferenceNumber)
	}
	if !slices.Contains(listed, s.ReferenceNumber()) || !slices.Contains(listed, s2.ReferenceNumber()) {
		t.Errorf("session list %v", listed)
	}
	// §C 21: UPOs, verified
	check := func(name string, b []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		u, cert, err := upo.Verify(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cert == nil || u.SessionReferenceNumber != s.ReferenceNumber() {
			t.Errorf("%s: UPO of session %s", name, u.SessionReferenceNumber)
		}
	}
	b, err := a.Sessions.InvoiceUPO(ctx, s.ReferenceNumber(), refs[0])
	check("by reference", b, err)
	b, err = a.Sessions.InvoiceUPOByKSeFNumber(ctx, s.ReferenceNumber(), numbers[1])
	check("by KSeF number", b, err)
	page := st.Upo.Pages[0]
	b, err = a.Sessions.UPO(ctx, s.ReferenceNumber(), page.ReferenceNumber)
	check("session page", b, err)
	b, err = a.Sessions.UPOPage(ctx, page)
	check("pre-signed page", b, err)
}

// TestE2ESendWithFaults sends 2,000 invoices with the Sender while the
// simulator injects 429s, 5xx, dropped connections and a processed-but-500
// close: every invoice ends with exactly one KSeF number.
func TestE2ESendWithFaults(t *testing.T) {
	testenv.SkipShort(t, "2,000-invoice fault-injection run")
	n := 2000
	if testing.Short() {
		n = 200
	}
	sim, base := simtest.Start(t, ksefsim.WithoutRateLimits())
	skipWithoutOnline(t, sim)
	c, err := ksef.NewClient(ksef.WithBaseURL(base), ksef.WithRetry(ksef.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	id, a := loginSeal(t, sim, c)
	docs := make([][]byte, n)
	for i := range docs {
		docs[i] = fa3Invoice(t, id.NIP, fmt.Sprintf("FV/fault/%d", i))
	}
	send := ksef.OpOnlineSessionSendInvoice.String()
	for range n / 100 {
		sim.Faults().Fail(send, 1, ksefsim.Fault{Status: http.StatusTooManyRequests})
		sim.Faults().Fail(send, 1, ksefsim.Fault{Status: http.StatusInternalServerError, AfterProcessing: true})
		sim.Faults().Fail(send, 1, ksefsim.Fault{Drop: true, AfterProcessing: true})
		sim.Faults().Fail(send, 1, ksefsim.Fault{Status: http.StatusServiceUnavailable})
		sim.Faults().Fail(send, 1, ksefsim.Fault{Drop: true})
		sim.Faults().Fail(send, 1, ksefsim.Fault{Status: http.StatusBadGateway, AfterProcessing: true})
	}
	sim.Faults().Fail(ksef.OpOnlineSessionClose.String(), 1, ksefsim.Fault{Status: http.StatusInternalServerError, AfterProcessing: true})
	snd := &ksefsend.Sender{Sessions: a.Sessions, Form: ksef.FormFA3, Concurrency: 16, MaxPerSession: n / 4, Wait: fastWait}
	start := time.Now()
	outs, err := snd.Send(t.Context(), ksefsend.Bytes(docs...))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[ksefsend.Kind]int{}
	numbers := map[string]int{}
	for _, o := range outs {
		counts[o.Kind]++
		if o.Kind != ksefsend.Registered {
			t.Errorf("invoice %d: %s %v", o.Index, o.Kind, o.Err)
			continue
		}
		numbers[o.KSeFNumber]++
	}
	twice := 0
	for _, k := range numbers {
		if k > 1 {
			twice++
		}
	}
	t.Logf("%d invoices in %s: %d registered, %d distinct KSeF numbers, %d numbers twice, other outcomes %v; faults left %d",
		n, time.Since(start).Round(time.Millisecond), counts[ksefsend.Registered], len(numbers), twice, counts, sim.Faults().Pending(send))
	fmt.Printf("TestE2ESendWithFaults: %d invoices, %d registered, %d distinct KSeF numbers, %d twice, %d lost\n",
		n, counts[ksefsend.Registered], len(numbers), twice, n-len(outs)+n-counts[ksefsend.Registered])
	if len(outs) != n || len(numbers) != n || twice != 0 {
		t.Errorf("want %d outcomes with %d distinct KSeF numbers", n, n)
	}
}
