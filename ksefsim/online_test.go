package ksefsim_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/envelope"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/upo"
	"github.com/ksef2/ksef/xades"
	"github.com/ksef2/ksef/xades/xadestest"
)

func newIdentity(t testing.TB, c *rawClient) *ksefsim.TestIdentity {
	t.Helper()
	id, err := c.sim.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// download fetches a pre-signed URL without Authorization.
func download(t testing.TB, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// TestOnlineSessionFlow sends an FA(3) invoice the way the docs describe:
// open, send, poll, close, session status, UPO pages, UPO download.
func TestOnlineSessionFlow(t *testing.T) {
	c, clk := newRawClient(t, ksefsim.WithProcessingDelay(4*time.Second))
	id := newIdentity(t, c)
	c.loginID(id)
	sess, key := c.openSession(formFA3)

	plain := invoice(t, "invoice-template-fa-3.xml", id.NIP, "F1")
	ref := c.send(sess, key, plain)
	st := c.invoiceStatus(sess, ref)
	if st.Status.Code != 100 || st.Status.Description != "Faktura przyjęta do dalszego przetwarzania" || st.KSeFNumber != "" {
		t.Fatalf("fresh invoice: %+v", st)
	}
	clk.Advance(2 * time.Second)
	if st := c.invoiceStatus(sess, ref); st.Status.Code != 150 {
		t.Fatalf("half-way invoice: %+v", st.Status)
	}
	clk.Advance(2 * time.Second)
	st = c.invoiceStatus(sess, ref)
	if st.Status.Code != 200 || st.Status.Description != "Sukces" {
		t.Fatalf("processed invoice: %+v", st.Status)
	}
	if _, err := ident.ParseKSeFNumber(st.KSeFNumber); err != nil || !strings.HasPrefix(st.KSeFNumber, id.NIP+"-") {
		t.Fatalf("KSeF number %q: %v", st.KSeFNumber, err)
	}
	if h := sha256.Sum256(plain); !bytes.Equal(st.InvoiceHash, h[:]) || st.InvoiceNumber != "FA/GRQMB-F1/05/2025" || st.OrdinalNumber != 1 {
		t.Fatalf("invoice fields: %+v", st)
	}
	if st.InvoicingMode != "Offline" {
		// The template's P_1 (2025-09-01) lies before the day of sending.
		t.Errorf("invoicingMode %q, want Offline (automatic offline mode)", st.InvoicingMode)
	}

	// The per-invoice UPO: from the API by reference and by KSeF number, and
	// from the pre-signed URL without a token.
	code, hdr, byRef := c.call("GET", "/sessions/"+sess+"/invoices/"+ref+"/upo", nil, nil)
	if code != 200 || hdr.Get("x-ms-meta-hash") != envelope.SHA256Base64(byRef) {
		t.Fatalf("invoice UPO: %d %s", code, byRef)
	}
	code, _, byNum := c.call("GET", "/sessions/"+sess+"/invoices/ksef/"+st.KSeFNumber+"/upo", nil, nil)
	if code != 200 || !bytes.Equal(byNum, byRef) {
		t.Fatalf("UPO by KSeF number: %d", code)
	}
	code, _, dl := download(t, st.UpoDownloadURL)
	if code != 200 || !bytes.Equal(dl, byRef) {
		t.Fatalf("UPO download: %d %s", code, dl)
	}
	u := checkUPO(t, c, dl)
	if u.IsSessionUPO() || len(u.Documents) != 1 || u.Documents[0].KSeFNumber != st.KSeFNumber ||
		u.Documents[0].DocumentHash != base64.StdEncoding.EncodeToString(st.InvoiceHash) ||
		u.FormCode != "FA (3)" || u.SessionReferenceNumber != sess || u.Authentication.AuthenticationDocumentHash == "" {
		t.Fatalf("invoice UPO content: %+v", u)
	}

	// Close: 204, status 170 until processed, then 200 with UPO pages.
	c.ok("POST", "/sessions/online/"+sess+"/close", nil, 204, nil)
	if ss := c.sessionStatus(sess); ss.Status.Code != 170 || ss.Upo != nil {
		t.Fatalf("closed session: %+v", ss)
	}
	if e := c.exception("POST", "/sessions/online/"+sess+"/invoices", sendRequest(key, plain), nil); e != 21180 {
		t.Errorf("send to a closed session: %d, want 21180", e)
	}
	if e := c.exception("POST", "/sessions/online/"+sess+"/close", nil, nil); e != 21180 {
		t.Errorf("second close: %d, want 21180", e)
	}
	clk.Advance(4 * time.Second)
	ss := c.sessionStatus(sess)
	if ss.Status.Code != 200 || ss.Status.Description != "Sesja interaktywna przetworzona pomyślnie" ||
		*ss.InvoiceCount != 1 || *ss.SuccessfulInvoiceCount != 1 || *ss.FailedInvoiceCount != 0 ||
		ss.Upo == nil || len(ss.Upo.Pages) != 1 {
		t.Fatalf("processed session: %+v", ss)
	}
	pg := ss.Upo.Pages[0]
	code, hdr, page := c.call("GET", "/sessions/"+sess+"/upo/"+pg.ReferenceNumber, nil, nil)
	if code != 200 || hdr.Get("x-ms-meta-hash") != envelope.SHA256Base64(page) {
		t.Fatalf("session UPO: %d %s", code, page)
	}
	c.token = "" // the pre-signed URL needs no token
	code, _, dl = download(t, pg.DownloadURL)
	if code != 200 || !bytes.Equal(dl, page) {
		t.Fatalf("session UPO download: %d", code)
	}
	su := checkUPO(t, c, dl)
	if !su.IsSessionUPO() || su.Page.TotalDocuments != 1 || su.Page.FirstDocument != 1 || su.Page.EndDocument != 1 || len(su.Documents) != 1 {
		t.Fatalf("session UPO content: %+v %+v", su, su.Page)
	}

	// Tampered and expired URLs are refused.
	if code, _, _ := download(t, strings.Replace(pg.DownloadURL, "sig=", "sig=00", 1)); code != http.StatusForbidden {
		t.Errorf("tampered URL: %d, want 403", code)
	}
	clk.Advance(73 * time.Hour)
	if code, _, _ := download(t, pg.DownloadURL); code != http.StatusForbidden {
		t.Errorf("expired URL: %d, want 403", code)
	}
}

// checkUPO verifies the simulator's signature on a UPO with package xades
// and parses it with package upo.
func checkUPO(t testing.TB, c *rawClient, doc []byte) *upo.UPO {
	t.Helper()
	v, err := xades.Verify(doc, &xades.VerifyOptions{Now: c.sim.Now()})
	if err != nil {
		t.Fatalf("UPO signature: %v", err)
	}
	if !v.Certificate.Equal(c.sim.UPOCertificate()) || v.Enveloping {
		t.Fatal("UPO not signed (enveloped) with the simulator's UPO certificate")
	}
	u, err := upo.Parse(doc)
	if err != nil || !u.Signed {
		t.Fatalf("upo.Parse: %v", err)
	}
	return u
}

var signatureRE = regexp.MustCompile(`(?s)<ds:Signature[ >].*</ds:Signature>`)

// TestOnlineUPOOracles checks the simulator's UPOs with independent tools:
// xmlsec1 verifies the signature and xmllint validates the document against
// the official UPO v4-3 schema once the signature is removed.
func TestOnlineUPOOracles(t *testing.T) {
	testenv.SkipShort(t, "xmlsec1 and xmllint oracles")
	xmllint := testenv.RequireTool(t, "xmllint")
	testenv.RequireTool(t, "xmlsec1")
	xsd := testenv.SpecFile(t, "xsd/upo/upo-v4-3.xsd")
	c, _ := newRawClient(t)
	id := newIdentity(t, c)
	c.loginID(id)
	sess, key := c.openSession(formFA3)
	var refs []string
	for i := range 3 {
		refs = append(refs, c.send(sess, key, invoice(t, "invoice-template-fa-3.xml", id.NIP, "O"+strconv.Itoa(i))))
	}
	c.ok("POST", "/sessions/online/"+sess+"/close", nil, 204, nil)
	ss := c.sessionStatus(sess)
	if ss.Upo == nil || len(ss.Upo.Pages) != 1 {
		t.Fatalf("session status %+v", ss)
	}
	_, _, page := c.call("GET", "/sessions/"+sess+"/upo/"+ss.Upo.Pages[0].ReferenceNumber, nil, nil)
	_, _, single := c.call("GET", "/sessions/"+sess+"/invoices/"+refs[0]+"/upo", nil, nil)
	cert := c.sim.UPOCertificate()
	dir := t.TempDir()
	for name, doc := range map[string][]byte{"page": page, "invoice": single} {
		if out, err := xadestest.Verify(t, doc, cert); err != nil {
			t.Errorf("%s: xmlsec1 --verify: %v\n%s", name, err, out)
		}
		bare := signatureRE.ReplaceAll(doc, nil)
		if bytes.Equal(bare, doc) {
			t.Fatalf("%s: no ds:Signature found", name)
		}
		f := filepath.Join(dir, name+".xml")
		if err := os.WriteFile(f, bare, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := testenv.Output(exec.Command(xmllint, "--noout", "--schema", xsd, f))
		if err != nil {
			t.Errorf("%s: xmllint --schema: %v\n%s", name, err, out)
		}
	}
}
