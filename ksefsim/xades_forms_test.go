package ksefsim

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/xades/xadestest"
)

// TestXAdESFormsLogin logs in to the simulator over HTTP with an AuthTokenRequest signed by
// xmlsec1 (openssl for RSASSA-PSS) in each signature form KSeF accepts (xadestest.Forms: the
// test name says which form a case covers), and checks that copies with a changed document
// or changed signed properties are refused with 9105.
func TestXAdESFormsLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("oracle test (xmlsec1, openssl); skipped under -short")
	}
	testenv.RequireTool(t, "xmlsec1")
	h := newHarness(t)
	srv := httptest.NewServer(h.s)
	defer srv.Close()
	base := srv.URL + BasePath

	call := func(method, path, ct, token string, body []byte, want int, out any) []byte {
		t.Helper()
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != want {
			t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, b)
			}
		}
		return b
	}
	type tokenInfo struct {
		Token string `json:"token"`
	}
	signFor := func(f xadestest.Form, cred *credentials.Credentials, nip string) []byte {
		t.Helper()
		var ch struct {
			Challenge string `json:"challenge"`
		}
		call("POST", "/auth/challenge", "", "", nil, 200, &ch)
		req := xadestest.Request{Namespace: authNS21, Challenge: ch.Challenge, ContextType: "Nip", ContextValue: nip, SubjectType: "certificateSubject"}
		return xadestest.Sign(t, f, req, cred.Certificate, cred.Signer, h.clk.Now().Add(-time.Minute))
	}

	for _, f := range xadestest.Forms() {
		if f.NotAuthTokenRequest {
			continue // xml:base on the root or base64 content: not an AuthTokenRequest the simulator reads
		}
		t.Run(f.Name, func(t *testing.T) {
			t.Logf("covers: %s", f.Covers)
			nip := randomNIP()
			cred, err := credentials.NewSealNIP(nip, &credentials.CertOptions{Signer: formKey(t, f.Key), Now: t0})
			if err != nil {
				t.Fatal(err)
			}

			signed := signFor(f, cred, nip)
			var init struct {
				ReferenceNumber     string    `json:"referenceNumber"`
				AuthenticationToken tokenInfo `json:"authenticationToken"`
			}
			call("POST", "/auth/xades-signature", "application/xml", "", signed, 202, &init)
			var st struct {
				Status struct {
					Code int `json:"code"`
				} `json:"status"`
			}
			call("GET", "/auth/"+init.ReferenceNumber, "", init.AuthenticationToken.Token, nil, 200, &st)
			if st.Status.Code != 200 {
				t.Fatalf("authentication status %d, want 200", st.Status.Code)
			}
			var tokens struct {
				AccessToken tokenInfo `json:"accessToken"`
			}
			call("POST", "/auth/token/redeem", "", init.AuthenticationToken.Token, nil, 200, &tokens)
			if tokens.AccessToken.Token == "" {
				t.Fatal("no access token")
			}

			// Tampered copies, each on a fresh challenge, are refused before the challenge is used.
			for name, change := range map[string][2]string{
				"document changed":         {"<SubjectIdentifierType>certificateSubject<", "<SubjectIdentifierType>certificateFingerprint<"},
				"SignedProperties changed": {":00Z</xades:SigningTime>", ":01Z</xades:SigningTime>"},
			} {
				signed := signFor(f, cred, nip)
				if !bytes.Contains(signed, []byte(change[0])) {
					t.Fatalf("%s: %q not found", name, change[0])
				}
				tampered := bytes.Replace(signed, []byte(change[0]), []byte(change[1]), 1)
				var e struct {
					Exception struct {
						ExceptionDetailList []struct {
							ExceptionCode int `json:"exceptionCode"`
						} `json:"exceptionDetailList"`
					} `json:"exception"`
				}
				call("POST", "/auth/xades-signature", "application/xml", "", tampered, 400, &e)
				if d := e.Exception.ExceptionDetailList; len(d) != 1 || d[0].ExceptionCode != 9105 {
					t.Errorf("%s: exception %+v, want 9105", name, d)
				}
			}
		})
	}
}

// formKey generates a key of the kind a form needs.
func formKey(t testing.TB, kind xadestest.KeyKind) crypto.Signer {
	t.Helper()
	var key crypto.Signer
	var err error
	switch kind {
	case xadestest.RSA2048:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case xadestest.P256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case xadestest.P384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case xadestest.P521:
		key, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	}
	if err != nil || key == nil {
		t.Fatalf("key %s: %v", kind, err)
	}
	return key
}
