package ksef_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/ksefsim"
)

// TestE2ETokenRules runs workflows §I 68-70: Pending then Active (waiter),
// a token with permissions the caller lacks (26001), a token in a
// NipVatUe context (26002), a token that tries to revoke another token
// (refused) and reads and revokes itself without CredentialsManage.
func TestE2ETokenRules(t *testing.T) {
	sim, c := simClient(t, ksefsim.WithProcessingDelay(200*time.Millisecond), ksefsim.WithoutRateLimits())
	id, a := loginSeal(t, sim, c)
	ctx := t.Context()
	nipCtx := ksef.MustContext(ksef.NIPContext(id.NIP))
	read := []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}

	gen := func(desc string) *ksef.GenerateTokenResponse {
		t.Helper()
		g, err := a.Tokens.Generate(ctx, &ksef.GenerateTokenRequest{Description: desc, Permissions: read})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	// The first poll comes at once, well within the processing delay.
	ta := gen("token A do odczytu")
	var seen []string
	w := *fastWait
	w.OnPoll = func(_ int, s string) { seen = append(seen, s) }
	if st, err := a.Tokens.WaitActive(ctx, ta.ReferenceNumber, &w); err != nil || st.Status != ksef.TokenActive || seen[0] != "Pending" {
		t.Fatalf("WaitActive: %+v %v (polls %v)", st, err, seen)
	}
	tb := gen("token B do odczytu")
	if _, err := a.Tokens.WaitActive(ctx, tb.ReferenceNumber, fastWait); err != nil {
		t.Fatal(err)
	}

	// §I 70: token A's session may not revoke token B, but reads and
	// revokes itself.
	la, err := c.Auth.LoginWithToken(ctx, nipCtx, ta.Token, &ksef.LoginParams{Wait: fastWait})
	if err != nil {
		t.Fatal(err)
	}
	if err := la.Tokens.Revoke(ctx, tb.ReferenceNumber); err == nil {
		t.Error("a token revoked another token without CredentialsManage")
	}
	if st, err := a.Tokens.Status(ctx, tb.ReferenceNumber); err != nil || st.Status != ksef.TokenActive {
		t.Errorf("token B after the attempt: %+v %v", st, err)
	}
	if st, err := la.Tokens.Status(ctx, ta.ReferenceNumber); err != nil || st.Status != ksef.TokenActive {
		t.Errorf("token A reads itself: %+v %v", st, err)
	}
	page, err := la.Tokens.List(ctx, nil)
	if err != nil || len(page.Tokens) != 1 || page.Tokens[0].ReferenceNumber != ta.ReferenceNumber {
		t.Errorf("token A lists %+v (%v), want only itself", page, err)
	}
	if err := la.Tokens.Revoke(ctx, ta.ReferenceNumber); err != nil {
		t.Errorf("token A revokes itself: %v", err)
	}
	if _, err := c.Auth.LoginWithToken(ctx, nipCtx, ta.Token, &ksef.LoginParams{Wait: fastWait}); !errors.Is(err, ksef.ErrAuthInvalidToken) {
		t.Errorf("login with the revoked token A: %v", err)
	}

	// §I 69: a reader may not give a token InvoiceWrite (26001).
	fp, err := credentials.NewFingerprintOnly(&credentials.CertOptions{KeyType: credentials.ECP256})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.TestData.GrantPermissions(ctx, &ksef.TestDataPermissionsGrantRequest{
		ContextIdentifier:    ksef.TestDataContextIdentifier{Type: ident.TypeNip, Value: id.NIP},
		AuthorizedIdentifier: ksef.TestDataAuthorizedIdentifier{Type: ident.TypeFingerprint, Value: fp.Fingerprint()},
		Permissions:          []ksef.TestDataPermission{{PermissionType: ksef.TestDataPermInvoiceRead, Description: "tylko odczyt"}},
	}); err != nil {
		t.Fatal(err)
	}
	reader, err := c.Auth.LoginWithCertificate(ctx, nipCtx, fp.Certificate, fp.Signer, &ksef.LoginParams{Wait: fastWait, SubjectIdentifierType: ksef.AuthSubjectCertificateFingerprint})
	if err != nil {
		t.Fatal(err)
	}
	_, err = reader.Tokens.Generate(ctx, &ksef.GenerateTokenRequest{Description: "więcej niż mam", Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceWrite}})
	if !ksef.IsCode(err, ksef.CodeTokenPermissionsNotHeld) {
		t.Errorf("token with a permission the caller lacks: %v", err)
	}
	// §I 69: no tokens in a NipVatUe context (26002).
	eu := ksef.MustContext(ksef.NipVatUeContext(id.NIP + "-DE123456789"))
	if err := sim.GrantPermissions(eu, ksef.TestDataAuthorizedIdentifier{Type: ident.TypeFingerprint, Value: fp.Fingerprint()}, ksef.TestDataPermInvoiceRead); err != nil {
		t.Fatal(err)
	}
	euc, err := c.Auth.LoginWithCertificate(ctx, eu, fp.Certificate, fp.Signer, &ksef.LoginParams{Wait: fastWait, SubjectIdentifierType: ksef.AuthSubjectCertificateFingerprint})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := euc.Tokens.Generate(ctx, &ksef.GenerateTokenRequest{Description: "token unijny", Permissions: read}); !ksef.IsCode(err, ksef.CodeTokenContextNotAllowed) {
		t.Errorf("token in a NipVatUe context: %v", err)
	}
}
