package ksef_test

import (
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsim"
)

// TestE2ERefreshOn401: the simulator's clock passes the access token's
// expiry while the client still believes it valid; the first call gets 401,
// the client refreshes once and retries.
func TestE2ERefreshOn401(t *testing.T) {
	clock := ksefsim.NewManualClock(time.Now())
	sim, c := simClient(t, ksefsim.WithClock(clock.Now))
	_, a := loginSeal(t, sim, c)
	before := sim.Calls("POST /auth/token/refresh")
	clock.Advance(16 * time.Minute)
	if _, err := a.AuthSessions.List(t.Context(), nil); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := sim.Calls("POST /auth/token/refresh") - before; n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	// The refreshed token works without another refresh.
	if _, err := a.AuthSessions.List(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if n := sim.Calls("POST /auth/token/refresh") - before; n != 1 {
		t.Errorf("%d refreshes after second call, want 1", n)
	}
	// Once the refresh token has expired too, the client says so.
	clock.Advance(8 * 24 * time.Hour)
	_, err := a.AuthSessions.List(t.Context(), nil)
	if err == nil {
		t.Fatal("call with expired refresh token succeeded")
	}
}

// TestE2EProactiveRefresh: the access token issued by the simulator has
// already expired by the client's clock, so the client renews it before
// the first call instead of waiting for a 401.
func TestE2EProactiveRefresh(t *testing.T) {
	clock := ksefsim.NewManualClock(time.Now().Add(-16 * time.Minute))
	sim, c := simClient(t, ksefsim.WithClock(clock.Now))
	_, a := loginSealWith(t, sim, c, &ksef.LoginParams{Wait: fastWait, SigningTime: sim.Now().Add(-time.Minute)})
	before := sim.Calls("POST /auth/token/refresh")
	if _, err := a.AuthSessions.List(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if n := sim.Calls("POST /auth/token/refresh") - before; n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	if n := sim.Calls("GET /auth/sessions"); n != 1 {
		t.Errorf("GET /auth/sessions called %d times, want 1 (no 401 round trip)", n)
	}
}
