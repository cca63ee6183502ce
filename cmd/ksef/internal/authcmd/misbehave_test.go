package authcmd

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/ksefsim/ksefsimtest"
)

// runBounded runs a ksef command line that must end by itself within
// limit; a hang fails the test instead of blocking it.
func runBounded(t *testing.T, c *clitest.CLI, limit time.Duration, args ...string) (time.Duration, error) {
	t.Helper()
	took, _, err := runBoundedStderr(t, c, limit, args...)
	return took, err
}

// runBoundedStderr is runBounded returning the command's stderr too.
func runBoundedStderr(t *testing.T, c *clitest.CLI, limit time.Duration, args ...string) (time.Duration, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit+10*time.Second)
	defer cancel()
	type result struct {
		stderr string
		err    error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		var out, errb clitest.SyncBuffer
		_, stderr, err := c.RunTo(ctx, &out, &errb, args...)
		done <- result{stderr, err}
	}()
	select {
	case r := <-done:
		took := time.Since(start)
		if took > limit {
			t.Errorf("ksef %s took %s, more than %s", strings.Join(args, " "), took, limit)
		}
		return took, r.stderr, r.err
	case <-time.After(limit + 5*time.Second):
		t.Fatalf("ksef %s still running after %s", strings.Join(args, " "), limit+5*time.Second)
		return 0, "", nil
	}
}

// misbehaving starts a loopback server answering every request with h.
func misbehaving(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/v2"
}

// TestLoginAgainstMisbehavingServers: `ksef auth login` ends with an error
// saying what it waited for when the server answers 429 forever (with a
// short or a huge Retry-After), trickles a body, or keeps the
// authentication at status 100.
func TestLoginAgainstMisbehavingServers(t *testing.T) {
	const token = "20260101-EC-0000000000-0000000000-00|nip-5265877635|0123456789abcdef"
	login := []string{"auth", "login", "--nip", "5265877635", "--token", token}

	t.Run("429 forever", func(t *testing.T) {
		t.Parallel()
		base := misbehaving(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"status":429,"title":"Too Many Requests"}`, http.StatusTooManyRequests)
		})
		c := newCLI(t)
		_, err := runBounded(t, c, 10*time.Second, append(login, "--base-url", base, "--timeout", "3s")...)
		msg := cli.ErrorMessage(err)
		if err == nil || !(strings.Contains(msg, "429") || strings.Contains(msg, "rate") || strings.Contains(msg, "gave up after 3s")) {
			t.Errorf("login against 429 forever: %s", msg)
		}
	})

	t.Run("huge Retry-After", func(t *testing.T) {
		t.Parallel()
		base := misbehaving(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "31536000") // a year
			http.Error(w, `{"status":429,"title":"Too Many Requests"}`, http.StatusTooManyRequests)
		})
		c := newCLI(t)
		_, err := runBounded(t, c, 10*time.Second, append(login, "--base-url", base, "--timeout", "2s")...)
		if err == nil {
			t.Fatal("login against a year's Retry-After succeeded")
		}
		t.Logf("huge Retry-After: %s", cli.ErrorMessage(err))
	})

	t.Run("escape sequences", func(t *testing.T) {
		t.Parallel()
		evil := "\x1b]0;evil\x07\x1b[2J login OK"
		base := misbehaving(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			// Header values cannot carry C0 controls; C1 and bidi controls
			// (UTF-8) they can.
			w.Header().Set("X-System-Warning", "[evil-1]: fake \u202eKO nigol\u009b2J")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"exception": map[string]any{
				"exceptionDetailList": []map[string]any{{"exceptionCode": 21405, "exceptionDescription": evil, "details": []string{evil}}},
				"referenceNumber":     evil, "serviceCode": evil,
			}})
		})
		c := newCLI(t)
		_, stderr, err := runBoundedStderr(t, c, 10*time.Second, append(login, "--base-url", base)...)
		if err == nil {
			t.Fatal("login succeeded")
		}
		// The warning KSeF sent in X-System-Warning is printed, escaped.
		if strings.ContainsAny(stderr, "\u202e\u009b") || !strings.Contains(stderr, `ksef: warning from KSeF (GET /security/public-key-certificates): [evil-1] fake \u202eKO nigol\u009b2J`) {
			t.Errorf("stderr: %q", stderr)
		}
		msg := cli.ErrorMessage(err)
		if strings.ContainsAny(msg, "\x1b\x07") || !strings.Contains(msg, `\x1b]0;evil\x07\x1b[2J login OK`) {
			t.Errorf("the server's description is not escaped: %q", msg)
		}
	})

	t.Run("trickled body", func(t *testing.T) {
		t.Parallel()
		base := misbehaving(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			fl := w.(http.Flusher)
			for {
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
				fl.Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(200 * time.Millisecond):
				}
			}
		})
		c := newCLI(t)
		_, err := runBounded(t, c, 10*time.Second, append(login, "--base-url", base, "--timeout", "2s")...)
		var te *cli.TimeoutError
		if !errors.As(err, &te) || !strings.Contains(te.LastRequest, "GET /security/public-key-certificates (HTTP 200)") {
			t.Fatalf("login against a trickled body: %v", err)
		}
		t.Logf("trickled body: %s", cli.ErrorMessage(err))
	})

	t.Run("status 100 forever", func(t *testing.T) {
		t.Parallel()
		authStatus := regexp.MustCompile(`/auth/\d{8}-AU-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2}$`)
		stuck := ksefsim.WithMiddleware(func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet && authStatus.MatchString(r.URL.Path) {
					w.Header().Set("Content-Type", "application/json")
					w.Write([]byte(`{"startDate":"2026-01-01T10:00:00+00:00","authenticationMethod":"QualifiedSeal","authenticationMethodInfo":{"category":"XadesSignature","code":"Seal.Qualified","displayName":"Pieczęć kwalifikowana"},"status":{"code":100,"description":"Uwierzytelnianie w toku"}}`))
					return
				}
				h.ServeHTTP(w, r)
			})
		})
		srv := ksefsimtest.NewServer(t, stuck)
		_, certFile, keyFile := clitest.WriteIdentity(t, srv.Simulator)
		c := newCLI(t)
		took, err := runBounded(t, c, 15*time.Second, "auth", "login", "--base-url", srv.URL, "--cert", certFile, "--key", keyFile, "--timeout", "3s")
		var te *cli.TimeoutError
		if !errors.As(err, &te) || te.Timeout != 3*time.Second || !te.Explicit || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("login stuck at status 100 after %s: %v", took, err)
		}
		msg := cli.ErrorMessage(err)
		if !strings.Contains(msg, "ksef: auth login: gave up after 3s (--timeout") || !strings.Contains(msg, "last request GET /auth/{referenceNumber} (HTTP 200)") {
			t.Errorf("timeout message: %s", msg)
		}
		t.Logf("status 100 forever: %s", msg)
	})
}

// TestTimeoutDefaults: the default --timeout of each command.
func TestTimeoutDefaults(t *testing.T) {
	f := &cli.Factory{}
	root := cli.NewRoot(f, New)
	for path, want := range map[string]time.Duration{
		"auth login":    cli.DefaultTimeout,
		"auth status":   cli.StatusTimeout,
		"auth sessions": cli.StatusTimeout,
		"auth logout":   cli.StatusTimeout,
		"auth profiles": cli.NoTimeout,
	} {
		cmd, _, err := root.Find(strings.Fields(path))
		if err != nil {
			t.Fatal(err)
		}
		if got := cli.TimeoutOf(cmd); got != want {
			t.Errorf("default --timeout of %s = %s, want %s", path, got, want)
		}
	}
}
