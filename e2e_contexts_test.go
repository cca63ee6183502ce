package ksef_test

import (
	"context"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/ksefsim"
)

// TestE2ELoginEveryContextType logs in by XAdES to each context type (Nip,
// InternalId, NipVatUe, PeppolId) with both subject identifier types
// (certificateSubject with a seal carrying a NIP, certificateFingerprint with
// a certificate carrying no identifier), before and after a permission
// grant.
func TestE2ELoginEveryContextType(t *testing.T) {
	sim, c := simClient(t)
	owner, err := sim.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	other := string(ksef.RandomNIP(nil))
	seal, err := credentials.NewSealNIP(other, &credentials.CertOptions{KeyType: credentials.ECP256})
	if err != nil {
		t.Fatal(err)
	}
	fp, err := credentials.NewFingerprintOnly(&credentials.CertOptions{KeyType: credentials.RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	creds := []struct {
		name    string
		cred    *credentials.Credentials
		subject ksef.AuthSubjectIdentifierType
		who     ksef.TestDataAuthorizedIdentifier
	}{
		{"subject", seal, ksef.AuthSubjectCertificateSubject, ksef.TestDataAuthorizedIdentifier{Type: ident.TypeNip, Value: other}},
		{"fingerprint", fp, ksef.AuthSubjectCertificateFingerprint, ksef.TestDataAuthorizedIdentifier{Type: ident.TypeFingerprint, Value: credentials.Fingerprint(fp.Certificate)}},
	}
	contexts := []ksef.ContextIdentifier{
		ksef.MustContext(ksef.NIPContext(owner.NIP)),
		ksef.MustContext(ksef.InternalIDContext(owner.NIP + "-00001")),
		ksef.MustContext(ksef.NipVatUeContext(owner.NIP + "-DE123456789")),
		ksef.MustContext(ksef.PeppolIDContext("PAB123456")),
	}
	for _, ctxID := range contexts {
		for _, cr := range creds {
			t.Run(string(ctxID.Type)+"/"+cr.name, func(t *testing.T) {
				params := &ksef.LoginParams{Wait: fastWait, SubjectIdentifierType: cr.subject}
				_, err := c.Auth.LoginWithCertificate(t.Context(), ctxID, cr.cred.Certificate, cr.cred.Signer, params)
				var se *ksef.StatusError
				if !errors.Is(err, ksef.ErrAuthNoPermissions) || !errors.As(err, &se) || se.Code != 415 {
					t.Fatalf("without permissions: %v", err)
				}
				if err := sim.GrantPermissions(ctxID, cr.who, ksef.TestDataPermInvoiceRead); err != nil {
					t.Fatal(err)
				}
				a, err := c.Auth.LoginWithCertificate(t.Context(), ctxID, cr.cred.Certificate, cr.cred.Signer, params)
				if err != nil {
					t.Fatalf("after grant: %v", err)
				}
				if a.Context != ctxID {
					t.Errorf("context %v, want %v", a.Context, ctxID)
				}
				// The tokens work in that context.
				page, err := a.AuthSessions.List(t.Context(), nil)
				if err != nil {
					t.Fatal(err)
				}
				var current bool
				for _, s := range page.Items {
					current = current || (s.IsCurrent && s.ReferenceNumber == a.ReferenceNumber)
				}
				if !current {
					t.Errorf("session %s not listed as current", a.ReferenceNumber)
				}
			})
		}
	}

	// The owner's own certificate needs no grant for its NIP and InternalId
	// contexts, but does for the others.
	for _, ctxID := range contexts {
		_, err := c.Auth.LoginWithCertificate(t.Context(), ctxID, owner.Certificate, owner.Key, &ksef.LoginParams{Wait: fastWait})
		wantOK := ctxID.Type == ksef.ContextNip || ctxID.Type == ksef.ContextInternalID
		if (err == nil) != wantOK || (!wantOK && !errors.Is(err, ksef.ErrAuthNoPermissions)) {
			t.Errorf("owner in %v: %v", ctxID, err)
		}
	}

	bad := []struct {
		ctxID ksef.ContextIdentifier
		who   ksef.TestDataAuthorizedIdentifier
	}{
		{ksef.ContextIdentifier{Type: ksef.ContextPeppolID, Value: "PAB12345"}, creds[0].who},
		{ksef.MustContext(ksef.NIPContext(owner.NIP)), ksef.TestDataAuthorizedIdentifier{Type: ident.TypeFingerprint, Value: "abc"}},
		{ksef.MustContext(ksef.NIPContext(owner.NIP)), ksef.TestDataAuthorizedIdentifier{Type: "Email", Value: "x"}},
	}
	for _, b := range bad {
		if err := sim.GrantPermissions(b.ctxID, b.who, ksef.TestDataPermInvoiceRead); err == nil {
			t.Errorf("GrantPermissions(%v, %v) accepted", b.ctxID, b.who)
		}
	}
	if err := sim.GrantPermissions(contexts[0], creds[0].who); err == nil {
		t.Error("GrantPermissions without permissions accepted")
	}
	if err := sim.GrantPermissions(contexts[0], creds[0].who, "Everything"); err == nil {
		t.Error("GrantPermissions with an unknown permission accepted")
	}
}

// TestE2EListSessionsAllPages checks that the iterator follows continuation
// tokens across pages and stops fetching when the loop breaks.
func TestE2EListSessionsAllPages(t *testing.T) {
	sim, c := simClient(t)
	id, a := loginSeal(t, sim, c)
	want := map[string]bool{a.ReferenceNumber: true}
	for range 11 {
		b, err := c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, &ksef.LoginParams{Wait: fastWait})
		if err != nil {
			t.Fatal(err)
		}
		want[b.ReferenceNumber] = true
	}
	const op = "GET /auth/sessions"
	before := sim.Calls(op)
	got := map[string]bool{}
	for s, err := range a.AuthSessions.ListAll(t.Context(), &ksef.ListSessionsParams{PageSize: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		if got[s.ReferenceNumber] {
			t.Errorf("%s listed twice", s.ReferenceNumber)
		}
		got[s.ReferenceNumber] = true
	}
	if len(got) != len(want) {
		t.Errorf("listed %d sessions, want %d", len(got), len(want))
	}
	for ref := range want {
		if !got[ref] {
			t.Errorf("session %s not listed", ref)
		}
	}
	if n := sim.Calls(op) - before; n != 2 {
		t.Errorf("%d page requests, want 2", n)
	}

	before = sim.Calls(op)
	n := 0
	for _, err := range a.AuthSessions.ListAll(t.Context(), &ksef.ListSessionsParams{PageSize: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	if calls := sim.Calls(op) - before; calls != 1 {
		t.Errorf("%d page requests after break, want 1", calls)
	}

	// An error ends the iteration after being yielded once.
	if err := a.Logout(t.Context()); err != nil {
		t.Fatal(err)
	}
	sim.Advance(16 * time.Minute) // past the access token's lifetime
	errs := 0
	for _, err := range a.AuthSessions.ListAll(t.Context(), nil) {
		if err == nil {
			t.Fatal("listing after logout and expiry succeeded")
		}
		errs++
	}
	if errs != 1 {
		t.Errorf("%d errors yielded, want 1", errs)
	}
}

// TestE2EVerifyCertificateChain asks for the chain check: a self-signed
// certificate fails with status 460 (ErrAuthCertificate) unless the
// simulator trusts it as a root.
func TestE2EVerifyCertificateChain(t *testing.T) {
	nip := string(ksef.RandomNIP(nil))
	seal, err := credentials.NewSealNIP(nip, nil)
	if err != nil {
		t.Fatal(err)
	}
	params := &ksef.LoginParams{Wait: fastWait, VerifyCertificateChain: true}

	_, c := simClient(t)
	_, err = c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(nip)), seal.Certificate, seal.Signer, params)
	var se *ksef.StatusError
	if !errors.Is(err, ksef.ErrAuthCertificate) || !errors.As(err, &se) || se.Code != 460 {
		t.Fatalf("untrusted chain: %v", err)
	}
	// Without the check the same certificate is accepted.
	if _, err := c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(nip)), seal.Certificate, seal.Signer, &ksef.LoginParams{Wait: fastWait}); err != nil {
		t.Fatalf("without the chain check: %v", err)
	}

	roots := x509.NewCertPool()
	roots.AddCert(seal.Certificate)
	_, trusting := simClient(t, ksefsim.WithTrustedRoots(roots))
	if _, err := trusting.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(nip)), seal.Certificate, seal.Signer, params); err != nil {
		t.Fatalf("trusted root: %v", err)
	}
}

// TestE2EAllowedIpsRefusesOtherAddresses: tokens bound to an address list
// that excludes the client's (127.0.0.1) are refused with 403 and the
// reason code, without a refresh attempt.
func TestE2EAllowedIpsRefusesOtherAddresses(t *testing.T) {
	sim, c := simClient(t)
	ips := &ksef.AllowedIps{Ip4Addresses: []string{"10.0.0.1"}, Ip4Ranges: []string{"192.0.2.1-192.0.2.9"}}
	_, a := loginSealWith(t, sim, c, &ksef.LoginParams{Wait: fastWait, AllowedIps: ips})
	refreshes := sim.Calls("POST /auth/token/refresh")
	_, err := a.AuthSessions.List(t.Context(), nil)
	var ae *ksef.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 403 || ae.ReasonCode != ksef.ReasonIPNotAllowed {
		t.Fatalf("call from an address outside AllowedIps: %v", err)
	}
	if n := sim.Calls("POST /auth/token/refresh") - refreshes; n != 0 {
		t.Errorf("%d refreshes after 403, want 0", n)
	}
}

// TestE2EDroppedConnections: a dropped connection is retried for a GET and
// for the challenge, but not for a POST the server may have processed; a
// slow response ends with the caller's deadline.
func TestE2EDroppedConnections(t *testing.T) {
	sim, c := simClient(t)
	_, a := loginSeal(t, sim, c)

	const keys = "GET /security/public-key-certificates"
	before := sim.Calls(keys)
	sim.Faults().Fail(keys, 1, ksefsim.Fault{Drop: true})
	if _, err := c.PublicKeys.List(t.Context()); err != nil {
		t.Fatalf("GET after a dropped connection: %v", err)
	}
	if n := sim.Calls(keys) - before; n != 2 {
		t.Errorf("%s called %d times, want 2", keys, n)
	}

	const challenge = "POST /auth/challenge"
	before = sim.Calls(challenge)
	sim.Faults().Fail(challenge, 1, ksefsim.Fault{Drop: true})
	if _, err := c.Auth.Challenge(t.Context()); err != nil {
		t.Fatalf("challenge after a dropped connection: %v", err)
	}
	if n := sim.Calls(challenge) - before; n != 2 {
		t.Errorf("%s called %d times, want 2", challenge, n)
	}

	const gen = "POST /tokens"
	before = sim.Calls(gen)
	sim.Faults().Fail(gen, 1, ksefsim.Fault{Drop: true, AfterProcessing: true})
	_, err := a.Tokens.Generate(t.Context(), &ksef.GenerateTokenRequest{Description: "dropped",
		Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}})
	if err == nil {
		t.Fatal("POST with a dropped connection reported success")
	}
	var ae *ksef.APIError
	if errors.As(err, &ae) {
		t.Errorf("dropped connection reported as an HTTP status: %v", err)
	}
	if n := sim.Calls(gen) - before; n != 1 {
		t.Errorf("%s called %d times, want 1 (not repeated)", gen, n)
	}

	sim.Faults().Fail(keys, 1, ksefsim.Fault{Delay: 5 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.PublicKeys.List(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow response: %v, want the context's deadline", err)
	}
}
