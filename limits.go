package ksef

import (
	"context"
	"errors"
	"fmt"
)

// LimitsService reads the limits that apply to the authenticated context
// and subject (session sizes, collective identifiers, certificates, API
// rate limits) and, on TEST, changes them. It is reachable from an
// [AuthenticatedClient] (field Limits).
type LimitsService service

// Context returns the effective limits of the current context: online and
// batch session sizes and invoice counts, and the number of invoices a
// collective identifier may group.
//
// KSeF API: GET /limits/context
func (s *LimitsService) Context(ctx context.Context) (*EffectiveContextLimits, error) {
	return call[EffectiveContextLimits](ctx, s.c, &request{op: OpLimitsContext})
}

// Subject returns the effective certificate limits of the authenticated
// subject (enrollments and held certificates).
//
// KSeF API: GET /limits/subject
func (s *LimitsService) Subject(ctx context.Context) (*EffectiveSubjectLimits, error) {
	return call[EffectiveSubjectLimits](ctx, s.c, &request{op: OpLimitsSubject})
}

// RateLimits returns the API rate limits in force for the current context,
// per rate-limit group. See [EffectiveApiRateLimits.Groups] for the map the
// client's pacing uses, and [LimitsService.PaceFromServer].
//
// KSeF API: GET /rate-limits
func (s *LimitsService) RateLimits(ctx context.Context) (*EffectiveApiRateLimits, error) {
	return call[EffectiveApiRateLimits](ctx, s.c, &request{op: OpRateLimits})
}

// PaceFromServer reads GET /rate-limits and makes the client's pacing use
// those limits instead of the built-in table ([DefaultRateLimits]): after
// custom limits were set on TEST, or when KSeF changes its published
// values. It returns the limits applied. With pacing off
// ([WithoutPacing], or [WithBaseURL] without [WithRateLimits]) nothing is
// paced and only the limits are returned.
func (s *LimitsService) PaceFromServer(ctx context.Context) (map[RateLimitGroup]RateLimit, error) {
	l, err := s.RateLimits(ctx)
	if err != nil {
		return nil, err
	}
	g := l.Groups()
	s.c.SetRateLimits(g)
	return g, nil
}

// Groups returns the limits by rate-limit group, in the form of
// [DefaultRateLimits]: a negative value (KSeF's -1, "no limit in this
// window") becomes 0.
func (l *EffectiveApiRateLimits) Groups() map[RateLimitGroup]RateLimit {
	conv := func(v EffectiveApiRateLimitValues) RateLimit {
		return RateLimit{PerSecond: max(int(v.PerSecond), 0), PerMinute: max(int(v.PerMinute), 0), PerHour: max(int(v.PerHour), 0)}
	}
	return map[RateLimitGroup]RateLimit{
		GroupOnlineSession:       conv(l.OnlineSession),
		GroupOnlineSessionClose:  conv(l.OnlineSessionClose),
		GroupBatchSession:        conv(l.BatchSession),
		GroupBatchSessionClose:   conv(l.BatchSessionClose),
		GroupInvoiceSend:         conv(l.InvoiceSend),
		GroupInvoiceStatus:       conv(l.InvoiceStatus),
		GroupSessionList:         conv(l.SessionList),
		GroupSessionInvoiceList:  conv(l.SessionInvoiceList),
		GroupSessionMisc:         conv(l.SessionMisc),
		GroupInvoiceMetadata:     conv(l.InvoiceMetadata),
		GroupInvoiceExport:       conv(l.InvoiceExport),
		GroupInvoiceExportStatus: conv(l.InvoiceExportStatus),
		GroupInvoiceDownload:     conv(l.InvoiceDownload),
		GroupCollectiveID:        conv(l.CollectiveIdentifier),
		GroupOther:               conv(l.Other),
		GroupAnonymous:           conv(l.Anonymous),
		"global":                 conv(l.Global),
	}
}

// RateLimitsOverride builds the body of [LimitsService.SetRateLimits] from
// limits by group: the 13 groups POST /testdata/rate-limits takes (the
// close, anonymous and global groups cannot be set). Groups missing from
// limits keep their value in [DefaultRateLimits].
func RateLimitsOverride(limits map[RateLimitGroup]RateLimit) *SetRateLimitsRequest {
	all := DefaultRateLimits()
	for g, l := range limits {
		all[g] = l
	}
	v := func(g RateLimitGroup) ApiRateLimitValuesOverride {
		l := all[g]
		return ApiRateLimitValuesOverride{PerSecond: int32(l.PerSecond), PerMinute: int32(l.PerMinute), PerHour: int32(l.PerHour)}
	}
	return &SetRateLimitsRequest{RateLimits: ApiRateLimitsOverride{
		OnlineSession: v(GroupOnlineSession), BatchSession: v(GroupBatchSession), InvoiceSend: v(GroupInvoiceSend),
		InvoiceStatus: v(GroupInvoiceStatus), SessionList: v(GroupSessionList), SessionInvoiceList: v(GroupSessionInvoiceList),
		SessionMisc: v(GroupSessionMisc), InvoiceMetadata: v(GroupInvoiceMetadata), InvoiceExport: v(GroupInvoiceExport),
		InvoiceExportStatus: v(GroupInvoiceExportStatus), InvoiceDownload: v(GroupInvoiceDownload),
		CollectiveIdentifier: v(GroupCollectiveID), Other: v(GroupOther),
	}}
}

// SetSessionLimits overrides the session limits of the current context
// (TEST only): online and batch session sizes and invoice counts, and the
// number of invoices per collective identifier (2-5000). All three parts
// are required since API 2.8.1.
//
// KSeF API: POST /testdata/limits/context/session
func (s *LimitsService) SetSessionLimits(ctx context.Context, req *SetSessionLimitsRequest) error {
	if req == nil {
		return errors.New("ksef: Limits.SetSessionLimits: nil request")
	}
	if n := req.CollectiveIdentifier.MaxInvoices; n < 2 || n > 5000 {
		return fmt.Errorf("ksef: Limits.SetSessionLimits: collectiveIdentifier.maxInvoices must be 2-5000, got %d", n)
	}
	_, err := s.c.do(ctx, &request{op: OpTestDataSessionLimitsSet, body: req})
	return err
}

// ResetSessionLimits restores the default session limits of the current
// context (TEST only).
//
// KSeF API: DELETE /testdata/limits/context/session
func (s *LimitsService) ResetSessionLimits(ctx context.Context) error {
	_, err := s.c.do(ctx, &request{op: OpTestDataSessionLimitsReset})
	return err
}

// SetCertificateLimits overrides the certificate limits of the
// authenticated subject (TEST only): how many enrollments it may file and
// how many active certificates it may hold.
//
// KSeF API: POST /testdata/limits/subject/certificate
func (s *LimitsService) SetCertificateLimits(ctx context.Context, req *SetSubjectLimitsRequest) error {
	if req == nil {
		return errors.New("ksef: Limits.SetCertificateLimits: nil request")
	}
	_, err := s.c.do(ctx, &request{op: OpTestDataCertificateLimitsSet, body: req})
	return err
}

// ResetCertificateLimits restores the default certificate limits of the
// authenticated subject (TEST only).
//
// KSeF API: DELETE /testdata/limits/subject/certificate
func (s *LimitsService) ResetCertificateLimits(ctx context.Context) error {
	_, err := s.c.do(ctx, &request{op: OpTestDataCertificateLimitsReset})
	return err
}

// SetRateLimits sets custom API rate limits for the current context (TEST
// only); build the body with [RateLimitsOverride]. The client's own pacing
// is not changed: call [LimitsService.PaceFromServer] afterwards.
//
// KSeF API: POST /testdata/rate-limits
func (s *LimitsService) SetRateLimits(ctx context.Context, req *SetRateLimitsRequest) error {
	if req == nil {
		return errors.New("ksef: Limits.SetRateLimits: nil request")
	}
	_, err := s.c.do(ctx, &request{op: OpTestDataRateLimitsSet, body: req})
	return err
}

// ResetRateLimits restores the default API rate limits of the current
// context (TEST only).
//
// KSeF API: DELETE /testdata/rate-limits
func (s *LimitsService) ResetRateLimits(ctx context.Context) error {
	_, err := s.c.do(ctx, &request{op: OpTestDataRateLimitsReset})
	return err
}

// UseProductionRateLimits applies the production rate-limit profile to the
// current context (TEST only).
//
// KSeF API: POST /testdata/rate-limits/production
func (s *LimitsService) UseProductionRateLimits(ctx context.Context) error {
	_, err := s.c.do(ctx, &request{op: OpTestDataRateLimitsProduction})
	return err
}
