package ksef_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/ksefsend"
	"github.com/ksef2/ksef/ksefsim"
)

// sendOK sends an invoice and waits for its KSeF number.
func sendOK(t *testing.T, s *ksef.OnlineSession, doc []byte) string {
	t.Helper()
	sent, err := s.SendInvoice(t.Context(), doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.WaitInvoice(t.Context(), sent.ReferenceNumber, fastWait)
	if err != nil || len(st.KSeFNumber) != 35 {
		t.Fatalf("invoice: %+v, %v", st, err)
	}
	return st.KSeFNumber
}

// wantSessionClosed checks the error of a send to a session that no
// longer accepts invoices: 400/21180, typed, telling to open a new one.
func wantSessionClosed(t *testing.T, err error) {
	t.Helper()
	wantAPIError(t, err, http.StatusBadRequest, ksef.CodeSessionStatusForbids)
	if !errors.Is(err, ksef.ErrSessionClosed) || !strings.Contains(err.Error(), "open a new session") {
		t.Errorf("error %v does not match ErrSessionClosed", err)
	}
}

// TestE2EOnlineSessionStateErrors is workflows §C 27: sending to or
// closing a closed, cancelled or expired session (400/21180), an unknown
// session (400/21173), and a send during maintenance (400/21184), after
// which a later send or a new session (the Sender) gets every invoice in.
func TestE2EOnlineSessionStateErrors(t *testing.T) {
	clock := ksefsim.NewManualClock(time.Now())
	sim, c, tp, _ := tapClient(t, ksefsim.WithClock(clock.Now))
	id, a := loginSeal(t, sim, c)
	ctx := t.Context()
	closeSuffix := "/close"

	t.Run("C27/closed", func(t *testing.T) {
		s := openOrSkip(t, sim, a)
		sendOK(t, s, fa3Invoice(t, id.NIP, "FV/C27/closed"))
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := s.SendInvoice(ctx, fa3Invoice(t, id.NIP, "FV/C27/closed-2"), nil)
		wantSessionClosed(t, err)
		// The SDK's Close settles a 21180 through the session status:
		// the session is closed, so the second close succeeds.
		if err := s.Close(ctx); err != nil {
			t.Errorf("second close: %v", err)
		}
		if e := tp.last(t, http.MethodPost, closeSuffix); e.status != http.StatusBadRequest || e.code() != ksef.CodeSessionStatusForbids {
			t.Errorf("second close answered %d/%d, want 400/21180", e.status, e.code())
		}
	})
	t.Run("C27/cancelled", func(t *testing.T) {
		s := openOrSkip(t, sim, a)
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Wait(ctx, fastWait); !errors.Is(err, ksef.ErrSessionCancelled) {
			t.Fatalf("session without invoices: %v, want ErrSessionCancelled (440)", err)
		}
		_, err := s.SendInvoice(ctx, fa3Invoice(t, id.NIP, "FV/C27/cancelled"), nil)
		wantSessionClosed(t, err)
	})
	t.Run("C27/unknown", func(t *testing.T) {
		s := openOrSkip(t, sim, a)
		st := s.State()
		st.ReferenceNumber = string(ident.NewReferenceNumber("SO", clock.Now(), nil))
		u, err := a.Sessions.ResumeOnline(st)
		if err != nil {
			t.Fatal(err)
		}
		_, err = u.SendInvoice(ctx, fa3Invoice(t, id.NIP, "FV/C27/unknown"), nil)
		wantAPIError(t, err, http.StatusBadRequest, ksef.CodeSessionNotFound)
		if errors.Is(err, ksef.ErrSessionClosed) {
			t.Error("an unknown session reported as closed")
		}
		wantAPIError(t, u.Close(ctx), http.StatusBadRequest, ksef.CodeSessionNotFound)
	})
	t.Run("C27/expired", func(t *testing.T) {
		s := openOrSkip(t, sim, a)
		clock.Advance(12 * time.Hour)
		_, err := s.SendInvoice(ctx, fa3Invoice(t, id.NIP, "FV/C27/expired"), nil)
		wantSessionClosed(t, err)
		if err := s.Close(ctx); err != nil {
			t.Errorf("close of an expired session: %v", err)
		}
		if e := tp.last(t, http.MethodPost, closeSuffix); e.status != http.StatusBadRequest || e.code() != ksef.CodeSessionStatusForbids {
			t.Errorf("close after validUntil answered %d/%d, want 400/21180", e.status, e.code())
		}
	})
	t.Run("C27/maintenance", func(t *testing.T) {
		s := openOrSkip(t, sim, a)
		sim.SetMaintenance(true)
		_, err := s.SendInvoice(ctx, fa3Invoice(t, id.NIP, "FV/C27/maint"), nil)
		wantAPIError(t, err, http.StatusBadRequest, ksef.CodeSessionTemporarilyUnavailable)
		if errors.Is(err, ksef.ErrSessionClosed) {
			t.Error("maintenance reported as a closed session")
		}
		// A session opened during maintenance takes invoices.
		n := openOrSkip(t, sim, a)
		sendOK(t, n, fa3Invoice(t, id.NIP, "FV/C27/maint-new"))
		// After maintenance the first session works again (retry later).
		sim.SetMaintenance(false)
		sendOK(t, s, fa3Invoice(t, id.NIP, "FV/C27/maint"))
		for _, x := range []*ksef.OnlineSession{s, n} {
			if err := x.Close(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestE2ESenderMovesOnAfterMaintenance is the Sender half of workflows §C
// 27: when the session it sends to goes into maintenance (21184), the
// Sender sends the remaining invoices in a new session; every invoice ends
// with exactly one KSeF number.
func TestE2ESenderMovesOnAfterMaintenance(t *testing.T) {
	sim, c, tp, _ := tapClient(t, ksefsim.WithoutRateLimits())
	skipWithoutOnline(t, sim)
	var sends atomic.Int32
	tp.before = func(r *http.Request) {
		if isSend(r) && sends.Add(1) == 10 {
			sim.SetMaintenance(true) // the sessions open now: this send on
		}
	}
	id, a := loginSeal(t, sim, c)
	const n = 40
	docs := make([][]byte, n)
	for i := range docs {
		docs[i] = fa3Invoice(t, id.NIP, fmt.Sprintf("FV/C27/sender/%d", i))
	}
	snd := &ksefsend.Sender{Sessions: a.Sessions, Form: ksef.FormFA3, Concurrency: 4, Wait: fastWait}
	outs, err := snd.Send(t.Context(), ksefsend.Bytes(docs...))
	if err != nil {
		t.Fatal(err)
	}
	numbers, sessions := map[string]int{}, map[string]bool{}
	for _, o := range outs {
		if o.Kind != ksefsend.Registered {
			t.Errorf("invoice %d: %s %v", o.Index, o.Kind, o.Err)
			continue
		}
		numbers[o.KSeFNumber]++
		sessions[o.SessionReferenceNumber] = true
	}
	unavailable := 0
	for _, e := range tp.all(http.MethodPost, isSendPath) {
		if e.status == http.StatusBadRequest && e.code() == ksef.CodeSessionTemporarilyUnavailable {
			unavailable++
		}
	}
	t.Logf("%d invoices: %d KSeF numbers in %d sessions; %d sends answered 21184", n, len(numbers), len(sessions), unavailable)
	if len(outs) != n || len(numbers) != n {
		t.Errorf("%d outcomes, %d distinct KSeF numbers; want %d each", len(outs), len(numbers), n)
	}
	if unavailable == 0 || len(sessions) < 2 {
		t.Errorf("maintenance not exercised: %d answers 21184, %d sessions", unavailable, len(sessions))
	}
}

// TestE2EOnlineResumeInNewProcess is workflows §C 33: an online session
// saved as JSON (OnlineSessionState) is resumed by a new Client and
// AuthenticatedClient ("a new process"); sends and the close work until
// validUntil; afterwards a send is refused with 400/21180 and a typed
// error telling to open a new session.
func TestE2EOnlineResumeInNewProcess(t *testing.T) {
	clock := ksefsim.NewManualClock(time.Now())
	sim, c, tp, base := tapClient(t, ksefsim.WithClock(clock.Now))
	id, a := loginSeal(t, sim, c)
	ctx := t.Context()
	s1, s2 := openOrSkip(t, sim, a), openOrSkip(t, sim, a)
	saved := map[string][]byte{}
	for name, s := range map[string]*ksef.OnlineSession{"s1": s1, "s2": s2} {
		b, err := json.Marshal(s.State())
		if err != nil {
			t.Fatal(err)
		}
		saved[name] = b
	}
	access, refresh := a.TokenManager().Tokens()

	// The new process: its own client (its traffic through the same tap),
	// tokens and sessions from JSON.
	c2, err := ksef.NewClient(ksef.WithBaseURL(base), ksef.WithHTTPClient(&http.Client{Transport: tp}))
	if err != nil {
		t.Fatal(err)
	}
	a2 := c2.Auth.Resume(access, refresh)
	resume := func(name string) *ksef.OnlineSession {
		var st ksef.OnlineSessionState
		if err := json.Unmarshal(saved[name], &st); err != nil {
			t.Fatal(err)
		}
		s, err := a2.Sessions.ResumeOnline(st)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Run("C33/before-validUntil", func(t *testing.T) {
		r1 := resume("s1")
		if r1.ReferenceNumber() != s1.ReferenceNumber() || !r1.ValidUntil().Equal(s1.ValidUntil()) {
			t.Fatalf("resumed %s until %v", r1.ReferenceNumber(), r1.ValidUntil())
		}
		sendOK(t, r1, fa3Invoice(t, id.NIP, "FV/C33/1"))
		if e := tp.last(t, http.MethodPost, "/invoices"); e.status != http.StatusAccepted {
			t.Errorf("send answered %d, want 202", e.status)
		}
		clock.Advance(11*time.Hour + 59*time.Minute) // still valid, the tokens long expired
		sendOK(t, r1, fa3Invoice(t, id.NIP, "FV/C33/2"))
		if err := r1.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if e := tp.last(t, http.MethodPost, "/close"); e.status != http.StatusNoContent {
			t.Errorf("close answered %d, want 204", e.status)
		}
		st, err := r1.Wait(ctx, fastWait)
		if err != nil || st.SuccessfulInvoiceCount == nil || *st.SuccessfulInvoiceCount != 2 {
			t.Fatalf("session: %+v, %v", st, err)
		}
	})
	t.Run("C33/after-validUntil", func(t *testing.T) {
		r2 := resume("s2")
		clock.Set(r2.ValidUntil())
		_, err := r2.SendInvoice(ctx, fa3Invoice(t, id.NIP, "FV/C33/late"), nil)
		wantSessionClosed(t, err)
		t.Logf("send after validUntil: %v", err)
		// Close: KSeF answers 21180; the SDK sees the session no longer
		// open (closed by KSeF at validUntil) and reports it closed.
		if err := r2.Close(ctx); err != nil {
			t.Errorf("close after validUntil: %v", err)
		}
		if e := tp.last(t, http.MethodPost, "/close"); e.status != http.StatusBadRequest || e.code() != ksef.CodeSessionStatusForbids {
			t.Errorf("close after validUntil answered %d/%d, want 400/21180", e.status, e.code())
		}
	})
}
