package ksef

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"
)

// CertificatesService obtains and manages KSeF certificates of the
// authenticated subject: type Authentication (log in by XAdES) and type
// Offline (sign KOD II links). Enrollment needs a session authenticated by
// XAdES (not by a KSeF token). Build the CSR with
// credentials.NewCSR from the attributes of
// [CertificatesService.EnrollmentData]. It is reachable from an
// [AuthenticatedClient] (field Certificates).
type CertificatesService service

// ErrEnrollmentRejected is matched by the error of
// [CertificatesService.WaitEnrollment] when KSeF rejects a certificate
// request (status 400 and above).
var ErrEnrollmentRejected = errors.New("ksef: certificate enrollment rejected")

func init() {
	for _, code := range []int{400, 500, 550} {
		registerStatusSentinel("certificate", code, ErrEnrollmentRejected)
	}
}

var certSerialPattern = regexp.MustCompile(`^[0-9A-F]{16}$`)

func checkCertSerial(op, serial string) error {
	if !certSerialPattern.MatchString(serial) {
		return fmt.Errorf("ksef: %s: certificate serial number must be 16 uppercase hex digits, got %q", op, SanitizeText(serial))
	}
	return nil
}

// Limits returns how many enrollments and certificates the subject has
// left and whether it may file a request now.
//
// KSeF API: GET /certificates/limits
func (s *CertificatesService) Limits(ctx context.Context) (*CertificateLimitsResponse, error) {
	return call[CertificateLimitsResponse](ctx, s.c, &request{op: OpCertificateLimits})
}

// EnrollmentData returns the distinguished-name attributes the CSR must
// carry, exactly: they come from the certificate the session was
// authenticated with. A session authenticated with a KSeF token gets
// 400/25001 ([CodeCSRDataUnavailable]).
//
// KSeF API: GET /certificates/enrollments/data
func (s *CertificatesService) EnrollmentData(ctx context.Context) (*CertificateEnrollmentDataResponse, error) {
	return call[CertificateEnrollmentDataResponse](ctx, s.c, &request{op: OpCertificateEnrollmentData})
}

// Enroll files a certificate request: a name (5-100 characters), the type
// and the DER PKCS#10 CSR. KSeF answers with a reference number; wait for
// the certificate with [CertificatesService.WaitEnrollment]. Enroll is not
// repeated after an ambiguous failure (it would file a second request);
// list the certificates with [CertificatesService.Query] instead.
//
// KSeF API: POST /certificates/enrollments
func (s *CertificatesService) Enroll(ctx context.Context, req *EnrollCertificateRequest) (*EnrollCertificateResponse, error) {
	if req == nil {
		return nil, errors.New("ksef: Certificates.Enroll: nil request")
	}
	if n := utf8.RuneCountInString(req.CertificateName); n < 5 || n > 100 {
		return nil, fmt.Errorf("ksef: Certificates.Enroll: certificate name must have 5-100 characters, has %d", n)
	}
	if req.CertificateType != KsefCertificateTypeAuthentication && req.CertificateType != KsefCertificateTypeOffline {
		return nil, fmt.Errorf("ksef: Certificates.Enroll: unknown certificate type %q", SanitizeText(string(req.CertificateType)))
	}
	if len(req.Csr) == 0 {
		return nil, errors.New("ksef: Certificates.Enroll: empty CSR")
	}
	return call[EnrollCertificateResponse](ctx, s.c, &request{op: OpCertificateEnroll, body: req})
}

// EnrollmentStatus returns the status of a certificate request: 100 in
// progress, 200 issued (CertificateSerialNumber set), 400 and above
// rejected. KSeF keeps it 30 days (then 410, [ErrGone]).
//
// KSeF API: GET /certificates/enrollments/{referenceNumber}
func (s *CertificatesService) EnrollmentStatus(ctx context.Context, referenceNumber string) (*CertificateEnrollmentStatusResponse, error) {
	return call[CertificateEnrollmentStatusResponse](ctx, s.c, &request{op: OpCertificateEnrollmentStatus, pathArgs: []string{referenceNumber}})
}

// WaitEnrollment polls a certificate request until KSeF has processed it.
// It returns the status with the certificate's serial number on success,
// and the status with an error matching [ErrEnrollmentRejected] (a
// *[StatusError]) when KSeF rejected it. The wait is bounded by
// opts.Timeout (default [DefaultWaitTimeout]) and ctx.
func (s *CertificatesService) WaitEnrollment(ctx context.Context, referenceNumber string, opts *WaitOptions) (*CertificateEnrollmentStatusResponse, error) {
	var last *CertificateEnrollmentStatusResponse
	err := poll(ctx, "certificate enrollment "+referenceNumber, opts, s.c.cfg.retry.MaxDelay, func(ctx context.Context) (bool, string, error) {
		st, err := s.EnrollmentStatus(ctx, referenceNumber)
		if err != nil {
			return false, "", err
		}
		last = st
		return st.Status.Code >= 200, strconv.Itoa(int(st.Status.Code)), nil
	})
	if err != nil {
		return nil, err
	}
	if last.Status.Code != 200 {
		return last, newStatusError("certificate", referenceNumber, last.Status)
	}
	return last, nil
}

// Retrieve downloads issued certificates (DER) by serial number, 1 to 10
// at a time.
//
// KSeF API: POST /certificates/retrieve
func (s *CertificatesService) Retrieve(ctx context.Context, serialNumbers ...string) (*RetrieveCertificatesResponse, error) {
	if len(serialNumbers) == 0 || len(serialNumbers) > 10 {
		return nil, fmt.Errorf("ksef: Certificates.Retrieve: 1-10 serial numbers, got %d", len(serialNumbers))
	}
	for _, sn := range serialNumbers {
		if err := checkCertSerial("Certificates.Retrieve", sn); err != nil {
			return nil, err
		}
	}
	return call[RetrieveCertificatesResponse](ctx, s.c, &request{op: OpCertificatesRetrieve,
		body: &RetrieveCertificatesRequest{CertificateSerialNumbers: serialNumbers}})
}

// RetrieveX509 downloads one certificate and parses it.
func (s *CertificatesService) RetrieveX509(ctx context.Context, serialNumber string) (*x509.Certificate, error) {
	res, err := s.Retrieve(ctx, serialNumber)
	if err != nil {
		return nil, err
	}
	for _, c := range res.Certificates {
		if c.CertificateSerialNumber == serialNumber {
			cert, err := x509.ParseCertificate(c.Certificate)
			if err != nil {
				return nil, fmt.Errorf("ksef: certificate %s: %w", serialNumber, err)
			}
			return cert, nil
		}
	}
	return nil, fmt.Errorf("ksef: certificate %s not in the answer", serialNumber)
}

// QueryCertificatesParams are the paging inputs of
// [CertificatesService.Query].
type QueryCertificatesParams struct {
	// PageSize is the page size (10-50; 0 = server default of 10).
	PageSize int
	// PageOffset is the page number, from 0.
	PageOffset int
}

// Query returns one page of the metadata of the subject's certificates
// matching filter (nil: all). See [CertificatesService.QueryAll].
//
// KSeF API: POST /certificates/query
func (s *CertificatesService) Query(ctx context.Context, filter *QueryCertificatesRequest, p *QueryCertificatesParams) (*QueryCertificatesResponse, error) {
	if filter == nil {
		filter = &QueryCertificatesRequest{}
	}
	r := &request{op: OpCertificatesQuery, body: filter}
	if p != nil {
		if p.PageSize != 0 && (p.PageSize < 10 || p.PageSize > 50) {
			return nil, fmt.Errorf("ksef: Certificates.Query: page size must be 10-50, got %d", p.PageSize)
		}
		q := url.Values{}
		if p.PageSize > 0 {
			q.Set("pageSize", strconv.Itoa(p.PageSize))
		}
		if p.PageOffset > 0 {
			q.Set("pageOffset", strconv.Itoa(p.PageOffset))
		}
		if len(q) > 0 {
			r.query = q
		}
	}
	return call[QueryCertificatesResponse](ctx, s.c, r)
}

// QueryAll iterates over every certificate matching filter, page by page.
// On error it yields it once and stops.
func (s *CertificatesService) QueryAll(ctx context.Context, filter *QueryCertificatesRequest, p *QueryCertificatesParams) iter.Seq2[CertificateListItem, error] {
	var params QueryCertificatesParams
	if p != nil {
		params = *p
	}
	return pagesByOffset(ctx, params.PageOffset, func(ctx context.Context, offset int) ([]CertificateListItem, bool, error) {
		q := params
		q.PageOffset = offset
		page, err := s.Query(ctx, filter, &q)
		if err != nil {
			return nil, false, err
		}
		return page.Certificates, page.HasMore, nil
	})
}

// Revoke revokes one of the subject's certificates (reason optional). A
// certificate already revoked, blocked or expired gives 400/25009, an
// unknown serial 400/25008.
//
// KSeF API: POST /certificates/{certificateSerialNumber}/revoke
func (s *CertificatesService) Revoke(ctx context.Context, serialNumber string, reason CertificateRevocationReason) error {
	if err := checkCertSerial("Certificates.Revoke", serialNumber); err != nil {
		return err
	}
	_, err := s.c.do(ctx, &request{op: OpCertificateRevoke, pathArgs: []string{serialNumber},
		body: &RevokeCertificateRequest{RevocationReason: reason}})
	return err
}

// TestSetValidTo moves the expiry of one of the subject's certificates
// earlier (TEST only; it can never be extended), to test expired
// certificates without waiting.
//
// KSeF API: PUT /testdata/certificates/{serialNumber}
func (s *CertificatesService) TestSetValidTo(ctx context.Context, serialNumber string, validTo time.Time) error {
	if err := checkCertSerial("Certificates.TestSetValidTo", serialNumber); err != nil {
		return err
	}
	_, err := s.c.do(ctx, &request{op: OpTestDataCertificateUpdate, pathArgs: []string{serialNumber},
		body: &TestDataUpdateCertificateRequest{ValidTo: validTo.UTC()}})
	return err
}

func init() {
	outcomeAdvice[OpCertificateEnroll] = "do not repeat blindly: query the certificates (POST /certificates/query) or check the limits; " +
		"a request that went through appears there after processing"
	outcomeAdvice[OpCertificateRevoke] = "query the certificate (POST /certificates/query): a second revocation of a revoked certificate fails with 25009"
	outcomeAdvice[OpCollectiveIdentifierCreate] = "look the identifier up by one of its KSeF numbers (GET /collective-identifiers/ksef/{ksefNumber}) before creating it again"
	outcomeAdvice[OpTestDataSessionLimitsSet] = "read the limits (GET /limits/context) or set them again: setting is idempotent in effect"
	outcomeAdvice[OpTestDataCertificateLimitsSet] = "read the limits (GET /limits/subject) or set them again: setting is idempotent in effect"
	outcomeAdvice[OpTestDataRateLimitsSet] = "read the limits (GET /rate-limits) or set them again: setting is idempotent in effect"
	outcomeAdvice[OpTestDataRateLimitsProduction] = "read the limits (GET /rate-limits) or apply the profile again"
	outcomeAdvice[OpTestDataAttachmentGrant] = "check GET /permissions/attachments/status or enable attachments again"
	outcomeAdvice[OpTestDataAttachmentRevoke] = "check GET /permissions/attachments/status or revoke again"
}
