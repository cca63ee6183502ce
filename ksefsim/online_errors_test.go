package ksefsim_test

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/envelope"
	"github.com/ksef2/ksef/ksefsim"
)

// final sends plain and returns its final status (no processing delay).
func (c *rawClient) final(sess string, k *envelope.Key, plain []byte) ksef.SessionInvoiceStatusResponse {
	c.t.Helper()
	return c.invoiceStatus(sess, c.send(sess, k, plain))
}

// TestOnlineInvoiceRejections covers the synchronous refusals (21402,
// 21403, 21173, 21470) and the asynchronous invoice statuses (430, 435, 440,
// 450, 410).
func TestOnlineInvoiceRejections(t *testing.T) {
	c, _ := newRawClient(t)
	id := newIdentity(t, c)
	c.loginID(id)
	sess, key := c.openSession(formFA3)
	path := "/sessions/online/" + sess + "/invoices"
	good := invoice(t, "invoice-template-fa-3.xml", id.NIP, "R1")

	mutate := func(f func(*ksef.SendInvoiceRequest)) ksef.SendInvoiceRequest {
		r := sendRequest(key, good)
		f(&r)
		return r
	}
	for name, tc := range map[string]struct {
		req  ksef.SendInvoiceRequest
		want int
	}{
		"encrypted size": {mutate(func(r *ksef.SendInvoiceRequest) { r.EncryptedInvoiceSize++ }), 21402},
		"encrypted hash": {mutate(func(r *ksef.SendInvoiceRequest) { r.EncryptedInvoiceHash[0] ^= 1 }), 21403},
		"plain size":     {mutate(func(r *ksef.SendInvoiceRequest) { r.InvoiceSize++ }), 21402},
		"plain hash":     {mutate(func(r *ksef.SendInvoiceRequest) { r.InvoiceHash[0] ^= 1 }), 21403},
	} {
		if got := c.exception("POST", path, tc.req, nil); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
	unknown := "20250625-SO-2C3E6C8000-B675CF5D68-07"
	if got := c.exception("POST", "/sessions/online/"+unknown+"/invoices", sendRequest(key, good), nil); got != 21173 {
		t.Errorf("unknown session: %d, want 21173", got)
	}

	// Decryption with another key fails: 435.
	other, _ := envelope.NewKey()
	if st := c.final(sess, other, good); st.Status.Code != 435 || st.Status.Description != "Błąd odszyfrowania pliku" {
		t.Errorf("wrong key: %+v", st.Status)
	}
	// Not well-formed, schema-invalid, BOM, processing instruction: 430.
	for name, doc := range map[string][]byte{
		"malformed": []byte("<Faktura><Naglowek></Faktura>"),
		"schema":    bytes.Replace(good, []byte("<P_2>"), []byte("<P_X>1</P_X><P_2>"), 1),
		"bom":       append([]byte("\xEF\xBB\xBF"), good...),
		"pi":        bytes.Replace(good, []byte("<Faktura "), []byte("<?xml-stylesheet href=\"a.xsl\"?><Faktura "), 1),
		"encoding":  bytes.Replace(good, []byte(`encoding="UTF-8"`), []byte(`encoding="ISO-8859-2"`), 1),
	} {
		st := c.final(sess, key, doc)
		if st.Status.Code != 430 || st.Status.Description != "Błąd weryfikacji pliku faktury" || len(st.Status.Details) == 0 {
			t.Errorf("%s: %+v", name, st.Status)
		}
	}
	// A future issue date: 450.
	future := c.sim.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	doc := bytes.Replace(invoice(t, "invoice-template-fa-3.xml", id.NIP, "R2"), []byte("<P_1>2025-09-01</P_1>"), []byte("<P_1>"+future+"</P_1>"), 1)
	if st := c.final(sess, key, doc); st.Status.Code != 450 || len(st.Status.Details) == 0 {
		t.Errorf("future P_1: %+v", st.Status)
	}
	// Another seller than the context: 410.
	if st := c.final(sess, key, invoice(t, "invoice-template-fa-3.xml", "5265877635", "R3")); st.Status.Code != 410 {
		t.Errorf("foreign seller: %+v", st.Status)
	}
	// Duplicates, also across sessions: 440 with the original's numbers.
	first := c.final(sess, key, good)
	if first.Status.Code != 200 {
		t.Fatalf("first: %+v", first.Status)
	}
	sess2, key2 := c.openSession(formFA3)
	dup := c.final(sess2, key2, good)
	ext := dup.Status.Extensions
	if dup.Status.Code != 440 || dup.Status.Description != "Duplikat faktury" ||
		ext["originalKsefNumber"] != first.KSeFNumber || ext["originalSessionReferenceNumber"] != sess {
		t.Errorf("duplicate: %+v", dup.Status)
	}

	// The failed list holds exactly the rejected invoices.
	var failed ksef.SessionInvoicesResponse
	c.ok("GET", "/sessions/"+sess+"/invoices/failed?pageSize=100", nil, 200, &failed)
	if len(failed.Invoices) != 8 {
		t.Errorf("failed invoices: %d, want 8", len(failed.Invoices))
	}
	for _, inv := range failed.Invoices {
		if inv.Status.Code < 400 || inv.KSeFNumber != "" || inv.UpoDownloadURL != "" {
			t.Errorf("failed list entry %+v", inv)
		}
	}
	// No UPO for a rejected invoice.
	if got := c.exception("GET", "/sessions/"+sess+"/invoices/"+failed.Invoices[0].ReferenceNumber+"/upo", nil, nil); got != 21178 {
		t.Errorf("UPO of a rejected invoice: %d, want 21178", got)
	}

	// An unknown MF key id: 21470.
	k, _ := envelope.NewKey()
	pub, _ := c.mfKey()
	wrapped, _ := envelope.WrapKey(pub, k.Key[:])
	if got := c.exception("POST", "/sessions/online", ksef.OpenOnlineSessionRequest{
		FormCode:   formFA3,
		Encryption: ksef.EncryptionInfo{EncryptedSymmetricKey: wrapped, InitializationVector: k.IV[:], PublicKeyID: envelope.SHA256Base64([]byte("withdrawn"))},
	}, nil); got != 21470 {
		t.Errorf("unknown key: %d, want 21470", got)
	}
}

// TestOnlineSessionEnds covers closing without invoices (440), a session
// with only rejected invoices (445), expiry after 12 hours and the invoice
// limit (21155).
func TestOnlineSessionEnds(t *testing.T) {
	c, clk := newRawClient(t, ksefsim.WithSessionInvoiceLimit(2))
	id := newIdentity(t, c)
	c.loginID(id)

	empty, _ := c.openSession(formFA3)
	c.ok("POST", "/sessions/online/"+empty+"/close", nil, 204, nil)
	if st := c.sessionStatus(empty); st.Status.Code != 440 || st.Upo != nil {
		t.Errorf("empty session: %+v", st.Status)
	}

	bad, key := c.openSession(formFA3)
	c.send(bad, key, []byte("<x/>"))
	c.ok("POST", "/sessions/online/"+bad+"/close", nil, 204, nil)
	if st := c.sessionStatus(bad); st.Status.Code != 445 || *st.FailedInvoiceCount != 1 {
		t.Errorf("session without valid invoices: %+v", st)
	}

	full, key := c.openSession(formFA3)
	c.send(full, key, invoice(t, "invoice-template-fa-3.xml", id.NIP, "L1"))
	c.send(full, key, invoice(t, "invoice-template-fa-3.xml", id.NIP, "L2"))
	if got := c.exception("POST", "/sessions/online/"+full+"/invoices", sendRequest(key, invoice(t, "invoice-template-fa-3.xml", id.NIP, "L3")), nil); got != 21155 {
		t.Errorf("third invoice: %d, want 21155", got)
	}

	// Twelve hours later the session is closed by KSeF.
	clk.Advance(12 * time.Hour)
	c.loginID(id) // the access token expired as well
	if got := c.exception("POST", "/sessions/online/"+full+"/invoices", sendRequest(key, invoice(t, "invoice-template-fa-3.xml", id.NIP, "L4")), nil); got != 21180 {
		t.Errorf("send after expiry: %d, want 21180", got)
	}
	if st := c.sessionStatus(full); st.Status.Code != 200 || st.Upo == nil || *st.SuccessfulInvoiceCount != 2 {
		t.Errorf("expired session: %+v", st)
	}

	// GET /sessions: filters and paging.
	var list ksef.SessionsQueryResponse
	c.ok("GET", "/sessions?sessionType=Online&pageSize=10", nil, 200, &list)
	if len(list.Sessions) != 3 || list.Sessions[0].ReferenceNumber != full {
		t.Fatalf("sessions: %+v", list)
	}
	c.ok("GET", "/sessions?sessionType=Online&statuses=Cancelled&statuses=Failed", nil, 200, &list)
	if len(list.Sessions) != 2 {
		t.Errorf("Cancelled+Failed sessions: %+v", list.Sessions)
	}
	c.ok("GET", "/sessions?sessionType=Online&referenceNumber="+bad, nil, 200, &list)
	if len(list.Sessions) != 1 || list.Sessions[0].FailedInvoiceCount != 1 {
		t.Errorf("by reference: %+v", list.Sessions)
	}
	c.ok("GET", "/sessions?sessionType=Batch", nil, 200, &list)
	if len(list.Sessions) != 0 {
		t.Errorf("batch sessions: %+v", list.Sessions)
	}
	from := clk.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	c.ok("GET", "/sessions?sessionType=Online&dateClosedFrom="+from, nil, 200, &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ReferenceNumber != full {
		t.Errorf("closed in the last hour: %+v", list.Sessions)
	}
}

// TestOnlineInvoicePaging pages through a session's invoices.
func TestOnlineInvoicePaging(t *testing.T) {
	c, _ := newRawClient(t)
	id := newIdentity(t, c)
	c.loginID(id)
	sess, key := c.openSession(formFA3)
	for i := range 13 {
		c.send(sess, key, invoice(t, "invoice-template-fa-3.xml", id.NIP, "P"+strconv.Itoa(i)))
	}
	seen := map[int32]bool{}
	token := ""
	for pages := 0; ; pages++ {
		var hdr map[string]string
		if token != "" {
			hdr = map[string]string{"x-continuation-token": token}
		}
		code, _, b := c.call("GET", "/sessions/"+sess+"/invoices?pageSize=10", nil, hdr)
		if code != 200 || pages > 2 {
			t.Fatalf("page %d: %d %s", pages, code, b)
		}
		var page ksef.SessionInvoicesResponse
		if err := jsonUnmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		for _, inv := range page.Invoices {
			seen[inv.OrdinalNumber] = true
		}
		if token = page.ContinuationToken; token == "" {
			break
		}
	}
	if len(seen) != 13 {
		t.Errorf("saw %d invoices, want 13", len(seen))
	}
	if got := c.exception("GET", "/sessions/"+sess+"/invoices?pageSize=5", nil, skipRequest); got != 21405 {
		t.Errorf("pageSize 5: %d, want 21405", got)
	}
	if got := c.exception("GET", "/sessions/"+sess+"/invoices", nil, map[string]string{"x-continuation-token": "garbage!"}); got != 21418 {
		t.Errorf("bad token: %d, want 21418", got)
	}
}

// TestOnlineOtherForms sends FA(2), FA_RR(1) and PEF(3) invoices.
func TestOnlineOtherForms(t *testing.T) {
	c, _ := newRawClient(t)
	id := newIdentity(t, c)
	c.loginID(id)
	for _, tc := range []struct {
		form     ksef.FormCode
		template string
	}{
		{formFA2, "invoice-template-fa-2.xml"},
		{formFARR, "invoice-template-fa-rr-1.xml"},
		{formPEF, "invoice-template-fa-3-pef.xml"},
	} {
		sess, key := c.openSession(tc.form)
		st := c.final(sess, key, invoice(t, tc.template, id.NIP, "K1"))
		if st.Status.Code != 200 || st.KSeFNumber == "" {
			t.Errorf("%s: %+v", tc.form.SystemCode, st.Status)
		}
		// An FA(3) invoice does not fit these sessions' schemas.
		if st := c.final(sess, key, invoice(t, "invoice-template-fa-3.xml", id.NIP, "K2")); st.Status.Code != 430 {
			t.Errorf("%s with an FA(3) invoice: %+v", tc.form.SystemCode, st.Status)
		}
		c.ok("POST", "/sessions/online/"+sess+"/close", nil, 204, nil)
		ss := c.sessionStatus(sess)
		if ss.Status.Code != 200 || ss.Upo == nil {
			t.Fatalf("%s session: %+v", tc.form.SystemCode, ss)
		}
		_, _, page := c.call("GET", "/sessions/"+sess+"/upo/"+ss.Upo.Pages[0].ReferenceNumber, nil, nil)
		if u := checkUPO(t, c, page); u.FormCode != tc.form.SystemCode {
			t.Errorf("UPO form code %q", u.FormCode)
		}
	}
	// PEF well-formedness.
	sess, key := c.openSession(formPEF)
	broken := bytes.Replace(invoice(t, "invoice-template-fa-3-pef.xml", id.NIP, "K3"), []byte("</Invoice>"), nil, 1)
	if st := c.final(sess, key, broken); st.Status.Code != 430 {
		t.Errorf("malformed PEF: %+v", st.Status)
	}
	if got := c.exception("POST", "/sessions/online", ksef.OpenOnlineSessionRequest{
		FormCode:   ksef.FormCode{SystemCode: "FA (1)", SchemaVersion: "1-0E", Value: "FA"},
		Encryption: ksef.EncryptionInfo{EncryptedSymmetricKey: []byte{1}, InitializationVector: make([]byte, 16)},
	}, nil); got != 21405 {
		t.Errorf("unknown form code: %d, want 21405", got)
	}
}

// TestOnlinePermissions: a subject with InvoiceRead only may not open a
// session (403).
func TestOnlinePermissions(t *testing.T) {
	c, _ := newRawClient(t)
	id := newIdentity(t, c)
	reader := string(ident.RandomNIP(nil))
	c.ok("POST", "/testdata/permissions", ksef.TestDataPermissionsGrantRequest{
		ContextIdentifier:    ksef.TestDataContextIdentifier{Type: "Nip", Value: id.NIP},
		AuthorizedIdentifier: ksef.TestDataAuthorizedIdentifier{Type: "Nip", Value: reader},
		Permissions:          []ksef.TestDataPermission{{PermissionType: ksef.TestDataPermInvoiceRead, Description: "read only"}},
	}, 200, nil)
	cred, err := credentials.NewSealNIP(reader, &credentials.CertOptions{KeyType: credentials.ECP256, Now: c.sim.Now()})
	if err != nil {
		t.Fatal(err)
	}
	c.loginCert(id.NIP, cred.Certificate, cred.Signer)
	pub, keyID := c.mfKey()
	k, _ := envelope.NewKey()
	wrapped, _ := envelope.WrapKey(pub, k.Key[:])
	code, _, b := c.call("POST", "/sessions/online", ksef.OpenOnlineSessionRequest{
		FormCode:   formFA3,
		Encryption: ksef.EncryptionInfo{EncryptedSymmetricKey: wrapped, InitializationVector: k.IV[:], PublicKeyID: keyID},
	}, nil)
	if code != http.StatusForbidden || !strings.Contains(string(b), "InvoiceWrite") {
		t.Errorf("open without InvoiceWrite: %d %s", code, b)
	}
}

// TestOnlineFaultsAfterProcessing: a send and a close that are processed
// but answer 500 or drop the connection take effect exactly once.
func TestOnlineFaultsAfterProcessing(t *testing.T) {
	c, _ := newRawClient(t)
	id := newIdentity(t, c)
	c.loginID(id)
	sess, key := c.openSession(formFA3)
	c.sim.Faults().Fail("POST /sessions/online/{referenceNumber}/invoices", 1, ksefsim.Fault{Status: 500, AfterProcessing: true})
	if code, _, _ := c.call("POST", "/sessions/online/"+sess+"/invoices", sendRequest(key, invoice(t, "invoice-template-fa-3.xml", id.NIP, "X1")), nil); code != 500 {
		t.Fatalf("send under fault: %d, want 500", code)
	}
	var list ksef.SessionInvoicesResponse
	c.ok("GET", "/sessions/"+sess+"/invoices", nil, 200, &list)
	if len(list.Invoices) != 1 || list.Invoices[0].Status.Code != 200 {
		t.Fatalf("invoices after a 500: %+v", list.Invoices)
	}
	c.sim.Faults().Fail("POST /sessions/online/{referenceNumber}/close", 1, ksefsim.Fault{Drop: true, AfterProcessing: true})
	req, _ := http.NewRequestWithContext(t.Context(), "POST", c.base+"/sessions/online/"+sess+"/close", nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("close under drop answered %d", resp.StatusCode)
	}
	if st := c.sessionStatus(sess); st.Status.Code != 200 || *st.InvoiceCount != 1 {
		t.Errorf("session after a dropped close: %+v", st)
	}
	if got := c.exception("POST", "/sessions/online/"+sess+"/close", nil, nil); got != 21180 {
		t.Errorf("repeated close: %d, want 21180", got)
	}
	if n := c.sim.Calls("POST /sessions/online/{referenceNumber}/close"); n != 2 {
		t.Errorf("close calls %d, want 2", n)
	}
}
