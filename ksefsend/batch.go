package ksefsend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/ksef2/ksef"
)

// BatchOptions are the options of [Sender.SendBatch].
type BatchOptions struct {
	// Compression is the package format: ksef.CompressionTypeZip (default)
	// or ksef.CompressionTypeTarGz.
	Compression ksef.CompressionType
	// Parallelism is the number of parts uploaded at once (default
	// ksef.DefaultBatchUploadParallelism).
	Parallelism int
	// OnProgress, when set, is called as the parts of each session are
	// uploaded (one call at a time).
	OnProgress func(ksef.BatchProgress)
	// OnPack, when set, is called as invoices are packed (and validated).
	OnPack func(ksef.BatchPackProgress)
	// OnSession, when set, is called with each batch session once it is
	// closed, before its invoices have outcomes.
	OnSession func(*ksef.BatchSession)
	// MaxPerSession is the number of invoices per batch session (default
	// and maximum ksef.MaxSessionInvoices); a larger batch is split into
	// several sessions.
	MaxPerSession int
	// PartSize is the plain bytes per part (default and maximum
	// ksef.MaxBatchPartSize; tests use less).
	PartSize int64
	// TempDir is where the encrypted parts are spilled (default the
	// system's temporary directory).
	TempDir string
	// OfflineMode sends the invoices as issued offline (the sessions are
	// opened with offlineMode: true). A batch session has one mode, so an
	// Input whose OfflineMode differs is not sent (Failed, saying so).
	OfflineMode bool
}

// InputOpener is an [Input] whose XML is read only when it is packed, so
// that a batch of any size is sent in constant memory.
type InputOpener struct {
	// Name identifies the invoice in its outcome.
	Name string
	// Open returns a reader of the XML; it is called once per read (the
	// local validation and the packing each read the invoice once).
	Open func() (io.ReadCloser, error)
}

// SendBatch sends every input through batch sessions: the invoices are
// validated locally (Validate, as in [Sender.Send]; an invalid one gets an
// Invalid outcome and is not sent), packed into as many packages as the
// limits of one session require (ksef.MaxSessionInvoices invoices, 5 GB,
// 50 parts of 100 MB), each package sent in its own session
// ([ksef.SessionsService.SendBatches]: parallel part upload, close settled
// by the session status, never sent twice), and every invoice gets one
// outcome from its session's invoice list, tied back to it by its file
// name and hash. Outcomes are in input order.
//
// A package that fails as a whole (a part that cannot be uploaded, a
// package KSeF could not process) gives its invoices Failed outcomes with
// the reason; the packages after a failed upload are not sent (their
// invoices get Failed "not sent"). An invoice whose processing KSeF
// cancelled (status 550 or 405) comes back Rejected here; SendBatchFrom,
// which can read it again, sends it again online as [Sender.Send] does.
//
// With [Sender.Offline] set, each invoice is first checked as in
// [Sender.Send]: while an offline mode applies, a valid invoice is kept
// offline (IssuedOffline) instead of being packed. A technical correction
// (Input.HashOfCorrectedInvoice) cannot go in a batch: it gets a Failed
// outcome and is not sent; send it with [Sender.Send].
// The error is non-nil only when the sender is misconfigured or ctx ended.
func (snd *Sender) SendBatch(ctx context.Context, in iter.Seq[Input], opts *BatchOptions) ([]Outcome, error) {
	return snd.sendBatch(ctx, func(r *batchRun, yield func(ksef.BatchInvoice) bool) {
		for inp := range in {
			idx, file := r.add(inp.Name)
			if r.settled(ctx, idx, inp, func() ([]byte, error) { return inp.Data, inp.Err }) {
				continue
			}
			if !yield(ksef.BatchInvoice{Name: file, Data: inp.Data, Err: inp.Err}) {
				return
			}
		}
	}, opts)
}

// SendBatchFrom is [Sender.SendBatch] for invoices read only when needed
// (e.g. files), in constant memory whatever the number of invoices. An
// invoice whose processing KSeF cancelled in its batch session (status
// 550, or 405 after a session error) was not registered: it is read again
// and sent online with [Sender.Send] (which itself sends again after a
// 550, up to [MaxResends] times); sending again cannot register it twice,
// as KSeF answers a duplicate with the original KSeF number. Its one
// outcome (and OnOutcome call) is the final one.
func (snd *Sender) SendBatchFrom(ctx context.Context, in iter.Seq[InputOpener], opts *BatchOptions) ([]Outcome, error) {
	return snd.sendBatch(ctx, func(r *batchRun, yield func(ksef.BatchInvoice) bool) {
		for inp := range in {
			idx, file := r.add(inp.Name)
			r.keepOpener(idx, inp)
			if r.settled(ctx, idx, Input{Name: inp.Name, OfflineMode: r.offlineMode}, func() ([]byte, error) { return readAll(inp.Open) }) {
				continue
			}
			if !yield(ksef.BatchInvoice{Name: file, Open: inp.Open}) {
				return
			}
		}
	}, opts)
}

// batchRun is one SendBatch.
type batchRun struct {
	snd         *Sender
	validate    func([]byte) error
	offlineMode bool       // BatchOptions.OfflineMode
	mu          sync.Mutex // guards outs, names, openers and retry
	outs        []Outcome
	names       map[string]bool // file names used in the packages
	// openers read the inputs again (SendBatchFrom; nil for SendBatch);
	// retry lists the inputs to send again online, whose outcome is held
	// back until then.
	openers map[int]InputOpener
	retry   []int
}

// keepOpener remembers how to read input idx again.
func (r *batchRun) keepOpener(idx int, inp InputOpener) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.openers == nil {
		r.openers = map[int]InputOpener{}
	}
	r.openers[idx] = inp
}

// cancelled reports whether o is an invoice whose processing KSeF
// cancelled (550, 405): not registered, safe to send again.
func cancelled(o Outcome) bool {
	return o.Kind == Rejected && (errors.Is(o.Err, ksef.ErrInvoiceSystemError) || errors.Is(o.Err, ksef.ErrInvoiceSessionCancelled))
}

// resend sends the inputs of r.retry again online and reports their final
// outcomes.
func (r *batchRun) resend(ctx context.Context) {
	r.mu.Lock()
	retry := r.retry
	r.retry = nil
	r.mu.Unlock()
	if len(retry) == 0 {
		return
	}
	inputs := make([]Input, len(retry))
	for i, idx := range retry {
		r.mu.Lock()
		op := r.openers[idx]
		r.mu.Unlock()
		data, err := readAll(op.Open)
		inputs[i] = Input{Name: op.Name, Data: data, Err: err, OfflineMode: r.offlineMode}
	}
	online := *r.snd
	online.OnOutcome, online.Offline = nil, nil
	outs, err := online.Send(ctx, func(yield func(Input) bool) {
		for _, in := range inputs {
			if !yield(in) {
				return
			}
		}
	})
	for i, idx := range retry {
		o := Outcome{Kind: Failed, Err: err}
		if i < len(outs) && outs[i].Kind != 0 {
			o = outs[i]
		}
		if o.Err == nil && o.Kind == Failed {
			o.Err = errors.New("ksefsend: not sent again: the run stopped")
		}
		r.final(idx, o)
	}
}

// settled gives the input idx its outcome when it must not be packed: a
// technical correction or a mode other than the batch's (Failed, not
// sent), or, while the Sender's offline issuing says an offline mode
// applies, kept offline (or Invalid when it fails validation). data reads
// the invoice, only when it is to be kept.
func (r *batchRun) settled(ctx context.Context, idx int, inp Input, data func() ([]byte, error)) bool {
	switch {
	case inp.HashOfCorrectedInvoice != nil:
		r.report(idx, Outcome{Kind: Failed, Err: fmt.Errorf("ksefsend: %s: not sent: a technical correction cannot go in a batch session; send it online (Sender.Send)", inp.Name)})
		return true
	case inp.OfflineMode != r.offlineMode:
		r.report(idx, Outcome{Kind: Failed, Err: fmt.Errorf("ksefsend: %s: not sent: its offlineMode (%v) differs from the batch's (BatchOptions.OfflineMode %v); one batch session has one mode", inp.Name, inp.OfflineMode, r.offlineMode)})
		return true
	}
	mode, off := offlineNow(ctx, r.snd.Offline, inp)
	if !off {
		return false
	}
	b, err := data()
	if err == nil {
		err = r.validate(b)
	}
	if err != nil {
		r.report(idx, Outcome{Kind: Invalid, Err: fmt.Errorf("ksefsend: %s: %w", inp.Name, err)})
		return true
	}
	inp.Data = b
	r.report(idx, keepAs(ctx, r.snd.Offline, inp, mode, nil))
	return true
}

// readAll reads what open opens.
func readAll(open func() (io.ReadCloser, error)) ([]byte, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func (r *batchRun) report(idx int, o Outcome) {
	r.mu.Lock()
	if _, ok := r.openers[idx]; ok && cancelled(o) {
		o.Index, o.Name = idx, r.outs[idx].Name
		r.outs[idx] = o
		r.retry = append(r.retry, idx)
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	r.final(idx, o)
}

// final sets the outcome of input idx and reports it.
func (r *batchRun) final(idx int, o Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o.Index, o.Name = idx, r.outs[idx].Name
	r.outs[idx] = o
	if r.snd.OnOutcome != nil {
		r.snd.OnOutcome(o)
	}
}

// add records an input and returns its index and a file name for the
// package, unique within the run: the base name of its name, prefixed with
// its position when that is taken.
func (r *batchRun) add(name string) (int, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	idx := len(r.outs)
	r.outs = append(r.outs, Outcome{Index: idx, Name: name})
	file := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if file == "." || file == "/" {
		file = "invoice.xml"
	}
	if r.names[file] {
		file = strconv.Itoa(idx+1) + "-" + file
	}
	r.names[file] = true
	return idx, file
}

func (snd *Sender) sendBatch(ctx context.Context, produce func(r *batchRun, yield func(ksef.BatchInvoice) bool), opts *BatchOptions) ([]Outcome, error) {
	if snd.Sessions == nil {
		return nil, errors.New("ksefsend: Sender.Sessions is nil")
	}
	if _, err := snd.Form.Code(); err != nil {
		return nil, err
	}
	var o BatchOptions
	if opts != nil {
		o = *opts
	}
	validate := snd.Validate
	if validate == nil {
		validate = DefaultValidator(snd.Form)
	}
	maxN := o.MaxPerSession
	if maxN <= 0 || maxN > ksef.MaxSessionInvoices {
		maxN = ksef.MaxSessionInvoices
	}
	r := &batchRun{snd: snd, validate: validate, offlineMode: o.OfflineMode, names: map[string]bool{}}
	params := &ksef.BatchParams{
		Compression: o.Compression,
		Parallelism: o.Parallelism,
		OnProgress:  o.OnProgress,
		OnPack:      o.OnPack,
		Validate:    func(_ string, data []byte) error { return validate(data) },
		SkipInvalid: true,
		TempDir:     o.TempDir,
		MaxInvoices: maxN,
		PartSize:    o.PartSize,
		OfflineMode: o.OfflineMode,
	}
	invoices := func(yield func(ksef.BatchInvoice) bool) { produce(r, yield) }

	var (
		wg      sync.WaitGroup
		sendErr error
	)
	for bs, err := range snd.Sessions.SendBatches(ctx, snd.Form, invoices, params) {
		if err != nil {
			sendErr = err
			break
		}
		for _, rej := range bs.Rejected() {
			r.report(rej.Index, Outcome{Kind: Invalid, Err: fmt.Errorf("ksefsend: %w", rej.Err)})
		}
		if bs.ReferenceNumber() == "" {
			continue
		}
		if o.OnSession != nil {
			o.OnSession(bs)
		}
		wg.Go(func() { r.collect(ctx, bs) })
	}
	wg.Wait()
	// Inputs without an outcome were in a package that was not sent.
	r.mu.Lock()
	var missing []int
	for i, out := range r.outs {
		if out.Kind == 0 {
			missing = append(missing, i)
		}
	}
	r.mu.Unlock()
	var ue *ksef.BatchUploadError
	for _, i := range missing {
		o := Outcome{Kind: Failed, Err: sendErr}
		if sendErr == nil {
			o.Err = errors.New("ksefsend: not sent: the run stopped before this invoice was sent")
		} else if errors.As(sendErr, &ue) {
			o.SessionReferenceNumber = ue.ReferenceNumber
		}
		r.report(i, o)
	}
	r.resend(ctx)
	return r.outs, ctx.Err()
}

// collect waits for a batch session and reports the outcome of each of its
// invoices.
func (r *batchRun) collect(ctx context.Context, bs *ksef.BatchSession) {
	ref := bs.ReferenceNumber()
	_, werr := bs.Wait(ctx, r.snd.Wait)
	var se *ksef.StatusError
	if werr != nil && !errors.As(werr, &se) {
		// Timeout or transport: the session's result is not known.
		for _, e := range bs.Entries() {
			r.report(e.Index, Outcome{Kind: Failed, SessionReferenceNumber: ref,
				Err: fmt.Errorf("ksefsend: batch session %s: %w", ref, werr)})
		}
		return
	}
	for res, err := range bs.Results(ctx) {
		if err != nil {
			r.failUnreported(bs, fmt.Errorf("ksefsend: batch session %s: listing its invoices: %w", ref, err))
			return
		}
		r.report(res.Entry.Index, batchOutcome(ref, res, werr))
	}
}

// failUnreported gives every invoice of bs still without an outcome a
// Failed one.
func (r *batchRun) failUnreported(bs *ksef.BatchSession, err error) {
	for _, e := range bs.Entries() {
		r.mu.Lock()
		done := r.outs[e.Index].Kind != 0
		r.mu.Unlock()
		if !done {
			r.report(e.Index, Outcome{Kind: Failed, SessionReferenceNumber: bs.ReferenceNumber(), Err: err})
		}
	}
}

// batchOutcome turns one invoice's result into its outcome; sessionErr is
// the session's failure, if any.
func batchOutcome(ref string, res ksef.BatchResult, sessionErr error) Outcome {
	o := Outcome{SessionReferenceNumber: ref}
	if res.Status == nil {
		o.Kind = Failed
		o.Err = sessionErr
		if o.Err == nil {
			o.Err = res.Err()
		}
		o.Err = fmt.Errorf("ksefsend: %s: the batch package failed: %w", res.Entry.Name, o.Err)
		return o
	}
	o.InvoiceReferenceNumber = res.Status.ReferenceNumber
	err := res.Err()
	var se *ksef.StatusError
	switch {
	case err == nil:
		o.Kind, o.KSeFNumber = Registered, res.Status.KSeFNumber
	case errors.As(err, &se) && se.Duplicate != nil:
		o.Kind, o.KSeFNumber, o.Duplicate, o.Err = Duplicate, se.Duplicate.OriginalKSeFNumber, se.Duplicate, err
	default:
		o.Kind, o.Err = Rejected, err
	}
	return o
}
