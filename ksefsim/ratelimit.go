package ksefsim

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/ksef2/ksef"
)

// RateLimit is the number of requests allowed in each sliding window of a
// rate-limit group; it is the client's [ksef.RateLimit].
type RateLimit = ksef.RateLimit

// GroupGlobal is the rate-limit group "global" of GET /rate-limits. The
// group names KSeF assigns operations to are the client's constants
// ([ksef.GroupOnlineSession] and the others); no operation counts against
// GroupGlobal, and it has no limit unless [WithRateLimits] sets one.
const GroupGlobal ksef.RateLimitGroup = "global"

// DefaultRateLimits returns the published limits of API 2.8.1 (equal on
// TEST, DEMO and PRD), by group: [ksef.DefaultRateLimits] and an unlimited
// GroupGlobal.
func DefaultRateLimits() map[ksef.RateLimitGroup]RateLimit {
	m := ksef.DefaultRateLimits()
	m[GroupGlobal] = RateLimit{}
	return m
}

// rateLimiter counts requests per (group, context, client IP) in sliding
// windows of one second, one minute and one hour.
type rateLimiter struct {
	mu     sync.Mutex
	off    bool
	limits map[ksef.RateLimitGroup]RateLimit
	hits   map[string][]time.Time // oldest first
	// overrides are the limits set per context with
	// POST /testdata/rate-limits (see limits.go); they apply even when
	// rate limiting is off.
	overrides map[string]map[ksef.RateLimitGroup]RateLimit
}

func newRateLimiter(limits map[ksef.RateLimitGroup]RateLimit, off bool) *rateLimiter {
	return &rateLimiter{off: off, limits: limits, hits: map[string][]time.Time{}}
}

// allow records a request at now unless a window of the group is full; then
// it reports how long the client must wait and a description of the limit.
func (l *rateLimiter) allow(group ksef.RateLimitGroup, context, ip string, now time.Time) (ok bool, wait time.Duration, detail string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, found := l.limitOf(group, context)
	if !found {
		return true, 0, ""
	}
	windows := []struct {
		n    int
		d    time.Duration
		name string
	}{
		{lim.PerSecond, time.Second, "sekundę"},
		{lim.PerMinute, time.Minute, "minutę"},
		{lim.PerHour, time.Hour, "godzinę"},
	}
	longest := time.Duration(0)
	for _, w := range windows {
		if w.n > 0 {
			longest = w.d
		}
	}
	if longest == 0 {
		return true, 0, ""
	}
	key := string(group) + "\x00" + context + "\x00" + ip
	h := l.hits[key]
	// Forget requests older than the longest window.
	h = h[firstAfter(h, now.Add(-longest)):]
	for _, w := range windows {
		if w.n <= 0 {
			continue
		}
		start := now.Add(-w.d)
		// Requests inside (now-d, now].
		if len(h)-firstAfter(h, start) >= w.n {
			// The window frees up when its oldest counted request
			// (the n-th newest) leaves it.
			oldest := h[len(h)-w.n]
			wait = oldest.Add(w.d).Sub(now)
			secs := retryAfterSeconds(wait)
			detail = fmt.Sprintf("Przekroczono limit %d żądań na %s. Spróbuj ponownie po %d sekundach.", w.n, w.name, secs)
			l.hits[key] = h
			return false, wait, detail
		}
	}
	l.hits[key] = append(h, now)
	return true, 0, ""
}

// firstAfter returns the index of the first time in h (sorted) after t.
func firstAfter(h []time.Time, t time.Time) int {
	return sort.Search(len(h), func(i int) bool { return h[i].After(t) })
}

// reset forgets all counted requests.
func (l *rateLimiter) reset() {
	l.mu.Lock()
	clear(l.hits)
	l.mu.Unlock()
}

// ResetRateLimits forgets all requests counted so far against the rate
// limits.
func (s *Simulator) ResetRateLimits() { s.limiter.reset() }
