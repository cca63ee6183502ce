package ksefsim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
)

func TestErrorFormats(t *testing.T) {
	h := newHarness(t, WithRateLimits(map[ksef.RateLimitGroup]RateLimit{ksef.GroupAnonymous: {PerSecond: 1}}))
	// WithoutRateLimits from the harness comes first; turn limits back on.
	h.s.limiter.off = false
	problem := map[string]string{"X-Error-Format": "problem-details"}

	t.Run("400 legacy", func(t *testing.T) {
		w := h.do(req{method: "POST", path: "/testdata/person", body: "{"})
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		var e ksef.ExceptionResponse
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Exception == nil {
			t.Fatalf("body %s", w.Body.String())
		}
		d := e.Exception.ExceptionDetailList[0]
		if d.ExceptionCode != 21405 || d.ExceptionDescription != "Błąd walidacji danych wejściowych." || len(d.Details) != 1 ||
			len(e.Exception.ReferenceNumber) != 36 || e.Exception.ServiceName == "" {
			t.Errorf("exception %+v", e.Exception)
		}
		if _, err := time.Parse(time.RFC3339Nano, e.Exception.Timestamp); err != nil {
			t.Errorf("timestamp %q", e.Exception.Timestamp)
		}
	})
	t.Run("400 problem", func(t *testing.T) {
		h.clk.Advance(time.Second)
		w := h.do(req{method: "POST", path: "/testdata/person", body: "{", header: problem})
		if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("content type %q", ct)
		}
		var p ksef.BadRequestProblemDetails
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if p.Status != 400 || p.Title != "Bad Request" || len(p.Errors) != 1 || p.Errors[0].Code != 21405 ||
			p.Instance != "/v2/testdata/person" || p.TraceID == "" || !p.Timestamp.Equal(h.clk.Now()) {
			t.Errorf("problem %+v", p)
		}
	})
	t.Run("401 always problem", func(t *testing.T) {
		w := h.do(req{method: "GET", path: "/auth/sessions"})
		var p ksef.UnauthorizedProblemDetails
		if w.Code != 401 || w.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(w.Body.Bytes(), &p) != nil || p.Status != 401 {
			t.Errorf("401: %d %q %s", w.Code, w.Header().Get("Content-Type"), w.Body.String())
		}
	})
	t.Run("429 both formats", func(t *testing.T) {
		h.clk.Advance(time.Second)
		h.ok(req{method: "POST", path: "/auth/challenge"}, 200, nil)
		w := h.do(req{method: "POST", path: "/auth/challenge"})
		var legacy ksef.TooManyRequestsResponse
		if w.Code != 429 || w.Header().Get("Retry-After") != "1" || json.Unmarshal(w.Body.Bytes(), &legacy) != nil ||
			legacy.Status.Code != 429 || len(legacy.Status.Details) != 1 {
			t.Errorf("legacy 429: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body.String())
		}
		w = h.do(req{method: "POST", path: "/auth/challenge", header: problem})
		var p ksef.TooManyRequestsProblemDetails
		if w.Code != 429 || w.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(w.Body.Bytes(), &p) != nil || p.Status != 429 || p.Detail == "" {
			t.Errorf("problem 429: %d %s", w.Code, w.Body.String())
		}
	})
}

func TestSystemWarningEcho(t *testing.T) {
	h := newHarness(t)
	w := h.do(req{method: "POST", path: "/auth/challenge", header: map[string]string{"X-Test-System-Warning": "[sig-001]: test"}})
	if got := w.Header().Get("X-System-Warning"); got != "[sig-001]: test" {
		t.Errorf("X-System-Warning %q", got)
	}
	w = h.do(req{method: "GET", path: "/auth/sessions", header: map[string]string{"X-Test-System-Warning": "[x]: y"}})
	if got := w.Header().Get("X-System-Warning"); w.Code != 401 || got != "" {
		t.Errorf("error response carries X-System-Warning %q", got)
	}
}

func TestRateLimits(t *testing.T) {
	clk := NewManualClock(t0)
	s := New(WithClock(clk.Now), WithTokenLifetimes(TokenLifetimes{Access: 3 * time.Hour}),
		WithRateLimits(map[ksef.RateLimitGroup]RateLimit{ksef.GroupOther: {PerSecond: 2, PerMinute: 3, PerHour: 4}}))
	h := &harness{t: t, s: s, clk: clk}
	nipA, nipB := randomNIP(), randomNIP()
	a := h.login(nipCtx(nipA), "certificateSubject", seal(t, nipA)).AccessToken.Token.Reveal()
	b := h.login(nipCtx(nipB), "certificateSubject", seal(t, nipB)).AccessToken.Token.Reveal()
	list := func(tok, remote string) *http.Response {
		w := h.do(req{method: "GET", path: "/auth/sessions", token: tok, remote: remote})
		return w.Result()
	}
	expect := func(resp *http.Response, status int, retryAfter string) {
		t.Helper()
		if resp.StatusCode != status || resp.Header.Get("Retry-After") != retryAfter {
			t.Fatalf("status %d Retry-After %q, want %d %q", resp.StatusCode, resp.Header.Get("Retry-After"), status, retryAfter)
		}
	}
	expect(list(a, ""), 200, "")
	expect(list(a, ""), 200, "")
	expect(list(a, ""), 429, "1") // 2 per second
	// Other contexts and other client IPs have their own windows.
	expect(list(b, ""), 200, "")
	expect(list(a, "198.51.100.7:1000"), 200, "")
	clk.Advance(time.Second)
	expect(list(a, ""), 200, "")
	// Three per minute: the oldest request frees the window 59 s from now.
	expect(list(a, ""), 429, "59")
	clk.Advance(59 * time.Second)
	expect(list(a, ""), 200, "") // 4th within the hour
	clk.Advance(time.Minute)
	resp := list(a, "")
	expect(resp, 429, "3480") // 4 per hour; the first requests leave at t0+1h
	clk.Advance(3480 * time.Second)
	expect(list(a, ""), 200, "")
	// ResetRateLimits forgets everything.
	expect(list(a, ""), 200, "")
	expect(list(a, ""), 429, "1")
	s.ResetRateLimits()
	expect(list(a, ""), 200, "")
}

func TestDefaultRateLimitsAnonymous(t *testing.T) {
	clk := NewManualClock(t0)
	h := &harness{t: t, s: New(WithClock(clk.Now)), clk: clk}
	for i := range 60 {
		if w := h.do(req{method: "GET", path: "/security/public-key-certificates"}); w.Code != 200 {
			t.Fatalf("request %d: %d", i, w.Code)
		}
	}
	if w := h.do(req{method: "GET", path: "/security/public-key-certificates"}); w.Code != 429 {
		t.Fatalf("61st request: %d", w.Code)
	}
	clk.Advance(time.Second)
	if w := h.do(req{method: "GET", path: "/security/public-key-certificates"}); w.Code != 200 {
		t.Fatalf("after a second: %d", w.Code)
	}
	if got := DefaultRateLimits()[ksef.GroupInvoiceMetadata]; got != (RateLimit{PerSecond: 8, PerMinute: 16, PerHour: 20}) {
		t.Errorf("invoiceMetadata %+v", got)
	}
	if len(DefaultRateLimits()) != 17 {
		t.Errorf("%d groups", len(DefaultRateLimits()))
	}
}

func TestFaults(t *testing.T) {
	h := newHarness(t)
	const op = "POST /auth/challenge"
	h.s.Faults().Fail(op, 2, Fault{Status: http.StatusServiceUnavailable, RetryAfter: 3 * time.Second})
	h.s.Faults().Fail(op, 1, Fault{Status: http.StatusTooManyRequests, RetryAfter: 7 * time.Second})
	if n := h.s.Faults().Pending(op); n != 3 {
		t.Errorf("pending %d", n)
	}
	for range 2 {
		w := h.do(req{method: "POST", path: "/auth/challenge"})
		if w.Code != 503 || w.Header().Get("Retry-After") != "3" {
			t.Errorf("503 fault: %d %q", w.Code, w.Header().Get("Retry-After"))
		}
	}
	w := h.do(req{method: "POST", path: "/auth/challenge"})
	var body ksef.TooManyRequestsResponse
	if w.Code != 429 || w.Header().Get("Retry-After") != "7" || json.Unmarshal(w.Body.Bytes(), &body) != nil || body.Status.Code != 429 {
		t.Errorf("429 fault: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body.String())
	}
	h.ok(req{method: "POST", path: "/auth/challenge"}, 200, nil)
	if got := h.s.Calls(op); got != 4 {
		t.Errorf("Calls = %d", got)
	}

	// AfterProcessing: the work is done, the client sees a 500.
	h.s.Faults().Fail(op, 1, Fault{Status: 500, AfterProcessing: true})
	h.s.mu.Lock()
	before := len(h.s.st.challenges)
	h.s.mu.Unlock()
	h.ok(req{method: "POST", path: "/auth/challenge"}, 500, nil)
	h.s.mu.Lock()
	after := len(h.s.st.challenges)
	h.s.mu.Unlock()
	if after != before+1 {
		t.Errorf("challenges %d -> %d", before, after)
	}

	// AnyOperation and Clear.
	h.s.Faults().Fail(AnyOperation, 1, Fault{Status: 502})
	h.ok(req{method: "GET", path: "/security/public-key-certificates"}, 502, nil)
	h.s.Faults().Fail(AnyOperation, 5, Fault{Status: 502})
	h.s.Faults().Clear()
	h.ok(req{method: "GET", path: "/security/public-key-certificates"}, 200, nil)
	h.s.Faults().Fail(op, 0, Fault{Status: 500})
	if h.s.Faults().Pending(op) != 0 {
		t.Error("n=0 queued a fault")
	}
}

func TestFaultsOverHTTP(t *testing.T) {
	srv := newServer(t, WithoutRateLimits())
	if !strings.HasSuffix(srv.URL, "/v2") || !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %q", srv.URL)
	}
	client := srv.Client()
	post := func(ctx context.Context) (*http.Response, error) {
		r, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/auth/challenge", nil)
		return client.Do(r)
	}
	srv.Faults().Fail("POST /auth/challenge", 1, Fault{Drop: true})
	if resp, err := post(t.Context()); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped connection gave status %d", resp.StatusCode)
	}
	// Dropped after processing: the challenge exists although the client got nothing.
	srv.Faults().Fail("POST /auth/challenge", 1, Fault{Drop: true, AfterProcessing: true})
	if _, err := post(t.Context()); err == nil {
		t.Fatal("dropped connection gave a response")
	}
	srv.mu.Lock()
	n := len(srv.st.challenges)
	srv.mu.Unlock()
	if n != 1 {
		t.Errorf("%d challenges", n)
	}
	// A delay longer than the client's patience.
	srv.Faults().Fail("POST /auth/challenge", 1, Fault{Delay: 5 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := post(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow response: %v", err)
	}
	// A short delay, then a normal answer.
	srv.Faults().Fail("POST /auth/challenge", 1, Fault{Delay: 10 * time.Millisecond})
	resp, err := post(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("delayed: %d", resp.StatusCode)
	}
}

func TestHandled(t *testing.T) {
	got := New(WithoutRateLimits()).Handled()
	want := []string{
		"DELETE /auth/sessions/current", "DELETE /auth/sessions/{referenceNumber}", "DELETE /tokens/{referenceNumber}",
		"GET /auth/sessions", "GET /auth/{referenceNumber}",
		"GET /invoices/exports/{referenceNumber}", "GET /invoices/ksef/{ksefNumber}",
		"GET /security/public-key-certificates",
		"GET /sessions", "GET /sessions/{referenceNumber}", "GET /sessions/{referenceNumber}/invoices",
		"GET /sessions/{referenceNumber}/invoices/failed", "GET /sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo",
		"GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}",
		"GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo",
		"GET /sessions/{referenceNumber}/upo/{upoReferenceNumber}",
		"GET /tokens", "GET /tokens/{referenceNumber}", "POST /auth/challenge", "POST /auth/ksef-token",
		"POST /auth/token/redeem", "POST /auth/token/refresh", "POST /auth/xades-signature",
		"POST /invoices/exports", "POST /invoices/query/metadata",
		"POST /sessions/online", "POST /sessions/online/{referenceNumber}/close",
		"POST /sessions/online/{referenceNumber}/invoices",
		"POST /testdata/context/block", "POST /testdata/context/unblock", "POST /testdata/permissions",
		"POST /testdata/permissions/revoke", "POST /testdata/person", "POST /testdata/person/remove",
		"POST /testdata/subject", "POST /testdata/subject/remove", "POST /tokens",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Handled() = %q", got)
	}
}

func TestServe(t *testing.T) {
	s := New(WithoutRateLimits())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := BaseURL(l.Addr())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	resp, err := http.Post(base+"/auth/challenge", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"challenge"`) {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	if err := s.ListenAndServe(t.Context(), "256.0.0.1:0"); err == nil {
		t.Error("ListenAndServe on a bad address succeeded")
	}
}

func TestNewTestIdentity(t *testing.T) {
	h := newHarness(t)
	id, err := h.s.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if ident.NIP(id.NIP).Validate() != nil || len(id.CertificatePEM()) == 0 {
		t.Fatalf("identity %+v", id)
	}
	if k, err := id.KeyPEM(); err != nil || !strings.Contains(string(k), "PRIVATE KEY") {
		t.Errorf("KeyPEM: %v", err)
	}
	cred := credentialsOf(id)
	h.login(nipCtx(id.NIP), "certificateSubject", cred)
	p, err := h.s.NewTestPerson()
	if err != nil {
		t.Fatal(err)
	}
	if ksef.PESEL(p.PESEL).Validate() != nil {
		t.Errorf("PESEL %s", p.PESEL)
	}
	h.login(nipCtx(p.NIP), "certificateSubject", credentialsOf(p))
}
