package ksef

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":     0,
		"0":    0,
		"120":  2 * time.Minute,
		" 7 ":  7 * time.Second,
		"-5":   0,
		"abc":  0,
		"2492": 2492 * time.Second,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
		"99999999999999999999":                            0,
		"999999999999":                                    365 * 24 * time.Hour,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	p := RetryPolicy{MaxDelay: 5 * time.Second, BaseDelay: time.Second}
	for attempt := 1; attempt <= 10; attempt++ {
		ceiling := min(time.Second<<(attempt-1), 5*time.Second)
		var maxSeen time.Duration
		for range 200 {
			d := backoff(p, attempt)
			if d < 0 || d > ceiling {
				t.Fatalf("attempt %d: %v outside [0, %v]", attempt, d, ceiling)
			}
			maxSeen = max(maxSeen, d)
		}
		if maxSeen < ceiling/2 {
			t.Errorf("attempt %d: no jitter spread (max %v of %v)", attempt, maxSeen, ceiling)
		}
	}
}

func TestBuildURL(t *testing.T) {
	c, err := NewClient(WithBaseURL("http://127.0.0.1:9/v2/"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.buildURL(&request{path: "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}", pathArgs: []string{"a/b", "c d"}})
	if err != nil || u != "http://127.0.0.1:9/v2/sessions/a%2Fb/invoices/c%20d" {
		t.Errorf("%q %v", u, err)
	}
	if _, err := c.buildURL(&request{path: "/tokens/{referenceNumber}"}); err == nil {
		t.Error("missing argument accepted")
	}
	if _, err := c.buildURL(&request{path: "/tokens/{referenceNumber}", pathArgs: []string{""}}); err == nil {
		t.Error("empty argument accepted")
	}
}

func BenchmarkPacerReserve(b *testing.B) {
	p := newPacer(DefaultRateLimits())
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// 10 ms apart: stays under 120/h? no - exercises the waiting path too.
		p.reserve(GroupInvoiceStatus, now.Add(time.Duration(i)*40*time.Millisecond))
	}
}

func BenchmarkDecodeError(b *testing.B) {
	body := []byte(`{"title":"Bad Request","status":400,"instance":"/v2/auth/ksef-token","detail":"x","errors":[{"code":21111,"description":"Nieprawidłowe wyzwanie autoryzacyjne.","details":["a","b"]}],"timestamp":"2025-10-11T12:23:56.0154302+00:00","traceId":"t"}`)
	h := http.Header{"Retry-After": {"5"}}
	b.ReportAllocs()
	for b.Loop() {
		_ = decodeAPIError(400, h, body).Error()
	}
}
