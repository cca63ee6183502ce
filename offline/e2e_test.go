package offline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/ksefsend"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/ksefsim/ksefsimtest"
	"github.com/ksef2/ksef/latarnia"
	"github.com/ksef2/ksef/offline"
	"github.com/ksef2/ksef/qr"
	"github.com/ksef2/ksef/visual"
)

var fastWait = &ksef.WaitOptions{MinDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond, Timeout: 20 * time.Second}

// env is a simulator behind the contract harness and a logged-in seal.
type env struct {
	srv *ksefsimtest.Server
	id  *ksefsim.TestIdentity
	a   *ksef.AuthenticatedClient
}

func start(t *testing.T) *env {
	t.Helper()
	srv := simtest.StartServer(t, ksefsim.WithoutRateLimits())
	c, err := ksef.NewClient(ksef.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	id, err := srv.Simulator.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer,
		&ksef.LoginParams{Wait: fastWait})
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, id: id, a: a}
}

// today is the calendar day in Poland now.
func today() time.Time { return offline.DayOf(time.Now()) }

// invoice builds a schema-valid FA(3) invoice of nip issued on day.
func invoice(t *testing.T, nip, number string, day time.Time) []byte {
	t.Helper()
	d := day.Format(time.DateOnly)
	b, err := fa3.BuildXML(fa3.InvoiceParams{
		Number: number, IssueDate: d, IssuePlace: "Warszawa", SaleDate: d, Created: time.Now().Add(-time.Minute),
		Seller: fa3.Party{NIP: nip, Name: "Sprzedawca S.A.", AddressLine1: "ul. Kwiatowa 1", AddressLine2: "00-001 Warszawa"},
		Buyer:  fa3.Party{NIP: "7773152431", Name: "F.H.U. Jan Kowalski", AddressLine1: "ul. Polna 1", AddressLine2: "00-001 Warszawa"},
		Lines:  []fa3.Line{{Name: "Usługa", Unit: "szt.", Quantity: "1", UnitPrice: "100", Rate: "23"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func validNumber(t *testing.T, n string) {
	t.Helper()
	if _, err := ident.ParseKSeFNumber(n); err != nil {
		t.Errorf("KSeF number %q: %v", n, err)
	}
}

// TestE2EOffline24 is workflows.md §D 37: an invoice issued in offline24
// carries KOD I (label OFFLINE) and KOD II (label CERTYFIKAT), is queued
// with the next business day as its deadline, and is sent later with
// offlineMode=true: status 200, invoicingMode Offline, and KOD I verifies
// against the file KSeF registered.
func TestE2EOffline24(t *testing.T) {
	e := start(t)
	doc := invoice(t, e.id.NIP, "FV/OFF24/1", today())

	kod1, err := qr.InvoiceLinkFor(qr.TestHost, doc)
	if err != nil {
		t.Fatal(err)
	}
	kod2, err := qr.NewCertificateLink(qr.CertificateLinkParams{Host: qr.TestHost, ContextType: ident.TypeNip, ContextValue: e.id.NIP,
		SellerNIP: e.id.NIP, Certificate: e.id.Certificate, Signer: e.id.Signer, Invoice: doc})
	if err != nil {
		t.Fatal(err)
	}
	view, err := visual.FromFA3(doc)
	if err != nil {
		t.Fatal(err)
	}
	view.VerificationLink, view.CertificateLink = kod1.String(), kod2.String()
	var html bytes.Buffer
	if err := visual.RenderInvoiceHTML(&html, view); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"OFFLINE", "CERTYFIKAT", kod1.String(), kod2.String()} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("rendered invoice lacks %q", want)
		}
	}

	q, err := offline.OpenQueue(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ent, err := q.Add(offline.AddParams{Name: "FV/OFF24/1", XML: doc, Mode: offline.Offline24})
	if err != nil {
		t.Fatal(err)
	}
	if want := offline.NextBusinessDay(today()); !ent.Deadline.Due.Equal(want) || ent.State != offline.Pending {
		t.Errorf("queued: due %v state %s, want %v pending", ent.Deadline.Due, ent.State, want)
	}
	again, err := q.Add(offline.AddParams{XML: doc, Mode: offline.Offline24})
	if err != nil || again.ID != ent.ID {
		t.Errorf("the same file queued twice: %v %v", again, err)
	}
	rep, err := q.Send(t.Context(), offline.SendParams{Sessions: e.a.Sessions, Wait: fastWait})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || len(rep.Warnings) != 0 {
		t.Fatalf("report %+v", rep)
	}
	got := rep.Results[0].Entry
	if got.State != offline.Registered || got.InvoicingMode != ksef.InvoicingModeOffline {
		t.Fatalf("after send: %+v", got)
	}
	validNumber(t, got.KSeFNumber)
	st, err := e.a.Sessions.InvoiceStatus(t.Context(), got.SessionReferenceNumber, got.InvoiceReferenceNumber)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status.Code != 200 || st.InvoicingMode != ksef.InvoicingModeOffline || st.KSeFNumber != got.KSeFNumber {
		t.Errorf("KSeF: status %d mode %s number %s", st.Status.Code, st.InvoicingMode, st.KSeFNumber)
	}
	if err := kod1.Verify(doc); err != nil || !bytes.Equal(st.InvoiceHash, sha(doc)) {
		t.Errorf("KOD I does not match the registered file: %v", err)
	}
	// Nothing is sent twice.
	rep, err = q.Send(t.Context(), offline.SendParams{Sessions: e.a.Sessions, Wait: fastWait})
	if err != nil || len(rep.Results) != 0 {
		t.Errorf("second send: %+v %v", rep, err)
	}
}

// TestE2EAutoOffline is workflows.md §D 38: an invoice sent online with
// offlineMode=false whose P_1 is an earlier day is marked offline.
func TestE2EAutoOffline(t *testing.T) {
	e := start(t)
	snd := &ksefsend.Sender{Sessions: e.a.Sessions, Form: ksef.FormFA3, Wait: fastWait}
	outs, err := snd.Send(t.Context(), ksefsend.Bytes(
		invoice(t, e.id.NIP, "FV/AUTO/1", today().AddDate(0, 0, -1)),
		invoice(t, e.id.NIP, "FV/AUTO/2", today())))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []ksef.InvoicingMode{ksef.InvoicingModeOffline, ksef.InvoicingModeOnline} {
		if outs[i].Kind != ksefsend.Registered || outs[i].InvoicingMode != want {
			t.Errorf("invoice %d: %s %s, want registered %s (%v)", i, outs[i].Kind, outs[i].InvoicingMode, want, outs[i].Err)
		}
	}
}

// TestE2ETechnicalCorrection is workflows.md §D 39: an offline invoice
// KSeF rejects for a technical reason (a BOM: status 430) is corrected in
// an online session with offlineMode=true and hashOfCorrectedInvoice, in
// a new session (through the queue, which ties both and reports both
// outcomes) and in the same session; a second correction gets 400/21166,
// correcting a correctly processed invoice 400/21167.
func TestE2ETechnicalCorrection(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	good := invoice(t, e.id.NIP, "FV/KT/1", today())
	bad := append([]byte("\uFEFF"), good...)

	// In a new session, through the queue.
	q, err := offline.OpenQueue(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	orig, err := q.Add(offline.AddParams{Name: "FV/KT/1", XML: bad, Mode: offline.Offline24})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Correct(orig.ID, good); err == nil {
		t.Error("a pending invoice was corrected")
	}
	rep, err := q.Send(ctx, offline.SendParams{Sessions: e.a.Sessions, Wait: fastWait})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Results[0].Entry; r.State != offline.Rejected || r.StatusCode != 430 {
		t.Fatalf("bad invoice: %+v", r)
	}
	corr, err := q.Correct(orig.ID, good)
	if err != nil {
		t.Fatal(err)
	}
	if corr.Corrects != orig.ID || !corr.Deadline.Due.Equal(orig.Deadline.Due) {
		t.Errorf("correction %+v", corr)
	}
	rep, err = q.Send(ctx, offline.SendParams{Sessions: e.a.Sessions, Wait: fastWait})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Entry.ID != corr.ID {
		t.Fatalf("second run: %+v", rep)
	}
	if rep.Results[0].Outcome.SessionReferenceNumber == "" {
		t.Error("no session")
	}
	cs, err := q.Corrections()
	if err != nil || len(cs) != 1 {
		t.Fatalf("corrections %v %v", cs, err)
	}
	c := cs[0]
	if c.Original.State != offline.Rejected || c.Original.StatusCode != 430 || c.Original.CorrectedBy != corr.ID ||
		c.Correction.State != offline.Registered || c.Correction.InvoicingMode != ksef.InvoicingModeOffline {
		t.Errorf("both outcomes: %+v", c)
	}
	validNumber(t, c.Correction.KSeFNumber)
	if _, err := q.Correct(orig.ID, append(good, '\n')); err == nil {
		t.Error("a second correction was queued after an accepted one")
	}

	// A second correction of the same invoice, sent directly: 21166.
	s, err := e.a.Sessions.OpenOnline(ctx, ksef.FormFA3, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SendInvoice(ctx, append(good, '\n'), &ksef.SendInvoiceParams{OfflineMode: true, HashOfCorrectedInvoice: sha(bad)})
	if !ksef.IsCode(err, ksef.CodeTechnicalCorrectionUnavailable) {
		t.Errorf("second correction: %v, want 21166", err)
	}
	// Correcting the correctly processed invoice: 21167.
	_, err = s.SendInvoice(ctx, invoice(t, e.id.NIP, "FV/KT/9", today()), &ksef.SendInvoiceParams{OfflineMode: true, HashOfCorrectedInvoice: sha(good)})
	if !ksef.IsCode(err, ksef.CodeTechnicalCorrectionNotAllowed) {
		t.Errorf("correction of an accepted invoice: %v, want 21167", err)
	}

	// Not documented, the simulator's choice (ksefsim/doc.go): a
	// correction without offlineMode 400/21405, of an unknown file 21167.
	_, err = s.SendInvoice(ctx, invoice(t, e.id.NIP, "FV/KT/8", today()), &ksef.SendInvoiceParams{HashOfCorrectedInvoice: sha(bad)})
	if !ksef.IsCode(err, ksef.CodeValidation) {
		t.Errorf("correction without offlineMode: %v, want 21405", err)
	}
	_, err = s.SendInvoice(ctx, invoice(t, e.id.NIP, "FV/KT/8", today()), &ksef.SendInvoiceParams{OfflineMode: true, HashOfCorrectedInvoice: sha([]byte("unknown"))})
	if !ksef.IsCode(err, ksef.CodeTechnicalCorrectionNotAllowed) {
		t.Errorf("correction of an unknown file: %v, want 21167", err)
	}

	// In the same session as the rejected original.
	good2 := invoice(t, e.id.NIP, "FV/KT/2", today())
	bad2 := append([]byte("\uFEFF"), good2...)
	sent, err := s.SendInvoice(ctx, bad2, &ksef.SendInvoiceParams{OfflineMode: true})
	if err != nil {
		t.Fatal(err)
	}
	var se *ksef.StatusError
	if _, err := s.WaitInvoice(ctx, sent.ReferenceNumber, fastWait); !errors.As(err, &se) || se.Code != 430 {
		t.Fatalf("bad2: %v", err)
	}
	fixed, err := s.SendInvoice(ctx, good2, &ksef.SendInvoiceParams{OfflineMode: true, HashOfCorrectedInvoice: sha(bad2)})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.WaitInvoice(ctx, fixed.ReferenceNumber, fastWait)
	if err != nil {
		t.Fatal(err)
	}
	if st.InvoicingMode != ksef.InvoicingModeOffline {
		t.Errorf("mode %s", st.InvoicingMode)
	}
	validNumber(t, st.KSeFNumber)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestE2ESenderIssuesOfflineDuringFailure is the fault-injection test:
// while Latarnia reports a declared failure (and KSeF's API answers 503)
// the sender issues every invoice offline into the queue; when the
// failure ends the queue's deadlines become 7 business days after its end
// and the queue sends them. Every invoice ends with exactly one KSeF
// number, the offline flag set exactly on those issued offline.
func TestE2ESenderIssuesOfflineDuringFailure(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	lat, err := latarnia.NewClient(e.srv.LatarniaURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sw := &offline.Switch{Status: lat}
	q, err := offline.OpenQueue(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	snd := &ksefsend.Sender{Sessions: e.a.Sessions, Form: ksef.FormFA3, Wait: fastWait, Offline: q.Issuing(sw, ksef.FormFA3)}
	batch := func(prefix string, n int) [][]byte {
		var docs [][]byte
		for i := range n {
			docs = append(docs, invoice(t, e.id.NIP, fmt.Sprintf("FV/%s/%d", prefix, i), today()))
		}
		return docs
	}
	numbers := map[string]string{} // KSeF number -> invoice
	mode := map[string]ksef.InvoicingMode{}
	note := func(name, number string, m ksef.InvoicingMode) {
		validNumber(t, number)
		if prev, dup := numbers[number]; dup {
			t.Errorf("KSeF number %s given to %s and %s", number, prev, name)
		}
		numbers[number], mode[name] = name, m
	}

	// KSeF available: online.
	outs, err := snd.Send(ctx, ksefsend.Bytes(batch("ON", 3)...))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if o.Kind != ksefsend.Registered {
			t.Fatalf("online: %+v", o)
		}
		note("ON"+o.Name, o.KSeFNumber, o.InvoicingMode)
	}

	// A failure is declared: the sender issues offline by itself.
	event := e.srv.Simulator.StartOutage(latarnia.CategoryFailure, "")
	sw.Invalidate()
	sendsBefore := e.srv.Simulator.Calls("POST /sessions/online/{referenceNumber}/invoices")
	offDocs := batch("OFF", 5)
	outs, err = snd.Send(ctx, ksefsend.Bytes(offDocs...))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if o.Kind != ksefsend.IssuedOffline || o.Offline == nil || o.Offline.Mode != string(offline.Failure) {
			t.Fatalf("during the failure: %+v", o)
		}
	}
	if n := e.srv.Simulator.Calls("POST /sessions/online/{referenceNumber}/invoices"); n != sendsBefore {
		t.Errorf("%d sends during the failure", n-sendsBefore)
	}
	ents, err := q.List()
	if err != nil || len(ents) != 5 {
		t.Fatalf("queue: %d entries, %v", len(ents), err)
	}
	for _, en := range ents {
		if en.State != offline.Pending || !en.Deadline.Pending || en.Mode != offline.Failure {
			t.Errorf("queued during the failure: %+v", en)
		}
	}
	// Sending now fails (KSeF is down) and keeps them pending.
	rep, _ := q.Send(ctx, offline.SendParams{Sessions: e.a.Sessions, Wait: fastWait})
	for _, r := range rep.Results {
		if r.Entry.State != offline.Pending {
			t.Errorf("sent while KSeF is down: %+v", r.Entry)
		}
	}

	// The failure ends: deadlines 7 business days after it, then send.
	if err := e.srv.Simulator.EndOutage(event); err != nil {
		t.Fatal(err)
	}
	sw.Invalidate()
	if m, off := sw.Mode(ctx); off {
		t.Fatalf("still offline: %s", m)
	}
	if err := q.Refresh(sw.Outages(ctx)); err != nil {
		t.Fatal(err)
	}
	want := offline.AddBusinessDays(today(), offline.FailureBusinessDays)
	ents, _ = q.List()
	for _, en := range ents {
		if en.Deadline.Pending || !en.Deadline.Due.Equal(want) {
			t.Errorf("after the failure: deadline %+v, want %s", en.Deadline, want.Format(time.DateOnly))
		}
	}
	rep, err = q.Send(ctx, offline.SendParams{Sessions: e.a.Sessions, Wait: fastWait})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 5 {
		t.Fatalf("%d sent, want 5", len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Entry.State != offline.Registered || r.Entry.Duplicate {
			t.Fatalf("after the failure: %+v (%v)", r.Entry, r.Outcome.Err)
		}
		note("OFF"+r.Entry.Name, r.Entry.KSeFNumber, r.Entry.InvoicingMode)
	}
	if len(numbers) != 8 {
		t.Errorf("%d KSeF numbers, want 8", len(numbers))
	}
	for name, m := range mode {
		if want := ksef.InvoicingModeOnline; strings.HasPrefix(name, "OFF") {
			want = ksef.InvoicingModeOffline
			if m != want {
				t.Errorf("%s: mode %s, want %s", name, m, want)
			}
		} else if m != want {
			t.Errorf("%s: mode %s, want %s", name, m, want)
		}
	}
	// Told to go offline (the program's own connection is down): offline24.
	sw.Force(offline.Offline24)
	outs, err = snd.Send(ctx, ksefsend.Bytes(invoice(t, e.id.NIP, "FV/F/1", today())))
	if err != nil || outs[0].Kind != ksefsend.IssuedOffline || outs[0].Offline.Mode != string(offline.Offline24) {
		t.Fatalf("forced: %+v %v", outs, err)
	}
	en, err := q.Get(outs[0].Offline.ID)
	if err != nil || !en.Deadline.Due.Equal(offline.NextBusinessDay(today())) {
		t.Errorf("forced offline24 entry: %+v %v", en, err)
	}
}

func sha(b []byte) []byte {
	h := ksefSHA(b)
	return h[:]
}

// TestE2ESenderKeepsFailedSendOffline: KSeF stops answering (503 on every
// operation) before a failure is declared; the sender tries the invoice
// online, fails, and, now told that KSeF is in a failure, keeps it
// offline. Once KSeF answers again the queue sends it: one KSeF number,
// invoicingMode Offline.
func TestE2ESenderKeepsFailedSendOffline(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	q, err := offline.OpenQueue(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sw := &offline.Switch{} // no Latarnia: told by the program
	checks := 0
	issuing := q.Issuing(sw, ksef.FormFA3)
	check := issuing.Check
	issuing.Check = func(c context.Context) (string, bool) {
		checks++
		if checks == 2 { // after the failed send, the program learns of the failure
			sw.Force(offline.Offline24)
		}
		return check(c)
	}
	snd := &ksefsend.Sender{Sessions: e.a.Sessions, Form: ksef.FormFA3, Wait: fastWait, Offline: issuing, Concurrency: 1}
	e.srv.Simulator.Faults().Fail(ksefsim.AnyOperation, 1000, ksefsim.Fault{Status: 503})
	outs, err := snd.Send(ctx, ksefsend.Bytes(invoice(t, e.id.NIP, "FV/LATE/1", today())))
	if err != nil {
		t.Fatal(err)
	}
	o := outs[0]
	if o.Kind != ksefsend.IssuedOffline || o.Err == nil || o.Offline.Mode != string(offline.Offline24) || checks != 2 {
		t.Fatalf("outcome %+v (checks %d)", o, checks)
	}
	e.srv.Simulator.Faults().Clear()
	rep, err := q.Send(ctx, offline.SendParams{Sessions: e.a.Sessions, Wait: fastWait})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Entry.State != offline.Registered || rep.Results[0].Entry.Duplicate ||
		rep.Results[0].Entry.InvoicingMode != ksef.InvoicingModeOffline {
		t.Fatalf("queue send: %+v", rep.Results)
	}
	validNumber(t, rep.Results[0].Entry.KSeFNumber)
}

// TestE2EMaintenanceIssuesOffline: during announced maintenance (Latarnia
// MAINTENANCE) the sender issues offline in mode "offline"; once the
// maintenance ends the deadline is the next business day after its end
// and the queue sends the invoice.
func TestE2EMaintenanceIssuesOffline(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	lat, err := latarnia.NewClient(e.srv.LatarniaURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sw := &offline.Switch{Status: lat}
	q, err := offline.OpenQueue(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	event := e.srv.Simulator.StartOutage(latarnia.CategoryMaintenance, "Prace serwisowe")
	snd := &ksefsend.Sender{Sessions: e.a.Sessions, Form: ksef.FormFA3, Wait: fastWait, Offline: q.Issuing(sw, ksef.FormFA3)}
	outs, err := snd.Send(ctx, ksefsend.Bytes(invoice(t, e.id.NIP, "FV/MAINT/1", today())))
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].Kind != ksefsend.IssuedOffline || outs[0].Offline.Mode != string(offline.Unavailable) {
		t.Fatalf("during maintenance: %+v", outs[0])
	}
	if err := e.srv.Simulator.EndOutage(event); err != nil {
		t.Fatal(err)
	}
	sw.Invalidate()
	if err := q.Refresh(sw.Outages(ctx)); err != nil {
		t.Fatal(err)
	}
	en, err := q.Get(outs[0].Offline.ID)
	if err != nil || en.Deadline.Pending || !en.Deadline.Due.Equal(offline.NextBusinessDay(today())) {
		t.Fatalf("after maintenance: %+v %v", en, err)
	}
	rep, err := q.Send(ctx, offline.SendParams{Sessions: e.a.Sessions, Wait: fastWait})
	if err != nil || len(rep.Results) != 1 || rep.Results[0].Entry.State != offline.Registered ||
		rep.Results[0].Entry.InvoicingMode != ksef.InvoicingModeOffline {
		t.Fatalf("send: %+v %v", rep, err)
	}
}
