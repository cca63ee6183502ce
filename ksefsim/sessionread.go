package ksefsim

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ksef2/ksef"
)

// handleCloseOnline serves POST /sessions/online/{referenceNumber}/close.
func (s *Simulator) handleCloseOnline(w http.ResponseWriter, r *http.Request) *apiError {
	p, refs, e := s.requireRefs(r, writePermissions, "referenceNumber")
	if e != nil {
		return e
	}
	ref := refs[0]
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, e := s.ownSessionFor(p, ref)
	if e != nil {
		return e
	}
	if st := sess.status(now); st.Code != 100 {
		return badRequest(21180, "Status sesji "+strconv.Itoa(int(st.Code))+" uniemożliwia jej zamknięcie.")
	}
	sess.closedAt = &now
	sess.updated = now
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sessionStatusAt is the session status with the simulator's processing
// delay; once a session is processed it gets its UPO pages. Callers hold
// s.mu.
func (s *Simulator) sessionStatusAt(sess *onlineSession, now time.Time) ksef.StatusInfo {
	st := sess.statusAt(now, s.cfg.processingDelay)
	if st.Code == 200 && sess.pages == nil {
		ok := sess.successful()
		closed, _ := sess.closeTime(now)
		created := sess.processedAt(closed, s.cfg.processingDelay)
		for i := 0; i < len(ok); i += upoPageSize {
			sess.pages = append(sess.pages, &upoPage{
				ref:    newRef(created, KindUPO),
				number: len(sess.pages) + 1,
				first:  i,
				end:    min(i+upoPageSize, len(ok)),
			})
		}
	}
	return st
}

// handleSessionStatus serves GET /sessions/{referenceNumber}.
func (s *Simulator) handleSessionStatus(w http.ResponseWriter, r *http.Request) *apiError {
	p, refs, e := s.requireRefs(r, readPermissions, "referenceNumber")
	if e != nil {
		return e
	}
	ref := refs[0]
	return s.inSession(p, ref, func(sess *onlineSession, now time.Time) *apiError {
		st := s.sessionStatusAt(sess, now)
		total, ok, failed := sess.counts(now)
		out := ksef.SessionStatusResponse{
			Status:                 st,
			DateCreated:            sess.created,
			DateUpdated:            sess.dateUpdated(now, s.cfg.processingDelay),
			ValidUntil:             &sess.validUntil,
			InvoiceCount:           &total,
			SuccessfulInvoiceCount: &ok,
			FailedInvoiceCount:     &failed,
		}
		if st.Code == 200 {
			exp := now.Add(upoURLLifetime).Truncate(time.Second)
			out.Upo = &ksef.UpoResponse{Pages: []ksef.UpoPageResponse{}}
			for _, pg := range sess.pages {
				out.Upo.Pages = append(out.Upo.Pages, ksef.UpoPageResponse{
					ReferenceNumber:           pg.ref,
					DownloadURL:               s.presign(r, sess.ref, pg.ref, exp),
					DownloadURLExpirationDate: exp,
				})
			}
		}
		writeOK(w, http.StatusOK, out)
		return nil
	})
}

// invoiceBody is the status of one invoice as the API returns it. Callers
// hold s.mu.
func (s *Simulator) invoiceBody(r *http.Request, inv *sessionInvoice, now time.Time) ksef.SessionInvoiceStatusResponse {
	out := ksef.SessionInvoiceStatusResponse{
		OrdinalNumber:   int32(inv.ordinal),
		ReferenceNumber: inv.ref,
		InvoiceHash:     inv.hash,
		InvoicingDate:   inv.sentAt,
		InvoicingMode:   ksef.InvoicingMode(inv.mode()),
		Status:          inv.statusAt(now),
		InvoiceFileName: inv.fileName,
	}
	if !inv.done(now) {
		return out
	}
	out.InvoiceNumber = inv.invoiceNumber
	if inv.status.Code == 200 {
		ready := inv.readyAt
		exp := now.Add(upoURLLifetime).Truncate(time.Second)
		out.KSeFNumber = inv.ksefNumber
		out.AcquisitionDate = &ready
		out.PermanentStorageDate = &ready
		out.UpoDownloadURL = s.presign(r, inv.session.ref, inv.ref, exp)
		out.UpoDownloadURLExpirationDate = &exp
	}
	return out
}

// mode is the invoicing mode: Offline when the client said so, or when the
// issue date lies before the day of sending (automatic offline mode).
func (inv *sessionInvoice) mode() string {
	if inv.offline {
		return "Offline"
	}
	sent := inv.sentAt.In(warsaw())
	day := time.Date(sent.Year(), sent.Month(), sent.Day(), 0, 0, 0, 0, time.UTC)
	if !inv.issueDate.IsZero() && inv.issueDate.Before(day) {
		return "Offline"
	}
	return "Online"
}

// handleSessionInvoice serves GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}.
func (s *Simulator) handleSessionInvoice(w http.ResponseWriter, r *http.Request) *apiError {
	p, refs, e := s.requireRefs(r, readPermissions, "referenceNumber", "invoiceReferenceNumber")
	if e != nil {
		return e
	}
	ref, invRef := refs[0], refs[1]
	return s.inSession(p, ref, func(sess *onlineSession, now time.Time) *apiError {
		inv := s.st.online().invoices[invRef]
		if inv == nil || inv.session != sess {
			return validation("Faktura o numerze referencyjnym %s nie została znaleziona w sesji %s.", invRef, ref)
		}
		writeOK(w, http.StatusOK, s.invoiceBody(r, inv, now))
		return nil
	})
}

// handleSessionInvoices serves GET /sessions/{referenceNumber}/invoices.
func (s *Simulator) handleSessionInvoices(w http.ResponseWriter, r *http.Request) *apiError {
	return s.listSessionInvoices(w, r, false)
}

// handleSessionFailedInvoices serves GET /sessions/{referenceNumber}/invoices/failed.
func (s *Simulator) handleSessionFailedInvoices(w http.ResponseWriter, r *http.Request) *apiError {
	return s.listSessionInvoices(w, r, true)
}

func (s *Simulator) listSessionInvoices(w http.ResponseWriter, r *http.Request, failedOnly bool) *apiError {
	p, refs, e := s.requireRefs(r, readPermissions, "referenceNumber")
	if e != nil {
		return e
	}
	ref := refs[0]
	kind := "session-invoices:" + ref
	if failedOnly {
		kind = "session-invoices-failed:" + ref
	}
	size, offset, e := pageParams(r, 1000, kind)
	if e != nil {
		return e
	}
	return s.inSession(p, ref, func(sess *onlineSession, now time.Time) *apiError {
		var items []*sessionInvoice
		for _, inv := range sess.invoices {
			if failedOnly && (!inv.done(now) || inv.status.Code == 200) {
				continue
			}
			items = append(items, inv)
		}
		pg, next := page(items, offset, size, kind)
		out := ksef.SessionInvoicesResponse{Invoices: []ksef.SessionInvoiceStatusResponse{}, ContinuationToken: next}
		for _, inv := range pg {
			out.Invoices = append(out.Invoices, s.invoiceBody(r, inv, now))
		}
		writeOK(w, http.StatusOK, out)
		return nil
	})
}

// commonStatus maps a session status code onto the filter values of GET
// /sessions.
func commonStatus(code int32) ksef.CommonSessionStatus {
	switch code {
	case 100, 150, 170:
		return ksef.CommonSessionStatusInProgress
	case 200:
		return ksef.CommonSessionStatusSucceeded
	case 440:
		return ksef.CommonSessionStatusCancelled
	}
	return ksef.CommonSessionStatusFailed
}

// handleListSessions serves GET /sessions. Callers with Introspection or
// EnforcementOperations see every session of the context; others only the
// sessions they opened.
func (s *Simulator) handleListSessions(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requirePermission(r, readPermissions...)
	if e != nil {
		return e
	}
	q := r.URL.Query()
	size, e := pageSize(r, 10, 10, 1000)
	if e != nil {
		return e
	}
	typ := q.Get("sessionType")
	if typ != "Online" && typ != "Batch" {
		return validation("sessionType: wymagana wartość Online lub Batch.")
	}
	refFilter := q.Get("referenceNumber")
	if refFilter != "" {
		if e := checkRef(refFilter); e != nil {
			return e
		}
	}
	var ranges [6]*time.Time
	for i, name := range []string{"dateCreatedFrom", "dateCreatedTo", "dateClosedFrom", "dateClosedTo", "dateModifiedFrom", "dateModifiedTo"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return validation("%s: nieprawidłowa data %q.", name, v)
		}
		ranges[i] = &t
	}
	var statuses []ksef.CommonSessionStatus
	for _, v := range q["statuses"] {
		switch st := ksef.CommonSessionStatus(v); st {
		case ksef.CommonSessionStatusInProgress, ksef.CommonSessionStatusSucceeded, ksef.CommonSessionStatusFailed, ksef.CommonSessionStatusCancelled:
			statuses = append(statuses, st)
		default:
			return validation("statuses: nieznany status %q.", v)
		}
	}
	offset, e := decodeContinuation(r, "sessions")
	if e != nil {
		return e
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	all := p.hasAny("Introspection", "EnforcementOperations")
	me := normSubject(p.op.subject)
	in := func(t time.Time, from, to *time.Time) bool {
		return (from == nil || !t.Before(*from)) && (to == nil || !t.After(*to))
	}
	var items []ksef.SessionsQueryResponseItem
	for _, sess := range slices.Backward(s.st.online().order) {
		if sess.ctx != p.ctx() || (!all && sess.creator != me) || !sessionKindMatches(sess, typ) {
			continue
		}
		if refFilter != "" && sess.ref != refFilter {
			continue
		}
		st := s.sessionStatusAt(sess, now)
		updated := sess.dateUpdated(now, s.cfg.processingDelay)
		if !in(sess.created, ranges[0], ranges[1]) || !in(updated, ranges[4], ranges[5]) {
			continue
		}
		if ranges[2] != nil || ranges[3] != nil {
			closed, ok := sess.closeTime(now)
			if !ok || !in(closed, ranges[2], ranges[3]) {
				continue
			}
		}
		if len(statuses) > 0 && !slices.Contains(statuses, commonStatus(st.Code)) {
			continue
		}
		total, ok, failed := sess.counts(now)
		items = append(items, ksef.SessionsQueryResponseItem{
			ReferenceNumber:        sess.ref,
			Status:                 st,
			DateCreated:            sess.created,
			DateUpdated:            updated,
			ValidUntil:             &sess.validUntil,
			TotalInvoiceCount:      total,
			SuccessfulInvoiceCount: ok,
			FailedInvoiceCount:     failed,
		})
	}
	var out ksef.SessionsQueryResponse
	out.Sessions, out.ContinuationToken = page(items, offset, size, "sessions")
	writeOK(w, http.StatusOK, out)
	return nil
}
