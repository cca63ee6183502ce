// Package ksefsimtest starts the KSeF simulator (package ksefsim) on a
// loopback httptest server for tests, as package net/http/httptest does for
// plain handlers.
//
// It lives apart from ksefsim so that programs serving the simulator (such
// as "ksef sim serve") do not link packages testing and net/http/httptest.
//
//	srv := ksefsimtest.NewServer(t)               // srv.URL ends in "/v2"
//	id, _ := srv.NewTestIdentity()                // NIP + seal certificate
//	c, _ := ksef.NewClient(ksef.WithBaseURL(srv.URL))
package ksefsimtest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ksef2/ksef/ksefsim"
)

// Server is a simulator running on an httptest server on 127.0.0.1; see
// [NewServer].
type Server struct {
	// Simulator is the running simulator (for fault injection, key
	// rotation, test identities and inspection).
	*ksefsim.Simulator
	// URL is the API base URL, ending in "/v2", e.g.
	// "http://127.0.0.1:41234/v2".
	URL string
	// HTTP is the underlying test server.
	HTTP *httptest.Server
}

// NewServer starts a simulator configured with opts on an httptest server
// listening on 127.0.0.1 and closes it when the test ends.
func NewServer(t testing.TB, opts ...ksefsim.Option) *Server {
	t.Helper()
	sim := ksefsim.New(opts...)
	hs := httptest.NewServer(sim)
	t.Cleanup(hs.Close)
	return &Server{Simulator: sim, URL: hs.URL + ksefsim.BasePath, HTTP: hs}
}

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.HTTP.Client() }

// LatarniaURL returns the base URL of the simulator's Latarnia (KSeF's
// status service), e.g. "http://127.0.0.1:PORT/latarnia".
func (s *Server) LatarniaURL() string { return s.HTTP.URL + ksefsim.LatarniaPath }
