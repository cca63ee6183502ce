package ksef_test

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/internal/envelope"
	"github.com/ksef2/ksef/xades"
)

const (
	authRef   = "20250514-AU-2DFC46C000-3AC6D5877F-D4"
	opToken   = "op-token"
	challenge = "20250514-CR-1A2B3C4D5E-6F7A8B9C0D-E1"
)

// fakeAuth is a minimal KSeF authentication back end for unit tests.
type fakeAuth struct {
	t        *testing.T
	statuses []int // successive auth status codes (last repeats)
	polls    atomic.Int32
	gotXML   []byte
	gotQuery string
	gotToken *ksef.InitTokenAuthenticationRequest
	mfKey    *rsa.PrivateKey
	mfCert   []byte
	keyID    string
	redeemed atomic.Int32
}

func newFakeAuth(t *testing.T, mux *http.ServeMux, statuses ...int) *fakeAuth {
	f := &fakeAuth{t: t, statuses: statuses}
	mf, err := credentials.NewFingerprintOnly(&credentials.CertOptions{CommonName: "Ministerstwo Finansów", Validity: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(mf.Certificate.RawSubjectPublicKeyInfo)
	f.mfKey, f.mfCert, f.keyID = mf.Signer.(*rsa.PrivateKey), mf.Certificate.Raw, base64.StdEncoding.EncodeToString(sum[:])

	mux.HandleFunc("POST /auth/challenge", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"challenge": challenge, "timestamp": "2025-05-14T10:00:00.1234567+00:00", "timestampMs": 1747216800123, "clientIp": "127.0.0.1"})
	})
	initResp := map[string]any{"referenceNumber": authRef, "authenticationToken": map[string]any{"token": opToken, "validUntil": time.Now().Add(time.Hour)}}
	mux.HandleFunc("POST /auth/xades-signature", func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "application/xml" {
			t.Errorf("Content-Type %q", ct)
		}
		f.gotXML, _ = io.ReadAll(r.Body)
		f.gotQuery = r.URL.RawQuery
		writeJSON(w, 202, initResp)
	})
	mux.HandleFunc("POST /auth/ksef-token", func(w http.ResponseWriter, r *http.Request) {
		var req ksef.InitTokenAuthenticationRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Error(err)
		}
		f.gotToken = &req
		writeJSON(w, 202, initResp)
	})
	mux.HandleFunc("GET /security/public-key-certificates", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, []ksef.PublicKeyCertificate{{Certificate: f.mfCert, CertificateID: "x", PublicKeyID: f.keyID,
			ValidFrom: time.Now().Add(-time.Hour), ValidTo: time.Now().Add(time.Hour), Usage: []ksef.PublicKeyCertificateUsage{ksef.KsefTokenEncryption}}})
	})
	mux.HandleFunc("GET /auth/{ref}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+opToken || r.PathValue("ref") != authRef {
			w.WriteHeader(401)
			return
		}
		n := int(f.polls.Add(1))
		code := f.statuses[min(n, len(f.statuses))-1]
		writeJSON(w, 200, map[string]any{"startDate": time.Now(), "authenticationMethod": "QualifiedSeal",
			"authenticationMethodInfo": map[string]any{"category": "XadesSignature", "code": "x", "displayName": "y"},
			"status":                   map[string]any{"code": code, "description": "d" + strconv.Itoa(code), "details": []string{"detail"}}})
	})
	mux.HandleFunc("POST /auth/token/redeem", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+opToken {
			w.WriteHeader(401)
			return
		}
		f.redeemed.Add(1)
		writeJSON(w, 200, map[string]any{
			"accessToken":  map[string]any{"token": "access", "validUntil": time.Now().Add(15 * time.Minute)},
			"refreshToken": map[string]any{"token": "refresh", "validUntil": time.Now().Add(7 * 24 * time.Hour)}})
	})
	return f
}

func TestLoginWithCertificateBuildsSignedRequest(t *testing.T) {
	seal, err := credentials.NewSealNIP("5265877635", nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		ctx  ksef.ContextIdentifier
		elem string
	}{
		{ksef.MustContext(ksef.NIPContext("5265877635")), "<Nip>5265877635</Nip>"},
		{ksef.MustContext(ksef.InternalIDContext("5265877635-12345")), "<InternalId>5265877635-12345</InternalId>"},
		{ksef.MustContext(ksef.NipVatUeContext("5265877635-DE123456789")), "<NipVatUe>5265877635-DE123456789</NipVatUe>"},
		{ksef.MustContext(ksef.PeppolIDContext("PPL123456")), "<PeppolId>PPL123456</PeppolId>"},
	}
	for _, tc := range cases {
		t.Run(string(tc.ctx.Type), func(t *testing.T) {
			c, mux := clientSetup(t)
			f := newFakeAuth(t, mux, 100, 200)
			params := &ksef.LoginParams{Wait: fastWait, VerifyCertificateChain: true,
				SubjectIdentifierType: ksef.AuthSubjectCertificateFingerprint,
				AllowedIps:            &ksef.AllowedIps{Ip4Ranges: []string{"10.0.0.1-10.0.0.9"}}}
			a, err := c.Auth.LoginWithCertificate(t.Context(), tc.ctx, seal.Certificate, seal.Signer, params)
			if err != nil {
				t.Fatal(err)
			}
			if a.ReferenceNumber != authRef || f.redeemed.Load() != 1 || f.polls.Load() != 2 {
				t.Errorf("ref %s redeemed %d polls %d", a.ReferenceNumber, f.redeemed.Load(), f.polls.Load())
			}
			if f.gotQuery != "verifyCertificateChain=true" {
				t.Errorf("query %q", f.gotQuery)
			}
			v, err := xades.Verify(f.gotXML, nil)
			if err != nil {
				t.Fatalf("signature: %v", err)
			}
			if !v.Certificate.Equal(seal.Certificate) {
				t.Error("wrong signing certificate")
			}
			doc := string(f.gotXML)
			for _, want := range []string{ksef.AuthTokenNamespace, challenge, tc.elem, "certificateFingerprint", "<Ip4Range>10.0.0.1-10.0.0.9</Ip4Range>"} {
				if !strings.Contains(doc, want) {
					t.Errorf("document lacks %q", want)
				}
			}
			r, err := ksef.ParseAuthTokenRequest(f.gotXML)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := r.ContextIdentifier.Context(); got != tc.ctx {
				t.Errorf("context %v", got)
			}
		})
	}
}

func TestLoginRejectsBadInput(t *testing.T) {
	c, _ := clientSetup(t)
	seal, _ := credentials.NewSealNIP("5265877635", nil)
	// The constructors validate: a bad context never reaches a login.
	if c, err := ksef.NIPContext("123"); !errors.Is(err, ksef.ErrInvalidIdentifier) || c != (ksef.ContextIdentifier{}) {
		t.Errorf("NIPContext(123) = %v, %v", c, err)
	}
	if _, err := ksef.NIPContext("5265877636"); !errors.Is(err, ksef.ErrInvalidIdentifier) {
		t.Errorf("NIP with a wrong check digit: %v", err)
	}
	for _, mk := range []func(string) (ksef.ContextIdentifier, error){ksef.InternalIDContext, ksef.NipVatUeContext, ksef.PeppolIDContext} {
		if _, err := mk("X"); err == nil {
			t.Error("bad context accepted")
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustContext did not panic")
			}
		}()
		ksef.MustContext(ksef.NIPContext("123"))
	}()
	// A literal ContextIdentifier is still checked before any request.
	bad := ksef.ContextIdentifier{Type: ksef.ContextNip, Value: "123"}
	if _, err := c.Auth.LoginWithCertificate(t.Context(), bad, seal.Certificate, seal.Signer, nil); !errors.Is(err, ksef.ErrInvalidIdentifier) {
		t.Errorf("bad NIP: %v", err)
	}
	if _, err := c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext("5265877635")), nil, nil, nil); err == nil {
		t.Error("nil certificate accepted")
	}
	if _, err := c.Auth.LoginWithToken(t.Context(), ksef.ContextIdentifier{Type: ksef.ContextPeppolID, Value: "X"}, "tok", nil); err == nil {
		t.Error("bad Peppol ID accepted")
	}
	if _, err := c.Auth.LoginWithToken(t.Context(), ksef.MustContext(ksef.NIPContext("5265877635")), "", nil); err == nil {
		t.Error("empty token accepted")
	}
}

func TestLoginWithTokenEncryptsToken(t *testing.T) {
	c, mux := clientSetup(t)
	f := newFakeAuth(t, mux, 200)
	ips := &ksef.AllowedIps{Ip4Addresses: []string{"1.2.3.4"}}
	if _, err := c.Auth.LoginWithToken(t.Context(), ksef.MustContext(ksef.InternalIDContext("5265877635-12345")), "my-ksef-token", &ksef.LoginParams{Wait: fastWait, AllowedIps: ips}); err != nil {
		t.Fatal(err)
	}
	req := f.gotToken
	if req.Challenge != challenge || req.PublicKeyID != f.keyID || req.ContextIdentifier.Type != ksef.ContextInternalID ||
		req.AuthorizationPolicy == nil || req.AuthorizationPolicy.AllowedIps.Ip4Addresses[0] != "1.2.3.4" {
		t.Errorf("request %+v", req)
	}
	tok, ms, err := envelope.DecryptToken(f.mfKey, req.EncryptedToken)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "my-ksef-token" || ms != 1747216800123 {
		t.Errorf("decrypted %q %d", tok, ms)
	}
}

func TestAuthWaitFailureCodes(t *testing.T) {
	for _, code := range []int{415, 425, 450, 460, 470, 480, 500, 550} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			c, mux := clientSetup(t)
			f := newFakeAuth(t, mux, 100, code)
			_, err := c.Auth.Wait(t.Context(), authRef, opToken, fastWait)
			var se *ksef.StatusError
			if !errors.As(err, &se) || se.Code != code || se.ReferenceNumber != authRef || se.Operation != "auth" {
				t.Fatalf("err = %v", err)
			}
			if f.polls.Load() != 2 {
				t.Errorf("polls %d", f.polls.Load())
			}
		})
	}
}

// TestAuthWaitTiming checks the waiter's delays with a fake clock: they grow
// from MinDelay to MaxDelay and the wait ends with the context.
func TestAuthWaitTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mux := http.NewServeMux()
		f := newFakeAuth(t, mux, 100)
		c := handlerClient(t, mux)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		var seen []string
		start := time.Now()
		_, err := c.Auth.Wait(ctx, authRef, opToken, &ksef.WaitOptions{MinDelay: time.Second, MaxDelay: 4 * time.Second,
			OnPoll: func(n int, st string) { seen = append(seen, st) }})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		if time.Since(start) != time.Minute {
			t.Errorf("waited %v", time.Since(start))
		}
		// At least 60 s / 4 s polls, at most 60 s / (0.75 s) ones.
		if n := int(f.polls.Load()); n < 15 || n > 80 {
			t.Errorf("%d polls in a minute", n)
		}
		if len(seen) == 0 || seen[0] != "100" {
			t.Errorf("OnPoll saw %v", seen)
		}
	})
}

func TestLoginRetriesCancelledOnce(t *testing.T) {
	seal, _ := credentials.NewSealNIP("5265877635", nil)
	c, mux := clientSetup(t)
	f := newFakeAuth(t, mux, 550, 200)
	if _, err := c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext("5265877635")), seal.Certificate, seal.Signer, &ksef.LoginParams{Wait: fastWait}); err != nil {
		t.Fatal(err)
	}
	if f.polls.Load() != 2 || f.redeemed.Load() != 1 {
		t.Errorf("polls %d redeemed %d", f.polls.Load(), f.redeemed.Load())
	}
	c2, mux2 := clientSetup(t)
	f2 := newFakeAuth(t, mux2, 550)
	_, err := c2.Auth.LoginWithToken(t.Context(), ksef.MustContext(ksef.NIPContext("5265877635")), "tok", &ksef.LoginParams{Wait: fastWait})
	if !errors.Is(err, ksef.ErrAuthCancelled) || f2.polls.Load() != 2 {
		t.Errorf("err %v polls %d", err, f2.polls.Load())
	}
	if _, err := authed(c).AuthSessions.List(t.Context(), &ksef.ListSessionsParams{PageSize: 5}); err == nil {
		t.Error("page size 5 accepted")
	}
}
