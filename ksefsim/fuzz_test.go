package ksefsim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
)

// FuzzParseAuthTokenRequest feeds arbitrary documents to the
// AuthTokenRequest reader: it must not panic, and what it accepts must
// satisfy the schema rules it promises.
func FuzzParseAuthTokenRequest(f *testing.F) {
	f.Add(authXML("", "20260310-CR-0123456789-ABCDEF0123-0A", nipCtx("5265877635"), "certificateSubject", ""))
	f.Add(authXML(authNS20, "20260310-CR-0123456789-ABCDEF0123-0A", ctxID{"InternalId", "5265877635-12345"}, "certificateFingerprint",
		"<AuthorizationPolicy><AllowedIps><Ip4Address>10.0.0.1</Ip4Address><Ip4Range>10.0.0.1-10.0.0.9</Ip4Range><Ip4Mask>10.0.0.0/8</Ip4Mask></AllowedIps></AuthorizationPolicy>"))
	f.Add([]byte(`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:Object><AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.1"/></ds:Object></ds:Signature>`))
	f.Add([]byte("\xEF\xBB\xBF<a/>"))
	f.Add([]byte("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>"))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, xe := parseAuthTokenRequest(body)
		if (req == nil) == (xe == nil) {
			t.Fatalf("result %v / error %v", req, xe)
		}
		if req == nil {
			if _, ok := exceptionDescriptions[xe.code]; !ok {
				t.Fatalf("unknown exception code %d", xe.code)
			}
			return
		}
		if !isChallenge(req.challenge) {
			t.Fatalf("accepted challenge %q", req.challenge)
		}
		if err := checkContextPattern(req.ctx); err != nil {
			t.Fatalf("accepted context %v: %v", req.ctx, err)
		}
		if req.subjectType != "certificateSubject" && req.subjectType != "certificateFingerprint" {
			t.Fatalf("accepted subject type %q", req.subjectType)
		}
		if _, err := parseIPPolicy(req.allowedIps); err != nil {
			t.Fatalf("accepted IP policy: %v", err)
		}
	})
}

// FuzzXAdESSignatureHandler posts arbitrary bodies to
// POST /auth/xades-signature: the answer is always a documented status with
// a body, never a panic or a 5xx.
func FuzzXAdESSignatureHandler(f *testing.F) {
	f.Add(authXML("", "20260310-CR-0123456789-ABCDEF0123-0A", nipCtx("5265877635"), "certificateSubject", ""))
	f.Add([]byte("not xml"))
	f.Add([]byte(`<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.1"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></AuthTokenRequest>`))
	clk := NewManualClock(t0)
	s := New(WithClock(clk.Now), WithoutRateLimits())
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", BasePath+"/auth/xades-signature", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/xml")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest && w.Code != http.StatusAccepted {
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
	})
}

// FuzzContinuationToken checks that arbitrary continuation tokens are either
// rejected with 21418 or decode to a non-negative offset.
func FuzzContinuationToken(f *testing.F) {
	f.Add(encodeContinuation("auth-sessions", 10))
	f.Add("")
	f.Add("e30=")
	f.Fuzz(func(t *testing.T, tok string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("x-continuation-token", tok)
		off, e := decodeContinuation(r, "auth-sessions")
		if e != nil {
			if e.errs[0].Code != 21418 {
				t.Fatalf("code %d", e.errs[0].Code)
			}
			return
		}
		if off < 0 {
			t.Fatalf("offset %d", off)
		}
	})
}

func BenchmarkChallenge(b *testing.B) {
	s := New(WithoutRateLimits())
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("POST", BasePath+"/auth/challenge", nil))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkXAdESLogin measures a full certificate login: challenge,
// signed AuthTokenRequest (signing included), status and redeem.
func BenchmarkXAdESLogin(b *testing.B) {
	h := newHarness(b)
	nip := randomNIP()
	cred := seal(b, nip)
	for b.Loop() {
		init := h.startXAdES(nipCtx(nip), "certificateSubject", cred)
		h.redeem(init)
		h.clk.Advance(time.Millisecond)
	}
}

func BenchmarkRateLimiter(b *testing.B) {
	l := newRateLimiter(DefaultRateLimits(), false)
	now := t0
	for b.Loop() {
		now = now.Add(100 * time.Millisecond)
		l.allow(ksef.GroupInvoiceStatus, "Nip:5265877635", "192.0.2.1", now)
	}
}
