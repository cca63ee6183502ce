package offline

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsend"
)

// SendParams are the inputs of [Queue.Send].
type SendParams struct {
	// Sessions is the session service of an authenticated client.
	Sessions *ksef.SessionsService
	// Concurrency is the number of invoices in flight (default 4).
	Concurrency int
	// Wait controls the wait for each invoice's status.
	Wait *ksef.WaitOptions
	// Now returns the current time (default time.Now), for the warnings.
	Now func() time.Time
	// WarnWithin is how close a deadline must be to be warned about
	// (default 24 hours).
	WarnWithin time.Duration
	// IDs, when set, limits the send to these entries.
	IDs []string
}

// Warning is a deadline that is close or has passed.
type Warning struct {
	// Entry is the invoice.
	Entry Entry
	// Past is true when the deadline has passed.
	Past bool
	// Left is the time left (negative when past).
	Left time.Duration
	// Message says it in a sentence.
	Message string
}

// SendResult is the outcome of one queued invoice.
type SendResult struct {
	// Entry is the invoice's record after the send.
	Entry Entry
	// Outcome is the sender's outcome.
	Outcome ksefsend.Outcome
}

// SendReport is what [Queue.Send] did.
type SendReport struct {
	// Warnings are the close or past deadlines of the invoices sent, found
	// before sending.
	Warnings []Warning
	// Results are the invoices sent, in the order they were taken
	// (earliest deadline first).
	Results []SendResult
}

// Warnings returns the pending entries whose deadline is within `within`
// of now or has passed, earliest first.
func (q *Queue) Warnings(now time.Time, within time.Duration) ([]Warning, error) {
	ents, err := q.List()
	if err != nil {
		return nil, err
	}
	var out []Warning
	for _, e := range ents {
		if w, ok := warningFor(e, now, within); ok {
			out = append(out, w)
		}
	}
	return out, nil
}

func warningFor(e Entry, now time.Time, within time.Duration) (Warning, bool) {
	if e.State != Pending || e.Deadline.Due.IsZero() {
		return Warning{}, false
	}
	left := e.Deadline.DueBy().Sub(now)
	due := e.Deadline.Due.Format(time.DateOnly)
	switch {
	case left <= 0:
		return Warning{Entry: e, Past: true, Left: left,
			Message: fmt.Sprintf("%s: the deadline %s (%s) has passed", e.Name, due, e.Mode)}, true
	case left <= within:
		return Warning{Entry: e, Left: left,
			Message: fmt.Sprintf("%s: the deadline %s (%s) is in %s", e.Name, due, e.Mode, left.Round(time.Minute))}, true
	}
	return Warning{}, false
}

// Send sends the pending invoices of the queue (or those named by
// p.IDs), earliest deadline first, with offlineMode: true (technical
// corrections with their hashOfCorrectedInvoice), through online sessions
// of a [ksefsend.Sender], and records each outcome in its entry: a
// registered invoice (or a duplicate of one already in KSeF) gets its
// KSeF number, a rejected one waits for a technical correction, a failed
// send stays pending. The invoices are not validated locally first: KSeF
// decides, so that a rejected one can be corrected technically (which
// needs KSeF to know the rejected file).
//
// Only one Send runs per queue directory at a time (a lock file holding
// the process id; [ErrQueueBusy] otherwise), so that no invoice is sent
// twice by two processes. The error is set when the run stopped early
// (ctx) or a record could not be written; the report holds what was done.
func (q *Queue) Send(ctx context.Context, p SendParams) (*SendReport, error) {
	if p.Sessions == nil {
		return nil, errors.New("offline: Send: no Sessions")
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	within := p.WarnWithin
	if within <= 0 {
		within = 24 * time.Hour
	}
	unlock, err := q.lockSend()
	if err != nil {
		return nil, err
	}
	defer unlock()
	ents, err := q.List()
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, id := range p.IDs {
		want[id] = true
	}
	rep := &SendReport{}
	byForm := map[ksef.Form][]Entry{}
	var forms []ksef.Form
	for _, e := range ents {
		if e.State != Pending || (len(want) > 0 && !want[e.ID]) {
			continue
		}
		if w, ok := warningFor(e, now(), within); ok {
			rep.Warnings = append(rep.Warnings, w)
		}
		if byForm[e.Form] == nil {
			forms = append(forms, e.Form)
		}
		byForm[e.Form] = append(byForm[e.Form], e)
	}
	conc := p.Concurrency
	if conc <= 0 {
		conc = 4
	}
	var errs []error
	for _, form := range forms {
		list := byForm[form]
		snd := &ksefsend.Sender{Sessions: p.Sessions, Form: form, Concurrency: conc, Wait: p.Wait,
			Validate: func([]byte) error { return nil }}
		in := q.inputs(list)
		outs, err := snd.Send(ctx, in)
		for i, o := range outs {
			if i >= len(list) || o.Kind == 0 {
				continue
			}
			e := list[i]
			if uerr := q.Record(e.ID, o); uerr != nil {
				errs = append(errs, uerr)
			}
			after, gerr := q.Get(e.ID)
			if gerr != nil {
				errs = append(errs, gerr)
				continue
			}
			rep.Results = append(rep.Results, SendResult{Entry: *after, Outcome: o})
		}
		if err != nil {
			errs = append(errs, err)
			break
		}
	}
	return rep, errors.Join(errs...)
}

// Pending returns the pending entries of form in the order they are sent,
// earliest deadline first; with batch set, without the technical
// corrections (KSeF takes those in online sessions only). With
// [Queue.Inputs] and [Queue.Record] a batch sender sends the queue: open
// the batch session with offlineMode: true (every invoice of the queue was
// issued offline), then record each invoice's outcome.
func (q *Queue) Pending(form ksef.Form, batch bool) ([]Entry, error) {
	ents, err := q.List()
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, e := range ents {
		if e.State == Pending && e.Form == form && !(batch && e.Corrects != "") {
			out = append(out, e)
		}
	}
	return out, nil
}

// Inputs returns the sender inputs of entries, in order, each read from
// the queue when reached (one invoice in memory at a time), with
// OfflineMode set and, for a technical correction, its
// HashOfCorrectedInvoice.
func (q *Queue) Inputs(entries []Entry) iter.Seq[ksefsend.Input] { return q.inputs(entries) }

func (q *Queue) inputs(list []Entry) iter.Seq[ksefsend.Input] {
	return func(yield func(ksefsend.Input) bool) {
		for _, e := range list {
			inp := ksefsend.Input{Name: e.Name, OfflineMode: true}
			inp.Data, inp.Err = q.XML(e.ID)
			if e.HashOfCorrectedInvoice != "" {
				h, err := base64.StdEncoding.DecodeString(e.HashOfCorrectedInvoice)
				if err != nil && inp.Err == nil {
					inp.Err = fmt.Errorf("hashOfCorrectedInvoice: %w", err)
				}
				inp.HashOfCorrectedInvoice = h
			}
			if !yield(inp) {
				return
			}
		}
	}
}

// Record stores the outcome of sending the entry id: registered (or a
// duplicate of an invoice already in KSeF) with its KSeF number, rejected
// (waiting for a technical correction), or still pending after a failure.
func (q *Queue) Record(id string, o ksefsend.Outcome) error {
	return q.update(id, func(x *Entry) { record(x, o) })
}

// record writes a send's outcome into an entry.
func record(e *Entry, o ksefsend.Outcome) {
	e.Attempts++
	e.SessionReferenceNumber, e.InvoiceReferenceNumber = o.SessionReferenceNumber, o.InvoiceReferenceNumber
	e.Error, e.StatusCode = "", 0
	if o.Err != nil {
		e.Error = o.Err.Error()
	}
	var se *ksef.StatusError
	if errors.As(o.Err, &se) {
		e.StatusCode = int(se.Code)
	}
	switch o.Kind {
	case ksefsend.Registered:
		e.State, e.KSeFNumber, e.InvoicingMode = Registered, o.KSeFNumber, o.InvoicingMode
	case ksefsend.Duplicate:
		e.State, e.KSeFNumber, e.Duplicate = Registered, o.KSeFNumber, true
	case ksefsend.Rejected:
		e.State = Rejected
	default: // failed, or the file could not be read: stays pending
	}
}
