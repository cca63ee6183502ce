package ksef_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ksef2/ksef"
)

// TestE2ECollectiveIdentifiers runs workflows §H 61-64 (and the local
// checks of 65): create identifiers with and without payment data, query
// them by date with continuation, find them by KSeF number, list their
// invoices as the creator and as another context (details hidden), and
// build payment titles.
func TestE2ECollectiveIdentifiers(t *testing.T) {
	sim, c := simClient(t)
	id, a := loginSeal(t, sim, c)
	_, other := loginSeal(t, sim, c)
	ctx := t.Context()
	s := openOrSkip(t, sim, a)
	var numbers []string
	for i := range 3 {
		sent, err := s.SendInvoice(ctx, fa3Invoice(t, id.NIP, fmt.Sprintf("FV/IZ/%d", i)), nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.WaitInvoice(ctx, sent.ReferenceNumber, fastWait)
		if err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, st.KSeFNumber)
	}

	// §H 61: with payment data and description, and without.
	paid, err := a.CollectiveIdentifiers.Create(ctx, &ksef.GenerateCollectiveIdentifierRequest{Invoices: []ksef.CollectiveIdentifierInvoice{
		{KSeFNumber: numbers[0], Payment: &ksef.CollectiveIdentifierInvoicePayment{Amount: 123, Currency: "PLN"}, Description: "pierwsza"},
		{KSeFNumber: numbers[1], Payment: &ksef.CollectiveIdentifierInvoicePayment{Amount: 45.5, Currency: "PLN"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ci, err := ksef.ParseCollectiveIdentifier(paid.CollectiveIdentifierNumber)
	if err != nil || string(ci.SellerNIP()) != id.NIP || paid.CollectiveIdentifierNumber[11:13] != "IZ" {
		t.Fatalf("identifier %q: %v", paid.CollectiveIdentifierNumber, err)
	}
	plain, err := a.CollectiveIdentifiers.Create(ctx, &ksef.GenerateCollectiveIdentifierRequest{Invoices: []ksef.CollectiveIdentifierInvoice{
		{KSeFNumber: numbers[0]}, {KSeFNumber: numbers[2]},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Local checks of §H 65: fewer than 2, a repeated number.
	if _, err := a.CollectiveIdentifiers.Create(ctx, &ksef.GenerateCollectiveIdentifierRequest{Invoices: []ksef.CollectiveIdentifierInvoice{{KSeFNumber: numbers[0]}}}); err == nil {
		t.Error("one invoice sent")
	}
	if _, err := a.CollectiveIdentifiers.Create(ctx, &ksef.GenerateCollectiveIdentifierRequest{Invoices: []ksef.CollectiveIdentifierInvoice{{KSeFNumber: numbers[0]}, {KSeFNumber: numbers[0]}}}); err == nil {
		t.Error("a repeated KSeF number sent")
	}

	// §H 62: query by date, page by page (page size 10, so both on one page);
	// filters; a range over 100 days is refused locally.
	now := time.Now()
	filter := &ksef.CollectiveIdentifiersQueryRequest{DateCreatedFrom: now.Add(-time.Hour), DateCreatedTo: now.Add(time.Hour)}
	var listed []ksef.CollectiveIdentifiersQueryResponseItem
	for it, err := range a.CollectiveIdentifiers.QueryAll(ctx, filter, &ksef.CollectivePage{PageSize: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, it)
	}
	if len(listed) != 2 || !listed[0].CreatedInCurrentContext || listed[0].DateCreated.Before(listed[1].DateCreated) {
		t.Fatalf("query: %+v", listed)
	}
	two := int32(2)
	f2 := *filter
	f2.CollectiveIdentifierNumber = paid.CollectiveIdentifierNumber
	f2.InvoiceCountFrom = &two
	one, err := a.CollectiveIdentifiers.Query(ctx, &f2, nil)
	if err != nil || len(one.CollectiveIdentifiers) != 1 || one.CollectiveIdentifiers[0].InvoiceCount != 2 {
		t.Errorf("filtered query: %+v %v", one, err)
	}
	wide := &ksef.CollectiveIdentifiersQueryRequest{DateCreatedFrom: now.Add(-101 * 24 * time.Hour), DateCreatedTo: now}
	if _, err := a.CollectiveIdentifiers.Query(ctx, wide, nil); err == nil {
		t.Error("a 101-day range was sent")
	}
	// Another context does not list them.
	if res, err := other.CollectiveIdentifiers.Query(ctx, filter, nil); err != nil || len(res.CollectiveIdentifiers) != 0 {
		t.Errorf("another context lists %+v (%v)", res, err)
	}

	// §H 64: identifiers containing an invoice.
	var byNum []string
	for it, err := range a.CollectiveIdentifiers.ByKSeFNumberAll(ctx, numbers[0], nil) {
		if err != nil {
			t.Fatal(err)
		}
		if !it.CreatedInCurrentContext {
			t.Errorf("%+v not created in the current context", it)
		}
		byNum = append(byNum, it.CollectiveIdentifierNumber)
	}
	if len(byNum) != 2 {
		t.Errorf("identifiers of %s: %v", numbers[0], byNum)
	}

	// §H 63: invoices of both identifiers, as the creator and as another
	// context.
	ids := []string{paid.CollectiveIdentifierNumber, plain.CollectiveIdentifierNumber}
	var mine []ksef.CollectiveIdentifierInvoicesQueryResponseItem
	for it, err := range a.CollectiveIdentifiers.InvoicesAll(ctx, ids, &ksef.CollectivePage{PageSize: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		mine = append(mine, it)
	}
	if len(mine) != 4 {
		t.Fatalf("invoices: %+v", mine)
	}
	for i, it := range mine {
		if it.DetailsHidden {
			t.Errorf("creator sees hidden details: %+v", it)
		}
		if i > 0 && it.KSeFNumber > mine[i-1].KSeFNumber {
			t.Errorf("not sorted by KSeF number descending at %d", i)
		}
		if it.CollectiveIdentifierNumber == paid.CollectiveIdentifierNumber && it.KSeFNumber == numbers[0] &&
			(it.Payment == nil || it.Payment.Amount != 123 || it.Description != "pierwsza") {
			t.Errorf("creator's view of the paid invoice: %+v", it)
		}
	}
	res, err := other.CollectiveIdentifiers.Invoices(ctx, ids, nil)
	if err != nil {
		t.Fatal(err)
	}
	hidden := 0
	for _, it := range res.Invoices {
		if it.Payment != nil || it.Description != "" {
			t.Errorf("another context sees details: %+v", it)
		}
		if it.DetailsHidden {
			hidden++
			if it.CollectiveIdentifierNumber != paid.CollectiveIdentifierNumber {
				t.Errorf("details hidden on an identifier without details: %+v", it)
			}
		}
	}
	if len(res.Invoices) != 4 || hidden != 2 {
		t.Errorf("another context: %d invoices, %d hidden", len(res.Invoices), hidden)
	}
	if _, err := a.CollectiveIdentifiers.Invoices(ctx, make([]string, 11), nil); err == nil {
		t.Error("11 identifiers sent")
	}

	// Payment titles: the number first, within 140 characters.
	title, err := ksef.PaymentTitle(paid.CollectiveIdentifierNumber, "Faktury za marzec 2026 — zapłata zbiorcza "+strings.Repeat("x", 200))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(title, paid.CollectiveIdentifierNumber+" Faktury za marzec 2026 zap") || utf8.RuneCountInString(title) > ksef.BankTitleMaxLength {
		t.Errorf("title %q (%d characters)", title, utf8.RuneCountInString(title))
	}
	if title, err := ksef.PaymentTitle(numbers[1], ""); err != nil || title != numbers[1] {
		t.Errorf("title of a KSeF number: %q %v", title, err)
	}
	if _, err := ksef.PaymentTitle("FV/2026/1", "x"); err == nil {
		t.Error("title from an invoice number")
	}
}
