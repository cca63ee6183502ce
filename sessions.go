package ksef

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// SessionsService covers online sessions (open, send, close), batch
// sessions (pack, upload, close: [SessionsService.SendBatch]), the session
// history, session and invoice statuses and UPO downloads. It needs an
// access token, so it is reachable only from an [AuthenticatedClient]
// (field Sessions).
type SessionsService service

// ListSessionsQuery are the filters of [SessionsService.List]: every query
// parameter of GET /sessions. SessionType is required.
type ListSessionsQuery struct {
	// SessionType selects online or batch sessions (required).
	SessionType SessionType
	// ReferenceNumber selects one session.
	ReferenceNumber string
	// DateCreatedFrom and DateCreatedTo bound the creation time.
	DateCreatedFrom, DateCreatedTo time.Time
	// DateClosedFrom and DateClosedTo bound the closing time.
	DateClosedFrom, DateClosedTo time.Time
	// DateModifiedFrom and DateModifiedTo bound the last modification.
	DateModifiedFrom, DateModifiedTo time.Time
	// Statuses selects sessions in any of these states.
	Statuses []CommonSessionStatus
	// PageSize is the page size (10-1000; 0 = server default of 10).
	PageSize int
	// ContinuationToken fetches the page after the one that returned it.
	ContinuationToken string
}

func checkPageSize(op string, n int) error {
	if n != 0 && (n < 10 || n > 1000) {
		return fmt.Errorf("ksef: %s: page size must be 10-1000, got %d", op, n)
	}
	return nil
}

func (q *ListSessionsQuery) values() url.Values {
	v := url.Values{"sessionType": {string(q.SessionType)}}
	if q.ReferenceNumber != "" {
		v.Set("referenceNumber", q.ReferenceNumber)
	}
	for name, t := range map[string]time.Time{
		"dateCreatedFrom": q.DateCreatedFrom, "dateCreatedTo": q.DateCreatedTo,
		"dateClosedFrom": q.DateClosedFrom, "dateClosedTo": q.DateClosedTo,
		"dateModifiedFrom": q.DateModifiedFrom, "dateModifiedTo": q.DateModifiedTo,
	} {
		if !t.IsZero() {
			v.Set(name, t.UTC().Format(time.RFC3339Nano))
		}
	}
	for _, s := range q.Statuses {
		v.Add("statuses", string(s))
	}
	if q.PageSize > 0 {
		v.Set("pageSize", strconv.Itoa(q.PageSize))
	}
	return v
}

// List returns one page of the sessions of the context matching q. See
// [SessionsService.ListAll] for an iterator.
//
// KSeF API: GET /sessions
func (s *SessionsService) List(ctx context.Context, q *ListSessionsQuery) (*SessionsQueryResponse, error) {
	if q == nil || q.SessionType == "" {
		return nil, errors.New("ksef: Sessions.List: SessionType is required")
	}
	if err := checkPageSize("Sessions.List", q.PageSize); err != nil {
		return nil, err
	}
	r := &request{op: OpSessionsList, query: q.values()}
	if q.ContinuationToken != "" {
		r.header = http.Header{"X-Continuation-Token": {q.ContinuationToken}}
	}
	return call[SessionsQueryResponse](ctx, s.c, r)
}

// ListAll iterates over all sessions matching q, following continuation
// tokens. On error it yields it once and stops.
func (s *SessionsService) ListAll(ctx context.Context, q *ListSessionsQuery) iter.Seq2[SessionsQueryResponseItem, error] {
	var params ListSessionsQuery
	if q != nil {
		params = *q
	}
	return pagesByToken(ctx, params.ContinuationToken, func(ctx context.Context, token string) ([]SessionsQueryResponseItem, string, error) {
		p := params
		p.ContinuationToken = token
		page, err := s.List(ctx, &p)
		if err != nil {
			return nil, "", err
		}
		return page.Sessions, page.ContinuationToken, nil
	})
}

// Status returns the status of a session: its code (see
// [SessionStatusCode]), invoice counts and, once processed, the UPO pages.
//
// KSeF API: GET /sessions/{referenceNumber}
func (s *SessionsService) Status(ctx context.Context, referenceNumber string) (*SessionStatusResponse, error) {
	return call[SessionStatusResponse](ctx, s.c, &request{op: OpSessionStatus, pathArgs: []string{referenceNumber}})
}

// SessionInvoicesParams are the optional inputs of the session invoice
// lists.
type SessionInvoicesParams struct {
	// PageSize is the page size (10-1000; 0 = server default of 10).
	PageSize int
	// ContinuationToken fetches the page after the one that returned it.
	ContinuationToken string
}

func (s *SessionsService) invoicesPage(ctx context.Context, op Operation, name, ref string, p *SessionInvoicesParams) (*SessionInvoicesResponse, error) {
	r := &request{op: op, pathArgs: []string{ref}}
	if p != nil {
		if err := checkPageSize(name, p.PageSize); err != nil {
			return nil, err
		}
		if p.PageSize > 0 {
			r.query = url.Values{"pageSize": {strconv.Itoa(p.PageSize)}}
		}
		if p.ContinuationToken != "" {
			r.header = http.Header{"X-Continuation-Token": {p.ContinuationToken}}
		}
	}
	return call[SessionInvoicesResponse](ctx, s.c, r)
}

func (s *SessionsService) invoicesAll(ctx context.Context, page func(context.Context, string, *SessionInvoicesParams) (*SessionInvoicesResponse, error), ref string, p *SessionInvoicesParams) iter.Seq2[SessionInvoiceStatusResponse, error] {
	var params SessionInvoicesParams
	if p != nil {
		params = *p
	}
	return pagesByToken(ctx, params.ContinuationToken, func(ctx context.Context, token string) ([]SessionInvoiceStatusResponse, string, error) {
		p := params
		p.ContinuationToken = token
		pg, err := page(ctx, ref, &p)
		if err != nil {
			return nil, "", err
		}
		return pg.Invoices, pg.ContinuationToken, nil
	})
}

// Invoices returns one page of the invoices sent in a session, with their
// statuses. See [SessionsService.InvoicesAll] for an iterator.
//
// KSeF API: GET /sessions/{referenceNumber}/invoices
func (s *SessionsService) Invoices(ctx context.Context, referenceNumber string, p *SessionInvoicesParams) (*SessionInvoicesResponse, error) {
	return s.invoicesPage(ctx, OpSessionInvoices, "Sessions.Invoices", referenceNumber, p)
}

// InvoicesAll iterates over all invoices of a session. On error it yields
// it once and stops.
func (s *SessionsService) InvoicesAll(ctx context.Context, referenceNumber string, p *SessionInvoicesParams) iter.Seq2[SessionInvoiceStatusResponse, error] {
	return s.invoicesAll(ctx, s.Invoices, referenceNumber, p)
}

// FailedInvoices returns one page of the invoices of a session that KSeF
// rejected. See [SessionsService.FailedInvoicesAll] for an iterator.
//
// KSeF API: GET /sessions/{referenceNumber}/invoices/failed
func (s *SessionsService) FailedInvoices(ctx context.Context, referenceNumber string, p *SessionInvoicesParams) (*SessionInvoicesResponse, error) {
	return s.invoicesPage(ctx, OpSessionInvoicesFailed, "Sessions.FailedInvoices", referenceNumber, p)
}

// FailedInvoicesAll iterates over all rejected invoices of a session. On
// error it yields it once and stops.
func (s *SessionsService) FailedInvoicesAll(ctx context.Context, referenceNumber string, p *SessionInvoicesParams) iter.Seq2[SessionInvoiceStatusResponse, error] {
	return s.invoicesAll(ctx, s.FailedInvoices, referenceNumber, p)
}

// InvoiceStatus returns the status of one invoice of a session. A failed
// invoice is reported in the body (Status.Code ≥ 400), not as an error;
// [SessionsService.WaitInvoice] turns it into a *[StatusError].
//
// KSeF API: GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}
func (s *SessionsService) InvoiceStatus(ctx context.Context, sessionRef, invoiceRef string) (*SessionInvoiceStatusResponse, error) {
	return call[SessionInvoiceStatusResponse](ctx, s.c, &request{op: OpSessionInvoiceStatus, pathArgs: []string{sessionRef, invoiceRef}})
}

// WaitInvoice polls the status of an invoice until KSeF has processed it.
// On success (200) it returns the status, whose KSeFNumber is set. A
// rejected invoice gives the status and a *[StatusError] (Operation
// "invoice") with code, description, details and extensions; for a
// duplicate (440) errors.Is(err, [ErrDuplicateInvoice]) holds and
// [AsDuplicate] returns the original KSeF number, which most programs
// treat as success. The wait is bounded by opts.Timeout (default
// [DefaultWaitTimeout], then a *[WaitTimeoutError]) and by ctx.
func (s *SessionsService) WaitInvoice(ctx context.Context, sessionRef, invoiceRef string, opts *WaitOptions) (*SessionInvoiceStatusResponse, error) {
	var last *SessionInvoiceStatusResponse
	err := poll(ctx, "invoice "+invoiceRef, opts, s.c.cfg.retry.MaxDelay, func(ctx context.Context) (bool, string, error) {
		st, err := s.InvoiceStatus(ctx, sessionRef, invoiceRef)
		if err != nil {
			return false, "", err
		}
		last = st
		return InvoiceStatusCode(st.Status.Code).Terminal(), strconv.Itoa(int(st.Status.Code)), nil
	})
	if err != nil {
		return nil, err
	}
	if last.Status.Code != int32(InvoiceStatusSuccess) {
		return last, newInvoiceStatusError(invoiceRef, last.Status)
	}
	return last, nil
}

// WaitSession polls the status of a (closed) session until it is
// processed and its UPO pages are listed. It returns the status for 200
// (processed, Upo set) and for 445 (processed, but every invoice was
// rejected: see [SessionsService.FailedInvoicesAll]); other final codes
// give the status and a *[StatusError] (Operation "session"). The wait is
// bounded by opts.Timeout (default [DefaultWaitTimeout]) and by ctx.
func (s *SessionsService) WaitSession(ctx context.Context, referenceNumber string, opts *WaitOptions) (*SessionStatusResponse, error) {
	var last *SessionStatusResponse
	err := poll(ctx, "session "+referenceNumber, opts, s.c.cfg.retry.MaxDelay, func(ctx context.Context) (bool, string, error) {
		st, err := s.Status(ctx, referenceNumber)
		if err != nil {
			return false, "", err
		}
		last = st
		code := SessionStatusCode(st.Status.Code)
		done := code.Terminal() && (code != SessionStatusProcessed || st.Upo != nil && len(st.Upo.Pages) > 0)
		return done, strconv.Itoa(int(code)), nil
	})
	if err != nil {
		return nil, err
	}
	switch SessionStatusCode(last.Status.Code) {
	case SessionStatusProcessed, SessionStatusNoValidInvoices:
		return last, nil
	}
	return last, newStatusError("session", referenceNumber, last.Status)
}

// ErrHashMismatch is returned when a downloaded document does not match
// the x-ms-meta-hash header KSeF sent with it.
var ErrHashMismatch = errors.New("ksef: downloaded content does not match its x-ms-meta-hash")

// checkMetaHash verifies the x-ms-meta-hash header (Base64 SHA-256 of the
// body) when present.
func checkMetaHash(h http.Header, body []byte) error {
	v := h.Get("x-ms-meta-hash")
	if v == "" {
		return nil
	}
	want, err := base64.StdEncoding.DecodeString(v)
	sum := sha256.Sum256(body)
	if err != nil || subtle.ConstantTimeCompare(want, sum[:]) != 1 {
		return ErrHashMismatch
	}
	return nil
}

func (s *SessionsService) downloadXML(ctx context.Context, r *request) ([]byte, error) {
	r.accept = "application/xml"
	resp, err := s.c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := checkMetaHash(resp.header, resp.raw); err != nil {
		return nil, err
	}
	return resp.raw, nil
}

// InvoiceUPO downloads the UPO (official receipt, XML) of one invoice,
// identified by its reference number, and checks it against its
// x-ms-meta-hash. Package upo parses and verifies it.
//
// KSeF API: GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo
func (s *SessionsService) InvoiceUPO(ctx context.Context, sessionRef, invoiceRef string) ([]byte, error) {
	return s.downloadXML(ctx, &request{op: OpSessionInvoiceUpo, pathArgs: []string{sessionRef, invoiceRef}})
}

// InvoiceUPOByKSeFNumber downloads the UPO of one invoice identified by
// its KSeF number.
//
// KSeF API: GET /sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo
func (s *SessionsService) InvoiceUPOByKSeFNumber(ctx context.Context, sessionRef, ksefNumber string) ([]byte, error) {
	return s.downloadXML(ctx, &request{op: OpSessionInvoiceUpoByKSeFNumber, pathArgs: []string{sessionRef, ksefNumber}})
}

// UPO downloads one page of a session's collective UPO (up to 10,000
// invoices per page) through the API; upoRef is a page's reference number
// from the session status (Upo.Pages).
//
// KSeF API: GET /sessions/{referenceNumber}/upo/{upoReferenceNumber}
func (s *SessionsService) UPO(ctx context.Context, sessionRef, upoRef string) ([]byte, error) {
	return s.downloadXML(ctx, &request{op: OpSessionUpo, pathArgs: []string{sessionRef, upoRef}})
}

// UPOPage downloads a UPO page from its pre-signed downloadUrl (session
// status Upo.Pages, or an invoice's upoDownloadUrl as a page with only
// DownloadURL set). The request carries no Authorization header and the
// URL never appears in logs or errors. It fails with [ErrURLExpired]
// without a request when the page's expiration date has passed.
func (s *SessionsService) UPOPage(ctx context.Context, page UpoPageResponse) ([]byte, error) {
	if page.DownloadURL == "" {
		return nil, errors.New("ksef: UPOPage: no download URL")
	}
	if !page.DownloadURLExpirationDate.IsZero() && time.Now().After(page.DownloadURLExpirationDate) {
		return nil, ErrURLExpired
	}
	return s.downloadXML(ctx, &request{absURL: page.DownloadURL, method: http.MethodGet})
}

// ErrURLExpired is returned for a pre-signed URL whose expiration date has
// passed; get a fresh one from the session or invoice status.
var ErrURLExpired = errors.New("ksef: pre-signed URL expired; fetch the status again for a new one")
