package ksef_test

// Tests against misbehaving local servers (httptest on 127.0.0.1): none of
// them may hang. Each runs under a context deadline well above the bound it
// expects, and checks how long the call took.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/testenv"

	"github.com/ksef2/ksef"
)

// misbehavingClient starts h on a loopback server and returns a client for
// it with quick retries.
func misbehavingClient(t *testing.T, h http.Handler, opts ...ksef.Option) (*ksef.Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := ksef.NewClient(append([]ksef.Option{ksef.WithBaseURL(srv.URL + "/v2"),
		ksef.WithRetry(ksef.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 2 * time.Second})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// bounded runs f under a 20 s deadline and fails if it took longer than max.
func bounded(t *testing.T, max time.Duration, f func(ctx context.Context) error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	start := time.Now()
	err := f(ctx)
	if d := time.Since(start); d > max {
		t.Errorf("took %v, want at most %v", d, max)
	}
	if ctx.Err() != nil {
		t.Fatalf("the test's own deadline ended the call: %v", err)
	}
	return err
}

const rateLimitBody = `{"status":{"code":429,"description":"Too Many Requests","details":["Przekroczono limit."]}}`

func TestMisbehaving429ForeverAuthWait(t *testing.T) {
	testenv.SkipShort(t, "waits out a bounded 429 loop")
	var calls atomic.Int32
	c, _ := misbehavingClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, rateLimitBody)
	}))
	err := bounded(t, 8*time.Second, func(ctx context.Context) error {
		_, err := c.Auth.Wait(ctx, "20250625-AU-2EBD3F2000-BC6C7F1F73-7B", "op-token-value",
			&ksef.WaitOptions{MinDelay: 10 * time.Millisecond, Timeout: 2 * time.Second})
		return err
	})
	var te *ksef.WaitTimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "authentication 20250625-AU-2EBD3F2000-BC6C7F1F73-7B") {
		t.Fatalf("err = %v, want a WaitTimeoutError naming the authentication", err)
	}
	if calls.Load() < 2 {
		t.Errorf("%d calls", calls.Load())
	}
}

func TestMisbehavingStatus100Forever(t *testing.T) {
	const ref = "20250625-AU-2EBD3F2000-BC6C7F1F73-7B"
	c, _ := misbehavingClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"startDate":"2025-06-25T10:00:00Z","authenticationMethod":"Token","authenticationMethodInfo":{"category":"Token","code":"token","displayName":"Token"},"status":{"code":100,"description":"Uwierzytelnianie w toku"}}`)
	}))
	err := bounded(t, 5*time.Second, func(ctx context.Context) error {
		_, err := c.Auth.Wait(ctx, ref, "op-token-value", &ksef.WaitOptions{MinDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond, Timeout: 500 * time.Millisecond})
		return err
	})
	var te *ksef.WaitTimeoutError
	if !errors.As(err, &te) || te.LastStatus != "100" || te.Polls < 2 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a WaitTimeoutError with last status 100", err)
	}
	if !strings.Contains(err.Error(), ref) || !strings.Contains(err.Error(), "last status 100") {
		t.Errorf("message %q does not say what was waited for and the last status", err)
	}
}

func TestMisbehavingHugeRetryAfter(t *testing.T) {
	for _, ra := range []string{"31536000", time.Now().AddDate(1, 0, 0).UTC().Format(http.TimeFormat)} {
		var calls atomic.Int32
		c, _ := misbehavingClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.Header().Set("Retry-After", ra)
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, rateLimitBody)
		}), ksef.WithoutPacing())
		err := bounded(t, 2*time.Second, func(ctx context.Context) error {
			_, err := c.Auth.Challenge(ctx)
			return err
		})
		var ae *ksef.APIError
		if !errors.Is(err, ksef.ErrRateLimited) || !errors.As(err, &ae) || ae.RetryAfter < 300*24*time.Hour || calls.Load() != 1 {
			t.Errorf("Retry-After %s: err %v, %d calls", ra, err, calls.Load())
		}
		// The waiters return it at once too.
		err = bounded(t, 2*time.Second, func(ctx context.Context) error {
			_, err := c.Auth.Wait(ctx, "20250625-AU-2EBD3F2000-BC6C7F1F73-7B", "op-token-value", nil)
			return err
		})
		if !errors.Is(err, ksef.ErrRateLimited) {
			t.Errorf("Retry-After %s: Wait err %v", ra, err)
		}
	}
}

func TestMisbehavingTrickledBody(t *testing.T) {
	testenv.SkipShort(t, "waits out body idle timeouts")
	cases := []struct {
		name string
		h    http.HandlerFunc
	}{
		{"headers then nothing", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}},
		{"one byte every two seconds", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			for _, b := range []byte(`{"challenge":"20250514-CR-1F2A3B4C5D-6E7F8A9B0C-1D","timestamp":"2025-05-14T10:00:00Z","timestampMs":1}`) {
				if _, err := w.Write([]byte{b}); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(2 * time.Second):
				}
			}
		}},
		{"error body stops", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"exception":`)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := misbehavingClient(t, tc.h, ksef.WithBodyIdleTimeout(300*time.Millisecond), ksef.WithRetry(ksef.RetryPolicy{MaxAttempts: 1}))
			err := bounded(t, 3*time.Second, func(ctx context.Context) error {
				_, err := c.Auth.Challenge(ctx)
				return err
			})
			if !errors.Is(err, ksef.ErrBodyIdleTimeout) {
				t.Errorf("err = %v, want ErrBodyIdleTimeout", err)
			}
		})
	}
	if _, err := ksef.NewClient(ksef.WithBodyIdleTimeout(0)); err == nil {
		t.Error("WithBodyIdleTimeout(0) accepted")
	}
}

// TestMisbehavingTrickledBodyStateChanging: a POST whose 2xx body stops
// arriving was processed but its answer is lost: outcome unknown.
func TestMisbehavingTrickledBodyStateChanging(t *testing.T) {
	var calls atomic.Int32
	c, _ := misbehavingClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, `{"referenceNumber":`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}), ksef.WithBodyIdleTimeout(300*time.Millisecond))
	err := bounded(t, 3*time.Second, func(ctx context.Context) error {
		_, err := c.Auth.InitXades(ctx, []byte("<AuthTokenRequest/>"), false)
		return err
	})
	if !errors.Is(err, ksef.ErrOutcomeUnknown) || !errors.Is(err, ksef.ErrBodyIdleTimeout) || calls.Load() != 1 {
		t.Errorf("err = %v after %d calls, want outcome unknown after 1", err, calls.Load())
	}
}

// TestMisbehavingRedirect: the Authorization header never follows a
// redirect, not even to another port of the same host.
func TestMisbehavingRedirect(t *testing.T) {
	var leaked atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"challenge":"20250514-CR-1F2A3B4C5D-6E7F8A9B0C-1D","timestamp":"2025-05-14T10:00:00Z","timestampMs":1}`)
	}))
	defer target.Close()
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		var hc http.Client // a caller's client with the default redirect policy
		c, _ := misbehavingClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+r.URL.Path, code)
		}), ksef.WithHTTPClient(&hc))
		a := c.Auth.Resume(ksef.TokenInfo{Token: "access-token-value", ValidUntil: time.Now().Add(time.Hour)},
			ksef.TokenInfo{Token: "refresh-token-value", ValidUntil: time.Now().Add(time.Hour)})
		err := bounded(t, 2*time.Second, func(ctx context.Context) error {
			_, err := a.AuthSessions.List(ctx, nil)
			return err
		})
		var ae *ksef.APIError
		if !errors.As(err, &ae) || ae.StatusCode != code {
			t.Errorf("%d: err = %v, want the redirect as an APIError", code, err)
		}
		if hc.CheckRedirect != nil {
			t.Error("the caller's http.Client was modified")
		}
	}
	if n := leaked.Load(); n != 0 {
		t.Errorf("Authorization sent to the redirect target %d times", n)
	}
}

// TestMisbehavingEscapeSequences: control characters and bidi overrides in
// server text are escaped in Error() and in log records; the fields keep
// the raw text.
func TestMisbehavingEscapeSequences(t *testing.T) {
	const evil = "\x1b[2J\x1b]0;title\x07login OK\r\n\u202eevil\u009b31m"
	c, _ := misbehavingClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// (Go's HTTP client refuses C0 characters in header values.)
		w.Header().Set("X-System-Warning", "[w-1]: \u202eevil\u009b31m")
		w.WriteHeader(http.StatusBadRequest)
		q, _ := json.Marshal(evil)
		fmt.Fprintf(w, `{"exception":{"exceptionDetailList":[{"exceptionCode":21405,"exceptionDescription":%s,"details":[%s]}]}}`, q, q)
	}), ksef.WithLogger(nil))
	var logs strings.Builder
	c2, _ := ksef.NewClient(ksef.WithBaseURL(c.BaseURL()), ksef.WithLogger(newTextLogger(&logs)))
	for _, cl := range []*ksef.Client{c, c2} {
		_, err := cl.Auth.Challenge(t.Context())
		var ae *ksef.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("err = %v", err)
		}
		if ae.Message != evil {
			t.Errorf("Message %q, want the raw text", ae.Message)
		}
		checkClean(t, "Error()", err.Error())
		if !strings.Contains(err.Error(), `\x1b[2J`) || !strings.Contains(err.Error(), `\u202e`) {
			t.Errorf("Error() %q does not show the escaped characters", err)
		}
	}
	checkClean(t, "logs", logs.String())
	if !strings.Contains(logs.String(), "system warning") {
		t.Errorf("warning not logged: %s", logs.String())
	}
	se := &ksef.StatusError{Operation: "auth", Code: 450, Description: evil, Details: []string{evil}}
	checkClean(t, "StatusError", se.Error())
}

func checkClean(t *testing.T, where, s string) {
	t.Helper()
	for _, r := range s {
		if r == '\n' && where == "logs" {
			continue // the text handler ends each record with a newline
		}
		if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x202e {
			t.Errorf("%s contains %U: %q", where, r, s)
			return
		}
	}
}

// TestMisbehavingEchoedSecrets: a server that echoes the tokens the client
// holds (a non-JWT KSeF token, the access token, the operation token) in
// its error body: they are redacted from Error(), APIError.Body and the
// logs.
func TestMisbehavingEchoedSecrets(t *testing.T) {
	const (
		ksefToken = "20251010-EC-1234567890-ABCDEF1234-99|nip-5265877635|0123456789abcdef0123456789abcdef"
		access    = "plain-access-token-42"
		opToken   = "plain-operation-token-42"
	)
	var logs strings.Builder
	c, _ := misbehavingClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v2/security/public-key-certificates":
			w.Write(testPublicKeysJSON(t))
			return
		case "/v2/auth/challenge":
			fmt.Fprint(w, `{"challenge":"20250514-CR-1F2A3B4C5D-6E7F8A9B0C-1D","timestamp":"2025-05-14T10:00:00Z","timestampMs":1}`)
			return
		}
		auth := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.Header().Set("X-System-Warning", "[w]: token "+auth+" "+ksefToken)
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"exception":{"exceptionDetailList":[{"exceptionCode":21405,"exceptionDescription":"bad token %s %s","details":["%s"]}]}}`, auth, ksefToken, ksefToken)
	}), ksef.WithLogger(newTextLogger(&logs)))

	check := func(name string, err error, secrets ...string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		var ae *ksef.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("%s: err = %v", name, err)
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) || strings.Contains(string(ae.Body), s) || strings.Contains(ae.Message, s) || strings.Contains(logs.String(), s) {
				t.Errorf("%s: secret %q leaked: %v / %s", name, s, err, ae.Body)
			}
		}
		if !strings.Contains(string(ae.Body), "REDACTED") {
			t.Errorf("%s: body %s not redacted", name, ae.Body)
		}
	}
	_, err := c.Auth.LoginWithToken(t.Context(), nipContext(t, "5265877635"), ksef.Secret(ksefToken), nil)
	check("LoginWithToken", err, ksefToken)
	_, err = c.Auth.Status(t.Context(), "20250625-AU-2EBD3F2000-BC6C7F1F73-7B", opToken)
	check("Status", err, opToken)
	a := c.Auth.Resume(ksef.TokenInfo{Token: access, ValidUntil: time.Now().Add(time.Hour)}, ksef.TokenInfo{Token: "plain-refresh-token-42", ValidUntil: time.Now().Add(time.Hour)})
	_, err = a.AuthSessions.List(t.Context(), nil)
	check("AuthSessions.List", err, access, "plain-refresh-token-42")
}

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testPublicKeysJSON returns a GET /security/public-key-certificates body
// with one RSA key for KSeF token encryption.
func testPublicKeysJSON(t *testing.T) []byte {
	t.Helper()
	now := time.Now()
	b, err := json.Marshal([]ksef.PublicKeyCertificate{{Certificate: mfCert(t, false), PublicKeyID: "k1",
		ValidFrom: now.Add(-time.Hour), ValidTo: now.Add(time.Hour),
		Usage: []ksef.PublicKeyCertificateUsage{ksef.KsefTokenEncryption, ksef.SymmetricKeyEncryption}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// nipContext returns the NIP context of nip, failing the test when nip is
// not a valid NIP.
func nipContext(t *testing.T, nip string) ksef.ContextIdentifier {
	t.Helper()
	c, err := ksef.NIPContext(nip)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
