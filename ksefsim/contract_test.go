package ksefsim

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/contract"
)

// TestContract runs every operation, with successful and failing outcomes
// in both error formats, through the OpenAPI contract validator: every
// request and response must conform to the official spec.
func TestContract(t *testing.T) {
	contract.Default(t) // skip (or fail under CI) without the spec
	h := newHarness(t,
		WithMiddleware(func(next http.Handler) http.Handler { return contract.Middleware(t, next) }),
		WithTokenLifetimes(TokenLifetimes{Authentication: 8 * 24 * time.Hour}))
	problem := map[string]string{"X-Error-Format": "problem-details"}
	// Requests that break the spec on purpose: only the response is checked.
	badRequest := map[string]string{contract.SkipHeader: contract.SkipRequest.String()}
	nip, pesel := randomNIP(), randomPESEL()

	// Test data.
	h.ok(req{method: "POST", path: "/testdata/subject", body: ksef.SubjectCreateRequest{SubjectNip: nip, SubjectType: ksef.SubjectVatGroup, Description: "VAT group",
		Subunits: []ksef.Subunit{{SubjectNip: randomNIP(), Description: "member one"}}}}, 200, nil)
	h.ok(req{method: "POST", path: "/testdata/subject", body: ksef.SubjectCreateRequest{SubjectNip: nip, SubjectType: ksef.SubjectVatGroup, Description: "VAT group"}}, 400, nil)
	h.ok(req{method: "POST", path: "/testdata/subject", header: problem, body: ksef.SubjectCreateRequest{SubjectNip: nip, SubjectType: ksef.SubjectVatGroup, Description: "VAT group"}}, 400, nil)
	h.ok(req{method: "POST", path: "/testdata/person", body: ksef.PersonCreateRequest{Nip: nip, Pesel: pesel, Description: "owner person"}}, 200, nil)
	grantee := randomNIP()
	grant := ksef.TestDataPermissionsGrantRequest{
		ContextIdentifier:    ksef.TestDataContextIdentifier{Type: ident.TypeNip, Value: nip},
		AuthorizedIdentifier: ksef.TestDataAuthorizedIdentifier{Type: ident.TypeNip, Value: grantee},
		Permissions:          []ksef.TestDataPermission{{PermissionType: ksef.TestDataPermInvoiceRead, Description: "read invoices"}},
	}
	h.ok(req{method: "POST", path: "/testdata/permissions", body: grant}, 200, nil)
	blocked := randomNIP()
	block := &ksef.TestDataAuthenticationContextIdentifier{Type: ident.TypeNip, Value: blocked}
	h.ok(req{method: "POST", path: "/testdata/context/block", body: ksef.BlockContextAuthenticationRequest{ContextIdentifier: block}}, 200, nil)

	// Public keys.
	h.ok(req{method: "GET", path: "/security/public-key-certificates"}, 200, nil)

	// XAdES: success, 415 and 480 outcomes, a rejected signature.
	init := h.startXAdES(nipCtx(nip), "certificateSubject", personPESEL(t, pesel))
	st := h.status(init)
	if st.Status.Code != 200 {
		t.Fatalf("status %+v", st.Status)
	}
	for _, c := range []struct {
		ctx  ctxID
		nip  string
		want int
	}{{nipCtx(nip), randomNIP(), 415}, {nipCtx(blocked), blocked, 480}} {
		i := h.startXAdES(c.ctx, "certificateSubject", seal(t, c.nip))
		if st := h.status(i); int(st.Status.Code) != c.want {
			t.Errorf("status %+v, want %d", st.Status, c.want)
		}
		h.ok(req{method: "POST", path: "/auth/token/redeem", token: i.AuthenticationToken.Token.Reveal()}, 400, nil)
	}
	ch := h.challenge()
	h.ok(req{method: "POST", path: "/auth/xades-signature", body: authXML("", ch.Challenge, nipCtx(nip), "certificateSubject", "")}, 400, nil)
	h.ok(req{method: "POST", path: "/auth/xades-signature", header: problem, body: authXML("", ch.Challenge, nipCtx(nip), "certificateSubject", "")}, 400, nil)

	tr := h.redeem(init)
	access := tr.AccessToken.Token.Reveal()
	h.ok(req{method: "POST", path: "/auth/token/redeem", token: init.AuthenticationToken.Token.Reveal()}, 400, nil)
	h.status(init)
	var rr ksef.AuthenticationTokenRefreshResponse
	h.ok(req{method: "POST", path: "/auth/token/refresh", token: tr.RefreshToken.Token.Reveal()}, 200, &rr)
	h.status(init) // with lastTokenRefreshDate

	// KSeF token: generate, status, log in.
	g := h.newToken(access, ksef.TokenPermInvoiceRead)
	h.ok(req{method: "GET", path: "/tokens/" + g.ReferenceNumber, token: access}, 200, nil)
	h.ok(req{method: "POST", path: "/tokens", token: access, header: badRequest,
		body: ksef.GenerateTokenRequest{Permissions: []ksef.TokenPermissionType{"InvoiceRead"}, Description: "abc"}}, 400, nil)
	w := h.tokenAuth(nipCtx(nip), g.Token.Reveal(), nil)
	var ti ksef.AuthenticationInitResponse
	if w.Code != 202 || json.Unmarshal(w.Body.Bytes(), &ti) != nil {
		t.Fatalf("ksef-token: %d", w.Code)
	}
	if st := h.status(ti); st.Status.Code != 200 {
		t.Errorf("token auth %+v", st.Status)
	}
	h.redeem(ti)
	w = h.tokenAuth(nipCtx(nip), g.Token.Reveal(), func(r *ksef.InitTokenAuthenticationRequest, _ ksef.AuthenticationChallengeResponse) {
		r.PublicKeyID = "QIoAK/Yc3s27Z4t3SZY4Mhp8JNLH7Vl4N3lNlJAEig8="
	})
	if w.Code != 400 {
		t.Errorf("unknown key: %d", w.Code)
	}

	// Auth sessions.
	for range 11 {
		h.login(nipCtx(nip), "certificateSubject", personPESEL(t, pesel))
	}
	var page ksef.AuthenticationListResponse
	h.ok(req{method: "GET", path: "/auth/sessions", token: access}, 200, &page)
	h.ok(req{method: "GET", path: "/auth/sessions?pageSize=10", token: access, header: map[string]string{"x-continuation-token": page.ContinuationToken}}, 200, nil)
	h.ok(req{method: "GET", path: "/auth/sessions", token: access, header: map[string]string{"x-continuation-token": "!"}}, 400, nil)
	h.ok(req{method: "DELETE", path: "/auth/sessions/" + page.Items[3].ReferenceNumber, token: access}, 204, nil)
	h.ok(req{method: "DELETE", path: "/auth/sessions/current", token: tr.RefreshToken.Token.Reveal()}, 204, nil)
	h.ok(req{method: "POST", path: "/auth/token/refresh", token: tr.RefreshToken.Token.Reveal()}, 400, nil)

	// 401, 403, 429 (both formats), 410.
	h.ok(req{method: "GET", path: "/auth/sessions", header: badRequest}, 401, nil)
	h.ok(req{method: "GET", path: "/auth/sessions", token: "x.y.z"}, 401, nil)
	ch = h.challenge()
	policy := "<AuthorizationPolicy><AllowedIps><Ip4Address>10.0.0.1</Ip4Address></AllowedIps></AuthorizationPolicy>"
	doc := sign(t, authXML("", ch.Challenge, nipCtx(nip), "certificateSubject", policy), seal(t, nip), t0)
	var pi ksef.AuthenticationInitResponse
	h.ok(req{method: "POST", path: "/auth/xades-signature", body: doc}, 202, &pi)
	ptr := h.redeem(pi)
	h.ok(req{method: "GET", path: "/tokens/" + g.ReferenceNumber, token: ptr.AccessToken.Token.Reveal()}, 403, nil)
	h.s.Faults().Fail("GET /security/public-key-certificates", 2, Fault{Status: 429, RetryAfter: 2 * time.Second})
	h.ok(req{method: "GET", path: "/security/public-key-certificates"}, 429, nil)
	h.ok(req{method: "GET", path: "/security/public-key-certificates", header: problem}, 429, nil)
	h.clk.Advance(7*24*time.Hour + time.Minute)
	h.ok(req{method: "GET", path: "/auth/" + init.ReferenceNumber, token: init.AuthenticationToken.Token.Reveal()}, 410, nil)

	// Clean-up operations.
	h.ok(req{method: "POST", path: "/testdata/context/unblock", body: ksef.UnblockContextAuthenticationRequest{ContextIdentifier: block}}, 200, nil)
	h.ok(req{method: "POST", path: "/testdata/permissions/revoke", body: ksef.TestDataPermissionsRevokeRequest{
		ContextIdentifier: grant.ContextIdentifier, AuthorizedIdentifier: grant.AuthorizedIdentifier}}, 200, nil)
	h.ok(req{method: "POST", path: "/testdata/person/remove", body: ksef.PersonRemoveRequest{Nip: nip}}, 200, nil)
	h.ok(req{method: "POST", path: "/testdata/subject/remove", body: ksef.SubjectRemoveRequest{SubjectNip: nip}}, 200, nil)
}
