package ksef_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/ksefsim"
)

// TestE2EDownloadInvoice runs workflows §G 54: invoices sent in an online
// session download byte-identical with a matching x-ms-meta-hash and parse
// into the FA(3) model; an unknown number gives 21164, one accepted
// seconds ago 21165 and then the XML after a wait.
func TestE2EDownloadInvoice(t *testing.T) {
	sim, c := simClient(t, ksefsim.WithoutRateLimits(), ksefsim.WithPermanentStorageDelay(300*time.Millisecond))
	id, a := loginSeal(t, sim, c)
	s := openOrSkip(t, sim, a)
	ctx := t.Context()
	doc := fa3Invoice(t, id.NIP, "FV/dl/1")
	sent, err := s.SendInvoice(ctx, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.WaitInvoice(ctx, sent.ReferenceNumber, fastWait)
	if err != nil {
		t.Fatal(err)
	}
	// accepted just now: not yet in permanent storage
	if _, err := a.Invoices.Download(ctx, st.KSeFNumber); !errors.Is(err, ksef.ErrInvoiceNotYetAvailable) || !ksef.IsCode(err, ksef.CodeInvoiceNotYetAvailable) {
		t.Fatalf("right after acceptance: %v, want ErrInvoiceNotYetAvailable", err)
	}
	got, err := a.Invoices.WaitDownload(ctx, st.KSeFNumber, &ksef.WaitOptions{MinDelay: 50 * time.Millisecond, MaxDelay: 100 * time.Millisecond, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, doc) {
		t.Fatalf("downloaded invoice differs from the one sent (%d vs %d bytes)", len(got), len(doc))
	}
	p, err := ksef.ParseInvoice(got)
	if err != nil {
		t.Fatal(err)
	}
	if p.Form != ksef.InvoiceFormFA3 || p.FA3 == nil {
		t.Fatalf("parsed %+v", p)
	}
	unknown := string(ident.NewKSeFNumber(ident.NIP(id.NIP), time.Now(), nil))
	if _, err := a.Invoices.Download(ctx, unknown); !errors.Is(err, ksef.ErrInvoiceNotFound) {
		t.Errorf("unknown number: %v, want ErrInvoiceNotFound", err)
	}
	if _, err := a.Invoices.Download(ctx, "not-a-number"); err == nil {
		t.Error("malformed number accepted")
	}
	// the invoice is visible in the metadata of its seller
	to := time.Now().Add(time.Minute)
	var n int
	for md, err := range a.Invoices.QueryMetadataAll(ctx, &ksef.MetadataQuery{Filters: ksef.InvoiceQueryFilters{
		SubjectType: ksef.InvoiceQuerySubjectTypeSubject1,
		DateRange:   ksef.InvoiceQueryDateRange{DateType: ksef.InvoiceQueryDateTypeInvoicing, From: time.Now().Add(-time.Hour), To: &to},
	}}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if md.KSeFNumber != st.KSeFNumber || md.InvoiceNumber != "FV/dl/1" || md.Seller.Nip != id.NIP || md.GrossAmount != 123 || md.Buyer.Identifier.Value != "7773152431" {
			t.Errorf("metadata %+v", md)
		}
	}
	if n != 1 {
		t.Errorf("%d records, want 1", n)
	}
}

// TestE2EQueryMetadata runs workflows §G 51-53: filters, sorting, page
// sizes, the 100-day rule, and a window of more than 10,000 records read
// completely (isTruncated moves the window; no record missed or repeated).
func TestE2EQueryMetadata(t *testing.T) {
	sim, c := simClient(t, ksefsim.WithoutRateLimits())
	id, a := loginSeal(t, sim, c)
	ctx := t.Context()
	count := 10_300
	if testing.Short() {
		count = 600
	}
	now := sim.Now()
	res, err := sim.SeedInvoices(ksefsim.SeedParams{Count: count, SellerNIP: id.NIP, From: now.Add(-20 * 24 * time.Hour), To: now.Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	filters := ksef.InvoiceQueryFilters{
		SubjectType: ksef.InvoiceQuerySubjectTypeSubject1,
		DateRange:   ksef.InvoiceQueryDateRange{DateType: ksef.InvoiceQueryDateTypePermanentStorage, From: now.Add(-30 * 24 * time.Hour)},
	}
	for _, order := range []ksef.SortOrder{ksef.SortOrderAsc, ksef.SortOrderDesc} {
		seen := map[string]bool{}
		var prev time.Time
		pages := sim.Calls("POST /invoices/query/metadata")
		for md, err := range a.Invoices.QueryMetadataAll(ctx, &ksef.MetadataQuery{Filters: filters, SortOrder: order, PageSize: 250}) {
			if err != nil {
				t.Fatal(err)
			}
			if seen[md.KSeFNumber] {
				t.Fatalf("%s: %s yielded twice", order, md.KSeFNumber)
			}
			seen[md.KSeFNumber] = true
			if !prev.IsZero() && (order == ksef.SortOrderAsc && md.PermanentStorageDate.Before(prev) || order == ksef.SortOrderDesc && md.PermanentStorageDate.After(prev)) {
				t.Fatalf("%s: out of order", order)
			}
			prev = md.PermanentStorageDate
		}
		for _, n := range res.KSeFNumbers {
			if !seen[n] {
				t.Fatalf("%s: %s missing (%d of %d seen)", order, n, len(seen), count)
			}
		}
		if len(seen) != count {
			t.Errorf("%s: %d records, want %d", order, len(seen), count)
		}
		t.Logf("%s: %d records in %d pages", order, len(seen), sim.Calls("POST /invoices/query/metadata")-pages)
	}
	// filters
	page, err := a.Invoices.QueryMetadata(ctx, &ksef.MetadataQuery{Filters: func() ksef.InvoiceQueryFilters {
		f := filters
		f.InvoiceNumber = "SEED/5"
		f.BuyerIdentifier = &ksef.InvoiceQueryBuyerIdentifier{Type: "Nip", Value: res.BuyerNIP}
		f.CurrencyCodes = []ksef.CurrencyCode{"PLN"}
		f.InvoiceTypes = []ksef.InvoiceType{ksef.InvoiceTypeVat}
		f.FormType = ksef.InvoiceQueryFormTypeFA
		return f
	}(), PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Invoices) != 1 || page.Invoices[0].KSeFNumber != res.KSeFNumbers[4] || page.HasMore || page.PermanentStorageHwmDate == nil {
		t.Errorf("invoice-number filter: %+v", page)
	}
	// local validation: nothing is sent
	before := sim.Calls("POST /invoices/query/metadata")
	long := filters
	long.DateRange.From = now.Add(-101 * 24 * time.Hour)
	for name, q := range map[string]*ksef.MetadataQuery{
		"page size 9":   {Filters: filters, PageSize: 9},
		"page size 251": {Filters: filters, PageSize: 251},
		"101 days":      {Filters: long},
		"no subject":    {Filters: ksef.InvoiceQueryFilters{DateRange: filters.DateRange}},
		"bad NIP":       {Filters: func() ksef.InvoiceQueryFilters { f := filters; f.SellerNip = "1234567890"; return f }()},
	} {
		if _, err := a.Invoices.QueryMetadata(ctx, q); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if sim.Calls("POST /invoices/query/metadata") != before {
		t.Error("invalid queries reached the server")
	}
	// restrictToPermanentStorageHwmDate with from after the HWM: 21183
	yes := true
	late := filters
	late.DateRange.From = now.Add(time.Hour)
	late.DateRange.RestrictToPermanentStorageHwmDate = &yes
	to := now.Add(2 * time.Hour)
	late.DateRange.To = &to
	if _, err := a.Invoices.QueryMetadata(ctx, &ksef.MetadataQuery{Filters: late}); !ksef.IsCode(err, ksef.CodeDateRangeBeyondData) {
		t.Errorf("from after HWM: %v, want 21183", err)
	}
}
