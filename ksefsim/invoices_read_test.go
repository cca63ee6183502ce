package ksefsim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/fa3"
)

func TestSeedDownloadAndQuery(t *testing.T) {
	h := newHarness(t)
	res, err := h.s.SeedInvoices(SeedParams{Count: 25, From: t0.Add(-48 * time.Hour), To: t0.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	seller := h.login(nipCtx(res.SellerNIP), "certificateSubject", seal(t, res.SellerNIP)).AccessToken.Token.Reveal()
	buyer := h.login(nipCtx(res.BuyerNIP), "certificateSubject", seal(t, res.BuyerNIP)).AccessToken.Token.Reveal()
	other := randomNIP()
	stranger := h.login(nipCtx(other), "certificateSubject", seal(t, other)).AccessToken.Token.Reveal()

	// download: XML with a matching x-ms-meta-hash, schema-valid
	w := h.ok(req{method: "GET", path: "/invoices/ksef/" + res.KSeFNumbers[3], token: buyer}, 200, nil)
	sum := sha256.Sum256(w.Body.Bytes())
	if got := w.Header().Get("x-ms-meta-hash"); got != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("x-ms-meta-hash %q", got)
	}
	if err := fa3.ValidateBytes(w.Body.Bytes()); err != nil {
		t.Errorf("seeded invoice not schema-valid: %v", err)
	}
	// unknown to another context: 21164
	if w := h.do(req{method: "GET", path: "/invoices/ksef/" + res.KSeFNumbers[3], token: stranger}); exceptionCode(t, w) != 21164 {
		t.Errorf("stranger: %d %s", w.Code, w.Body)
	}

	query := func(token string, f ksef.InvoiceQueryFilters, params string) (*httpResult, ksef.QueryInvoicesMetadataResponse) {
		var out ksef.QueryInvoicesMetadataResponse
		w := h.do(req{method: "POST", path: "/invoices/query/metadata" + params, token: token, body: f})
		if w.Code == 200 {
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
		}
		return &httpResult{w.Code, w.Body.String()}, out
	}
	to := t0
	f := ksef.InvoiceQueryFilters{SubjectType: "Subject1", DateRange: ksef.InvoiceQueryDateRange{DateType: "PermanentStorage", From: t0.Add(-72 * time.Hour), To: &to}}
	r, out := query(seller, f, "?pageSize=10")
	if r.code != 200 || len(out.Invoices) != 10 || !out.HasMore || out.IsTruncated || out.PermanentStorageHwmDate == nil {
		t.Fatalf("page 0: %v %+v", r, out)
	}
	if out.Invoices[0].KSeFNumber != res.KSeFNumbers[0] {
		t.Errorf("Asc order: first %s, want %s", out.Invoices[0].KSeFNumber, res.KSeFNumbers[0])
	}
	_, out = query(seller, f, "?pageSize=10&pageOffset=2&sortOrder=Asc")
	if len(out.Invoices) != 5 || out.HasMore {
		t.Errorf("last page: %d hasMore=%v", len(out.Invoices), out.HasMore)
	}
	_, out = query(seller, f, "?pageSize=10&sortOrder=Desc")
	if out.Invoices[0].KSeFNumber != res.KSeFNumbers[24] {
		t.Errorf("Desc order: first %s", out.Invoices[0].KSeFNumber)
	}
	// the seller's invoices are not the buyer's Subject1
	if _, out = query(buyer, f, ""); len(out.Invoices) != 0 {
		t.Errorf("buyer as Subject1: %d", len(out.Invoices))
	}
	f2 := f
	f2.SubjectType = "Subject2"
	if _, out = query(buyer, f2, "?pageSize=250"); len(out.Invoices) != 25 {
		t.Errorf("buyer as Subject2: %d", len(out.Invoices))
	}
	// filters
	amt := 1000.0
	for name, c := range map[string]struct {
		mut  func(*ksef.InvoiceQueryFilters)
		want int
	}{
		"invoiceNumber": {func(f *ksef.InvoiceQueryFilters) { f.InvoiceNumber = "SEED/7" }, 1},
		"ksefNumber":    {func(f *ksef.InvoiceQueryFilters) { f.KSeFNumber = res.KSeFNumbers[9] }, 1},
		"amount":        {func(f *ksef.InvoiceQueryFilters) { f.Amount = &ksef.InvoiceQueryAmount{Type: "Netto", From: &amt} }, 6},
		"currency EUR":  {func(f *ksef.InvoiceQueryFilters) { f.CurrencyCodes = []ksef.CurrencyCode{"EUR"} }, 0},
		"type Kor":      {func(f *ksef.InvoiceQueryFilters) { f.InvoiceTypes = []ksef.InvoiceType{"Kor"} }, 0},
		"type Vat":      {func(f *ksef.InvoiceQueryFilters) { f.InvoiceTypes = []ksef.InvoiceType{"Vat"} }, 25},
		"buyer":         {func(f *ksef.InvoiceQueryFilters) { f.BuyerIdentifier = &ksef.InvoiceQueryBuyerIdentifier{Type: "Nip", Value: res.BuyerNIP} }, 25},
		"form FA_RR":    {func(f *ksef.InvoiceQueryFilters) { f.FormType = "FA_RR" }, 0},
		"issue dates": {func(f *ksef.InvoiceQueryFilters) {
			f.DateRange.DateType = "Issue"
		}, 25},
	} {
		g := f
		c.mut(&g)
		r, out := query(seller, g, "?pageSize=250")
		if r.code != 200 || len(out.Invoices) != c.want {
			t.Errorf("%s: %v, %d invoices, want %d", name, r, len(out.Invoices), c.want)
		}
	}
	// validation
	long := t0.Add(-101 * 24 * time.Hour)
	bad := f
	bad.DateRange.From = long
	for name, c := range map[string]struct {
		f      ksef.InvoiceQueryFilters
		params string
		code   int
	}{
		"page size 9":   {f, "?pageSize=9", 21405},
		"page size 251": {f, "?pageSize=251", 21405},
		"101 days":      {bad, "", 21405},
	} {
		w := h.do(req{method: "POST", path: "/invoices/query/metadata" + c.params, token: seller, body: c.f})
		if w.Code != 400 || exceptionCode(t, w) != c.code {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
	}
}

func TestQueryTruncatesAt10000(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 10,050 invoices")
	}
	h := newHarness(t)
	res, err := h.s.SeedInvoices(SeedParams{Count: 10050, From: t0.Add(-48 * time.Hour), To: t0.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	seller := h.login(nipCtx(res.SellerNIP), "certificateSubject", seal(t, res.SellerNIP)).AccessToken.Token.Reveal()
	to := t0
	f := ksef.InvoiceQueryFilters{SubjectType: "Subject1", DateRange: ksef.InvoiceQueryDateRange{DateType: "PermanentStorage", From: t0.Add(-72 * time.Hour), To: &to}}
	var out ksef.QueryInvoicesMetadataResponse
	h.ok(req{method: "POST", path: "/invoices/query/metadata?pageSize=250&pageOffset=39", token: seller, body: f}, 200, &out)
	if len(out.Invoices) != 250 || !out.HasMore || !out.IsTruncated {
		t.Fatalf("page 39: %d hasMore=%v isTruncated=%v", len(out.Invoices), out.HasMore, out.IsTruncated)
	}
	h.ok(req{method: "POST", path: "/invoices/query/metadata?pageSize=250&pageOffset=38", token: seller, body: f}, 200, &out)
	if out.IsTruncated || !out.HasMore {
		t.Fatalf("page 38: hasMore=%v isTruncated=%v", out.HasMore, out.IsTruncated)
	}
}

func TestPermanentStorageDelayAndHWM(t *testing.T) {
	h := newHarness(t, WithPermanentStorageDelay(time.Minute))
	res, err := h.s.SeedInvoices(SeedParams{Count: 3, From: t0.Add(-10 * time.Second), To: t0})
	if err != nil {
		t.Fatal(err)
	}
	seller := h.login(nipCtx(res.SellerNIP), "certificateSubject", seal(t, res.SellerNIP)).AccessToken.Token.Reveal()
	if w := h.do(req{method: "GET", path: "/invoices/ksef/" + res.KSeFNumbers[0], token: seller}); exceptionCode(t, w) != 21165 {
		t.Errorf("before permanent storage: %d %s", w.Code, w.Body)
	}
	yes := true
	f := ksef.InvoiceQueryFilters{SubjectType: "Subject1", DateRange: ksef.InvoiceQueryDateRange{DateType: "PermanentStorage", From: t0.Add(-time.Hour), RestrictToPermanentStorageHwmDate: &yes}}
	var out ksef.QueryInvoicesMetadataResponse
	h.ok(req{method: "POST", path: "/invoices/query/metadata", token: seller, body: f}, 200, &out)
	if len(out.Invoices) != 0 || out.PermanentStorageHwmDate == nil || !out.PermanentStorageHwmDate.Before(res.From) {
		t.Errorf("before: %d invoices, hwm %v (first stored %v)", len(out.Invoices), out.PermanentStorageHwmDate, res.From)
	}
	// from after the HWM with restrict: 21183
	late := f
	late.DateRange.From = t0
	if w := h.do(req{method: "POST", path: "/invoices/query/metadata", token: seller, body: late}); exceptionCode(t, w) != 21183 {
		t.Errorf("from after HWM: %d %s", w.Code, w.Body)
	}
	h.clk.Advance(2 * time.Minute)
	h.ok(req{method: "POST", path: "/invoices/query/metadata", token: seller, body: f}, 200, &out)
	if len(out.Invoices) != 3 || out.PermanentStorageHwmDate == nil || out.PermanentStorageHwmDate.Before(res.To) {
		t.Errorf("after: %d invoices, hwm %v", len(out.Invoices), out.PermanentStorageHwmDate)
	}
	h.ok(req{method: "GET", path: "/invoices/ksef/" + res.KSeFNumbers[0], token: seller}, http.StatusOK, nil)
}

type httpResult struct {
	code int
	body string
}

func (r *httpResult) String() string { return fmt.Sprintf("%d %s", r.code, r.body) }
