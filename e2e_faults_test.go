package ksef_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/contract"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/xades"
)

// faultEnv is what an after-processing fault case works with.
type faultEnv struct {
	sim *ksefsim.Simulator
	c   *ksef.Client
}

// faultCase prepares one state-changing operation: setup returns the call
// to make while the fault is armed, and effect checks afterwards that the
// operation took effect exactly once (call's error is passed in).
type faultCase struct {
	setup func(t *testing.T, e *faultEnv) (call func(ctx context.Context) error, effect func(t *testing.T))
}

// afterProcessingFaults are the simulator's faults that process the
// request and then fail: the client cannot tell whether it was processed.
var afterProcessingFaults = map[string]ksefsim.Fault{
	"503 after processing":     {Status: http.StatusServiceUnavailable, AfterProcessing: true},
	"500 after processing":     {Status: http.StatusInternalServerError, AfterProcessing: true},
	"dropped after processing": {Drop: true, AfterProcessing: true},
}

// TestAfterProcessingFaults runs every state-changing operation of the SDK
// (every non-GET operation of the operation table claimed by an SDK
// method's "KSeF API:" line) under each after-processing fault. An
// operation not safe to repeat runs exactly once and returns an
// *OutcomeUnknownError; a safe one (the challenge, the refresh, the
// idempotent DELETEs) is repeated after a 503 or a dropped connection and
// succeeds. Either way the effect happened once. An operation added to the
// SDK without a case here fails the test.
func TestAfterProcessingFaults(t *testing.T) {
	methods, _, err := contract.ScanAPIMethods(".")
	if err != nil {
		t.Fatal(err)
	}
	var stateChanging []ksef.Operation
	for _, op := range ksef.Operations() {
		if op.Info().Method == http.MethodGet {
			continue
		}
		if slices.ContainsFunc(methods, func(m contract.APIMethod) bool { return m.Op == op.String() }) {
			stateChanging = append(stateChanging, op)
		}
	}
	cases := faultCases()
	for _, op := range stateChanging {
		if _, ok := cases[op.String()]; !ok {
			t.Errorf("%s: state-changing operation of the SDK without an after-processing fault case", op)
		}
	}
	for name := range cases {
		if !slices.ContainsFunc(stateChanging, func(op ksef.Operation) bool { return op.String() == name }) {
			t.Errorf("fault case for %s, which is not a state-changing operation of the SDK", name)
		}
	}
	for _, op := range stateChanging {
		fc, ok := cases[op.String()]
		if !ok {
			continue
		}
		for fname, fault := range afterProcessingFaults {
			t.Run(op.String()+"/"+fname, func(t *testing.T) {
				sim, c := simClient(t)
				c2, err := ksef.NewClient(ksef.WithBaseURL(c.BaseURL()), ksef.WithRetry(ksef.RetryPolicy{BaseDelay: time.Millisecond}))
				if err != nil {
					t.Fatal(err)
				}
				call, effect := fc.setup(t, &faultEnv{sim: sim, c: c2})
				before := sim.Calls(op.String())
				sim.Faults().Fail(op.String(), 1, fault)
				err = call(t.Context())
				calls := sim.Calls(op.String()) - before
				info := op.Info()
				switch {
				case resolvedFaultOps[op.String()]:
					if err != nil {
						t.Fatalf("err = %v, want the ambiguity settled by the SDK", err)
					}
					if calls != 1 {
						t.Errorf("%d calls, want exactly 1 (processed once, settled by asking KSeF)", calls)
					}
				case !info.RetrySafe:
					var ou *ksef.OutcomeUnknownError
					if !errors.Is(err, ksef.ErrOutcomeUnknown) || !errors.As(err, &ou) || ou.Operation != op || ou.Advice == "" {
						t.Fatalf("err = %v, want an OutcomeUnknownError for %s", err, op)
					}
					if calls != 1 {
						t.Errorf("%d calls, want exactly 1 (never repeated)", calls)
					}
				case fault.Status == http.StatusInternalServerError:
					// A 500 is not retried even where safe: the error is
					// returned as is.
					var ae *ksef.APIError
					if !errors.As(err, &ae) || ae.StatusCode != 500 || errors.Is(err, ksef.ErrOutcomeUnknown) {
						t.Fatalf("err = %v, want the 500 APIError", err)
					}
					if calls != 1 {
						t.Errorf("%d calls, want 1", calls)
					}
				default:
					if err != nil {
						t.Fatalf("safe operation not resolved by its retry: %v", err)
					}
					if calls != 2 {
						t.Errorf("%d calls, want 2 (one repeat)", calls)
					}
				}
				if sim.Faults().Pending(op.String()) != 0 {
					t.Error("fault not consumed")
				}
				if effect != nil {
					effect(t)
				}
			})
		}
	}
}

func faultCases() map[string]faultCase {
	noEffect := func(t *testing.T) {}
	cases := map[string]faultCase{
		"POST /auth/challenge": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			return func(ctx context.Context) error { _, err := e.c.Auth.Challenge(ctx); return err }, noEffect
		}},
		"POST /auth/xades-signature": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			id := newIdentity(t, e.sim)
			return func(ctx context.Context) error {
					_, err := e.c.Auth.LoginWithCertificate(ctx, nipContext(t, id.NIP), id.Certificate, id.Signer, &ksef.LoginParams{Wait: fastWait})
					return err
				}, func(t *testing.T) {
					// Nothing went further than the signature.
					if n := e.sim.Calls("POST /auth/token/redeem"); n != 0 {
						t.Errorf("%d redeems", n)
					}
				}
		}},
		"POST /auth/ksef-token": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			id, a := loginSeal(t, e.sim, e.c)
			tok, err := a.Tokens.Generate(t.Context(), &ksef.GenerateTokenRequest{Description: "fault test", Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Tokens.WaitActive(t.Context(), tok.ReferenceNumber, fastWait); err != nil {
				t.Fatal(err)
			}
			redeems := e.sim.Calls("POST /auth/token/redeem")
			return func(ctx context.Context) error {
					_, err := e.c.Auth.LoginWithToken(ctx, nipContext(t, id.NIP), tok.Token, &ksef.LoginParams{Wait: fastWait})
					return err
				}, func(t *testing.T) {
					if n := e.sim.Calls("POST /auth/token/redeem") - redeems; n != 0 {
						t.Errorf("%d redeems", n)
					}
				}
		}},
		"POST /auth/token/redeem": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			id := newIdentity(t, e.sim)
			ctx := t.Context()
			ch, err := e.c.Auth.Challenge(ctx)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := ksef.NewAuthTokenRequest(ch.Challenge, nipContext(t, id.NIP), ksef.AuthSubjectCertificateSubject, nil)
			if err != nil {
				t.Fatal(err)
			}
			unsigned, err := doc.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			signed, err := xades.Sign(unsigned, id.Certificate, id.Signer, nil)
			if err != nil {
				t.Fatal(err)
			}
			init, err := e.c.Auth.InitXades(ctx, signed, false)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.c.Auth.Wait(ctx, init.ReferenceNumber, init.AuthenticationToken.Token, fastWait); err != nil {
				t.Fatal(err)
			}
			return func(ctx context.Context) error {
					_, err := e.c.Auth.Redeem(ctx, init.AuthenticationToken.Token)
					return err
				}, func(t *testing.T) {
					// It was redeemed (once): a second redeem is refused.
					_, err := e.c.Auth.Redeem(t.Context(), init.AuthenticationToken.Token)
					if !ksef.IsCode(err, 21301) {
						t.Errorf("second redeem: %v, want 21301", err)
					}
				}
		}},
		"POST /auth/token/refresh": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			_, refresh := a.TokenManager().Tokens()
			var got *ksef.AuthenticationTokenRefreshResponse
			return func(ctx context.Context) error {
					var err error
					got, err = e.c.Auth.Refresh(ctx, refresh.Token)
					return err
				}, func(t *testing.T) {
					if got == nil {
						return
					}
					// The access token of the (repeated) refresh works.
					b := e.c.Auth.Resume(got.AccessToken, refresh)
					if _, err := b.AuthSessions.List(t.Context(), nil); err != nil {
						t.Errorf("refreshed access token: %v", err)
					}
				}
		}},
		"DELETE /auth/sessions/current": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			_, refresh := a.TokenManager().Tokens()
			return func(ctx context.Context) error { return a.AuthSessions.RevokeCurrent(ctx) },
				func(t *testing.T) {
					if _, err := e.c.Auth.Refresh(t.Context(), refresh.Token); err == nil {
						t.Error("refresh token still works after the revocation")
					}
				}
		}},
		"DELETE /auth/sessions/{referenceNumber}": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			id, a := loginSeal(t, e.sim, e.c)
			b, err := e.c.Auth.LoginWithCertificate(t.Context(), nipContext(t, id.NIP), id.Certificate, id.Signer, &ksef.LoginParams{Wait: fastWait})
			if err != nil {
				t.Fatal(err)
			}
			_, refresh := b.TokenManager().Tokens()
			return func(ctx context.Context) error { return a.AuthSessions.Revoke(ctx, b.ReferenceNumber) },
				func(t *testing.T) {
					if _, err := e.c.Auth.Refresh(t.Context(), refresh.Token); err == nil {
						t.Error("refresh token of the revoked session still works")
					}
				}
		}},
		"POST /tokens": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			return func(ctx context.Context) error {
				_, err := a.Tokens.Generate(ctx, &ksef.GenerateTokenRequest{Description: "fault test", Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}})
				return err
			}, noEffect // one call is one token: the driver checks the call count
		}},
		"DELETE /tokens/{referenceNumber}": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			gen, err := a.Tokens.Generate(t.Context(), &ksef.GenerateTokenRequest{Description: "fault test", Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}})
			if err != nil {
				t.Fatal(err)
			}
			return func(ctx context.Context) error { return a.Tokens.Revoke(ctx, gen.ReferenceNumber) },
				func(t *testing.T) {
					st, err := a.Tokens.Status(t.Context(), gen.ReferenceNumber)
					if err != nil || st.Status != ksef.TokenRevoked {
						t.Errorf("token not revoked: %+v %v", st, err)
					}
				}
		}},
		"POST /testdata/subject": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			req := &ksef.SubjectCreateRequest{SubjectNip: string(ident.RandomNIP(nil)), SubjectType: ksef.SubjectVatGroup, Description: "VAT group"}
			return func(ctx context.Context) error { return e.c.TestData.CreateSubject(ctx, req) },
				func(t *testing.T) {
					if err := e.c.TestData.CreateSubject(t.Context(), req); !ksef.IsCode(err, ksef.CodeAlreadyExists) {
						t.Errorf("subject not created: %v", err)
					}
				}
		}},
		"POST /testdata/subject/remove": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			req := &ksef.SubjectCreateRequest{SubjectNip: string(ident.RandomNIP(nil)), SubjectType: ksef.SubjectVatGroup, Description: "VAT group"}
			if err := e.c.TestData.CreateSubject(t.Context(), req); err != nil {
				t.Fatal(err)
			}
			return func(ctx context.Context) error {
					return e.c.TestData.RemoveSubject(ctx, &ksef.SubjectRemoveRequest{SubjectNip: req.SubjectNip})
				}, func(t *testing.T) {
					if err := e.c.TestData.CreateSubject(t.Context(), req); err != nil {
						t.Errorf("subject not removed: %v", err)
					}
				}
		}},
		"POST /testdata/person": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			req := &ksef.PersonCreateRequest{Nip: string(ident.RandomNIP(nil)), Pesel: string(ident.RandomPESEL(nil)), Description: "test person"}
			return func(ctx context.Context) error { return e.c.TestData.CreatePerson(ctx, req) },
				func(t *testing.T) {
					if err := e.c.TestData.CreatePerson(t.Context(), req); !ksef.IsCode(err, ksef.CodeAlreadyExists) {
						t.Errorf("person not created: %v", err)
					}
				}
		}},
		"POST /testdata/person/remove": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			req := &ksef.PersonCreateRequest{Nip: string(ident.RandomNIP(nil)), Pesel: string(ident.RandomPESEL(nil)), Description: "test person"}
			if err := e.c.TestData.CreatePerson(t.Context(), req); err != nil {
				t.Fatal(err)
			}
			return func(ctx context.Context) error {
					return e.c.TestData.RemovePerson(ctx, &ksef.PersonRemoveRequest{Nip: req.Nip})
				}, func(t *testing.T) {
					if err := e.c.TestData.CreatePerson(t.Context(), req); err != nil {
						t.Errorf("person not removed: %v", err)
					}
				}
		}},
		"POST /testdata/permissions": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			owner, fp, grant, params := fingerprintGrant(t, e)
			return func(ctx context.Context) error { return e.c.TestData.GrantPermissions(ctx, grant) },
				func(t *testing.T) {
					if _, err := e.c.Auth.LoginWithCertificate(t.Context(), nipContext(t, owner.NIP), fp.Certificate, fp.Signer, params); err != nil {
						t.Errorf("permission not granted: %v", err)
					}
				}
		}},
		"POST /testdata/permissions/revoke": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			owner, fp, grant, params := fingerprintGrant(t, e)
			if err := e.c.TestData.GrantPermissions(t.Context(), grant); err != nil {
				t.Fatal(err)
			}
			return func(ctx context.Context) error {
					return e.c.TestData.RevokePermissions(ctx, &ksef.TestDataPermissionsRevokeRequest{
						ContextIdentifier: grant.ContextIdentifier, AuthorizedIdentifier: grant.AuthorizedIdentifier})
				}, func(t *testing.T) {
					_, err := e.c.Auth.LoginWithCertificate(t.Context(), nipContext(t, owner.NIP), fp.Certificate, fp.Signer, params)
					if !errors.Is(err, ksef.ErrAuthNoPermissions) {
						t.Errorf("permission not revoked: %v", err)
					}
				}
		}},
		"POST /testdata/context/block": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			id := newIdentity(t, e.sim)
			ctxID := &ksef.TestDataAuthenticationContextIdentifier{Type: ident.TypeNip, Value: id.NIP}
			return func(ctx context.Context) error {
					return e.c.TestData.BlockContext(ctx, &ksef.BlockContextAuthenticationRequest{ContextIdentifier: ctxID})
				}, func(t *testing.T) {
					_, err := e.c.Auth.LoginWithCertificate(t.Context(), nipContext(t, id.NIP), id.Certificate, id.Signer, &ksef.LoginParams{Wait: fastWait})
					if !errors.Is(err, ksef.ErrAuthBlocked) {
						t.Errorf("context not blocked: %v", err)
					}
				}
		}},
		"POST /testdata/context/unblock": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			id := newIdentity(t, e.sim)
			ctxID := &ksef.TestDataAuthenticationContextIdentifier{Type: ident.TypeNip, Value: id.NIP}
			if err := e.c.TestData.BlockContext(t.Context(), &ksef.BlockContextAuthenticationRequest{ContextIdentifier: ctxID}); err != nil {
				t.Fatal(err)
			}
			return func(ctx context.Context) error {
					return e.c.TestData.UnblockContext(ctx, &ksef.UnblockContextAuthenticationRequest{ContextIdentifier: ctxID})
				}, func(t *testing.T) {
					if _, err := e.c.Auth.LoginWithCertificate(t.Context(), nipContext(t, id.NIP), id.Certificate, id.Signer, &ksef.LoginParams{Wait: fastWait}); err != nil {
						t.Errorf("context not unblocked: %v", err)
					}
				}
		}},
	}
	maps.Copy(cases, onlineFaultCases())
	maps.Copy(cases, retrievalFaultCases())
	return cases
}

func newIdentity(t *testing.T, sim *ksefsim.Simulator) *ksefsim.TestIdentity {
	t.Helper()
	id, err := sim.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// fingerprintGrant returns an owner, a fingerprint-only certificate
// without permissions in the owner's context, and the grant that gives it
// one.
func fingerprintGrant(t *testing.T, e *faultEnv) (*ksefsim.TestIdentity, *credentials.Credentials, *ksef.TestDataPermissionsGrantRequest, *ksef.LoginParams) {
	t.Helper()
	owner := newIdentity(t, e.sim)
	fp, err := credentials.NewFingerprintOnly(&credentials.CertOptions{KeyType: credentials.ECP256})
	if err != nil {
		t.Fatal(err)
	}
	grant := &ksef.TestDataPermissionsGrantRequest{
		ContextIdentifier:    ksef.TestDataContextIdentifier{Type: ident.TypeNip, Value: owner.NIP},
		AuthorizedIdentifier: ksef.TestDataAuthorizedIdentifier{Type: ident.TypeFingerprint, Value: credentials.Fingerprint(fp.Certificate)},
		Permissions:          []ksef.TestDataPermission{{PermissionType: ksef.TestDataPermInvoiceRead, Description: "read invoices"}},
	}
	return owner, fp, grant, &ksef.LoginParams{Wait: fastWait, SubjectIdentifierType: ksef.AuthSubjectCertificateFingerprint}
}
