package ksef_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/ksefsend"
	"github.com/ksef2/ksef/ksefsim"
)

// senderClient starts the simulator without rate limits and logs in.
func senderClient(t *testing.T, opts ...ksefsim.Option) (*ksefsim.Simulator, *ksefsim.TestIdentity, *ksef.AuthenticatedClient) {
	t.Helper()
	sim, base := simtest.Start(t, append([]ksefsim.Option{ksefsim.WithoutRateLimits()}, opts...)...)
	skipWithoutOnline(t, sim)
	c, err := ksef.NewClient(ksef.WithBaseURL(base))
	if err != nil {
		t.Fatal(err)
	}
	id, a := loginSeal(t, sim, c)
	return sim, id, a
}

// waitNotOpen polls the session's status until it is no longer open
// (bounded) and reports whether it left the open state.
func waitNotOpen(t *testing.T, a *ksef.AuthenticatedClient, ref string) bool {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		st, err := a.Sessions.Status(t.Context(), ref)
		if err != nil {
			t.Error(err)
			return false
		}
		if ksef.SessionStatusCode(st.Status.Code) != ksef.SessionStatusOpen {
			return true
		}
	}
	return false
}

// TestE2ESenderRotatesSessions: with a simulator that takes 3 invoices per
// session (21155 beyond), the Sender spreads 10 invoices over several
// sessions, each invoice with its own KSeF number, and closes a session
// as soon as it is retired, not only when Send returns.
func TestE2ESenderRotatesSessions(t *testing.T) {
	_, id, a := senderClient(t, ksefsim.WithSessionInvoiceLimit(3))
	const n = 10
	docs := make([][]byte, n)
	for i := range docs {
		docs[i] = fa3Invoice(t, id.NIP, fmt.Sprintf("FV/rot/%d", i))
	}
	var mu sync.Mutex
	var first string
	snd := &ksefsend.Sender{Sessions: a.Sessions, Form: ksef.FormFA3, Concurrency: 1, Wait: fastWait,
		OnOutcome: func(o ksefsend.Outcome) {
			mu.Lock()
			defer mu.Unlock()
			if o.Index == 0 {
				first = o.SessionReferenceNumber
			}
		}}
	closedEarly := false
	in := func(yield func(ksefsend.Input) bool) {
		for i, d := range docs {
			if i == n-1 {
				// invoices 0..n-3 are done; the first session (0..2) was
				// retired when invoice 3 met 21155
				mu.Lock()
				ref := first
				mu.Unlock()
				closedEarly = ref != "" && waitNotOpen(t, a, ref)
			}
			if !yield(ksefsend.Input{Name: fmt.Sprint(i), Data: d}) {
				return
			}
		}
	}
	outs, err := snd.Send(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	numbers := map[string]bool{}
	perSession := map[string]int{}
	for _, o := range outs {
		if o.Kind != ksefsend.Registered || numbers[o.KSeFNumber] {
			t.Errorf("invoice %d: %s %q %v", o.Index, o.Kind, o.KSeFNumber, o.Err)
		}
		numbers[o.KSeFNumber] = true
		perSession[o.SessionReferenceNumber]++
	}
	if len(perSession) < 4 {
		t.Errorf("%d sessions for %d invoices at 3 per session: %v", len(perSession), n, perSession)
	}
	for ref, k := range perSession {
		if k > 3 {
			t.Errorf("session %s: %d invoices", ref, k)
		}
		if !waitNotOpen(t, a, ref) {
			t.Errorf("session %s still open after Send", ref)
		}
	}
	if !closedEarly {
		t.Error("the first session was still open while the last invoice was being sent (a retired session must be closed at once)")
	}
	t.Logf("%d invoices, %d distinct KSeF numbers, in %d sessions", n, len(numbers), len(perSession))
}

// TestE2ESenderRotatesByMaxPerSession: the Sender's own threshold rotates
// sessions before KSeF's limit, with concurrent sends.
func TestE2ESenderRotatesByMaxPerSession(t *testing.T) {
	_, id, a := senderClient(t)
	const n = 12
	docs := make([][]byte, n)
	for i := range docs {
		docs[i] = fa3Invoice(t, id.NIP, fmt.Sprintf("FV/max/%d", i))
	}
	snd := &ksefsend.Sender{Sessions: a.Sessions, Form: ksef.FormFA3, Concurrency: 4, MaxPerSession: 4, Wait: fastWait}
	outs, err := snd.Send(t.Context(), ksefsend.Bytes(docs...))
	if err != nil {
		t.Fatal(err)
	}
	numbers := map[string]bool{}
	perSession := map[string]int{}
	for _, o := range outs {
		if o.Kind != ksefsend.Registered || numbers[o.KSeFNumber] {
			t.Errorf("invoice %d: %s %q %v", o.Index, o.Kind, o.KSeFNumber, o.Err)
		}
		numbers[o.KSeFNumber] = true
		perSession[o.SessionReferenceNumber]++
	}
	if len(perSession) != 3 {
		t.Errorf("sessions %v, want 3 of 4 invoices", perSession)
	}
	for ref, k := range perSession {
		if k != 4 {
			t.Errorf("session %s: %d invoices, want 4", ref, k)
		}
	}
}

// TestE2ESendInvoiceSessionFull: the send beyond the session's invoice
// limit (21155) is a *SessionUnusableError matching ErrSessionFull, which
// still carries KSeF's code; the invoice goes through in a new session.
func TestE2ESendInvoiceSessionFull(t *testing.T) {
	sim, id, a := senderClient(t, ksefsim.WithSessionInvoiceLimit(2))
	s := openOrSkip(t, sim, a)
	for i := range 2 {
		if _, err := s.SendInvoice(t.Context(), fa3Invoice(t, id.NIP, fmt.Sprintf("FV/full/%d", i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	third := fa3Invoice(t, id.NIP, "FV/full/2")
	_, err := s.SendInvoice(t.Context(), third, nil)
	var ue *ksef.SessionUnusableError
	if !errors.Is(err, ksef.ErrSessionFull) || errors.Is(err, ksef.ErrSessionClosed) || !errors.As(err, &ue) || !ue.Full ||
		ue.ReferenceNumber != s.ReferenceNumber() || !ksef.IsCode(err, ksef.CodeSessionInvoiceLimit) {
		t.Fatalf("third send: %v, want a SessionUnusableError matching ErrSessionFull with code 21155", err)
	}
	if !strings.Contains(err.Error(), "open a new session") {
		t.Errorf("message %q does not say what to do", err)
	}
	s2 := openOrSkip(t, sim, a)
	sent, err := s2.SendInvoice(t.Context(), third, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.WaitInvoice(t.Context(), sent.ReferenceNumber, fastWait); err != nil {
		t.Errorf("third invoice in a new session: %v", err)
	}
	for _, ss := range []*ksef.OnlineSession{s, s2} {
		if err := ss.Close(t.Context()); err != nil {
			t.Error(err)
		}
	}
}

// TestE2EResumeExpiredSession: a session resumed from its saved state
// after its 12 hours ended gives a *SessionUnusableError matching
// ErrSessionClosed — from SendInvoice when KSeF's clock says so (the
// simulator's clock moved 12 h), from ResumeOnline itself when the
// client's clock is past ValidUntil.
func TestE2EResumeExpiredSession(t *testing.T) {
	sim, id, a := senderClient(t)
	s := openOrSkip(t, sim, a)
	if _, err := s.SendInvoice(t.Context(), fa3Invoice(t, id.NIP, "FV/exp/0"), nil); err != nil {
		t.Fatal(err)
	}
	saved, err := json.Marshal(s.State())
	if err != nil {
		t.Fatal(err)
	}
	var st ksef.OnlineSessionState
	if err := json.Unmarshal(saved, &st); err != nil {
		t.Fatal(err)
	}
	sim.Advance(ksef.SessionLifetime + time.Minute)
	r, err := a.Sessions.ResumeOnline(st)
	if err != nil {
		t.Fatal(err) // the client's clock has not moved
	}
	_, err = r.SendInvoice(t.Context(), fa3Invoice(t, id.NIP, "FV/exp/1"), nil)
	var ue *ksef.SessionUnusableError
	if !errors.Is(err, ksef.ErrSessionClosed) || !errors.As(err, &ue) || ue.Full || !ksef.IsCode(err, ksef.CodeSessionStatusForbids) ||
		!strings.Contains(err.Error(), "open a new session") {
		t.Fatalf("send after expiry: %v, want a SessionUnusableError matching ErrSessionClosed (21180)", err)
	}
	// the same state read by the client after ValidUntil
	st.ValidUntil = time.Now().Add(-time.Second)
	_, err = a.Sessions.ResumeOnline(st)
	if !errors.Is(err, ksef.ErrSessionClosed) || !errors.As(err, &ue) || ue.Err != nil || !strings.Contains(err.Error(), "expired") ||
		!strings.Contains(err.Error(), "open a new session") {
		t.Fatalf("ResumeOnline after ValidUntil: %v, want ErrSessionClosed", err)
	}
	if strings.Contains(err.Error(), st.SymmetricKey.Reveal()) {
		t.Error("the error shows the session key")
	}
	// a new session works
	s2 := openOrSkip(t, sim, a)
	sent, err := s2.SendInvoice(t.Context(), fa3Invoice(t, id.NIP, "FV/exp/1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.WaitInvoice(t.Context(), sent.ReferenceNumber, fastWait); err != nil {
		t.Error(err)
	}
}

// rewriteOnce is a middleware that hands the JSON answers to GET requests
// whose path (split at "/", e.g. v2 sessions {ref} invoices) match to
// edit, until edit reports that it changed one.
type rewriteOnce struct {
	mu    sync.Mutex
	done  bool
	match func(parts []string) bool
	edit  func(parts []string, m map[string]any) bool
}

func (c *rewriteOnce) middleware(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		if r.Method != http.MethodGet || !c.match(parts) {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var m map[string]any
		c.mu.Lock()
		if rec.Code == http.StatusOK && !c.done && json.Unmarshal(body, &m) == nil && c.edit(parts, m) {
			c.done = true
			body, _ = json.Marshal(m)
		}
		c.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = bytes.NewReader(body).WriteTo(w)
	})
}

// cancel550 turns an invoice status object whose status is 200 into
// status 550 ("operation cancelled by the system", as in the spec's
// table), as KSeF reports an interrupted processing, and reports whether
// it did.
func cancel550(inv map[string]any) bool {
	if st, _ := inv["status"].(map[string]any); st == nil || st["code"] != float64(200) {
		return false
	}
	inv["status"] = map[string]any{"code": 550, "description": "Operacja została anulowana przez system",
		"details": []string{"Przetwarzanie zostało przerwane z przyczyn wewnętrznych systemu. Spróbuj ponownie"}}
	for _, k := range []string{"ksefNumber", "acquisitionDate", "permanentStorageDate", "upoDownloadUrl", "upoDownloadUrlExpirationDate"} {
		delete(inv, k)
	}
	return true
}

// cancelFirst550 turns the first successful invoice status the simulator
// answers into status 550; ref is the invoice whose status it replaced.
type cancelFirst550 struct {
	rewriteOnce
	ref string
}

func newCancelFirst550() *cancelFirst550 {
	c := &cancelFirst550{}
	c.match = func(p []string) bool { return len(p) == 5 && p[1] == "sessions" && p[3] == "invoices" } // v2 sessions {ref} invoices {inv}
	c.edit = func(p []string, m map[string]any) bool {
		if cancel550(m) {
			c.ref = p[4]
			return true
		}
		return false
	}
	return c
}

// TestE2ESenderResendsAfter550: an invoice whose status is 550 is sent
// again by the Sender; it ends with one KSeF number (here the simulator
// had registered it, so the re-send is a 440 duplicate naming the
// original), and no invoice gets two.
func TestE2ESenderResendsAfter550(t *testing.T) {
	cancel := newCancelFirst550()
	sim, id, a := senderClient(t, ksefsim.WithMiddleware(cancel.middleware))
	const n = 4
	docs := make([][]byte, n)
	for i := range docs {
		docs[i] = fa3Invoice(t, id.NIP, fmt.Sprintf("FV/550/%d", i))
	}
	snd := &ksefsend.Sender{Sessions: a.Sessions, Form: ksef.FormFA3, Concurrency: 2, Wait: fastWait}
	outs, err := snd.Send(t.Context(), ksefsend.Bytes(docs...))
	if err != nil {
		t.Fatal(err)
	}
	if !cancel.done {
		t.Fatal("no status was replaced by 550")
	}
	numbers := map[string]bool{}
	resent := 0
	for _, o := range outs {
		if !o.OK() || o.KSeFNumber == "" || numbers[o.KSeFNumber] {
			t.Errorf("invoice %d: %s %q %v", o.Index, o.Kind, o.KSeFNumber, o.Err)
		}
		numbers[o.KSeFNumber] = true
		if o.Kind == ksefsend.Duplicate {
			resent++
			if o.InvoiceReferenceNumber == cancel.ref {
				t.Errorf("invoice %d: outcome of the cancelled send, not of the re-send", o.Index)
			}
		}
	}
	if resent != 1 {
		t.Errorf("%d duplicates, want 1 (the re-sent invoice)", resent)
	}
	if got := sim.Calls(ksef.OpOnlineSessionSendInvoice.String()); got != n+1 {
		t.Errorf("%d sends, want %d (one re-send)", got, n+1)
	}
}
