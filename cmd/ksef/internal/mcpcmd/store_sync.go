package mcpcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/storeurl"
)

// SyncGap separates two sync runs in the store (see
// ksefsync.Searcher.LastSync).
const SyncGap = 10 * time.Minute

func init() {
	OpenStore = func(ctx context.Context, spec string) (Store, io.Closer, error) {
		st, err := storeurl.Open(ctx, spec)
		if err != nil {
			return nil, nil, err
		}
		return SyncStore(st, SyncGap), st, nil
	}
}

// SyncStore serves the server from a store of package ksefsync: a
// [ksefsync.Searcher] (the SQLite and PostgreSQL stores) answers every
// question in its SQL; another store is read through ksefsync.Reader, with
// the filters the Reader lacks applied while streaming, and cannot say
// what is new since the last sync. Commits more than gap apart belong to
// different sync runs.
func SyncStore(r ksefsync.Reader, gap time.Duration) Store {
	if s, ok := r.(ksefsync.Searcher); ok {
		return searchStore{s, gap}
	}
	return readerStore{r}
}

// invoiceOf converts a stored invoice.
func invoiceOf(r *ksefsync.StoredInvoice, storedAt time.Time) Invoice {
	return Invoice{KSeFNumber: r.KSeFNumber, InvoiceNumber: r.InvoiceNumber, SellerNIP: r.SellerNIP, SellerName: r.SellerName,
		BuyerIDType: r.BuyerIDType, BuyerID: r.BuyerID, BuyerName: r.BuyerName, IssueDate: r.IssueDate,
		PermanentStorageDate: r.PermanentStorageDate, StoredAt: storedAt, Currency: r.Currency, Net: r.Net, VAT: r.VAT,
		Gross: r.Gross, InvoiceType: r.InvoiceType, FormCode: r.FormCode, XML: r.XML}
}

// invoice reads one invoice of r.
func invoice(ctx context.Context, r ksefsync.Reader, ksefNumber string) (*Invoice, error) {
	si, err := r.Invoice(ctx, ksefNumber)
	if errors.Is(err, ksefsync.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w", ksefNumber, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	inv := invoiceOf(si, time.Time{})
	return &inv, nil
}

type searchStore struct {
	s   ksefsync.Searcher
	gap time.Duration
}

func (a searchStore) Search(ctx context.Context, q Query) iter.Seq2[Invoice, error] {
	f := ksefsync.SearchFilter{NIP: q.NIP, Role: q.Role, IssuedFrom: q.IssuedFrom, IssuedTo: q.IssuedTo, MinGross: q.MinGross,
		MaxGross: q.MaxGross, InvoiceType: q.InvoiceType, Currency: q.Currency, StoredSince: q.StoredSince}
	return func(yield func(Invoice, error) bool) {
		for r, err := range a.s.Search(ctx, f) {
			if err != nil {
				yield(Invoice{}, err)
				return
			}
			inv := invoiceOf(&r.StoredInvoice, r.StoredAt)
			if q.Match(&inv) && !yield(inv, nil) { // party names and numbers: matched here, case-folded in Go
				return
			}
		}
	}
}

func (a searchStore) Invoice(ctx context.Context, ksefNumber string) (*Invoice, error) {
	return invoice(ctx, a.s, ksefNumber)
}

func (a searchStore) LastSync(ctx context.Context) (time.Time, error) {
	return a.s.LastSync(ctx, a.gap)
}

type readerStore struct{ r ksefsync.Reader }

func (a readerStore) Search(ctx context.Context, q Query) iter.Seq2[Invoice, error] {
	f := ksefsync.Filter{IssuedFrom: q.IssuedFrom, IssuedTo: q.IssuedTo}
	switch q.Role {
	case "seller":
		f.SellerNIP = q.NIP
	case "buyer":
		f.BuyerID = q.NIP
	}
	return func(yield func(Invoice, error) bool) {
		if !q.StoredSince.IsZero() {
			yield(Invoice{}, errors.New("this store cannot tell when it got an invoice: use an SQLite or PostgreSQL store"))
			return
		}
		for r, err := range a.r.Invoices(ctx, f) {
			if err != nil {
				yield(Invoice{}, err)
				return
			}
			inv := invoiceOf(&r, time.Time{})
			if q.Match(&inv) && !yield(inv, nil) {
				return
			}
		}
	}
}

func (a readerStore) Invoice(ctx context.Context, ksefNumber string) (*Invoice, error) {
	return invoice(ctx, a.r, ksefNumber)
}

func (a readerStore) LastSync(ctx context.Context) (time.Time, error) {
	return time.Time{}, errors.New("this store cannot tell what the last sync brought: use an SQLite or PostgreSQL store, or give since")
}
