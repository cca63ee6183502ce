package ksefsim

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/envelope"
	"github.com/ksef2/ksef/xades"
)

// start of every fake clock in these tests.
var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

// harness is a simulator on a manual clock, called in-process.
type harness struct {
	t   testing.TB
	s   *Simulator
	clk *ManualClock
}

func newHarness(t testing.TB, opts ...Option) *harness {
	t.Helper()
	clk := NewManualClock(t0)
	opts = append([]Option{WithClock(clk.Now), WithoutRateLimits()}, opts...)
	return &harness{t: t, s: New(opts...), clk: clk}
}

// testServer is a simulator on a loopback httptest server. Package
// ksefsimtest offers the same to other packages; these internal tests cannot
// import it (it imports ksefsim).
type testServer struct {
	*Simulator
	URL  string // API base URL, ending in "/v2"
	http *httptest.Server
}

// newServer starts a simulator configured with opts on an httptest server
// and closes it when the test ends.
func newServer(t testing.TB, opts ...Option) *testServer {
	t.Helper()
	sim := New(opts...)
	hs := httptest.NewServer(sim)
	t.Cleanup(hs.Close)
	return &testServer{Simulator: sim, URL: hs.URL + BasePath, http: hs}
}

// Client returns an HTTP client for the server.
func (s *testServer) Client() *http.Client { return s.http.Client() }

// req describes a request to the simulator.
type req struct {
	method, path string
	body         any // []byte, string or a value marshalled to JSON
	token        string
	header       map[string]string
	remote       string
}

func (h *harness) do(r req) *httptest.ResponseRecorder {
	h.t.Helper()
	var body io.Reader
	ct := ""
	switch b := r.body.(type) {
	case nil:
	case []byte:
		body, ct = bytes.NewReader(b), "application/xml"
	case string:
		body, ct = strings.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		body, ct = bytes.NewReader(j), "application/json"
	}
	hr := httptest.NewRequest(r.method, BasePath+r.path, body)
	if ct != "" {
		hr.Header.Set("Content-Type", ct)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if r.remote != "" {
		hr.RemoteAddr = r.remote
	}
	w := httptest.NewRecorder()
	h.s.ServeHTTP(w, hr)
	return w
}

// ok requests and fails the test unless the status is want; it decodes the
// JSON body into out when out is non-nil.
func (h *harness) ok(r req, want int, out any) *httptest.ResponseRecorder {
	h.t.Helper()
	w := h.do(r)
	if w.Code != want {
		h.t.Fatalf("%s %s: status %d, want %d; body %s", r.method, r.path, w.Code, want, w.Body.String())
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			h.t.Fatalf("%s %s: decode %s: %v", r.method, r.path, w.Body.String(), err)
		}
	}
	return w
}

// exceptionCode returns the single exception code of a legacy 400 body.
func exceptionCode(t testing.TB, w *httptest.ResponseRecorder) int {
	t.Helper()
	if w.Code != http.StatusBadRequest {
		t.Fatalf("status %d, want 400; body %s", w.Code, w.Body.String())
	}
	var e ksef.ExceptionResponse
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Exception == nil || len(e.Exception.ExceptionDetailList) != 1 {
		t.Fatalf("not a legacy exception body: %s (%v)", w.Body.String(), err)
	}
	return int(e.Exception.ExceptionDetailList[0].ExceptionCode)
}

// readInvoices is the test-data permission to read invoices.
var readInvoices = ksef.TestDataPermission{PermissionType: ksef.TestDataPermInvoiceRead, Description: "read invoices"}

// grant grants perms in the NIP context owner to a through the test-data
// API.
func (h *harness) grant(owner string, a ksef.TestDataAuthorizedIdentifier, perms ...ksef.TestDataPermission) {
	h.t.Helper()
	h.ok(req{method: "POST", path: "/testdata/permissions", body: ksef.TestDataPermissionsGrantRequest{
		ContextIdentifier:    ksef.TestDataContextIdentifier{Type: ident.TypeNip, Value: owner},
		AuthorizedIdentifier: a,
		Permissions:          perms,
	}}, 200, nil)
}

func (h *harness) challenge() ksef.AuthenticationChallengeResponse {
	h.t.Helper()
	var c ksef.AuthenticationChallengeResponse
	h.ok(req{method: "POST", path: "/auth/challenge"}, 200, &c)
	return c
}

// authXML builds an unsigned AuthTokenRequest (namespace 2.1 unless ns).
func authXML(ns, challenge string, c ctxID, subjectType string, extra string) []byte {
	if ns == "" {
		ns = authNS21
	}
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="utf-8"?>
<AuthTokenRequest xmlns="%s">
  <Challenge>%s</Challenge>
  <ContextIdentifier><%s>%s</%s></ContextIdentifier>
  <SubjectIdentifierType>%s</SubjectIdentifierType>%s
</AuthTokenRequest>`, ns, challenge, c.Type, c.Value, c.Type, subjectType, extra)
}

func sign(t testing.TB, doc []byte, c *credentials.Credentials, signingTime time.Time) []byte {
	t.Helper()
	out, err := xades.Sign(doc, c.Certificate, c.Signer, &xades.SignOptions{SigningTime: signingTime})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// seal returns an ECDSA seal certificate for nip valid around t0.
func seal(t testing.TB, nip string) *credentials.Credentials {
	t.Helper()
	c, err := credentials.NewSealNIP(nip, &credentials.CertOptions{KeyType: credentials.ECP256, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func personPESEL(t testing.TB, pesel string) *credentials.Credentials {
	t.Helper()
	c, err := credentials.NewPersonPESEL(pesel, &credentials.CertOptions{KeyType: credentials.ECP256, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func personNIP(t testing.TB, nip string) *credentials.Credentials {
	t.Helper()
	c, err := credentials.NewPersonNIP(nip, &credentials.CertOptions{KeyType: credentials.ECP256, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fingerprintOnly(t testing.TB) *credentials.Credentials {
	t.Helper()
	c, err := credentials.NewFingerprintOnly(&credentials.CertOptions{KeyType: credentials.ECP256, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// submitXAdES signs an AuthTokenRequest for a fresh challenge and posts it.
func (h *harness) submitXAdES(c ctxID, subjectType string, cred *credentials.Credentials) *httptest.ResponseRecorder {
	h.t.Helper()
	ch := h.challenge()
	doc := sign(h.t, authXML("", ch.Challenge, c, subjectType, ""), cred, h.clk.Now().Add(-time.Minute))
	return h.do(req{method: "POST", path: "/auth/xades-signature", body: doc})
}

// startXAdES authenticates and returns the init response (HTTP 202 required).
func (h *harness) startXAdES(c ctxID, subjectType string, cred *credentials.Credentials) ksef.AuthenticationInitResponse {
	h.t.Helper()
	w := h.submitXAdES(c, subjectType, cred)
	if w.Code != http.StatusAccepted {
		h.t.Fatalf("xades-signature: status %d: %s", w.Code, w.Body.String())
	}
	var init ksef.AuthenticationInitResponse
	if err := json.Unmarshal(w.Body.Bytes(), &init); err != nil {
		h.t.Fatal(err)
	}
	return init
}

func (h *harness) status(init ksef.AuthenticationInitResponse) ksef.AuthenticationOperationStatusResponse {
	h.t.Helper()
	var st ksef.AuthenticationOperationStatusResponse
	h.ok(req{method: "GET", path: "/auth/" + init.ReferenceNumber, token: init.AuthenticationToken.Token.Reveal()}, 200, &st)
	return st
}

func (h *harness) redeem(init ksef.AuthenticationInitResponse) ksef.AuthenticationTokensResponse {
	h.t.Helper()
	var tr ksef.AuthenticationTokensResponse
	h.ok(req{method: "POST", path: "/auth/token/redeem", token: init.AuthenticationToken.Token.Reveal()}, 200, &tr)
	return tr
}

// login authenticates with XAdES and redeems; it returns the tokens.
func (h *harness) login(c ctxID, subjectType string, cred *credentials.Credentials) ksef.AuthenticationTokensResponse {
	h.t.Helper()
	init := h.startXAdES(c, subjectType, cred)
	if st := h.status(init); st.Status.Code != 200 {
		h.t.Fatalf("auth status %+v", st.Status)
	}
	return h.redeem(init)
}

// newToken generates a KSeF token in the caller's context.
func (h *harness) newToken(access string, perms ...ksef.TokenPermissionType) ksef.GenerateTokenResponse {
	h.t.Helper()
	var g ksef.GenerateTokenResponse
	h.ok(req{method: "POST", path: "/tokens", token: access, body: ksef.GenerateTokenRequest{Permissions: perms, Description: "test token"}}, 202, &g)
	return g
}

// tokenAuth starts a KSeF-token authentication; mutate may change the
// request before it is sent.
func (h *harness) tokenAuth(c ctxID, token string, mutate func(*ksef.InitTokenAuthenticationRequest, ksef.AuthenticationChallengeResponse)) *httptest.ResponseRecorder {
	h.t.Helper()
	ch := h.challenge()
	priv, keyID := h.s.MFPrivateKey(ksef.KsefTokenEncryption)
	enc, err := envelope.EncryptToken(&priv.PublicKey, token, ch.TimestampMs)
	if err != nil {
		h.t.Fatal(err)
	}
	r := ksef.InitTokenAuthenticationRequest{
		Challenge:         ch.Challenge,
		ContextIdentifier: ksef.AuthenticationContextIdentifier{Type: ksef.AuthenticationContextIdentifierType(c.Type), Value: c.Value},
		EncryptedToken:    enc,
		PublicKeyID:       keyID,
	}
	if mutate != nil {
		mutate(&r, ch)
	}
	return h.do(req{method: "POST", path: "/auth/ksef-token", body: r})
}

func nipCtx(nip string) ctxID { return ctxID{"Nip", nip} }

func randomNIP() string   { return string(ident.RandomNIP(nil)) }
func randomPESEL() string { return string(ident.RandomPESEL(nil)) }

func mustEncrypt(t testing.TB, pub *rsa.PublicKey, token string, ms int64) string {
	t.Helper()
	s, err := envelope.EncryptToken(pub, token, ms)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rsaOAEP(pub *rsa.PublicKey, b []byte) ([]byte, error) {
	return envelope.WrapKey(pub, b)
}

func credentialsOf(id *TestIdentity) *credentials.Credentials {
	return &credentials.Credentials{Certificate: id.Certificate, Signer: id.Key}
}
