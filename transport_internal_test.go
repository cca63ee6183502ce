package ksef

import (
	"context"
	"errors"
	"fmt"
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
		at := now.Add(time.Duration(i) * 40 * time.Millisecond)
		if e, _, _, _ := p.reserve(GroupInvoiceStatus, at); e != nil {
			p.complete(GroupInvoiceStatus, e, at)
		}
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
	c0, err := NewClient(WithBaseURL("http://127.0.0.1:9/v2"),
		WithRetry(RetryPolicy{BaseDelay: time.Millisecond}),
		WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	c := c0.Auth.ResumeWith(StaticToken("access-secret")).Client
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
		err := poll(t.Context(), "test", &WaitOptions{MinDelay: time.Second}, time.Minute, func(ctx context.Context) (bool, string, error) {
			n++
			if n == 1 {
				return false, "", &APIError{StatusCode: 429, RetryAfter: 50 * time.Second}
			}
			return true, "200", nil
		})
		if err != nil || n != 2 || time.Since(start) != 50*time.Second {
			t.Errorf("err %v n %d elapsed %v", err, n, time.Since(start))
		}
		// A Retry-After above the maximum is returned at once.
		start = time.Now()
		err = poll(t.Context(), "test", nil, time.Minute, func(ctx context.Context) (bool, string, error) {
			return false, "", &APIError{StatusCode: 429, RetryAfter: 365 * 24 * time.Hour}
		})
		if !errors.Is(err, ErrRateLimited) || time.Since(start) != 0 {
			t.Errorf("one-year Retry-After: err %v after %v", err, time.Since(start))
		}
		// Status 100 forever ends after the timeout, naming what and the
		// last status.
		start = time.Now()
		err = poll(t.Context(), "authentication X", &WaitOptions{Timeout: time.Minute}, time.Minute, func(ctx context.Context) (bool, string, error) {
			return false, "100", nil
		})
		var te *WaitTimeoutError
		if !errors.As(err, &te) || !errors.Is(err, ErrWaitTimeout) || !errors.Is(err, context.DeadlineExceeded) ||
			te.LastStatus != "100" || time.Since(start) != time.Minute ||
			!strings.Contains(err.Error(), "authentication X") || !strings.Contains(err.Error(), "last status 100") {
			t.Errorf("status 100 forever: %v after %v", err, time.Since(start))
		}
		// 429 forever (within the maximum) ends after the default timeout.
		start = time.Now()
		err = poll(t.Context(), "test", nil, time.Minute, func(ctx context.Context) (bool, string, error) {
			return false, "", &APIError{StatusCode: 429, RetryAfter: 30 * time.Second}
		})
		if !errors.Is(err, ErrWaitTimeout) || time.Since(start) != DefaultWaitTimeout {
			t.Errorf("429 forever: %v after %v", err, time.Since(start))
		}
		err = poll(t.Context(), "test", nil, time.Minute, func(ctx context.Context) (bool, string, error) {
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

// TestPacerUsesTableGroup: for every operation, the pacer counts a request
// against the group of the operation table (a budget of one request per
// hour in that group only stops the second request, naming the group).
func TestPacerUsesTableGroup(t *testing.T) {
	for _, op := range Operations() {
		want := op.Info().Group
		// Only the group under test is limited (a zero RateLimit has no
		// limit).
		lim := map[RateLimitGroup]RateLimit{}
		for g := range DefaultRateLimits() {
			lim[g] = RateLimit{}
		}
		lim[want] = RateLimit{PerHour: 1}
		c, err := NewClient(WithBaseURL("http://127.0.0.1:9/v2"), WithRateLimits(lim))
		if err != nil {
			t.Fatal(err)
		}
		r := &request{op: op}
		done, err := c.pace(t.Context(), r)
		if err != nil {
			t.Fatalf("%v: first request: %v", op, err)
		}
		done()
		_, err = c.pace(t.Context(), r)
		var pe *PacingError
		if !errors.As(err, &pe) || pe.Group != want || pe.Method != op.Info().Method || pe.Path != op.Info().Path {
			t.Errorf("%v: second request: %v, want a PacingError of group %s", op, err, want)
		}
	}
}

// TestRetrySafetyFromTable: a transport error is retried for an operation
// the table marks safe to repeat and not for one it does not.
func TestRetrySafetyFromTable(t *testing.T) {
	for _, tc := range []struct {
		op    Operation
		calls int
	}{{OpTokenStatus, 3}, {OpAuthChallenge, 3}, {OpTokenGenerate, 1}, {OpAuthTokenRedeem, 1}} {
		calls := 0
		rt := roundTripFunc(func(*http.Request) (*http.Response, error) {
			calls++
			return nil, errors.New("connection reset")
		})
		c, err := NewClient(WithBaseURL("http://127.0.0.1:9/v2"), WithHTTPClient(&http.Client{Transport: rt}),
			WithRetry(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Microsecond, MaxDelay: time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		r := &request{op: tc.op}
		if strings.Contains(tc.op.Info().Path, "{") {
			r.pathArgs = []string{"x"}
		}
		_, err = c.do(t.Context(), r)
		if err == nil || calls != tc.calls {
			t.Errorf("%v (retry-safe %t): %d calls, err %v; want %d calls", tc.op, tc.op.Info().RetrySafe, calls, err, tc.calls)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestPaginators: both paginators yield every item in order, follow the
// pages, stop early when the consumer stops, and yield an error once.
func TestPaginators(t *testing.T) {
	pages := map[string][]int{"": {1, 2}, "a": {3}, "b": {4, 5}}
	next := map[string]string{"": "a", "a": "b", "b": ""}
	var got []int
	for v, err := range pagesByToken(t.Context(), "", func(_ context.Context, tok string) ([]int, string, error) {
		return pages[tok], next[tok], nil
	}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if fmt.Sprint(got) != "[1 2 3 4 5]" {
		t.Errorf("token pages: %v", got)
	}
	// A server repeating its token ends the iteration.
	n := 0
	for range pagesByToken(t.Context(), "", func(_ context.Context, tok string) ([]int, string, error) {
		n++
		return []int{n}, "same", nil
	}) {
	}
	if n != 2 {
		t.Errorf("repeated token fetched %d pages, want 2", n)
	}
	got = nil
	var offsets []int
	for v, err := range pagesByOffset(t.Context(), 0, func(_ context.Context, off int) ([]int, bool, error) {
		offsets = append(offsets, off)
		return []int{off * 10, off*10 + 1}, off < 2, nil
	}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
		if v == 20 {
			break
		}
	}
	if fmt.Sprint(got) != "[0 1 10 11 20]" || fmt.Sprint(offsets) != "[0 1 2]" {
		t.Errorf("offset pages: %v at offsets %v", got, offsets)
	}
	boom := errors.New("boom")
	errs := 0
	for _, err := range pagesByOffset(t.Context(), 0, func(context.Context, int) ([]int, bool, error) { return nil, false, boom }) {
		if !errors.Is(err, boom) {
			t.Errorf("err %v", err)
		}
		errs++
	}
	if errs != 1 {
		t.Errorf("error yielded %d times", errs)
	}
}
