package ksef_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/testenv"

	"github.com/ksef2/ksef"
)

func TestSanitizeText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"zwykły tekst, ąęść\tz tabulatorem", "zwykły tekst, ąęść\tz tabulatorem"},
		{"\x1b[2Jclear", `\x1b[2Jclear`},
		{"\x1b]0;title\x07", `\x1b]0;title\x07`},
		{"line\r\nfake: login OK", `line\r\nfake: login OK`},
		{"c1\u009b31m", `c1\u009b31m`},
		{"del\x7f", `del\x7f`},
		{"bidi \u202eevil\u202c \u2066x\u2069 \u200f\u061c", `bidi \u202eevil\u202c \u2066x\u2069 \u200f\u061c`},
		{"bad utf8 \xff", `bad utf8 \xff`},
	}
	for _, c := range cases {
		if got := ksef.SanitizeText(c.in); got != c.want {
			t.Errorf("SanitizeText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestOutcomeUnknownOnTimeout: a state-changing request cut off by the
// caller's deadline or by the transport's header timeout is not repeated
// and reports an unknown outcome; the context's error still matches.
func TestOutcomeUnknownOnTimeout(t *testing.T) {
	testenv.SkipShort(t, "waits out a request timeout")
	var calls atomic.Int32
	release := make(chan struct{})
	defer close(release)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	c, _ := misbehavingClient(t, h)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Auth.InitXades(ctx, []byte("<AuthTokenRequest/>"), false)
	var ou *ksef.OutcomeUnknownError
	if !errors.As(err, &ou) || !errors.Is(err, context.DeadlineExceeded) || ou.Operation != ksef.OpAuthXadesSignature || calls.Load() != 1 {
		t.Errorf("deadline: err = %v after %d calls", err, calls.Load())
	}
	if !strings.Contains(err.Error(), "start a new login") {
		t.Errorf("no advice in %q", err)
	}

	// The transport's ResponseHeaderTimeout.
	calls.Store(0)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 200 * time.Millisecond
	c2, _ := misbehavingClient(t, h, ksef.WithHTTPClient(&http.Client{Transport: tr}))
	_, err = c2.Auth.InitXades(t.Context(), []byte("<AuthTokenRequest/>"), false)
	if !errors.Is(err, ksef.ErrOutcomeUnknown) || calls.Load() != 1 {
		t.Errorf("header timeout: err = %v after %d calls", err, calls.Load())
	}
	// A read is repeated after the same timeout.
	calls.Store(0)
	_, err = c2.PublicKeys.List(t.Context())
	if errors.Is(err, ksef.ErrOutcomeUnknown) || calls.Load() != 3 {
		t.Errorf("read: err = %v after %d calls, want 3 attempts", err, calls.Load())
	}
}

// TestUnsentRequestRetried: a connection that could not be made never
// carried the request, so even a state-changing one is tried again.
func TestUnsentRequestRetried(t *testing.T) {
	var calls atomic.Int32
	hc := &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
		if calls.Add(1) == 1 {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
		}
		return &http.Response{StatusCode: 202, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"referenceNumber":"20250625-AU-2EBD3F2000-BC6C7F1F73-7B","authenticationToken":{"token":"t","validUntil":"2030-01-01T00:00:00Z"}}`))}, nil
	})}
	c, err := ksef.NewClient(ksef.WithBaseURL("http://ksef.invalid/v2"), ksef.WithHTTPClient(hc), ksef.WithRetry(ksef.RetryPolicy{BaseDelay: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth.InitXades(t.Context(), []byte("<AuthTokenRequest/>"), false); err != nil || calls.Load() != 2 {
		t.Errorf("err = %v after %d calls, want success after 2", err, calls.Load())
	}
}
