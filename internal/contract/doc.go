// Package contract checks, in tests, that HTTP traffic between the SDK and
// a KSeF server (the ksefsim simulator or an httptest fake) conforms to
// the official OpenAPI spec, shared/spec/openapi.json (design.md §5.1).
//
// The spec is located with testenv.SpecDir (KSEF_SPEC_DIR or ../shared/spec;
// missing → test failure under CI, skip elsewhere), loaded with kin-openapi
// once per process ([Default], [LoadDefault]) and matched relative to the
// base path "/v2" whatever the host.
//
// # Server side: Middleware
//
// [Middleware] wraps an http.Handler. Most tests do not call it directly:
// internal/simtest.Start starts the simulator already wrapped.
//
//	h := contract.Middleware(t, sim)          // sim is an http.Handler
//	srv := httptest.NewServer(h)              // SDK base URL: srv.URL + "/v2"
//
// # Client side: Transport
//
// [Transport] validates what an SDK client sends to any server, e.g. an
// httptest fake in a unit test:
//
//	hc := &http.Client{Transport: contract.Transport(t, nil)}
//	c, _ := ksef.NewClient(ksef.WithBaseURL(srv.URL+"/v2"), ksef.WithHTTPClient(hc))
//
// # What is checked
//
// Requests: the method and path name an operation; path, query and header
// parameters; a Bearer token is present where the operation is secured
// (its value is not checked: the harness validates shape, not security);
// JSON bodies against their schema and XML bodies for well-formedness; no
// body where the operation documents none, and none missing where the
// operation documents one with required properties (the spec marks almost
// no request body as required).
//
// Responses: the status is documented (5xx are not validated: the spec
// documents none and the simulator returns them only for fault
// injection); the content type is documented; the body matches its schema;
// documented headers (Retry-After, X-System-Warning, x-ms-meta-hash) are
// valid; no body where the spec documents none; where a status documents
// both error formats, application/problem+json exactly when the request
// carried "X-Error-Format: problem-details" (legacy application/json
// otherwise); a 429 carries Retry-After (in seconds, as the spec's
// integer schema says).
//
// Both directions: JSON properties the schema does not declare are
// reported, although the spec does not forbid them, so that a misspelt
// optional property cannot hide.
//
// Violations go to t.Errorf as "contract: METHOD /v2/path (METHOD
// /template): message". The Authorization header, request and response
// bodies and header values are never printed; should a validator message
// quote a string value, it is masked.
//
// Requests outside the base path (pre-signed upload and download URLs)
// pass through unvalidated.
//
// # Opting out
//
// A test that sends a malformed request on purpose, or whose fake server
// answers outside the spec on purpose, sets the request header
// [SkipHeader] ("X-Contract-Skip: request", "response" or "all"), most
// easily by wrapping the client's transport with [SkipTransport]; or it
// passes [WithSkip] to Middleware/Transport. The header is removed before
// the request reaches the handler or the network, and it is honoured only
// by this test-only package, never by the simulator or the SDK.
//
// # Coverage
//
// Every exchange whose request and 2xx response both passed validation
// (neither half skipped) records its operation "METHOD /template" in a
// process-wide set, read with [Exercised]. The root package's TestMain
// (coverage_test.go) combines it with the SDK's `// KSeF API:` doc lines
// and ksefsim's Handled() to print "operations covered: N/83" and fail for
// operations that are claimed but incomplete (design.md §5.2).
package contract
