package ksef

import (
	"errors"
	"net"
	"net/http"
	"strings"
)

// ErrOutcomeUnknown is matched (errors.Is) by an *[OutcomeUnknownError]: a
// state-changing request failed in a way that leaves open whether KSeF
// processed it.
var ErrOutcomeUnknown = errors.New("ksef: outcome unknown")

// OutcomeUnknownError reports that a state-changing operation (one the
// operation table does not mark safe to repeat, see
// [OperationInfo.RetrySafe]) failed after the request may have reached
// KSeF: a 5xx status, a dropped connection, a timeout or the end of the
// caller's context while the request was in flight. The client never
// repeats such a request by itself, since the repeat could create a second
// token, a second session or a second invoice. The caller decides, after
// looking at the state at KSeF as Advice says.
//
// errors.Is(err, ErrOutcomeUnknown) matches it; Unwrap gives the failure
// (an *[APIError] for a status, a transport error, or the context's error,
// so errors.Is(err, context.DeadlineExceeded) keeps working).
type OutcomeUnknownError struct {
	// Operation is the operation whose outcome is unknown.
	Operation Operation
	// Err is what happened.
	Err error
	// Advice says how to find out what happened, in English.
	Advice string
}

// Error returns "ksef: POST /tokens: outcome unknown, the request may have
// been processed: <failure>; <advice>".
func (e *OutcomeUnknownError) Error() string {
	var b strings.Builder
	b.WriteString("ksef: ")
	b.WriteString(e.Operation.String())
	b.WriteString(": outcome unknown, the request may have been processed")
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(SanitizeText(strings.TrimPrefix(e.Err.Error(), "ksef: ")))
	}
	if e.Advice != "" {
		b.WriteString("; ")
		b.WriteString(e.Advice)
	}
	return b.String()
}

// Is reports whether target is [ErrOutcomeUnknown].
func (e *OutcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }

// Unwrap returns the failure.
func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// outcomeAdvice says, per state-changing operation, how a caller finds out
// what happened. Operations without an entry get defaultOutcomeAdvice.
var outcomeAdvice = map[Operation]string{
	OpTokenGenerate: "do not repeat blindly: list the tokens (GET /tokens) and revoke a token whose secret you did not receive, " +
		"since the secret is returned only once",
	OpAuthTokenRedeem: "an authentication operation token can be redeemed only once (a second redeem fails with 21301): " +
		"start a new login; an unredeemed authentication expires by itself",
	OpAuthXadesSignature:    "start a new login (new challenge); an authentication that was started but never redeemed expires by itself",
	OpAuthKSeFToken:         "start a new login (new challenge); an authentication that was started but never redeemed expires by itself",
	OpTestDataSubjectCreate: "create the subject again: code 30001 says it already exists",
	OpTestDataPersonCreate:  "create the person again: code 30001 says it already exists",
}

const defaultOutcomeAdvice = "check the state at KSeF before repeating the operation"

// outcomeUnknown wraps err for a state-changing operation.
func outcomeUnknown(op Operation, err error) *OutcomeUnknownError {
	adv, ok := outcomeAdvice[op]
	if !ok {
		adv = defaultOutcomeAdvice
	}
	return &OutcomeUnknownError{Operation: op, Err: err, Advice: adv}
}

// ambiguousStatus reports whether an error status leaves open whether a
// state-changing request was processed: every 5xx except 501 (the server
// says it does not implement the operation at all).
func ambiguousStatus(status int) bool {
	return status >= 500 && status != http.StatusNotImplemented
}

// notSent reports whether a transport error happened before the request
// could reach the server (no connection was made), so that repeating it
// is safe for every operation.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}
