package ksef

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// CollectiveIdentifiersService creates and lists collective identifiers
// (identyfikatory zbiorcze, API 2.7.0+): one number that groups 2 or more
// invoices of one seller, e.g. to pay them with one transfer (see
// [PaymentTitle]). It is reachable from an [AuthenticatedClient] (field
// CollectiveIdentifiers).
type CollectiveIdentifiersService service

// MaxCollectiveInvoiceQuery is how many collective identifiers one
// POST /collective-identifiers/invoices may name.
const MaxCollectiveInvoiceQuery = 10

// Create generates a collective identifier for the invoices (2 or more, at
// most the context's collectiveIdentifier.maxInvoices, default 500) of one
// seller, each with an optional payment amount and description. It checks
// locally that the invoices are at least 2, their KSeF numbers valid and
// not repeated, and that they share one seller (KSeF answers 71005 and
// 71004 otherwise). Create is not repeated after an ambiguous failure:
// look the identifier up with [CollectiveIdentifiersService.ByKSeFNumber].
//
// KSeF API: POST /collective-identifiers
func (s *CollectiveIdentifiersService) Create(ctx context.Context, req *GenerateCollectiveIdentifierRequest) (*GenerateCollectiveIdentifierResponse, error) {
	if req == nil {
		return nil, errors.New("ksef: CollectiveIdentifiers.Create: nil request")
	}
	if len(req.Invoices) < 2 {
		return nil, fmt.Errorf("ksef: CollectiveIdentifiers.Create: at least 2 invoices, got %d", len(req.Invoices))
	}
	seen := map[string]bool{}
	seller := ""
	for i, inv := range req.Invoices {
		n, err := ParseKSeFNumber(inv.KSeFNumber)
		if err != nil {
			return nil, fmt.Errorf("ksef: CollectiveIdentifiers.Create: invoice %d: %w", i, err)
		}
		if seen[inv.KSeFNumber] {
			return nil, fmt.Errorf("ksef: CollectiveIdentifiers.Create: KSeF number %s repeated", inv.KSeFNumber)
		}
		seen[inv.KSeFNumber] = true
		if sn := string(n.SellerNIP()); seller == "" {
			seller = sn
		} else if sn != seller {
			return nil, fmt.Errorf("ksef: CollectiveIdentifiers.Create: invoice %s has another seller than %s", inv.KSeFNumber, seller)
		}
		if utf8.RuneCountInString(inv.Description) > 512 {
			return nil, fmt.Errorf("ksef: CollectiveIdentifiers.Create: invoice %d: description over 512 characters", i)
		}
	}
	return call[GenerateCollectiveIdentifierResponse](ctx, s.c, &request{op: OpCollectiveIdentifierCreate, body: req})
}

// CollectivePage are the paging inputs of the collective-identifier lists.
type CollectivePage struct {
	// PageSize is the page size (10-200 for the identifier lists, 10-500
	// for the invoice list; 0 = server default of 10).
	PageSize int
	// ContinuationToken fetches the page after the one that returned it.
	ContinuationToken string
}

func (p *CollectivePage) apply(r *request, name string, maxSize int) error {
	if p == nil {
		return nil
	}
	if p.PageSize != 0 && (p.PageSize < 10 || p.PageSize > maxSize) {
		return fmt.Errorf("ksef: %s: page size must be 10-%d, got %d", name, maxSize, p.PageSize)
	}
	if p.PageSize > 0 {
		r.query = url.Values{"pageSize": {strconv.Itoa(p.PageSize)}}
	}
	if p.ContinuationToken != "" {
		r.header = http.Header{"X-Continuation-Token": {p.ContinuationToken}}
	}
	return nil
}

// Query returns one page of the collective identifiers of the context
// created between filter.DateCreatedFrom and DateCreatedTo (at most 100
// days apart), newest first. See [CollectiveIdentifiersService.QueryAll].
//
// KSeF API: POST /collective-identifiers/query
func (s *CollectiveIdentifiersService) Query(ctx context.Context, filter *CollectiveIdentifiersQueryRequest, p *CollectivePage) (*CollectiveIdentifiersQueryResponse, error) {
	if filter == nil || filter.DateCreatedFrom.IsZero() || filter.DateCreatedTo.IsZero() {
		return nil, errors.New("ksef: CollectiveIdentifiers.Query: DateCreatedFrom and DateCreatedTo are required")
	}
	if filter.DateCreatedTo.Sub(filter.DateCreatedFrom) > 100*24*time.Hour {
		return nil, errors.New("ksef: CollectiveIdentifiers.Query: the date range may span at most 100 days")
	}
	r := &request{op: OpCollectiveIdentifiersQuery, body: filter}
	if err := p.apply(r, "CollectiveIdentifiers.Query", 200); err != nil {
		return nil, err
	}
	return call[CollectiveIdentifiersQueryResponse](ctx, s.c, r)
}

// QueryAll iterates over every identifier [CollectiveIdentifiersService.Query]
// finds, following continuation tokens. On error it yields it once and stops.
func (s *CollectiveIdentifiersService) QueryAll(ctx context.Context, filter *CollectiveIdentifiersQueryRequest, p *CollectivePage) iter.Seq2[CollectiveIdentifiersQueryResponseItem, error] {
	params := pageOrZero(p)
	return pagesByToken(ctx, params.ContinuationToken, func(ctx context.Context, token string) ([]CollectiveIdentifiersQueryResponseItem, string, error) {
		page, err := s.Query(ctx, filter, &CollectivePage{PageSize: params.PageSize, ContinuationToken: token})
		if err != nil {
			return nil, "", err
		}
		return page.CollectiveIdentifiers, page.ContinuationToken, nil
	})
}

// ByKSeFNumber returns one page of the collective identifiers that contain
// the invoice with the KSeF number, newest first.
//
// KSeF API: GET /collective-identifiers/ksef/{ksefNumber}
func (s *CollectiveIdentifiersService) ByKSeFNumber(ctx context.Context, ksefNumber string, p *CollectivePage) (*CollectiveIdentifiersByKsefNumberQueryResponse, error) {
	r := &request{op: OpCollectiveIdentifiersByKSeFNumber, pathArgs: []string{ksefNumber}}
	if err := p.apply(r, "CollectiveIdentifiers.ByKSeFNumber", 200); err != nil {
		return nil, err
	}
	return call[CollectiveIdentifiersByKsefNumberQueryResponse](ctx, s.c, r)
}

// ByKSeFNumberAll iterates over every identifier containing the invoice.
// On error it yields it once and stops.
func (s *CollectiveIdentifiersService) ByKSeFNumberAll(ctx context.Context, ksefNumber string, p *CollectivePage) iter.Seq2[CollectiveIdentifiersByKsefNumberQueryResponseItem, error] {
	params := pageOrZero(p)
	return pagesByToken(ctx, params.ContinuationToken, func(ctx context.Context, token string) ([]CollectiveIdentifiersByKsefNumberQueryResponseItem, string, error) {
		page, err := s.ByKSeFNumber(ctx, ksefNumber, &CollectivePage{PageSize: params.PageSize, ContinuationToken: token})
		if err != nil {
			return nil, "", err
		}
		return page.CollectiveIdentifiers, page.ContinuationToken, nil
	})
}

// Invoices returns one page of the invoices of 1 to 10 collective
// identifiers, sorted by KSeF number descending; each item names its
// identifier. Payment and description are hidden (DetailsHidden) from
// callers who may not see them. See [CollectiveIdentifiersService.InvoicesAll]
// for any number of identifiers.
//
// KSeF API: POST /collective-identifiers/invoices
func (s *CollectiveIdentifiersService) Invoices(ctx context.Context, identifiers []string, p *CollectivePage) (*CollectiveIdentifierInvoicesQueryResponse, error) {
	if len(identifiers) == 0 || len(identifiers) > MaxCollectiveInvoiceQuery {
		return nil, fmt.Errorf("ksef: CollectiveIdentifiers.Invoices: 1-%d identifiers, got %d", MaxCollectiveInvoiceQuery, len(identifiers))
	}
	r := &request{op: OpCollectiveIdentifierInvoices, body: &CollectiveIdentifierInvoicesQueryRequest{CollectiveIdentifierNumbers: identifiers}}
	if err := p.apply(r, "CollectiveIdentifiers.Invoices", 500); err != nil {
		return nil, err
	}
	return call[CollectiveIdentifierInvoicesQueryResponse](ctx, s.c, r)
}

// InvoicesAll iterates over the invoices of any number of collective
// identifiers, asking for at most 10 identifiers per request. An invoice in
// several of them appears once per identifier. On error it yields it once
// and stops.
func (s *CollectiveIdentifiersService) InvoicesAll(ctx context.Context, identifiers []string, p *CollectivePage) iter.Seq2[CollectiveIdentifierInvoicesQueryResponseItem, error] {
	params := pageOrZero(p)
	return func(yield func(CollectiveIdentifierInvoicesQueryResponseItem, error) bool) {
		if len(identifiers) == 0 {
			yield(CollectiveIdentifierInvoicesQueryResponseItem{}, errors.New("ksef: CollectiveIdentifiers.InvoicesAll: no identifiers"))
			return
		}
		for start := 0; start < len(identifiers); start += MaxCollectiveInvoiceQuery {
			chunk := identifiers[start:min(start+MaxCollectiveInvoiceQuery, len(identifiers))]
			first := ""
			if start == 0 {
				first = params.ContinuationToken
			}
			for it, err := range pagesByToken(ctx, first, func(ctx context.Context, token string) ([]CollectiveIdentifierInvoicesQueryResponseItem, string, error) {
				page, err := s.Invoices(ctx, chunk, &CollectivePage{PageSize: params.PageSize, ContinuationToken: token})
				if err != nil {
					return nil, "", err
				}
				return page.Invoices, page.ContinuationToken, nil
			}) {
				if !yield(it, err) || err != nil {
					return
				}
			}
		}
	}
}

func pageOrZero(p *CollectivePage) CollectivePage {
	if p == nil {
		return CollectivePage{}
	}
	return *p
}

// BankTitleMaxLength is the longest transfer title Polish domestic
// transfers (Elixir, Express Elixir) carry: 4 lines of 35 characters.
const BankTitleMaxLength = 140

// PaymentTitle builds a bank transfer title that pays the invoices of a
// KSeF number or of a collective identifier: the number first (it fills
// the first 35-character line, so that the bank never splits it), then
// note, shortened to fit [BankTitleMaxLength] characters in all.
// Characters a transfer title may not carry (control characters and
// symbols outside letters, digits, space and .,-/()+:;?'") become spaces.
// It fails when ref is neither a valid KSeF number nor a valid collective
// identifier.
func PaymentTitle(ref, note string) (string, error) {
	if _, err := ParseCollectiveIdentifier(ref); err != nil {
		if _, err2 := ParseKSeFNumber(ref); err2 != nil {
			return "", fmt.Errorf("ksef: PaymentTitle: %q is neither a KSeF number nor a collective identifier", SanitizeText(ref))
		}
	}
	title := ref
	clean := strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" .,-/()+:;?'\"", r) {
			return r
		}
		return ' '
	}, note)), " ")
	if clean == "" {
		return title, nil
	}
	room := BankTitleMaxLength - utf8.RuneCountInString(title) - 1
	if room <= 0 {
		return title, nil
	}
	if r := []rune(clean); len(r) > room {
		clean = strings.TrimRight(string(r[:room]), " ")
	}
	return title + " " + clean, nil
}
