package contract

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeT captures what the harness reports.
type fakeT struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func (f *fakeT) Fatalf(format string, args ...any) { f.Errorf(format, args...) }

func (f *fakeT) errors() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.errs)
}

const (
	validChallenge = `{"challenge":"20250514-CR-226FB7B000-3ACF9BE4C0-10","timestamp":"2025-07-11T12:23:56.0154302+00:00","timestampMs":1752236636015,"clientIp":"127.0.0.1"}`
	secretToken    = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.c2lnbmF0dXJl"
)

// serve runs one request through Middleware(fake, h) and returns the
// response and what was reported.
func serve(t *testing.T, h http.HandlerFunc, req *http.Request, opts ...Option) (*httptest.ResponseRecorder, []string) {
	t.Helper()
	Default(t) // skip or fail here, not inside the fake
	ft := &fakeT{}
	rec := httptest.NewRecorder()
	Middleware(ft, h, opts...).ServeHTTP(rec, req)
	return rec, ft.errors()
}

func jsonHandler(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func TestSpecOperations(t *testing.T) {
	s := Default(t)
	ops := s.Operations()
	if len(ops) != 83 {
		t.Errorf("spec has %d operations, want 83", len(ops))
	}
	seen := map[string]bool{}
	for _, o := range ops {
		if seen[o.Key()] {
			t.Errorf("duplicate operation %s", o.Key())
		}
		seen[o.Key()] = true
		if o2, ok := s.Operation(o.Key()); !ok || o2.Op != o.Op {
			t.Errorf("Operation(%q) does not return the operation", o.Key())
		}
	}
	if s2 := Default(t); s2 != s {
		t.Error("Default loads the spec more than once")
	}
}

func TestFind(t *testing.T) {
	s := Default(t)
	cases := []struct{ method, path, want string }{
		{"GET", "/auth/sessions", "GET /auth/sessions"},
		{"GET", "/auth/20250514-AU-226FB7B000-3ACF9BE4C0-10", "GET /auth/{referenceNumber}"},
		{"DELETE", "/auth/sessions/current", "DELETE /auth/sessions/current"},
		{"DELETE", "/auth/sessions/20250514-AU-226FB7B000-3ACF9BE4C0-10", "DELETE /auth/sessions/{referenceNumber}"},
		{"GET", "/sessions/R/invoices/failed", "GET /sessions/{referenceNumber}/invoices/failed"},
		{"GET", "/sessions/R/invoices/I", "GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}"},
		{"GET", "/sessions/R/invoices/ksef/K/upo", "GET /sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo"},
		{"POST", "/permissions/query/persons/grants", "POST /permissions/query/persons/grants"},
		{"GET", "/nope", ""},
		{"PATCH", "/auth/challenge", ""},
	}
	for _, c := range cases {
		route, _, err := s.Find(c.method, c.path)
		got := ""
		if err == nil {
			got = strings.ToUpper(route.Method) + " " + route.Path
		}
		if got != c.want {
			t.Errorf("Find(%s %s) = %q (err %v), want %q", c.method, c.path, got, err, c.want)
		}
	}
}

func TestMiddlewareAcceptsValidExchange(t *testing.T) {
	var sawSkipHeader bool
	h := func(w http.ResponseWriter, r *http.Request) {
		sawSkipHeader = r.Header.Get(SkipHeader) != ""
		jsonHandler(200, validChallenge)(w, r)
	}
	rec, errs := serve(t, h, httptest.NewRequest("POST", "/v2/auth/challenge", nil))
	if len(errs) != 0 {
		t.Fatalf("valid exchange reported: %q", errs)
	}
	if rec.Code != 200 || rec.Body.String() != validChallenge || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("response not passed through: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
	if sawSkipHeader {
		t.Error("handler saw the skip header")
	}
	if !slices.Contains(Exercised(), "POST /auth/challenge") {
		t.Errorf("POST /auth/challenge not recorded: %v", Exercised())
	}
}

func TestMiddlewareReportsResponseViolations(t *testing.T) {
	cases := []struct {
		name   string
		status int
		ct     string
		body   string
		want   string
	}{
		{"missing required", 200, "application/json", `{"challenge":"20250514-CR-226FB7B000-3ACF9BE4C0-10","timestamp":"2025-07-11T12:23:56Z","timestampMs":1}`, "clientIp"},
		{"wrong type", 200, "application/json", strings.Replace(validChallenge, `1752236636015`, `"1752236636015"`, 1), "timestampMs"},
		{"bad date-time", 200, "application/json", strings.Replace(validChallenge, `2025-07-11T12:23:56.0154302+00:00`, `yesterday`, 1), "timestamp"},
		{"undocumented property", 200, "application/json", strings.Replace(validChallenge, `{`, `{"clientIP":"x",`, 1), "/clientIP: property is not declared"},
		{"undocumented status", 404, "application/json", `{}`, "status is not supported"},
		{"undocumented content type", 200, "text/plain", `hello`, "Content-Type"},
		{"not JSON", 200, "application/json", `{`, "decode"},
		{"bad error body", 400, "application/json", `{"exception":{"exceptionDetailList":"x"}}`, "response 400"},
		{"429 without Retry-After", 429, "application/json", `{"status":{"code":429,"description":"x"}}`, "Retry-After"},
		{"unrequested problem details", 400, "application/problem+json", `{"title":"Bad Request","status":400}`, "not requested"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", c.ct)
				w.WriteHeader(c.status)
				io.WriteString(w, c.body)
			}
			rec, errs := serve(t, h, httptest.NewRequest("POST", "/v2/auth/challenge", nil))
			if len(errs) == 0 {
				t.Fatal("violation not reported")
			}
			msg := strings.Join(errs, "\n")
			for _, want := range []string{"POST /v2/auth/challenge", "(POST /auth/challenge)", c.want} {
				if !strings.Contains(msg, want) {
					t.Errorf("report %q lacks %q", msg, want)
				}
			}
			if rec.Code != c.status || rec.Body.String() != c.body {
				t.Errorf("response altered: %d %q", rec.Code, rec.Body.String())
			}
		})
	}
}

func TestMiddlewareErrorFormat(t *testing.T) {
	problem := `{"title":"Bad Request","status":400,"detail":"d","instance":"/v2/auth/challenge","traceId":"t","timestamp":"2025-07-11T12:23:56Z","errors":[{"code":21405,"description":"x"}]}`
	legacy := `{"exception":{"exceptionDetailList":[{"exceptionCode":21405,"exceptionDescription":"x"}]}}`
	for _, c := range []struct {
		header, ct, body string
		want             string
	}{
		{"problem-details", "application/problem+json", problem, ""},
		{"", "application/json", legacy, ""},
		{"problem-details", "application/json", legacy, "was requested"},
	} {
		req := httptest.NewRequest("POST", "/v2/auth/challenge", nil)
		if c.header != "" {
			req.Header.Set("X-Error-Format", c.header)
		}
		h := func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", c.ct)
			w.WriteHeader(400)
			io.WriteString(w, c.body)
		}
		_, errs := serve(t, h, req)
		msg := strings.Join(errs, "\n")
		if (c.want == "") != (len(errs) == 0) || !strings.Contains(msg, c.want) {
			t.Errorf("X-Error-Format %q, %s: reports %q, want %q", c.header, c.ct, errs, c.want)
		}
	}
}

func TestMiddlewareDoesNotRecordFailures(t *testing.T) {
	// GET /tokens is exercised nowhere else in this package's tests.
	req := httptest.NewRequest("GET", "/v2/tokens", nil)
	req.Header.Set("Authorization", "Bearer "+secretToken)
	_, errs := serve(t, jsonHandler(200, `{"tokens":"not an array"}`), req)
	if len(errs) == 0 {
		t.Fatal("violation not reported")
	}
	req = httptest.NewRequest("GET", "/v2/tokens", nil)
	req.Header.Set("Authorization", "Bearer "+secretToken)
	_, errs = serve(t, jsonHandler(400, `{"exception":{"exceptionDetailList":[{"exceptionCode":21405,"exceptionDescription":"x"}]}}`), req)
	if len(errs) != 0 {
		t.Fatalf("valid 400 reported: %q", errs)
	}
	if slices.Contains(Exercised(), "GET /tokens") {
		t.Error("GET /tokens recorded although no 2xx response passed validation")
	}
}

func TestMiddlewareAccepts429(t *testing.T) {
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		jsonHandler(429, `{"status":{"code":429,"description":"Too Many Requests","details":["x"]}}`)(w, r)
	}
	if _, errs := serve(t, h, httptest.NewRequest("POST", "/v2/auth/challenge", nil)); len(errs) != 0 {
		t.Errorf("valid 429 reported: %q", errs)
	}
	h = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT")
		jsonHandler(429, `{"status":{"code":429,"description":"Too Many Requests"}}`)(w, r)
	}
	if _, errs := serve(t, h, httptest.NewRequest("POST", "/v2/auth/challenge", nil)); len(errs) != 1 || !strings.Contains(errs[0], "Retry-After") {
		t.Errorf("HTTP-date Retry-After (the spec says integer seconds): reports %q", errs)
	}
}

func TestMiddlewareSkips5xx(t *testing.T) {
	_, errs := serve(t, jsonHandler(503, `not json`), httptest.NewRequest("POST", "/v2/auth/challenge", nil))
	if len(errs) != 0 {
		t.Fatalf("5xx reported: %q", errs)
	}
}

func TestMiddlewareReportsUnknownOperation(t *testing.T) {
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/v2/no/such/path", "no operation"},
		{"PUT", "/v2/auth/challenge", "method not allowed"},
	} {
		called := false
		h := func(w http.ResponseWriter, r *http.Request) { called = true; w.WriteHeader(404) }
		_, errs := serve(t, h, httptest.NewRequest(c.method, c.path, nil))
		if len(errs) != 1 || !strings.Contains(errs[0], c.want) || !strings.Contains(errs[0], c.method+" "+c.path) {
			t.Errorf("%s %s: reports %q, want one naming it and %q", c.method, c.path, errs, c.want)
		}
		if !called {
			t.Errorf("%s %s: handler not called", c.method, c.path)
		}
	}
}

func TestMiddlewareReportsRequestViolations(t *testing.T) {
	ok := jsonHandler(200, `{}`)
	bearer := func(r *http.Request) *http.Request {
		r.Header.Set("Authorization", "Bearer "+secretToken)
		return r
	}
	cases := []struct {
		name string
		req  *http.Request
		want string
	}{
		{"missing bearer", httptest.NewRequest("GET", "/v2/tokens", nil), "Bearer"},
		{"query below minimum", bearer(httptest.NewRequest("GET", "/v2/sessions?sessionType=Online&pageSize=5", nil)), "pageSize"},
		{"missing required query", bearer(httptest.NewRequest("GET", "/v2/sessions", nil)), "sessionType"},
		{"bad path parameter", bearer(httptest.NewRequest("PUT", "/v2/testdata/certificates/xyz", strings.NewReader(`{}`))), "serialNumber"},
		{"body missing required", withJSON(httptest.NewRequest("POST", "/v2/auth/ksef-token", strings.NewReader(`{"challenge":"20250514-CR-226FB7B000-3ACF9BE4C0-10"}`))), "contextIdentifier"},
		{"body wrong content type", withCT(httptest.NewRequest("POST", "/v2/auth/ksef-token", strings.NewReader(`{}`)), "text/plain"), "text/plain"},
		{"undocumented body", withJSON(httptest.NewRequest("POST", "/v2/auth/challenge", strings.NewReader(`{}`))), "request body"},
		{"body empty", withJSON(bearer(httptest.NewRequest("POST", "/v2/sessions/online", nil))), "request body is empty"},
		{"body undocumented property", withJSON(httptest.NewRequest("POST", "/v2/auth/ksef-token", strings.NewReader(`{"challenge":"20250514-CR-226FB7B000-3ACF9BE4C0-10","contextIdentifier":{"type":"Nip","value":"5265877635","typ":"x"},"encryptedToken":"AAAA"}`))), "/contextIdentifier/typ: property is not declared"},
		{"body not JSON", withJSON(bearer(httptest.NewRequest("POST", "/v2/sessions/online", strings.NewReader(`{`)))), "request body"},
		{"XML not well-formed", withCT(httptest.NewRequest("POST", "/v2/auth/xades-signature", strings.NewReader(`<AuthTokenRequest><a></AuthTokenRequest>`)), "application/xml"), "well-formed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs := serve(t, ok, c.req)
			msg := strings.Join(errs, "\n")
			if len(errs) == 0 || !strings.Contains(msg, c.want) {
				t.Fatalf("reports %q, want one mentioning %q", errs, c.want)
			}
			if strings.Contains(msg, secretToken) {
				t.Errorf("report leaks the bearer token: %q", msg)
			}
		})
	}
}

func withJSON(r *http.Request) *http.Request { return withCT(r, "application/json") }

func withCT(r *http.Request, ct string) *http.Request {
	r.Header.Set("Content-Type", ct)
	return r
}

func TestMiddlewareAcceptsXMLAndPassesBody(t *testing.T) {
	const doc = `<?xml version="1.0" encoding="utf-8"?><AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.0"><Challenge>x</Challenge></AuthTokenRequest>`
	var got string
	h := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(202)
		io.WriteString(w, `{"referenceNumber":"20250514-AU-226FB7B000-3ACF9BE4C0-10","authenticationToken":{"token":"`+secretToken+`","validUntil":"2025-07-11T12:23:56Z"}}`)
	}
	_, errs := serve(t, h, withCT(httptest.NewRequest("POST", "/v2/auth/xades-signature", strings.NewReader(doc)), "application/xml"))
	if len(errs) != 0 {
		t.Fatalf("valid XML exchange reported: %q", errs)
	}
	if got != doc {
		t.Errorf("handler got body %q", got)
	}
}

func TestMiddlewareReportsUndocumentedBody(t *testing.T) {
	req := withJSON(httptest.NewRequest("POST", "/v2/testdata/subject/remove", strings.NewReader(`{"subjectNip":"5265877635"}`)))
	_, errs := serve(t, jsonHandler(200, `{"ok":true}`), req)
	if len(errs) != 1 || !strings.Contains(errs[0], "documents none") {
		t.Fatalf("reports %q, want the undocumented body", errs)
	}
	req = withJSON(httptest.NewRequest("POST", "/v2/testdata/subject/remove", strings.NewReader(`{"subjectNip":"5265877635"}`)))
	_, errs = serve(t, func(w http.ResponseWriter, r *http.Request) {}, req)
	if len(errs) != 0 {
		t.Fatalf("empty 200 reported: %q", errs)
	}
}

func TestMiddlewareSkipHeader(t *testing.T) {
	for _, c := range []struct {
		skip Skip
		req  *http.Request
		h    http.HandlerFunc
	}{
		{SkipRequest, httptest.NewRequest("GET", "/v2/tokens", nil), jsonHandler(200, `{"tokens":[]}`)},
		{SkipRequest, httptest.NewRequest("GET", "/v2/no/such", nil), jsonHandler(404, `{}`)},
		{SkipResponse, httptest.NewRequest("POST", "/v2/auth/challenge", nil), jsonHandler(200, `{}`)},
		{SkipAll, httptest.NewRequest("GET", "/v2/tokens", nil), jsonHandler(200, `{"tokens":1}`)},
	} {
		c.req.Header.Set(SkipHeader, c.skip.String())
		var seen string
		h := func(w http.ResponseWriter, r *http.Request) { seen = r.Header.Get(SkipHeader); c.h(w, r) }
		_, errs := serve(t, h, c.req)
		if len(errs) != 0 {
			t.Errorf("skip %v: reported %q", c.skip, errs)
		}
		if seen != "" {
			t.Errorf("skip %v: handler saw %s: %s", c.skip, SkipHeader, seen)
		}
	}
	// Skipping one half still validates the other.
	req := httptest.NewRequest("GET", "/v2/tokens", nil)
	req.Header.Set(SkipHeader, "response")
	if _, errs := serve(t, jsonHandler(200, `{"tokens":1}`), req); len(errs) != 1 || !strings.Contains(errs[0], "Bearer") {
		t.Errorf("skip response: reports %q, want the missing bearer", errs)
	}
}

func TestWithSkip(t *testing.T) {
	opt := WithSkip(func(r *http.Request) Skip {
		if r.URL.Query().Has("bad") {
			return SkipRequest
		}
		return 0
	})
	_, errs := serve(t, jsonHandler(200, validChallenge), httptest.NewRequest("POST", "/v2/auth/challenge?bad=1", strings.NewReader("junk")), opt)
	if len(errs) != 0 {
		t.Errorf("WithSkip: reported %q", errs)
	}
}

func TestMiddlewarePassesThroughOutsideBasePath(t *testing.T) {
	// Pre-signed upload URLs are not API operations.
	_, errs := serve(t, jsonHandler(201, `anything`), httptest.NewRequest("PUT", "/upload/part-1?sig=abc", strings.NewReader("x")))
	if len(errs) != 0 {
		t.Errorf("reported %q", errs)
	}
	// With an explicit base path, the same rule applies to it.
	_, errs = serve(t, jsonHandler(200, validChallenge), httptest.NewRequest("POST", "/api/v2/auth/challenge", nil), WithBasePath("/api/v2/"))
	if len(errs) != 0 {
		t.Errorf("WithBasePath: reported %q", errs)
	}
	_, errs = serve(t, jsonHandler(200, validChallenge), httptest.NewRequest("POST", "/auth/challenge", nil), WithBasePath(""))
	if len(errs) != 0 {
		t.Errorf("WithBasePath(\"\"): reported %q", errs)
	}
}

func TestMiddlewareHijack(t *testing.T) {
	Default(t)
	ft := &fakeT{}
	srv := httptest.NewServer(Middleware(ft, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		c.Close()
	})))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v2/auth/challenge", "", nil)
	if err == nil {
		resp.Body.Close()
		t.Fatal("dropped connection delivered a response")
	}
	if errs := ft.errors(); len(errs) != 0 {
		t.Errorf("reported %q", errs)
	}
}

func TestTransport(t *testing.T) {
	Default(t)
	body := validChallenge
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	defer srv.Close()
	ft := &fakeT{}
	client := &http.Client{Transport: Transport(ft, nil)}
	resp, err := client.Post(srv.URL+"/v2/auth/challenge", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != body {
		t.Errorf("body %q", got)
	}
	if errs := ft.errors(); len(errs) != 0 {
		t.Fatalf("valid exchange reported: %q", errs)
	}

	body = `{"challenge":1}`
	resp, err = client.Post(srv.URL+"/v2/auth/challenge", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != body {
		t.Errorf("body %q", got)
	}
	if errs := ft.errors(); len(errs) == 0 || !strings.Contains(errs[0], "POST /v2/auth/challenge") {
		t.Errorf("invalid response reports %q", errs)
	}

	// The skip header set by SkipTransport is honoured and removed.
	ft = &fakeT{}
	var seen string
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Get(SkipHeader)
		w.WriteHeader(418)
	}))
	defer srv2.Close()
	client = &http.Client{Transport: SkipTransport(Transport(ft, nil), SkipAll)}
	resp, err = client.Get(srv2.URL + "/v2/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if errs := ft.errors(); len(errs) != 0 || seen != "" {
		t.Errorf("skipped exchange: reports %q, server saw %q", errs, seen)
	}
}

func TestRecorderIsHijackerAndFlusher(t *testing.T) {
	var w http.ResponseWriter = &recorder{header: http.Header{}}
	if _, ok := w.(http.Flusher); !ok {
		t.Error("recorder is not a Flusher")
	}
	if _, ok := w.(http.Hijacker); !ok {
		t.Error("recorder is not a Hijacker")
	}
}

func TestSchemaUsageAndProperties(t *testing.T) {
	s := Default(t)
	u := s.SchemaUsage("POST /auth/ksef-token")
	if u["InitTokenAuthenticationRequest"] != InRequest {
		t.Errorf("InitTokenAuthenticationRequest usage %v", u["InitTokenAuthenticationRequest"])
	}
	if u["AuthenticationContextIdentifier"]&InRequest == 0 {
		t.Error("nested AuthenticationContextIdentifier not reached")
	}
	if u["AuthenticationInitResponse"] != InResponse {
		t.Errorf("AuthenticationInitResponse usage %v", u["AuthenticationInitResponse"])
	}
	props, req, ok := s.Properties("AuthenticationChallengeResponse")
	if !ok || !slices.Equal(props, []string{"challenge", "clientIp", "timestamp", "timestampMs"}) || len(req) != 4 {
		t.Errorf("Properties = %v %v %v", props, req, ok)
	}
	if _, _, ok := s.Properties("SystemWarning"); ok {
		t.Error("non-object schema reported as object")
	}
}

func BenchmarkMiddleware(b *testing.B) {
	Default(b)
	h := Middleware(b, jsonHandler(200, validChallenge))
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/v2/auth/challenge", nil))
	}
}

func BenchmarkMiddlewareRequestBody(b *testing.B) {
	Default(b)
	const body = `{"challenge":"20250514-CR-226FB7B000-3ACF9BE4C0-10","contextIdentifier":{"type":"Nip","value":"5265877635"},"encryptedToken":"AAAA"}`
	h := Middleware(b, jsonHandler(202, `{"referenceNumber":"20250514-AU-226FB7B000-3ACF9BE4C0-10","authenticationToken":{"token":"t","validUntil":"2025-07-11T12:23:56Z"}}`))
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, withJSON(httptest.NewRequest("POST", "/v2/auth/ksef-token", strings.NewReader(body))))
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(t.TempDir()); err == nil || !strings.HasPrefix(err.Error(), "contract: ") {
		t.Errorf("Load of an empty directory: %v", err)
	}
	dir := t.TempDir()
	writeSpec(t, dir, `{"openapi":"3.0.4","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}}}}},"components":{"schemas":{"X":{"type":"object","properties":{"a":{"type":"strin"}}}}}}`)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "not valid OpenAPI") {
		t.Errorf("Load of an invalid document: %v", err)
	}
}

func TestLoadUnknownPatchVersion(t *testing.T) {
	dir := t.TempDir()
	writeSpec(t, dir, `{"openapi":"3.0.9","info":{"title":"x","version":"1"},"servers":[{"url":"https://example.invalid/v2"}],"paths":{"/a/{id}":{"get":{"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}}}}`)
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ops := s.Operations(); len(ops) != 1 || ops[0].Key() != "GET /a/{id}" {
		t.Errorf("operations %v", ops)
	}
	if _, params, err := s.Find("GET", "/a/42"); err != nil || params["id"] != "42" {
		t.Errorf("Find: %v %v", params, err)
	}
}

func writeSpec(t *testing.T, dir, doc string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "openapi.json"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestMiddlewareConcurrent(t *testing.T) {
	Default(t)
	ft := &fakeT{}
	h := Middleware(ft, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/auth/challenge" {
			jsonHandler(200, validChallenge)(w, r)
			return
		}
		jsonHandler(200, `{"challenge":1}`)(w, r)
	}))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				path := "/v2/auth/challenge"
				if (g+i)%4 == 0 {
					path = "/v2/auth/ksef-token" // invalid: no body, wrong response
				}
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", path, nil))
			}
		})
	}
	wg.Wait()
	if n := len(ft.errors()); n != 80 {
		t.Errorf("%d reports, want 80 (request and response of 40 invalid exchanges)", n)
	}
}

// TestMiddlewareClientGone: a handler that answers nothing because the
// client went away is not reported; one that answers nothing to a client
// still waiting is (the implicit empty 200 violates the spec).
func TestMiddlewareClientGone(t *testing.T) {
	silent := func(http.ResponseWriter, *http.Request) {}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, errs := serve(t, silent, httptest.NewRequest("POST", "/v2/auth/challenge", nil).WithContext(ctx)); len(errs) != 0 {
		t.Errorf("client gone: %v", errs)
	}
	if _, errs := serve(t, silent, httptest.NewRequest("POST", "/v2/auth/challenge", nil)); len(errs) == 0 {
		t.Error("empty response to a waiting client not reported")
	}
}
