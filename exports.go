package ksef

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/ksef2/ksef/internal/envelope"
)

// MaxConcurrentExports is KSeF's cap on exports running at once in one
// context (a further one is refused with 21182).
const MaxConcurrentExports = 10

// ExportStatusCode is the status code of an invoice export.
type ExportStatusCode int

// The export status codes (GET /invoices/exports/{referenceNumber}).
const (
	ExportStatusRunning         ExportStatusCode = 100
	ExportStatusDone            ExportStatusCode = 200
	ExportStatusExpired         ExportStatusCode = 210
	ExportStatusKeyDecryptError ExportStatusCode = 415
	ExportStatusFromAfterHWM    ExportStatusCode = 420
	ExportStatusUnknownError    ExportStatusCode = 500
	ExportStatusCancelled       ExportStatusCode = 550
)

// Terminal reports whether the export will not change status any more.
func (c ExportStatusCode) Terminal() bool { return c >= 200 }

// Sentinel errors matched (errors.Is) by the *[StatusError] of a failed
// export (Operation "export").
var (
	ErrExportExpired       = errors.New("ksef: export package expired (210)")
	ErrExportKeyDecryption = errors.New("ksef: export failed: symmetric key decryption error (415)")
	ErrExportFromAfterHWM  = errors.New("ksef: export failed: dateRange.from is after the permanent storage HWM (420)")
	ErrExportUnknown       = errors.New("ksef: export failed: unknown error (500)")
	ErrExportCancelled     = errors.New("ksef: export cancelled by the system (550)")
)

func init() {
	for code, err := range map[ExportStatusCode]error{
		ExportStatusExpired:         ErrExportExpired,
		ExportStatusKeyDecryptError: ErrExportKeyDecryption,
		ExportStatusFromAfterHWM:    ErrExportFromAfterHWM,
		ExportStatusUnknownError:    ErrExportUnknown,
		ExportStatusCancelled:       ErrExportCancelled,
	} {
		registerStatusSentinel("export", int(code), err)
	}
}

// ExportParams are the inputs of [InvoicesService.Export].
type ExportParams struct {
	// Filters select the invoices, as for metadata queries (100-day UTC
	// range). The package holds them in ascending order of the filter's
	// date, up to 10,000 invoices or 1 GB; beyond that it is truncated
	// (InvoicePackage.IsTruncated, with the last date to continue from).
	Filters InvoiceQueryFilters
	// OnlyMetadata exports only _metadata.json, without the invoice XMLs.
	OnlyMetadata bool
	// CompressionType is Zip (default) or TarGz.
	CompressionType CompressionType
}

// Export is a scheduled export and the key that decrypts its package. It
// serialises to JSON (to resume downloading in another process); the key
// is a [Secret] and never appears in fmt or slog output.
type Export struct {
	// ReferenceNumber identifies the export.
	ReferenceNumber string `json:"referenceNumber"`
	// Filters are the filters it was scheduled with.
	Filters InvoiceQueryFilters `json:"filters"`
	// OnlyMetadata is set when the package holds only _metadata.json.
	OnlyMetadata bool `json:"onlyMetadata,omitempty"`
	// CompressionType is the requested package format.
	CompressionType CompressionType `json:"compressionType"`
	// StartedAt is when the export was scheduled.
	StartedAt time.Time `json:"startedAt"`
	// SymmetricKey is the AES-256 key of the package, Base64.
	SymmetricKey Secret `json:"symmetricKey"`
	// InitializationVector is the AES IV, Base64.
	InitializationVector string `json:"initializationVector"`
}

// LogValue implements [slog.LogValuer] without the key.
func (e Export) LogValue() slog.Value {
	return slog.GroupValue(slog.String("referenceNumber", e.ReferenceNumber), slog.Any("symmetricKey", e.SymmetricKey))
}

func (e *Export) key() (*envelope.Key, error) {
	k, err1 := base64.StdEncoding.DecodeString(e.SymmetricKey.Reveal())
	iv, err2 := base64.StdEncoding.DecodeString(e.InitializationVector)
	if err1 != nil || err2 != nil {
		return nil, errors.New("ksef: export: key or IV is not valid Base64")
	}
	key, err := envelope.KeyFromBytes(k, iv)
	if err != nil {
		return nil, fmt.Errorf("ksef: export: %w", err)
	}
	return key, nil
}

// Export schedules an export of the invoices matching p.Filters, with a
// fresh AES-256 key wrapped for KSeF's SymmetricKeyEncryption public key.
// The filters are checked locally first ([ValidateFilters]).
//
// At most [MaxConcurrentExports] exports of this client's context run at
// once: Export waits (bounded by ctx) while that many are running, as
// counted by this client (an export counts until a status call sees it
// finished, see [InvoicesService.WaitExport]). A 21182 answer from KSeF
// (exports started elsewhere) is returned as an *[APIError].
//
// KSeF API: POST /invoices/exports
func (s *InvoicesService) Export(ctx context.Context, p *ExportParams) (*Export, error) {
	if p == nil {
		return nil, errors.New("ksef: Invoices.Export: nil params")
	}
	if err := ValidateFilters(&p.Filters); err != nil {
		return nil, err
	}
	switch p.CompressionType {
	case "", CompressionTypeZip, CompressionTypeTarGz:
	default:
		return nil, fmt.Errorf("ksef: Invoices.Export: compression type must be Zip or TarGz, got %q", p.CompressionType)
	}
	key, err := envelope.NewKey()
	if err != nil {
		return nil, fmt.Errorf("ksef: Invoices.Export: %w", err)
	}
	if err := s.exports.acquire(ctx, s); err != nil {
		return nil, err
	}
	f := p.Filters
	f.DateRange.From = f.DateRange.From.UTC()
	if f.DateRange.To != nil {
		to := f.DateRange.To.UTC()
		f.DateRange.To = &to
	}
	var resp *ExportInvoicesResponse
	err = s.c.withPublicKey(ctx, SymmetricKeyEncryption, func(pk *PublicKey) error {
		wrapped, err := envelope.WrapKey(pk.Key, key.Key[:])
		if err != nil {
			return fmt.Errorf("ksef: wrap export key: %w", err)
		}
		req := &InvoiceExportRequest{
			Encryption: EncryptionInfo{
				EncryptedSymmetricKey: wrapped,
				InitializationVector:  append([]byte(nil), key.IV[:]...),
				PublicKeyID:           pk.PublicKeyID,
			},
			Filters:         f,
			CompressionType: p.CompressionType,
		}
		if p.OnlyMetadata {
			t := true
			req.OnlyMetadata = &t
		}
		resp, err = call[ExportInvoicesResponse](ctx, s.c, &request{op: OpInvoicesExport, body: req})
		return err
	})
	if err != nil {
		var ou *OutcomeUnknownError
		if !errors.As(err, &ou) {
			// refused: no export runs
			s.exports.releaseUnclaimed()
		} else {
			// it may run: keep the slot until the cap frees it
			s.exports.holdUnknown()
		}
		return nil, err
	}
	s.exports.claim(resp.ReferenceNumber)
	ct := p.CompressionType
	if ct == "" {
		ct = CompressionTypeZip
	}
	s.c.cfg.logger.DebugContext(ctx, "ksef export scheduled", "referenceNumber", resp.ReferenceNumber)
	return &Export{
		ReferenceNumber:      resp.ReferenceNumber,
		Filters:              f,
		OnlyMetadata:         p.OnlyMetadata,
		CompressionType:      ct,
		StartedAt:            time.Now(),
		SymmetricKey:         Secret(base64.StdEncoding.EncodeToString(key.Key[:])),
		InitializationVector: key.IVBase64(),
	}, nil
}

// ExportStatus returns the status of an export: 100 running, 200 done
// (Package set, with part URLs valid for about an hour, renewed by each
// call), or a failure code (see [ExportStatusCode]), reported in the body,
// not as an error. A status call that sees the export finished frees its
// place among the context's running exports.
//
// KSeF API: GET /invoices/exports/{referenceNumber}
func (s *InvoicesService) ExportStatus(ctx context.Context, referenceNumber string) (*InvoiceExportStatusResponse, error) {
	st, err := call[InvoiceExportStatusResponse](ctx, s.c, &request{op: OpInvoicesExportStatus, pathArgs: []string{referenceNumber}})
	if err != nil {
		if errors.Is(err, ErrGone) || IsCode(err, CodeInvalidExportRequest) {
			s.exports.release(referenceNumber)
		}
		return nil, err
	}
	if ExportStatusCode(st.Status.Code).Terminal() {
		s.exports.release(referenceNumber)
	}
	return st, nil
}

// WaitExport polls an export until it is done: it returns the status with
// its package for 200, and the status with a *[StatusError] (Operation
// "export"; [ErrExportExpired], [ErrExportKeyDecryption],
// [ErrExportFromAfterHWM], [ErrExportUnknown], [ErrExportCancelled])
// for the failure codes. The wait is bounded by opts.Timeout (default
// [DefaultWaitTimeout], then a *[WaitTimeoutError]: the export may still
// be running and keeps its place in the cap) and by ctx.
func (s *InvoicesService) WaitExport(ctx context.Context, referenceNumber string, opts *WaitOptions) (*InvoiceExportStatusResponse, error) {
	var last *InvoiceExportStatusResponse
	err := poll(ctx, "export "+referenceNumber, opts, s.c.cfg.retry.MaxDelay, func(ctx context.Context) (bool, string, error) {
		st, err := s.ExportStatus(ctx, referenceNumber)
		if err != nil {
			return false, "", err
		}
		last = st
		code := ExportStatusCode(st.Status.Code)
		return code.Terminal() && (code != ExportStatusDone || st.Package != nil), strconv.Itoa(int(code)), nil
	})
	if err != nil {
		return last, err
	}
	if ExportStatusCode(last.Status.Code) != ExportStatusDone {
		return last, newStatusError("export", referenceNumber, last.Status)
	}
	return last, nil
}

// exportSlots counts the exports of one context that may be running, so
// that a client never exceeds KSeF's cap. A slot is taken before the
// POST, claimed by the reference number it returned, and freed when a
// status call sees the export finished (or gone).
type exportSlots struct {
	mu      sync.Mutex
	cap     int
	running map[string]bool // reference numbers
	pending int             // slots taken, POST in flight
	unknown int             // POSTs with an unknown outcome
	free    chan struct{}   // signalled when a slot frees
}

func newExportSlots(n int) *exportSlots {
	return &exportSlots{cap: n, running: map[string]bool{}, free: make(chan struct{}, 1)}
}

func (e *exportSlots) used() int { return len(e.running) + e.pending + e.unknown }

// acquire takes a slot, waiting while all are used. While it waits it
// asks KSeF about the running exports it knows (a finished one frees its
// slot), at most every few seconds.
func (e *exportSlots) acquire(ctx context.Context, s *InvoicesService) error {
	for {
		e.mu.Lock()
		if e.used() < e.cap {
			e.pending++
			e.mu.Unlock()
			return nil
		}
		refs := make([]string, 0, len(e.running))
		for r := range e.running {
			refs = append(refs, r)
		}
		e.mu.Unlock()
		// Ask about the oldest-known exports; a finished one frees a slot.
		for _, r := range refs {
			if _, err := s.ExportStatus(ctx, r); err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			e.mu.Lock()
			ok := e.used() < e.cap
			e.mu.Unlock()
			if ok {
				break
			}
		}
		e.mu.Lock()
		ok := e.used() < e.cap
		e.mu.Unlock()
		if ok {
			continue
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ksef: waiting for one of %d running exports to finish: %w", e.cap, ctx.Err())
		case <-e.free:
		case <-time.After(5 * time.Second):
		}
	}
}

func (e *exportSlots) signal() {
	select {
	case e.free <- struct{}{}:
	default:
	}
}

func (e *exportSlots) claim(ref string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pending--
	e.running[ref] = true
}

func (e *exportSlots) releaseUnclaimed() {
	e.mu.Lock()
	e.pending--
	e.mu.Unlock()
	e.signal()
}

func (e *exportSlots) holdUnknown() {
	e.mu.Lock()
	e.pending--
	e.unknown++
	e.mu.Unlock()
}

func (e *exportSlots) release(ref string) {
	e.mu.Lock()
	had := e.running[ref]
	delete(e.running, ref)
	e.mu.Unlock()
	if had {
		e.signal()
	}
}

// Running returns the reference numbers of the exports this client
// scheduled that may still be running (no status call has seen them
// finish), each holding a place in the context's cap of
// [MaxConcurrentExports].
func (s *InvoicesService) Running() []string {
	s.exports.mu.Lock()
	defer s.exports.mu.Unlock()
	out := make([]string, 0, len(s.exports.running))
	for r := range s.exports.running {
		out = append(out, r)
	}
	return out
}
