package ksefsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ksef2/ksef"
)

// errUnknownKey reports a publicKeyId that names no current MF key.
var errUnknownKey = errors.New("ksefsim: unknown or withdrawn public key id")

// exceptionDescriptions are the descriptions KSeF sends with its 400
// exception codes (from the OpenAPI spec).
var exceptionDescriptions = map[int]string{
	9101:  "Nieprawidłowy dokument.",
	9102:  "Brak podpisu.",
	9103:  "Przekroczona liczba dozwolonych podpisów.",
	9105:  "Nieprawidłowy podpis.",
	21001: "Nieczytelna treść.",
	21111: "Nieprawidłowe wyzwanie autoryzacyjne.",
	21115: "Nieprawidłowy certyfikat.",
	21117: "Nieprawidłowy identyfikator podmiotu dla wskazanego typu kontekstu.",
	21166: "Korekta techniczna niedostępna.",
	21167: "Status faktury nie pozwala na korektę techniczną.",
	21217: "Nieprawidłowe kodowanie znaków.",
	21301: "Brak autoryzacji.",
	21304: "Brak uwierzytelnienia.",
	21308: "Próba wykorzystania metod autoryzacyjnych osoby zmarłej.",
	21401: "Dokument nie jest zgodny ze schemą (xsd).",
	21405: "Błąd walidacji danych wejściowych.",
	21406: "Konflikt podpisu i typu uwierzytelnienia.",
	21418: "Przekazany token kontynuacji ma nieprawidłowy format.",
	21470: "Przesłany identyfikator klucza jest nieznany lub wskazuje na wycofany klucz.",
	26001: "Nie można nadać tokenowi uprawnień których nie posiadasz.",
	26002: "Nie można wygenerować tokena dla obecnego typu kontekstu.",
	30001: "Podmiot lub uprawnienie już istnieje.",
	// Not a KSeF code: an operation the simulator does not implement.
	codeNotImplemented: "Operacja nie jest obsługiwana przez symulator.",
}

// apiError is an error response: a 400 with KSeF exception codes, or a
// 401/403/410/415/429/5xx.
type apiError struct {
	status int
	// 400 only: the exception codes with their details.
	errs []ksef.APIErrorDetail
	// 401/403/410/5xx: the detail text.
	detail string
	// 403 only.
	reason   ksef.ForbiddenReasonCode
	security map[string]any
	// 429 and injected faults.
	retryAfter time.Duration
}

// badRequest builds a 400 error with one exception code.
func badRequest(code int, details ...string) *apiError {
	return &apiError{status: http.StatusBadRequest, errs: []ksef.APIErrorDetail{{
		Code:        int32(code),
		Description: exceptionDescriptions[code],
		Details:     details,
	}}}
}

// validation builds a 400/21405 error.
func validation(format string, args ...any) *apiError {
	return badRequest(21405, fmt.Sprintf(format, args...))
}

func unauthorized(detail string) *apiError {
	return &apiError{status: http.StatusUnauthorized, detail: detail}
}

func forbidden(reason ksef.ForbiddenReasonCode, detail string, security map[string]any) *apiError {
	return &apiError{status: http.StatusForbidden, reason: reason, detail: detail, security: security}
}

func gone(detail string) *apiError {
	return &apiError{status: http.StatusGone, detail: detail}
}

func tooManyRequests(retryAfter time.Duration, detail string) *apiError {
	return &apiError{status: http.StatusTooManyRequests, retryAfter: retryAfter, detail: detail}
}

// wantsProblem reports whether the client asked for RFC 7807 errors.
func wantsProblem(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Error-Format")), "problem-details")
}

// retryAfterSeconds rounds d up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// writeError writes e in the format KSeF uses for its status and the
// request: 400 and 429 as the legacy JSON body unless the request carries
// "X-Error-Format: problem-details"; 401, 403 and 410 always as
// application/problem+json.
func (s *Simulator) writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	now := s.now()
	trace := newTraceID()
	problem := wantsProblem(r)
	var body any
	switch e.status {
	case http.StatusBadRequest:
		if problem {
			body = ksef.BadRequestProblemDetails{
				Title:     "Bad Request",
				Status:    int32(e.status),
				Instance:  r.URL.Path,
				Detail:    "Żądanie jest nieprawidłowe.",
				Errors:    e.errs,
				Timestamp: now,
				TraceID:   trace,
			}
		} else {
			list := make([]ksef.ExceptionDetails, 0, len(e.errs))
			for _, x := range e.errs {
				list = append(list, ksef.ExceptionDetails{
					ExceptionCode:        x.Code,
					ExceptionDescription: x.Description,
					Details:              x.Details,
				})
			}
			body = ksef.ExceptionResponse{Exception: &ksef.ExceptionInfo{
				ExceptionDetailList: list,
				ReferenceNumber:     newUUID(),
				ServiceCode:         "00-" + trace + "-" + trace[:16] + "-00",
				ServiceCtx:          "srvKSEFSIM",
				ServiceName:         "ksefsim",
				Timestamp:           now.Format(time.RFC3339Nano),
			}}
		}
	case http.StatusUnauthorized:
		body = ksef.UnauthorizedProblemDetails{
			Title:     "Unauthorized",
			Status:    int32(e.status),
			Detail:    e.detail,
			Instance:  r.URL.Path,
			TraceID:   trace,
			Timestamp: now,
		}
		problem = true
	case http.StatusForbidden:
		body = ksef.ForbiddenProblemDetails{
			Title:      "Forbidden",
			Status:     int32(e.status),
			Detail:     e.detail,
			Instance:   r.URL.Path,
			ReasonCode: e.reason,
			Security:   e.security,
			TraceID:    trace,
			Timestamp:  &now,
		}
		problem = true
	case http.StatusGone:
		body = ksef.GoneProblemDetails{
			Title:     "Gone",
			Status:    int32(e.status),
			Instance:  r.URL.Path,
			Detail:    e.detail,
			Timestamp: now,
			TraceID:   trace,
		}
		problem = true
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(e.retryAfter)))
		if problem {
			body = ksef.TooManyRequestsProblemDetails{
				Title:     "Too Many Requests",
				Status:    int32(e.status),
				Instance:  r.URL.Path,
				Detail:    e.detail,
				Timestamp: now,
				TraceID:   trace,
			}
		} else {
			body = ksef.TooManyRequestsResponse{Status: ksef.StatusInfo{
				Code:        http.StatusTooManyRequests,
				Description: "Too Many Requests",
				Details:     []string{e.detail},
			}}
		}
	default:
		// Statuses the spec does not describe (415, 5xx from fault
		// injection): a generic RFC 7807 body.
		if e.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(e.retryAfter)))
		}
		detail := e.detail
		if detail == "" {
			detail = http.StatusText(e.status)
		}
		body = map[string]any{
			"title":     http.StatusText(e.status),
			"status":    e.status,
			"detail":    detail,
			"instance":  r.URL.Path,
			"timestamp": now,
			"traceId":   trace,
		}
		problem = true
	}
	ct := "application/json"
	if problem {
		ct = "application/problem+json"
	}
	writeJSON(w, e.status, ct, body)
}

// writeJSON writes v as the response body with the given status.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "ksefsim: cannot encode the response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeOK writes a successful JSON response.
func writeOK(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, "application/json", v)
}

// checkRef validates a reference number taken from the path (the spec's
// ReferenceNumber: 36 characters).
func checkRef(ref string) *apiError {
	if len(ref) != 36 {
		return validation("referenceNumber: wymagana wartość o długości 36 znaków.")
	}
	return nil
}

// requireRefs authenticates r with an access token holding one of perms
// (any access token when perms is empty) and returns the path values named
// by names, each checked to be a reference number, in that order.
func (s *Simulator) requireRefs(r *http.Request, perms []string, names ...string) (*principal, []string, *apiError) {
	p, e := s.requirePermission(r, perms...)
	if e != nil {
		return nil, nil, e
	}
	refs := make([]string, len(names))
	for i, name := range names {
		refs[i] = r.PathValue(name)
		if e := checkRef(refs[i]); e != nil {
			return nil, nil, e
		}
	}
	return p, refs, nil
}
