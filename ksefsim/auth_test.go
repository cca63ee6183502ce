package ksefsim

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
)

func TestChallenge(t *testing.T) {
	h := newHarness(t)
	c := h.challenge()
	if !isChallenge(c.Challenge) || !strings.HasPrefix(c.Challenge, "20260310-CR-") {
		t.Errorf("challenge %q", c.Challenge)
	}
	if c.TimestampMs != t0.UnixMilli() || !c.Timestamp.Equal(t0) {
		t.Errorf("timestamp %v / %d, want %v", c.Timestamp, c.TimestampMs, t0)
	}
	if c.ClientIP != "192.0.2.1" {
		t.Errorf("clientIp %q", c.ClientIP)
	}
	if c2 := h.challenge(); c2.Challenge == c.Challenge {
		t.Error("two challenges are equal")
	}
}

func TestXAdESLoginFlow(t *testing.T) {
	for _, ns := range []string{authNS20, authNS21} {
		t.Run(ns[len(ns)-3:], func(t *testing.T) {
			h := newHarness(t)
			nip := randomNIP()
			cred := seal(t, nip)
			ch := h.challenge()
			doc := sign(t, authXML(ns, ch.Challenge, nipCtx(nip), "certificateSubject", ""), cred, t0.Add(-time.Minute))
			var init ksef.AuthenticationInitResponse
			h.ok(req{method: "POST", path: "/auth/xades-signature", body: doc}, 202, &init)
			if !isRef(init.ReferenceNumber) || init.ReferenceNumber[9:11] != "AU" {
				t.Errorf("reference %q", init.ReferenceNumber)
			}
			if want := t0.Add(DefaultTokenLifetimes().Authentication); !init.AuthenticationToken.ValidUntil.Equal(want) {
				t.Errorf("authenticationToken validUntil %v, want %v", init.AuthenticationToken.ValidUntil, want)
			}
			st := h.status(init)
			if st.Status.Code != 200 || st.AuthenticationMethod != ksef.AuthMethodQualifiedSeal ||
				st.AuthenticationMethodInfo.Category != ksef.AuthCategoryXadesSignature || st.IsTokenRedeemed == nil || *st.IsTokenRedeemed {
				t.Errorf("status %+v", st)
			}
			tr := h.redeem(init)
			if !tr.AccessToken.ValidUntil.Equal(t0.Add(15*time.Minute)) || !tr.RefreshToken.ValidUntil.Equal(t0.Add(7*24*time.Hour)) {
				t.Errorf("lifetimes %v %v", tr.AccessToken.ValidUntil, tr.RefreshToken.ValidUntil)
			}
			// Redeem once only.
			w := h.do(req{method: "POST", path: "/auth/token/redeem", token: init.AuthenticationToken.Token.Reveal()})
			if code := exceptionCode(t, w); code != 21301 {
				t.Errorf("second redeem: code %d", code)
			}
			st = h.status(init)
			if !*st.IsTokenRedeemed || st.RefreshTokenValidUntil == nil {
				t.Errorf("status after redeem %+v", st)
			}
			// Access token works, operation and refresh tokens do not.
			h.ok(req{method: "GET", path: "/auth/sessions", token: tr.AccessToken.Token.Reveal()}, 200, nil)
			h.ok(req{method: "GET", path: "/auth/sessions", token: tr.RefreshToken.Token.Reveal()}, 401, nil)
			h.ok(req{method: "GET", path: "/auth/sessions", token: init.AuthenticationToken.Token.Reveal()}, 401, nil)
			// Refresh.
			h.clk.Advance(20 * time.Minute)
			h.ok(req{method: "GET", path: "/auth/sessions", token: tr.AccessToken.Token.Reveal()}, 401, nil)
			var rr ksef.AuthenticationTokenRefreshResponse
			h.ok(req{method: "POST", path: "/auth/token/refresh", token: tr.RefreshToken.Token.Reveal()}, 200, &rr)
			if !rr.AccessToken.ValidUntil.Equal(h.clk.Now().Add(15 * time.Minute)) {
				t.Errorf("refreshed validUntil %v", rr.AccessToken.ValidUntil)
			}
			h.ok(req{method: "GET", path: "/auth/sessions", token: rr.AccessToken.Token.Reveal()}, 200, nil)
			// After 7 days the refresh token is dead.
			h.clk.Advance(7 * 24 * time.Hour)
			h.ok(req{method: "POST", path: "/auth/token/refresh", token: tr.RefreshToken.Token.Reveal()}, 401, nil)
		})
	}
}

// TestXAdESIdentities checks who may log in to which context.
func TestXAdESIdentities(t *testing.T) {
	h := newHarness(t)
	owner := randomNIP()
	pesel := randomPESEL()
	h.ok(req{method: "POST", path: "/testdata/person", body: ksef.PersonCreateRequest{Nip: owner, Pesel: pesel, Description: "owner person"}}, 200, nil)
	grantedNIP := randomNIP()
	grantedPESEL := randomPESEL()
	fp := fingerprintOnly(t)
	for _, a := range []ksef.TestDataAuthorizedIdentifier{
		{Type: ident.TypeNip, Value: grantedNIP},
		{Type: ident.TypePesel, Value: grantedPESEL},
		{Type: ident.TypeFingerprint, Value: strings.ToLower(fp.Fingerprint())},
	} {
		h.grant(owner, a, readInvoices)
	}
	other := randomNIP()
	tests := []struct {
		name        string
		ctx         ctxID
		subjectType string
		cred        *credentials.Credentials
		want        int
		method      ksef.AuthenticationMethod
	}{
		{"seal of the NIP", nipCtx(owner), "certificateSubject", seal(t, owner), 200, ksef.AuthMethodQualifiedSeal},
		{"person with the NIP", nipCtx(owner), "certificateSubject", personNIP(t, owner), 200, ksef.AuthMethodQualifiedSignature},
		{"linked PESEL", nipCtx(owner), "certificateSubject", personPESEL(t, pesel), 200, ksef.AuthMethodQualifiedSignature},
		{"InternalId of the owner", ctxID{"InternalId", owner + "-00001"}, "certificateSubject", seal(t, owner), 200, ksef.AuthMethodQualifiedSeal},
		{"granted NIP", nipCtx(owner), "certificateSubject", seal(t, grantedNIP), 200, ksef.AuthMethodQualifiedSeal},
		{"granted PESEL", nipCtx(owner), "certificateSubject", personPESEL(t, grantedPESEL), 200, ksef.AuthMethodQualifiedSignature},
		{"granted fingerprint", nipCtx(owner), "certificateFingerprint", fp, 200, ksef.AuthMethodQualifiedSignature},
		{"other NIP", nipCtx(owner), "certificateSubject", seal(t, other), 415, ksef.AuthMethodQualifiedSeal},
		{"unlinked PESEL", nipCtx(owner), "certificateSubject", personPESEL(t, randomPESEL()), 415, ksef.AuthMethodQualifiedSignature},
		{"owner by fingerprint", nipCtx(owner), "certificateFingerprint", seal(t, owner), 415, ksef.AuthMethodQualifiedSeal},
		{"granted NIP in its own context", nipCtx(grantedNIP), "certificateSubject", seal(t, grantedNIP), 200, ksef.AuthMethodQualifiedSeal},
		{"NipVatUe without grant", ctxID{"NipVatUe", owner + "-DE123456789"}, "certificateFingerprint", fp, 415, ksef.AuthMethodQualifiedSignature},
		// A person's certificate that also names an organisation is the person's.
		{"person naming an organisation", nipCtx(owner), "certificateSubject", selfSigned(t,
			pkix.AttributeTypeAndValue{Type: credentials.OIDOrganizationIdentifier, Value: "VATPL-" + other},
			pkix.AttributeTypeAndValue{Type: credentials.OIDGivenName, Value: "Jan"},
			pkix.AttributeTypeAndValue{Type: credentials.OIDSurname, Value: "Kowalski"},
			pkix.AttributeTypeAndValue{Type: credentials.OIDSerialNumber, Value: "PNOPL-" + pesel}), 200, ksef.AuthMethodQualifiedSignature},
		// A seal without a Polish NIP is still a seal.
		{"foreign seal by fingerprint", nipCtx(owner), "certificateFingerprint", selfSigned(t,
			pkix.AttributeTypeAndValue{Type: credentials.OIDOrganizationIdentifier, Value: "VATDE-123456789"}), 415, ksef.AuthMethodQualifiedSeal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			init := h.startXAdES(tt.ctx, tt.subjectType, tt.cred)
			st := h.status(init)
			if int(st.Status.Code) != tt.want || st.AuthenticationMethod != tt.method {
				t.Fatalf("status %+v method %s, want %d %s", st.Status, st.AuthenticationMethod, tt.want, tt.method)
			}
			if tt.want != 200 {
				w := h.do(req{method: "POST", path: "/auth/token/redeem", token: init.AuthenticationToken.Token.Reveal()})
				if code := exceptionCode(t, w); code != 21301 {
					t.Errorf("redeem after %d: code %d", tt.want, code)
				}
			}
		})
	}
	// Revoking the test-data grant takes the permission away.
	h.ok(req{method: "POST", path: "/testdata/permissions/revoke", body: ksef.TestDataPermissionsRevokeRequest{
		ContextIdentifier:    ksef.TestDataContextIdentifier{Type: ident.TypeNip, Value: owner},
		AuthorizedIdentifier: ksef.TestDataAuthorizedIdentifier{Type: ident.TypeNip, Value: grantedNIP},
	}}, 200, nil)
	if st := h.status(h.startXAdES(nipCtx(owner), "certificateSubject", seal(t, grantedNIP))); st.Status.Code != 415 {
		t.Errorf("after revoke: %+v", st.Status)
	}
}

func TestGrantedPermissionsInAccessToken(t *testing.T) {
	h := newHarness(t)
	owner, grantee := randomNIP(), randomNIP()
	h.grant(owner, ksef.TestDataAuthorizedIdentifier{Type: ident.TypeNip, Value: grantee},
		readInvoices, ksef.TestDataPermission{PermissionType: ksef.TestDataPermInvoiceWrite, Description: "send invoices"})
	tr := h.login(nipCtx(owner), "certificateSubject", seal(t, grantee))
	c, err := h.s.parseToken(tr.AccessToken.Token.Reveal(), false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Permissions, []string{"InvoiceRead", "InvoiceWrite"}) || c.ContextValue != owner || c.TokenType != tokenContext {
		t.Errorf("claims %+v", c)
	}
	own := h.login(nipCtx(owner), "certificateSubject", seal(t, owner))
	c, _ = h.s.parseToken(own.AccessToken.Token.Reveal(), false)
	if !slices.Contains(c.Permissions, "CredentialsManage") || slices.Contains(c.Permissions, "EnforcementOperations") {
		t.Errorf("owner permissions %v", c.Permissions)
	}
}

func TestXAdESRejections(t *testing.T) {
	h := newHarness(t)
	nip := randomNIP()
	cred := seal(t, nip)
	fresh := func() string { return h.challenge().Challenge }
	signed := func(doc []byte) []byte { return sign(t, doc, cred, t0.Add(-time.Minute)) }
	tampered := func() []byte {
		d := signed(authXML("", fresh(), nipCtx(nip), "certificateSubject", ""))
		return bytes.Replace(d, []byte("certificateSubject"), []byte("certificateFingerprint"), 1)
	}
	used := fresh()
	h.ok(req{method: "POST", path: "/auth/xades-signature", body: signed(authXML("", used, nipCtx(nip), "certificateSubject", ""))}, 202, nil)
	stale := fresh()
	badNIP := nip[:9] + string('0'+(nip[9]-'0'+1)%10)
	tests := []struct {
		name string
		body func() []byte
		ct   string
		// wantStatus is the HTTP status; wantCode the exception code for 400.
		wantStatus, wantCode int
		before               func()
	}{
		{name: "content type", body: func() []byte { return signed(authXML("", fresh(), nipCtx(nip), "certificateSubject", "")) }, ct: "application/json", wantStatus: 415},
		{name: "BOM", body: func() []byte {
			return append([]byte{0xEF, 0xBB, 0xBF}, signed(authXML("", fresh(), nipCtx(nip), "certificateSubject", ""))...)
		}, wantStatus: 400, wantCode: 21217},
		{name: "not UTF-8", body: func() []byte { return []byte("<a>\xff</a>") }, wantStatus: 400, wantCode: 21217},
		{name: "not XML", body: func() []byte { return []byte("<AuthTokenRequest>") }, wantStatus: 400, wantCode: 21001},
		{name: "wrong namespace", body: func() []byte {
			return signed(authXML("http://ksef.mf.gov.pl/auth/token/1.0", fresh(), nipCtx(nip), "certificateSubject", ""))
		}, wantStatus: 400, wantCode: 21401},
		{name: "bad subject type", body: func() []byte { return signed(authXML("", fresh(), nipCtx(nip), "certificateName", "")) }, wantStatus: 400, wantCode: 21401},
		{name: "NIP pattern", body: func() []byte { return signed(authXML("", fresh(), nipCtx("0123456789"), "certificateSubject", "")) }, wantStatus: 400, wantCode: 21401},
		{name: "unknown element", body: func() []byte {
			return signed(authXML("", fresh(), nipCtx(nip), "certificateSubject", "<Extra>1</Extra>"))
		}, wantStatus: 400, wantCode: 21401},
		{name: "unsigned", body: func() []byte { return authXML("", fresh(), nipCtx(nip), "certificateSubject", "") }, wantStatus: 400, wantCode: 9102},
		{name: "two signatures", body: func() []byte {
			d := signed(authXML("", fresh(), nipCtx(nip), "certificateSubject", ""))
			i := bytes.Index(d, []byte("<ds:Signature"))
			j := bytes.LastIndex(d, []byte("</AuthTokenRequest>"))
			return append(append(append([]byte{}, d[:j]...), d[i:j]...), d[j:]...)
		}, wantStatus: 400, wantCode: 9103},
		{name: "tampered", body: tampered, wantStatus: 400, wantCode: 9105},
		{name: "unknown challenge", body: func() []byte {
			return signed(authXML("", "20260310-CR-0000000000-0000000000-00", nipCtx(nip), "certificateSubject", ""))
		}, wantStatus: 400, wantCode: 21111},
		{name: "used challenge", body: func() []byte { return signed(authXML("", used, nipCtx(nip), "certificateSubject", "")) }, wantStatus: 400, wantCode: 21111},
		{name: "expired challenge", before: func() { h.clk.Advance(10*time.Minute + time.Second) }, body: func() []byte {
			return signed(authXML("", stale, nipCtx(nip), "certificateSubject", ""))
		}, wantStatus: 400, wantCode: 21111},
		{name: "NIP checksum", body: func() []byte { return signed(authXML("", fresh(), nipCtx(badNIP), "certificateSubject", "")) }, wantStatus: 400, wantCode: 21117},
		{name: "no identifier in certificate", body: func() []byte {
			return sign(t, authXML("", fresh(), nipCtx(nip), "certificateSubject", ""), fingerprintOnly(t), t0)
		}, wantStatus: 400, wantCode: 21406},
		{name: "signing time in the future", body: func() []byte {
			return sign(t, authXML("", fresh(), nipCtx(nip), "certificateSubject", ""), cred, h.clk.Now().Add(2*time.Hour))
		}, wantStatus: 400, wantCode: 9105},
		{name: "signing time long before the challenge", body: func() []byte {
			return sign(t, authXML("", fresh(), nipCtx(nip), "certificateSubject", ""), cred, h.clk.Now().Add(-2*time.Hour))
		}, wantStatus: 400, wantCode: 9105},
		{name: "bad verifyCertificateChain", body: func() []byte { return signed(authXML("", fresh(), nipCtx(nip), "certificateSubject", "")) }, ct: "query:maybe", wantStatus: 400, wantCode: 21405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			r := req{method: "POST", path: "/auth/xades-signature", body: tt.body()}
			if strings.HasPrefix(tt.ct, "query:") {
				r.path += "?verifyCertificateChain=" + strings.TrimPrefix(tt.ct, "query:")
			} else if tt.ct != "" {
				r.header = map[string]string{"Content-Type": tt.ct}
			}
			w := h.do(r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.wantStatus, w.Body.String())
			}
			if tt.wantCode != 0 {
				if code := exceptionCode(t, w); code != tt.wantCode {
					t.Errorf("code %d, want %d: %s", code, tt.wantCode, w.Body.String())
				}
			}
		})
	}
}

// TestAuthStatusOutcomes covers 460, 470, 480 and the processing delay.
func TestAuthStatusOutcomes(t *testing.T) {
	t.Run("expired certificate", func(t *testing.T) {
		h := newHarness(t)
		nip := randomNIP()
		c, err := credentials.NewSealNIP(nip, &credentials.CertOptions{KeyType: credentials.ECP256, Now: t0.Add(-48 * time.Hour), Validity: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		st := h.status(h.startXAdES(nipCtx(nip), "certificateSubject", c))
		if st.Status.Code != 460 || st.Status.Details[0] != detailCertInvalid {
			t.Errorf("status %+v", st.Status)
		}
	})
	t.Run("verifyCertificateChain", func(t *testing.T) {
		h := newHarness(t)
		nip := randomNIP()
		ch := h.challenge()
		doc := sign(t, authXML("", ch.Challenge, nipCtx(nip), "certificateSubject", ""), seal(t, nip), t0)
		var init ksef.AuthenticationInitResponse
		h.ok(req{method: "POST", path: "/auth/xades-signature?verifyCertificateChain=true", body: doc}, 202, &init)
		if st := h.status(init); st.Status.Code != 460 || st.Status.Details[0] != detailChainUntrusted {
			t.Errorf("status %+v", st.Status)
		}
	})
	t.Run("verifyCertificateChain with trusted root", func(t *testing.T) {
		nip := randomNIP()
		root, leaf := chainedSeal(t, nip)
		pool := x509.NewCertPool()
		pool.AddCert(root)
		h := newHarness(t, WithTrustedRoots(pool))
		ch := h.challenge()
		doc := sign(t, authXML("", ch.Challenge, nipCtx(nip), "certificateSubject", ""), leaf, t0)
		var init ksef.AuthenticationInitResponse
		h.ok(req{method: "POST", path: "/auth/xades-signature?verifyCertificateChain=true", body: doc}, 202, &init)
		if st := h.status(init); st.Status.Code != 200 {
			t.Errorf("status %+v", st.Status)
		}
	})
	t.Run("blocked context", func(t *testing.T) {
		h := newHarness(t)
		nip := randomNIP()
		block := ksef.BlockContextAuthenticationRequest{ContextIdentifier: &ksef.TestDataAuthenticationContextIdentifier{Type: ident.TypeNip, Value: nip}}
		h.ok(req{method: "POST", path: "/testdata/context/block", body: block}, 200, nil)
		if st := h.status(h.startXAdES(nipCtx(nip), "certificateSubject", seal(t, nip))); st.Status.Code != 480 {
			t.Errorf("blocked: %+v", st.Status)
		}
		h.ok(req{method: "POST", path: "/testdata/context/unblock", body: ksef.UnblockContextAuthenticationRequest(block)}, 200, nil)
		if st := h.status(h.startXAdES(nipCtx(nip), "certificateSubject", seal(t, nip))); st.Status.Code != 200 {
			t.Errorf("unblocked: %+v", st.Status)
		}
		h.ok(req{method: "POST", path: "/testdata/context/block", body: ksef.BlockContextAuthenticationRequest{}}, 400, nil)
	})
	t.Run("deceased person", func(t *testing.T) {
		h := newHarness(t)
		nip, pesel := randomNIP(), randomPESEL()
		h.ok(req{method: "POST", path: "/testdata/person", body: ksef.PersonCreateRequest{Nip: nip, Pesel: pesel, Description: "late person", IsDeceased: true}}, 200, nil)
		init := h.startXAdES(nipCtx(nip), "certificateSubject", personPESEL(t, pesel))
		if st := h.status(init); st.Status.Code != 470 {
			t.Errorf("status %+v", st.Status)
		}
		w := h.do(req{method: "POST", path: "/auth/token/redeem", token: init.AuthenticationToken.Token.Reveal()})
		if code := exceptionCode(t, w); code != 21308 {
			t.Errorf("redeem code %d", code)
		}
	})
	t.Run("processing delay", func(t *testing.T) {
		h := newHarness(t, WithProcessingDelay(3*time.Second))
		nip := randomNIP()
		init := h.startXAdES(nipCtx(nip), "certificateSubject", seal(t, nip))
		if st := h.status(init); st.Status.Code != 100 || st.IsTokenRedeemed != nil {
			t.Errorf("status %+v", st)
		}
		w := h.do(req{method: "POST", path: "/auth/token/redeem", token: init.AuthenticationToken.Token.Reveal()})
		if code := exceptionCode(t, w); code != 21301 {
			t.Errorf("early redeem code %d", code)
		}
		h.clk.Advance(3 * time.Second)
		if st := h.status(init); st.Status.Code != 200 {
			t.Errorf("status %+v", st)
		}
		h.redeem(init)
	})
	t.Run("signing time check off", func(t *testing.T) {
		h := newHarness(t, WithSigningTimeTolerance(-1))
		nip := randomNIP()
		ch := h.challenge()
		doc := sign(t, authXML("", ch.Challenge, nipCtx(nip), "certificateSubject", ""), seal(t, nip), t0.Add(48*time.Hour))
		h.ok(req{method: "POST", path: "/auth/xades-signature", body: doc}, 202, nil)
	})
	t.Run("retention and foreign reference", func(t *testing.T) {
		h := newHarness(t, WithTokenLifetimes(TokenLifetimes{Authentication: 30 * 24 * time.Hour}))
		nip := randomNIP()
		a := h.startXAdES(nipCtx(nip), "certificateSubject", seal(t, nip))
		b := h.startXAdES(nipCtx(nip), "certificateSubject", seal(t, nip))
		h.ok(req{method: "GET", path: "/auth/" + b.ReferenceNumber, token: a.AuthenticationToken.Token.Reveal()}, 403, nil)
		w := h.do(req{method: "GET", path: "/auth/20260310-AU-0000000000-0000000000-00", token: a.AuthenticationToken.Token.Reveal()})
		if code := exceptionCode(t, w); code != 21304 {
			t.Errorf("unknown reference code %d", code)
		}
		if code := exceptionCode(t, h.do(req{method: "GET", path: "/auth/short", token: a.AuthenticationToken.Token.Reveal()})); code != 21405 {
			t.Errorf("short reference code %d", code)
		}
		h.clk.Advance(7*24*time.Hour + time.Second)
		w = h.ok(req{method: "GET", path: "/auth/" + a.ReferenceNumber, token: a.AuthenticationToken.Token.Reveal()}, 410, nil)
		if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("410 content type %q", ct)
		}
	})
}

// selfSigned returns credentials for a self-signed certificate whose subject
// carries names.
func selfSigned(t *testing.T, names ...pkix.AttributeTypeAndValue) *credentials.Credentials {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(3), NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(24 * time.Hour),
		Subject: pkix.Name{CommonName: "Test", ExtraNames: names}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &credentials.Credentials{Certificate: cert, Signer: key}
}

// chainedSeal returns a root CA and a seal certificate for nip issued by it.
func chainedSeal(t *testing.T, nip string) (*x509.Certificate, *credentials.Credentials) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject: pkix.Name{CommonName: "Firma", ExtraNames: []pkix.AttributeTypeAndValue{
			{Type: credentials.OIDOrganizationIdentifier, Value: "VATPL-" + nip},
		}},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return ca, &credentials.Credentials{Certificate: leaf, Signer: key}
}

func TestIPPolicy(t *testing.T) {
	h := newHarness(t)
	nip := randomNIP()
	ch := h.challenge()
	policy := "<AuthorizationPolicy><AllowedIps><Ip4Address>10.0.0.1</Ip4Address><Ip4Mask>172.16.0.0/16</Ip4Mask></AllowedIps></AuthorizationPolicy>"
	doc := sign(t, authXML("", ch.Challenge, nipCtx(nip), "certificateSubject", policy), seal(t, nip), t0)
	var init ksef.AuthenticationInitResponse
	h.ok(req{method: "POST", path: "/auth/xades-signature", body: doc}, 202, &init)
	tr := h.redeem(init)
	w := h.ok(req{method: "GET", path: "/auth/sessions", token: tr.AccessToken.Token.Reveal()}, 403, nil)
	var fp ksef.ForbiddenProblemDetails
	if err := json.Unmarshal(w.Body.Bytes(), &fp); err != nil || fp.ReasonCode != ksef.ReasonIPNotAllowed || fp.Security["clientIp"] != "192.0.2.1" {
		t.Errorf("403 body %s", w.Body.String())
	}
	for _, ip := range []string{"10.0.0.1:5000", "172.16.9.9:5000"} {
		h.ok(req{method: "GET", path: "/auth/sessions", token: tr.AccessToken.Token.Reveal(), remote: ip}, 200, nil)
	}
}

func TestParseIPPolicy(t *testing.T) {
	p, err := parseIPPolicy(&ksef.AllowedIps{Ip4Addresses: []string{"10.0.0.1"}, Ip4Ranges: []string{"192.0.2.10-192.0.2.20"}, Ip4Masks: []string{"172.16.5.5/16"}})
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]bool{"10.0.0.1": true, "10.0.0.2": false, "192.0.2.10": true, "192.0.2.20": true, "192.0.2.21": false,
		"172.16.255.1": true, "172.17.0.1": false, "::ffff:10.0.0.1": true, "nonsense": false} {
		if p.allows(ip) != want {
			t.Errorf("allows(%s) = %v", ip, !want)
		}
	}
	if p, err := parseIPPolicy(&ksef.AllowedIps{}); p != nil || err != nil {
		t.Errorf("empty policy: %v %v", p, err)
	}
	for _, a := range []ksef.AllowedIps{
		{Ip4Addresses: []string{"256.0.0.1"}}, {Ip4Addresses: []string{"010.0.0.1"}}, {Ip4Addresses: []string{"10.0.0"}},
		{Ip4Ranges: []string{"10.0.0.1"}}, {Ip4Ranges: []string{"10.0.0.1-10.0.0.256"}},
		{Ip4Masks: []string{"10.0.0.0/33"}}, {Ip4Masks: []string{"10.0.0.0/08"}}, {Ip4Masks: []string{"10.0.0.0"}},
		{Ip4Addresses: slices.Repeat([]string{"10.0.0.1"}, 11)},
	} {
		if _, err := parseIPPolicy(&a); err == nil {
			t.Errorf("accepted %+v", a)
		}
	}
}

func TestKSeFTokenLogin(t *testing.T) {
	h := newHarness(t, WithProcessingDelay(time.Second))
	nip := randomNIP()
	// XAdES login with a processing delay.
	init := h.startXAdES(nipCtx(nip), "certificateSubject", seal(t, nip))
	h.clk.Advance(time.Second)
	owner := h.redeem(init)
	access := owner.AccessToken.Token.Reveal()
	g := h.newToken(access, ksef.TokenPermInvoiceWrite, ksef.TokenPermInvoiceRead)
	if !isRef(g.ReferenceNumber) || !strings.HasPrefix(g.Token.Reveal(), g.ReferenceNumber+"|nip-"+nip+"|") || len(g.Token) > 160 {
		t.Fatalf("generated %s %q", g.ReferenceNumber, g.Token.Reveal())
	}
	var ts ksef.TokenStatusResponse
	h.ok(req{method: "GET", path: "/tokens/" + g.ReferenceNumber, token: access}, 200, &ts)
	if ts.Status != ksef.TokenPending || ts.AuthorIdentifier.Value != nip || ts.ContextIdentifier.Value != nip ||
		!slices.Equal(ts.RequestedPermissions, []ksef.TokenPermissionType{"InvoiceRead", "InvoiceWrite"}) {
		t.Errorf("token status %+v", ts)
	}
	// Pending tokens do not log in.
	w := h.tokenAuth(nipCtx(nip), g.Token.Reveal(), nil)
	var ti ksef.AuthenticationInitResponse
	_ = json.Unmarshal(w.Body.Bytes(), &ti)
	h.clk.Advance(time.Second)
	if st := h.status(ti); st.Status.Code != 450 || st.Status.Details[0] != detailTokenInactive {
		t.Errorf("pending token: %+v", st.Status)
	}
	h.ok(req{method: "GET", path: "/tokens/" + g.ReferenceNumber, token: access}, 200, &ts)
	if ts.Status != ksef.TokenActive || ts.LastUseDate != nil {
		t.Errorf("token status %+v", ts)
	}

	w = h.tokenAuth(nipCtx(nip), g.Token.Reveal(), nil)
	if w.Code != 202 {
		t.Fatalf("ksef-token: %d %s", w.Code, w.Body.String())
	}
	_ = json.Unmarshal(w.Body.Bytes(), &ti)
	if st := h.status(ti); st.Status.Code != 100 {
		t.Errorf("in progress: %+v", st.Status)
	}
	h.clk.Advance(time.Second)
	st := h.status(ti)
	if st.Status.Code != 200 || st.AuthenticationMethod != ksef.AuthMethodToken || st.AuthenticationMethodInfo.Category != ksef.AuthCategoryToken {
		t.Fatalf("token auth: %+v", st)
	}
	tr := h.redeem(ti)
	c, _ := h.s.parseToken(tr.AccessToken.Token.Reveal(), false)
	if !slices.Equal(c.Permissions, []string{"InvoiceRead", "InvoiceWrite"}) {
		t.Errorf("token session permissions %v", c.Permissions)
	}
	h.ok(req{method: "GET", path: "/tokens/" + g.ReferenceNumber, token: access}, 200, &ts)
	if ts.LastUseDate == nil {
		t.Error("lastUseDate not set")
	}
	// The token session cannot create a token with more permissions.
	w = h.do(req{method: "POST", path: "/tokens", token: tr.AccessToken.Token.Reveal(),
		body: ksef.GenerateTokenRequest{Permissions: []ksef.TokenPermissionType{ksef.TokenPermCredentialsManage}, Description: "more power"}})
	if code := exceptionCode(t, w); code != 26001 {
		t.Errorf("code %d", code)
	}

	otherNIP := randomNIP()
	tests := []struct {
		name   string
		ctx    ctxID
		token  string
		mutate func(*ksef.InitTokenAuthenticationRequest, ksef.AuthenticationChallengeResponse)
		// wantCode is an exception code (HTTP 400); wantStatus/wantDetail the
		// auth status otherwise.
		wantCode   int
		wantStatus int
		wantDetail string
	}{
		{name: "wrong timestamp", ctx: nipCtx(nip), token: g.Token.Reveal(), mutate: func(r *ksef.InitTokenAuthenticationRequest, ch ksef.AuthenticationChallengeResponse) {
			priv, _ := h.s.MFPrivateKey(ksef.KsefTokenEncryption)
			r.EncryptedToken = mustEncrypt(t, &priv.PublicKey, g.Token.Reveal(), ch.TimestampMs-1000)
		}, wantStatus: 450, wantDetail: detailTokenTime},
		{name: "garbage", ctx: nipCtx(nip), token: g.Token.Reveal(), mutate: func(r *ksef.InitTokenAuthenticationRequest, _ ksef.AuthenticationChallengeResponse) {
			r.EncryptedToken = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 256))
		}, wantStatus: 450, wantDetail: detailTokenEncryption},
		{name: "not base64", ctx: nipCtx(nip), token: g.Token.Reveal(), mutate: func(r *ksef.InitTokenAuthenticationRequest, _ ksef.AuthenticationChallengeResponse) {
			r.EncryptedToken = "!!!"
		}, wantStatus: 450, wantDetail: detailTokenEncoding},
		{name: "no timestamp", ctx: nipCtx(nip), token: g.Token.Reveal(), mutate: func(r *ksef.InitTokenAuthenticationRequest, _ ksef.AuthenticationChallengeResponse) {
			priv, _ := h.s.MFPrivateKey(ksef.KsefTokenEncryption)
			ct, _ := rsaOAEP(&priv.PublicKey, []byte(g.Token.Reveal()))
			r.EncryptedToken = base64.StdEncoding.EncodeToString(ct)
		}, wantStatus: 450, wantDetail: detailTokenEncoding},
		{name: "unknown token", ctx: nipCtx(nip), token: "20260310-EC-0000000000-0000000000-00|nip-" + nip + "|00", wantStatus: 450, wantDetail: detailBadToken},
		{name: "other context", ctx: nipCtx(otherNIP), token: g.Token.Reveal(), wantStatus: 450, wantDetail: "Token nie może być użyty w kontekście " + otherNIP},
		{name: "unknown key", ctx: nipCtx(nip), token: g.Token.Reveal(), mutate: func(r *ksef.InitTokenAuthenticationRequest, _ ksef.AuthenticationChallengeResponse) {
			r.PublicKeyID = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
		}, wantCode: 21470},
		{name: "unknown challenge", ctx: nipCtx(nip), token: g.Token.Reveal(), mutate: func(r *ksef.InitTokenAuthenticationRequest, _ ksef.AuthenticationChallengeResponse) {
			r.Challenge = "20260310-CR-0000000000-0000000000-00"
		}, wantCode: 21111},
		{name: "bad context", ctx: nipCtx("123"), token: g.Token.Reveal(), wantCode: 21405},
		{name: "no key id uses the current key", ctx: nipCtx(nip), token: g.Token.Reveal(), mutate: func(r *ksef.InitTokenAuthenticationRequest, _ ksef.AuthenticationChallengeResponse) {
			r.PublicKeyID = ""
		}, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := h.tokenAuth(tt.ctx, tt.token, tt.mutate)
			if tt.wantCode != 0 {
				if code := exceptionCode(t, w); code != tt.wantCode {
					t.Errorf("code %d, want %d", code, tt.wantCode)
				}
				return
			}
			if w.Code != 202 {
				t.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
			var init ksef.AuthenticationInitResponse
			_ = json.Unmarshal(w.Body.Bytes(), &init)
			h.clk.Advance(time.Second)
			st := h.status(init)
			if int(st.Status.Code) != tt.wantStatus || (tt.wantDetail != "" && st.Status.Details[0] != tt.wantDetail) {
				t.Errorf("status %+v, want %d %q", st.Status, tt.wantStatus, tt.wantDetail)
			}
		})
	}

	// Key rotation: the old key id is refused with 21470, the new one works.
	_, oldID := h.s.MFPrivateKey(ksef.KsefTokenEncryption)
	h.s.RotateKeys()
	w = h.tokenAuth(nipCtx(nip), g.Token.Reveal(), func(r *ksef.InitTokenAuthenticationRequest, _ ksef.AuthenticationChallengeResponse) {
		r.PublicKeyID = oldID
	})
	if code := exceptionCode(t, w); code != 21470 {
		t.Errorf("old key: code %d", code)
	}
	if w = h.tokenAuth(nipCtx(nip), g.Token.Reveal(), nil); w.Code != 202 {
		t.Errorf("new key: %d %s", w.Code, w.Body.String())
	}

	// Revoked tokens: status 450, and sessions built on them cannot refresh.
	h.s.mu.Lock()
	h.s.st.tokens[g.ReferenceNumber].final = ksef.TokenRevoked
	h.s.mu.Unlock()
	h.ok(req{method: "POST", path: "/auth/token/refresh", token: tr.RefreshToken.Token.Reveal()}, 400, nil)
	w = h.tokenAuth(nipCtx(nip), g.Token.Reveal(), nil)
	_ = json.Unmarshal(w.Body.Bytes(), &ti)
	h.clk.Advance(time.Second)
	if st := h.status(ti); st.Status.Code != 450 || st.Status.Details[0] != detailTokenRevoked {
		t.Errorf("revoked token: %+v", st.Status)
	}
}

func TestGenerateTokenRules(t *testing.T) {
	h := newHarness(t)
	owner, reader := randomNIP(), randomNIP()
	h.grant(owner, ksef.TestDataAuthorizedIdentifier{Type: ident.TypeNip, Value: reader}, readInvoices)
	access := h.login(nipCtx(owner), "certificateSubject", seal(t, reader)).AccessToken.Token.Reveal()
	fp := fingerprintOnly(t)
	vatue := ctxID{"NipVatUe", owner + "-DE123456789"}
	h.s.mu.Lock()
	h.s.st.grant(vatue, subjectID{subjFingerprint, fp.Fingerprint()}, "InvoiceRead")
	h.s.mu.Unlock()
	euAccess := h.login(vatue, "certificateFingerprint", fp).AccessToken.Token.Reveal()
	tests := []struct {
		name   string
		token  string
		body   any
		status int
		code   int
	}{
		{"allowed", access, ksef.GenerateTokenRequest{Permissions: []ksef.TokenPermissionType{"InvoiceRead"}, Description: "reader token"}, 202, 0},
		{"missing permission", access, ksef.GenerateTokenRequest{Permissions: []ksef.TokenPermissionType{"InvoiceRead", "InvoiceWrite"}, Description: "writer token"}, 400, 26001},
		{"NipVatUe context", euAccess, ksef.GenerateTokenRequest{Permissions: []ksef.TokenPermissionType{"InvoiceRead"}, Description: "eu token"}, 400, 26002},
		{"short description", access, ksef.GenerateTokenRequest{Permissions: []ksef.TokenPermissionType{"InvoiceRead"}, Description: "abc"}, 400, 21405},
		{"unknown permission", access, ksef.GenerateTokenRequest{Permissions: []ksef.TokenPermissionType{"Everything"}, Description: "bad token"}, 400, 21405},
		{"no permissions", access, ksef.GenerateTokenRequest{Description: "empty token"}, 400, 21405},
		{"bad JSON", access, `{"permissions":`, 400, 21405},
		{"no token", "", ksef.GenerateTokenRequest{Permissions: []ksef.TokenPermissionType{"InvoiceRead"}, Description: "reader token"}, 401, 0},
		{"garbage token", "abc.def.ghi", ksef.GenerateTokenRequest{Permissions: []ksef.TokenPermissionType{"InvoiceRead"}, Description: "reader token"}, 401, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := h.do(req{method: "POST", path: "/tokens", token: tt.token, body: tt.body})
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body.String())
			}
			if tt.code != 0 {
				if code := exceptionCode(t, w); code != tt.code {
					t.Errorf("code %d, want %d", code, tt.code)
				}
			}
		})
	}
	// Token status is visible only in its own context.
	g := h.newToken(access, "InvoiceRead")
	h.ok(req{method: "GET", path: "/tokens/" + g.ReferenceNumber, token: euAccess}, 400, nil)
}

// TestContextChecks covers the split between the schema pattern (checked
// with the XML, error 21401) and the NIP check digit (21117).
func TestContextChecks(t *testing.T) {
	nip := randomNIP()
	badNIP := nip[:9] + string('0'+(nip[9]-'0'+1)%10)
	for _, tt := range []struct {
		c                  ctxID
		patternOK, wholeOK bool
	}{
		{nipCtx(nip), true, true},
		{nipCtx(badNIP), true, false},
		{nipCtx("1234567890"), true, false}, // weighted sum ≡ 10 (mod 11): no check digit fits
		{nipCtx("0123456789"), false, false},
		{nipCtx(nip + "0"), false, false},
		{ctxID{"InternalId", nip + "-00001"}, true, true},
		{ctxID{"InternalId", badNIP + "-00001"}, true, false},
		{ctxID{"InternalId", nip + "-0001"}, false, false},
		{ctxID{"NipVatUe", nip + "-DE123456789"}, true, true},
		{ctxID{"NipVatUe", badNIP + "-DE123456789"}, true, false},
		{ctxID{"NipVatUe", badNIP + "-DE1234"}, false, false},
		{ctxID{"NipVatUe", nip + "-XX123456789"}, false, false},
		{ctxID{"PeppolId", "PPL123456"}, true, true},
		{ctxID{"PeppolId", "PPL12345"}, false, false},
		{ctxID{"Pesel", randomPESEL()}, false, false},
	} {
		if err := checkContextPattern(tt.c); (err == nil) != tt.patternOK {
			t.Errorf("checkContextPattern(%v) = %v, want ok=%v", tt.c, err, tt.patternOK)
		}
		if err := checkContext(tt.c); (err == nil) != tt.wholeOK {
			t.Errorf("checkContext(%v) = %v, want ok=%v", tt.c, err, tt.wholeOK)
		}
	}
}

func TestUnusedHTTPMethod(t *testing.T) {
	h := newHarness(t)
	if w := h.do(req{method: "PUT", path: "/auth/challenge"}); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("PUT /auth/challenge: %d", w.Code)
	}
	if w := h.do(req{method: "GET", path: "/nothing/here"}); w.Code != http.StatusNotFound {
		t.Errorf("unknown path: %d", w.Code)
	}
}
