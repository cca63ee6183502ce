package ksefsim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/contract"
)

// TestEveryOperationAnswersLikeKSeF walks every operation of the operation
// table (all 83 of the spec) with a valid access token, in both error
// formats, through the contract harness: each answer is a response the
// spec documents for the operation, never a bare 404/405. The operations
// the simulator does not implement answer 400 with code 90001 (legacy
// ExceptionResponse or problem+json as requested), and 401 without a
// token where the operation needs one. Unknown paths and methods under
// /v2 answer 404 and 405 as problem+json.
func TestEveryOperationAnswersLikeKSeF(t *testing.T) {
	contract.Default(t)
	h := newHarness(t, WithoutRateLimits(),
		WithMiddleware(func(next http.Handler) http.Handler { return contract.Middleware(t, next) }))
	nip := randomNIP()
	access := h.login(nipCtx(nip), "certificateSubject", seal(t, nip)).AccessToken.Token.Reveal()
	// The requests carry placeholder parameters and bodies: only the
	// responses are checked against the spec.
	skipReq := map[string]string{contract.SkipHeader: contract.SkipRequest.String()}
	handled := h.s.Handled()
	ops := ksef.Operations()
	if len(ops) != 83 {
		t.Fatalf("%d operations in the table, want 83", len(ops))
	}
	const ref = "20260101-EE-0123456789-ABCDEF0123-00"
	var notImplemented int
	for _, op := range ops {
		info := op.Info()
		path := info.Path
		for strings.Contains(path, "{") {
			i, j := strings.Index(path, "{"), strings.Index(path, "}")
			path = path[:i] + ref + path[j+1:]
		}
		var body any
		if info.Method == "POST" || info.Method == "PUT" || info.Method == "PATCH" {
			body = "{}"
			if op == ksef.OpAuthXadesSignature {
				body = []byte("<a/>")
			}
		}
		implemented := slices.Contains(handled, op.String())
		if !implemented {
			notImplemented++
		}
		for _, problem := range []bool{false, true} {
			hdr := map[string]string{contract.SkipHeader: contract.SkipRequest.String()}
			if problem {
				hdr["X-Error-Format"] = "problem-details"
			}
			w := h.do(req{method: info.Method, path: path, body: body, token: access, header: hdr})
			ct := w.Header().Get("Content-Type")
			switch {
			case w.Code == http.StatusNotFound || w.Code == http.StatusMethodNotAllowed || w.Code >= 500:
				t.Errorf("%s: status %d: %s", op, w.Code, w.Body)
			case w.Code >= 400 && ct != "application/json" && ct != "application/problem+json":
				t.Errorf("%s: status %d with Content-Type %q", op, w.Code, ct)
			}
			if implemented {
				continue
			}
			if w.Code != http.StatusBadRequest {
				t.Errorf("%s (not implemented): status %d, want 400: %s", op, w.Code, w.Body)
				continue
			}
			if got := errorCode(t, w.Body.Bytes(), problem); got != codeNotImplemented {
				t.Errorf("%s (not implemented, problem=%v): code %d, want %d: %s", op, problem, got, codeNotImplemented, w.Body)
			}
			if !strings.Contains(w.Body.String(), "not implemented in the simulator") {
				t.Errorf("%s: the body does not say it is not implemented: %s", op, w.Body)
			}
		}
		if !implemented && info.Auth == ksef.AuthAccessToken {
			if w := h.do(req{method: info.Method, path: path, body: body, header: skipReq}); w.Code != http.StatusUnauthorized {
				t.Errorf("%s without a token: status %d, want 401", op, w.Code)
			}
		}
	}
	t.Logf("%d operations walked, %d answer not implemented", len(ops), notImplemented)

	// Paths and methods outside the table, without the contract (they are
	// not operations of the spec).
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"PUT", "/auth/challenge", http.StatusMethodNotAllowed},
		{"GET", "/nothing/here", http.StatusNotFound},
		{"PATCH", "/tokens/" + ref, http.StatusMethodNotAllowed},
	} {
		w := h.do(req{method: c.method, path: c.path, header: map[string]string{contract.SkipHeader: contract.SkipAll.String()}})
		if w.Code != c.status || w.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: %d %q, want %d problem+json", c.method, c.path, w.Code, w.Header().Get("Content-Type"), c.status)
		}
		var p struct {
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != c.status || p.Detail == "" {
			t.Errorf("%s %s: body %s", c.method, c.path, w.Body)
		}
		if c.status == http.StatusMethodNotAllowed && w.Header().Get("Allow") == "" {
			t.Errorf("%s %s: no Allow header", c.method, c.path)
		}
	}
}

// errorCode returns the first exception code of a 400 body in the legacy
// or the problem-details format.
func errorCode(t *testing.T, body []byte, problem bool) int {
	t.Helper()
	if problem {
		var p ksef.BadRequestProblemDetails
		if err := json.Unmarshal(body, &p); err != nil || len(p.Errors) == 0 {
			t.Fatalf("problem body %s: %v", body, err)
		}
		return int(p.Errors[0].Code)
	}
	var e ksef.ExceptionResponse
	if err := json.Unmarshal(body, &e); err != nil || e.Exception == nil || len(e.Exception.ExceptionDetailList) == 0 {
		t.Fatalf("legacy body %s: %v", body, err)
	}
	return int(e.Exception.ExceptionDetailList[0].ExceptionCode)
}
