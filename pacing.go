package ksef

import (
	"context"
	"fmt"
	"maps"
	"slices"
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
//
// KSeF counts a request when it arrives, which the client cannot observe:
// the time it was sent is a lower bound, the time its answer came back an
// upper bound. Network and scheduling jitter between the two would make a
// limiter that counts send times alone exceed a window by a few
// milliseconds now and then (a 429 and a Retry-After of at least a second).
// So a request counts from when it is sent until its answer arrives (it
// occupies every window while in flight), and from then on at the time
// its answer arrived: the next request leaves only when that time is a
// full window old, so it arrives at KSeF after the old one left KSeF's
// window, whatever the latency. The cost is one response time per window
// cycle, negligible against the minute and hour windows.
type pacer struct {
	mu      sync.Mutex
	limits  map[RateLimitGroup]RateLimit
	history map[RateLimitGroup][]*paced  // oldest first (by at), at most 1 h old
	blocked map[RateLimitGroup]time.Time // group → no requests before (after a 429)
	changed chan struct{}                // closed and replaced when a request completes
}

// paced is one request counted by the pacer: at is its send time while
// it is in flight and the time its answer arrived once done.
type paced struct {
	at   time.Time
	done bool
}

func newPacer(limits map[RateLimitGroup]RateLimit) *pacer {
	return &pacer{limits: maps.Clone(limits), history: map[RateLimitGroup][]*paced{}, blocked: map[RateLimitGroup]time.Time{}, changed: make(chan struct{})}
}

func (p *pacer) setLimits(limits map[RateLimitGroup]RateLimit) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for g, l := range limits {
		p.limits[g] = l
	}
}

// reserve records a request of group at now and returns it (to be passed
// to complete when its answer arrives), or returns how long to wait at
// least before one is allowed, and whether the wait also depends on a
// request in flight (then changed is closed when one completes).
func (p *pacer) reserve(group RateLimitGroup, now time.Time) (e *paced, wait time.Duration, pending bool, changed <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until, ok := p.blocked[group]; ok {
		if d := until.Sub(now); d > 0 {
			return nil, d, false, p.changed
		}
		delete(p.blocked, group)
	}
	lim, ok := p.limits[group]
	if !ok {
		return &paced{at: now}, 0, false, p.changed // not counted
	}
	h := p.history[group]
	// drop completed entries older than the longest window
	i := 0
	for i < len(h) && h[i].done && now.Sub(h[i].at) >= time.Hour {
		i++
	}
	h = h[i:]
	p.history[group] = h
	inflight := 0
	for _, e := range h {
		if !e.done {
			inflight++
		}
	}
	for _, w := range []struct {
		n   int
		win time.Duration
	}{{lim.PerSecond, time.Second}, {lim.PerMinute, time.Minute}, {lim.PerHour, time.Hour}} {
		if w.n <= 0 || len(h) < w.n {
			continue
		}
		// The request that must leave the window before another may be
		// sent is the n-th newest by the latest time KSeF may have
		// counted it: requests in flight are the newest.
		if inflight >= w.n {
			pending = true
			// at least until the n-th newest send time is a window old
			wait = max(wait, h[len(h)-w.n].at.Add(w.win).Sub(now))
			continue
		}
		k := w.n - inflight // the k-th newest completed request
		for j := len(h) - 1; j >= 0; j-- {
			if !h[j].done {
				continue
			}
			if k--; k == 0 {
				wait = max(wait, h[j].at.Add(w.win).Sub(now))
				break
			}
		}
	}
	if wait > 0 || pending {
		return nil, max(wait, 0), pending, p.changed
	}
	e = &paced{at: now}
	p.history[group] = append(h, e)
	return e, 0, false, p.changed
}

// complete records that the answer to e arrived at now (or that e was
// never sent).
func (p *pacer) complete(group RateLimitGroup, e *paced, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.done {
		return
	}
	e.done = true
	if now.After(e.at) {
		e.at = now
	}
	// keep the history ordered by at: move e towards the end
	h := p.history[group]
	if j := slices.Index(h, e); j >= 0 {
		for ; j+1 < len(h) && h[j+1].at.Before(e.at); j++ {
			h[j], h[j+1] = h[j+1], h[j]
		}
	}
	close(p.changed)
	p.changed = make(chan struct{})
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
// retry policy's MaxDelay. The caller must call done once the answer
// arrived or the request failed (done is never nil).
func (c *Client) pace(ctx context.Context, r *request) (done func(), err error) {
	p := c.cfg.pacer
	if p == nil || r.absURL != "" {
		return func() {}, nil
	}
	group := r.info().Group
	for {
		e, d, pending, changed := p.reserve(group, time.Now())
		if e != nil {
			return func() { p.complete(group, e, time.Now()) }, nil
		}
		if d > c.cfg.retry.MaxDelay {
			info := r.info()
			return nil, &PacingError{Group: group, RetryAfter: d, Method: info.Method, Path: info.Path}
		}
		c.cfg.logger.DebugContext(ctx, "ksef pacing", "group", group, "wait", d, "inFlight", pending)
		if !pending {
			if err := sleep(ctx, d); err != nil {
				return nil, err
			}
			continue
		}
		// wait for a request in flight to complete (re-checking at least
		// every second and when the lower bound d has passed)
		t := time.NewTimer(max(d, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-changed:
		case <-t.C:
		}
		t.Stop()
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
