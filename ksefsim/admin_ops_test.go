package ksefsim

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
)

// acceptedInvoice records an accepted invoice of seller, as an online
// session would, and returns its KSeF number.
func (h *harness) acceptedInvoice(seller string, n int) string {
	h.t.Helper()
	num := string(ident.NewKSeFNumber(ident.NIP(seller), h.clk.Now(), nil))
	h.s.mu.Lock()
	h.s.st.online().byKSeF[num] = &sessionInvoice{ksefNumber: num, sellerNIP: seller, invoiceNumber: fmt.Sprint(n)}
	h.s.mu.Unlock()
	return num
}

// TestCollectiveIdentifierCodes shows the documented refusals of
// POST /collective-identifiers (71001, 71002, 71004, 71005, 21405 for fewer
// than 2 or more than collectiveIdentifier.maxInvoices invoices) and of the
// lists (21405 for 11 identifiers or a 101-day range, 21418 for a malformed
// continuation token), which the SDK's local checks never send.
func TestCollectiveIdentifierCodes(t *testing.T) {
	h := newHarness(t)
	nip := randomNIP()
	tok := h.login(nipCtx(nip), "certificateSubject", seal(t, nip)).AccessToken.Token
	a, b := h.acceptedInvoice(nip, 1), h.acceptedInvoice(nip, 2)
	foreign := h.acceptedInvoice(randomNIP(), 3)
	unknown := string(ident.NewKSeFNumber(ident.NIP(nip), h.clk.Now(), nil))
	create := func(nums ...string) int {
		body := ksef.GenerateCollectiveIdentifierRequest{}
		for _, n := range nums {
			body.Invoices = append(body.Invoices, ksef.CollectiveIdentifierInvoice{KSeFNumber: n})
		}
		w := h.do(req{method: "POST", path: "/collective-identifiers", body: body, token: string(tok)})
		if w.Code == http.StatusCreated {
			return 201
		}
		return exceptionCode(t, w)
	}
	for name, tc := range map[string]struct {
		nums []string
		want int
	}{
		"one invoice":       {[]string{a}, 21405},
		"unknown invoice":   {[]string{a, unknown}, 71001},
		"different sellers": {[]string{a, foreign}, 71004},
		"repeated number":   {[]string{a, b, a}, 71005},
		"ok":                {[]string{a, b}, 201},
	} {
		if got := create(tc.nums...); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
	// 132 identifiers per invoice and context, then 71002.
	for i := 1; i < maxIdentifiersPerInvoice; i++ {
		if got := create(a, b); got != 201 {
			t.Fatalf("identifier %d: %d", i+1, got)
		}
	}
	if got := create(a, b); got != 71002 {
		t.Errorf("133rd identifier: %d, want 71002", got)
	}
	// The context's maxInvoices (lowered on TEST) applies to the next create.
	h.ok(req{method: "POST", path: "/testdata/limits/context/session", token: string(tok), body: ksef.SetSessionLimitsRequest{
		OnlineSession: ksef.OnlineSessionContextLimitsOverride{MaxInvoices: 10}, BatchSession: ksef.BatchSessionContextLimitsOverride{MaxInvoices: 10},
		CollectiveIdentifier: ksef.CollectiveIdentifierContextLimitsOverride{MaxInvoices: 2}}}, 200, nil)
	c := h.acceptedInvoice(nip, 4)
	if got := create(a, b, c); got != 21405 {
		t.Errorf("3 invoices over maxInvoices 2: %d, want 21405", got)
	}
	many := make([]string, 11)
	if w := h.do(req{method: "POST", path: "/collective-identifiers/invoices", token: string(tok),
		body: ksef.CollectiveIdentifierInvoicesQueryRequest{CollectiveIdentifierNumbers: many}}); exceptionCode(t, w) != 21405 {
		t.Error("11 identifiers accepted")
	}
	now := h.clk.Now()
	if w := h.do(req{method: "POST", path: "/collective-identifiers/query", token: string(tok),
		body: ksef.CollectiveIdentifiersQueryRequest{DateCreatedFrom: now.Add(-101 * 24 * time.Hour), DateCreatedTo: now}}); exceptionCode(t, w) != 21405 {
		t.Error("101-day range accepted")
	}
	if w := h.do(req{method: "GET", path: "/collective-identifiers/ksef/" + a, token: string(tok),
		header: map[string]string{"x-continuation-token": "garbage"}}); exceptionCode(t, w) != 21418 {
		t.Error("malformed continuation token accepted")
	}
}

// TestLimitOverrideValidation shows 21405 for override bodies outside the
// schema's ranges, which the contract harness refuses to send: session
// limits over the maximum, collectiveIdentifier.maxInvoices 1, rate limits
// without a group (a 2.6.0 body without collectiveIdentifier) and negative
// certificate limits.
func TestLimitOverrideValidation(t *testing.T) {
	h := newHarness(t)
	nip := randomNIP()
	tok := string(h.login(nipCtx(nip), "certificateSubject", seal(t, nip)).AccessToken.Token)
	ok := ksef.SetSessionLimitsRequest{
		OnlineSession: ksef.OnlineSessionContextLimitsOverride{MaxInvoiceSizeInMB: 1, MaxInvoices: 10},
		BatchSession:  ksef.BatchSessionContextLimitsOverride{MaxInvoiceSizeInMB: 1, MaxInvoices: 10}, CollectiveIdentifier: ksef.CollectiveIdentifierContextLimitsOverride{MaxInvoices: 2}}
	big := ok
	big.OnlineSession.MaxInvoiceSizeInMB = 6
	one := ok
	one.CollectiveIdentifier.MaxInvoices = 1
	for name, body := range map[string]any{"6 MB": big, "maxInvoices 1": one, "no collectiveIdentifier": `{"onlineSession":{"maxInvoiceSizeInMB":1,"maxInvoiceWithAttachmentSizeInMB":1,"maxInvoices":1},"batchSession":{"maxInvoiceSizeInMB":1,"maxInvoiceWithAttachmentSizeInMB":1,"maxInvoices":1}}`} {
		if w := h.do(req{method: "POST", path: "/testdata/limits/context/session", token: tok, body: body}); exceptionCode(t, w) != 21405 {
			t.Errorf("session limits, %s: accepted", name)
		}
	}
	rates := ksef.RateLimitsOverride(nil)
	rates.RateLimits.CollectiveIdentifier = ksef.ApiRateLimitValuesOverride{}
	if w := h.do(req{method: "POST", path: "/testdata/rate-limits", token: tok, body: rates}); exceptionCode(t, w) != 21405 {
		t.Error("rate limits without collectiveIdentifier accepted")
	}
	if w := h.do(req{method: "POST", path: "/testdata/limits/subject/certificate", token: tok, body: `{"certificate":{"maxCertificates":-1}}`}); exceptionCode(t, w) != 21405 {
		t.Error("negative certificate limit accepted")
	}
	// The valid body is accepted and read back.
	h.ok(req{method: "POST", path: "/testdata/limits/context/session", token: tok, body: ok}, 200, nil)
	var got ksef.EffectiveContextLimits
	h.ok(req{method: "GET", path: "/limits/context", token: tok}, 200, &got)
	if got.OnlineSession.MaxInvoices != 10 || got.CollectiveIdentifier.MaxInvoices != 2 {
		t.Errorf("limits read back: %+v", got)
	}
}

// TestAttachmentConsent: enabled at once; a revocation with an
// expectedEndDate in the future keeps it until that day.
func TestAttachmentConsent(t *testing.T) {
	h := newHarness(t)
	nip := randomNIP()
	if ok := h.s.AttachmentsAllowed(nip); ok {
		t.Fatal("allowed before the grant")
	}
	h.ok(req{method: "POST", path: "/testdata/attachment", body: ksef.AttachmentPermissionGrantRequest{Nip: nip}}, 200, nil)
	if ok := h.s.AttachmentsAllowed(nip); !ok {
		t.Fatal("not allowed after the grant")
	}
	end := h.clk.Now().Add(48 * time.Hour).Format(time.DateOnly)
	h.ok(req{method: "POST", path: "/testdata/attachment/revoke", body: ksef.AttachmentPermissionRevokeRequest{Nip: nip, ExpectedEndDate: end}}, 200, nil)
	if !h.s.AttachmentsAllowed(nip) {
		t.Error("not allowed before the end date")
	}
	h.clk.Advance(72 * time.Hour)
	if ok := h.s.AttachmentsAllowed(nip); ok {
		t.Error("still allowed after the end date")
	}
}

// TestCertificateLimitsAndRetention: a PESEL subject has the documented
// limits of 12 requests and 6 certificates; an unknown enrollment is
// 25005, one older than 30 days 410 Gone.
func TestCertificateLimitsAndRetention(t *testing.T) {
	h := newHarness(t)
	nip, pesel := randomNIP(), randomPESEL()
	h.s.mu.Lock()
	h.s.st.persons[nip] = &testPerson{nip: nip, pesel: pesel, description: "osoba testowa", created: h.clk.Now()}
	h.s.mu.Unlock()
	cred := personPESEL(t, pesel)
	tok := string(h.login(nipCtx(nip), "certificateSubject", cred).AccessToken.Token)
	var lim ksef.CertificateLimitsResponse
	h.ok(req{method: "GET", path: "/certificates/limits", token: tok}, 200, &lim)
	if lim.Enrollment.Limit != 12 || lim.Certificate.Limit != 6 || !lim.CanRequest {
		t.Errorf("limits of a PESEL: %+v", lim)
	}
	var data ksef.CertificateEnrollmentDataResponse
	h.ok(req{method: "GET", path: "/certificates/enrollments/data", token: tok}, 200, &data)
	if data.SerialNumber != "PNOPL-"+pesel || data.Surname == "" || data.GivenName == "" {
		t.Errorf("enrollment data of a person: %+v", data)
	}
	key, _ := credentials.NewKey(credentials.ECP256)
	csr, err := credentials.NewCSR(key, credentials.EnrollmentSubject{CommonName: data.CommonName, CountryName: data.CountryName,
		GivenNames: []string{data.GivenName}, Surname: data.Surname, SerialNumber: data.SerialNumber})
	if err != nil {
		t.Fatal(err)
	}
	var en ksef.EnrollCertificateResponse
	h.ok(req{method: "POST", path: "/certificates/enrollments", token: tok,
		body: ksef.EnrollCertificateRequest{CertificateName: "Certyfikat osoby", CertificateType: ksef.KsefCertificateTypeOffline, Csr: csr}}, 202, &en)
	var st ksef.CertificateEnrollmentStatusResponse
	h.ok(req{method: "GET", path: "/certificates/enrollments/" + en.ReferenceNumber, token: tok}, 200, &st)
	if st.Status.Code != 200 || len(st.CertificateSerialNumber) != 16 {
		t.Errorf("status: %+v", st)
	}
	if w := h.do(req{method: "GET", path: "/certificates/enrollments/20260101-CE-0123456789-ABCDEF0123-00", token: tok}); exceptionCode(t, w) != 25005 {
		t.Error("unknown enrollment accepted")
	}
	h.clk.Advance(31 * 24 * time.Hour)
	tok = string(h.login(nipCtx(nip), "certificateSubject", personPESEL(t, pesel)).AccessToken.Token)
	if w := h.do(req{method: "GET", path: "/certificates/enrollments/" + en.ReferenceNumber, token: tok}); w.Code != 410 {
		t.Errorf("enrollment after 31 days: %d %s", w.Code, w.Body)
	}
}
