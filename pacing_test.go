package ksef_test

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/testenv"
)

func TestPacingSlidingWindows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var times []time.Duration
		start := time.Now()
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			times = append(times, time.Since(start))
			writeJSON(w, 200, []any{})
		})
		c := handlerClient(t, h, ksef.WithRateLimits(map[ksef.RateLimitGroup]ksef.RateLimit{ksef.GroupAnonymous: {PerSecond: 2, PerMinute: 3}}),
			ksef.WithRetry(ksef.RetryPolicy{MaxDelay: 2 * time.Minute}))
		for range 5 {
			if _, err := c.PublicKeys.List(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		want := []time.Duration{0, 0, time.Second, time.Minute, time.Minute}
		for i := range want {
			if times[i] != want[i] {
				t.Errorf("request %d at %v, want %v (all: %v)", i, times[i], want[i], times)
			}
		}
	})
}

func TestPacingGroupsAreIndependent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{"status": "Active"}) })
		c := handlerClient(t, h, ksef.WithRateLimits(map[ksef.RateLimitGroup]ksef.RateLimit{ksef.GroupAnonymous: {PerSecond: 1}, ksef.GroupOther: {PerSecond: 1}}))
		a := authed(c)
		start := time.Now()
		_, _ = a.PublicKeys.List(t.Context())                 // anonymous
		_, _ = a.Tokens.Status(t.Context(), "ref-1234567890") // other
		if time.Since(start) != 0 {
			t.Errorf("different groups waited %v", time.Since(start))
		}
		_, _ = a.Tokens.Status(t.Context(), "ref-1234567890")
		if time.Since(start) != time.Second {
			t.Errorf("same group waited %v", time.Since(start))
		}
	})
}

func TestPacingErrorBeyondMaxDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1); writeJSON(w, 200, []any{}) })
		c := handlerClient(t, h, ksef.WithRateLimits(map[ksef.RateLimitGroup]ksef.RateLimit{ksef.GroupAnonymous: {PerHour: 1}}),
			ksef.WithRetry(ksef.RetryPolicy{MaxDelay: time.Minute}))
		if _, err := c.PublicKeys.List(t.Context()); err != nil {
			t.Fatal(err)
		}
		_, err := c.PublicKeys.List(t.Context())
		var pe *ksef.PacingError
		if !errors.As(err, &pe) || !errors.Is(err, ksef.ErrRateLimited) || pe.RetryAfter != time.Hour || pe.Group != ksef.GroupAnonymous {
			t.Fatalf("err = %v", err)
		}
		if calls.Load() != 1 {
			t.Errorf("calls %d", calls.Load())
		}
	})
}

// TestPacing429BlocksGroup: after a 429 whose Retry-After exceeds
// MaxDelay, later calls of the group fail locally without a request.
func TestPacing429BlocksGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &retryServer{statuses: []int{429}, header: http.Header{"Retry-After": {"600"}}}
		c := handlerClient(t, srv, ksef.WithRateLimits(nil))
		if _, err := c.PublicKeys.List(t.Context()); !errors.Is(err, ksef.ErrRateLimited) {
			t.Fatalf("err = %v", err)
		}
		_, err := c.PublicKeys.List(t.Context())
		var pe *ksef.PacingError
		if !errors.As(err, &pe) || srv.calls.Load() != 1 {
			t.Fatalf("second call: %v, calls %d", err, srv.calls.Load())
		}
		time.Sleep(10 * time.Minute)
		if _, err := c.PublicKeys.List(t.Context()); err != nil {
			t.Fatalf("after the block: %v", err)
		}
	})
}

func TestPacingOffForCustomBaseURL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, []any{}) })
		c := handlerClient(t, h)
		start := time.Now()
		for range 100 {
			if _, err := c.PublicKeys.List(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		if time.Since(start) != 0 {
			t.Errorf("paced without WithRateLimits: %v", time.Since(start))
		}
	})
}

func TestRateLimitGroup(t *testing.T) {
	for op, want := range map[[2]string]ksef.RateLimitGroup{
		{"GET", "/sessions"}:                                 ksef.GroupSessionList,
		{"POST", "/sessions/online"}:                         ksef.GroupOnlineSession,
		{"POST", "/auth/challenge"}:                          ksef.GroupAnonymous,
		{"POST", "/testdata/context/block"}:                  ksef.GroupOther,
		{"GET", "/invoices/ksef/{ksefNumber}"}:               ksef.GroupInvoiceDownload,
		{"DELETE", "/tokens/{referenceNumber}"}:              ksef.GroupOther,
		{"GET", "/collective-identifiers/ksef/{ksefNumber}"}: ksef.GroupCollectiveID,
	} {
		o, ok := ksef.LookupOperation(op[0], op[1])
		if !ok {
			t.Errorf("%v: not in the operation table", op)
			continue
		}
		if got := o.Info().Group; got != want {
			t.Errorf("%v: %s, want %s", op, got, want)
		}
	}
}

// TestRateLimitsMatchSpec compares the group table and default limits
// with the x-rate-limits extension and 429 descriptions of every operation.
func TestRateLimitsMatchSpec(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			RateLimits *struct {
				PerSecond int `json:"perSecond"`
				PerMinute int `json:"perMinute"`
				PerHour   int `json:"perHour"`
			} `json:"x-rate-limits"`
			Responses map[string]struct {
				Description string `json:"description"`
			} `json:"responses"`
		} `json:"paths"`
	}
	testenv.SpecJSON(t, "openapi.json", &doc)
	re := regexp.MustCompile(`\*\*Limity liczby żądań\*\*\s*\|[^|]*\|[^|]*\|[^|]*\|\s*([\w-]+)`)
	defaults := ksef.DefaultRateLimits()
	n := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			m := re.FindStringSubmatch(op.Responses["429"].Description)
			if m == nil || op.RateLimits == nil {
				t.Errorf("%s %s: no rate limit in spec", method, path)
				continue
			}
			want := ksef.RateLimitGroup(m[1])
			if want == "-" {
				want = ksef.GroupAnonymous
			}
			o, ok := ksef.LookupOperation(strings.ToUpper(method), path)
			if !ok {
				t.Errorf("%s %s: not in the operation table", method, path)
				continue
			}
			got := o.Info().Group
			if got != want {
				t.Errorf("%s %s: group %s, spec %s", method, path, got, want)
			}
			l := defaults[got]
			sl := *op.RateLimits
			if l.PerSecond != sl.PerSecond || l.PerMinute != sl.PerMinute || l.PerHour != sl.PerHour {
				t.Errorf("%s %s: limits %+v, spec %+v", method, path, l, sl)
			}
			if o.Info().SpecLimit != l {
				t.Errorf("%s %s: table's SpecLimit %+v, pacer's default %+v", method, path, o.Info().SpecLimit, l)
			}
			n++
		}
	}
	if n != 83 {
		t.Errorf("checked %d operations, want 83", n)
	}
}

// TestPacingConcurrent: concurrent callers share the budget (run with
// -race).
func TestPacingConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1); writeJSON(w, 200, []any{}) })
		c := handlerClient(t, h, ksef.WithRateLimits(map[ksef.RateLimitGroup]ksef.RateLimit{ksef.GroupAnonymous: {PerSecond: 5}}))
		start := time.Now()
		done := make(chan error)
		for range 20 {
			go func() {
				_, err := c.PublicKeys.List(t.Context())
				done <- err
			}()
		}
		for range 20 {
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
		if el := time.Since(start); el != 3*time.Second {
			t.Errorf("20 requests at 5/s took %v, want 3s", el)
		}
		if calls.Load() != 20 {
			t.Errorf("calls %d", calls.Load())
		}
	})
}

// TestPacingCountsUntilAnswer: a request occupies its windows until its
// answer arrives and counts from then on, so that jitter in the time it
// takes to reach KSeF cannot make two requests a window apart land
// inside one window at KSeF.
func TestPacingCountsUntilAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var times []time.Duration
		start := time.Now()
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			times = append(times, time.Since(start))
			mu.Unlock()
			time.Sleep(300 * time.Millisecond) // the answer takes 0.3 s
			writeJSON(w, 200, []any{})
		})
		c := handlerClient(t, h, ksef.WithRateLimits(map[ksef.RateLimitGroup]ksef.RateLimit{ksef.GroupAnonymous: {PerSecond: 2}}))
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if _, err := c.PublicKeys.List(t.Context()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		// two at once; the next two a second after their answers (0.3 s)
		want := []time.Duration{0, 0, 1300 * time.Millisecond, 1300 * time.Millisecond}
		if !slices.Equal(times, want) {
			t.Errorf("requests at %v, want %v", times, want)
		}
	})
}
