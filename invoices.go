package ksef

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/ksef2/ksef/fa2"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/farr"
	"github.com/ksef2/ksef/ident"
)

// InvoicesService retrieves invoices: one by KSeF number, metadata
// queries and exports. It needs an access token with InvoiceRead, so it
// is reachable only from an [AuthenticatedClient] (field Invoices).
// An AuthenticatedClient is logged in to one context, so its
// InvoicesService also keeps that context's count of running exports (see
// [InvoicesService.Export]).
type InvoicesService struct {
	c       *Client
	exports *exportSlots
}

func newInvoicesService(c *Client) *InvoicesService {
	return &InvoicesService{c: c, exports: newExportSlots(MaxConcurrentExports)}
}

// Sentinel errors of invoice download, matched with errors.Is (the
// *[APIError] is wrapped too, for errors.As).
var (
	// ErrInvoiceNotFound: KSeF knows no invoice with this KSeF number in
	// the logged-in context (21164).
	ErrInvoiceNotFound = errors.New("ksef: invoice not found (21164)")
	// ErrInvoiceNotYetAvailable: the invoice was accepted but is not yet
	// available for download (21165); [InvoicesService.WaitDownload]
	// retries.
	ErrInvoiceNotYetAvailable = errors.New("ksef: invoice not yet available for download (21165)")
)

// Download downloads one invoice (its XML, exactly as sent) by KSeF number
// and checks it against the x-ms-meta-hash KSeF sends with it
// ([ErrHashMismatch] otherwise). An unknown number gives
// [ErrInvoiceNotFound], a just-accepted one [ErrInvoiceNotYetAvailable].
// The number is checked locally first (format and CRC-8). KSeF limits
// downloads to 8/16/64 per second/minute/hour: use exports for bulk.
// [ParseInvoice] reads the XML into the fa3, fa2 or farr model.
//
// KSeF API: GET /invoices/ksef/{ksefNumber}
func (s *InvoicesService) Download(ctx context.Context, ksefNumber string) ([]byte, error) {
	if _, err := ident.ParseKSeFNumber(ksefNumber); err != nil {
		return nil, fmt.Errorf("ksef: Invoices.Download: %w", err)
	}
	r := &request{op: OpInvoiceDownload, pathArgs: []string{ksefNumber}, accept: "application/xml"}
	resp, err := s.c.do(ctx, r)
	switch {
	case IsCode(err, CodeInvoiceNotFound):
		return nil, fmt.Errorf("%w: %w", ErrInvoiceNotFound, err)
	case IsCode(err, CodeInvoiceNotYetAvailable):
		return nil, fmt.Errorf("%w: %w", ErrInvoiceNotYetAvailable, err)
	case err != nil:
		return nil, err
	}
	if resp.header.Get("x-ms-meta-hash") == "" {
		return nil, fmt.Errorf("%w (header missing)", ErrHashMismatch)
	}
	if err := checkMetaHash(resp.header, resp.raw); err != nil {
		return nil, err
	}
	return resp.raw, nil
}

// WaitDownload is [InvoicesService.Download] that waits while KSeF
// answers 21165 (accepted, not yet available), polling as the other
// waiters do; every other error ends the wait at once. The wait is bounded
// by opts.Timeout (default [DefaultWaitTimeout]) and ctx.
func (s *InvoicesService) WaitDownload(ctx context.Context, ksefNumber string, opts *WaitOptions) ([]byte, error) {
	var doc []byte
	err := poll(ctx, "invoice "+ksefNumber, opts, s.c.cfg.retry.MaxDelay, func(ctx context.Context) (bool, string, error) {
		d, err := s.Download(ctx, ksefNumber)
		if errors.Is(err, ErrInvoiceNotYetAvailable) {
			return false, "21165", nil
		}
		if err != nil {
			return false, "", err
		}
		doc = d
		return true, "200", nil
	})
	return doc, err
}

// InvoiceForm is the structure of an invoice document, read from the
// namespace of its root element.
type InvoiceForm string

// The invoice structures [ParseInvoice] recognises.
const (
	InvoiceFormFA3  InvoiceForm = "FA (3)"
	InvoiceFormFA2  InvoiceForm = "FA (2)"
	InvoiceFormFARR InvoiceForm = "FA_RR (1)"
	InvoiceFormPEF  InvoiceForm = "PEF (3)"
)

// ParsedInvoice is an invoice read into its typed model: exactly one of
// FA3, FA2 and FARR is set (none for PEF, whose UBL document is left as
// XML).
type ParsedInvoice struct {
	// Form is the structure, from the root element's namespace.
	Form InvoiceForm
	// FA3 is set for FA(3) invoices.
	FA3 *fa3.Faktura
	// FA2 is set for FA(2) invoices.
	FA2 *fa2.Faktura
	// FARR is set for FA_RR(1) invoices.
	FARR *farr.Faktura
}

// PEF (UBL) namespaces.
const (
	ublInvoiceNS    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	ublCreditNoteNS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
)

// ParseInvoice reads an invoice XML (e.g. from [InvoicesService.Download]
// or an export) into the model its root element's namespace names: FA(3),
// FA(2) or FA_RR(1); a PEF (UBL) document is recognised but not parsed.
func ParseInvoice(doc []byte) (*ParsedInvoice, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("ksef: ParseInvoice: no root element: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Space {
		case fa3.Namespace:
			f, err := fa3.Parse(doc)
			if err != nil {
				return nil, fmt.Errorf("ksef: ParseInvoice: %w", err)
			}
			return &ParsedInvoice{Form: InvoiceFormFA3, FA3: f}, nil
		case fa2.Namespace:
			f, err := fa2.Parse(doc)
			if err != nil {
				return nil, fmt.Errorf("ksef: ParseInvoice: %w", err)
			}
			return &ParsedInvoice{Form: InvoiceFormFA2, FA2: f}, nil
		case farr.Namespace:
			f, err := farr.Parse(doc)
			if err != nil {
				return nil, fmt.Errorf("ksef: ParseInvoice: %w", err)
			}
			return &ParsedInvoice{Form: InvoiceFormFARR, FARR: f}, nil
		case ublInvoiceNS, ublCreditNoteNS:
			return &ParsedInvoice{Form: InvoiceFormPEF}, nil
		}
		return nil, fmt.Errorf("ksef: ParseInvoice: unknown invoice namespace %q", SanitizeText(se.Name.Space))
	}
}

// MetadataQuery is the input of [InvoicesService.QueryMetadata]: the
// filters (the body) and the paging and sorting of the query string.
type MetadataQuery struct {
	// Filters select the invoices; SubjectType and DateRange (DateType,
	// From) are required. The range may span at most 100 days (UTC).
	Filters InvoiceQueryFilters
	// SortOrder is Asc (default) or Desc, by the filter's date.
	SortOrder SortOrder
	// PageSize is 10-250 (0: KSeF's default of 10).
	PageSize int
	// PageOffset is the page index (0 = first).
	PageOffset int
}

// MaxQueryRange is the longest date range of a metadata query or export
// filter (API 2.8.1: 100 days, counted in UTC).
const MaxQueryRange = 100 * 24 * time.Hour

// MaxQueryRecords is the number of records KSeF returns for one filter
// set at most; beyond it a response says isTruncated.
const MaxQueryRecords = 10000

// ValidateFilters checks what KSeF's spec requires of invoice query
// filters (shared by metadata queries and exports) before any request:
// subject type, date type, From set, To not before From, a range of at
// most 100 days in UTC, amount and buyer identifier types, the seller NIP
// and KSeF number formats.
func ValidateFilters(f *InvoiceQueryFilters) error {
	if f == nil {
		return errors.New("ksef: invoice filters: nil")
	}
	switch f.SubjectType {
	case InvoiceQuerySubjectTypeSubject1, InvoiceQuerySubjectTypeSubject2, InvoiceQuerySubjectTypeSubject3, InvoiceQuerySubjectTypeSubjectAuthorized:
	default:
		return fmt.Errorf("ksef: invoice filters: subjectType must be Subject1, Subject2, Subject3 or SubjectAuthorized, got %q", f.SubjectType)
	}
	dr := f.DateRange
	switch dr.DateType {
	case InvoiceQueryDateTypeIssue, InvoiceQueryDateTypeInvoicing, InvoiceQueryDateTypePermanentStorage:
	default:
		return fmt.Errorf("ksef: invoice filters: dateRange.dateType must be Issue, Invoicing or PermanentStorage, got %q", dr.DateType)
	}
	if dr.From.IsZero() {
		return errors.New("ksef: invoice filters: dateRange.from is required")
	}
	to := time.Now()
	if dr.To != nil {
		to = *dr.To
		if to.Before(dr.From) {
			return errors.New("ksef: invoice filters: dateRange.to is before dateRange.from")
		}
	}
	if to.UTC().Sub(dr.From.UTC()) > MaxQueryRange {
		return fmt.Errorf("ksef: invoice filters: the date range %s..%s exceeds 100 days (UTC)", dr.From.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	if f.Amount != nil {
		switch f.Amount.Type {
		case AmountTypeBrutto, AmountTypeNetto, AmountTypeVat:
		default:
			return fmt.Errorf("ksef: invoice filters: amount.type must be Brutto, Netto or Vat, got %q", f.Amount.Type)
		}
		if f.Amount.From != nil && f.Amount.To != nil && *f.Amount.From > *f.Amount.To {
			return errors.New("ksef: invoice filters: amount.from is greater than amount.to")
		}
	}
	if b := f.BuyerIdentifier; b != nil {
		switch b.Type {
		case "Nip", "VatUe", "Other", "None":
		default:
			return fmt.Errorf("ksef: invoice filters: buyerIdentifier.type must be Nip, VatUe, Other or None, got %q", b.Type)
		}
		if b.Type == "Nip" && b.Value != "" {
			if err := ident.NIP(b.Value).Validate(); err != nil {
				return fmt.Errorf("ksef: invoice filters: buyerIdentifier: %w", err)
			}
		}
	}
	if f.SellerNip != "" {
		if err := ident.NIP(f.SellerNip).Validate(); err != nil {
			return fmt.Errorf("ksef: invoice filters: sellerNip: %w", err)
		}
	}
	if f.KSeFNumber != "" {
		if _, err := ident.ParseKSeFNumber(f.KSeFNumber); err != nil {
			return fmt.Errorf("ksef: invoice filters: ksefNumber: %w", err)
		}
	}
	if len(f.InvoiceNumber) > 256 {
		return errors.New("ksef: invoice filters: invoiceNumber longer than 256 characters")
	}
	return nil
}

func (q *MetadataQuery) validate() error {
	if q == nil {
		return errors.New("ksef: Invoices.QueryMetadata: nil query")
	}
	if q.PageSize != 0 && (q.PageSize < 10 || q.PageSize > 250) {
		return fmt.Errorf("ksef: Invoices.QueryMetadata: page size must be 10-250, got %d", q.PageSize)
	}
	if q.PageOffset < 0 {
		return fmt.Errorf("ksef: Invoices.QueryMetadata: negative page offset %d", q.PageOffset)
	}
	switch q.SortOrder {
	case "", SortOrderAsc, SortOrderDesc:
	default:
		return fmt.Errorf("ksef: Invoices.QueryMetadata: sort order must be Asc or Desc, got %q", q.SortOrder)
	}
	return ValidateFilters(&q.Filters)
}

// QueryMetadata returns one page of the metadata of the invoices matching
// q.Filters, after checking them locally ([ValidateFilters], page size
// 10-250). KSeF returns at most 10,000 records for one filter set; see
// [InvoicesService.QueryMetadataAll] for an iterator that moves the window
// past that cap. KSeF limits this call to 8/16/20 per second/minute/hour.
//
// KSeF API: POST /invoices/query/metadata
func (s *InvoicesService) QueryMetadata(ctx context.Context, q *MetadataQuery) (*QueryInvoicesMetadataResponse, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	v := url.Values{}
	if q.SortOrder != "" {
		v.Set("sortOrder", string(q.SortOrder))
	}
	if q.PageOffset > 0 {
		v.Set("pageOffset", strconv.Itoa(q.PageOffset))
	}
	if q.PageSize > 0 {
		v.Set("pageSize", strconv.Itoa(q.PageSize))
	}
	f := q.Filters
	f.DateRange.From = f.DateRange.From.UTC()
	if f.DateRange.To != nil {
		to := f.DateRange.To.UTC()
		f.DateRange.To = &to
	}
	return call[QueryInvoicesMetadataResponse](ctx, s.c, &request{op: OpInvoicesQueryMetadata, query: v, body: &f})
}

// ErrQueryStuck is returned by [InvoicesService.QueryMetadataAll] when a
// window truncated at 10,000 records cannot move: more than 10,000
// invoices share one date.
var ErrQueryStuck = errors.New("ksef: metadata query cannot advance: more than 10,000 invoices share one date")

// QueryMetadataAll iterates over the metadata of every invoice matching
// q.Filters, each once: it follows hasMore page by page and, when KSeF
// truncates the result at 10,000 records (isTruncated), moves the date
// window to the last record's date (From for Asc, To for Desc), starts
// again at page 0 and drops the records of that date it already yielded.
// Memory stays constant: only the KSeF numbers of the boundary date are
// remembered. On error it yields it once and stops.
func (s *InvoicesService) QueryMetadataAll(ctx context.Context, q *MetadataQuery) iter.Seq2[InvoiceMetadata, error] {
	return func(yield func(InvoiceMetadata, error) bool) {
		if q == nil {
			yield(InvoiceMetadata{}, errors.New("ksef: Invoices.QueryMetadataAll: nil query"))
			return
		}
		p := *q
		if p.PageSize == 0 {
			p.PageSize = 250
		}
		desc := p.SortOrder == SortOrderDesc
		key := metadataDate(p.Filters.DateRange.DateType)
		var boundary time.Time
		seen := map[string]bool{} // KSeF numbers yielded at the boundary date
		for {
			page, err := s.QueryMetadata(ctx, &p)
			if err != nil {
				yield(InvoiceMetadata{}, err)
				return
			}
			for _, md := range page.Invoices {
				d := key(&md)
				if seen[md.KSeFNumber] {
					continue
				}
				if !d.Equal(boundary) {
					boundary = d
					clear(seen)
				}
				seen[md.KSeFNumber] = true
				if !yield(md, nil) {
					return
				}
			}
			switch {
			case !page.HasMore || len(page.Invoices) == 0:
				return
			case !page.IsTruncated:
				p.PageOffset++
				continue
			}
			// Truncated: move the window to the last record's date.
			last := key(&page.Invoices[len(page.Invoices)-1])
			f := p.Filters.DateRange
			if desc {
				if f.To != nil && !last.Before(*f.To) {
					yield(InvoiceMetadata{}, ErrQueryStuck)
					return
				}
				f.To = &last
			} else {
				if !last.After(f.From) {
					yield(InvoiceMetadata{}, ErrQueryStuck)
					return
				}
				f.From = last
			}
			p.Filters.DateRange = f
			p.PageOffset = 0
		}
	}
}

// metadataDate returns the date of a metadata record that a filter's date
// type sorts by.
func metadataDate(dt InvoiceQueryDateType) func(*InvoiceMetadata) time.Time {
	switch dt {
	case InvoiceQueryDateTypeIssue:
		return func(md *InvoiceMetadata) time.Time {
			t, _ := time.Parse(time.DateOnly, md.IssueDate)
			return t
		}
	case InvoiceQueryDateTypeInvoicing:
		return func(md *InvoiceMetadata) time.Time { return md.InvoicingDate }
	}
	return func(md *InvoiceMetadata) time.Time { return md.PermanentStorageDate }
}
