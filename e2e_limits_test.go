package ksef_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/ksefsim"
)

// TestE2EContextLimits runs workflows §L 91 and §C 26: the context limits
// (with collectiveIdentifier.maxInvoices, 2.8.1), an override on TEST that
// the next send obeys (21155), an invalid value refused locally and the
// reset. (Values outside the schema's ranges, 400/21405 from the
// simulator, are tested in package ksefsim: the contract harness refuses
// to send them.)
func TestE2EContextLimits(t *testing.T) {
	sim, c := simClient(t)
	id, a := loginSeal(t, sim, c)
	ctx := t.Context()
	def, err := a.Limits.Context(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if def.CollectiveIdentifier.MaxInvoices != 500 || def.OnlineSession.MaxInvoiceSizeInMB != 1 || def.OnlineSession.MaxInvoiceWithAttachmentSizeInMB != 3 ||
		def.OnlineSession.MaxInvoices != ksefsim.DefaultSessionInvoiceLimit {
		t.Errorf("default context limits: %+v", def)
	}
	set := &ksef.SetSessionLimitsRequest{
		OnlineSession:        ksef.OnlineSessionContextLimitsOverride{MaxInvoiceSizeInMB: 1, MaxInvoiceWithAttachmentSizeInMB: 3, MaxInvoices: 1},
		BatchSession:         ksef.BatchSessionContextLimitsOverride{MaxInvoiceSizeInMB: 1, MaxInvoiceWithAttachmentSizeInMB: 3, MaxInvoices: 5},
		CollectiveIdentifier: ksef.CollectiveIdentifierContextLimitsOverride{MaxInvoices: 2},
	}
	if err := a.Limits.SetSessionLimits(ctx, set); err != nil {
		t.Fatal(err)
	}
	got, err := a.Limits.Context(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.OnlineSession.MaxInvoices != 1 || got.BatchSession.MaxInvoices != 5 || got.CollectiveIdentifier.MaxInvoices != 2 {
		t.Errorf("limits after set: %+v", got)
	}
	// The override applies to the next session: one invoice, then 21155.
	s := openOrSkip(t, sim, a)
	if _, err := s.SendInvoice(ctx, fa3Invoice(t, id.NIP, "FV/limit/1"), nil); err != nil {
		t.Fatal(err)
	}
	_, err = s.SendInvoice(ctx, fa3Invoice(t, id.NIP, "FV/limit/2"), nil)
	if !ksef.IsCode(err, ksef.CodeSessionInvoiceLimit) {
		t.Errorf("second invoice over the limit: %v", err)
	}
	// Invalid values: caught locally (collectiveIdentifier) or by KSeF.
	bad := *set
	bad.CollectiveIdentifier.MaxInvoices = 1
	if err := a.Limits.SetSessionLimits(ctx, &bad); err == nil {
		t.Error("maxInvoices 1 sent")
	}
	if err := a.Limits.ResetSessionLimits(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Limits.Context(ctx); err != nil || *got != *def {
		t.Errorf("after reset: %+v %v", got, err)
	}
}

// TestE2ERateLimits runs workflows §L 92 and 93: GET /rate-limits (17
// groups), custom limits set on TEST that the next calls of the context
// obey (429 with Retry-After), the client's pacing taken from
// GET /rate-limits (the request is held back instead of drawing a 429),
// the production profile and the reset; another context is not affected.
func TestE2ERateLimits(t *testing.T) {
	sim, base := simtest.Start(t, ksefsim.WithoutRateLimits())
	// Pacing on, and a retry policy that gives up on long waits at once.
	c, err := ksef.NewClient(ksef.WithBaseURL(base), ksef.WithRateLimits(nil), ksef.WithRetry(ksef.RetryPolicy{MaxAttempts: 1, MaxDelay: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	id, a := loginSeal(t, sim, c)
	_, other := loginSeal(t, sim, c)
	ctx := t.Context()

	rl, err := a.Limits.RateLimits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	groups := rl.Groups()
	if len(groups) != 17 || groups[ksef.GroupOnlineSessionClose] != (ksef.RateLimit{20, 60, 240}) ||
		groups[ksef.GroupCollectiveID] != (ksef.RateLimit{20, 120, 240}) || rl.Anonymous.PerMinute != -1 || rl.Global.PerSecond != -1 {
		t.Errorf("GET /rate-limits: %d groups %+v", len(groups), rl)
	}
	for g, l := range ksef.DefaultRateLimits() {
		if groups[g] != l {
			t.Errorf("group %s: %v from GET /rate-limits, %v built in", g, groups[g], l)
		}
	}

	// Two session lists per second/minute/hour for this context only.
	list := func(a *ksef.AuthenticatedClient) error {
		_, err := a.Sessions.List(ctx, &ksef.ListSessionsQuery{SessionType: ksef.SessionTypeOnline})
		return err
	}
	set := ksef.RateLimitsOverride(map[ksef.RateLimitGroup]ksef.RateLimit{ksef.GroupSessionList: {2, 2, 2}})
	if err := a.Limits.SetRateLimits(ctx, set); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := list(a); err != nil {
			t.Fatalf("list %d: %v", i, err)
		}
	}
	err = list(a)
	var ae *ksef.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 429 || ae.RetryAfter < time.Second {
		t.Fatalf("third list: %v", err)
	}
	if err := list(other); err != nil {
		t.Errorf("another context is throttled: %v", err)
	}

	// Pacing from GET /rate-limits: a new login of the context (a fresh
	// pacer with the built-in table) adopts the server's values and holds
	// the third request back itself.
	sim.ResetRateLimits()
	a, err = c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, &ksef.LoginParams{Wait: fastWait})
	if err != nil {
		t.Fatal(err)
	}
	applied, err := a.Limits.PaceFromServer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if applied[ksef.GroupSessionList] != (ksef.RateLimit{2, 2, 2}) {
		t.Fatalf("pacing limits: %v", applied[ksef.GroupSessionList])
	}
	for i := range 2 {
		if err := list(a); err != nil {
			t.Fatalf("paced list %d: %v", i, err)
		}
	}
	before := sim.Calls(ksef.OpSessionsList.String())
	err = list(a)
	var pe *ksef.PacingError
	if !errors.As(err, &pe) || !errors.Is(err, ksef.ErrRateLimited) || pe.Group != ksef.GroupSessionList {
		t.Fatalf("paced third list: %v", err)
	}
	if n := sim.Calls(ksef.OpSessionsList.String()); n != before {
		t.Errorf("the paced request reached the server (%d calls, %d before)", n, before)
	}

	// Production profile: the published limits, enforced even though this
	// simulator runs without rate limits; then the reset.
	if err := a.Limits.UseProductionRateLimits(ctx); err != nil {
		t.Fatal(err)
	}
	if rl, err := a.Limits.RateLimits(ctx); err != nil || rl.SessionList.PerSecond != 5 {
		t.Errorf("production profile: %+v %v", rl, err)
	}
	if err := a.Limits.ResetRateLimits(ctx); err != nil {
		t.Fatal(err)
	}
}
