package ksef

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ksef2/ksef/internal/batchpack"
	"github.com/ksef2/ksef/internal/envelope"
)

// Limits of a batch session (ksef-facts §5).
const (
	// MaxBatchParts is the largest number of parts of one batch package.
	MaxBatchParts = batchpack.MaxParts
	// MaxBatchPartSize is the largest part of a package before encryption.
	MaxBatchPartSize = batchpack.MaxPartSize
	// MaxBatchSize is the largest plain package (archive) of one session.
	MaxBatchSize = batchpack.MaxArchiveSize
	// BatchPartUploadBudget is the upload time each declared part adds to
	// a batch session: every part must be uploaded within this time the
	// number of declared parts, counted from the opening.
	BatchPartUploadBudget = 20 * time.Minute
	// DefaultBatchUploadParallelism is how many parts are uploaded at once
	// unless BatchParams.Parallelism says otherwise.
	DefaultBatchUploadParallelism = 4
)

// BatchInvoice is one invoice of a batch: its name (the file name inside
// the package, which KSeF reports back as invoiceFileName) and exactly one
// source, tried in this order: Err (the invoice is rejected with it), Data,
// Open.
type BatchInvoice struct {
	// Name is the file name of the invoice in the package; names must be
	// unique within a batch. A slash-separated relative path is kept.
	Name string
	// Data is the invoice XML.
	Data []byte
	// Open returns a reader of the invoice XML; it is called once, from
	// another goroutine, and the reader is closed after reading.
	Open func() (io.ReadCloser, error)
	// Err, when set, rejects the invoice (an input that could not be read).
	Err error
}

// BatchFiles returns the invoices read from the given files, named by
// their base names; each file is opened only when it is packed.
func BatchFiles(paths ...string) iter.Seq[BatchInvoice] {
	return func(yield func(BatchInvoice) bool) {
		for _, p := range paths {
			if !yield(BatchInvoice{Name: filepath.Base(p), Open: func() (io.ReadCloser, error) { return os.Open(p) }}) {
				return
			}
		}
	}
}

// BatchParams are the optional inputs of [SessionsService.SendBatch] and
// [SessionsService.SendBatches].
type BatchParams struct {
	// Compression is the package format: [CompressionTypeZip] (default) or
	// [CompressionTypeTarGz].
	Compression CompressionType
	// Store writes the invoices uncompressed into the package.
	Store bool
	// Parallelism is the number of parts uploaded at once (default
	// [DefaultBatchUploadParallelism]).
	Parallelism int
	// OnProgress, when set, is called as the parts of a session are
	// uploaded (one call at a time).
	OnProgress func(BatchProgress)
	// OnPack, when set, is called after each invoice is packed or
	// rejected, counted over all the sessions of a batch. It must be quick.
	OnPack func(BatchPackProgress)
	// Validate, when set, checks each invoice before it is packed (the
	// schema validators of fa3, fa2 and farr fit; wrap them to take the
	// name). It is called from several goroutines at once.
	Validate func(name string, data []byte) error
	// SkipInvalid leaves out invoices that fail locally (unreadable, too
	// large, refused by Validate, duplicate name) and lists them in
	// BatchSession.Rejected; by default the first one ends the batch with
	// an error naming it before anything is sent.
	SkipInvalid bool
	// AllowAttachments allows invoices with attachments up to 3 MB (for
	// contexts with attachments enabled).
	AllowAttachments bool
	// TempDir is where the encrypted parts are spilled (default the
	// system's temporary directory). They are removed once uploaded.
	TempDir string
	// SubjectIdentifierValidation sends X-KSeF-Feature:
	// subject-identifier-validation (API 2.8.1).
	SubjectIdentifierValidation bool
	// OfflineMode declares the invoices issued offline (offlineMode: true).
	OfflineMode bool

	// MaxInvoices and PartSize lower the session limits (invoices per
	// session, plain bytes per part), for tests and for contexts with
	// lower limits; zero keeps KSeF's.
	MaxInvoices int
	PartSize    int64
}

// BatchProgress is the state of the upload of one batch session.
type BatchProgress struct {
	// SessionReferenceNumber is the session the parts belong to.
	SessionReferenceNumber string
	// BytesSent and BytesTotal count the encrypted bytes of the parts.
	BytesSent, BytesTotal int64
	// PartsSent and PartsTotal count the parts.
	PartsSent, PartsTotal int
}

// BatchPackProgress is how far packing a batch has come.
type BatchPackProgress struct {
	Invoices int   // invoices packed
	Rejected int   // invoices left out (BatchParams.SkipInvalid)
	Bytes    int64 // XML bytes of the packed invoices
	Sessions int   // packages finished (one per session)
}

// BatchEntry is one invoice packed into a batch session: its source (Index
// in the input, Name), its file name in the package and its SHA-256, by
// which KSeF's per-invoice statuses are tied back to it.
type BatchEntry struct {
	Index       int    // position in the input, from 0
	Name        string // BatchInvoice.Name as given
	FileName    string // the file name in the package (invoiceFileName)
	InvoiceHash []byte // SHA-256 of the XML (invoiceHash)
	Size        int64  // bytes of the XML
}

// BatchRejection is an invoice left out of a batch under
// BatchParams.SkipInvalid: nothing of it was sent.
type BatchRejection struct {
	Index int    // position in the input, from 0
	Name  string // BatchInvoice.Name as given
	Err   error  // why (names the file)
}

// ErrBatchUpload is matched (errors.Is) by a *[BatchUploadError].
var ErrBatchUpload = errors.New("ksef: batch part upload failed")

// BatchUploadError reports a part of a batch session that could not be
// uploaded within its retries and time budget. The session was not closed:
// nothing of the package is registered, and KSeF cancels the session
// (status 440) when its upload time ends. Send the invoices again in a new
// session.
type BatchUploadError struct {
	// ReferenceNumber is the batch session the part belonged to.
	ReferenceNumber string
	// Part is the part's ordinal number.
	Part int
	// Attempts is how many uploads of the part were tried.
	Attempts int
	// Err is the last failure (never containing the pre-signed URL).
	Err error
}

// Error describes the failure without the pre-signed URL.
func (e *BatchUploadError) Error() string {
	return fmt.Sprintf("ksef: batch session %s: part %d could not be uploaded (%d attempts): %v; the session was not closed and KSeF cancels it (status 440) when its upload time ends: nothing was registered, send the invoices again",
		e.ReferenceNumber, e.Part, e.Attempts, e.Err)
}

// Is reports whether target is [ErrBatchUpload].
func (e *BatchUploadError) Is(target error) bool { return target == ErrBatchUpload }

// Unwrap returns the last failure.
func (e *BatchUploadError) Unwrap() error { return e.Err }

// BatchSession is a batch session whose package was uploaded and which was
// closed: KSeF processes it. [BatchSession.Wait] waits for the result and
// [BatchSession.Results] gives one result per packed invoice.
type BatchSession struct {
	s        *SessionsService
	ref      string
	form     Form
	openedAt time.Time
	entries  []BatchEntry
	rejected []BatchRejection
	// closeRecovered: the close's answer was lost and the session status
	// showed that KSeF had taken the close.
	closeRecovered bool
}

// ReferenceNumber returns the session's reference number ("" for a batch
// of [SessionsService.SendBatches] that held only rejected invoices and
// opened no session).
func (b *BatchSession) ReferenceNumber() string { return b.ref }

// Form returns the form of the session.
func (b *BatchSession) Form() Form { return b.form }

// OpenedAt returns when the session was opened (by the client's clock).
func (b *BatchSession) OpenedAt() time.Time { return b.openedAt }

// Entries returns the invoices packed into the session, in package order.
func (b *BatchSession) Entries() []BatchEntry { return b.entries }

// Rejected returns the invoices left out under BatchParams.SkipInvalid.
func (b *BatchSession) Rejected() []BatchRejection { return b.rejected }

// CloseRecovered reports that the answer to the close was lost (5xx,
// dropped connection) and the session status showed KSeF had taken the
// close: the package was not sent again.
func (b *BatchSession) CloseRecovered() bool { return b.closeRecovered }

// String returns "ksef.BatchSession(<reference>)".
func (b *BatchSession) String() string { return "ksef.BatchSession(" + b.ref + ")" }

// LogValue implements [slog.LogValuer].
func (b *BatchSession) LogValue() slog.Value {
	return slog.GroupValue(slog.String("referenceNumber", b.ref), slog.Int("invoices", len(b.entries)))
}

// Status returns the session's status.
func (b *BatchSession) Status(ctx context.Context) (*SessionStatusResponse, error) {
	return b.s.Status(ctx, b.ref)
}

// Wait waits until KSeF has processed the package; see
// [SessionsService.WaitSession]. A package that failed as a whole (405,
// 415, 420, 430, 435, 440, 500) gives a *[StatusError]; 445 (every invoice
// rejected) is not an error: see [BatchSession.Results].
func (b *BatchSession) Wait(ctx context.Context, opts *WaitOptions) (*SessionStatusResponse, error) {
	return b.s.WaitSession(ctx, b.ref, opts)
}

// BatchResult is KSeF's status of one packed invoice.
type BatchResult struct {
	// Entry is the invoice as packed (its source).
	Entry BatchEntry
	// Status is KSeF's status of the invoice; nil when KSeF lists no
	// invoice for this entry (the package failed as a whole).
	Status *SessionInvoiceStatusResponse
}

// Err returns nil for a registered invoice (status 200), a *[StatusError]
// for a rejected one (with the duplicate's original for 440, see
// [AsDuplicate]), and an error for an entry KSeF did not list.
func (r BatchResult) Err() error {
	if r.Status == nil {
		return fmt.Errorf("ksef: %s: KSeF lists no status for this invoice", r.Entry.Name)
	}
	if r.Status.Status.Code == int32(InvoiceStatusSuccess) {
		return nil
	}
	return newInvoiceStatusError(r.Status.ReferenceNumber, r.Status.Status)
}

// Results lists the session's invoices and ties each to its packed entry
// by invoiceFileName and invoiceHash; entries KSeF does not list (after a
// package failure) come last with a nil Status. Call it after
// [BatchSession.Wait]. It reads the list with
// [SessionsService.InvoicesAll]. On error it yields the error once and
// stops.
func (b *BatchSession) Results(ctx context.Context) iter.Seq2[BatchResult, error] {
	return func(yield func(BatchResult, error) bool) {
		byName := make(map[string]int, len(b.entries))
		byHash := make(map[string][]int, len(b.entries))
		for i, e := range b.entries {
			byName[e.FileName] = i
			byHash[string(e.InvoiceHash)] = append(byHash[string(e.InvoiceHash)], i)
		}
		seen := make([]bool, len(b.entries))
		for inv, err := range b.s.InvoicesAll(ctx, b.ref, &SessionInvoicesParams{PageSize: 1000}) {
			if err != nil {
				yield(BatchResult{}, err)
				return
			}
			i, ok := byName[inv.InvoiceFileName]
			if !ok || !bytes.Equal(b.entries[i].InvoiceHash, inv.InvoiceHash) {
				ok = false
				for _, j := range byHash[string(inv.InvoiceHash)] {
					if !seen[j] {
						i, ok = j, true
						break
					}
				}
			}
			if !ok || seen[i] {
				continue // not one of ours (cannot happen in a session of ours)
			}
			seen[i] = true
			st := inv
			if !yield(BatchResult{Entry: b.entries[i], Status: &st}, nil) {
				return
			}
		}
		for i, e := range b.entries {
			if !seen[i] && !yield(BatchResult{Entry: e}, nil) {
				return
			}
		}
	}
}

// packOptions converts p into the packer's options.
func (p *BatchParams) packOptions() batchpack.Options {
	o := batchpack.Options{}
	if p == nil {
		return o
	}
	if p.Compression == CompressionTypeTarGz {
		o.Format = batchpack.TarGz
	}
	if p.Store {
		o.Compression = batchpack.Store
	}
	o.Validate = p.Validate
	o.SkipInvalid = p.SkipInvalid
	o.AllowAttachments = p.AllowAttachments
	o.Dir = p.TempDir
	o.MaxInvoices = p.MaxInvoices
	o.PartSize = p.PartSize
	if fn := p.OnPack; fn != nil {
		o.Progress = func(pp batchpack.Progress) {
			fn(BatchPackProgress{Invoices: pp.Invoices, Rejected: pp.Rejected, Bytes: pp.Bytes, Sessions: pp.Packages})
		}
	}
	return o
}

func batchInputs(in iter.Seq[BatchInvoice]) iter.Seq[batchpack.Invoice] {
	return func(yield func(batchpack.Invoice) bool) {
		for bi := range in {
			if !yield(batchpack.Invoice{Name: bi.Name, Data: bi.Data, Open: bi.Open, Err: bi.Err}) {
				return
			}
		}
	}
}

// SendBatch packs the invoices into one package (a ZIP by default, split
// into parts of at most 100 MB and encrypted with a fresh session key, in
// one pass and in constant memory: the parts are spilled to temporary
// files), opens a batch session declaring it, uploads the parts in
// parallel to the pre-signed URLs KSeF returned (exactly the returned
// method and headers, no Authorization header, retrying a failed upload
// within the part's time budget) and closes the session. KSeF then
// processes the package: wait with [BatchSession.Wait] and read one result
// per invoice with [BatchSession.Results]. params may be nil.
//
// Invoices that break the limits of one session (10,000 invoices, 5 GB,
// 50 parts) end with an error naming the first invoice over the limit,
// before anything is sent; [SessionsService.SendBatches] splits such a
// batch into several sessions instead.
//
// The outcomes:
//
//   - (*BatchSession, nil): the package is uploaded and the close was
//     taken (CloseRecovered: its answer was lost, and the session status
//     showed KSeF had it). The package is never sent twice.
//   - a *[BatchUploadError] (errors.Is [ErrBatchUpload]): a part could not
//     be uploaded; the session was not closed and KSeF cancels it (440).
//     Nothing was registered: send the invoices again.
//   - an error naming an invoice (local checks): nothing was sent.
//   - an *[APIError] from the open or the close (e.g. 21205 missing part):
//     the session, if opened, registers nothing.
//   - *[OutcomeUnknownError]: the open's or the close's answer was lost
//     and the session status could not be read to settle it. Read
//     GET /sessions/{ref} (or list the batch sessions) before sending the
//     invoices again.
//
// The close is [SessionsService.CloseBatch]'s.
//
// KSeF API: POST /sessions/batch
func (s *SessionsService) SendBatch(ctx context.Context, form Form, invoices iter.Seq[BatchInvoice], params *BatchParams) (*BatchSession, error) {
	if _, err := form.Code(); err != nil {
		return nil, err
	}
	opts := params.packOptions()
	pkg, err := batchpack.Pack(ctx, batchInputs(invoices), opts)
	if err != nil {
		if pkg != nil {
			_ = pkg.Cleanup()
		}
		return nil, fmt.Errorf("ksef: SendBatch: %w", err)
	}
	defer pkg.Cleanup()
	return s.sendPackage(ctx, form, pkg, params)
}

// SendBatches is [SessionsService.SendBatch] for any number of invoices:
// they are packed into as many packages as the limits of one session
// require, in input order, and each package is sent in its own batch
// session, one after another (at most one package on disk at a time). It
// yields each session once its close was taken; an error is yielded once
// and ends the iteration (the sessions yielded before stand). A package
// holding only rejected invoices (SkipInvalid) yields a *BatchSession
// without a reference number.
func (s *SessionsService) SendBatches(ctx context.Context, form Form, invoices iter.Seq[BatchInvoice], params *BatchParams) iter.Seq2[*BatchSession, error] {
	return func(yield func(*BatchSession, error) bool) {
		if _, err := form.Code(); err != nil {
			yield(nil, err)
			return
		}
		for pkg, err := range batchpack.PackAll(ctx, batchInputs(invoices), params.packOptions()) {
			if err != nil {
				if pkg != nil {
					_ = pkg.Cleanup()
				}
				yield(nil, fmt.Errorf("ksef: SendBatches: %w", err))
				return
			}
			var bs *BatchSession
			if len(pkg.Invoices) == 0 {
				bs = &BatchSession{s: s, form: form, rejected: rejections(pkg)}
			} else {
				bs, err = s.sendPackage(ctx, form, pkg, params)
			}
			_ = pkg.Cleanup()
			if !yield(bs, err) || err != nil {
				return
			}
		}
	}
}

func rejections(pkg *batchpack.Package) []BatchRejection {
	var out []BatchRejection
	for _, r := range pkg.Rejected {
		out = append(out, BatchRejection{Index: r.Index, Name: r.Name, Err: r})
	}
	return out
}

// sendPackage opens a batch session for pkg, uploads its parts and closes
// the session.
func (s *SessionsService) sendPackage(ctx context.Context, form Form, pkg *batchpack.Package, params *BatchParams) (*BatchSession, error) {
	code, err := form.Code()
	if err != nil {
		return nil, err
	}
	var p BatchParams
	if params != nil {
		p = *params
	}
	bf := BatchFileInfo{
		FileSize: pkg.Archive.Size,
		FileHash: append([]byte(nil), pkg.Archive.SHA256[:]...),
	}
	if pkg.Format == batchpack.TarGz {
		bf.CompressionType = CompressionTypeTarGz
	} else {
		bf.CompressionType = CompressionTypeZip
	}
	for _, pt := range pkg.Parts {
		bf.FileParts = append(bf.FileParts, BatchFilePartInfo{
			OrdinalNumber: int32(pt.Ordinal),
			FileSize:      pt.Size,
			FileHash:      append([]byte(nil), pt.SHA256[:]...),
		})
	}
	resp, openedAt, err := s.openBatch(ctx, code, bf, pkg.Key, &p)
	if err != nil {
		return nil, err
	}
	bs := &BatchSession{s: s, ref: resp.ReferenceNumber, form: form, openedAt: openedAt, rejected: rejections(pkg)}
	for _, e := range pkg.Invoices {
		bs.entries = append(bs.entries, BatchEntry{Index: e.Index, Name: e.Name, FileName: e.FileName,
			InvoiceHash: append([]byte(nil), e.SHA256[:]...), Size: e.Size})
	}
	log := s.c.cfg.logger
	log.DebugContext(ctx, "ksef batch session opened", "referenceNumber", bs.ref, "parts", len(pkg.Parts), "invoices", len(bs.entries))
	deadline := openedAt.Add(BatchPartUploadBudget * time.Duration(len(pkg.Parts)))
	if err := s.uploadParts(ctx, bs.ref, pkg.Parts, resp.PartUploadRequests, deadline, &p); err != nil {
		log.WarnContext(ctx, "ksef batch upload failed; the session is left to be cancelled by KSeF", "referenceNumber", bs.ref, "error", err)
		return nil, err
	}
	recovered, err := s.closeBatch(ctx, bs.ref)
	if err != nil {
		// Name the session: with an unknown outcome its status says
		// whether KSeF took the close.
		return nil, fmt.Errorf("ksef: batch session %s: close: %w", bs.ref, err)
	}
	bs.closeRecovered = recovered
	log.DebugContext(ctx, "ksef batch session closed", "referenceNumber", bs.ref, "recovered", recovered)
	return bs, nil
}

// openBatch opens the session, wrapping the package's key with the MF key
// (downloading the keys again and retrying once on 21470).
func (s *SessionsService) openBatch(ctx context.Context, code FormCode, bf BatchFileInfo, key *envelope.Key, p *BatchParams) (*OpenBatchSessionResponse, time.Time, error) {
	var (
		resp     *OpenBatchSessionResponse
		openedAt time.Time
	)
	err := s.c.withPublicKey(ctx, SymmetricKeyEncryption, func(pk *PublicKey) error {
		wrapped, err := envelope.WrapKey(pk.Key, key.Key[:])
		if err != nil {
			return fmt.Errorf("ksef: wrap session key: %w", err)
		}
		body := &OpenBatchSessionRequest{
			FormCode:  code,
			BatchFile: bf,
			Encryption: EncryptionInfo{
				EncryptedSymmetricKey: wrapped,
				InitializationVector:  append([]byte(nil), key.IV[:]...),
				PublicKeyID:           pk.PublicKeyID,
			},
		}
		if p.OfflineMode {
			t := true
			body.OfflineMode = &t
		}
		r := &request{op: OpBatchSessionOpen, body: body}
		if p.SubjectIdentifierValidation {
			r.header = http.Header{"X-Ksef-Feature": {"subject-identifier-validation"}}
		}
		openedAt = time.Now()
		resp, err = call[OpenBatchSessionResponse](ctx, s.c, r)
		return err
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	if len(resp.PartUploadRequests) != len(bf.FileParts) {
		return nil, time.Time{}, fmt.Errorf("ksef: batch session %s: KSeF returned %d upload requests for %d parts", resp.ReferenceNumber, len(resp.PartUploadRequests), len(bf.FileParts))
	}
	return resp, openedAt, nil
}

// CloseBatch closes a batch session whose parts were uploaded (for a
// session opened elsewhere, e.g. by another process; [SessionsService.SendBatch]
// closes its sessions itself). A close whose answer was lost is settled
// through the session status and sent again only while the session is
// still open (100); the package is never sent again. A missing part gives
// 400/21205, a part of another size than declared 21157, a close after the
// upload time 21208 (the session is cancelled, status 440).
//
// KSeF API: POST /sessions/batch/{referenceNumber}/close
func (s *SessionsService) CloseBatch(ctx context.Context, referenceNumber string) error {
	_, err := s.closeBatch(ctx, referenceNumber)
	return err
}

// closeBatch closes the session. A close whose answer was lost (5xx,
// dropped connection, timeout) is settled through the session status:
// anything but 100 means KSeF took it (recovered = true); a session still
// at 100 did not get it, and only then is the close sent again (up to
// three times in all). The package itself is never sent again.
func (s *SessionsService) closeBatch(ctx context.Context, ref string) (recovered bool, err error) {
	var lost error
	for attempt := 1; attempt <= maxSendAttempts; attempt++ {
		_, err := s.c.do(ctx, &request{op: OpBatchSessionClose, pathArgs: []string{ref}})
		if err == nil {
			return lost != nil, nil
		}
		if !errors.Is(err, ErrOutcomeUnknown) || ctx.Err() != nil {
			return false, err
		}
		lost = err
		s.c.cfg.logger.InfoContext(ctx, "ksef batch close answer lost; reading the session status", "referenceNumber", ref)
		st, serr := s.Status(ctx, ref)
		if serr != nil {
			return false, fmt.Errorf("%w (reading the session status failed: %w)", err, serr)
		}
		if SessionStatusCode(st.Status.Code) != SessionStatusOpen {
			return true, nil
		}
	}
	return false, lost
}

// uploadParts uploads the parts, Parallelism at a time.
func (s *SessionsService) uploadParts(ctx context.Context, ref string, parts []batchpack.Part, reqs []PartUploadRequest, deadline time.Time, p *BatchParams) error {
	byOrdinal := make(map[int32]PartUploadRequest, len(reqs))
	for _, r := range reqs {
		byOrdinal[r.OrdinalNumber] = r
	}
	pr := &progress{fn: p.OnProgress, st: BatchProgress{SessionReferenceNumber: ref, PartsTotal: len(parts)}}
	for _, pt := range parts {
		pr.st.BytesTotal += pt.Size
		if _, ok := byOrdinal[int32(pt.Ordinal)]; !ok {
			return fmt.Errorf("ksef: batch session %s: KSeF returned no upload request for part %d", ref, pt.Ordinal)
		}
	}
	pr.report(0, false)
	n := p.Parallelism
	if n <= 0 {
		n = DefaultBatchUploadParallelism
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, n)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for _, pt := range parts {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := s.uploadPart(ctx, ref, pt, byOrdinal[int32(pt.Ordinal)], deadline, pr); err != nil {
				once.Do(func() { firstErr = err; cancel() })
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// progress serialises the progress callback.
type progress struct {
	mu sync.Mutex
	fn func(BatchProgress)
	st BatchProgress
}

func (p *progress) report(bytes int64, part bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.BytesSent += bytes
	if part {
		p.st.PartsSent++
	}
	if p.fn != nil {
		p.fn(p.st)
	}
}

// countingReader reports the bytes read through it.
type countingReader struct {
	r    io.Reader
	pr   *progress
	read int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if n > 0 {
		c.read += int64(n)
		c.pr.report(int64(n), false)
	}
	return n, err
}

// maxPartAttempts bounds the uploads of one part.
const maxPartAttempts = 6

// uploadPart uploads one part with exactly the method, URL and headers KSeF
// returned and no Authorization header. A transport failure, 408, 429 or
// 5xx is retried (the upload of a blob replaces it, so repeating it is
// safe) while attempts remain and the part's time budget has not run out;
// other statuses (400, 401, 403: e.g. the budget is over) fail at once.
// The attempts are bounded (maxPartAttempts) and none starts after the
// part's time budget has run out; the delays are the client's backoff
// (RetryPolicy).
// Errors never contain the URL.
func (s *SessionsService) uploadPart(ctx context.Context, ref string, pt batchpack.Part, ur PartUploadRequest, deadline time.Time, pr *progress) error {
	fail := func(attempt int, err error) error {
		return &BatchUploadError{ReferenceNumber: ref, Part: pt.Ordinal, Attempts: attempt, Err: err}
	}
	for attempt := 1; ; attempt++ {
		f, err := pt.Open()
		if err != nil {
			return fail(attempt, err)
		}
		cr := &countingReader{r: f, pr: pr}
		status, err := s.putPart(ctx, ur, cr, pt.Size)
		_ = f.Close()
		if err == nil && status >= 200 && status < 300 {
			pr.report(0, true)
			return nil
		}
		pr.report(-cr.read, false) // the bytes of a failed attempt are sent again
		if err == nil {
			err = fmt.Errorf("storage answered %d %s", status, http.StatusText(status))
		}
		retryable := status == 0 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
		if ctx.Err() != nil {
			return fail(attempt, ctx.Err())
		}
		delay := backoff(s.c.cfg.retry, attempt)
		if !retryable || attempt >= maxPartAttempts || !time.Now().Add(delay).Before(deadline) {
			return fail(attempt, err)
		}
		s.c.cfg.logger.InfoContext(ctx, "ksef batch part upload failed; retrying", "referenceNumber", ref, "part", pt.Ordinal, "attempt", attempt, "error", err)
		if err := sleep(ctx, delay); err != nil {
			return fail(attempt, err)
		}
	}
}

// putPart sends one upload attempt and returns the HTTP status (0 with an
// error for a transport failure).
func (s *SessionsService) putPart(ctx context.Context, ur PartUploadRequest, body io.Reader, size int64) (int, error) {
	req, err := http.NewRequestWithContext(ctx, ur.Method, ur.URL, body)
	if err != nil {
		return 0, errors.New("invalid upload request from KSeF") // the URL is secret: no details
	}
	req.ContentLength = size
	for k, v := range ur.Headers {
		req.Header.Set(k, fmt.Sprint(v))
	}
	req.Header.Del("Authorization")
	resp, err := s.c.cfg.httpClient.Do(req)
	if err != nil {
		return 0, sanitizeTransportError(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode, nil
}
