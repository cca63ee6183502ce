package ksef

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"
)

// WaitOptions controls the waiters that poll asynchronous KSeF operations
// (authentication, token activation, ...). A nil *WaitOptions uses the
// defaults. The total time is bounded by the context.
type WaitOptions struct {
	// MinDelay is the first delay between polls (default 500 ms).
	MinDelay time.Duration
	// MaxDelay caps the delay, which grows by half after each poll
	// (default 10 s).
	MaxDelay time.Duration
	// OnPoll, when set, is called after every poll with the 1-based poll
	// number and the status code or state seen (e.g. "100").
	OnPoll func(poll int, status string)
}

const (
	defaultWaitMin = 500 * time.Millisecond
	defaultWaitMax = 10 * time.Second
)

func (o *WaitOptions) delays() (lo, hi time.Duration) {
	lo, hi = defaultWaitMin, defaultWaitMax
	if o != nil {
		if o.MinDelay > 0 {
			lo = o.MinDelay
		}
		if o.MaxDelay > 0 {
			hi = o.MaxDelay
		}
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// poll calls check until it reports done or fails. Between calls it sleeps
// with a growing, jittered delay; a 429 *APIError makes it wait
// Retry-After instead of failing. ctx bounds the whole wait.
func poll(ctx context.Context, o *WaitOptions, check func(ctx context.Context) (done bool, status string, err error)) error {
	lo, hi := o.delays()
	delay := lo
	for n := 1; ; n++ {
		done, status, err := check(ctx)
		if err != nil {
			var ae *APIError
			if errors.As(err, &ae) && ae.StatusCode == http.StatusTooManyRequests && ae.RetryAfter > 0 && ctx.Err() == nil {
				if err := sleep(ctx, ae.RetryAfter); err != nil {
					return err
				}
				continue
			}
			return err
		}
		if o != nil && o.OnPoll != nil {
			o.OnPoll(n, status)
		}
		if done {
			return nil
		}
		// jitter: 75%..100% of the delay
		d := delay - time.Duration(rand.Int64N(int64(delay)/4+1))
		if err := sleep(ctx, d); err != nil {
			return err
		}
		delay = min(delay+delay/2, hi)
	}
}
