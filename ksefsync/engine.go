package ksefsync

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sync"
	"time"

	"github.com/ksef2/ksef"
)

// MaxWindow is the longest window the engine asks for: KSeF accepts date
// ranges of at most 100 days (counted in UTC); the engine stays below.
const MaxWindow = 90 * 24 * time.Hour

// ContextSource is one context to sync and the source that reads it (one
// authenticated client per context, so that its rate limits are tracked
// per context).
type ContextSource struct {
	// Context is the context identifier (NIP).
	Context string
	// Source reads the context's invoices.
	Source Source
}

// Options configure an [Engine]. Zero fields take the defaults.
type Options struct {
	// SubjectTypes are the streams synced in each context (default: all
	// four, [SubjectTypes]).
	SubjectTypes []ksef.InvoiceQuerySubjectType
	// Start is where a stream never synced before begins (default: 90 days
	// before the first run).
	Start time.Time
	// Window is the longest window asked for (default and maximum
	// [MaxWindow]). Windows are used only while the stream is more than
	// one window behind; then the engine omits the end and lets KSeF build
	// the biggest coherent package.
	Window time.Duration
	// Parallel is how many contexts sync at once (default 4). The streams
	// of one context run one after another, so that they share its limits.
	Parallel int
	// MaxRateLimitWait bounds the time waited for one rate-limited request
	// (default 2 h). A longer Retry-After ends the stream with an error.
	MaxRateLimitWait time.Duration
	// Logger receives progress: packages, waits for rate limits (always
	// announced at Warn level with the delay), busy streams. Default: none.
	Logger *slog.Logger
	// OnCommit, when set, is called after each committed package.
	OnCommit func(StreamKey, CommitResult)
	// now returns the current time (tests).
	now func() time.Time
}

// Engine syncs the invoice streams of one or more contexts into a [Store].
type Engine struct {
	store    Store
	contexts []ContextSource
	opt      Options
}

// NewEngine returns an engine syncing the contexts into store.
func NewEngine(store Store, contexts []ContextSource, opt Options) (*Engine, error) {
	if store == nil {
		return nil, errors.New("ksefsync: no store")
	}
	if len(contexts) == 0 {
		return nil, errors.New("ksefsync: no contexts")
	}
	for _, c := range contexts {
		if c.Context == "" || c.Source == nil {
			return nil, errors.New("ksefsync: a context needs an identifier and a source")
		}
	}
	if opt.now == nil {
		opt.now = time.Now
	}
	if len(opt.SubjectTypes) == 0 {
		opt.SubjectTypes = SubjectTypes
	}
	if opt.Window <= 0 || opt.Window > MaxWindow {
		opt.Window = MaxWindow
	}
	if opt.Start.IsZero() {
		opt.Start = opt.now().Add(-MaxWindow).UTC().Truncate(time.Second)
	}
	if opt.Parallel <= 0 {
		opt.Parallel = 4
	}
	if opt.MaxRateLimitWait <= 0 {
		opt.MaxRateLimitWait = 2 * time.Hour
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Engine{store: store, contexts: contexts, opt: opt}, nil
}

// StreamResult is what one run did to one stream.
type StreamResult struct {
	Key StreamKey
	// Packages counts the packages committed.
	Packages int
	// New counts invoices the store did not hold before; Seen all
	// invoices read.
	New, Seen int
	// Busy reports that another worker held the stream: this run skipped it.
	Busy bool
	// Checkpoint is where the stream stands after the run.
	Checkpoint Checkpoint
	// Err is why the stream stopped early.
	Err error
}

// Summary is what one run did.
type Summary struct {
	Streams []StreamResult
}

// New sums the new invoices of every stream.
func (s *Summary) New() int {
	n := 0
	for _, r := range s.Streams {
		n += r.New
	}
	return n
}

// Err joins the errors of every stream.
func (s *Summary) Err() error {
	var errs []error
	for _, r := range s.Streams {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Key, r.Err))
		}
	}
	return errors.Join(errs...)
}

// Run brings every incremental stream up to KSeF's high-water mark once.
// Streams held by another worker are skipped (Busy). The summary lists
// every stream; its Err joins their errors.
func (e *Engine) Run(ctx context.Context) *Summary {
	return e.run(ctx, func(c ContextSource, st ksef.InvoiceQuerySubjectType) StreamKey {
		return StreamKey{Context: c.Context, SubjectType: st, Kind: KindIncremental}
	}, time.Time{}, time.Time{})
}

// Backfill reads [from, to) in windows of at most Options.Window into the
// store under its own checkpoint per stream ([BackfillKind]): the
// incremental checkpoints stay where they are, and an interrupted backfill
// continues where it stopped when called again with the same from. A zero
// to means the start of the incremental stream (Options.Start when never
// synced) or, when later, now.
func (e *Engine) Backfill(ctx context.Context, from, to time.Time) *Summary {
	return e.run(ctx, func(c ContextSource, st ksef.InvoiceQuerySubjectType) StreamKey {
		return StreamKey{Context: c.Context, SubjectType: st, Kind: BackfillKind(from)}
	}, from.UTC(), to.UTC())
}

// Watch runs [Engine.Run] every interval until ctx ends. KSeF allows 20
// exports an hour per context: with four streams an interval of 15 minutes
// or more stays inside the limit when the streams are caught up.
// Each round's summary goes to report. It returns ctx's error.
func (e *Engine) Watch(ctx context.Context, interval time.Duration, report func(*Summary)) error {
	if interval <= 0 {
		return errors.New("ksefsync: watch interval must be positive")
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s := e.Run(ctx)
		if report != nil {
			report(s)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if err := ctx.Err(); err != nil {
				return err // both ready: the context wins
			}
		}
	}
}

func (e *Engine) run(ctx context.Context, keyOf func(ContextSource, ksef.InvoiceQuerySubjectType) StreamKey, from, to time.Time) *Summary {
	results := make([][]StreamResult, len(e.contexts))
	sem := make(chan struct{}, e.opt.Parallel)
	var wg sync.WaitGroup
	for i, c := range e.contexts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			for _, st := range e.opt.SubjectTypes {
				key := keyOf(c, st)
				results[i] = append(results[i], e.syncStream(ctx, c.Source, key, from, to))
				if ctx.Err() != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	s := &Summary{}
	for _, r := range results {
		s.Streams = append(s.Streams, r...)
	}
	return s
}

func (e *Engine) syncStream(ctx context.Context, src Source, key StreamKey, bfFrom, bfTo time.Time) (res StreamResult) {
	res.Key = key
	log := e.opt.Logger.With("stream", key.String())
	stream, err := e.store.Claim(ctx, key)
	if errors.Is(err, ErrStreamBusy) {
		log.Info("stream busy: held by another worker")
		res.Busy = true
		return res
	}
	if err != nil {
		res.Err = err
		return res
	}
	defer func() {
		if err := stream.Release(); err != nil && res.Err == nil {
			res.Err = err
		}
	}()
	cp, ok, err := stream.Checkpoint(ctx)
	if err != nil {
		res.Err = err
		return res
	}
	if !ok {
		cp, err = e.initial(ctx, key, bfFrom, bfTo)
		if err != nil {
			res.Err = err
			return res
		}
	}
	res.Checkpoint = cp
	backfill := key.Kind != KindIncremental
	// The next window is known as soon as a package's status is: it is
	// fetched (by its own goroutine, pre) while the package is committed.
	// Commits stay in order, each package with its checkpoint in one
	// transaction; at most one package waits while another commits. The
	// prefetched package is discarded (its source releases what it holds)
	// when the stream stops early, and the goroutine always ends before
	// the claim is released.
	var pre *prefetch
	release := func() {} // ends the context of the package being committed
	defer func() {
		if pre != nil {
			pre.discard()
		}
		release()
	}()
	w, ok := e.window(key, cp, backfill)
	if !ok {
		return res // backfill done
	}
	pkg, err := e.fetch(ctx, log, src, w)
	for {
		if errors.Is(err, ErrAheadOfHWM) {
			log.Debug("nothing new: window starts after the high-water mark", "from", w.From)
			return res
		}
		if err != nil {
			res.Err = err
			return res
		}
		next, cerr := nextCheckpoint(cp, w, pkg)
		if cerr != nil {
			discardPackage(pkg)
			res.Err = cerr
			return res
		}
		more := pkg.IsTruncated || (w.To != nil && !next.From.Before(*w.To))
		var nw Window
		if more {
			// the rest of the window, or the next window
			if nw, more = e.window(key, next, backfill); more {
				pre = e.prefetch(ctx, log, src, nw)
			}
		}
		read := false // the store began reading the package
		r, cerr := stream.Commit(ctx, next, func(yield func(*Invoice, error) bool) {
			read = true
			pkg.Invoices(yield)
		})
		if cerr != nil {
			if !read {
				discardPackage(pkg)
			}
			res.Err = cerr
			return res
		}
		res.Packages++
		res.New += r.New
		res.Seen += r.Seen
		log.Info("package stored", "from", w.From, "invoices", r.Seen, "new", r.New, "truncated", pkg.IsTruncated, "next", next.From)
		if e.opt.OnCommit != nil {
			e.opt.OnCommit(key, r)
		}
		cp = next
		res.Checkpoint = cp
		if !more {
			return res // caught up with the high-water mark (or the backfill's end)
		}
		release()
		w = nw
		pkg, err = pre.wait()
		release, pre = pre.cancel, nil
	}
}

// window returns the window that continues a stream at cp; false when a
// backfill reached its end.
func (e *Engine) window(key StreamKey, cp Checkpoint, backfill bool) (Window, bool) {
	if backfill && !cp.From.Before(cp.End) {
		return Window{}, false
	}
	w := Window{Context: key.Context, SubjectType: key.SubjectType, From: cp.From}
	end := cp.From.Add(e.opt.Window)
	if backfill && end.After(cp.End) {
		end = cp.End
	}
	if backfill || end.Before(e.opt.now()) {
		w.To = &end
	}
	return w, true
}

// prefetch is the fetch of the next package, running while the current
// one commits. Its context ends (cancel) when the stream stops early or
// once its package is committed: a source may read the package under the
// context of its fetch.
type prefetch struct {
	cancel context.CancelFunc
	done   chan struct{}
	pkg    *Package
	err    error
}

func (e *Engine) prefetch(ctx context.Context, log *slog.Logger, src Source, w Window) *prefetch {
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.pkg, p.err = e.fetch(ctx, log, src, w)
	}()
	return p
}

// wait returns the prefetched package.
func (p *prefetch) wait() (*Package, error) {
	<-p.done
	return p.pkg, p.err
}

// discard stops the prefetch, waits for it and releases its package.
func (p *prefetch) discard() {
	p.cancel()
	<-p.done
	if p.err == nil {
		discardPackage(p.pkg)
	}
}

// discardPackage lets a package's source release what it holds: an
// iteration stopped at once.
func discardPackage(pkg *Package) {
	if pkg != nil && pkg.Invoices != nil {
		pkg.Invoices(func(*Invoice, error) bool { return false })
	}
}

// initial returns the checkpoint of a stream never synced.
func (e *Engine) initial(ctx context.Context, key StreamKey, from, to time.Time) (Checkpoint, error) {
	if key.Kind == KindIncremental {
		return Checkpoint{From: e.opt.Start.UTC()}, nil
	}
	if to.IsZero() {
		to = e.opt.now().UTC()
		inc, err := e.store.Claim(ctx, StreamKey{Context: key.Context, SubjectType: key.SubjectType})
		switch {
		case err == nil:
			cp, ok, err := inc.Checkpoint(ctx)
			inc.Release()
			if err != nil {
				return Checkpoint{}, err
			}
			if !ok {
				cp.From = e.opt.Start.UTC()
			}
			if cp.From.Before(to) {
				to = cp.From
			}
		case errors.Is(err, ErrStreamBusy):
			// the incremental stream runs: backfill up to now
		default:
			return Checkpoint{}, err
		}
	}
	return Checkpoint{From: from, End: to}, nil
}

// nextCheckpoint applies the incremental algorithm (ksef-facts §8): after a
// truncated package the next window starts at its
// lastPermanentStorageDate (the invoices of that instant come again and
// are deduplicated), otherwise at the window's end when KSeF's high-water
// mark passed it, else at the high-water mark.
func nextCheckpoint(cp Checkpoint, w Window, pkg *Package) (Checkpoint, error) {
	next := cp
	if pkg.PermanentStorageHwmDate != nil {
		next.HWM = pkg.PermanentStorageHwmDate.UTC()
	}
	switch {
	case pkg.IsTruncated:
		if pkg.LastPermanentStorageDate == nil {
			return cp, errors.New("ksefsync: truncated package without lastPermanentStorageDate")
		}
		last := pkg.LastPermanentStorageDate.UTC()
		if !last.After(cp.From) {
			return cp, fmt.Errorf("ksefsync: truncated package makes no progress (more invoices stored at %s than one package holds)", last.Format(time.RFC3339Nano))
		}
		next.From = last
	case w.To != nil && pkg.PermanentStorageHwmDate != nil && pkg.PermanentStorageHwmDate.Before(*w.To):
		next.From = pkg.PermanentStorageHwmDate.UTC()
	case w.To != nil:
		next.From = w.To.UTC()
	case pkg.PermanentStorageHwmDate != nil:
		next.From = pkg.PermanentStorageHwmDate.UTC()
	}
	if next.From.Before(cp.From) {
		next.From = cp.From // never move back
	}
	return next, nil
}

// fetch calls the source, waiting out rate limits: the full Retry-After,
// announced, bounded by MaxRateLimitWait and ctx.
func (e *Engine) fetch(ctx context.Context, log *slog.Logger, src Source, w Window) (*Package, error) {
	for {
		pkg, err := src.Fetch(ctx, w)
		if err == nil {
			return pkg, nil
		}
		d, ok := RetryAfter(err)
		if !ok {
			return nil, err
		}
		if d > e.opt.MaxRateLimitWait {
			return nil, fmt.Errorf("ksefsync: rate limit asks to wait %v, longer than %v: %w", d, e.opt.MaxRateLimitWait, err)
		}
		round := time.Second
		if d < time.Minute {
			round = time.Millisecond
		}
		log.Warn("rate limit reached: waiting the full Retry-After", "wait", d.Round(round).String(), "context", w.Context, "error", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// RetryAfter reports the delay of a rate-limit error: the Retry-After of
// a 429 (*ksef.APIError) or the client's own pacing delay
// (*ksef.PacingError); one second when none was given.
func RetryAfter(err error) (time.Duration, bool) {
	if !errors.Is(err, ksef.ErrRateLimited) {
		return 0, false
	}
	var d time.Duration
	var pe *ksef.PacingError
	var ae *ksef.APIError
	switch {
	case errors.As(err, &pe):
		d = pe.RetryAfter
	case errors.As(err, &ae):
		d = ae.RetryAfter
	}
	if d <= 0 {
		d = time.Second
	}
	return d, true
}

// Collect drains an invoice iterator into a slice (tests and small sets).
func Collect(seq iter.Seq2[*Invoice, error]) ([]*Invoice, error) {
	var out []*Invoice
	for inv, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, inv)
	}
	return out, nil
}
