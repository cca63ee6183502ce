package ksef

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
