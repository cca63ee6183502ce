package ksef

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ksef2/ksef/ident"
)

// InvoiceSession is the session an invoice was sent in, with the
// invoice's status in it (see [SessionsService.FindInvoiceSession]).
type InvoiceSession struct {
	// SessionReferenceNumber and SessionType name the session.
	SessionReferenceNumber string
	SessionType            SessionType
	// Invoice is the invoice's entry in the session's invoice list.
	Invoice SessionInvoiceStatusResponse
}

// FindInvoiceSessionOptions bound [SessionsService.FindInvoiceSession].
type FindInvoiceSessionOptions struct {
	// MaxSessions is the number of sessions looked into at most (default
	// 200): each costs at least one call of the session's invoice list.
	MaxSessions int
}

// FindInvoiceSession finds the session in which the invoice with
// ksefNumber was sent, for what needs the session (the invoice's UPO):
// KSeF's invoice metadata does not name it. It looks through the
// context's online and batch sessions created from two days before the
// KSeF number's date (the day KSeF accepted the invoice) to the day after,
// newest first, and reads each one's invoice list until it meets the
// number; at most opts.MaxSessions sessions. An invoice not found gives an
// error matching [ErrNotFound] that says where it looked. The calls are
// paced like any others; a caller that knows the session should not use
// this.
func (s *SessionsService) FindInvoiceSession(ctx context.Context, ksefNumber string, opts *FindInvoiceSessionOptions) (*InvoiceSession, error) {
	num, err := ident.ParseKSeFNumber(ksefNumber)
	if err != nil {
		return nil, fmt.Errorf("ksef: FindInvoiceSession: %w", err)
	}
	maxSessions := 200
	if opts != nil && opts.MaxSessions > 0 {
		maxSessions = opts.MaxSessions
	}
	day := num.Date()
	from, to := day.AddDate(0, 0, -2), day.AddDate(0, 0, 2)
	looked := 0
	for _, typ := range []SessionType{SessionTypeOnline, SessionTypeBatch} {
		var sessions []SessionsQueryResponseItem
		for item, err := range s.ListAll(ctx, &ListSessionsQuery{SessionType: typ, DateCreatedFrom: from, DateCreatedTo: to, PageSize: 100}) {
			if err != nil {
				return nil, fmt.Errorf("ksef: FindInvoiceSession: listing %s sessions: %w", typ, err)
			}
			sessions = append(sessions, item)
		}
		// Newest first: an invoice is usually looked for soon after it was sent.
		slices.SortStableFunc(sessions, func(a, b SessionsQueryResponseItem) int { return b.DateCreated.Compare(a.DateCreated) })
		for _, sess := range sessions {
			if looked == maxSessions {
				break
			}
			looked++
			for inv, err := range s.InvoicesAll(ctx, sess.ReferenceNumber, &SessionInvoicesParams{PageSize: 1000}) {
				if err != nil {
					return nil, fmt.Errorf("ksef: FindInvoiceSession: invoices of session %s: %w", sess.ReferenceNumber, err)
				}
				if inv.KSeFNumber == num.String() {
					return &InvoiceSession{SessionReferenceNumber: sess.ReferenceNumber, SessionType: typ, Invoice: inv}, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("ksef: invoice %s is in none of the %d sessions created %s to %s (looked into at most %d): %w",
		ksefNumber, looked, from.Format(time.DateOnly), to.Format(time.DateOnly), maxSessions, ErrNotFound)
}
