package ksef

import (
	"errors"
	"fmt"
	"time"
)

// ErrSessionClosed matches (errors.Is) the error of a send to an online
// session that no longer accepts invoices: KSeF answered 400/21180
// because the session was closed, cancelled or expired at its ValidUntil
// (also a resumed one). Open a new session and send the invoice there.
// The error also unwraps to the *[APIError] with code
// [CodeSessionStatusForbids].
var ErrSessionClosed = errors.New("ksef: the session no longer accepts invoices (closed or expired); open a new session")

// sessionClosedError adds [ErrSessionClosed] to a 21180 answer to a send.
func (o *OnlineSession) sessionClosedError(err error) error {
	if !IsCode(err, CodeSessionStatusForbids) {
		return err
	}
	return fmt.Errorf("%w (session %s, valid until %s): %w", ErrSessionClosed, o.ref, o.validUntil.Format(time.RFC3339), err)
}
