package ksef

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// TokensService manages KSeF tokens: long-lived credentials for
// [AuthService.LoginWithToken], generated in an authenticated session.
type TokensService service

// ErrTokenNotActive is matched by the error of [TokensService.WaitActive]
// when the token ends in the Failed, Revoking or Revoked state.
var ErrTokenNotActive = errors.New("ksef: KSeF token is not active")

// Generate creates a KSeF token with the given permissions (in a Nip or
// InternalId context only). The token value is returned only here.
//
// KSeF API: POST /tokens
func (s *TokensService) Generate(ctx context.Context, req *GenerateTokenRequest) (*GenerateTokenResponse, error) {
	if req == nil {
		return nil, errors.New("ksef: Tokens.Generate: nil request")
	}
	if n := len([]rune(req.Description)); n < 5 || n > 256 {
		return nil, fmt.Errorf("ksef: Tokens.Generate: description must have 5-256 characters, has %d", n)
	}
	if len(req.Permissions) == 0 {
		return nil, errors.New("ksef: Tokens.Generate: no permissions")
	}
	return call[GenerateTokenResponse](ctx, s.c, &request{op: OpTokenGenerate, body: req})
}

// Status returns the state and metadata of a KSeF token.
//
// KSeF API: GET /tokens/{referenceNumber}
func (s *TokensService) Status(ctx context.Context, referenceNumber string) (*TokenStatusResponse, error) {
	return call[TokenStatusResponse](ctx, s.c, &request{op: OpTokenStatus, pathArgs: []string{referenceNumber}})
}

// WaitActive polls the token until it leaves the Pending state. It returns
// the status when the token is Active, and an error matching
// [ErrTokenNotActive] for any other final state. The wait is bounded by
// opts.Timeout (default [DefaultWaitTimeout], then a *[WaitTimeoutError])
// and by ctx.
func (s *TokensService) WaitActive(ctx context.Context, referenceNumber string, opts *WaitOptions) (*TokenStatusResponse, error) {
	var last *TokenStatusResponse
	err := poll(ctx, "KSeF token "+referenceNumber+" to leave Pending", opts, s.c.cfg.retry.MaxDelay, func(ctx context.Context) (bool, string, error) {
		st, err := s.Status(ctx, referenceNumber)
		if err != nil {
			return false, "", err
		}
		last = st
		return st.Status != TokenPending, string(st.Status), nil
	})
	if err != nil {
		return nil, err
	}
	if last.Status != TokenActive {
		msg := string(last.Status)
		if len(last.StatusDetails) > 0 {
			msg += " (" + strings.Join(last.StatusDetails, "; ") + ")"
		}
		return last, fmt.Errorf("%w: token %s is %s", ErrTokenNotActive, SanitizeText(referenceNumber), SanitizeText(msg))
	}
	return last, nil
}

// ListTokensParams are the optional filters of [TokensService.List].
type ListTokensParams struct {
	// Statuses keeps tokens in one of these states (none: all).
	Statuses []AuthenticationTokenStatus
	// Description keeps tokens whose description contains it (case
	// insensitive, at least 3 characters).
	Description string
	// AuthorIdentifier keeps tokens whose author's identifier contains it
	// (case insensitive, at least 3 characters); AuthorIdentifierType says
	// which kind of identifier is searched.
	AuthorIdentifier     string
	AuthorIdentifierType TokenAuthorIdentifierType
	// PageSize is the page size (10-100; 0 = server default).
	PageSize int
	// ContinuationToken fetches the page after the one that returned it.
	ContinuationToken string
}

// List returns one page of the KSeF tokens of the context the caller may
// see (newest first): with CredentialsManage or CredentialsRead all of
// them, otherwise those the caller generated (or, when authenticated with
// a KSeF token, that token). See [TokensService.ListAll] for an iterator.
//
// KSeF API: GET /tokens
func (s *TokensService) List(ctx context.Context, p *ListTokensParams) (*QueryTokensResponse, error) {
	r := &request{op: OpTokensList}
	if p != nil {
		if p.PageSize != 0 && (p.PageSize < 10 || p.PageSize > 100) {
			return nil, fmt.Errorf("ksef: Tokens.List: page size must be 10-100, got %d", p.PageSize)
		}
		if p.Description != "" && utf8.RuneCountInString(p.Description) < 3 {
			return nil, errors.New("ksef: Tokens.List: description filter needs at least 3 characters")
		}
		if p.AuthorIdentifier != "" && utf8.RuneCountInString(p.AuthorIdentifier) < 3 {
			return nil, errors.New("ksef: Tokens.List: author identifier filter needs at least 3 characters")
		}
		q := url.Values{}
		for _, st := range p.Statuses {
			q.Add("status", string(st))
		}
		if p.Description != "" {
			q.Set("description", p.Description)
		}
		if p.AuthorIdentifier != "" {
			q.Set("authorIdentifier", p.AuthorIdentifier)
		}
		if p.AuthorIdentifierType != "" {
			q.Set("authorIdentifierType", string(p.AuthorIdentifierType))
		}
		if p.PageSize > 0 {
			q.Set("pageSize", strconv.Itoa(p.PageSize))
		}
		if len(q) > 0 {
			r.query = q
		}
		if p.ContinuationToken != "" {
			r.header = http.Header{"X-Continuation-Token": {p.ContinuationToken}}
		}
	}
	return call[QueryTokensResponse](ctx, s.c, r)
}

// ListAll iterates over every token [TokensService.List] finds, following
// continuation tokens. On error it yields it once and stops.
func (s *TokensService) ListAll(ctx context.Context, p *ListTokensParams) iter.Seq2[QueryTokensResponseItem, error] {
	var params ListTokensParams
	if p != nil {
		params = *p
		params.Statuses = slices.Clone(p.Statuses)
	}
	return pagesByToken(ctx, params.ContinuationToken, func(ctx context.Context, token string) ([]QueryTokensResponseItem, string, error) {
		p := params
		p.ContinuationToken = token
		page, err := s.List(ctx, &p)
		if err != nil {
			return nil, "", err
		}
		return page.Tokens, page.ContinuationToken, nil
	})
}

// Revoke revokes a KSeF token: it stops authenticating at once. With
// CredentialsManage any token of the context may be revoked, otherwise
// only the caller's own (or the token the caller authenticated with).
//
// KSeF API: DELETE /tokens/{referenceNumber}
func (s *TokensService) Revoke(ctx context.Context, referenceNumber string) error {
	_, err := s.c.do(ctx, &request{op: OpTokenRevoke, pathArgs: []string{referenceNumber}})
	return err
}
