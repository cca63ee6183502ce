package ksef

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// WaitOptions controls the waiters that poll asynchronous KSeF operations
// (authentication, token activation, ...). A nil *WaitOptions uses the
// defaults. Every wait is bounded: by Timeout (default
// [DefaultWaitTimeout]) and by the context.
type WaitOptions struct {
	// MinDelay is the first delay between polls (default 500 ms).
	MinDelay time.Duration
	// MaxDelay caps the delay, which grows by half after each poll
	// (default 10 s).
	MaxDelay time.Duration
	// Timeout is the longest the waiter polls before it gives up with a
	// *[WaitTimeoutError] (default [DefaultWaitTimeout]).
	Timeout time.Duration
	// OnPoll, when set, is called after every poll with the 1-based poll
	// number and the status code or state seen (e.g. "100").
	OnPoll func(poll int, status string)
}

// DefaultWaitTimeout is how long a waiter polls when WaitOptions.Timeout
// is not set: five minutes, far above the seconds an authentication or a
// token activation takes, short enough for a stuck operation to surface.
const DefaultWaitTimeout = 5 * time.Minute

const (
	defaultWaitMin = 500 * time.Millisecond
	defaultWaitMax = 10 * time.Second
)

// ErrWaitTimeout is matched (errors.Is) by a *[WaitTimeoutError].
var ErrWaitTimeout = errors.New("ksef: wait timed out")

// WaitTimeoutError is returned by a waiter whose operation did not finish
// within WaitOptions.Timeout. It matches [ErrWaitTimeout] and
// context.DeadlineExceeded with errors.Is.
type WaitTimeoutError struct {
	// What names what was waited for, e.g. "authentication 20250625-AU-…".
	What string
	// LastStatus is the last status seen ("" when no poll succeeded).
	LastStatus string
	// Polls is the number of polls made.
	Polls int
	// Waited is how long the waiter polled.
	Waited time.Duration
}

// Error returns "ksef: gave up waiting for authentication X after 5m0s
// (12 polls, last status 100)".
func (e *WaitTimeoutError) Error() string {
	last := "no status received"
	if e.LastStatus != "" {
		last = "last status " + SanitizeText(e.LastStatus)
	}
	return fmt.Sprintf("ksef: gave up waiting for %s after %s (%d polls, %s)", e.What, e.Waited.Round(time.Millisecond), e.Polls, last)
}

// Is reports whether target is [ErrWaitTimeout] or
// context.DeadlineExceeded.
func (e *WaitTimeoutError) Is(target error) bool {
	return target == ErrWaitTimeout || target == context.DeadlineExceeded
}

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

func (o *WaitOptions) timeout() time.Duration {
	if o != nil && o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultWaitTimeout
}

// poll calls check until it reports done or fails. Between calls it sleeps
// with a growing, jittered delay; a 429 *APIError makes it wait
// Retry-After instead of failing, unless Retry-After exceeds maxRetryAfter
// (the client's RetryPolicy.MaxDelay): then the 429 is returned at once.
// The wait ends with a *WaitTimeoutError naming what after the options'
// timeout, and with the context's error when ctx ends first.
func poll(ctx context.Context, what string, o *WaitOptions, maxRetryAfter time.Duration, check func(ctx context.Context) (done bool, status string, err error)) error {
	lo, hi := o.delays()
	timeout := o.timeout()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	last := ""
	polls := 0
	// expired reports the waiter's own timeout (not the caller's context).
	expired := func() error {
		if ctx.Err() == nil && wctx.Err() != nil {
			return &WaitTimeoutError{What: what, LastStatus: last, Polls: polls, Waited: time.Since(start)}
		}
		return nil
	}
	delay := lo
	for {
		polls++
		done, status, err := check(wctx)
		if err != nil {
			if te := expired(); te != nil {
				return te
			}
			var ae *APIError
			if errors.As(err, &ae) && ae.StatusCode == http.StatusTooManyRequests && ae.RetryAfter > 0 &&
				ae.RetryAfter <= maxRetryAfter && ctx.Err() == nil {
				if err := sleep(wctx, ae.RetryAfter); err != nil {
					if te := expired(); te != nil {
						return te
					}
					return err
				}
				continue
			}
			return err
		}
		last = status
		if o != nil && o.OnPoll != nil {
			o.OnPoll(polls, status)
		}
		if done {
			return nil
		}
		// jitter: 75%..100% of the delay
		d := delay - time.Duration(rand.Int64N(int64(delay)/4+1))
		if err := sleep(wctx, d); err != nil {
			if te := expired(); te != nil {
				return te
			}
			return err
		}
		delay = min(delay+delay/2, hi)
	}
}
