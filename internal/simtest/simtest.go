// Package simtest starts the KSeF simulator for tests with every exchange
// validated against the OpenAPI spec by internal/contract.
//
// SDK tests against the simulator use it instead of ksefsimtest.NewServer:
//
//	sim, baseURL := simtest.Start(t)
//	c, err := ksef.NewClient(ksef.WithBaseURL(baseURL))
//
// Each request and response is checked by [contract.Middleware]; a
// violation fails the test with a message naming the operation. Exchanges
// that passed with a 2xx status count towards the root package's coverage
// report ("operations covered: N/83"), which only the tests of the root
// package (package ksef_test) feed. A test that sends a malformed request
// on purpose sets the [contract.SkipHeader] (see [contract.SkipTransport]).
package simtest

import (
	"net/http"
	"testing"

	"github.com/ksef2/ksef/internal/contract"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/ksefsim/ksefsimtest"
)

// Start starts a simulator configured with opts on an httptest server
// listening on 127.0.0.1 (ksefsimtest.NewServer), wrapped outermost by
// [contract.Middleware] so that every exchange is validated against the
// spec. It returns the simulator, for fault injection and inspection, and
// the API base URL, which ends in "/v2". The server is closed when the
// test ends, after its in-flight requests finished. Without the spec
// directory the test fails under CI and is skipped elsewhere (see
// testenv.SpecDir).
func Start(t testing.TB, opts ...ksefsim.Option) (*ksefsim.Simulator, string) {
	t.Helper()
	srv := StartServer(t, opts...)
	return srv.Simulator, srv.URL
}

// StartServer is [Start] returning the whole ksefsimtest.Server (simulator,
// base URL and the underlying httptest server).
func StartServer(t testing.TB, opts ...ksefsim.Option) *ksefsimtest.Server {
	t.Helper()
	contract.Default(t) // skip or fail before anything starts
	mw := ksefsim.WithMiddleware(func(h http.Handler) http.Handler {
		return contract.Middleware(t, h)
	})
	// The first middleware is the outermost: the contract sees the traffic
	// as it is on the wire, whatever other middleware a test adds.
	return ksefsimtest.NewServer(t, append([]ksefsim.Option{mw}, opts...)...)
}
