package ksef_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/ksefsim"
)

// fastWait polls quickly; the simulator answers at once.
var fastWait = &ksef.WaitOptions{MinDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond}

func simClient(t *testing.T, opts ...ksefsim.Option) (*ksefsim.Simulator, *ksef.Client) {
	t.Helper()
	sim, baseURL := simtest.Start(t, opts...)
	c, err := ksef.NewClient(ksef.WithBaseURL(baseURL))
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

// loginSeal logs a new test identity (a company seal) in to its own NIP
// context.
func loginSeal(t *testing.T, sim *ksefsim.Simulator, c *ksef.Client) (*ksefsim.TestIdentity, *ksef.AuthenticatedClient) {
	t.Helper()
	return loginSealWith(t, sim, c, &ksef.LoginParams{Wait: fastWait})
}

// loginSealWith is loginSeal with the given login parameters.
func loginSealWith(t *testing.T, sim *ksefsim.Simulator, c *ksef.Client, params *ksef.LoginParams) (*ksefsim.TestIdentity, *ksef.AuthenticatedClient) {
	t.Helper()
	id, err := sim.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, params)
	if err != nil {
		t.Fatal(err)
	}
	return id, a
}

func TestE2ELoginWithCertificate(t *testing.T) {
	sim, c := simClient(t)
	_, a := loginSeal(t, sim, c)
	if a.ReferenceNumber == "" {
		t.Error("no reference number")
	}
	if a.Context.Type != ksef.ContextNip || a.Context.Value == "" {
		t.Errorf("context %v", a.Context)
	}
	access, refresh := a.TokenManager().Tokens()
	if access.Token == "" || refresh.Token == "" || !refresh.ValidUntil.After(access.ValidUntil) {
		t.Errorf("tokens: %v %v", access.ValidUntil, refresh.ValidUntil)
	}

	// The session is listed, marked current.
	var found bool
	for it, err := range a.AuthSessions.ListAll(t.Context(), &ksef.ListSessionsParams{PageSize: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		if it.ReferenceNumber == a.ReferenceNumber {
			found = it.IsCurrent
		}
	}
	if !found {
		t.Error("current session not listed as current")
	}

	// Explicit refresh.
	res, err := c.Auth.Refresh(t.Context(), refresh.Token)
	if err != nil {
		t.Fatal(err)
	}
	if res.AccessToken.Token == "" {
		t.Error("empty refreshed access token")
	}

	// Logout kills the refresh token.
	if err := a.Logout(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth.Refresh(t.Context(), refresh.Token); err == nil {
		t.Error("refresh after logout succeeded")
	}
}

func TestE2ELoginPersonAndFingerprint(t *testing.T) {
	sim, c := simClient(t)
	p, err := sim.NewTestPerson()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(p.NIP)), p.Certificate, p.Signer, &ksef.LoginParams{Wait: fastWait}); err != nil {
		t.Fatalf("person login: %v", err)
	}

	// A certificate without NIP/PESEL logs in by fingerprint once the
	// fingerprint has permissions in the context.
	owner, err := sim.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	fp, err := credentials.NewFingerprintOnly(&credentials.CertOptions{KeyType: credentials.RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	params := &ksef.LoginParams{Wait: fastWait, SubjectIdentifierType: ksef.AuthSubjectCertificateFingerprint}
	_, err = c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(owner.NIP)), fp.Certificate, fp.Signer, params)
	if !errors.Is(err, ksef.ErrAuthNoPermissions) {
		t.Fatalf("fingerprint without permissions: %v", err)
	}
	grant := &ksef.TestDataPermissionsGrantRequest{
		ContextIdentifier:    ksef.TestDataContextIdentifier{Type: ident.TypeNip, Value: owner.NIP},
		AuthorizedIdentifier: ksef.TestDataAuthorizedIdentifier{Type: ident.TypeFingerprint, Value: credentials.Fingerprint(fp.Certificate)},
		Permissions:          []ksef.TestDataPermission{{PermissionType: ksef.TestDataPermInvoiceRead, Description: "read invoices"}},
	}
	if err := c.TestData.GrantPermissions(t.Context(), grant); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(owner.NIP)), fp.Certificate, fp.Signer, params); err != nil {
		t.Fatalf("fingerprint login: %v", err)
	}
	if err := c.TestData.RevokePermissions(t.Context(), &ksef.TestDataPermissionsRevokeRequest{
		ContextIdentifier: grant.ContextIdentifier, AuthorizedIdentifier: grant.AuthorizedIdentifier,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(owner.NIP)), fp.Certificate, fp.Signer, params); !errors.Is(err, ksef.ErrAuthNoPermissions) {
		t.Fatalf("after revoke: %v", err)
	}
}

func TestE2ELoginWithAllowedIps(t *testing.T) {
	sim, c := simClient(t)
	ips := &ksef.AllowedIps{Ip4Addresses: []string{"127.0.0.1"}, Ip4Masks: []string{"127.0.0.0/8"}}
	_, a := loginSealWith(t, sim, c, &ksef.LoginParams{Wait: fastWait, AllowedIps: ips})
	if _, err := a.AuthSessions.List(t.Context(), nil); err != nil {
		t.Errorf("allowed address rejected: %v", err)
	}
}

func TestE2EBlockedContext(t *testing.T) {
	sim, c := simClient(t)
	id, err := sim.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ctxID := &ksef.TestDataAuthenticationContextIdentifier{Type: ident.TypeNip, Value: id.NIP}
	if err := c.TestData.BlockContext(t.Context(), &ksef.BlockContextAuthenticationRequest{ContextIdentifier: ctxID}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, &ksef.LoginParams{Wait: fastWait})
	var se *ksef.StatusError
	if !errors.Is(err, ksef.ErrAuthBlocked) || !errors.As(err, &se) || se.Code != 480 {
		t.Fatalf("blocked login: %v", err)
	}
	if err := c.TestData.UnblockContext(t.Context(), &ksef.UnblockContextAuthenticationRequest{ContextIdentifier: ctxID}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, &ksef.LoginParams{Wait: fastWait}); err != nil {
		t.Fatalf("after unblock: %v", err)
	}
}

func TestE2EKSeFToken(t *testing.T) {
	sim, c := simClient(t)
	id, a := loginSeal(t, sim, c)
	gen, err := a.Tokens.Generate(t.Context(), &ksef.GenerateTokenRequest{
		Description: "e2e token",
		Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead, ksef.TokenPermInvoiceWrite},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.Tokens.WaitActive(t.Context(), gen.ReferenceNumber, fastWait)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != ksef.TokenActive || st.Description != "e2e token" {
		t.Errorf("status %+v", st)
	}
	tok, err := c.Auth.LoginWithToken(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), gen.Token, &ksef.LoginParams{Wait: fastWait})
	if err != nil {
		t.Fatalf("token login: %v", err)
	}
	// The token-authenticated session can list sessions and revoke the
	// certificate one.
	if err := tok.AuthSessions.Revoke(t.Context(), a.ReferenceNumber); err != nil {
		t.Fatal(err)
	}

	// Emergency key rotation: the cached key is withdrawn (21470); the
	// client downloads the keys again and the login succeeds.
	sim.RotateKeys()
	if _, err := c.Auth.LoginWithToken(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), gen.Token, &ksef.LoginParams{Wait: fastWait}); err != nil {
		t.Fatalf("login after key rotation: %v", err)
	}

	// A wrong token fails with 450.
	_, err = c.Auth.LoginWithToken(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), "not-a-token", &ksef.LoginParams{Wait: fastWait})
	if !errors.Is(err, ksef.ErrAuthInvalidToken) {
		t.Errorf("bad token: %v", err)
	}
}

func TestE2EPublicKeys(t *testing.T) {
	sim, c := simClient(t)
	certs, err := c.PublicKeys.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) < 2 {
		t.Fatalf("%d certificates", len(certs))
	}
	for _, u := range []ksef.PublicKeyCertificateUsage{ksef.KsefTokenEncryption, ksef.SymmetricKeyEncryption} {
		k, err := c.PublicKeys.Get(t.Context(), u)
		if err != nil {
			t.Fatal(err)
		}
		_, wantID := sim.MFPrivateKey(u)
		if k.PublicKeyID != wantID {
			t.Errorf("%s: key %s, simulator uses %s", u, k.PublicKeyID, wantID)
		}
	}
}

func TestE2ETestDataSubjectsAndPersons(t *testing.T) {
	_, c := simClient(t)
	ctx := t.Context()
	nip := string(ksef.RandomNIP(nil))
	sub := string(ksef.RandomNIP(nil))
	req := &ksef.SubjectCreateRequest{SubjectNip: nip, SubjectType: ksef.SubjectVatGroup, Description: "VAT group",
		Subunits: []ksef.Subunit{{SubjectNip: sub, Description: "member one"}}}
	if err := c.TestData.CreateSubject(ctx, req); err != nil {
		t.Fatal(err)
	}
	if err := c.TestData.CreateSubject(ctx, req); !ksef.IsCode(err, ksef.CodeAlreadyExists) {
		t.Errorf("duplicate subject: %v", err)
	}
	if err := c.TestData.RemoveSubject(ctx, &ksef.SubjectRemoveRequest{SubjectNip: nip}); err != nil {
		t.Fatal(err)
	}
	pnip := string(ksef.RandomNIP(nil))
	person := &ksef.PersonCreateRequest{Nip: pnip, Pesel: string(ksef.RandomPESEL(nil)), Description: "test person"}
	if err := c.TestData.CreatePerson(ctx, person); err != nil {
		t.Fatal(err)
	}
	if err := c.TestData.RemovePerson(ctx, &ksef.PersonRemoveRequest{Nip: pnip}); err != nil {
		t.Fatal(err)
	}
	if err := c.TestData.CreatePerson(ctx, nil); err == nil {
		t.Error("nil request accepted")
	}
}

func TestE2ERetryOnInjectedFaults(t *testing.T) {
	sim, c := simClient(t)
	sim.Faults().Fail("POST /auth/challenge", 1, ksefsim.Fault{Status: 503, RetryAfter: time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := c.Auth.Challenge(ctx); err != nil {
		t.Fatalf("503 not retried: %v", err)
	}
	sim.Faults().Fail("POST /auth/challenge", 1, ksefsim.Fault{Status: 429, RetryAfter: time.Hour})
	_, err := c.Auth.Challenge(ctx)
	var ae *ksef.APIError
	if !errors.As(err, &ae) || !errors.Is(err, ksef.ErrRateLimited) || ae.RetryAfter != time.Hour {
		t.Fatalf("long 429: %v", err)
	}
}
