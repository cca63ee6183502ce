package ksefsim_test

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/contract"
	"github.com/ksef2/ksef/internal/envelope"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/xades"
)

// rawClient speaks to the simulator with plain HTTP, as the spec describes
// the API, without the SDK. Every exchange passes the contract validator of
// simtest.Start.
type rawClient struct {
	t     testing.TB
	sim   *ksefsim.Simulator
	base  string
	token string
	clk   *ksefsim.ManualClock
}

func newRawClient(t testing.TB, opts ...ksefsim.Option) (*rawClient, *ksefsim.ManualClock) {
	t.Helper()
	clk := ksefsim.NewManualClock(time.Now().UTC().Truncate(time.Second))
	sim, base := simtest.Start(t, append([]ksefsim.Option{ksefsim.WithClock(clk.Now), ksefsim.WithoutRateLimits()}, opts...)...)
	return &rawClient{t: t, sim: sim, base: base, clk: clk}, clk
}

// call sends a request; body is []byte (XML) or a value sent as JSON.
func (c *rawClient) call(method, path string, body any, header map[string]string) (int, http.Header, []byte) {
	c.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "application/xml"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// ok calls and requires status want, decoding the JSON answer into out.
func (c *rawClient) ok(method, path string, body any, want int, out any) []byte {
	c.t.Helper()
	code, _, b := c.call(method, path, body, nil)
	if code != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return b
}

// exception calls and returns the single KSeF exception code of a 400.
func (c *rawClient) exception(method, path string, body any, header map[string]string) int {
	c.t.Helper()
	code, _, b := c.call(method, path, body, header)
	if code != http.StatusBadRequest {
		c.t.Fatalf("%s %s: status %d, want 400: %s", method, path, code, b)
	}
	var e ksef.ExceptionResponse
	if err := json.Unmarshal(b, &e); err != nil || e.Exception == nil || len(e.Exception.ExceptionDetailList) != 1 {
		c.t.Fatalf("%s %s: not an exception body: %s", method, path, b)
	}
	return int(e.Exception.ExceptionDetailList[0].ExceptionCode)
}

// loginID logs in with a simulator test identity (the owner of its NIP).
func (c *rawClient) loginID(id *ksefsim.TestIdentity) {
	c.t.Helper()
	c.loginCert(id.NIP, id.Certificate, id.Key)
}

// loginCert authenticates with a XAdES-signed AuthTokenRequest in the NIP
// context nip and keeps the access token.
func (c *rawClient) loginCert(nip string, cert *x509.Certificate, key crypto.Signer) {
	c.t.Helper()
	c.token = ""
	var ch ksef.AuthenticationChallengeResponse
	c.ok("POST", "/auth/challenge", nil, 200, &ch)
	doc := fmt.Appendf(nil, `<?xml version="1.0" encoding="utf-8"?>
<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.1">
  <Challenge>%s</Challenge>
  <ContextIdentifier><Nip>%s</Nip></ContextIdentifier>
  <SubjectIdentifierType>certificateSubject</SubjectIdentifierType>
</AuthTokenRequest>`, ch.Challenge, nip)
	signed, err := xades.Sign(doc, cert, key, &xades.SignOptions{SigningTime: c.sim.Now().Add(-time.Minute)})
	if err != nil {
		c.t.Fatal(err)
	}
	var init ksef.AuthenticationInitResponse
	c.ok("POST", "/auth/xades-signature", signed, 202, &init)
	c.token = init.AuthenticationToken.Token.Reveal()
	var st ksef.AuthenticationOperationStatusResponse
	for range 100 {
		c.ok("GET", "/auth/"+init.ReferenceNumber, nil, 200, &st)
		if st.Status.Code != 100 {
			break
		}
		c.clk.Advance(time.Second) // the simulator's processing delay
	}
	if st.Status.Code != 200 {
		c.t.Fatalf("authentication status %+v", st.Status)
	}
	var tr ksef.AuthenticationTokensResponse
	c.ok("POST", "/auth/token/redeem", nil, 200, &tr)
	c.token = tr.AccessToken.Token.Reveal()
}

// mfKey downloads the MF SymmetricKeyEncryption certificate.
func (c *rawClient) mfKey() (*rsa.PublicKey, string) {
	c.t.Helper()
	var certs []ksef.PublicKeyCertificate
	c.ok("GET", "/security/public-key-certificates", nil, 200, &certs)
	for _, pc := range certs {
		for _, u := range pc.Usage {
			if u == ksef.SymmetricKeyEncryption {
				cert, err := x509.ParseCertificate(pc.Certificate)
				if err != nil {
					c.t.Fatal(err)
				}
				return cert.PublicKey.(*rsa.PublicKey), pc.PublicKeyID
			}
		}
	}
	c.t.Fatal("no SymmetricKeyEncryption certificate")
	return nil, ""
}

var (
	formFA3  = ksef.FormCode{SystemCode: "FA (3)", SchemaVersion: "1-0E", Value: "FA"}
	formFA2  = ksef.FormCode{SystemCode: "FA (2)", SchemaVersion: "1-0E", Value: "FA"}
	formFARR = ksef.FormCode{SystemCode: "FA_RR (1)", SchemaVersion: "1-1E", Value: "FA_RR"}
	formPEF  = ksef.FormCode{SystemCode: "PEF (3)", SchemaVersion: "2-1", Value: "PEF"}
)

// openSession opens an online session with a fresh AES key.
func (c *rawClient) openSession(form ksef.FormCode) (string, *envelope.Key) {
	c.t.Helper()
	pub, keyID := c.mfKey()
	k, err := envelope.NewKey()
	if err != nil {
		c.t.Fatal(err)
	}
	wrapped, err := envelope.WrapKey(pub, k.Key[:])
	if err != nil {
		c.t.Fatal(err)
	}
	var out ksef.OpenOnlineSessionResponse
	c.ok("POST", "/sessions/online", ksef.OpenOnlineSessionRequest{
		FormCode:   form,
		Encryption: ksef.EncryptionInfo{EncryptedSymmetricKey: wrapped, InitializationVector: k.IV[:], PublicKeyID: keyID},
	}, 201, &out)
	return out.ReferenceNumber, k
}

// sendRequest encrypts an invoice into a SendInvoiceRequest.
func sendRequest(k *envelope.Key, plain []byte) ksef.SendInvoiceRequest {
	enc := k.Encrypt(plain)
	h, eh := sha256.Sum256(plain), sha256.Sum256(enc)
	return ksef.SendInvoiceRequest{
		InvoiceHash: h[:], InvoiceSize: int64(len(plain)),
		EncryptedInvoiceHash: eh[:], EncryptedInvoiceSize: int64(len(enc)),
		EncryptedInvoiceContent: enc,
	}
}

// send sends an invoice and returns its reference number (202 required).
func (c *rawClient) send(sess string, k *envelope.Key, plain []byte) string {
	c.t.Helper()
	var out ksef.SendInvoiceResponse
	c.ok("POST", "/sessions/online/"+sess+"/invoices", sendRequest(k, plain), 202, &out)
	return out.ReferenceNumber
}

func (c *rawClient) invoiceStatus(sess, inv string) ksef.SessionInvoiceStatusResponse {
	c.t.Helper()
	var out ksef.SessionInvoiceStatusResponse
	c.ok("GET", "/sessions/"+sess+"/invoices/"+inv, nil, 200, &out)
	return out
}

func (c *rawClient) sessionStatus(sess string) ksef.SessionStatusResponse {
	c.t.Helper()
	var out ksef.SessionStatusResponse
	c.ok("GET", "/sessions/"+sess, nil, 200, &out)
	return out
}

var placeholderRE = regexp.MustCompile(`#([A-Za-z_]+)#`)

// invoice fills a sample template from ../shared/spec with the seller NIP
// and invoice number; other placeholders get fixed values.
func invoice(t testing.TB, template, nip, number string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.SpecFile(t, "samples/invoices/templates/"+template))
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{
		"nip": nip, "supplier_nip": nip, "invoice_number": number,
		"buyer_nip": "7773152434", "nipOdbiorca": "7773152434",
		"issue_date": "2025-10-01", "due_date": "2025-10-15", "invoicing_date": "2025-10-01",
	}
	return placeholderRE.ReplaceAllFunc(b, func(m []byte) []byte {
		if v, ok := values[string(m[1:len(m)-1])]; ok {
			return []byte(v)
		}
		return []byte("X1")
	})
}

// skipRequest marks a request that breaks the spec on purpose.
var skipRequest = map[string]string{contract.SkipHeader: contract.SkipRequest.String()}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
