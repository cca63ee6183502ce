package ksef_test

import (
	"net/http"
	"testing"

	"github.com/ksef2/ksef"
)

// TestE2EOnlineCloseBySubject is workflows §C 32: a session closes (204)
// with a refreshed access token and by its owner; another subject of the
// same context (with InvoiceWrite there) is refused with 400/21173. The
// docs do not say what KSeF answers the other subject ("verify"); the
// simulator treats a session as the opener's, as GET /sessions shows a
// subject without Introspection only the sessions it opened (ksefsim doc
// table).
func TestE2EOnlineCloseBySubject(t *testing.T) {
	sim, c, tp, _ := tapClient(t)
	id, a := loginSeal(t, sim, c)
	ctx := t.Context()
	t.Run("C32/refreshed-token", func(t *testing.T) {
		s := openOrSkip(t, sim, a)
		sendOK(t, s, fa3Invoice(t, id.NIP, "FV/C32/1"))
		old, _ := a.TokenManager().Tokens()
		fresh, err := a.TokenManager().Refresh(ctx, old.Token)
		if err != nil {
			t.Fatal(err)
		}
		if fresh == old.Token {
			t.Fatal("the access token was not refreshed")
		}
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
		e := tp.last(t, http.MethodPost, "/close")
		if e.status != http.StatusNoContent || e.header.Get("Authorization") != "Bearer "+fresh.Reveal() {
			t.Errorf("close answered %d; sent with the refreshed token: %v", e.status, e.header.Get("Authorization") == "Bearer "+fresh.Reveal())
		}
	})
	s := openOrSkip(t, sim, a)
	other := loginFingerprint(t, c, id.NIP, ksef.TestDataPermInvoiceWrite)
	t.Run("C32/another-subject", func(t *testing.T) {
		rs, err := other.Sessions.ResumeOnline(s.State())
		if err != nil {
			t.Fatal(err)
		}
		wantAPIError(t, rs.Close(ctx), http.StatusBadRequest, ksef.CodeSessionNotFound)
		_, err = rs.SendInvoice(ctx, fa3Invoice(t, id.NIP, "FV/C32/other"), nil)
		wantAPIError(t, err, http.StatusBadRequest, ksef.CodeSessionNotFound)
		if st, err := s.Status(ctx); err != nil || ksef.SessionStatusCode(st.Status.Code) != ksef.SessionStatusOpen {
			t.Errorf("session after the other subject's close: %+v, %v", st, err)
		}
		// The other subject's own session is its to close.
		own, err := other.Sessions.OpenOnline(ctx, ksef.FormFA3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := own.Close(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("C32/owner", func(t *testing.T) {
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if e := tp.last(t, http.MethodPost, "/close"); e.status != http.StatusNoContent {
			t.Errorf("owner's close answered %d, want 204", e.status)
		}
	})
}
