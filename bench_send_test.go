package ksef_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/ksefsend"
	"github.com/ksef2/ksef/ksefsim"
)

// allowedSends returns the largest number of requests a client could have
// sent within d of its first one under lim, starting with empty windows:
// the earliest-possible schedule, counted with the simulator's sliding
// windows (a request at t counts at now while t > now-window).
func allowedSends(lim ksef.RateLimit, d time.Duration) int {
	var at []time.Duration
	t := time.Duration(0)
	for {
		next := t
		for _, w := range []struct {
			n   int
			win time.Duration
		}{{lim.PerSecond, time.Second}, {lim.PerMinute, time.Minute}, {lim.PerHour, time.Hour}} {
			if w.n > 0 && len(at) >= w.n {
				// the n-th newest request must have left the window
				next = max(next, at[len(at)-w.n]+w.win)
			}
		}
		if next > d {
			return len(at)
		}
		at = append(at, next)
		t = next
	}
}

func TestAllowedSends(t *testing.T) {
	lim := ksef.DefaultRateLimits()[ksef.GroupInvoiceSend] // 10/s, 30/min, 180/h
	for _, c := range []struct {
		d    time.Duration
		want int
	}{
		{0, 10}, {999 * time.Millisecond, 10}, {time.Second, 20}, {2500 * time.Millisecond, 30},
		{59 * time.Second, 30}, {60 * time.Second, 40}, {62500 * time.Millisecond, 60},
		{6 * time.Minute, 180}, {time.Hour - time.Millisecond, 180}, {time.Hour, 190},
	} {
		if got := allowedSends(lim, c.d); got != c.want {
			t.Errorf("allowedSends(%v) = %d, want %d", c.d, got, c.want)
		}
	}
}

// sendLog records, at the simulator, the arrival time and status of every
// request of one operation, and the 429s of every operation.
type sendLog struct {
	mu       sync.Mutex
	op       string
	arrivals []time.Time // accepted requests of op
	tooMany  map[string]int
}

func (l *sendLog) middleware(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		sw := &codeWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		l.mu.Lock()
		defer l.mu.Unlock()
		if sw.code == http.StatusTooManyRequests {
			l.tooMany[r.Method+" "+r.URL.Path]++
		}
		if r.Method == http.MethodPost && isSendPath(r.URL.Path) && sw.code == http.StatusAccepted {
			l.arrivals = append(l.arrivals, at)
		}
	})
}

// isSendPath matches /v2/sessions/online/{ref}/invoices.
func isSendPath(p string) bool {
	const pre, suf = "/sessions/online/", "/invoices"
	i := len(p) - len(suf)
	if i < 0 || p[i:] != suf {
		return false
	}
	for j := 0; j+len(pre) <= i; j++ {
		if p[j:j+len(pre)] == pre {
			return true
		}
	}
	return false
}

type codeWriter struct {
	http.ResponseWriter
	code int
}

func (w *codeWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *codeWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// BenchmarkSendOnlineRate sends invoices online with the Sender against
// the simulator on loopback, both with the production rate limits (the
// simulator's defaults, the client's pacer with ksef.DefaultRateLimits),
// in real time. The run lasts about a minute: the invoiceSend group
// (10/s, 30/min, 180/h) allows 10 sends in each of the first three
// seconds, then none until the first leave the one-minute window at 60 s,
// then 10 a second again: 60 sends within 62.5 s of the first. It sends
// exactly that many and prints how many the simulator accepted within
// 62.5 s of the first accepted send, as a fraction of the allowed count,
// and the number of 429 answers (of any operation).
func BenchmarkSendOnlineRate(b *testing.B) {
	const window = 62500 * time.Millisecond
	lim := ksef.DefaultRateLimits()[ksef.GroupInvoiceSend]
	allowed := allowedSends(lim, window)
	for range b.N {
		log := &sendLog{tooMany: map[string]int{}}
		sim, base := simtest.Start(b, ksefsim.WithMiddleware(log.middleware))
		c, err := ksef.NewClient(ksef.WithBaseURL(base), ksef.WithRateLimits(ksef.DefaultRateLimits()),
			ksef.WithRetry(ksef.RetryPolicy{MaxDelay: 90 * time.Second}))
		if err != nil {
			b.Fatal(err)
		}
		id, err := sim.NewTestIdentity()
		if err != nil {
			b.Fatal(err)
		}
		a, err := c.Auth.LoginWithCertificate(b.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, &ksef.LoginParams{Wait: fastWait})
		if err != nil {
			b.Fatal(err)
		}
		docs := make([][]byte, allowed)
		for i := range docs {
			docs[i] = fa3Invoice(b, id.NIP, fmt.Sprintf("FV/rate/%d", i))
		}
		snd := &ksefsend.Sender{Sessions: a.Sessions, Form: ksef.FormFA3, Concurrency: 16, Wait: &ksef.WaitOptions{MinDelay: 50 * time.Millisecond, MaxDelay: time.Second, Timeout: 2 * time.Minute}}
		b.ResetTimer()
		outs, err := snd.Send(b.Context(), ksefsend.Bytes(docs...))
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range outs {
			if o.Kind != ksefsend.Registered {
				b.Errorf("invoice %d: %s %v", o.Index, o.Kind, o.Err)
			}
		}
		log.mu.Lock()
		arr := log.arrivals
		var n, tooMany int
		for _, at := range arr {
			if at.Sub(arr[0]) <= window {
				n++
			}
		}
		for _, k := range log.tooMany {
			tooMany += k
		}
		last := arr[len(arr)-1].Sub(arr[0])
		log.mu.Unlock()
		frac := float64(n) / float64(allowed)
		fmt.Printf("send rate: achieved %d/%d allowed = %.2f, 429s: %d (invoiceSend %d/s, %d/min, %d/h; window %v from the first accepted send; %d sends accepted, the last %v after the first, the earliest possible %v; 429s by operation %v)\n",
			n, allowed, frac, tooMany, lim.PerSecond, lim.PerMinute, lim.PerHour, window, len(arr), last.Round(time.Millisecond), earliest(lim, len(arr)), log.tooMany)
		b.ReportMetric(frac, "rate-fraction")
		b.ReportMetric(float64(tooMany), "429s")
		if frac < 0.95 || tooMany != 0 {
			b.Errorf("achieved %.2f of the allowed send rate with %d 429s; want ≥ 0.95 and 0", frac, tooMany)
		}
	}
}

// earliest returns the time after the first request at which the n-th can
// be sent at the soonest under lim.
func earliest(lim ksef.RateLimit, n int) time.Duration {
	lo, hi := time.Duration(0), 2*time.Hour
	for lo < hi {
		mid := (lo + hi) / 2
		if allowedSends(lim, mid) >= n {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
