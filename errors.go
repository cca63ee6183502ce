package ksef

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Sentinel errors matched by *[APIError] with errors.Is according to the
// HTTP status.
var (
	// ErrUnauthorized matches 401 responses (missing, expired or revoked
	// token).
	ErrUnauthorized = errors.New("ksef: unauthorized")
	// ErrForbidden matches 403 responses (missing permissions, IP not
	// allowed, WAF block; see APIError.ReasonCode).
	ErrForbidden = errors.New("ksef: forbidden")
	// ErrNotFound matches 404 responses.
	ErrNotFound = errors.New("ksef: not found")
	// ErrGone matches 410 responses (status retention expired).
	ErrGone = errors.New("ksef: gone")
	// ErrRateLimited matches 429 responses; APIError.RetryAfter says how long
	// to wait.
	ErrRateLimited = errors.New("ksef: rate limited")
)

// APIError is an error response of the KSeF API, decoded from either error
// format: the legacy ExceptionResponse or application/problem+json (see
// [WithProblemDetails]). Use errors.Is with [ErrUnauthorized],
// [ErrForbidden], [ErrNotFound], [ErrGone] or [ErrRateLimited] for the
// class, and [APIError.HasCode] for a KSeF exception code.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is the first KSeF exception code (0 when none was sent).
	Code ExceptionCode
	// Codes are all KSeF exception codes of the response.
	Codes []ExceptionCode
	// Message is the main description (exception description or
	// problem-details detail/title), as sent by KSeF (Polish).
	Message string
	// Details are the additional details of all errors.
	Details []string
	// ReasonCode is the reasonCode of a 403 problem-details response.
	ReasonCode ForbiddenReasonCode
	// Security holds the security object of a 403 response.
	Security map[string]any
	// TraceID identifies the request at KSeF (traceId or serviceCode).
	TraceID string
	// ReferenceNumber is the referenceNumber of a legacy error body.
	ReferenceNumber string
	// RetryAfter is the delay requested by the Retry-After header.
	RetryAfter time.Duration
	// Method and Path identify the request; Path is the spec's template
	// (never a filled-in pre-signed URL).
	Method, Path string
	// Body is the raw response body (at most 1 MiB), with every secret
	// the client holds (tokens) replaced by "REDACTED".
	Body []byte
}

// jwtPattern matches JWT-like strings so they never reach error strings
// (compiled on first use, not at program start).
var jwtPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
})

// Error returns "ksef: METHOD /path: 400 Bad Request: [21405] message".
// Server-provided text is escaped with [SanitizeText]; the fields keep it
// as sent (secrets the client holds are redacted from them and from Body).
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("ksef: ")
	if e.Method != "" {
		b.WriteString(e.Method + " " + e.Path + ": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	for _, c := range e.Codes {
		b.WriteString(" [" + strconv.Itoa(int(c)) + "]")
	}
	if e.Message != "" {
		b.WriteString(": " + SanitizeText(e.Message))
	}
	if len(e.Details) > 0 {
		b.WriteString(" (" + SanitizeText(strings.Join(e.Details, "; ")) + ")")
	}
	if e.ReasonCode != "" {
		b.WriteString(" reason=" + SanitizeText(string(e.ReasonCode)))
	}
	if e.RetryAfter > 0 {
		b.WriteString(" retry after " + e.RetryAfter.String())
	}
	return jwtPattern().ReplaceAllString(b.String(), redacted)
}

// Is maps the HTTP status onto the sentinel errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrGone:
		return e.StatusCode == http.StatusGone
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// HasCode reports whether the response carries the KSeF exception code.
func (e *APIError) HasCode(code ExceptionCode) bool {
	for _, c := range e.Codes {
		if c == code {
			return true
		}
	}
	return false
}

// IsCode reports whether err is (or wraps) an *APIError carrying code.
func IsCode(err error, code ExceptionCode) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.HasCode(code)
}

// lenientError is a superset of every error body KSeF sends, decoded
// leniently (timestamps and numbers are not interpreted).
type lenientError struct {
	// legacy
	Exception *struct {
		ExceptionDetailList []struct {
			ExceptionCode        json.Number `json:"exceptionCode"`
			ExceptionDescription string      `json:"exceptionDescription"`
			Details              []string    `json:"details"`
		} `json:"exceptionDetailList"`
		ReferenceNumber string `json:"referenceNumber"`
		ServiceCode     string `json:"serviceCode"`
	} `json:"exception"`
	// legacy 429
	Status json.RawMessage `json:"status"`
	// problem details
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Code        json.Number `json:"code"`
		Description string      `json:"description"`
		Details     []string    `json:"details"`
	} `json:"errors"`
	TraceID    string         `json:"traceId"`
	ReasonCode string         `json:"reasonCode"`
	Security   map[string]any `json:"security"`
}

type lenientStatus struct {
	Code        json.Number `json:"code"`
	Description string      `json:"description"`
	Details     []string    `json:"details"`
}

func numberCode(n json.Number) (ExceptionCode, bool) {
	if n == "" {
		return 0, false
	}
	v, err := strconv.ParseInt(string(n), 10, 32)
	if err != nil {
		return 0, false
	}
	return ExceptionCode(v), true
}

// addDetail adds one error detail of either format: its exception code,
// its description (the message when e has none yet, a detail otherwise)
// and its further details.
func (e *APIError) addDetail(code json.Number, description string, details []string) {
	if c, ok := numberCode(code); ok {
		e.Codes = append(e.Codes, c)
	}
	if e.Message == "" {
		e.Message = description
	} else if description != "" {
		e.Details = append(e.Details, description)
	}
	e.Details = append(e.Details, details...)
}

// ForbiddenReasonCode is the reasonCode of a 403 problem-details body
// ([ForbiddenProblemDetails], [APIError].ReasonCode).
type ForbiddenReasonCode string

// Known 403 reason codes.
const (
	ReasonMissingPermissions         ForbiddenReasonCode = "missing-permissions"
	ReasonIPNotAllowed               ForbiddenReasonCode = "ip-not-allowed"
	ReasonInsufficientResourceAccess ForbiddenReasonCode = "insufficient-resource-access"
	ReasonAuthMethodNotAllowed       ForbiddenReasonCode = "auth-method-not-allowed"
	ReasonSecurityServiceBlocked     ForbiddenReasonCode = "security-service-blocked"
	ReasonContextTypeNotAllowed      ForbiddenReasonCode = "context-type-not-allowed"
)

// DecodeError builds an *APIError from an error response: status code,
// headers (Retry-After, Content-Type) and body in either KSeF error format.
// It never fails: unknown or empty bodies (for example a 403 from the web
// application firewall) give an APIError with only the status set. It is
// exported for code that talks to KSeF over its own HTTP stack.
func DecodeError(status int, h http.Header, body []byte) *APIError {
	return decodeAPIError(status, h, body)
}

func decodeAPIError(status int, h http.Header, body []byte) *APIError {
	e := &APIError{StatusCode: status}
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	if len(body) > 0 {
		e.Body = bytes.Clone(body)
	}
	if h != nil {
		e.RetryAfter = parseRetryAfter(h.Get("Retry-After"), time.Now())
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		if ct, _, _ := mime.ParseMediaType(h.Get("Content-Type")); strings.HasPrefix(ct, "text/plain") && len(trimmed) > 0 && len(trimmed) < 512 {
			e.Message = string(trimmed)
		}
		return e
	}
	var le lenientError
	if err := json.Unmarshal(trimmed, &le); err != nil {
		return e
	}
	if ex := le.Exception; ex != nil {
		for _, d := range ex.ExceptionDetailList {
			e.addDetail(d.ExceptionCode, d.ExceptionDescription, d.Details)
		}
		e.ReferenceNumber = ex.ReferenceNumber
		e.TraceID = ex.ServiceCode
	}
	for _, d := range le.Errors {
		e.addDetail(d.Code, d.Description, d.Details)
	}
	if e.Message == "" {
		e.Message = le.Detail
	}
	if e.Message == "" {
		e.Message = le.Title
	}
	if le.TraceID != "" {
		e.TraceID = le.TraceID
	}
	e.ReasonCode = ForbiddenReasonCode(le.ReasonCode)
	e.Security = le.Security
	if len(le.Status) > 0 && le.Status[0] == '{' {
		var st lenientStatus
		if json.Unmarshal(le.Status, &st) == nil {
			if e.Message == "" {
				e.Message = st.Description
			}
			e.Details = append(e.Details, st.Details...)
		}
	}
	if len(e.Codes) > 0 {
		e.Code = e.Codes[0]
	}
	return e
}

// StatusError is a failure KSeF reports inside a successful response body:
// the status of an authentication, session, invoice, export or other
// asynchronous operation ended with a code of 400 or more. Use errors.Is
// with the sentinels of the operation (e.g. [ErrAuthNoPermissions]) or
// errors.As for the detail.
type StatusError struct {
	// Operation names what failed: "auth", "token", "session", "invoice",
	// "export", "permission", "certificate".
	Operation string
	// ReferenceNumber identifies the operation.
	ReferenceNumber string
	// Code is the status code, e.g. 450.
	Code int
	// Description is the status description (Polish).
	Description string
	// Details are the status details.
	Details []string
	// Extensions are the status extensions KSeF sends with some invoice
	// statuses (e.g. originalKsefNumber of a duplicate); nil otherwise.
	Extensions map[string]any
	// Duplicate is set for a duplicate invoice (invoice status 440): the
	// invoice already in KSeF. See [AsDuplicate].
	Duplicate *DuplicateInvoice
}

// Error returns "ksef: auth 2025…: status 450 (meaning): description
// (details)", where the English meaning is given for codes with a sentinel
// (KSeF's description is Polish).
func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ksef: %s", e.Operation)
	if e.ReferenceNumber != "" {
		b.WriteString(" " + e.ReferenceNumber)
	}
	fmt.Fprintf(&b, ": status %d", e.Code)
	if s, ok := statusSentinels[statusKey{e.Operation, e.Code}]; ok {
		meaning := strings.TrimSuffix(strings.TrimPrefix(s.Error(), "ksef: "), fmt.Sprintf(" (%d)", e.Code))
		b.WriteString(" (" + meaning + ")")
	}
	if e.Description != "" {
		b.WriteString(": " + SanitizeText(e.Description))
	}
	if len(e.Details) > 0 {
		b.WriteString(" (" + SanitizeText(strings.Join(e.Details, "; ")) + ")")
	}
	return jwtPattern().ReplaceAllString(b.String(), redacted)
}

// Is reports whether target is the sentinel registered for the operation
// and code (see [ErrAuthNoPermissions] and the like).
func (e *StatusError) Is(target error) bool {
	s, ok := statusSentinels[statusKey{e.Operation, e.Code}]
	return ok && s == target
}

// Retryable reports whether the operation may succeed if started again
// (authentication status 550: cancelled by the system).
func (e *StatusError) Retryable() bool {
	return e.Operation == "auth" && e.Code == int(AuthStatusCancelled)
}

type statusKey struct {
	op   string
	code int
}

// statusSentinels maps (operation, code) to the sentinel matched by
// StatusError.Is. Files of this package add their operations' sentinels
// in init functions.
var statusSentinels = map[statusKey]error{}

func registerStatusSentinel(op string, code int, err error) {
	statusSentinels[statusKey{op, code}] = err
}

// newStatusError builds a *StatusError from a StatusInfo.
func newStatusError(op, ref string, st StatusInfo) *StatusError {
	return &StatusError{Operation: op, ReferenceNumber: ref, Code: int(st.Code), Description: st.Description, Details: st.Details}
}
