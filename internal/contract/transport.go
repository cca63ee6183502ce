package contract

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// Transport returns an http.RoundTripper that validates, like
// [Middleware], the traffic an SDK sends through it to any server (e.g. an
// httptest fake) and the responses it gets back. base nil means
// http.DefaultTransport. The request is validated before it is sent and
// the response before it is returned; violations go to t.Errorf. The
// request path is taken relative to the base path ([WithBasePath], default
// "/v2"), so point the SDK at server.URL + "/v2".
func Transport(t testing.TB, base http.RoundTripper, opts ...Option) http.RoundTripper {
	t.Helper()
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{t: t, spec: Default(t), cfg: newConfig(opts), base: base}
}

type transport struct {
	t    testing.TB
	spec *Spec
	cfg  *config
	base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	skip := tr.cfg.skipFor(req)
	out := req.Clone(req.Context())
	out.Header.Del(SkipHeader)
	rel, ok := tr.cfg.relPath(req.URL.Path)
	if !ok || skip == SkipAll {
		return tr.base.RoundTrip(out)
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		out.ContentLength = int64(len(body))
	}
	ex, problem := tr.spec.newExchange(req.Method, rel, req.URL.RawQuery, out.Header, body)
	if ex.route == nil {
		if skip&SkipRequest == 0 {
			report(tr.t, req.Method, req.URL.Path, "", []string{problem})
		}
		return tr.base.RoundTrip(out)
	}
	reqOK := skip&SkipRequest == 0
	if reqOK {
		msgs := ex.validateRequest()
		report(tr.t, req.Method, req.URL.Path, ex.key(), msgs)
		reqOK = len(msgs) == 0
	}
	resp, err := tr.base.RoundTrip(out)
	if err != nil || skip&SkipResponse != 0 {
		return resp, err
	}
	rb, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	if rerr != nil {
		// Hand the truncated body and the read error to the caller, as an
		// unvalidated transport would.
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(rb), errReader{rerr}))
		return resp, nil
	}
	msgs := ex.validateResponse(resp.StatusCode, resp.Header, rb)
	report(tr.t, req.Method, req.URL.Path, ex.key(), msgs)
	if reqOK && len(msgs) == 0 && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		record(ex.key())
	}
	return resp, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// SkipTransport returns an http.RoundTripper that adds [SkipHeader] with
// the given halves to every request before passing it to base (nil means
// http.DefaultTransport). Wrap an SDK client's transport with it in tests
// that send malformed requests on purpose; the [Middleware] or [Transport]
// downstream removes the header again.
func SkipTransport(base http.RoundTripper, s Skip) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return skipTransport{base: base, skip: s}
}

type skipTransport struct {
	base http.RoundTripper
	skip Skip
}

// RoundTrip implements http.RoundTripper.
func (st skipTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Header.Set(SkipHeader, st.skip.String())
	return st.base.RoundTrip(out)
}
