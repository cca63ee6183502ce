package ksef

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":     0,
		"0":    0,
		"120":  2 * time.Minute,
		" 7 ":  7 * time.Second,
		"-5":   0,
		"abc":  0,
		"2492": 2492 * time.Second,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
		"99999999999999999999":                            0,
		"999999999999":                                    365 * 24 * time.Hour,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	p := RetryPolicy{MaxDelay: 5 * time.Second, BaseDelay: time.Second}
	for attempt := 1; attempt <= 10; attempt++ {
		ceiling := min(time.Second<<(attempt-1), 5*time.Second)
		var maxSeen time.Duration
		for range 200 {
			d := backoff(p, attempt)
			if d < 0 || d > ceiling {
				t.Fatalf("attempt %d: %v outside [0, %v]", attempt, d, ceiling)
			}
			maxSeen = max(maxSeen, d)
		}
		if maxSeen < ceiling/2 {
			t.Errorf("attempt %d: no jitter spread (max %v of %v)", attempt, maxSeen, ceiling)
		}
	}
}

func TestBuildURL(t *testing.T) {
	c, err := NewClient(WithBaseURL("http://127.0.0.1:9/v2/"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.buildURL(&request{op: OpSessionInvoiceStatus, pathArgs: []string{"a/b", "c d"}})
	if err != nil || u != "http://127.0.0.1:9/v2/sessions/a%2Fb/invoices/c%20d" {
		t.Errorf("%q %v", u, err)
	}
	if _, err := c.buildURL(&request{op: OpTokenStatus}); err == nil {
		t.Error("missing argument accepted")
	}
	if _, err := c.buildURL(&request{op: OpTokenStatus, pathArgs: []string{""}}); err == nil {
		t.Error("empty argument accepted")
	}
}

func BenchmarkPacerReserve(b *testing.B) {
	p := newPacer(DefaultRateLimits())
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// 10 ms apart: stays under 120/h? no - exercises the waiting path too.
		p.reserve(GroupInvoiceStatus, now.Add(time.Duration(i)*40*time.Millisecond))
	}
}

func BenchmarkDecodeError(b *testing.B) {
	body := []byte(`{"title":"Bad Request","status":400,"instance":"/v2/auth/ksef-token","detail":"x","errors":[{"code":21111,"description":"Nieprawidłowe wyzwanie autoryzacyjne.","details":["a","b"]}],"timestamp":"2025-10-11T12:23:56.0154302+00:00","traceId":"t"}`)
	h := http.Header{"Retry-After": {"5"}}
	b.ReportAllocs()
	for b.Loop() {
		_ = decodeAPIError(400, h, body).Error()
	}
}

// TestPresignedUpload covers absolute (pre-signed) URLs with streamed
// bodies: no Authorization or KSeF headers, the body is reopened for the
// retry, and neither logs nor errors show the URL.
func TestPresignedUpload(t *testing.T) {
	var bodies []string
	var hdrs []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		hdrs = append(hdrs, r.Header.Clone())
		if len(bodies) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if len(bodies) == 3 {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	var logs strings.Builder
	c, err := NewClient(WithBaseURL("http://127.0.0.1:9/v2"), WithAuth(StaticToken("access-secret")),
		WithRetry(RetryPolicy{BaseDelay: time.Millisecond}),
		WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	opens := 0
	secretURL := srv.URL + "/container/part1?sig=SECRETSAS"
	r := &request{method: http.MethodPut, absURL: secretURL,
		header: http.Header{"X-Ms-Blob-Type": {"BlockBlob"}},
		bodyFunc: func() (io.ReadCloser, error) {
			opens++
			return io.NopCloser(strings.NewReader("part-bytes")), nil
		}, contentLength: 10}
	resp, err := c.do(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	if resp.statusCode != http.StatusCreated || len(bodies) != 2 || bodies[1] != "part-bytes" || opens < 2 {
		t.Errorf("status %d bodies %q opens %d", resp.statusCode, bodies, opens)
	}
	for _, h := range hdrs {
		if h.Get("Authorization") != "" || h.Get("X-Error-Format") != "" || h.Get("X-Ms-Blob-Type") != "BlockBlob" {
			t.Errorf("headers %v", h)
		}
	}
	_, err = c.do(t.Context(), r)
	if err == nil || strings.Contains(err.Error(), "SECRETSAS") || !strings.Contains(err.Error(), "pre-signed") {
		t.Errorf("err = %v", err)
	}
	if strings.Contains(logs.String(), "SECRETSAS") || strings.Contains(logs.String(), "access-secret") {
		t.Errorf("secret in logs:\n%s", logs.String())
	}
}

func TestPollWaitsOutRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		start := time.Now()
		err := poll(t.Context(), &WaitOptions{MinDelay: time.Second}, func(ctx context.Context) (bool, string, error) {
			n++
			if n == 1 {
				return false, "", &APIError{StatusCode: 429, RetryAfter: 90 * time.Second}
			}
			return true, "200", nil
		})
		if err != nil || n != 2 || time.Since(start) != 90*time.Second {
			t.Errorf("err %v n %d elapsed %v", err, n, time.Since(start))
		}
		err = poll(t.Context(), nil, func(ctx context.Context) (bool, string, error) {
			return false, "", &APIError{StatusCode: 500}
		})
		if err == nil {
			t.Error("500 not returned")
		}
	})
}

func TestPacingOptions(t *testing.T) {
	c, err := NewClient(WithEnvironment(Production))
	if err != nil || c.cfg.pacer == nil {
		t.Fatalf("no pacer for production: %v", err)
	}
	c.SetRateLimits(map[RateLimitGroup]RateLimit{GroupOther: {PerSecond: 1}})
	if c.cfg.pacer.limits[GroupOther].PerSecond != 1 || c.cfg.pacer.limits[GroupSessionList].PerSecond != 5 {
		t.Errorf("limits %v", c.cfg.pacer.limits)
	}
	a := c.Auth.Resume(TokenInfo{}, TokenInfo{})
	if a.cfg.pacer == c.cfg.pacer {
		t.Error("authenticated client shares the anonymous pacer")
	}
	c, _ = NewClient(WithEnvironment(Production), WithoutPacing())
	if c.cfg.pacer != nil {
		t.Error("WithoutPacing ignored")
	}
	e := &PacingError{Group: "other", RetryAfter: 90 * time.Second, Method: "GET", Path: "/tokens"}
	if !strings.HasPrefix(e.Error(), "ksef: GET /tokens: rate limit") {
		t.Error(e.Error())
	}
}
