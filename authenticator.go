package ksef

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Authenticator supplies the access token of an authenticated client.
// Implementations must be safe for concurrent use.
type Authenticator interface {
	// AccessToken returns a token valid for the next request, refreshing
	// it first when it is about to expire.
	AccessToken(ctx context.Context) (Secret, error)
	// Refresh is called once when KSeF rejected token with 401; it returns
	// a new token (or the current one if another goroutine already
	// refreshed it).
	Refresh(ctx context.Context, rejected Secret) (Secret, error)
}

// ErrRefreshExpired is returned when the access token cannot be renewed
// because the refresh token has expired (after at most 7 days); log in
// again.
var ErrRefreshExpired = errors.New("ksef: refresh token expired; log in again")

// StaticToken is an [Authenticator] for an access token obtained elsewhere.
// It cannot be refreshed.
type StaticToken Secret

// AccessToken returns the token.
func (t StaticToken) AccessToken(context.Context) (Secret, error) { return Secret(t), nil }

// Refresh fails: a static token cannot be renewed.
func (t StaticToken) Refresh(context.Context, Secret) (Secret, error) {
	return "", errors.New("ksef: a static access token cannot be refreshed")
}

// String returns "REDACTED".
func (t StaticToken) String() string { return Secret(t).String() }

// defaultRefreshSkew is how long before expiry the access token is renewed.
const defaultRefreshSkew = 60 * time.Second

// TokenManager is the [Authenticator] of a logged-in client: it holds the
// access and refresh tokens, renews the access token with
// POST /auth/token/refresh shortly before it expires (and once after a 401),
// and lets only one renewal run at a time. It is safe for concurrent use.
type TokenManager struct {
	c    *Client // unauthenticated client used for refreshes
	skew time.Duration

	mu       sync.Mutex
	access   TokenInfo
	obtained time.Time // when access was obtained
	refresh  TokenInfo
	inflight chan struct{} // closed when the running refresh ends
	lastErr  error         // result of the last refresh, for waiters

	// OnRefresh, when set before use, is called (under no lock) with the
	// new access token after each renewal, e.g. to persist it.
	OnRefresh func(access TokenInfo)
}

// NewTokenManager returns a TokenManager for tokens issued by KSeF to the
// client c (for example restored from storage). access may be zero; it is
// then obtained from refresh on first use.
func NewTokenManager(c *Client, access, refresh TokenInfo) *TokenManager {
	base := c
	if c.cfg.auth != nil {
		base = c.withAuth(nil)
	}
	return &TokenManager{c: base, skew: defaultRefreshSkew, access: access, obtained: time.Now(), refresh: refresh}
}

// Tokens returns the current access and refresh tokens (for example to
// store them and resume later with [AuthService.Resume]).
func (m *TokenManager) Tokens() (access, refresh TokenInfo) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.access, m.refresh
}

// AccessToken returns the current access token, renewing it first when it
// expires within a minute.
func (m *TokenManager) AccessToken(ctx context.Context) (Secret, error) {
	m.mu.Lock()
	if m.access.Token != "" && time.Now().Add(m.skewLocked()).Before(m.access.ValidUntil) {
		t := m.access.Token
		m.mu.Unlock()
		return t, nil
	}
	return m.renewedLocked(ctx)
}

// Refresh renews the access token after KSeF rejected rejected with 401,
// unless another caller has already replaced it.
func (m *TokenManager) Refresh(ctx context.Context, rejected Secret) (Secret, error) {
	m.mu.Lock()
	if m.access.Token != rejected && m.access.Token != "" && m.inflight == nil {
		t := m.access.Token
		m.mu.Unlock()
		return t, nil
	}
	return m.renewedLocked(ctx)
}

// skewLocked is how long before expiry the access token is renewed: a
// minute, or a fifth of the token's lifetime when that is shorter.
func (m *TokenManager) skewLocked() time.Duration {
	life := m.access.ValidUntil.Sub(m.obtained)
	if life > 0 && life/5 < m.skew {
		return life / 5
	}
	return m.skew
}

// renewedLocked is called with m.mu held and returns with it released: it
// renews the access token (see renewLocked) and returns the new one.
func (m *TokenManager) renewedLocked(ctx context.Context) (Secret, error) {
	if err := m.renewLocked(ctx); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.access.Token, nil
}

// renewLocked is called with m.mu held and returns with it released. It
// starts a renewal or waits for the running one.
func (m *TokenManager) renewLocked(ctx context.Context) error {
	if ch := m.inflight; ch != nil {
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		m.mu.Lock()
		err := m.lastErr
		m.mu.Unlock()
		return err
	}
	refresh := m.refresh
	if refresh.Token == "" || !time.Now().Before(refresh.ValidUntil) {
		m.mu.Unlock()
		return ErrRefreshExpired
	}
	ch := make(chan struct{})
	m.inflight = ch
	m.mu.Unlock()

	// The refresh must not be cut short by one caller's context ending
	// while others wait for it, so it gets its own bounded context.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	res, err := m.c.Auth.Refresh(rctx, refresh.Token)
	cancel()

	m.mu.Lock()
	if err == nil {
		m.access = res.AccessToken
		m.obtained = time.Now()
	} else {
		err = fmt.Errorf("ksef: refresh access token: %w", err)
	}
	m.lastErr = err
	m.inflight = nil
	hook := m.OnRefresh
	m.mu.Unlock()
	close(ch)
	if err == nil && hook != nil {
		hook(res.AccessToken)
	}
	return err
}

// AuthenticatedClient is a [Client] whose requests carry an access token
// managed by a [TokenManager] (or another [Authenticator]). The services
// of the embedded Client (Auth, PublicKeys, TestData) are available on it,
// and so are the services that need an access token, which the
// unauthenticated *Client does not have at all: calling them without a
// login is a compile-time error, not a 401 at run time.
//
//	c, _ := ksef.NewClient()                       // c.Auth, c.PublicKeys, c.TestData
//	a, _ := c.Auth.LoginWithCertificate(ctx, ...)  // also a.Tokens, a.AuthSessions
type AuthenticatedClient struct {
	*Client
	// Tokens manages KSeF tokens.
	Tokens *TokensService
	// AuthSessions lists and revokes authentication sessions.
	AuthSessions *AuthSessionsService
	// Sessions opens online sessions, sends invoices, and reads session
	// and invoice statuses and UPOs.
	Sessions *SessionsService
	// Invoices downloads invoices, queries their metadata and exports
	// them.
	Invoices *InvoicesService

	// ReferenceNumber identifies the authentication operation (empty for a
	// client resumed from stored tokens).
	ReferenceNumber string
	// Context is the context logged in to (zero for a client resumed from
	// stored tokens).
	Context ContextIdentifier
	tm      *TokenManager
}

// TokenManager returns the manager of the client's tokens.
func (a *AuthenticatedClient) TokenManager() *TokenManager { return a.tm }

// Logout revokes the current authentication session: the refresh token
// stops working at once, access tokens at their expiry.
func (a *AuthenticatedClient) Logout(ctx context.Context) error {
	return a.AuthSessions.RevokeCurrent(ctx)
}

// Resume returns an authenticated client from stored tokens without any
// network call. access may be zero (it is then renewed from refresh on
// first use).
func (s *AuthService) Resume(access, refresh TokenInfo) *AuthenticatedClient {
	tm := NewTokenManager(s.c, access, refresh)
	a := newAuthenticatedClient(s.c.withAuth(tm))
	a.tm = tm
	return a
}

// ResumeWith returns an authenticated client whose requests are authorised
// by a, e.g. a [StaticToken] or an Authenticator that shares tokens
// between processes. Its TokenManager method returns nil.
func (s *AuthService) ResumeWith(a Authenticator) *AuthenticatedClient {
	return newAuthenticatedClient(s.c.withAuth(a))
}

func newAuthenticatedClient(c *Client) *AuthenticatedClient {
	return &AuthenticatedClient{
		Client:       c,
		Tokens:       &TokensService{c: c},
		AuthSessions: &AuthSessionsService{c: c},
		Sessions:     &SessionsService{c: c},
		Invoices:     newInvoicesService(c),
	}
}
