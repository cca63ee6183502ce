package ksef_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ksef2/ksef"
)

// clientSetup returns a client talking to an httptest server whose mux is
// mounted under /v2 (requests outside it fail the test).
func clientSetup(t *testing.T, opts ...ksef.Option) (*ksef.Client, *http.ServeMux) {
	t.Helper()
	mux := http.NewServeMux()
	api := http.NewServeMux()
	api.Handle("/v2/", http.StripPrefix("/v2", mux))
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the base path: %s %s", r.Method, r.URL.Path)
		http.Error(w, "outside base path", http.StatusNotFound)
	})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	c, err := ksef.NewClient(append([]ksef.Option{ksef.WithBaseURL(srv.URL + "/v2")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mux
}

// rtFunc is an http.RoundTripper made of a function.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// handlerClient returns a client whose transport calls h in-process (no
// network), so that it can run inside a synctest bubble. h sees paths
// without the /v2 prefix.
func handlerClient(t *testing.T, h http.Handler, opts ...ksef.Option) *ksef.Client {
	t.Helper()
	h = http.StripPrefix("/v2", h)
	hc := &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body == nil {
			r.Body = http.NoBody
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Result(), nil
	})}
	c, err := ksef.NewClient(append([]ksef.Option{ksef.WithBaseURL("http://ksef.invalid/v2"), ksef.WithHTTPClient(hc)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

const sampleCertsJSON = `[]`

func TestNewClientDefaults(t *testing.T) {
	c, err := ksef.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	if c.Environment() != ksef.Test || c.BaseURL() != "https://api-test.ksef.mf.gov.pl/v2" || c.QRBaseURL() != "https://qr-test.ksef.mf.gov.pl" {
		t.Errorf("defaults: %v %s %s", c.Environment(), c.BaseURL(), c.QRBaseURL())
	}
	for env, want := range map[ksef.Environment][2]string{
		ksef.Demo:       {"https://api-demo.ksef.mf.gov.pl/v2", "https://qr-demo.ksef.mf.gov.pl"},
		ksef.Production: {"https://api.ksef.mf.gov.pl/v2", "https://qr.ksef.mf.gov.pl"},
	} {
		c, err := ksef.NewClient(ksef.WithEnvironment(env))
		if err != nil {
			t.Fatal(err)
		}
		if c.BaseURL() != want[0] || c.QRBaseURL() != want[1] {
			t.Errorf("%v: %s %s", env, c.BaseURL(), c.QRBaseURL())
		}
	}
}

func TestNewClientInvalidOptions(t *testing.T) {
	for name, o := range map[string]ksef.Option{
		"env":        ksef.WithEnvironment(ksef.Environment(42)),
		"url":        ksef.WithBaseURL("ftp://x"),
		"relative":   ksef.WithBaseURL("/v2"),
		"query":      ksef.WithBaseURL("http://x/v2?a=b"),
		"httpclient": ksef.WithHTTPClient(nil),
		"retry":      ksef.WithRetry(ksef.RetryPolicy{MaxAttempts: -1}),
		"ua":         ksef.WithUserAgent(""),
		"ttl":        ksef.WithPublicKeyTTL(0),
	} {
		if _, err := ksef.NewClient(o); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), "ksef: ") {
			t.Errorf("%s: error %q lacks prefix", name, err)
		}
	}
}

func TestParseEnvironment(t *testing.T) {
	for s, want := range map[string]ksef.Environment{"test": ksef.Test, "DEMO": ksef.Demo, "prd": ksef.Production, "production": ksef.Production} {
		if got, err := ksef.ParseEnvironment(s); err != nil || got != want {
			t.Errorf("%q: %v %v", s, got, err)
		}
	}
	if _, err := ksef.ParseEnvironment("staging"); err == nil {
		t.Error("staging accepted")
	}
}

func TestRequestHeaders(t *testing.T) {
	c, mux := clientSetup(t, ksef.WithUserAgent("test-agent/1"), ksef.WithProblemDetails())
	mux.HandleFunc("POST /auth/challenge", func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("User-Agent"); got != "test-agent/1" {
			t.Errorf("User-Agent %q", got)
		}
		if got := r.Header.Get("X-Error-Format"); got != "problem-details" {
			t.Errorf("X-Error-Format %q", got)
		}
		if got := r.Header.Get("Authorization"); got != "" {
			t.Errorf("public operation sent Authorization %q", got)
		}
		writeJSON(w, 200, map[string]any{"challenge": "20250625-CR-20F5EE4000-DA48AE4124-46", "timestamp": "2025-07-11T12:23:56.0154302+00:00", "timestampMs": 1752236636015, "clientIp": "127.0.0.1"})
	})
	ch, err := c.Auth.Challenge(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if ch.TimestampMs != 1752236636015 || ch.Timestamp.UnixMilli() != 1752236636015 {
		t.Errorf("timestamps %d %v", ch.TimestampMs, ch.Timestamp)
	}
}

// retryServer answers with the statuses in order (then 200 {}), recording
// request bodies.
type retryServer struct {
	statuses []int
	header   http.Header
	calls    atomic.Int32
	bodies   []string
	ok       any // success body (default [])
}

func (s *retryServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(s.calls.Add(1))
	b, _ := io.ReadAll(r.Body)
	s.bodies = append(s.bodies, string(b))
	if n <= len(s.statuses) {
		for k, v := range s.header {
			w.Header()[k] = v
		}
		w.WriteHeader(s.statuses[n-1])
		return
	}
	if s.ok != nil {
		writeJSON(w, 200, s.ok)
		return
	}
	writeJSON(w, 200, []any{})
}

func TestRetry429HonoursRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &retryServer{statuses: []int{429, 429}, header: http.Header{"Retry-After": {"7"}}}
		c := handlerClient(t, srv)
		start := time.Now()
		if _, err := c.PublicKeys.List(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := srv.calls.Load(); got != 3 {
			t.Errorf("calls = %d, want 3", got)
		}
		if el := time.Since(start); el != 14*time.Second {
			t.Errorf("elapsed %v, want 14s", el)
		}
	})
}

func TestRetryAfterHTTPDate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		at := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
		srv := &retryServer{statuses: []int{503}, header: http.Header{"Retry-After": {at}}}
		c := handlerClient(t, srv)
		start := time.Now()
		if _, err := c.PublicKeys.List(t.Context()); err != nil {
			t.Fatal(err)
		}
		// HTTP dates have second precision.
		if el := time.Since(start); el < 29*time.Second || el > 30*time.Second {
			t.Errorf("elapsed %v, want ~30s", el)
		}
	})
}

func TestRetryAfterBeyondMaxDelayNotSlept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &retryServer{statuses: []int{429}, header: http.Header{"Retry-After": {"3600"}}}
		c := handlerClient(t, srv, ksef.WithRetry(ksef.RetryPolicy{MaxAttempts: 5, MaxDelay: time.Minute}))
		start := time.Now()
		_, err := c.PublicKeys.List(t.Context())
		if !errors.Is(err, ksef.ErrRateLimited) {
			t.Fatalf("err = %v", err)
		}
		var ae *ksef.APIError
		if !errors.As(err, &ae) || ae.RetryAfter != time.Hour {
			t.Errorf("RetryAfter = %v", ae)
		}
		if time.Since(start) != 0 || srv.calls.Load() != 1 {
			t.Errorf("slept %v, calls %d", time.Since(start), srv.calls.Load())
		}
	})
}

func TestRetryBackoffWithoutRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &retryServer{statuses: []int{503, 503}}
		c := handlerClient(t, srv, ksef.WithRetry(ksef.RetryPolicy{MaxAttempts: 3, MaxDelay: 4 * time.Second, BaseDelay: time.Second}))
		start := time.Now()
		if _, err := c.PublicKeys.List(t.Context()); err != nil {
			t.Fatal(err)
		}
		// full jitter: at most 1 s + 2 s
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("elapsed %v > 3s", el)
		}
	})
}

func TestRetryExhausted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &retryServer{statuses: []int{503, 503, 503, 503}}
		c := handlerClient(t, srv)
		_, err := c.PublicKeys.List(t.Context())
		var ae *ksef.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 503 {
			t.Fatalf("err = %v", err)
		}
		if srv.calls.Load() != 3 {
			t.Errorf("calls = %d, want 3 (default MaxAttempts)", srv.calls.Load())
		}
	})
}

func TestRetryDisabled(t *testing.T) {
	srv := &retryServer{statuses: []int{503}}
	c := handlerClient(t, srv, ksef.WithRetry(ksef.RetryPolicy{MaxAttempts: 1}))
	if _, err := c.PublicKeys.List(t.Context()); err == nil {
		t.Fatal("no error")
	}
	if srv.calls.Load() != 1 {
		t.Errorf("calls = %d", srv.calls.Load())
	}
}

func TestRetryRulesByMethod(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		post      bool
		wantCalls int32
		// op overrides the call (default: Tokens.Generate for POST,
		// PublicKeys.List for GET).
		op func(*ksef.Client, context.Context) error
	}{
		{"GET 502", 502, false, 2, nil},
		{"GET 504", 504, false, 2, nil},
		{"POST 502", 502, true, 1, nil},
		{"POST 504", 504, true, 1, nil},
		{"POST 503", 503, true, 1, nil},
		{"POST 500", 500, true, 1, nil},
		{"POST 429", 429, true, 2, nil},
		{"GET 400", 400, false, 1, nil},
		{"GET 404", 404, false, 1, nil},
		{"GET 500", 500, false, 1, nil},
		{"POST 409", 409, true, 1, nil},
		{"POST /auth/challenge 502", 502, true, 2, func(c *ksef.Client, ctx context.Context) error { _, err := c.Auth.Challenge(ctx); return err }},
		{"POST /auth/token/refresh 504", 504, true, 2, func(c *ksef.Client, ctx context.Context) error { _, err := c.Auth.Refresh(ctx, "refresh"); return err }},
		{"POST /auth/token/redeem 502", 502, true, 1, func(c *ksef.Client, ctx context.Context) error { _, err := c.Auth.Redeem(ctx, "auth"); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &retryServer{statuses: []int{tc.status}}
				mux := http.NewServeMux()
				mux.Handle("/", srv)
				c := handlerClient(t, mux)
				var err error
				switch {
				case tc.op != nil:
					err = tc.op(c, t.Context())
				case tc.post:
					_, err = authed(c).Tokens.Generate(t.Context(), &ksef.GenerateTokenRequest{Description: "descr", Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}})
				default:
					_, err = c.PublicKeys.List(t.Context())
				}
				_ = err
				if got := srv.calls.Load(); got != tc.wantCalls {
					t.Errorf("calls = %d, want %d", got, tc.wantCalls)
				}
			})
		})
	}
}

func TestRetryRewindsBody(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &retryServer{statuses: []int{429, 429}}
		c := handlerClient(t, srv)
		_, _ = authed(c).Tokens.Generate(t.Context(), &ksef.GenerateTokenRequest{Description: "my token", Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}})
		if len(srv.bodies) != 3 {
			t.Fatalf("bodies: %d", len(srv.bodies))
		}
		for i, b := range srv.bodies {
			if b != srv.bodies[0] || !strings.Contains(b, `"my token"`) {
				t.Errorf("body %d = %q", i, b)
			}
		}
	})
}

func TestRetryTransportErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		hc := &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
			if calls.Add(1) == 1 {
				return nil, errors.New("connection reset")
			}
			rec := httptest.NewRecorder()
			if strings.HasSuffix(r.URL.Path, "/auth/challenge") {
				writeJSON(rec, 200, map[string]any{})
			} else {
				writeJSON(rec, 200, []any{})
			}
			return rec.Result(), nil
		})}
		c, _ := ksef.NewClient(ksef.WithBaseURL("http://ksef.invalid/v2"), ksef.WithHTTPClient(hc))
		if _, err := c.PublicKeys.List(t.Context()); err != nil {
			t.Fatalf("GET not retried: %v", err)
		}
		// A challenge is safe to ask for again.
		calls.Store(0)
		if _, err := c.Auth.Challenge(t.Context()); err != nil || calls.Load() != 2 {
			t.Errorf("POST /auth/challenge transport error not retried: calls=%d err=%v", calls.Load(), err)
		}
		// Another POST may have been processed: not repeated.
		calls.Store(0)
		_, err := authed(c).Tokens.Generate(t.Context(), &ksef.GenerateTokenRequest{Description: "descr", Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}})
		if err == nil || calls.Load() != 1 {
			t.Errorf("POST transport error retried: calls=%d err=%v", calls.Load(), err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "ksef: POST /tokens") {
			t.Errorf("error %q", err)
		}
	})
}

func TestTransportErrorHidesPresignedURL(t *testing.T) {
	c, err := ksef.NewClient(ksef.WithBaseURL("http://127.0.0.1:1/v2"), ksef.WithRetry(ksef.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PublicKeys.List(t.Context())
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "127.0.0.1:1/v2/security") {
		t.Errorf("URL leaked into %q", err)
	}
}

func TestRetrySleepHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &retryServer{statuses: []int{429, 429}, header: http.Header{"Retry-After": {"50"}}}
		c := handlerClient(t, srv)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.PublicKeys.List(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v", err)
		}
		if el := time.Since(start); el != 10*time.Second {
			t.Errorf("returned after %v", el)
		}
	})
}

func TestLoggingOneRecordPerAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		srv := &retryServer{statuses: []int{503}, ok: map[string]any{"status": "Active"}}
		c := handlerClient(t, srv, ksef.WithLogger(logger)).Auth.ResumeWith(ksef.StaticToken("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl"))
		if _, err := c.Tokens.Status(t.Context(), "20250625-EE-319D7EE000-B67F415CDC-2C"); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Contains(out, "eyJ") || strings.Contains(out, "Bearer") {
			t.Errorf("token leaked into logs:\n%s", out)
		}
		var recs []map[string]any
		for line := range strings.Lines(out) {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			if m["msg"] == "ksef http" {
				recs = append(recs, m)
			}
		}
		if len(recs) != 2 {
			t.Fatalf("%d records:\n%s", len(recs), out)
		}
		for i, m := range recs {
			if m["method"] != "GET" || m["path"] != "/tokens/{referenceNumber}" || m["attempt"] != float64(i+1) || m["duration"] == nil {
				t.Errorf("record %d: %v", i, m)
			}
		}
		if recs[0]["status"] != float64(503) || recs[1]["status"] != float64(200) {
			t.Errorf("statuses: %v %v", recs[0]["status"], recs[1]["status"])
		}
	})
}

func TestSystemWarnings(t *testing.T) {
	got := ksef.ParseSystemWarnings("[sig-001]: Signature not conforming | [x-2]: other | plain text")
	if len(got) != 3 || got[0].Code != "sig-001" || got[0].Message != "Signature not conforming" || got[1].Code != "x-2" || got[2].Code != "" || got[2].Message != "plain text" {
		t.Errorf("parsed %+v", got)
	}
	c, mux := clientSetup(t)
	mux.HandleFunc("GET /security/public-key-certificates", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-System-Warning", "[sig-001]: Podpis niezgodny z profilem")
		writeJSON(w, 200, []any{})
	})
	var seen []ksef.SystemWarning
	c2, _ := ksef.NewClient(ksef.WithBaseURL(c.BaseURL()), ksef.WithSystemWarningHook(func(w ksef.SystemWarning) { seen = append(seen, w) }))
	if _, err := c2.PublicKeys.List(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0].Code != "sig-001" || seen[0].Path != "/security/public-key-certificates" || seen[0].Method != "GET" {
		t.Errorf("hook saw %+v", seen)
	}
}

func TestSecretRedaction(t *testing.T) {
	s := ksef.Secret("eyJsecret.value.sig")
	ti := ksef.TokenInfo{Token: s}
	for _, out := range []string{
		s.String(), fmtSprint("%v", s), fmtSprint("%s", s), fmtSprint("%+v", ti), fmtSprint("%#v", ti), fmtSprint("%q", s),
	} {
		if strings.Contains(out, "secret") {
			t.Errorf("leaked: %s", out)
		}
	}
	// Both built-in handlers, with the wire types that carry secrets, as
	// values and pointers (the JSON handler marshals structs as JSON, where
	// a Secret is in clear).
	for name, newHandler := range map[string]func(io.Writer) slog.Handler{
		"text": func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
		"json": func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
	} {
		var buf bytes.Buffer
		tokens := ksef.AuthenticationTokensResponse{AccessToken: ti, RefreshToken: ti}
		initResp := ksef.AuthenticationInitResponse{ReferenceNumber: "ref-1", AuthenticationToken: ti}
		slog.New(newHandler(&buf)).Info("x", "token", s, "info", ti, "infoPtr", &ti,
			"init", initResp, "tokens", tokens, "tokensPtr", &tokens,
			"refresh", ksef.AuthenticationTokenRefreshResponse{AccessToken: ti},
			"generated", &ksef.GenerateTokenResponse{ReferenceNumber: "ref-2", Token: s})
		out := buf.String()
		if strings.Contains(out, "secret") {
			t.Errorf("%s handler: leaked in slog: %s", name, out)
		}
		if strings.Count(out, "REDACTED") != 10 || !strings.Contains(out, "ref-1") || !strings.Contains(out, "ref-2") {
			t.Errorf("%s handler: want 10 redacted tokens and the reference numbers: %s", name, out)
		}
	}
	b, _ := json.Marshal(ti)
	if !strings.Contains(string(b), "eyJsecret.value.sig") {
		t.Errorf("JSON must carry the value: %s", b)
	}
	if s.Reveal() != "eyJsecret.value.sig" {
		t.Error("Reveal")
	}
}

// authed returns c authenticated with a static access token, for the
// services that exist only on an authenticated client.
func authed(c *ksef.Client) *ksef.AuthenticatedClient {
	return c.Auth.ResumeWith(ksef.StaticToken("test-access-token-value"))
}
