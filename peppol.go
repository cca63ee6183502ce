package ksef

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// PeppolService lists the Peppol service providers registered in KSeF (a
// public operation).
type PeppolService service

// PeppolPage are the paging inputs of [PeppolService.Providers].
type PeppolPage struct {
	// PageSize is the page size (10-100; 0 = server default of 10).
	PageSize int
	// PageOffset is the page number, from 0.
	PageOffset int
}

// Providers returns one page of the Peppol providers. See
// [PeppolService.ProvidersAll] for an iterator.
//
// KSeF API: GET /peppol/query
func (s *PeppolService) Providers(ctx context.Context, p *PeppolPage) (*QueryPeppolProvidersResponse, error) {
	r := &request{op: OpPeppolQuery}
	if p != nil {
		if p.PageSize != 0 && (p.PageSize < 10 || p.PageSize > 100) {
			return nil, fmt.Errorf("ksef: Peppol.Providers: page size must be 10-100, got %d", p.PageSize)
		}
		q := url.Values{}
		if p.PageSize > 0 {
			q.Set("pageSize", strconv.Itoa(p.PageSize))
		}
		if p.PageOffset > 0 {
			q.Set("pageOffset", strconv.Itoa(p.PageOffset))
		}
		if len(q) > 0 {
			r.query = q
		}
	}
	return call[QueryPeppolProvidersResponse](ctx, s.c, r)
}

// ProvidersAll iterates over every Peppol provider, page by page. On error
// it yields it once and stops.
func (s *PeppolService) ProvidersAll(ctx context.Context, p *PeppolPage) iter.Seq2[PeppolProvider, error] {
	var params PeppolPage
	if p != nil {
		params = *p
	}
	return pagesByOffset(ctx, params.PageOffset, func(ctx context.Context, offset int) ([]PeppolProvider, bool, error) {
		q := params
		q.PageOffset = offset
		page, err := s.Providers(ctx, &q)
		if err != nil {
			return nil, false, err
		}
		return page.PeppolProviders, page.HasMore, nil
	})
}
