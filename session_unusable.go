package ksef

import (
	"errors"
	"fmt"
	"time"
)

// Errors matched (errors.Is) by a [*SessionUnusableError]: the online
// session accepts no more invoices and the invoice was not registered.
// Open a new session ([SessionsService.OpenOnline]) and send the invoice
// there.
var (
	// ErrSessionFull: the session holds its 10,000 invoices (KSeF code
	// 21155, [CodeSessionInvoiceLimit]).
	ErrSessionFull = errors.New("ksef: online session reached its invoice limit")
	// ErrSessionClosed: the session is closed or past its validity
	// (KSeF code 21180, [CodeSessionStatusForbids], or ValidUntil passed).
	ErrSessionClosed = errors.New("ksef: online session closed or expired")
)

// SessionUnusableError is returned by [OnlineSession.SendInvoice] when
// KSeF refuses an invoice because the session accepts no more (21155,
// 21180), and by [SessionsService.ResumeOnline] for a saved session whose
// ValidUntil has passed. It matches [ErrSessionFull] or [ErrSessionClosed],
// and through Unwrap KSeF's [*APIError] (nil when found locally). The
// invoice was not registered: send it in a new session.
type SessionUnusableError struct {
	// ReferenceNumber is the session's reference number.
	ReferenceNumber string
	// ValidUntil is when KSeF closes the session by itself.
	ValidUntil time.Time
	// Full is true when the session reached its invoice limit; otherwise
	// it is closed or expired.
	Full bool
	// Err is KSeF's answer, or nil when the client found the session
	// expired by its own clock.
	Err error
}

// Error says why the session is unusable and what to do.
func (e *SessionUnusableError) Error() string {
	why := "is closed or expired (valid until " + e.ValidUntil.UTC().Format(time.RFC3339) + ")"
	switch {
	case e.Full:
		why = fmt.Sprintf("reached its limit of %d invoices", MaxSessionInvoices)
	case e.Err == nil:
		why = "expired at " + e.ValidUntil.UTC().Format(time.RFC3339)
	}
	msg := "ksef: online session " + e.ReferenceNumber + " " + why + "; open a new session and send the invoice there"
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is matches [ErrSessionFull] or [ErrSessionClosed].
func (e *SessionUnusableError) Is(target error) bool {
	return (target == ErrSessionFull && e.Full) || (target == ErrSessionClosed && !e.Full)
}

// Unwrap returns KSeF's answer (nil when found locally).
func (e *SessionUnusableError) Unwrap() error { return e.Err }

// sessionUnusable wraps KSeF's refusal of a send to session o (21155,
// 21180) in a *SessionUnusableError; other errors pass unchanged.
func (o *OnlineSession) sessionUnusable(err error) error {
	switch {
	case IsCode(err, CodeSessionInvoiceLimit):
		return &SessionUnusableError{ReferenceNumber: o.ref, ValidUntil: o.validUntil, Full: true, Err: err}
	case IsCode(err, CodeSessionStatusForbids):
		return &SessionUnusableError{ReferenceNumber: o.ref, ValidUntil: o.validUntil, Err: err}
	}
	return err
}
