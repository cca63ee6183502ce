package contract

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

var exercised sync.Map // "METHOD /path" → struct{}

func record(key string) {
	if key != "" {
		exercised.Store(key, struct{}{})
	}
}

// Exercised returns, sorted, the operations ("METHOD /path") that were
// exercised in this process so far. An operation counts as exercised when
// a [Middleware] or [Transport] saw a request for it that passed
// validation and a 2xx response that passed validation, neither half being
// skipped: a call that only ever failed, or whose traffic was not checked,
// does not prove that the operation works.
func Exercised() []string {
	var keys []string
	exercised.Range(func(k, _ any) bool {
		keys = append(keys, k.(string))
		return true
	})
	sort.Strings(keys)
	return keys
}

// report sends violations to t.Errorf. It never prints headers or bodies.
func report(t testing.TB, method, path, op string, msgs []string) {
	t.Helper()
	if len(msgs) == 0 {
		return
	}
	where := method + " " + path
	if op != "" && op != where {
		where += " (" + op + ")"
	}
	t.Errorf("contract: %s: %s", where, strings.Join(msgs, "\n\t"))
}

// Middleware returns a handler that validates every exchange passing
// through next against the spec ([Default]): the request (path and
// method, path/query/header parameters, Bearer presence for secured
// operations, JSON and XML bodies) before next sees it, and the response
// (documented status, content type, body schema, headers; no body where
// the spec documents none) before the client sees it. Violations are
// reported with t.Errorf naming the method, the path and the validator's
// message; the Authorization header and body values are never printed.
//
// Requests outside the base path (see [WithBasePath]) pass through; 5xx
// responses are not validated (the spec documents none). [SkipHeader] and
// [WithSkip] opt single exchanges out. Exchanges that pass both halves with
// a 2xx status are recorded for [Exercised].
//
// The response is buffered so that a violation is reported before the
// client can act on the response (and thus before the test can end).
// Handlers that hijack the connection (dropped-connection faults), and
// handlers that write nothing because the client went away, are passed
// through without response validation.
func Middleware(t testing.TB, next http.Handler, opts ...Option) http.Handler {
	t.Helper()
	spec := Default(t)
	cfg := newConfig(opts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		skip := cfg.skipFor(r)
		r.Header.Del(SkipHeader)
		rel, ok := cfg.relPath(r.URL.Path)
		if !ok || skip == SkipAll {
			next.ServeHTTP(w, r)
			return
		}
		var body []byte
		if r.Body != nil && r.Body != http.NoBody {
			var err error
			body, err = io.ReadAll(r.Body)
			r.Body.Close()
			if err != nil {
				t.Errorf("contract: %s %s: reading request body: %v", r.Method, r.URL.Path, err)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		ex, problem := spec.newExchange(r.Method, rel, r.URL.RawQuery, r.Header, body)
		if ex.route == nil {
			if skip&SkipRequest == 0 {
				report(t, r.Method, r.URL.Path, "", []string{problem})
			}
			next.ServeHTTP(w, r)
			return
		}
		reqOK := skip&SkipRequest == 0
		if reqOK {
			msgs := ex.validateRequest()
			report(t, r.Method, r.URL.Path, ex.key(), msgs)
			reqOK = len(msgs) == 0
		}

		rec := &recorder{w: w, header: http.Header{}}
		next.ServeHTTP(rec, r)
		if rec.hijacked {
			return
		}
		if rec.status == 0 && rec.body.Len() == 0 && r.Context().Err() != nil {
			// The client went away (e.g. its deadline passed during a
			// delayed response) and the handler answered nothing: there
			// is no response to validate.
			return
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		if skip&SkipResponse == 0 {
			msgs := ex.validateResponse(status, rec.header, rec.body.Bytes())
			report(t, r.Method, r.URL.Path, ex.key(), msgs)
			if reqOK && len(msgs) == 0 && status >= 200 && status < 300 {
				record(ex.key())
			}
		}
		rec.flushTo(w, status)
	})
}

// recorder buffers a handler's response.
type recorder struct {
	w        http.ResponseWriter
	header   http.Header
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status != 0 || (code >= 100 && code < 200) {
		return
	}
	r.status = code
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.hijacked {
		return 0, http.ErrHijacked
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}

// Flush is a no-op: the response is sent when the handler returns.
func (r *recorder) Flush() {}

// Hijack hands the underlying connection to the handler; the response is
// then neither validated nor recorded.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.w.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("contract: underlying ResponseWriter cannot hijack")
	}
	c, rw, err := h.Hijack()
	if err == nil {
		r.hijacked = true
	}
	return c, rw, err
}

func (r *recorder) flushTo(w http.ResponseWriter, status int) {
	h := w.Header()
	for k, v := range r.header {
		h[k] = slices.Clone(v)
	}
	w.WriteHeader(status)
	if r.body.Len() > 0 {
		_, _ = w.Write(r.body.Bytes())
	}
}
