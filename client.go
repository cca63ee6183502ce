package ksef

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Environment is a public KSeF environment.
type Environment int

// The public KSeF environments. There is no silent Production default:
// [NewClient] uses [Test] unless told otherwise.
const (
	// Test is the TEST (release-candidate) environment; it accepts
	// self-signed certificates and its data is shared between integrators.
	Test Environment = iota + 1
	// Demo is the pre-production environment.
	Demo
	// Production is the production environment: invoices sent there are
	// legally binding.
	Production
)

// String returns "test", "demo" or "production".
func (e Environment) String() string {
	switch e {
	case Test:
		return "test"
	case Demo:
		return "demo"
	case Production:
		return "production"
	}
	return fmt.Sprintf("Environment(%d)", int(e))
}

// BaseURL returns the API base URL of the environment, e.g.
// "https://api-test.ksef.mf.gov.pl/v2".
func (e Environment) BaseURL() string {
	switch e {
	case Test:
		return "https://api-test.ksef.mf.gov.pl/v2"
	case Demo:
		return "https://api-demo.ksef.mf.gov.pl/v2"
	case Production:
		return "https://api.ksef.mf.gov.pl/v2"
	}
	return ""
}

// QRBaseURL returns the base URL of the environment's verification links
// (KOD I / KOD II), e.g. "https://qr-test.ksef.mf.gov.pl".
func (e Environment) QRBaseURL() string {
	switch e {
	case Test:
		return "https://qr-test.ksef.mf.gov.pl"
	case Demo:
		return "https://qr-demo.ksef.mf.gov.pl"
	case Production:
		return "https://qr.ksef.mf.gov.pl"
	}
	return ""
}

// ParseEnvironment parses "test", "demo" or "production" (also "prd",
// "prod"), case-insensitively.
func ParseEnvironment(s string) (Environment, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "test", "te":
		return Test, nil
	case "demo":
		return Demo, nil
	case "production", "prod", "prd":
		return Production, nil
	}
	return 0, fmt.Errorf("ksef: unknown environment %q (want test, demo or production)", s)
}

// DefaultUserAgent is the User-Agent sent unless [WithUserAgent] is used.
const DefaultUserAgent = "ksef-go/2 (+https://github.com/ksef2/ksef)"

// Client is a KSeF API client for the operations that need no access
// token. It is safe for concurrent use. Create one with [NewClient]; the
// login methods of [AuthService] (and [AuthService.Resume],
// [AuthService.ResumeWith]) return an [AuthenticatedClient], which adds
// the services that need an access token (Tokens, AuthSessions).
type Client struct {
	cfg *config

	// Auth handles authentication: challenges, logins, token refresh.
	Auth *AuthService
	// PublicKeys fetches and caches the Ministry of Finance encryption keys.
	PublicKeys *PublicKeysService
	// TestData sets up data on the TEST environment (and the simulator).
	TestData *TestDataService
	// Peppol lists the Peppol service providers.
	Peppol *PeppolService
}

// service is the common base of the services: each service type is
// declared as "type XService service".
type service struct {
	c *Client
}

// config is the immutable configuration shared by a client and the
// authenticated clients derived from it.
type config struct {
	env            Environment
	baseURL        *url.URL
	qrBaseURL      string
	httpClient     *http.Client
	logger         *slog.Logger
	retry          RetryPolicy
	userAgent      string
	warningHook    func(SystemWarning)
	problemDetails bool
	auth           Authenticator
	keys           *keyCache
	keyTTL         time.Duration
	pacing         pacingMode
	rateLimits     map[RateLimitGroup]RateLimit
	pacer          *pacer // nil when pacing is off
	headers        http.Header
	// bodyIdleTimeout bounds each pause of a response body.
	bodyIdleTimeout time.Duration
}

// NewClient returns a client configured by opts. Without options it talks
// to the [Test] environment.
func NewClient(opts ...Option) (*Client, error) {
	cfg := &config{
		env:        Test,
		httpClient: defaultHTTPClient(),
		logger:     slog.New(slog.DiscardHandler),
		retry:      RetryPolicy{MaxAttempts: defaultMaxAttempts, MaxDelay: defaultMaxDelay},
		userAgent:  DefaultUserAgent,
		keyTTL:     defaultKeyTTL,

		bodyIdleTimeout: defaultBodyIdleTimeout,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	cfg.httpClient = withoutRedirects(cfg.httpClient)
	baseURL := cfg.env.BaseURL()
	if cfg.baseURL != nil { // set by WithBaseURL
		baseURL = cfg.baseURL.String()
	}
	u, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	cfg.baseURL = u
	if cfg.qrBaseURL == "" {
		cfg.qrBaseURL = cfg.env.QRBaseURL()
	}
	cfg.keys = newKeyCache(cfg.keyTTL)
	if cfg.pacing == pacingOn || cfg.pacing == pacingDefault && baseURL == cfg.env.BaseURL() {
		if cfg.rateLimits == nil {
			cfg.rateLimits = DefaultRateLimits()
		}
		cfg.pacer = newPacer(cfg.rateLimits)
	}
	return newClient(cfg), nil
}

// defaultHTTPClient has no overall timeout (large downloads are bounded by
// the caller's context) but limits the wait for response headers.
func defaultHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 2 * time.Minute
	return &http.Client{Transport: tr}
}

// withoutRedirects returns a shallow copy of hc that never follows a
// redirect (KSeF does not redirect, and following one could send the
// Authorization header to another server or another port of the same
// host): the 3xx response is returned as is and becomes an *APIError,
// so the Authorization header is never sent to the redirect's target.
func withoutRedirects(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	return &cp
}

func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("ksef: invalid base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, errors.New("ksef: base URL must be an absolute http or https URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("ksef: base URL must not have a query or fragment")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func newClient(cfg *config) *Client {
	c := &Client{cfg: cfg}
	c.Auth = &AuthService{c: c}
	c.PublicKeys = &PublicKeysService{c: c}
	c.TestData = &TestDataService{c: c}
	c.Peppol = &PeppolService{c: c}
	return c
}

// withAuth returns a client sharing c's configuration (and key cache) that
// authenticates its requests with a.
func (c *Client) withAuth(a Authenticator) *Client {
	cfg := *c.cfg
	cfg.auth = a
	if a != nil && cfg.pacer != nil {
		// limits are counted per context: a new login gets its own pacer
		cfg.pacer = newPacer(cfg.rateLimits)
	}
	return newClient(&cfg)
}

// Environment returns the environment the client was configured for (the
// one whose QR host is used when a custom base URL is set).
func (c *Client) Environment() Environment { return c.cfg.env }

// BaseURL returns the API base URL, e.g. "https://api-test.ksef.mf.gov.pl/v2".
func (c *Client) BaseURL() string { return c.cfg.baseURL.String() }

// QRBaseURL returns the base URL of verification links (KOD I / KOD II).
func (c *Client) QRBaseURL() string { return c.cfg.qrBaseURL }

// Logger returns the client's logger (a discarding logger by default).
func (c *Client) Logger() *slog.Logger { return c.cfg.logger }

// Authenticator returns the client's authenticator, or nil for an
// unauthenticated client.
func (c *Client) Authenticator() Authenticator { return c.cfg.auth }
