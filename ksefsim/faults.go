package ksefsim

import (
	"net/http"
	"sync"
	"time"
)

// AnyOperation matches every operation in [Faults.Fail].
const AnyOperation = "*"

// Fault describes how an operation fails. The zero value does nothing.
//
//   - Status answers with that HTTP status instead of processing the request
//     (429 with the KSeF rate-limit body, 400 as 21405, 401/403/410 as
//     problem details, anything else as a generic problem-details body).
//   - RetryAfter sets the Retry-After header, in whole seconds (429 always
//     carries one, 1 s by default).
//   - Delay waits that long (real time, bounded by the request context)
//     before answering: a slow response. Alone, the request is then
//     processed normally.
//   - Drop closes the connection without any response.
//   - AfterProcessing processes the request first (its effects happen) and
//     only then answers with Status or drops the connection: the client sees
//     a failure although the server did the work.
type Fault struct {
	Status          int
	RetryAfter      time.Duration
	Delay           time.Duration
	Drop            bool
	AfterProcessing bool
}

// Faults injects failures into the next calls of operations. It is safe for
// concurrent use.
type Faults struct {
	mu      sync.Mutex
	pending map[string][]*pendingFault
}

type pendingFault struct {
	f Fault
	n int
}

func newFaults() *Faults { return &Faults{pending: map[string][]*pendingFault{}} }

// Fail makes the next n calls of op fail with f. op is "METHOD /path" exactly
// as in the spec (see [Simulator.Handled]), or [AnyOperation]. Faults queued
// for the same operation apply one after another.
func (f *Faults) Fail(op string, n int, fault Fault) {
	if n <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending[op] = append(f.pending[op], &pendingFault{f: fault, n: n})
}

// Pending reports how many injected failures of op are still to happen.
func (f *Faults) Pending(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	total := 0
	for _, p := range f.pending[op] {
		total += p.n
	}
	return total
}

// Clear removes all pending faults.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.pending)
}

// take consumes the next fault for op, looking at op's own queue first and
// then at AnyOperation.
func (f *Faults) take(op string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, key := range []string{op, AnyOperation} {
		q := f.pending[key]
		if len(q) == 0 {
			continue
		}
		p := q[0]
		p.n--
		if p.n <= 0 {
			q = q[1:]
			if len(q) == 0 {
				delete(f.pending, key)
			} else {
				f.pending[key] = q
			}
		}
		return p.f, true
	}
	return Fault{}, false
}

// applyFault runs next under the fault: it returns after having written the
// response (or dropped the connection).
func (s *Simulator) applyFault(w http.ResponseWriter, r *http.Request, f Fault, next http.Handler) {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if f.AfterProcessing {
		// Process the request, discard its response.
		next.ServeHTTP(discardWriter{header: http.Header{}}, r)
	} else if f.Status == 0 && !f.Drop {
		next.ServeHTTP(w, r)
		return
	}
	if f.Drop {
		dropConnection(w)
		return
	}
	if f.Status == 0 {
		// AfterProcessing without a status or drop: answer as if all
		// went well but with an empty 500; be explicit instead.
		f.Status = http.StatusInternalServerError
	}
	e := &apiError{status: f.Status, retryAfter: f.RetryAfter, detail: "Injected fault."}
	switch f.Status {
	case http.StatusTooManyRequests:
		if e.retryAfter <= 0 {
			e.retryAfter = time.Second
		}
		e.detail = "Przekroczono limit żądań (injected fault)."
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusGone:
		e.reason = "security-service-blocked"
	case http.StatusBadRequest:
		e = badRequest(21405, "Injected fault.")
	}
	s.writeError(w, r, e)
}

// discardWriter is an http.ResponseWriter that drops the response: the
// handler runs for its side effects only.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header       { return d.header }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}

// dropConnection closes the client connection without writing a response.
func dropConnection(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	// Not hijackable (HTTP/2 or a wrapping writer): abort the handler,
	// which makes the server reset the stream or close the connection.
	panic(http.ErrAbortHandler)
}
