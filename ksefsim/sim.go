package ksefsim

import (
	"crypto/rand"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ksef2/ksef"
)

// BasePath is the path prefix under which the simulator serves the API, as
// KSeF does ("https://api-test.ksef.mf.gov.pl/v2").
const BasePath = "/v2"

// Simulator is a stateful KSeF 2.0 server. It implements [http.Handler];
// every operation lives under [BasePath]. A Simulator is safe for concurrent
// use. Create one with [New] (or
// [github.com/ksef2/ksef/ksefsim/ksefsimtest.NewServer] in tests).
type Simulator struct {
	cfg     config
	mu      sync.Mutex // guards st, keys and the token secret
	st      *state
	keys    *keyStore
	jwtKey  []byte
	faults  *Faults
	limiter *rateLimiter
	routes  []*route
	mux     *http.ServeMux
	handler http.Handler
	calls   sync.Map     // op -> *atomic.Int64 (see Calls)
	offset  atomic.Int64 // added to the clock, see Advance
	// verifications counts full XAdES verifications (tests check that
	// cheap refusals come first).
	verifications atomic.Int64
	// lat is the simulated Latarnia (latarnia.go).
	lat latarniaState
	// spill holds the encrypted parts of built export packages (export.go).
	spill exportSpill
}

// TokenLifetimes are the lifetimes of the JWTs the simulator issues.
type TokenLifetimes struct {
	// Authentication is the lifetime of the authenticationToken returned by
	// POST /auth/xades-signature and POST /auth/ksef-token (default 45 min).
	Authentication time.Duration
	// Access is the lifetime of access tokens (default 15 min).
	Access time.Duration
	// Refresh is the lifetime of refresh tokens (default 7 days).
	Refresh time.Duration
}

// DefaultTokenLifetimes returns the lifetimes used unless
// [WithTokenLifetimes] says otherwise; they follow what KSeF TEST issues.
func DefaultTokenLifetimes() TokenLifetimes {
	return TokenLifetimes{
		Authentication: 45 * time.Minute,
		Access:         15 * time.Minute,
		Refresh:        7 * 24 * time.Hour,
	}
}

type config struct {
	now             func() time.Time
	middleware      []func(http.Handler) http.Handler
	processingDelay time.Duration
	lifetimes       TokenLifetimes
	rateLimits      map[ksef.RateLimitGroup]RateLimit
	rateLimitsOff   bool
	logger          *slog.Logger
	roots           *x509.CertPool
	admin           bool
	signingSkew     time.Duration // < 0: unchecked
	invoiceLimit    int           // 0: DefaultSessionInvoiceLimit
	timeouts        ServerTimeouts
	storageDelay    time.Duration // see WithPermanentStorageDelay
	export          exportConfig  // see WithExportPartSize
}

// Option configures a [Simulator].
type Option func(*config)

// WithClock makes the simulator read the time from now instead of
// time.Now. Every time-dependent rule (challenge validity, token expiry,
// processing delays, rate-limit windows, retention) uses it, so tests can move
// time forward without sleeping; see [ManualClock].
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithMiddleware wraps the simulator's handler (outermost first when given
// several times). The contract tests use it to validate every request and
// response against the OpenAPI spec; it also suits logging and observation.
func WithMiddleware(mw func(http.Handler) http.Handler) Option {
	return func(c *config) {
		if mw != nil {
			c.middleware = append(c.middleware, mw)
		}
	}
}

// WithProcessingDelay sets how long asynchronous operations (authentication,
// KSeF token activation) stay in progress (status 100, token Pending),
// measured on the simulator's clock. The default is 0: results are final at
// once.
func WithProcessingDelay(d time.Duration) Option {
	return func(c *config) { c.processingDelay = max(d, 0) }
}

// WithTokenLifetimes overrides the lifetimes of issued JWTs; zero fields keep
// their defaults.
func WithTokenLifetimes(l TokenLifetimes) Option {
	return func(c *config) {
		if l.Authentication > 0 {
			c.lifetimes.Authentication = l.Authentication
		}
		if l.Access > 0 {
			c.lifetimes.Access = l.Access
		}
		if l.Refresh > 0 {
			c.lifetimes.Refresh = l.Refresh
		}
	}
}

// WithRateLimits overrides the limits of the named rate-limit groups (see
// [DefaultRateLimits] for the names); other groups keep their defaults.
func WithRateLimits(limits map[ksef.RateLimitGroup]RateLimit) Option {
	return func(c *config) {
		for g, l := range limits {
			c.rateLimits[g] = l
		}
	}
}

// WithoutRateLimits turns rate limiting off.
func WithoutRateLimits() Option {
	return func(c *config) { c.rateLimitsOff = true }
}

// WithLogger sets a logger for one Debug record per request. The default
// discards everything. Tokens never appear in the records.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithTrustedRoots sets the roots against which signing certificates are
// verified when a client asks for it with verifyCertificateChain=true on
// POST /auth/xades-signature. Without roots every such request ends with
// status 460 (untrusted chain), as self-signed certificates do on KSeF TEST.
func WithTrustedRoots(roots *x509.CertPool) Option {
	return func(c *config) { c.roots = roots }
}

// WithSigningTimeTolerance sets how far xades:SigningTime may lie after the
// simulator's time, or before the challenge (default 1 hour; a larger skew
// is rejected with 400/9105). A negative d turns the check off, which helps
// when the simulator runs on a fake clock far from the signer's real time.
func WithSigningTimeTolerance(d time.Duration) Option {
	return func(c *config) {
		if d != 0 {
			c.signingSkew = d
		}
	}
}

// New returns a simulator with fresh state and its own MF key pairs.
func New(opts ...Option) *Simulator {
	cfg := config{
		now:         time.Now,
		lifetimes:   DefaultTokenLifetimes(),
		rateLimits:  DefaultRateLimits(),
		logger:      slog.New(slog.DiscardHandler),
		signingSkew: defaultSigningTimeTolerance,
		timeouts:    DefaultServerTimeouts(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Simulator{
		cfg:    cfg,
		st:     newState(),
		faults: newFaults(),
		jwtKey: make([]byte, 32),
	}
	if _, err := rand.Read(s.jwtKey); err != nil {
		panic("ksefsim: no randomness: " + err.Error())
	}
	s.keys = newKeyStore(s.now())
	s.limiter = newRateLimiter(cfg.rateLimits, cfg.rateLimitsOff)
	s.mux = http.NewServeMux()
	s.register()
	s.registerLatarnia()
	if cfg.admin {
		s.registerAdmin()
	}
	var h http.Handler = s.mux
	for _, mw := range slices.Backward(cfg.middleware) {
		h = mw(h)
	}
	s.handler = h
	return s
}

// ServeHTTP implements [http.Handler].
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// now returns the simulator's current time (UTC): its clock plus what
// Advance added.
func (s *Simulator) now() time.Time {
	return s.cfg.now().Add(time.Duration(s.offset.Load())).UTC()
}

// Now returns the simulator's current time, read from its clock.
func (s *Simulator) Now() time.Time { return s.now() }

// Handled returns the operations the simulator serves, each as
// "METHOD /path" exactly as in the KSeF OpenAPI spec (without the /v2
// prefix), sorted.
func (s *Simulator) Handled() []string {
	out := make([]string, 0, len(s.routes))
	for _, rt := range s.routes {
		out = append(out, rt.op.String())
	}
	slices.Sort(out)
	return out
}

// Calls reports how many requests of an operation ("METHOD /path" as in
// [Simulator.Handled]) reached the simulator, including those that failed.
func (s *Simulator) Calls(op string) int {
	v, ok := s.calls.Load(op)
	if !ok {
		return 0
	}
	return int(v.(*atomic.Int64).Load())
}

func (s *Simulator) count(op string) {
	v, _ := s.calls.LoadOrStore(op, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// Faults returns the fault-injection controller of the simulator.
func (s *Simulator) Faults() *Faults { return s.faults }

// clientIP returns the IP address of the client of r as the simulator sees
// it (the remote address of the connection).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
