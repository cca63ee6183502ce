package ksefsim

import (
	"maps"
	"net/http"

	"github.com/ksef2/ksef"
)

// Default context limits (limity.md): invoice sizes in MB without and with
// attachments, and the number of invoices per collective identifier.
const (
	defaultMaxInvoiceSizeMB           = 1
	defaultMaxInvoiceWithAttachmentMB = 3
	defaultCollectiveMaxInvoices      = 500
)

// contextLimits returns the limits in force in context c: the override of
// POST /testdata/limits/context/session or the defaults. Callers hold s.mu.
func (s *Simulator) contextLimits(c ctxID) ksef.EffectiveContextLimits {
	if o := s.st.admin().sessionLimits[c]; o != nil {
		return ksef.EffectiveContextLimits{
			OnlineSession:        ksef.OnlineSessionEffectiveContextLimits(o.OnlineSession),
			BatchSession:         ksef.BatchSessionEffectiveContextLimits(o.BatchSession),
			CollectiveIdentifier: ksef.CollectiveIdentifierEffectiveContextLimits(o.CollectiveIdentifier),
		}
	}
	n := int32(s.invoiceLimit())
	return ksef.EffectiveContextLimits{
		OnlineSession: ksef.OnlineSessionEffectiveContextLimits{MaxInvoiceSizeInMB: defaultMaxInvoiceSizeMB,
			MaxInvoiceWithAttachmentSizeInMB: defaultMaxInvoiceWithAttachmentMB, MaxInvoices: n},
		BatchSession: ksef.BatchSessionEffectiveContextLimits{MaxInvoiceSizeInMB: defaultMaxInvoiceSizeMB,
			MaxInvoiceWithAttachmentSizeInMB: defaultMaxInvoiceWithAttachmentMB, MaxInvoices: n},
		CollectiveIdentifier: ksef.CollectiveIdentifierEffectiveContextLimits{MaxInvoices: defaultCollectiveMaxInvoices},
	}
}

// sessionInvoiceLimit is the number of invoices an online session of
// context c accepts (21155 beyond). Callers hold s.mu.
func (s *Simulator) sessionInvoiceLimit(c ctxID) int {
	return int(s.contextLimits(c).OnlineSession.MaxInvoices)
}

// handleContextLimits serves GET /limits/context.
func (s *Simulator) handleContextLimits(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	s.mu.Lock()
	out := s.contextLimits(p.ctx())
	s.mu.Unlock()
	writeOK(w, http.StatusOK, out)
	return nil
}

// handleSubjectLimits serves GET /limits/subject.
func (s *Simulator) handleSubjectLimits(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	s.mu.Lock()
	me, mc := s.st.certLimits(p.op.subject)
	s.mu.Unlock()
	e32, c32 := int32(me), int32(mc)
	writeOK(w, http.StatusOK, ksef.EffectiveSubjectLimits{
		Enrollment:  &ksef.EnrollmentEffectiveSubjectLimits{MaxEnrollments: &e32},
		Certificate: &ksef.CertificateEffectiveSubjectLimits{MaxCertificates: &c32},
	})
	return nil
}

// handleSetSessionLimits serves POST /testdata/limits/context/session. The
// override applies at once: online sends beyond onlineSession.maxInvoices
// get 21155, collective identifiers beyond collectiveIdentifier.maxInvoices
// 21405.
func (s *Simulator) handleSetSessionLimits(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	var req ksef.SetSessionLimitsRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	for _, v := range []struct {
		name     string
		val, max int32
	}{
		{"onlineSession.maxInvoiceSizeInMB", req.OnlineSession.MaxInvoiceSizeInMB, 5},
		{"onlineSession.maxInvoiceWithAttachmentSizeInMB", req.OnlineSession.MaxInvoiceWithAttachmentSizeInMB, 10},
		{"onlineSession.maxInvoices", req.OnlineSession.MaxInvoices, 100000},
		{"batchSession.maxInvoiceSizeInMB", req.BatchSession.MaxInvoiceSizeInMB, 5},
		{"batchSession.maxInvoiceWithAttachmentSizeInMB", req.BatchSession.MaxInvoiceWithAttachmentSizeInMB, 10},
		{"batchSession.maxInvoices", req.BatchSession.MaxInvoices, 100000},
	} {
		if v.val < 0 || v.val > v.max {
			return validation("%s: dozwolone wartości 0-%d, otrzymano %d.", v.name, v.max, v.val)
		}
	}
	if n := req.CollectiveIdentifier.MaxInvoices; n < 2 || n > 5000 {
		return validation("collectiveIdentifier.maxInvoices: dozwolone wartości 2-5000, otrzymano %d.", n)
	}
	s.mu.Lock()
	s.st.admin().sessionLimits[p.ctx()] = &req
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	return nil
}

// handleResetSessionLimits serves DELETE /testdata/limits/context/session.
func (s *Simulator) handleResetSessionLimits(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	s.mu.Lock()
	delete(s.st.admin().sessionLimits, p.ctx())
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	return nil
}

// handleSetCertificateLimits serves POST /testdata/limits/subject/certificate.
func (s *Simulator) handleSetCertificateLimits(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	var req ksef.SetSubjectLimitsRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	o := &subjectLimits{}
	if req.Enrollment != nil && req.Enrollment.MaxEnrollments != nil {
		if *req.Enrollment.MaxEnrollments < 0 {
			return validation("enrollment.maxEnrollments: wartość nie może być ujemna.")
		}
		o.enrollments = req.Enrollment.MaxEnrollments
	}
	if req.Certificate != nil && req.Certificate.MaxCertificates != nil {
		if *req.Certificate.MaxCertificates < 0 {
			return validation("certificate.maxCertificates: wartość nie może być ujemna.")
		}
		o.certificates = req.Certificate.MaxCertificates
	}
	s.mu.Lock()
	s.st.admin().subjectLimits[normSubject(p.op.subject)] = o
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	return nil
}

// handleResetCertificateLimits serves DELETE /testdata/limits/subject/certificate.
func (s *Simulator) handleResetCertificateLimits(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	s.mu.Lock()
	delete(s.st.admin().subjectLimits, normSubject(p.op.subject))
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	return nil
}

// limitOf returns the limit of group for the rate context ctx: the
// context's override, else (unless rate limiting is off) the simulator's.
// Callers hold l.mu.
func (l *rateLimiter) limitOf(group ksef.RateLimitGroup, ctx string) (RateLimit, bool) {
	if o, ok := l.overrides[ctx]; ok {
		if lim, ok := o[group]; ok {
			return lim, true
		}
	}
	if l.off {
		return RateLimit{}, false
	}
	lim, ok := l.limits[group]
	return lim, ok
}

// effective returns the limits in force for ctx, every group.
func (l *rateLimiter) effective(ctx string) map[ksef.RateLimitGroup]RateLimit {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := DefaultRateLimits()
	maps.Copy(out, l.limits)
	maps.Copy(out, l.overrides[ctx])
	return out
}

// setOverride sets (or with nil removes) the limits of ctx.
func (l *rateLimiter) setOverride(ctx string, m map[ksef.RateLimitGroup]RateLimit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if m == nil {
		delete(l.overrides, ctx)
		return
	}
	if l.overrides == nil {
		l.overrides = map[string]map[ksef.RateLimitGroup]RateLimit{}
	}
	l.overrides[ctx] = m
}

// wireLimit writes a limit as GET /rate-limits does (-1: no limit).
func wireLimit(l RateLimit) ksef.EffectiveApiRateLimitValues {
	v := func(n int) int32 {
		if n <= 0 {
			return -1
		}
		return int32(n)
	}
	return ksef.EffectiveApiRateLimitValues{PerSecond: v(l.PerSecond), PerMinute: v(l.PerMinute), PerHour: v(l.PerHour)}
}

// handleRateLimits serves GET /rate-limits: the limits in force for the
// caller's context (17 groups).
func (s *Simulator) handleRateLimits(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	m := s.limiter.effective(p.ctx().String())
	writeOK(w, http.StatusOK, ksef.EffectiveApiRateLimits{
		OnlineSession: wireLimit(m[ksef.GroupOnlineSession]), OnlineSessionClose: wireLimit(m[ksef.GroupOnlineSessionClose]),
		BatchSession: wireLimit(m[ksef.GroupBatchSession]), BatchSessionClose: wireLimit(m[ksef.GroupBatchSessionClose]),
		InvoiceSend: wireLimit(m[ksef.GroupInvoiceSend]), InvoiceStatus: wireLimit(m[ksef.GroupInvoiceStatus]),
		SessionList: wireLimit(m[ksef.GroupSessionList]), SessionInvoiceList: wireLimit(m[ksef.GroupSessionInvoiceList]),
		SessionMisc: wireLimit(m[ksef.GroupSessionMisc]), InvoiceMetadata: wireLimit(m[ksef.GroupInvoiceMetadata]),
		InvoiceExport: wireLimit(m[ksef.GroupInvoiceExport]), InvoiceExportStatus: wireLimit(m[ksef.GroupInvoiceExportStatus]),
		InvoiceDownload: wireLimit(m[ksef.GroupInvoiceDownload]), CollectiveIdentifier: wireLimit(m[ksef.GroupCollectiveID]),
		Other: wireLimit(m[ksef.GroupOther]), Anonymous: wireLimit(m[ksef.GroupAnonymous]), Global: wireLimit(m[GroupGlobal]),
	})
	return nil
}

// handleSetRateLimits serves POST /testdata/rate-limits: the 13 settable
// groups of the caller's context get the given limits at once (later
// requests of the context are counted against them, 429 beyond).
func (s *Simulator) handleSetRateLimits(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	var req ksef.SetRateLimitsRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	o := req.RateLimits
	in := map[ksef.RateLimitGroup]ksef.ApiRateLimitValuesOverride{
		ksef.GroupOnlineSession: o.OnlineSession, ksef.GroupBatchSession: o.BatchSession, ksef.GroupInvoiceSend: o.InvoiceSend,
		ksef.GroupInvoiceStatus: o.InvoiceStatus, ksef.GroupSessionList: o.SessionList, ksef.GroupSessionInvoiceList: o.SessionInvoiceList,
		ksef.GroupSessionMisc: o.SessionMisc, ksef.GroupInvoiceMetadata: o.InvoiceMetadata, ksef.GroupInvoiceExport: o.InvoiceExport,
		ksef.GroupInvoiceExportStatus: o.InvoiceExportStatus, ksef.GroupInvoiceDownload: o.InvoiceDownload,
		ksef.GroupCollectiveID: o.CollectiveIdentifier, ksef.GroupOther: o.Other,
	}
	m := map[ksef.RateLimitGroup]RateLimit{}
	for g, v := range in {
		if v.PerSecond <= 0 || v.PerMinute <= 0 || v.PerHour <= 0 {
			return validation("rateLimits.%s: limity muszą być dodatnie (wymagane wszystkie grupy).", g)
		}
		m[g] = RateLimit{PerSecond: int(v.PerSecond), PerMinute: int(v.PerMinute), PerHour: int(v.PerHour)}
	}
	s.limiter.setOverride(p.ctx().String(), m)
	w.WriteHeader(http.StatusOK)
	return nil
}

// handleResetRateLimits serves DELETE /testdata/rate-limits.
func (s *Simulator) handleResetRateLimits(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	s.limiter.setOverride(p.ctx().String(), nil)
	w.WriteHeader(http.StatusOK)
	return nil
}

// handleProductionRateLimits serves POST /testdata/rate-limits/production:
// the caller's context gets the published production limits
// ([DefaultRateLimits]), enforced even when the simulator runs without
// rate limits.
func (s *Simulator) handleProductionRateLimits(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	s.limiter.setOverride(p.ctx().String(), DefaultRateLimits())
	w.WriteHeader(http.StatusOK)
	return nil
}
