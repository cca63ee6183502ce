package ksef_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ksef2/ksef"
)

// tokenServer issues access tokens "access-N" on refresh and accepts only
// the latest one on GET /tokens/{referenceNumber}.
type tokenServer struct {
	mu       sync.Mutex
	current  string
	n        int
	refresh  atomic.Int32
	lifetime time.Duration
	delay    time.Duration
}

func (s *tokenServer) install(t *testing.T, mux *http.ServeMux) {
	mux.HandleFunc("POST /auth/token/refresh", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer refresh-1" {
			w.WriteHeader(401)
			return
		}
		s.refresh.Add(1)
		time.Sleep(s.delay)
		s.mu.Lock()
		s.n++
		s.current = "access-" + string(rune('0'+s.n))
		tok := s.current
		s.mu.Unlock()
		writeJSON(w, 200, map[string]any{"accessToken": map[string]any{"token": tok, "validUntil": time.Now().Add(s.lifetime)}})
	})
	mux.HandleFunc("GET /tokens/{ref}", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		ok := s.current != "" && r.Header.Get("Authorization") == "Bearer "+s.current
		s.mu.Unlock()
		if !ok {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(401)
			w.Write([]byte(`{"title":"Unauthorized","status":401,"detail":"token expired","timestamp":"2025-01-01T00:00:00Z"}`))
			return
		}
		writeJSON(w, 200, map[string]any{"status": "Active"})
	})
}

const ref = "20250625-EE-319D7EE000-B67F415CDC-2C"

func refreshToken() ksef.TokenInfo {
	return ksef.TokenInfo{Token: "refresh-1", ValidUntil: time.Now().Add(24 * time.Hour)}
}

// TestTokenManagerRefreshesExpiredToken starts with an expired access
// token: many concurrent calls cause exactly one refresh.
func TestTokenManagerRefreshesExpiredToken(t *testing.T) {
	c, mux := clientSetup(t)
	srv := &tokenServer{lifetime: 15 * time.Minute, delay: 20 * time.Millisecond}
	srv.install(t, mux)
	a := c.Auth.Resume(ksef.TokenInfo{Token: "stale", ValidUntil: time.Now().Add(-time.Minute)}, refreshToken())
	var refreshed atomic.Int32
	a.TokenManager().OnRefresh = func(ksef.TokenInfo) { refreshed.Add(1) }
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			if _, err := a.Tokens.Status(t.Context(), ref); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := srv.refresh.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	if refreshed.Load() != 1 {
		t.Errorf("OnRefresh called %d times", refreshed.Load())
	}
	access, _ := a.TokenManager().Tokens()
	if access.Token != "access-1" {
		t.Errorf("access token %v", access.Token.Reveal())
	}
}

// TestTokenManagerRefreshesOn401 has a token that looks valid but is
// rejected: the client refreshes once and retries; concurrent callers share
// the refresh.
func TestTokenManagerRefreshesOn401(t *testing.T) {
	c, mux := clientSetup(t)
	srv := &tokenServer{lifetime: 15 * time.Minute, delay: 20 * time.Millisecond}
	srv.install(t, mux)
	srv.current = "access-0"
	a := c.Auth.Resume(ksef.TokenInfo{Token: "revoked", ValidUntil: time.Now().Add(10 * time.Minute)}, refreshToken())
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 16 {
		wg.Go(func() {
			if _, err := a.Tokens.Status(t.Context(), ref); err != nil {
				t.Log(err)
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d calls failed", failed.Load())
	}
	if n := srv.refresh.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
}

// TestTokenManagerRefreshFails: a rejected refresh gives the original 401.
func TestTokenManagerRefreshFails(t *testing.T) {
	c, mux := clientSetup(t)
	srv := &tokenServer{lifetime: 15 * time.Minute}
	srv.install(t, mux)
	srv.current = "access-0"
	a := c.Auth.Resume(ksef.TokenInfo{Token: "revoked", ValidUntil: time.Now().Add(10 * time.Minute)},
		ksef.TokenInfo{Token: "refresh-wrong", ValidUntil: time.Now().Add(time.Hour)})
	_, err := a.Tokens.Status(t.Context(), ref)
	if !errors.Is(err, ksef.ErrUnauthorized) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "refresh-wrong") || strings.Contains(err.Error(), "revoked") {
		t.Errorf("token in error %q", err)
	}
	var ae *ksef.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 401 || !strings.HasPrefix(err.Error(), "ksef: GET /tokens/{referenceNumber}: 401") {
		t.Errorf("err = %v", err)
	}
}

// TestTokenManagerRefreshExpiredAfter401: a 401 with an expired refresh
// token reports both.
func TestTokenManagerRefreshExpiredAfter401(t *testing.T) {
	c, mux := clientSetup(t)
	srv := &tokenServer{}
	srv.install(t, mux)
	srv.current = "other"
	a := c.Auth.Resume(ksef.TokenInfo{Token: "old", ValidUntil: time.Now().Add(10 * time.Minute)},
		ksef.TokenInfo{Token: "r", ValidUntil: time.Now().Add(-time.Second)})
	_, err := a.Tokens.Status(t.Context(), ref)
	if !errors.Is(err, ksef.ErrUnauthorized) || !errors.Is(err, ksef.ErrRefreshExpired) {
		t.Errorf("err = %v", err)
	}
}

func TestTokenManagerRefreshExpired(t *testing.T) {
	c, _ := clientSetup(t)
	a := c.Auth.Resume(ksef.TokenInfo{}, ksef.TokenInfo{Token: "r", ValidUntil: time.Now().Add(-time.Second)})
	if _, err := a.Tokens.Status(t.Context(), ref); !errors.Is(err, ksef.ErrRefreshExpired) {
		t.Errorf("err = %v", err)
	}
}

// TestTokenManagerShortLivedToken: a token living less than the default
// one-minute margin is still used (renewed at 80% of its life).
func TestTokenManagerShortLivedToken(t *testing.T) {
	c, mux := clientSetup(t)
	srv := &tokenServer{lifetime: 30 * time.Second}
	srv.install(t, mux)
	a := c.Auth.Resume(ksef.TokenInfo{}, refreshToken())
	for range 5 {
		if _, err := a.Tokens.Status(t.Context(), ref); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.refresh.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
}

func TestStaticToken(t *testing.T) {
	c, mux := clientSetup(t)
	srv := &tokenServer{}
	srv.install(t, mux)
	srv.current = "abc"
	c1, err := ksef.NewClient(ksef.WithBaseURL(c.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	c2 := c1.Auth.ResumeWith(ksef.StaticToken("abc"))
	if _, err := c2.Tokens.Status(t.Context(), ref); err != nil {
		t.Fatal(err)
	}
	srv.current = "other"
	if _, err := c2.Tokens.Status(t.Context(), ref); !errors.Is(err, ksef.ErrUnauthorized) {
		t.Errorf("err = %v", err)
	}
}
