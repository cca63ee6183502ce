package ksef

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// AuthSessionsService lists and revokes the authentication sessions of the
// logged-in context. It needs an access token, so it is reachable only
// from an [AuthenticatedClient] (field AuthSessions).
type AuthSessionsService service

// ListSessionsParams are the optional inputs of [AuthSessionsService.List].
type ListSessionsParams struct {
	// PageSize is the page size (10-100; 0 = server default).
	PageSize int
	// ContinuationToken fetches the page after the one that returned it.
	ContinuationToken string
}

// List returns one page of the active authentication sessions of the
// context. See [AuthSessionsService.ListAll] for an iterator.
//
// KSeF API: GET /auth/sessions
func (s *AuthSessionsService) List(ctx context.Context, p *ListSessionsParams) (*AuthenticationListResponse, error) {
	r := &request{op: OpAuthSessionsList}
	if p != nil && p.PageSize != 0 && (p.PageSize < 10 || p.PageSize > 100) {
		return nil, fmt.Errorf("ksef: AuthSessions.List: page size must be 10-100, got %d", p.PageSize)
	}
	if p != nil {
		if p.PageSize > 0 {
			r.query = url.Values{"pageSize": {strconv.Itoa(p.PageSize)}}
		}
		if p.ContinuationToken != "" {
			r.header = http.Header{"X-Continuation-Token": {p.ContinuationToken}}
		}
	}
	return call[AuthenticationListResponse](ctx, s.c, r)
}

// ListAll iterates over all active authentication sessions,
// following continuation tokens. On error it yields it once and stops.
func (s *AuthSessionsService) ListAll(ctx context.Context, p *ListSessionsParams) iter.Seq2[AuthenticationListItem, error] {
	var params ListSessionsParams
	if p != nil {
		params = *p
	}
	return pagesByToken(ctx, params.ContinuationToken, func(ctx context.Context, token string) ([]AuthenticationListItem, string, error) {
		p := params
		p.ContinuationToken = token
		page, err := s.List(ctx, &p)
		if err != nil {
			return nil, "", err
		}
		return page.Items, page.ContinuationToken, nil
	})
}

// RevokeCurrent revokes the authentication session of the token in
// use: its refresh token stops working, access tokens live until expiry.
//
// KSeF API: DELETE /auth/sessions/current
func (s *AuthSessionsService) RevokeCurrent(ctx context.Context) error {
	_, err := s.c.do(ctx, &request{op: OpAuthSessionRevokeCurrent})
	return err
}

// Revoke revokes the authentication session with the given
// reference number.
//
// KSeF API: DELETE /auth/sessions/{referenceNumber}
func (s *AuthSessionsService) Revoke(ctx context.Context, referenceNumber string) error {
	_, err := s.c.do(ctx, &request{op: OpAuthSessionRevoke, pathArgs: []string{referenceNumber}})
	return err
}
