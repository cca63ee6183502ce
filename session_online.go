package ksef

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/ksef2/ksef/internal/envelope"
)

// Form is an invoice form (schema) a session is opened for; its value is
// the formCode systemCode of KSeF API 2.8.1.
type Form string

// The forms of KSeF API 2.8.1.
const (
	FormFA3     Form = "FA (3)"      // FA (3), schemaVersion 1-0E, value FA: the structured invoice (all environments).
	FormFA2     Form = "FA (2)"      // FA (2), schemaVersion 1-0E, value FA (TEST only).
	FormFARR    Form = "FA_RR (1)"   // FA_RR (1), schemaVersion 1-1E, value FA_RR: VAT RR invoice (flat-rate farmers).
	FormPEF3    Form = "PEF (3)"     // PEF (3), schemaVersion 2-1, value PEF: Peppol invoice.
	FormPEFKOR3 Form = "PEF_KOR (3)" // PEF_KOR (3), schemaVersion 2-1, value PEF: Peppol correction.
)

var formCodes = map[Form]FormCode{
	FormFA3:     {SystemCode: "FA (3)", SchemaVersion: "1-0E", Value: "FA"},
	FormFA2:     {SystemCode: "FA (2)", SchemaVersion: "1-0E", Value: "FA"},
	FormFARR:    {SystemCode: "FA_RR (1)", SchemaVersion: "1-1E", Value: "FA_RR"},
	FormPEF3:    {SystemCode: "PEF (3)", SchemaVersion: "2-1", Value: "PEF"},
	FormPEFKOR3: {SystemCode: "PEF_KOR (3)", SchemaVersion: "2-1", Value: "PEF"},
}

// Forms returns every form of KSeF API 2.8.1.
func Forms() []Form { return []Form{FormFA3, FormFA2, FormFARR, FormPEF3, FormPEFKOR3} }

// Code returns the formCode object of the form, or an error for an
// unknown form.
func (f Form) Code() (FormCode, error) {
	c, ok := formCodes[f]
	if !ok {
		return FormCode{}, fmt.Errorf("ksef: unknown form %q", string(f))
	}
	return c, nil
}

// Limits of an online session (ksef-facts §4, §7).
const (
	// MaxSessionInvoices is the number of invoices one session accepts.
	MaxSessionInvoices = 10000
	// SessionLifetime is how long an online session stays open.
	SessionLifetime = 12 * time.Hour
	// MaxInvoiceSize is the largest invoice without attachments (bytes).
	MaxInvoiceSize = 1_000_000
)

// OpenOnlineParams are the optional inputs of [SessionsService.OpenOnline].
type OpenOnlineParams struct {
	// SubjectIdentifierValidation sends the header
	// X-KSeF-Feature: subject-identifier-validation (API 2.8.1), which makes
	// KSeF check the NIPs and internal identifiers named on the invoices.
	SubjectIdentifierValidation bool
}

// OpenOnline opens an online session for form with a fresh AES-256 key
// and IV, wrapped with the Ministry of Finance key for
// SymmetricKeyEncryption. When KSeF rejects the key (21470) the keys are
// downloaded again and the open is retried once. params may be nil.
//
// An open whose answer was lost (*[OutcomeUnknownError]) may have created
// a session nobody holds the reference of; such a session expires by
// itself, so opening another one is safe.
//
// KSeF API: POST /sessions/online
func (s *SessionsService) OpenOnline(ctx context.Context, form Form, params *OpenOnlineParams) (*OnlineSession, error) {
	code, err := form.Code()
	if err != nil {
		return nil, err
	}
	key, err := envelope.NewKey()
	if err != nil {
		return nil, fmt.Errorf("ksef: OpenOnline: %w", err)
	}
	var resp *OpenOnlineSessionResponse
	err = s.c.withPublicKey(ctx, SymmetricKeyEncryption, func(pk *PublicKey) error {
		wrapped, err := envelope.WrapKey(pk.Key, key.Key[:])
		if err != nil {
			return fmt.Errorf("ksef: wrap session key: %w", err)
		}
		r := &request{op: OpOnlineSessionOpen, body: &OpenOnlineSessionRequest{
			FormCode: code,
			Encryption: EncryptionInfo{
				EncryptedSymmetricKey: wrapped,
				InitializationVector:  append([]byte(nil), key.IV[:]...),
				PublicKeyID:           pk.PublicKeyID,
			},
		}}
		if params != nil && params.SubjectIdentifierValidation {
			r.header = http.Header{"X-Ksef-Feature": {"subject-identifier-validation"}}
		}
		resp, err = call[OpenOnlineSessionResponse](ctx, s.c, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.c.cfg.logger.DebugContext(ctx, "ksef online session opened", "referenceNumber", resp.ReferenceNumber, "form", string(form))
	return &OnlineSession{s: s, ref: resp.ReferenceNumber, form: form, validUntil: resp.ValidUntil, openedAt: time.Now(), key: key}, nil
}

// OnlineSession is an open online session: it encrypts and sends invoices
// with the session's key and closes the session. It is safe for concurrent
// use; sends run in parallel (paced by the client's rate limits).
//
// Its state, including the symmetric key, can be saved with
// [OnlineSession.State] and resumed in another process with
// [SessionsService.ResumeOnline]. The session never prints its key: fmt
// (%v, %+v, %#v), log/slog and encoding/json show only its reference.
type OnlineSession struct {
	s          *SessionsService
	ref        string
	form       Form
	validUntil time.Time
	openedAt   time.Time
	key        *envelope.Key

	mu   sync.Mutex
	sent int // send requests made through this object (and counted in the state)
}

// ReferenceNumber returns the session's reference number.
func (o *OnlineSession) ReferenceNumber() string { return o.ref }

// Form returns the form the session was opened for.
func (o *OnlineSession) Form() Form { return o.form }

// ValidUntil returns when KSeF closes the session by itself.
func (o *OnlineSession) ValidUntil() time.Time { return o.validUntil }

// OpenedAt returns when the session was opened (as seen by this client).
func (o *OnlineSession) OpenedAt() time.Time { return o.openedAt }

// Sent returns how many invoices were sent through the session (including
// the count carried by a resumed state); a session accepts
// [MaxSessionInvoices].
func (o *OnlineSession) Sent() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sent
}

// String returns "ksef.OnlineSession(<reference>)"; the key never prints.
func (o *OnlineSession) String() string { return "ksef.OnlineSession(" + o.ref + ")" }

// GoString returns the same as String.
func (o *OnlineSession) GoString() string { return o.String() }

// Format prints the session as String for every verb, so that %v, %+v and
// %#v never show the key.
func (o *OnlineSession) Format(f fmt.State, _ rune) { io.WriteString(f, o.String()) }

// LogValue implements [slog.LogValuer]: the reference number and form only.
func (o *OnlineSession) LogValue() slog.Value {
	return slog.GroupValue(slog.String("referenceNumber", o.ref), slog.String("form", string(o.form)))
}

// MarshalJSON encodes the reference number, form and validity only; use
// [OnlineSession.State] to save a resumable state.
func (o *OnlineSession) MarshalJSON() ([]byte, error) {
	return jsonMarshal(struct {
		ReferenceNumber string    `json:"referenceNumber"`
		Form            Form      `json:"form"`
		ValidUntil      time.Time `json:"validUntil"`
	}{o.ref, o.form, o.validUntil})
}

// OnlineSessionState is the saved state of an online session, enough to
// resume it in another process with [SessionsService.ResumeOnline]. It
// holds the session's symmetric key: a [Secret] that prints and logs as
// "REDACTED" but is written in clear by encoding/json, so store the JSON
// as you would store a credential.
type OnlineSessionState struct {
	// ReferenceNumber is the session's reference number.
	ReferenceNumber string `json:"referenceNumber"`
	// Form is the form the session was opened for.
	Form Form `json:"form"`
	// ValidUntil is when KSeF closes the session by itself.
	ValidUntil time.Time `json:"validUntil"`
	// OpenedAt is when the session was opened.
	OpenedAt time.Time `json:"openedAt"`
	// Sent is the number of invoices sent so far.
	Sent int `json:"sent"`
	// SymmetricKey is the AES-256 key, Base64.
	SymmetricKey Secret `json:"symmetricKey"`
	// InitializationVector is the AES IV, Base64 (it is also sent to KSeF).
	InitializationVector string `json:"initializationVector"`
}

// LogValue implements [slog.LogValuer]: the key is "REDACTED" (slog's
// JSON handler would otherwise encode the struct with encoding/json).
func (st OnlineSessionState) LogValue() slog.Value {
	return slog.GroupValue(slog.String("referenceNumber", st.ReferenceNumber), slog.String("form", string(st.Form)),
		slog.Time("validUntil", st.ValidUntil), slog.Any("symmetricKey", st.SymmetricKey))
}

// State returns the session's resumable state, including its key.
func (o *OnlineSession) State() OnlineSessionState {
	return OnlineSessionState{
		ReferenceNumber:      o.ref,
		Form:                 o.form,
		ValidUntil:           o.validUntil,
		OpenedAt:             o.openedAt,
		Sent:                 o.Sent(),
		SymmetricKey:         Secret(base64.StdEncoding.EncodeToString(o.key.Key[:])),
		InitializationVector: o.key.IVBase64(),
	}
}

// ResumeOnline returns the online session saved in st (see
// [OnlineSession.State]), without any network call. Sends and the close
// work until the session's ValidUntil; afterwards KSeF rejects them.
func (s *SessionsService) ResumeOnline(st OnlineSessionState) (*OnlineSession, error) {
	if st.ReferenceNumber == "" {
		return nil, errors.New("ksef: ResumeOnline: no reference number")
	}
	if _, err := st.Form.Code(); err != nil {
		return nil, err
	}
	k, err1 := base64.StdEncoding.DecodeString(st.SymmetricKey.Reveal())
	iv, err2 := base64.StdEncoding.DecodeString(st.InitializationVector)
	if err1 != nil || err2 != nil {
		return nil, errors.New("ksef: ResumeOnline: key or IV is not valid Base64")
	}
	key, err := envelope.KeyFromBytes(k, iv)
	if err != nil {
		return nil, fmt.Errorf("ksef: ResumeOnline: %w", err)
	}
	return &OnlineSession{s: s, ref: st.ReferenceNumber, form: st.Form, validUntil: st.ValidUntil,
		openedAt: st.OpenedAt, key: key, sent: st.Sent}, nil
}

// SendInvoiceParams are the optional inputs of [OnlineSession.SendInvoice].
type SendInvoiceParams struct {
	// OfflineMode declares an invoice issued offline (offlineMode: true).
	OfflineMode bool
	// HashOfCorrectedInvoice is the SHA-256 of the invoice this one
	// technically corrects (offline invoices only).
	HashOfCorrectedInvoice []byte
}

// SentInvoice is the result of a send KSeF accepted for processing.
type SentInvoice struct {
	// ReferenceNumber is the invoice's reference number in the session;
	// pass it to [OnlineSession.WaitInvoice].
	ReferenceNumber string
	// InvoiceHash is the SHA-256 of the plain invoice (as KSeF lists it).
	InvoiceHash []byte
	// InvoiceSize is the size of the plain invoice in bytes.
	InvoiceSize int64
	// Recovered is true when the answer to the send was lost (5xx, dropped
	// connection, timeout) and the invoice was found in the session's
	// invoice list by its hash instead.
	Recovered bool
}

// maxSendAttempts bounds how often a send whose answer was lost and that
// KSeF does not list is sent again.
const maxSendAttempts = 3

// SendInvoice encrypts invoiceXML with the session key and sends it with
// its plain and encrypted SHA-256 and sizes. KSeF verifies the invoice
// asynchronously: the result's ReferenceNumber is for
// [OnlineSession.WaitInvoice], which gives the KSeF number or the reason
// of a rejection. params may be nil.
//
// The outcomes, and what to do with each:
//
//   - (*SentInvoice, nil): KSeF accepted the invoice for processing. Wait
//     for its status. Recovered says that the answer had been lost and the
//     invoice was found in the session's invoice list by its hash: the
//     invoice is in KSeF once, never twice.
//   - *[APIError] with a KSeF code: KSeF refused the request and did not
//     register the invoice. [CodeInvalidFileSize] (21402) and
//     [CodeInvalidFileHash] (21403) point at a bug; [CodeSessionInvoiceLimit]
//     (21155), [CodeSessionStatusForbids] (21180, closed or expired; the
//     error also matches [ErrSessionClosed]) and
//     [CodeSessionTemporarilyUnavailable] (21184) mean: send it in a new
//     session; [CodeSessionNotFound] (21173): wrong session. The invoice
//     may be sent again.
//   - an error matching [ErrRateLimited]: too many requests for longer
//     than the retry policy waits; send again later.
//   - *[OutcomeUnknownError] (errors.Is [ErrOutcomeUnknown]): the answer
//     was lost AND the session's invoice list could not be read to settle
//     it (or ctx ended), or all three attempts were lost and the list read
//     after the last of them did not hold the invoice. Do not send blindly: list the session's invoices
//     ([SessionsService.InvoicesAll]) and look for the invoice's SHA-256;
//     a send that did reach KSeF appears there. Sending again is safe in
//     the sense that KSeF answers a repeated invoice with status 440 and
//     the original KSeF number ([AsDuplicate]), but the list is cheaper.
//   - a local error (empty invoice, over [MaxInvoiceSize]): nothing sent.
//
// When the answer to a send is lost, SendInvoice itself lists the
// session's invoices, matches the invoice by hash, and sends again (up to
// three times in all) only when KSeF does not have it.
//
// KSeF API: POST /sessions/online/{referenceNumber}/invoices
func (o *OnlineSession) SendInvoice(ctx context.Context, invoiceXML []byte, params *SendInvoiceParams) (*SentInvoice, error) {
	if len(invoiceXML) == 0 {
		return nil, errors.New("ksef: SendInvoice: empty invoice")
	}
	if len(invoiceXML) > MaxInvoiceSize {
		return nil, fmt.Errorf("ksef: SendInvoice: invoice of %d bytes exceeds %d bytes", len(invoiceXML), MaxInvoiceSize)
	}
	enc := o.key.Encrypt(invoiceXML)
	hash := sha256Sum(invoiceXML)
	req := &SendInvoiceRequest{
		InvoiceHash:             hash,
		InvoiceSize:             int64(len(invoiceXML)),
		EncryptedInvoiceHash:    sha256Sum(enc),
		EncryptedInvoiceSize:    int64(len(enc)),
		EncryptedInvoiceContent: enc,
	}
	if params != nil {
		if params.OfflineMode {
			t := true
			req.OfflineMode = &t
		}
		req.HashOfCorrectedInvoice = params.HashOfCorrectedInvoice
	}
	out := &SentInvoice{InvoiceHash: hash, InvoiceSize: req.InvoiceSize}
	o.mu.Lock()
	o.sent++
	o.mu.Unlock()
	var lost error
	for attempt := 1; attempt <= maxSendAttempts; attempt++ {
		resp, err := call[SendInvoiceResponse](ctx, o.s.c, &request{op: OpOnlineSessionSendInvoice, pathArgs: []string{o.ref}, body: req})
		if err == nil {
			out.ReferenceNumber = resp.ReferenceNumber
			out.Recovered = lost != nil
			return out, nil
		}
		if !errors.Is(err, ErrOutcomeUnknown) {
			return nil, o.sessionClosedError(err)
		}
		lost = err
		if ctx.Err() != nil {
			return nil, err
		}
		o.s.c.cfg.logger.InfoContext(ctx, "ksef send answer lost; looking the invoice up in the session", "referenceNumber", o.ref)
		found, ferr := o.findByHash(ctx, hash)
		if ferr != nil {
			return nil, fmt.Errorf("%w (looking the invoice up by hash failed: %w)", err, ferr)
		}
		if found != nil {
			out.ReferenceNumber = found.ReferenceNumber
			out.Recovered = true
			return out, nil
		}
		// KSeF does not have it: the request never got processed.
	}
	return nil, lost
}

// findByHash returns the session invoice whose hash is hash, or nil.
func (o *OnlineSession) findByHash(ctx context.Context, hash []byte) (*SessionInvoiceStatusResponse, error) {
	for inv, err := range o.s.InvoicesAll(ctx, o.ref, &SessionInvoicesParams{PageSize: 1000}) {
		if err != nil {
			return nil, err
		}
		if bytes.Equal(inv.InvoiceHash, hash) {
			return &inv, nil
		}
	}
	return nil, nil
}

// Close closes the session: KSeF stops accepting invoices and starts
// generating the collective UPO ([OnlineSession.Wait] waits for it). A
// close whose answer was lost (5xx, dropped connection) is settled through
// the session status: if the session is no longer open the close took
// effect; if it is still open the close is sent again (up to three times
// in all). Closing a session that is already closed returns nil.
//
// KSeF API: POST /sessions/online/{referenceNumber}/close
func (o *OnlineSession) Close(ctx context.Context) error {
	var lost error
	for attempt := 1; attempt <= maxSendAttempts; attempt++ {
		_, err := o.s.c.do(ctx, &request{op: OpOnlineSessionClose, pathArgs: []string{o.ref}})
		if err == nil {
			return nil
		}
		unknown := errors.Is(err, ErrOutcomeUnknown)
		if !unknown && !IsCode(err, CodeSessionStatusForbids) {
			return err
		}
		if unknown {
			lost = err
		}
		if ctx.Err() != nil {
			return err
		}
		st, serr := o.s.Status(ctx, o.ref)
		if serr != nil {
			return fmt.Errorf("%w (reading the session status failed: %w)", err, serr)
		}
		if SessionStatusCode(st.Status.Code) != SessionStatusOpen {
			return nil // closed (by this or an earlier close)
		}
		if !unknown {
			return err // 21180 on an open session: not ours to settle
		}
	}
	return lost
}

// Status returns the session's status.
func (o *OnlineSession) Status(ctx context.Context) (*SessionStatusResponse, error) {
	return o.s.Status(ctx, o.ref)
}

// Wait waits for the closed session to be processed and its UPO pages to
// be ready; see [SessionsService.WaitSession].
func (o *OnlineSession) Wait(ctx context.Context, opts *WaitOptions) (*SessionStatusResponse, error) {
	return o.s.WaitSession(ctx, o.ref, opts)
}

// WaitInvoice waits for an invoice of the session; see
// [SessionsService.WaitInvoice].
func (o *OnlineSession) WaitInvoice(ctx context.Context, invoiceRef string, opts *WaitOptions) (*SessionInvoiceStatusResponse, error) {
	return o.s.WaitInvoice(ctx, o.ref, invoiceRef, opts)
}

func sha256Sum(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
