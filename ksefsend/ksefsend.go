// Package ksefsend sends a stream of invoices to KSeF through online
// sessions ([Sender.Send]) or batch sessions ([Sender.SendBatch],
// [Sender.SendBatchFrom]) and reports one final outcome per invoice.
//
// A [Sender] validates each invoice locally with the schema validator of
// the session's form (a clear local error, no round trip), opens online
// sessions and rotates them before the 10,000-invoice and 12-hour limits,
// sends concurrently (the client's pacer keeps the requests within the
// published rate limits), waits for each invoice's status and closes the
// sessions. Every invoice ends in exactly one [Outcome]: registered with a
// KSeF number, a duplicate of an invoice already in KSeF (with the
// original KSeF number, which a program treats as success), rejected by
// KSeF with a status, or failed locally or in transport.
package ksefsend

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/fa2"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/farr"
)

// Input is one invoice to send: its XML, or the error met reading it.
type Input struct {
	// Name identifies the invoice in its outcome (a file name, say).
	Name string
	// Data is the invoice XML.
	Data []byte
	// Err, when set, is reported as the invoice's local error.
	Err error
	// OfflineMode sends the invoice as issued offline (offlineMode: true).
	OfflineMode bool
	// HashOfCorrectedInvoice, for a technical correction, is the SHA-256
	// of the rejected offline invoice it replaces (needs OfflineMode).
	HashOfCorrectedInvoice []byte
}

// Files returns the inputs read from the given files, in order.
func Files(paths ...string) iter.Seq[Input] {
	return func(yield func(Input) bool) {
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if !yield(Input{Name: filepath.Clean(p), Data: b, Err: err}) {
				return
			}
		}
	}
}

// Bytes returns inputs named "1", "2", ... for the given documents.
func Bytes(docs ...[]byte) iter.Seq[Input] {
	return func(yield func(Input) bool) {
		for i, d := range docs {
			if !yield(Input{Name: fmt.Sprint(i + 1), Data: d}) {
				return
			}
		}
	}
}

// Kind classifies an [Outcome].
type Kind int

// The kinds of outcome.
const (
	// Registered: KSeF registered the invoice; KSeFNumber is set.
	Registered Kind = iota + 1
	// Duplicate: the invoice was already in KSeF (status 440); KSeFNumber
	// is the original's, Duplicate says where it was sent. Treat as success.
	Duplicate
	// Rejected: KSeF rejected the invoice; Err is a *ksef.StatusError.
	Rejected
	// Invalid: the invoice failed local validation; nothing was sent.
	Invalid
	// Failed: the invoice could not be sent or its status not obtained
	// (Err says why; a ksef.ErrOutcomeUnknown error means: look the
	// invoice up in the session named by SessionReferenceNumber).
	Failed
	// IssuedOffline: the invoice was not sent but kept to be sent later
	// in offline mode (Sender.Offline); Offline names where it was kept.
	IssuedOffline
)

// String returns "registered", "duplicate", "rejected", "invalid" or
// "failed".
func (k Kind) String() string {
	switch k {
	case Registered:
		return "registered"
	case Duplicate:
		return "duplicate"
	case Rejected:
		return "rejected"
	case Invalid:
		return "invalid"
	case Failed:
		return "failed"
	case IssuedOffline:
		return "offline"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Outcome is the final result of one invoice.
type Outcome struct {
	// Index is the invoice's position in the input (from 0).
	Index int
	// Name is the input's name.
	Name string
	// Kind classifies the outcome.
	Kind Kind
	// KSeFNumber is the KSeF number (Registered) or the original's
	// (Duplicate).
	KSeFNumber string
	// Duplicate is set for a duplicate.
	Duplicate *ksef.DuplicateInvoice
	// SessionReferenceNumber and InvoiceReferenceNumber locate the
	// invoice at KSeF (empty when it was not sent).
	SessionReferenceNumber, InvoiceReferenceNumber string
	// Err is the reason of a Rejected, Invalid or Failed outcome.
	Err error
	// InvoicingMode is the mode KSeF registered the invoice in (Online,
	// or Offline when sent so or marked offline by KSeF); Registered only.
	InvoicingMode ksef.InvoicingMode
	// Offline is set for IssuedOffline: the mode and the id under which
	// the invoice was kept.
	Offline *OfflineKept
}

// OK reports whether the invoice is in KSeF (registered or duplicate).
func (o Outcome) OK() bool { return o.Kind == Registered || o.Kind == Duplicate }

// Sender sends invoices through online sessions. Set Sessions and Form;
// the other fields have defaults. A Sender may be reused, but not by two
// Send calls at once.
type Sender struct {
	// Sessions is the session service of an authenticated client.
	Sessions *ksef.SessionsService
	// Form is the form of every invoice.
	Form ksef.Form
	// Concurrency is the number of invoices in flight (default 8).
	Concurrency int
	// Validate checks an invoice before it is sent (default:
	// [DefaultValidator] of Form).
	Validate func([]byte) error
	// MaxPerSession is the number of invoices sent per session (default
	// and maximum ksef.MaxSessionInvoices).
	MaxPerSession int
	// MaxSessionAge is how long a session is used before a new one is
	// opened (default 11 hours, an hour under ksef.SessionLifetime).
	MaxSessionAge time.Duration
	// Wait controls the wait for each invoice's status.
	Wait *ksef.WaitOptions
	// OnOutcome, when set, is called once per invoice as its outcome is
	// known (from several goroutines, one call at a time).
	OnOutcome func(Outcome)
	// Now returns the current time (default time.Now), for the session
	// age.
	Now func() time.Time
	// Offline, when set, lets the sender switch to offline issuing by
	// itself: see [OfflineIssuing].
	Offline *OfflineIssuing
}

// DefaultValidator returns the local validator of form: the generated
// schema validator for FA (3), FA (2) and FA_RR (1), a well-formedness
// check for the PEF forms.
func DefaultValidator(form ksef.Form) func([]byte) error {
	switch form {
	case ksef.FormFA3:
		return fa3.ValidateBytes
	case ksef.FormFA2:
		return fa2.ValidateBytes
	case ksef.FormFARR:
		return farr.ValidateBytes
	}
	return wellFormed
}

func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("not well-formed XML: %w", err)
		}
	}
}

// slot is a session in use by the sender.
type slot struct {
	s        *ksef.OnlineSession
	assigned int
	retired  bool
	inflight sync.WaitGroup // sends in progress
}

type run struct {
	snd     *Sender
	ctx     context.Context
	mu      sync.Mutex
	cur     *slot
	all     []*slot
	closing sync.WaitGroup // closes of retired sessions
	omu     sync.Mutex
	outs    []Outcome
}

// Send sends every input and returns one outcome per input, in input
// order. The error is non-nil only when the sender is misconfigured or
// ctx ended (the outcomes then hold what was known). A session is closed
// as soon as it is retired (full, too old, or refused by KSeF) and its
// sends have ended; the others are closed before Send returns.
//
// An invoice whose status is 550 (KSeF: "operation cancelled by the
// system; processing was interrupted for internal reasons, try again")
// or 405 (processing cancelled because of a session error) was not
// registered, so the Sender sends it again (in a new session after a 405),
// up to [MaxResends] times. Sending again cannot register it twice: were
// it registered after all, KSeF would answer 440 with the original KSeF
// number (a Duplicate outcome, which counts as success).
func (snd *Sender) Send(ctx context.Context, in iter.Seq[Input]) ([]Outcome, error) {
	if snd.Sessions == nil {
		return nil, errors.New("ksefsend: Sender.Sessions is nil")
	}
	if _, err := snd.Form.Code(); err != nil {
		return nil, err
	}
	r := &run{snd: snd, ctx: ctx}
	validate := snd.Validate
	if validate == nil {
		validate = DefaultValidator(snd.Form)
	}
	conc := snd.Concurrency
	if conc <= 0 {
		conc = 8
	}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	i := 0
	for inp := range in {
		idx := i
		i++
		r.omu.Lock()
		r.outs = append(r.outs, Outcome{Index: idx, Name: inp.Name})
		r.omu.Unlock()
		if inp.Err != nil {
			r.report(idx, Outcome{Kind: Invalid, Err: inp.Err})
			continue
		}
		if err := validate(inp.Data); err != nil {
			r.report(idx, Outcome{Kind: Invalid, Err: fmt.Errorf("ksefsend: %s: %w", inp.Name, err)})
			continue
		}
		if o, ok := r.keepOffline(inp, nil); ok {
			r.report(idx, o)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			r.report(idx, Outcome{Kind: Failed, Err: ctx.Err()})
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			o := r.one(inp)
			if o.Kind == Failed {
				if k, ok := r.keepOffline(inp, o.Err); ok {
					o = k
				}
			}
			r.report(idx, o)
		})
	}
	wg.Wait()
	r.closeAll()
	return r.outs, ctx.Err()
}

// MaxResends is how often the Sender sends an invoice again after KSeF
// cancelled its processing (invoice status 550 or 405).
const MaxResends = 3

func (r *run) report(idx int, o Outcome) {
	r.omu.Lock()
	o.Index, o.Name = idx, r.outs[idx].Name
	r.outs[idx] = o
	r.omu.Unlock()
	if r.snd.OnOutcome != nil {
		r.omu.Lock() // one call at a time
		defer r.omu.Unlock()
		r.snd.OnOutcome(o)
	}
}

func (r *run) now() time.Time {
	if r.snd.Now != nil {
		return r.snd.Now()
	}
	return time.Now()
}

// acquire returns the session to send the next invoice in, opening a new
// one when the current is full, too old or retired.
func (r *run) acquire() (*slot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	maxN := r.snd.MaxPerSession
	if maxN <= 0 || maxN > ksef.MaxSessionInvoices {
		maxN = ksef.MaxSessionInvoices
	}
	age := r.snd.MaxSessionAge
	if age <= 0 {
		age = ksef.SessionLifetime - time.Hour
	}
	if c := r.cur; c != nil && (c.assigned >= maxN || r.now().Sub(c.s.OpenedAt()) >= age) {
		r.retireLocked(c)
	}
	if r.cur == nil {
		s, err := r.snd.Sessions.OpenOnline(r.ctx, r.snd.Form, nil)
		if err != nil {
			return nil, err
		}
		r.cur = &slot{s: s}
		r.all = append(r.all, r.cur)
	}
	r.cur.assigned++
	r.cur.inflight.Add(1)
	return r.cur, nil
}

// retireLocked stops using c for new invoices and closes it once its
// sends in progress have ended (no send is added to a retired slot, so
// the wait ends). Callers hold r.mu.
func (r *run) retireLocked(c *slot) {
	if c.retired {
		return
	}
	c.retired = true
	if r.cur == c {
		r.cur = nil
	}
	r.all = slices.DeleteFunc(r.all, func(s *slot) bool { return s == c })
	r.closing.Go(func() {
		c.inflight.Wait()
		_ = c.s.Close(context.WithoutCancel(r.ctx))
	})
}

// retire stops using c for new invoices (KSeF refused a send to it).
func (r *run) retire(c *slot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retireLocked(c)
}

// sessionGone reports KSeF errors after which the invoice goes to a new
// session.
func sessionGone(err error) bool {
	return errors.Is(err, ksef.ErrSessionFull) || errors.Is(err, ksef.ErrSessionClosed) ||
		ksef.IsCode(err, ksef.CodeSessionTemporarilyUnavailable)
}

// send sends data in the current session, moving to a new session when
// KSeF refuses it for the session's sake.
func (r *run) send(inp Input) (*slot, *ksef.SentInvoice, error) {
	var (
		sl   *slot
		sent *ksef.SentInvoice
		err  error
	)
	for attempt := 0; attempt < 6; attempt++ {
		sl, err = r.acquire()
		if err != nil {
			return nil, nil, err
		}
		sent, err = sl.s.SendInvoice(r.ctx, inp.Data, sendParams(inp))
		sl.inflight.Done()
		if err == nil || r.ctx.Err() != nil {
			break
		}
		if sessionGone(err) {
			r.retire(sl)
			continue
		}
		// SendInvoice returns ErrOutcomeUnknown only after its own
		// attempts were all lost and the session's list, read after the
		// last of them, did not hold the invoice: sending it again is
		// safe (and KSeF would answer a repeat with 440 and the original).
		if !errors.Is(err, ksef.ErrOutcomeUnknown) {
			break
		}
		select {
		case <-time.After(time.Duration(attempt+1) * 100 * time.Millisecond):
		case <-r.ctx.Done():
		}
	}
	return sl, sent, err
}

func (r *run) one(inp Input) Outcome {
	for resend := 0; ; resend++ {
		sl, sent, err := r.send(inp)
		if err != nil {
			o := Outcome{Kind: Failed, Err: err}
			if sl != nil {
				o.SessionReferenceNumber = sl.s.ReferenceNumber()
			}
			return o
		}
		o := Outcome{SessionReferenceNumber: sl.s.ReferenceNumber(), InvoiceReferenceNumber: sent.ReferenceNumber}
		st, err := sl.s.WaitInvoice(r.ctx, sent.ReferenceNumber, r.snd.Wait)
		var se *ksef.StatusError
		switch {
		case err == nil:
			o.Kind, o.KSeFNumber, o.InvoicingMode = Registered, st.KSeFNumber, st.InvoicingMode
		case errors.As(err, &se) && se.Duplicate != nil:
			o.Kind, o.KSeFNumber, o.Duplicate, o.Err = Duplicate, se.Duplicate.OriginalKSeFNumber, se.Duplicate, err
		case (errors.Is(err, ksef.ErrInvoiceSystemError) || errors.Is(err, ksef.ErrInvoiceSessionCancelled)) && resend < MaxResends && r.ctx.Err() == nil:
			// KSeF cancelled the processing: not registered, send again
			if errors.Is(err, ksef.ErrInvoiceSessionCancelled) {
				r.retire(sl)
			}
			select {
			case <-time.After(time.Duration(resend+1) * 200 * time.Millisecond):
			case <-r.ctx.Done():
			}
			continue
		case errors.As(err, &se):
			o.Kind, o.Err = Rejected, err
		default:
			o.Kind, o.Err = Failed, err
		}
		return o
	}
}

// closeAll closes every session the run still uses and waits for the
// closes of the retired ones (after their sends ended).
func (r *run) closeAll() {
	r.mu.Lock()
	all := r.all
	r.all, r.cur = nil, nil
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, sl := range all {
		wg.Go(func() {
			sl.inflight.Wait()
			_ = sl.s.Close(context.WithoutCancel(r.ctx))
		})
	}
	wg.Wait()
	r.closing.Wait()
}
