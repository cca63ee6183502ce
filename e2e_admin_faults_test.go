package ksef_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
)

// adminFaultCases are the after-processing fault cases of the
// certificate, limit, collective-identifier and test-data operations (see
// TestAfterProcessingFaults).
func adminFaultCases() map[string]faultCase {
	noEffect := func(t *testing.T) {}
	// withCert logs in and obtains one Authentication certificate.
	withCert := func(t *testing.T, e *faultEnv) (*ksef.AuthenticatedClient, string, []byte) {
		_, a := loginSeal(t, e.sim, e.c)
		_, _, serial := enroll(t, a, ksef.KsefCertificateTypeAuthentication, credentials.ECP256, "Certyfikat awarii")
		return a, serial, nil
	}
	limits := &ksef.SetSessionLimitsRequest{
		OnlineSession:        ksef.OnlineSessionContextLimitsOverride{MaxInvoiceSizeInMB: 1, MaxInvoiceWithAttachmentSizeInMB: 3, MaxInvoices: 7},
		BatchSession:         ksef.BatchSessionContextLimitsOverride{MaxInvoiceSizeInMB: 1, MaxInvoiceWithAttachmentSizeInMB: 3, MaxInvoices: 7},
		CollectiveIdentifier: ksef.CollectiveIdentifierContextLimitsOverride{MaxInvoices: 7},
	}
	seven := int32(7)
	certLimits := &ksef.SetSubjectLimitsRequest{Certificate: &ksef.CertificateSubjectLimitsOverride{MaxCertificates: &seven}}
	rates := ksef.RateLimitsOverride(map[ksef.RateLimitGroup]ksef.RateLimit{ksef.GroupOther: {77, 777, 7777}})
	sessionLimit := func(a *ksef.AuthenticatedClient, want int32) func(t *testing.T) {
		return func(t *testing.T) {
			l, err := a.Limits.Context(t.Context())
			if err != nil || l.OnlineSession.MaxInvoices != want {
				t.Errorf("online maxInvoices %+v (%v), want %d", l, err, want)
			}
		}
	}
	certLimit := func(a *ksef.AuthenticatedClient, want int32) func(t *testing.T) {
		return func(t *testing.T) {
			l, err := a.Limits.Subject(t.Context())
			if err != nil || *l.Certificate.MaxCertificates != want {
				t.Errorf("subject limits %+v (%v), want %d", l, err, want)
			}
		}
	}
	otherRate := func(a *ksef.AuthenticatedClient, want int32) func(t *testing.T) {
		return func(t *testing.T) {
			l, err := a.Limits.RateLimits(t.Context())
			if err != nil || l.Other.PerSecond != want {
				t.Errorf("rate limits %+v (%v), want other %d/s", l, err, want)
			}
		}
	}
	attachments := func(e *faultEnv, nip string, want bool) func(t *testing.T) {
		return func(t *testing.T) {
			if ok := e.sim.AttachmentsAllowed(nip); ok != want {
				t.Errorf("attachments allowed %v, want %v", ok, want)
			}
		}
	}
	return map[string]faultCase{
		"POST /certificates/enrollments": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			data, err := a.Certificates.EnrollmentData(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			key, _ := credentials.NewKey(credentials.ECP256)
			csr := must(credentials.NewCSR(key, enrollmentSubject(data)))
			return func(ctx context.Context) error {
					_, err := a.Certificates.Enroll(ctx, &ksef.EnrollCertificateRequest{CertificateName: "Certyfikat awarii", CertificateType: ksef.KsefCertificateTypeOffline, Csr: csr})
					return err
				}, func(t *testing.T) {
					lim, err := a.Certificates.Limits(t.Context())
					if err != nil || lim.Enrollment.Remaining != lim.Enrollment.Limit-1 {
						t.Errorf("enrollments after one request: %+v %v", lim, err)
					}
				}
		}},
		"POST /certificates/query": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			return func(ctx context.Context) error { _, err := a.Certificates.Query(ctx, nil, nil); return err }, noEffect
		}},
		"POST /certificates/retrieve": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			a, serial, _ := withCert(t, e)
			return func(ctx context.Context) error { _, err := a.Certificates.Retrieve(ctx, serial); return err }, noEffect
		}},
		"POST /certificates/{certificateSerialNumber}/revoke": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			a, serial, _ := withCert(t, e)
			return func(ctx context.Context) error { return a.Certificates.Revoke(ctx, serial, "") }, func(t *testing.T) {
				res, err := a.Certificates.Query(t.Context(), &ksef.QueryCertificatesRequest{CertificateSerialNumber: serial}, nil)
				if err != nil || len(res.Certificates) != 1 || res.Certificates[0].Status != ksef.CertificateListItemStatusRevoked {
					t.Errorf("not revoked: %+v %v", res, err)
				}
			}
		}},
		"PUT /testdata/certificates/{serialNumber}": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			a, serial, _ := withCert(t, e)
			at := time.Now().Add(-time.Minute)
			return func(ctx context.Context) error { return a.Certificates.TestSetValidTo(ctx, serial, at) }, func(t *testing.T) {
				res, err := a.Certificates.Query(t.Context(), &ksef.QueryCertificatesRequest{Status: ksef.CertificateListItemStatusExpired}, nil)
				if err != nil || len(res.Certificates) != 1 {
					t.Errorf("not expired: %+v %v", res, err)
				}
			}
		}},
		"POST /collective-identifiers": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			id, a := loginSeal(t, e.sim, e.c)
			s, err := a.Sessions.OpenOnline(t.Context(), ksef.FormFA3, nil)
			if err != nil {
				t.Fatal(err)
			}
			var nums []ksef.CollectiveIdentifierInvoice
			for i := range 2 {
				sent, err := s.SendInvoice(t.Context(), fa3Invoice(t, id.NIP, fmt.Sprintf("FV/F/%d", i)), nil)
				if err != nil {
					t.Fatal(err)
				}
				st, err := s.WaitInvoice(t.Context(), sent.ReferenceNumber, fastWait)
				if err != nil {
					t.Fatal(err)
				}
				nums = append(nums, ksef.CollectiveIdentifierInvoice{KSeFNumber: st.KSeFNumber})
			}
			return func(ctx context.Context) error {
					_, err := a.CollectiveIdentifiers.Create(ctx, &ksef.GenerateCollectiveIdentifierRequest{Invoices: nums})
					return err
				}, func(t *testing.T) {
					res, err := a.CollectiveIdentifiers.ByKSeFNumber(t.Context(), nums[0].KSeFNumber, nil)
					if err != nil || len(res.CollectiveIdentifiers) != 1 {
						t.Errorf("identifiers after one create: %+v %v", res, err)
					}
				}
		}},
		"POST /collective-identifiers/query": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			now := time.Now()
			return func(ctx context.Context) error {
				_, err := a.CollectiveIdentifiers.Query(ctx, &ksef.CollectiveIdentifiersQueryRequest{DateCreatedFrom: now.Add(-time.Hour), DateCreatedTo: now}, nil)
				return err
			}, noEffect
		}},
		"POST /collective-identifiers/invoices": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			return func(ctx context.Context) error {
				_, err := a.CollectiveIdentifiers.Invoices(ctx, []string{"1111111111-IZ202607-65ED02180000-E7"}, nil)
				return err
			}, noEffect
		}},
		"POST /testdata/limits/context/session": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			return func(ctx context.Context) error { return a.Limits.SetSessionLimits(ctx, limits) }, sessionLimit(a, 7)
		}},
		"DELETE /testdata/limits/context/session": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			if err := a.Limits.SetSessionLimits(t.Context(), limits); err != nil {
				t.Fatal(err)
			}
			return a.Limits.ResetSessionLimits, sessionLimit(a, 10000)
		}},
		"POST /testdata/limits/subject/certificate": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			return func(ctx context.Context) error { return a.Limits.SetCertificateLimits(ctx, certLimits) }, certLimit(a, 7)
		}},
		"DELETE /testdata/limits/subject/certificate": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			if err := a.Limits.SetCertificateLimits(t.Context(), certLimits); err != nil {
				t.Fatal(err)
			}
			return a.Limits.ResetCertificateLimits, certLimit(a, 100)
		}},
		"POST /testdata/rate-limits": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			return func(ctx context.Context) error { return a.Limits.SetRateLimits(ctx, rates) }, otherRate(a, 77)
		}},
		"DELETE /testdata/rate-limits": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			if err := a.Limits.SetRateLimits(t.Context(), rates); err != nil {
				t.Fatal(err)
			}
			return a.Limits.ResetRateLimits, otherRate(a, 10)
		}},
		"POST /testdata/rate-limits/production": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			if err := a.Limits.SetRateLimits(t.Context(), rates); err != nil {
				t.Fatal(err)
			}
			return a.Limits.UseProductionRateLimits, otherRate(a, 10)
		}},
		"POST /testdata/attachment": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			nip := string(ksef.RandomNIP(nil))
			return func(ctx context.Context) error {
				return e.c.TestData.EnableAttachments(ctx, &ksef.AttachmentPermissionGrantRequest{Nip: nip})
			}, attachments(e, nip, true)
		}},
		"POST /testdata/attachment/revoke": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			nip := string(ksef.RandomNIP(nil))
			if err := e.c.TestData.EnableAttachments(t.Context(), &ksef.AttachmentPermissionGrantRequest{Nip: nip}); err != nil {
				t.Fatal(err)
			}
			return func(ctx context.Context) error {
				return e.c.TestData.RevokeAttachments(ctx, &ksef.AttachmentPermissionRevokeRequest{Nip: nip})
			}, attachments(e, nip, false)
		}},
	}
}
