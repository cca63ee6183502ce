package ksef

import "time"

// This file holds the JSON wire types of error bodies: the legacy
// ExceptionResponse and the RFC 7807 problem-details bodies returned when
// the request carries "X-Error-Format: problem-details". Callers normally see
// them decoded into an *[APIError].

// ExceptionDetails is one entry of the legacy error body.
type ExceptionDetails struct {
	// ExceptionCode is the KSeF exception code (see [ExceptionCode]).
	ExceptionCode int `json:"exceptionCode,omitempty"`
	// ExceptionDescription describes the code (Polish).
	ExceptionDescription string `json:"exceptionDescription,omitempty"`
	// Details are optional details.
	Details []string `json:"details,omitempty"`
}

// ExceptionInfo is the content of the legacy error body.
type ExceptionInfo struct {
	// ExceptionDetailList lists the errors.
	ExceptionDetailList []ExceptionDetails `json:"exceptionDetailList,omitempty"`
	// ReferenceNumber identifies the request.
	ReferenceNumber string `json:"referenceNumber,omitempty"`
	// ServiceCode is the trace identifier of the request.
	ServiceCode string `json:"serviceCode,omitempty"`
	// ServiceCtx is the service context.
	ServiceCtx string `json:"serviceCtx,omitempty"`
	// ServiceName is the service name.
	ServiceName string `json:"serviceName,omitempty"`
	// Timestamp is the time of the error exactly as sent; KSeF has been
	// observed to send it without a UTC offset, so it stays a string.
	Timestamp string `json:"timestamp,omitempty"`
}

// ExceptionResponse is the legacy (deprecated but default) error body.
type ExceptionResponse struct {
	// Exception holds the error.
	Exception *ExceptionInfo `json:"exception,omitempty"`
}

// ApiError is one error entry of [BadRequestProblemDetails]; its name follows
// the spec schema. (The SDK's error type is [APIError].)
type ApiError struct { //nolint:revive // named after the spec schema
	// Code is the KSeF exception code (see [ExceptionCode]).
	Code int `json:"code"`
	// Description describes the code (Polish).
	Description string `json:"description"`
	// Details are optional details.
	Details []string `json:"details,omitempty"`
}

// BadRequestProblemDetails is the problem-details body of a 400 response.
type BadRequestProblemDetails struct {
	// Title is a short summary.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Instance is the request path.
	Instance string `json:"instance"`
	// Detail is a human-readable explanation.
	Detail string `json:"detail"`
	// Errors lists the KSeF errors.
	Errors []ApiError `json:"errors"`
	// Timestamp is the time of the error.
	Timestamp time.Time `json:"timestamp"`
	// TraceID identifies the request.
	TraceID string `json:"traceId"`
}

// UnauthorizedProblemDetails is the body of a 401 response.
type UnauthorizedProblemDetails struct {
	// Title is a short summary.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail is a human-readable explanation.
	Detail string `json:"detail"`
	// Instance is the request path.
	Instance string `json:"instance,omitempty"`
	// TraceID identifies the request.
	TraceID string `json:"traceId,omitempty"`
	// Timestamp is the time of the error.
	Timestamp time.Time `json:"timestamp"`
}

// ForbiddenReasonCode is the reasonCode of a 403 response.
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

// ForbiddenProblemDetails is the body of a 403 response.
type ForbiddenProblemDetails struct {
	// Title is a short summary.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail is a human-readable explanation.
	Detail string `json:"detail"`
	// Instance is the request path.
	Instance string `json:"instance,omitempty"`
	// ReasonCode is the reason, e.g. "missing-permissions".
	ReasonCode ForbiddenReasonCode `json:"reasonCode"`
	// Security holds reason-specific data, e.g. requiredAnyOfPermissions,
	// presentPermissions, clientIp or incidentId.
	Security map[string]any `json:"security,omitempty"`
	// TraceID identifies the request.
	TraceID string `json:"traceId,omitempty"`
	// Timestamp is the time of the error (optional since 2.8.1).
	Timestamp *time.Time `json:"timestamp,omitempty"`
}

// GoneProblemDetails is the body of a 410 response (status retention
// expired).
type GoneProblemDetails struct {
	// Title is a short summary.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Instance is the request path.
	Instance string `json:"instance"`
	// Detail is a human-readable explanation.
	Detail string `json:"detail"`
	// Timestamp is the time of the error.
	Timestamp time.Time `json:"timestamp"`
	// TraceID identifies the request.
	TraceID string `json:"traceId"`
}

// TooManyRequestsResponse is the legacy body of a 429 response.
type TooManyRequestsResponse struct {
	// Status holds code 429, a description and details.
	Status StatusInfo `json:"status"`
}

// TooManyRequestsProblemDetails is the problem-details body of a 429
// response.
type TooManyRequestsProblemDetails struct {
	// Title is a short summary.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Instance is the request path.
	Instance string `json:"instance"`
	// Detail is a human-readable explanation.
	Detail string `json:"detail"`
	// Timestamp is the time of the error.
	Timestamp time.Time `json:"timestamp"`
	// TraceID identifies the request.
	TraceID string `json:"traceId"`
}
