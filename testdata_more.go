package ksef

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// EnableAttachments lets a NIP send invoices with attachments (Zalacznik).
//
// KSeF API: POST /testdata/attachment
func (s *TestDataService) EnableAttachments(ctx context.Context, req *AttachmentPermissionGrantRequest) error {
	return s.post(ctx, OpTestDataAttachmentGrant, req)
}

// RevokeAttachments withdraws the attachment capability of a NIP
// (ExpectedEndDate optional).
//
// KSeF API: POST /testdata/attachment/revoke
func (s *TestDataService) RevokeAttachments(ctx context.Context, req *AttachmentPermissionRevokeRequest) error {
	return s.post(ctx, OpTestDataAttachmentRevoke, req)
}

// TestDataScope creates test data and remembers how to remove it: Close
// undoes every change made through the scope, newest first, the way the
// Python SDK's testdata.temporal() does. Use it with defer (Close then also
// runs when the test fails or panics), with testing.T.Cleanup, or through
// [TestDataService.RunTemporary]. A change whose request failed with a
// definite KSeF answer (a 4xx, e.g. 30001 "already exists") is not undone,
// since the scope did not make it; after an ambiguous failure (5xx,
// dropped connection) the undo is registered, because the change may have
// been made. A TestDataScope is safe for concurrent use.
type TestDataScope struct {
	td *TestDataService

	mu     sync.Mutex
	undo   []scopeStep
	closed bool
}

type scopeStep struct {
	what string
	fn   func(ctx context.Context) error
}

// ScopeCloseTimeout bounds the clean-up of [TestDataScope.Close].
const ScopeCloseTimeout = 2 * time.Minute

// Temporary returns an empty scope for test data; see [TestDataScope].
func (s *TestDataService) Temporary() *TestDataScope { return &TestDataScope{td: s} }

// RunTemporary runs fn with a new scope and closes it afterwards, also
// when fn fails or panics (the panic continues after the clean-up). It
// returns fn's error joined with the clean-up's.
func (s *TestDataService) RunTemporary(ctx context.Context, fn func(sc *TestDataScope) error) (err error) {
	sc := s.Temporary()
	defer func() {
		if cerr := sc.Close(ctx); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	return fn(sc)
}

// definite reports whether err is a KSeF answer that says the change was
// not made (a 4xx API error).
func definite(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500
}

// track runs do and, unless it failed definitely, registers undo.
func (sc *TestDataScope) track(ctx context.Context, what string, do, undo func(ctx context.Context) error) error {
	sc.mu.Lock()
	closed := sc.closed
	sc.mu.Unlock()
	if closed {
		return errors.New("ksef: TestDataScope: used after Close")
	}
	err := do(ctx)
	if err != nil && definite(err) {
		return err
	}
	sc.Defer(what, undo)
	return err
}

// Defer registers an extra clean-up step (for example revoking a KSeF
// token created in the test), run by Close in reverse order with the
// others.
func (sc *TestDataScope) Defer(what string, fn func(ctx context.Context) error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.undo = append(sc.undo, scopeStep{what: what, fn: fn})
}

// Pending returns the descriptions of the clean-up steps Close would run,
// in the order it would run them.
func (sc *TestDataScope) Pending() []string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	out := make([]string, 0, len(sc.undo))
	for _, st := range slices.Backward(sc.undo) {
		out = append(out, st.what)
	}
	return out
}

// Close undoes every change of the scope, newest first. Every step runs
// even when an earlier one fails; the errors are joined. The steps run
// under a context that outlives ctx's cancellation (a failed test often
// has a cancelled context) but is bounded by [ScopeCloseTimeout]. Close is
// idempotent.
func (sc *TestDataScope) Close(ctx context.Context) error {
	sc.mu.Lock()
	steps := sc.undo
	sc.undo = nil
	sc.closed = true
	sc.mu.Unlock()
	if ctx == nil {
		ctx = context.Background()
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ScopeCloseTimeout)
	defer cancel()
	var errs []error
	for _, st := range slices.Backward(steps) {
		if err := st.fn(cctx); err != nil {
			errs = append(errs, fmt.Errorf("ksef: test data clean-up (%s): %w", st.what, err))
		}
	}
	return errors.Join(errs...)
}

// CreateSubject creates a subject (removed on Close).
func (sc *TestDataScope) CreateSubject(ctx context.Context, req *SubjectCreateRequest) error {
	if req == nil {
		return errors.New("ksef: TestDataScope.CreateSubject: nil request")
	}
	nip := req.SubjectNip
	return sc.track(ctx, "remove subject "+nip,
		func(ctx context.Context) error { return sc.td.CreateSubject(ctx, req) },
		func(ctx context.Context) error {
			return sc.td.RemoveSubject(ctx, &SubjectRemoveRequest{SubjectNip: nip})
		})
}

// CreatePerson creates a person (removed on Close).
func (sc *TestDataScope) CreatePerson(ctx context.Context, req *PersonCreateRequest) error {
	if req == nil {
		return errors.New("ksef: TestDataScope.CreatePerson: nil request")
	}
	nip := req.Nip
	return sc.track(ctx, "remove person "+nip,
		func(ctx context.Context) error { return sc.td.CreatePerson(ctx, req) },
		func(ctx context.Context) error { return sc.td.RemovePerson(ctx, &PersonRemoveRequest{Nip: nip}) })
}

// GrantPermissions grants test permissions (revoked on Close).
func (sc *TestDataScope) GrantPermissions(ctx context.Context, req *TestDataPermissionsGrantRequest) error {
	if req == nil {
		return errors.New("ksef: TestDataScope.GrantPermissions: nil request")
	}
	rev := &TestDataPermissionsRevokeRequest{ContextIdentifier: req.ContextIdentifier, AuthorizedIdentifier: req.AuthorizedIdentifier}
	return sc.track(ctx, "revoke permissions of "+req.AuthorizedIdentifier.Value+" in "+req.ContextIdentifier.Value,
		func(ctx context.Context) error { return sc.td.GrantPermissions(ctx, req) },
		func(ctx context.Context) error { return sc.td.RevokePermissions(ctx, rev) })
}

// EnableAttachments enables attachments for a NIP (revoked on Close).
func (sc *TestDataScope) EnableAttachments(ctx context.Context, nip string) error {
	return sc.track(ctx, "revoke attachments of "+nip,
		func(ctx context.Context) error {
			return sc.td.EnableAttachments(ctx, &AttachmentPermissionGrantRequest{Nip: nip})
		},
		func(ctx context.Context) error {
			return sc.td.RevokeAttachments(ctx, &AttachmentPermissionRevokeRequest{Nip: nip})
		})
}

// BlockContext blocks authentication in a context (unblocked on Close).
func (sc *TestDataScope) BlockContext(ctx context.Context, c ContextIdentifier) error {
	id := TestDataAuthenticationContextIdentifier{Type: c.Type, Value: c.Value}
	return sc.track(ctx, "unblock context "+c.Value,
		func(ctx context.Context) error {
			return sc.td.BlockContext(ctx, &BlockContextAuthenticationRequest{ContextIdentifier: &id})
		},
		func(ctx context.Context) error {
			return sc.td.UnblockContext(ctx, &UnblockContextAuthenticationRequest{ContextIdentifier: &id})
		})
}

// SetSessionLimits overrides the session limits of a's context (reset on
// Close).
func (sc *TestDataScope) SetSessionLimits(ctx context.Context, a *AuthenticatedClient, req *SetSessionLimitsRequest) error {
	return sc.track(ctx, "reset session limits",
		func(ctx context.Context) error { return a.Limits.SetSessionLimits(ctx, req) },
		a.Limits.ResetSessionLimits)
}

// SetCertificateLimits overrides the certificate limits of a's subject
// (reset on Close).
func (sc *TestDataScope) SetCertificateLimits(ctx context.Context, a *AuthenticatedClient, req *SetSubjectLimitsRequest) error {
	return sc.track(ctx, "reset certificate limits",
		func(ctx context.Context) error { return a.Limits.SetCertificateLimits(ctx, req) },
		a.Limits.ResetCertificateLimits)
}

// SetRateLimits sets custom rate limits for a's context (reset on Close).
func (sc *TestDataScope) SetRateLimits(ctx context.Context, a *AuthenticatedClient, req *SetRateLimitsRequest) error {
	return sc.track(ctx, "reset rate limits",
		func(ctx context.Context) error { return a.Limits.SetRateLimits(ctx, req) },
		a.Limits.ResetRateLimits)
}

// UseProductionRateLimits applies the production rate-limit profile to a's
// context (reset to the TEST defaults on Close).
func (sc *TestDataScope) UseProductionRateLimits(ctx context.Context, a *AuthenticatedClient) error {
	return sc.track(ctx, "reset rate limits",
		a.Limits.UseProductionRateLimits,
		a.Limits.ResetRateLimits)
}
