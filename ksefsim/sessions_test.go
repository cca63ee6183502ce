package ksefsim

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
)

func TestAuthSessions(t *testing.T) {
	h := newHarness(t)
	nip := randomNIP()
	cred := seal(t, nip)
	var logins []ksef.AuthenticationTokensResponse
	for range 12 {
		logins = append(logins, h.login(nipCtx(nip), "certificateSubject", cred))
		h.clk.Advance(time.Second)
	}
	// A failed authentication and one in another context are not listed.
	h.startXAdES(nipCtx(nip), "certificateSubject", seal(t, randomNIP()))
	other := randomNIP()
	h.login(nipCtx(other), "certificateSubject", seal(t, other))

	current := logins[11]
	access := current.AccessToken.Token.Reveal()
	var page ksef.AuthenticationListResponse
	h.ok(req{method: "GET", path: "/auth/sessions", token: access}, 200, &page)
	if len(page.Items) != 10 || page.ContinuationToken == "" {
		t.Fatalf("first page: %d items, token %q", len(page.Items), page.ContinuationToken)
	}
	if !page.Items[0].IsCurrent || page.Items[1].IsCurrent || !page.Items[0].StartDate.After(page.Items[1].StartDate) {
		t.Errorf("first item %+v", page.Items[0])
	}
	var next ksef.AuthenticationListResponse
	h.ok(req{method: "GET", path: "/auth/sessions", token: access, header: map[string]string{"x-continuation-token": page.ContinuationToken}}, 200, &next)
	if len(next.Items) != 2 || next.ContinuationToken != "" {
		t.Fatalf("second page: %d items, token %q", len(next.Items), next.ContinuationToken)
	}
	var all ksef.AuthenticationListResponse
	h.ok(req{method: "GET", path: "/auth/sessions?pageSize=100", token: access}, 200, &all)
	if len(all.Items) != 12 {
		t.Errorf("pageSize=100: %d items", len(all.Items))
	}
	for _, bad := range []string{"?pageSize=5", "?pageSize=101", "?pageSize=x"} {
		if code := exceptionCode(t, h.do(req{method: "GET", path: "/auth/sessions" + bad, token: access})); code != 21405 {
			t.Errorf("%s: code %d", bad, code)
		}
	}
	if code := exceptionCode(t, h.do(req{method: "GET", path: "/auth/sessions", token: access, header: map[string]string{"x-continuation-token": "garbage"}})); code != 21418 {
		t.Errorf("bad continuation: code %d", code)
	}

	// Revoke another session by reference: it disappears, its refresh token dies.
	victim := all.Items[5].ReferenceNumber
	var victimLogin ksef.AuthenticationTokensResponse
	for _, l := range logins {
		c, _ := h.s.parseToken(l.RefreshToken.Token.Reveal(), false)
		if c.AuthRef == victim {
			victimLogin = l
		}
	}
	h.ok(req{method: "DELETE", path: "/auth/sessions/" + victim, token: access}, 204, nil)
	h.ok(req{method: "GET", path: "/auth/sessions?pageSize=100", token: access}, 200, &all)
	if len(all.Items) != 11 {
		t.Errorf("after revoke: %d items", len(all.Items))
	}
	if code := exceptionCode(t, h.do(req{method: "POST", path: "/auth/token/refresh", token: victimLogin.RefreshToken.Token.Reveal()})); code != 21301 {
		t.Errorf("refresh of revoked session: code %d", code)
	}
	// Its access token stays valid until it expires.
	h.ok(req{method: "GET", path: "/auth/sessions", token: victimLogin.AccessToken.Token.Reveal()}, 200, nil)
	// Unknown reference or a session of another context.
	h.ok(req{method: "DELETE", path: "/auth/sessions/20260310-AU-0000000000-0000000000-00", token: access}, 400, nil)

	// Revoke the current session with the refresh token.
	h.ok(req{method: "DELETE", path: "/auth/sessions/current", token: current.RefreshToken.Token.Reveal()}, 204, nil)
	if code := exceptionCode(t, h.do(req{method: "POST", path: "/auth/token/refresh", token: current.RefreshToken.Token.Reveal()})); code != 21301 {
		t.Errorf("refresh after revoke: code %d", code)
	}
	h.ok(req{method: "GET", path: "/auth/sessions?pageSize=100", token: access}, 200, &all)
	if len(all.Items) != 10 {
		t.Errorf("after revoking current: %d items", len(all.Items))
	}
	// The access token of the revoked session still works until exp.
	h.clk.Advance(14 * time.Minute)
	h.ok(req{method: "GET", path: "/auth/sessions", token: access}, 200, nil)
	h.clk.Advance(2 * time.Minute)
	h.ok(req{method: "GET", path: "/auth/sessions", token: access}, 401, nil)
	// The revoked operation reports status 425.
	c, _ := h.s.parseToken(current.RefreshToken.Token.Reveal(), true)
	h.s.mu.Lock()
	st := h.s.st.auths[c.AuthRef].status(h.clk.Now())
	h.s.mu.Unlock()
	if st.Code != 425 {
		t.Errorf("revoked status %+v", st)
	}
	// DELETE current accepts an access token too.
	fresh := h.login(nipCtx(nip), "certificateSubject", cred)
	h.ok(req{method: "DELETE", path: "/auth/sessions/current", token: fresh.AccessToken.Token.Reveal()}, 204, nil)
	h.ok(req{method: "POST", path: "/auth/token/refresh", token: fresh.RefreshToken.Token.Reveal()}, 400, nil)
}

func TestPublicKeyCertificates(t *testing.T) {
	h := newHarness(t)
	var list []ksef.PublicKeyCertificate
	h.ok(req{method: "GET", path: "/security/public-key-certificates"}, 200, &list)
	if len(list) != 2 {
		t.Fatalf("%d certificates", len(list))
	}
	seen := map[ksef.PublicKeyCertificateUsage]string{}
	for _, pk := range list {
		cert, err := x509.ParseCertificate(pk.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(pk.Certificate)
		if pk.CertificateID != base64.StdEncoding.EncodeToString(sum[:]) {
			t.Errorf("certificateId %s", pk.CertificateID)
		}
		spki := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
		if pk.PublicKeyID != base64.StdEncoding.EncodeToString(spki[:]) || len(pk.PublicKeyID) != 44 {
			t.Errorf("publicKeyId %s", pk.PublicKeyID)
		}
		if cert.Subject.CommonName != "Ministerstwo Finansów" || !cert.NotBefore.Equal(pk.ValidFrom) || !cert.NotAfter.Equal(pk.ValidTo) {
			t.Errorf("certificate %v %v-%v", cert.Subject, cert.NotBefore, cert.NotAfter)
		}
		if !pk.ValidFrom.Before(t0) || !pk.ValidTo.After(t0) || len(pk.Usage) != 1 {
			t.Errorf("entry %+v", pk)
		}
		priv, id := h.s.MFPrivateKey(pk.Usage[0])
		if id != pk.PublicKeyID || !priv.PublicKey.Equal(cert.PublicKey) {
			t.Errorf("private key does not match %s", pk.Usage[0])
		}
		seen[pk.Usage[0]] = pk.PublicKeyID
	}
	if seen[ksef.KsefTokenEncryption] == "" || seen[ksef.SymmetricKeyEncryption] == "" || seen[ksef.KsefTokenEncryption] == seen[ksef.SymmetricKeyEncryption] {
		t.Errorf("usages %v", seen)
	}
	h.clk.Advance(time.Minute)
	h.s.RotateKeys()
	var rotated []ksef.PublicKeyCertificate
	h.ok(req{method: "GET", path: "/security/public-key-certificates"}, 200, &rotated)
	for _, pk := range rotated {
		if pk.PublicKeyID == seen[pk.Usage[0]] || !pk.ValidFrom.Equal(t0.Add(time.Minute)) {
			t.Errorf("after rotation %+v", pk)
		}
	}
	// Symmetric key unwrapping follows the current key.
	priv, id := h.s.MFPrivateKey(ksef.SymmetricKeyEncryption)
	wrapped, _ := rsaOAEP(&priv.PublicKey, make([]byte, 32))
	if _, err := h.s.decryptSymmetricKey(id, wrapped); err != nil {
		t.Error(err)
	}
	if _, err := h.s.decryptSymmetricKey(seen[ksef.SymmetricKeyEncryption], wrapped); err != errUnknownKey {
		t.Errorf("old key id: %v", err)
	}
	if c := h.s.MFCertificate(ksef.SymmetricKeyEncryption); c == nil || !priv.PublicKey.Equal(c.PublicKey) {
		t.Error("MFCertificate does not match")
	}
}

func TestTestDataValidation(t *testing.T) {
	h := newHarness(t)
	nip, pesel := randomNIP(), randomPESEL()
	tests := []struct {
		name   string
		path   string
		body   any
		status int
		code   int
	}{
		{"subject", "/testdata/subject", ksef.SubjectCreateRequest{SubjectNip: nip, SubjectType: ksef.SubjectVatGroup, Description: "VAT group",
			Subunits: []ksef.Subunit{{SubjectNip: randomNIP(), Description: "member one"}}}, 200, 0},
		{"subject again", "/testdata/subject", ksef.SubjectCreateRequest{SubjectNip: nip, SubjectType: ksef.SubjectVatGroup, Description: "VAT group"}, 400, 30001},
		{"subject bad type", "/testdata/subject", ksef.SubjectCreateRequest{SubjectNip: randomNIP(), SubjectType: "Club", Description: "a club"}, 400, 21405},
		{"subject bad NIP", "/testdata/subject", ksef.SubjectCreateRequest{SubjectNip: "1234567890", SubjectType: ksef.SubjectJST, Description: "bad nip"}, 400, 21405},
		{"subject bad subunit", "/testdata/subject", ksef.SubjectCreateRequest{SubjectNip: randomNIP(), SubjectType: ksef.SubjectJST, Description: "jst unit",
			Subunits: []ksef.Subunit{{SubjectNip: randomNIP(), Description: "x"}}}, 400, 21405},
		{"subject remove", "/testdata/subject/remove", ksef.SubjectRemoveRequest{SubjectNip: nip}, 200, 0},
		{"subject recreate", "/testdata/subject", ksef.SubjectCreateRequest{SubjectNip: nip, SubjectType: ksef.SubjectVatGroup, Description: "VAT group"}, 200, 0},
		{"subject remove unknown", "/testdata/subject/remove", ksef.SubjectRemoveRequest{SubjectNip: randomNIP()}, 200, 0},
		{"person", "/testdata/person", ksef.PersonCreateRequest{Nip: nip, Pesel: pesel, IsBailiff: true, Description: "bailiff"}, 200, 0},
		{"person again", "/testdata/person", ksef.PersonCreateRequest{Nip: nip, Pesel: randomPESEL(), Description: "bailiff"}, 400, 30001},
		{"person bad PESEL", "/testdata/person", ksef.PersonCreateRequest{Nip: randomNIP(), Pesel: "15062788703", Description: "someone"}, 400, 21405},
		{"person short description", "/testdata/person", ksef.PersonCreateRequest{Nip: randomNIP(), Pesel: randomPESEL(), Description: "abc"}, 400, 21405},
		{"grant bad fingerprint", "/testdata/permissions", ksef.TestDataPermissionsGrantRequest{
			ContextIdentifier:    ksef.TestDataContextIdentifier{Type: "Nip", Value: nip},
			AuthorizedIdentifier: ksef.TestDataAuthorizedIdentifier{Type: "Fingerprint", Value: "ABC"},
			Permissions:          []ksef.TestDataPermission{{PermissionType: "InvoiceRead", Description: "read invoices"}}}, 400, 21405},
		{"grant unknown permission", "/testdata/permissions", ksef.TestDataPermissionsGrantRequest{
			ContextIdentifier:    ksef.TestDataContextIdentifier{Type: "Nip", Value: nip},
			AuthorizedIdentifier: ksef.TestDataAuthorizedIdentifier{Type: "Nip", Value: randomNIP()},
			Permissions:          []ksef.TestDataPermission{{PermissionType: "VatUeManage", Description: "eu admin"}}}, 400, 21405},
		{"grant other context type", "/testdata/permissions", ksef.TestDataPermissionsGrantRequest{
			ContextIdentifier:    ksef.TestDataContextIdentifier{Type: "InternalId", Value: nip},
			AuthorizedIdentifier: ksef.TestDataAuthorizedIdentifier{Type: "Nip", Value: randomNIP()},
			Permissions:          []ksef.TestDataPermission{{PermissionType: "InvoiceRead", Description: "read invoices"}}}, 400, 21405},
		{"block bad context", "/testdata/context/block", ksef.BlockContextAuthenticationRequest{
			ContextIdentifier: &ksef.TestDataAuthenticationContextIdentifier{Type: "Nip", Value: "12"}}, 400, 21405},
		{"person remove", "/testdata/person/remove", ksef.PersonRemoveRequest{Nip: nip}, 200, 0},
		{"bad JSON", "/testdata/person", "{", 400, 21405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := h.do(req{method: "POST", path: tt.path, body: tt.body})
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body.String())
			}
			if tt.code != 0 {
				if code := exceptionCode(t, w); code != tt.code {
					t.Errorf("code %d, want %d", code, tt.code)
				}
			}
			if tt.status == 200 && w.Body.Len() != 0 {
				t.Errorf("body %q", w.Body.String())
			}
		})
	}
}

func TestBailiffAndEnforcementPermissions(t *testing.T) {
	h := newHarness(t)
	nip, pesel := randomNIP(), randomPESEL()
	h.ok(req{method: "POST", path: "/testdata/person", body: ksef.PersonCreateRequest{Nip: nip, Pesel: pesel, IsBailiff: true, Description: "bailiff"}}, 200, nil)
	tr := h.login(nipCtx(nip), "certificateSubject", personPESEL(t, pesel))
	c, _ := h.s.parseToken(tr.AccessToken.Token.Reveal(), false)
	var found bool
	for _, p := range c.Permissions {
		found = found || p == "EnforcementOperations"
	}
	if !found {
		t.Errorf("bailiff permissions %v", c.Permissions)
	}
	authority := randomNIP()
	h.ok(req{method: "POST", path: "/testdata/subject", body: ksef.SubjectCreateRequest{SubjectNip: authority, SubjectType: ksef.SubjectEnforcementAuthority, Description: "enforcement"}}, 200, nil)
	tr = h.login(nipCtx(authority), "certificateSubject", seal(t, authority))
	c, _ = h.s.parseToken(tr.AccessToken.Token.Reveal(), false)
	b, _ := json.Marshal(c.Permissions)
	if !json.Valid(b) || !contains(c.Permissions, "EnforcementOperations") {
		t.Errorf("authority permissions %v", c.Permissions)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func TestStatePruning(t *testing.T) {
	h := newHarness(t)
	first := h.challenge()
	h.clk.Advance(11 * time.Minute)
	h.challenge()
	h.s.mu.Lock()
	_, kept := h.s.st.challenges[first.Challenge]
	n := len(h.s.st.challenges)
	h.s.mu.Unlock()
	if kept || n != 1 {
		t.Errorf("expired challenge kept=%v, %d challenges", kept, n)
	}
	nip := randomNIP()
	old := h.startXAdES(nipCtx(nip), "certificateSubject", seal(t, nip))
	h.clk.Advance(9 * 24 * time.Hour)
	c2, err := credentials.NewSealNIP(nip, &credentials.CertOptions{KeyType: credentials.ECP256, Now: h.clk.Now()})
	if err != nil {
		t.Fatal(err)
	}
	h.startXAdES(nipCtx(nip), "certificateSubject", c2)
	h.s.mu.Lock()
	_, kept = h.s.st.auths[old.ReferenceNumber]
	n = len(h.s.st.authOrder)
	h.s.mu.Unlock()
	if kept || n != 1 {
		t.Errorf("old operation kept=%v, %d operations", kept, n)
	}
}

// TestConcurrentLogins runs logins, token generation and listing in
// parallel (meaningful under -race).
func TestConcurrentLogins(t *testing.T) {
	h := newHarness(t)
	nip := randomNIP()
	cred := seal(t, nip)
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for range 3 {
				tr := h.login(nipCtx(nip), "certificateSubject", cred)
				h.newToken(tr.AccessToken.Token.Reveal(), ksef.TokenPermInvoiceRead)
				h.ok(req{method: "GET", path: "/auth/sessions?pageSize=100", token: tr.AccessToken.Token.Reveal()}, 200, nil)
				h.ok(req{method: "DELETE", path: "/auth/sessions/current", token: tr.AccessToken.Token.Reveal()}, 204, nil)
			}
		})
	}
	wg.Wait()
	if n := h.s.Calls("POST /auth/token/redeem"); n != 18 {
		t.Errorf("%d redeems", n)
	}
}
