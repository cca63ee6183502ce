package ksefsim

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ksef2/ksef"
)

// handlerFunc serves one operation. It writes successful responses itself
// and returns failures, which the caller writes in the requested format.
type handlerFunc func(w http.ResponseWriter, r *http.Request) *apiError

// route is one operation of the API.
type route struct {
	op    ksef.Operation
	group ksef.RateLimitGroup // from the operation table
	h     handlerFunc
}

// register installs every operation the simulator serves.
//
// Adding an operation: write a handlerFunc that authenticates with
// s.requireAccess or s.requirePermission (401/403 come out right), decodes
// its body with decodeJSON (21405 on failure), takes s.mu while it touches
// s.st, returns badRequest(code, details...) for KSeF exception codes and
// writes its success with writeOK; then add one s.handle line here naming
// the operation's constant of the client's operation table. The method,
// path and rate-limit group come from that table; Handled(), fault
// injection, rate limiting, call counting and the X-System-Warning echo
// follow automatically.
func (s *Simulator) register() {
	// Authentication.
	s.handle(ksef.OpAuthChallenge, s.handleChallenge)
	s.handle(ksef.OpAuthXadesSignature, s.handleXAdESSignature)
	s.handle(ksef.OpAuthKSeFToken, s.handleKSeFToken)
	s.handle(ksef.OpAuthStatus, s.handleAuthStatus)
	s.handle(ksef.OpAuthTokenRedeem, s.handleRedeem)
	s.handle(ksef.OpAuthTokenRefresh, s.handleRefresh)
	// Authentication sessions.
	s.handle(ksef.OpAuthSessionsList, s.handleListAuthSessions)
	s.handle(ksef.OpAuthSessionRevokeCurrent, s.handleRevokeCurrentSession)
	s.handle(ksef.OpAuthSessionRevoke, s.handleRevokeSession)
	// MF public keys.
	s.handle(ksef.OpPublicKeyCertificates, s.handlePublicKeys)
	// KSeF tokens.
	s.handle(ksef.OpTokensList, s.handleListTokens)
	s.handle(ksef.OpTokenGenerate, s.handleGenerateToken)
	s.handle(ksef.OpTokenStatus, s.handleTokenStatus)
	s.handle(ksef.OpTokenRevoke, s.handleRevokeToken)
	// Test data.
	s.handle(ksef.OpTestDataSubjectCreate, s.handleCreateSubject)
	s.handle(ksef.OpTestDataSubjectRemove, s.handleRemoveSubject)
	s.handle(ksef.OpTestDataPersonCreate, s.handleCreatePerson)
	s.handle(ksef.OpTestDataPersonRemove, s.handleRemovePerson)
	s.handle(ksef.OpTestDataPermissionsGrant, s.handleGrantTestPermissions)
	s.handle(ksef.OpTestDataPermissionsRevoke, s.handleRevokeTestPermissions)
	s.handle(ksef.OpTestDataContextBlock, s.handleBlockContext)
	s.handle(ksef.OpTestDataContextUnblock, s.handleUnblockContext)
	// Online sessions, session status and UPO.
	s.handle(ksef.OpOnlineSessionOpen, s.handleOpenOnline)
	s.handle(ksef.OpOnlineSessionSendInvoice, s.handleSendInvoice)
	s.handle(ksef.OpOnlineSessionClose, s.handleCloseOnline)
	s.handle(ksef.OpSessionsList, s.handleListSessions)
	s.handle(ksef.OpSessionStatus, s.handleSessionStatus)
	s.handle(ksef.OpSessionInvoices, s.handleSessionInvoices)
	s.handle(ksef.OpSessionInvoicesFailed, s.handleSessionFailedInvoices)
	s.handle(ksef.OpSessionInvoiceStatus, s.handleSessionInvoice)
	s.handle(ksef.OpSessionInvoiceUpoByKSeFNumber, s.handleInvoiceUPOByKSeF)
	s.handle(ksef.OpSessionInvoiceUpo, s.handleInvoiceUPOByRef)
	s.handle(ksef.OpSessionUpo, s.handleSessionUPO)
	// Invoice retrieval.
	s.handle(ksef.OpInvoiceDownload, s.handleDownloadInvoice)
	s.handle(ksef.OpInvoicesQueryMetadata, s.handleQueryMetadata)
	s.registerExports()
	s.registerStorage()

	// Every other operation of the table answers 400 with
	// codeNotImplemented; other paths and methods under BasePath answer 404
	// or 405, all in KSeF's error format.
	s.registerNotImplemented()
}

// codeNotImplemented is the exception code of an operation of the KSeF API
// that the simulator does not implement (KSeF itself has no such code).
const codeNotImplemented = 90001

// registerNotImplemented installs the not-implemented handler for every
// operation of the client's operation table without a handler (these do
// not appear in Handled), and the handler of unknown paths and methods.
func (s *Simulator) registerNotImplemented() {
	done := map[ksef.Operation]bool{}
	for _, rt := range s.routes {
		done[rt.op] = true
	}
	for _, op := range ksef.Operations() {
		if done[op] {
			continue
		}
		info := op.Info()
		rt := &route{op: op, group: info.Group, h: s.notImplemented(op)}
		s.mux.Handle(info.Method+" "+BasePath+info.Path, s.wrap(rt))
	}
	s.mux.HandleFunc(BasePath+"/", s.handleUnknown)
}

// notImplemented answers an operation the simulator does not implement:
// after the authentication the operation requires (401 without it), a 400
// with codeNotImplemented in the format the request asks for.
func (s *Simulator) notImplemented(op ksef.Operation) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) *apiError {
		if op.Info().Auth == ksef.AuthAccessToken {
			if _, e := s.requireAccess(r); e != nil {
				return e
			}
		}
		return badRequest(codeNotImplemented, "Operacja "+op.String()+" nie jest zaimplementowana w symulatorze ksefsim (not implemented in the simulator).")
	}
}

// handleUnknown answers a request under BasePath that matches no
// operation: 405 with an Allow header when the path is an operation's path
// with another method, 404 otherwise, as RFC 7807 problem details.
func (s *Simulator) handleUnknown(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, BasePath)
	var allow []string
	for _, op := range ksef.Operations() {
		if info := op.Info(); matchTemplate(info.Path, path) && !slices.Contains(allow, info.Method) {
			allow = append(allow, info.Method)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.writeError(w, r, &apiError{status: http.StatusMethodNotAllowed, detail: "Metoda " + r.Method + " nie jest obsługiwana dla " + path + "."})
		return
	}
	s.writeError(w, r, &apiError{status: http.StatusNotFound, detail: "Nie znaleziono zasobu " + path + "."})
}

// matchTemplate reports whether path matches the spec path template tmpl
// ("{name}" matches one non-empty segment).
func matchTemplate(tmpl, path string) bool {
	ts, ps := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i, t := range ts {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if ps[i] == "" {
				return false
			}
			continue
		}
		if t != ps[i] {
			return false
		}
	}
	return true
}

// handle registers one operation of the client's operation table under
// BasePath, with the table's method, path and rate-limit group.
func (s *Simulator) handle(op ksef.Operation, h handlerFunc) {
	info := op.Info()
	if info.Method == "" {
		panic("ksefsim: handle: unknown operation")
	}
	rt := &route{op: op, group: info.Group, h: h}
	s.routes = append(s.routes, rt)
	s.mux.Handle(info.Method+" "+BasePath+info.Path, s.wrap(rt))
}

// wrap adds what every operation shares: call counting, the
// X-Test-System-Warning echo, logging, fault injection and rate limiting.
func (s *Simulator) wrap(rt *route) http.Handler {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, wait, detail := s.limiter.allow(rt.group, s.rateContext(r), clientIP(r), s.now()); !ok {
			s.writeError(w, r, tooManyRequests(wait, detail))
			return
		}
		// Handlers may write while holding s.mu; buffer their output so
		// that a slow client never holds the lock.
		bw := &bufferedWriter{ResponseWriter: w}
		if e := rt.h(bw, r); e != nil {
			s.writeError(bw, r, e)
		}
		bw.flush()
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.count(rt.op.String())
		sw := &statusWriter{ResponseWriter: w, warning: r.Header.Get("X-Test-System-Warning")}
		defer func() {
			s.cfg.logger.Debug("ksefsim: request", "op", rt.op.String(), "status", sw.status, "duration", time.Since(start))
		}()
		if f, ok := s.faults.take(rt.op.String()); ok {
			s.applyFault(sw, r, f, inner)
			return
		}
		inner.ServeHTTP(sw, r)
	})
}

// statusWriter records the response status and, on 2xx responses, echoes
// the request's X-Test-System-Warning as X-System-Warning (as KSeF TEST
// does).
type statusWriter struct {
	http.ResponseWriter
	warning string
	status  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		if w.warning != "" && code >= 200 && code < 300 {
			v := w.warning
			if prev := w.Header().Get("X-System-Warning"); prev != "" {
				v = prev + " | " + v
			}
			w.Header().Set("X-System-Warning", v)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (for
// hijacking and flushing).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// bufferedWriter keeps a handler's status and body until flush; headers go
// straight to the underlying writer's map (they are sent on flush).
type bufferedWriter struct {
	http.ResponseWriter
	status int
	body   []byte
}

func (w *bufferedWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *bufferedWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body = append(w.body, b...)
	return len(b), nil
}

func (w *bufferedWriter) flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.ResponseWriter.WriteHeader(w.status)
	if len(w.body) > 0 {
		_, _ = w.ResponseWriter.Write(w.body)
	}
}
