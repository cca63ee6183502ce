package ksefsim

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// RateLimit is the number of requests allowed in each sliding window; zero
// or a negative value means no limit in that window.
type RateLimit struct {
	PerSecond int
	PerMinute int
	PerHour   int
}

// Rate-limit groups that operations belong to, as named by KSeF
// (GET /rate-limits).
const (
	GroupOnlineSession        = "onlineSession"
	GroupOnlineSessionClose   = "onlineSessionClose"
	GroupBatchSession         = "batchSession"
	GroupBatchSessionClose    = "batchSessionClose"
	GroupInvoiceSend          = "invoiceSend"
	GroupInvoiceStatus        = "invoiceStatus"
	GroupSessionList          = "sessionList"
	GroupSessionInvoiceList   = "sessionInvoiceList"
	GroupSessionMisc          = "sessionMisc"
	GroupInvoiceMetadata      = "invoiceMetadata"
	GroupInvoiceExport        = "invoiceExport"
	GroupInvoiceExportStatus  = "invoiceExportStatus"
	GroupInvoiceDownload      = "invoiceDownload"
	GroupCollectiveIdentifier = "collectiveIdentifier"
	GroupOther                = "other"
	GroupAnonymous            = "anonymous"
	GroupGlobal               = "global"
)

// DefaultRateLimits returns the published limits of API 2.8.1 (equal on
// TEST, DEMO and PRD), by group.
func DefaultRateLimits() map[string]RateLimit {
	return map[string]RateLimit{
		GroupOnlineSession:        {10, 30, 120},
		GroupOnlineSessionClose:   {20, 60, 240},
		GroupBatchSession:         {10, 20, 60},
		GroupBatchSessionClose:    {20, 40, 120},
		GroupInvoiceSend:          {10, 30, 180},
		GroupInvoiceStatus:        {30, 120, 1200},
		GroupSessionList:          {5, 10, 60},
		GroupSessionInvoiceList:   {10, 20, 200},
		GroupSessionMisc:          {10, 120, 1200},
		GroupInvoiceMetadata:      {8, 16, 20},
		GroupInvoiceExport:        {8, 16, 20},
		GroupInvoiceExportStatus:  {10, 60, 600},
		GroupInvoiceDownload:      {8, 16, 64},
		GroupCollectiveIdentifier: {20, 120, 240},
		GroupOther:                {10, 30, 120},
		GroupAnonymous:            {60, -1, -1},
		GroupGlobal:               {-1, -1, -1},
	}
}

// rateLimiter counts requests per (group, context, client IP) in sliding
// windows of one second, one minute and one hour.
type rateLimiter struct {
	mu     sync.Mutex
	off    bool
	limits map[string]RateLimit
	hits   map[string][]time.Time // oldest first
}

func newRateLimiter(limits map[string]RateLimit, off bool) *rateLimiter {
	return &rateLimiter{off: off, limits: limits, hits: map[string][]time.Time{}}
}

// allow records a request at now unless a window of the group is full; then
// it reports how long the client must wait and a description of the limit.
func (l *rateLimiter) allow(group, context, ip string, now time.Time) (ok bool, wait time.Duration, detail string) {
	if l.off {
		return true, 0, ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, found := l.limits[group]
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
	key := group + "\x00" + context + "\x00" + ip
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
