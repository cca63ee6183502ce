package ksef

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"
)

// RateLimit is a request budget of one KSeF rate-limit group: at most
// PerSecond requests in any second, PerMinute in any minute and PerHour in
// any hour (sliding windows). Zero or a negative value means no limit in
// that window.
type RateLimit struct {
	// PerSecond is the budget of any one-second window.
	PerSecond int
	// PerMinute is the budget of any one-minute window.
	PerMinute int
	// PerHour is the budget of any one-hour window.
	PerHour int
}

// RateLimitGroup names a KSeF rate-limit group: the operations of one group
// share one request budget. Each operation's group is in the operation
// table ([Operation.Info]).
type RateLimitGroup string

// The KSeF rate-limit groups (API 2.8.1). Public operations count against
// GroupAnonymous; operations not listed elsewhere against GroupOther.
const (
	GroupOnlineSession       RateLimitGroup = "onlineSession"
	GroupOnlineSessionClose                 = "onlineSessionClose"
	GroupBatchSession                       = "batchSession"
	GroupBatchSessionClose                  = "batchSessionClose"
	GroupInvoiceSend                        = "invoiceSend"
	GroupInvoiceStatus                      = "invoiceStatus"
	GroupSessionList                        = "sessionList"
	GroupSessionInvoiceList                 = "sessionInvoiceList"
	GroupSessionMisc                        = "sessionMisc"
	GroupInvoiceMetadata                    = "invoiceMetadata"
	GroupInvoiceExport                      = "invoiceExport"
	GroupInvoiceExportStatus                = "invoiceExportStatus"
	GroupInvoiceDownload                    = "invoiceDownload"
	GroupCollectiveID                       = "collectiveIdentifier"
	GroupOther                              = "other"
	GroupAnonymous                          = "anonymous"
)

// DefaultRateLimits returns the published production limits per group
// (equal on TEST and DEMO since 2.5.0).
func DefaultRateLimits() map[RateLimitGroup]RateLimit {
	return map[RateLimitGroup]RateLimit{
		GroupOnlineSession:       {10, 30, 120},
		GroupOnlineSessionClose:  {20, 60, 240},
		GroupBatchSession:        {10, 20, 60},
		GroupBatchSessionClose:   {20, 40, 120},
		GroupInvoiceSend:         {10, 30, 180},
		GroupInvoiceStatus:       {30, 120, 1200},
		GroupSessionList:         {5, 10, 60},
		GroupSessionInvoiceList:  {10, 20, 200},
		GroupSessionMisc:         {10, 120, 1200},
		GroupInvoiceMetadata:     {8, 16, 20},
		GroupInvoiceExport:       {8, 16, 20},
		GroupInvoiceExportStatus: {10, 60, 600},
		GroupInvoiceDownload:     {8, 16, 64},
		GroupCollectiveID:        {20, 120, 240},
		GroupOther:               {10, 30, 120},
		GroupAnonymous:           {60, 0, 0},
	}
}

// PacingError is returned instead of sending a request when the client's
// own rate limiter would have to wait longer than RetryPolicy.MaxDelay. It
// matches [ErrRateLimited].
type PacingError struct {
	// Group is the rate-limit group.
	Group RateLimitGroup
	// RetryAfter is when the next request of the group may be sent.
	RetryAfter time.Duration
	// Method and Path identify the request (Path is the spec template).
	Method, Path string
}

// Error returns a "ksef:" message naming the group and delay.
func (e *PacingError) Error() string {
	return fmt.Sprintf("ksef: %s %s: rate limit of group %q reached; next request allowed in %v", e.Method, e.Path, e.Group, e.RetryAfter.Round(time.Second))
}

// Is reports whether target is [ErrRateLimited].
func (e *PacingError) Is(target error) bool { return target == ErrRateLimited }

// pacer is a sliding-window limiter per rate-limit group. It is shared by
// the requests of one context (one authenticated client).
type pacer struct {
	mu      sync.Mutex
	limits  map[RateLimitGroup]RateLimit
	history map[RateLimitGroup][]time.Time // send times, oldest first, at most 1 h old
	blocked map[RateLimitGroup]time.Time   // group → no requests before (after a 429)
}

func newPacer(limits map[RateLimitGroup]RateLimit) *pacer {
	return &pacer{limits: maps.Clone(limits), history: map[RateLimitGroup][]time.Time{}, blocked: map[RateLimitGroup]time.Time{}}
}

func (p *pacer) setLimits(limits map[RateLimitGroup]RateLimit) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for g, l := range limits {
		p.limits[g] = l
	}
}

// reserve records a request of group at now and returns 0, or returns how
// long to wait before one is allowed.
func (p *pacer) reserve(group RateLimitGroup, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until, ok := p.blocked[group]; ok {
		if d := until.Sub(now); d > 0 {
			return d
		}
		delete(p.blocked, group)
	}
	lim, ok := p.limits[group]
	if !ok {
		return 0
	}
	h := p.history[group]
	// drop entries older than the longest window
	i := 0
	for i < len(h) && now.Sub(h[i]) >= time.Hour {
		i++
	}
	h = h[i:]
	var wait time.Duration
	for _, w := range []struct {
		n   int
		win time.Duration
	}{{lim.PerSecond, time.Second}, {lim.PerMinute, time.Minute}, {lim.PerHour, time.Hour}} {
		if w.n <= 0 {
			continue
		}
		// requests inside the window: the suffix of h newer than now-win
		start := len(h)
		for start > 0 && now.Sub(h[start-1]) < w.win {
			start--
		}
		if inWin := len(h) - start; inWin >= w.n {
			// the oldest request that must leave the window first
			leave := h[len(h)-w.n].Add(w.win)
			wait = max(wait, leave.Sub(now))
		}
	}
	if wait > 0 {
		p.history[group] = h
		return wait
	}
	p.history[group] = append(h, now)
	return 0
}

// block keeps group closed until now+d (after a 429 with Retry-After).
func (p *pacer) block(group RateLimitGroup, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.blocked[group]) {
		p.blocked[group] = until
	}
}

// pace waits for a slot of the request's group, bounded by ctx and by the
// retry policy's MaxDelay.
func (c *Client) pace(ctx context.Context, r *request) error {
	p := c.cfg.pacer
	if p == nil || r.absURL != "" {
		return nil
	}
	group := r.info().Group
	for {
		d := p.reserve(group, time.Now())
		if d == 0 {
			return nil
		}
		if d > c.cfg.retry.MaxDelay {
			info := r.info()
			return &PacingError{Group: group, RetryAfter: d, Method: info.Method, Path: info.Path}
		}
		c.cfg.logger.DebugContext(ctx, "ksef pacing", "group", group, "wait", d)
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// WithRateLimits turns on client-side pacing with the given limits per
// group (merged over [DefaultRateLimits]), for example the values of
// GET /rate-limits or custom limits set on TEST. Pacing is on by default
// for the public environments and off with [WithBaseURL] unless this
// option is given.
func WithRateLimits(limits map[RateLimitGroup]RateLimit) Option {
	return func(cfg *config) error {
		l := DefaultRateLimits()
		maps.Copy(l, limits)
		cfg.rateLimits = l
		cfg.pacing = pacingOn
		return nil
	}
}

// WithoutPacing turns client-side pacing off: requests are sent at once
// and only 429 responses slow the client down.
func WithoutPacing() Option {
	return func(cfg *config) error {
		cfg.pacing = pacingOff
		return nil
	}
}

// SetRateLimits updates the limits used by the client's pacer (for example
// after reading GET /rate-limits). It does nothing when pacing is off.
func (c *Client) SetRateLimits(limits map[RateLimitGroup]RateLimit) {
	if c.cfg.pacer != nil {
		c.cfg.pacer.setLimits(limits)
	}
}

type pacingMode int

const (
	pacingDefault pacingMode = iota
	pacingOn
	pacingOff
)
