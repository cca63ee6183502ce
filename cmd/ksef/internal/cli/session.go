package cli

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/profile"
)

// Session is the authenticated client of a stored profile. A renewed
// access token is written back to the profile as soon as the client
// renews it.
type Session struct {
	// Name is the profile's name.
	Name string
	// Profile is the stored profile; its access token follows renewals.
	Profile *profile.Profile
	// Client is the authenticated client resumed from the profile's tokens.
	Client *ksef.AuthenticatedClient

	store     *profile.Store
	mu        sync.Mutex
	refreshed bool
	saveErr   error
}

// Session returns the authenticated client of the current profile (--profile),
// built on first use. It fails unless the profile holds a refresh token, or
// when --env or --base-url name another server than the profile's.
func (f *Factory) Session() (*Session, error) {
	if f.session != nil {
		return f.session, nil
	}
	store, p, err := f.CurrentProfile()
	if err != nil {
		return nil, err
	}
	if p.RefreshToken == "" {
		return nil, fmt.Errorf("profile %q is not logged in: log in again with %s", f.Flags.Profile, profile.LoginHint(f.Flags.Profile))
	}
	return f.Resume(store, p)
}

// Resume is [Factory.Session] for the current profile p read from store,
// without the check for a refresh token (logout revokes whatever the
// profile holds).
func (f *Factory) Resume(store *profile.Store, p *profile.Profile) (*Session, error) {
	if f.session != nil {
		return f.session, nil
	}
	name := f.Flags.Profile
	env, err := ksef.ParseEnvironment(p.Environment)
	if err != nil {
		env = ksef.Test
	}
	opts := []ksef.Option{ksef.WithEnvironment(env), ksef.WithLogger(f.Logger())}
	if p.BaseURL != "" {
		opts = append(opts, ksef.WithBaseURL(p.BaseURL))
	}
	c, err := ksef.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("profile %q: %w", name, err)
	}
	// The tokens belong to the server that issued them: an explicit
	// --env or --base-url must name the same one.
	if f.Flags.EnvChanged || f.Flags.BaseURLChanged {
		want := f.Environment().BaseURL()
		if f.Flags.BaseURLChanged {
			want = f.Flags.BaseURL
		}
		if strings.TrimRight(want, "/") != c.BaseURL() {
			return nil, fmt.Errorf("profile %q is logged in to %s, not %s: log in again to switch (or use another --profile)",
				name, c.BaseURL(), want)
		}
	}
	s := &Session{Name: name, Profile: p, store: store}
	s.Client = c.Auth.Resume(
		ksef.TokenInfo{Token: ksef.Secret(p.AccessToken), ValidUntil: p.AccessValidUntil},
		ksef.TokenInfo{Token: ksef.Secret(p.RefreshToken), ValidUntil: p.RefreshValidUntil},
	)
	s.Client.TokenManager().OnRefresh = s.saveAccess
	f.session = s
	return s, nil
}

// saveAccess stores a renewed access token in the profile.
func (s *Session) saveAccess(access ksef.TokenInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshed = true
	s.Profile.AccessToken, s.Profile.AccessValidUntil = access.Token.Reveal(), access.ValidUntil
	if err := s.store.Put(s.Name, s.Profile); err != nil {
		s.saveErr = err
	}
}

// Refreshed reports whether the access token was renewed, and the error of
// storing it, if any.
func (s *Session) Refreshed() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshed, s.saveErr
}

// Close ends the command run: it returns the error of storing a renewed
// access token, if the session had one. The root command calls it after
// every command.
func (f *Factory) Close() error {
	if f.session == nil {
		return nil
	}
	if _, err := f.session.Refreshed(); err != nil {
		return fmt.Errorf("the access token was renewed, but cannot be stored: %w", err)
	}
	return nil
}

// SessionGone reports whether err says that the authentication session
// has expired or was revoked: 401, an expired refresh token, or KSeF's
// 21301/21304 refusal to refresh the token of a revoked session.
func SessionGone(err error) bool {
	return errors.Is(err, ksef.ErrRefreshExpired) || errors.Is(err, ksef.ErrUnauthorized) ||
		ksef.IsCode(err, ksef.CodeNotAuthorized) || ksef.IsCode(err, ksef.CodeNotAuthenticated)
}

// RefreshError explains an error of a call made with a stored session: an
// expired or revoked session is told to log in again.
func RefreshError(err error) error {
	if SessionGone(err) {
		return fmt.Errorf("the session has expired or was revoked; log in again: %w", err)
	}
	return err
}
