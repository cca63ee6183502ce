package ksefsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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

	var lastHeader http.Header
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
		lastHeader = resp.Header
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
		if f.NotAuthTokenRequest && !f.Base64 {
			continue // xml:base on the root: the auth XSD has no such attribute (refused with 21401)
		}
		t.Run(f.Name, func(t *testing.T) {
			t.Logf("covers: %s", f.Covers)
			nip := randomNIP()
			cred, err := credentials.NewSealNIP(nip, &credentials.CertOptions{Signer: xadestest.NewKey(t, f.Key), Now: t0})
			if err != nil {
				t.Fatal(err)
			}

			signed := signFor(f, cred, nip)
			var init struct {
				ReferenceNumber     string    `json:"referenceNumber"`
				AuthenticationToken tokenInfo `json:"authenticationToken"`
			}
			call("POST", "/auth/xades-signature", "application/xml", "", signed, 202, &init)
			// A SHA-1 signature is accepted with warning sig-001 in KSeF's header form.
			if warn := lastHeader.Get("X-System-Warning"); f.SHA1 != strings.HasPrefix(warn, "[sig-001]: ") {
				t.Errorf("X-System-Warning %q (SHA-1 form: %v)", warn, f.SHA1)
			}
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
				if f.Base64 && name == "document changed" {
					continue // the document is base64 text inside ds:Object
				}
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
