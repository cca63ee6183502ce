package ksef

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Option configures a [Client] in [NewClient]. Options are validated once;
// an invalid option makes NewClient fail with the option's error.
type Option func(*config) error

// WithEnvironment selects a public KSeF environment ([Test], [Demo] or
// [Production]). The default is [Test].
func WithEnvironment(env Environment) Option {
	return func(cfg *config) error {
		if env.BaseURL() == "" {
			return fmt.Errorf("ksef: unknown environment %d", int(env))
		}
		cfg.env = env
		return nil
	}
}

// WithBaseURL overrides the API base URL, e.g. the simulator's
// "http://127.0.0.1:PORT/v2". The URL includes the API's version path
// ("/v2", as in [Environment.BaseURL]); without it every call ends in a
// 404. The environment still decides the QR host unless [WithQRBaseURL]
// is used too.
func WithBaseURL(u string) Option {
	return func(cfg *config) error {
		bu, err := parseBaseURL(u)
		if err != nil {
			return err
		}
		cfg.baseURL = bu
		return nil
	}
}

// WithQRBaseURL overrides the base URL of verification links.
func WithQRBaseURL(u string) Option {
	return func(cfg *config) error {
		if _, err := parseBaseURL(u); err != nil {
			return err
		}
		cfg.qrBaseURL = u
		return nil
	}
}

// WithHTTPClient sets the HTTP client used for all requests (for proxies,
// TLS settings or tracing RoundTrippers). Retries are done by the KSeF
// client, not by the HTTP client. The KSeF client uses a copy of hc whose
// CheckRedirect refuses every redirect (the 3xx response becomes an
// *[APIError]), so that the Authorization header never follows one.
func WithHTTPClient(hc *http.Client) Option {
	return func(cfg *config) error {
		if hc == nil {
			return errors.New("ksef: WithHTTPClient: nil client")
		}
		cfg.httpClient = hc
		return nil
	}
}

// WithBodyIdleTimeout sets how long a response body may pause: when no
// data arrives for d, the request is cancelled and its read fails with an
// error matching [ErrBodyIdleTimeout]. The default is one minute; d must be
// positive (every wait is bounded). It complements the HTTP transport's
// ResponseHeaderTimeout (two minutes in the default HTTP client), which
// bounds the wait for the headers. For a streamed download the pause
// includes the time the caller takes between reads.
func WithBodyIdleTimeout(d time.Duration) Option {
	return func(cfg *config) error {
		if d <= 0 {
			return errors.New("ksef: WithBodyIdleTimeout: the timeout must be positive")
		}
		cfg.bodyIdleTimeout = d
		return nil
	}
}

// WithLogger sets the logger. The client logs one Debug record per HTTP
// attempt and a Warn record per X-System-Warning; it never logs tokens,
// the Authorization header, invoice contents or pre-signed URLs. The
// default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) error {
		if l == nil {
			l = slog.New(slog.DiscardHandler)
		}
		cfg.logger = l
		return nil
	}
}

// RetryPolicy controls retries of refused or failed requests.
//
// 429 and 503 responses are retried for every method, after the delay given
// by Retry-After (seconds or an HTTP date) or, without it, an exponential
// backoff with full jitter. 502, 504 and transport errors are retried only
// for GET, HEAD and DELETE and for the two POST operations that are safe to
// repeat (POST /auth/challenge and POST /auth/token/refresh): any other POST
// may have been processed. Other statuses are never retried. When
// Retry-After asks for longer than MaxDelay, the client does not wait: it
// returns the *[APIError] with RetryAfter set, so the caller can decide.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts (default 3; 1 disables
	// retries).
	MaxAttempts int
	// MaxDelay is the longest the client sleeps before a retry (default
	// 60 s). It also caps the exponential backoff.
	MaxDelay time.Duration
	// BaseDelay is the first backoff step (default 500 ms).
	BaseDelay time.Duration
}

const (
	defaultMaxAttempts = 3
	defaultMaxDelay    = 60 * time.Second
	defaultBaseDelay   = 500 * time.Millisecond
)

// WithRetry sets the retry policy; zero fields keep their defaults.
func WithRetry(p RetryPolicy) Option {
	return func(cfg *config) error {
		if p.MaxAttempts < 0 || p.MaxDelay < 0 || p.BaseDelay < 0 {
			return errors.New("ksef: WithRetry: negative value")
		}
		if p.MaxAttempts == 0 {
			p.MaxAttempts = defaultMaxAttempts
		}
		if p.MaxDelay == 0 {
			p.MaxDelay = defaultMaxDelay
		}
		cfg.retry = p
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(cfg *config) error {
		if ua == "" {
			return errors.New("ksef: WithUserAgent: empty user agent")
		}
		cfg.userAgent = ua
		return nil
	}
}

// WithSystemWarningHook sets a function called for every warning KSeF
// sends in the X-System-Warning response header (for instance [sig-001]
// for a signature that is accepted but not conforming). The hook runs
// synchronously on the request goroutine; keep it short.
func WithSystemWarningHook(hook func(SystemWarning)) Option {
	return func(cfg *config) error {
		cfg.warningHook = hook
		return nil
	}
}

// WithProblemDetails asks KSeF for RFC 7807 error bodies (header
// "X-Error-Format: problem-details"). Both formats decode into *[APIError].
func WithProblemDetails() Option {
	return func(cfg *config) error {
		cfg.problemDetails = true
		return nil
	}
}

// WithPublicKeyTTL sets how long the Ministry of Finance public-key
// certificates are cached (default 6 hours). Keys are re-fetched earlier
// when KSeF answers 21470 (unknown key).
func WithPublicKeyTTL(d time.Duration) Option {
	return func(cfg *config) error {
		if d <= 0 {
			return errors.New("ksef: WithPublicKeyTTL: TTL must be positive")
		}
		cfg.keyTTL = d
		return nil
	}
}

// WithRequestHeader adds a header to every API request (never to
// pre-signed URLs), for example "X-KSeF-Feature" to opt in to a feature, or
// "X-Test-System-Warning" on TEST to have KSeF echo it as X-System-Warning.
// Authorization, Content-Type and Accept cannot be set this way.
func WithRequestHeader(name, value string) Option {
	return func(cfg *config) error {
		switch http.CanonicalHeaderKey(name) {
		case "", "Authorization", "Content-Type", "Accept", "Content-Length", "Host":
			return fmt.Errorf("ksef: WithRequestHeader: header %q cannot be set", name)
		}
		if cfg.headers == nil {
			cfg.headers = http.Header{}
		}
		cfg.headers.Add(name, value)
		return nil
	}
}
