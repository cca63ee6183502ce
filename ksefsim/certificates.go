package ksefsim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
)

// kindEnrollment is the kind segment of certificate enrollment reference
// numbers.
const kindEnrollment = "CE"

// ksefCertValidity is the validity of the KSeF certificates the simulator
// issues (from validFrom or the request).
const ksefCertValidity = 2 * 365 * 24 * time.Hour

// Default certificate limits per subject (limity.md): a NIP may file 300
// requests and hold 100 certificates, a PESEL or fingerprint 12 and 6.
const (
	defaultNIPEnrollments    = 300
	defaultNIPCertificates   = 100
	defaultOtherEnrollments  = 12
	defaultOtherCertificates = 6
)

var (
	certNamePattern   = regexp.MustCompile(`^[a-zA-Z0-9_\- ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]+$`)
	certSerialPattern = regexp.MustCompile(`^[0-9A-F]{16}$`)
)

// enrollment is one certificate request.
type enrollment struct {
	ref       string
	subject   subjectID
	requested time.Time
	readyAt   time.Time
	result    ksef.StatusInfo // final status, shown from readyAt
	serial    string          // set when result is 200
}

// ksefCert is one KSeF certificate issued by the simulator's CA.
type ksefCert struct {
	serial      string
	name        string
	typ         ksef.KsefCertificateType
	commonName  string
	subject     subjectID
	validFrom   time.Time
	validTo     time.Time // may be moved earlier by PUT /testdata/certificates
	requestDate time.Time
	issuedAt    time.Time // visible from then on
	revoked     bool
	der         []byte
	keyHash     [32]byte // SHA-256 of the SubjectPublicKeyInfo
	lastUse     *time.Time
}

func (c *ksefCert) status(now time.Time) ksef.CertificateListItemStatus {
	switch {
	case c.revoked:
		return ksef.CertificateListItemStatusRevoked
	case !now.Before(c.validTo):
		return ksef.CertificateListItemStatusExpired
	}
	return ksef.CertificateListItemStatusActive
}

// subjectLimits are the certificate limits of one subject set with
// POST /testdata/limits/subject/certificate (nil: default).
type subjectLimits struct {
	enrollments, certificates *int32
}

// certLimits returns the enrollment and certificate limits of sub. Callers
// hold s.mu.
func (st *state) certLimits(sub subjectID) (enrollments, certificates int) {
	enrollments, certificates = defaultOtherEnrollments, defaultOtherCertificates
	if sub.Type == subjNip {
		enrollments, certificates = defaultNIPEnrollments, defaultNIPCertificates
	}
	if o := st.admin().subjectLimits[normSubject(sub)]; o != nil {
		if o.enrollments != nil {
			enrollments = int(*o.enrollments)
		}
		if o.certificates != nil {
			certificates = int(*o.certificates)
		}
	}
	return enrollments, certificates
}

// certUsage returns how many enrollments sub filed and how many active
// certificates it holds (including requests still being processed that
// will issue one). Callers hold s.mu.
func (st *state) certUsage(sub subjectID, now time.Time) (enrollments, active int) {
	a := st.admin()
	sub = normSubject(sub)
	for _, e := range a.enrollments {
		if e.subject == sub {
			enrollments++
		}
	}
	for _, c := range a.certOrder {
		if c.subject == sub && c.status(now) == ksef.CertificateListItemStatusActive {
			active++
		}
	}
	return enrollments, active
}

// certificateAuthority returns the simulator's KSeF CA, creating it on
// first use. Callers hold s.mu.
func (s *Simulator) certificateAuthority() (*x509.Certificate, *ecdsa.PrivateKey) {
	a := s.st.admin()
	if a.ca == nil {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic("ksefsim: CA key: " + err.Error())
		}
		now := s.now()
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "ksefsim KSeF CA", Organization: []string{"ksefsim"}, Country: []string{"PL"}},
			NotBefore:             now.Add(-24 * time.Hour),
			NotAfter:              now.Add(20 * 365 * 24 * time.Hour),
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
			BasicConstraintsValid: true,
			IsCA:                  true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			panic("ksefsim: CA certificate: " + err.Error())
		}
		a.ca, _ = x509.ParseCertificate(der)
		a.caKey = key
	}
	return a.ca, a.caKey.(*ecdsa.PrivateKey)
}

// CertificateAuthority returns the certificate of the CA that issues the
// simulator's KSeF certificates (POST /certificates/enrollments), e.g. to
// verify them or to trust them elsewhere.
func (s *Simulator) CertificateAuthority() *x509.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	ca, _ := s.certificateAuthority()
	return ca
}

// newCertSerial returns a KSeF certificate serial: 8 random bytes whose
// first byte is 01-7F, so that the DER integer is positive, 8 bytes long
// and written as 16 uppercase hex digits (e.g. 01F20A5D352AE590).
func newCertSerial() (*big.Int, string) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	b[0] = b[0]%0x7F + 1
	return new(big.Int).SetBytes(b[:]), strings.ToUpper(hex.EncodeToString(b[:]))
}

// enrollmentSession checks that the caller authenticated by XAdES: the
// enrollment operations are refused to KSeF-token sessions (code).
func enrollmentSession(p *principal, code int) *apiError {
	if p.op.tokenRef != "" || p.op.method == ksef.AuthMethodToken || p.op.cert == nil {
		return badRequest(code)
	}
	return nil
}

// handleCertificateLimits serves GET /certificates/limits.
func (s *Simulator) handleCertificateLimits(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	s.mu.Lock()
	maxE, maxC := s.st.certLimits(p.op.subject)
	usedE, usedC := s.st.certUsage(p.op.subject, s.now())
	s.mu.Unlock()
	out := ksef.CertificateLimitsResponse{
		CanRequest:  usedE < maxE && usedC < maxC,
		Enrollment:  ksef.CertificateLimit{Limit: int32(maxE), Remaining: int32(max(maxE-usedE, 0))},
		Certificate: ksef.CertificateLimit{Limit: int32(maxC), Remaining: int32(max(maxC-usedC, 0))},
	}
	writeOK(w, http.StatusOK, out)
	return nil
}

// handleEnrollmentData serves GET /certificates/enrollments/data: the DN
// attributes of the certificate the caller authenticated with.
func (s *Simulator) handleEnrollmentData(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	if e := enrollmentSession(p, 25001); e != nil {
		return e
	}
	sub := credentials.SubjectOf(p.op.cert.Subject)
	out := ksef.CertificateEnrollmentDataResponse{
		CommonName: sub.CommonName, CountryName: sub.CountryName, Surname: sub.Surname,
		SerialNumber: sub.SerialNumber, UniqueIdentifier: sub.UniqueIdentifier,
		OrganizationName: sub.OrganizationName, OrganizationIdentifier: sub.OrganizationIdentifier,
		GivenName: strings.Join(sub.GivenNames, " "),
	}
	if out.CommonName == "" {
		out.CommonName = p.op.subject.Value
	}
	if out.CountryName == "" {
		out.CountryName = "PL"
	}
	writeOK(w, http.StatusOK, out)
	return nil
}

// enrollmentSubject is what GET /certificates/enrollments/data answers for
// cert, as an EnrollmentSubject (the CSR must match it exactly).
func enrollmentSubject(cert *x509.Certificate, sub subjectID) credentials.EnrollmentSubject {
	e := credentials.SubjectOf(cert.Subject)
	if len(e.GivenNames) > 1 {
		e.GivenNames = []string{strings.Join(e.GivenNames, " ")}
	}
	if e.CommonName == "" {
		e.CommonName = sub.Value
	}
	if e.CountryName == "" {
		e.CountryName = "PL"
	}
	return e
}

// attributeCount is the number of DN attributes an EnrollmentSubject has.
func attributeCount(e credentials.EnrollmentSubject) int {
	n := len(e.GivenNames)
	for _, v := range []string{e.CommonName, e.CountryName, e.Surname, e.SerialNumber, e.UniqueIdentifier, e.OrganizationName, e.OrganizationIdentifier} {
		if v != "" {
			n++
		}
	}
	return n
}

// csrSignatureAllowed reports whether KSeF accepts the CSR's signature
// algorithm: RSA PKCS#1 v1.5, RSA-PSS or ECDSA with SHA-1/256/384/512.
func csrSignatureAllowed(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.SHA1WithRSA, x509.SHA256WithRSA, x509.SHA384WithRSA, x509.SHA512WithRSA,
		x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS,
		x509.ECDSAWithSHA1, x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512:
		return true
	}
	return false
}

// handleEnroll serves POST /certificates/enrollments. The synchronous
// checks give 25002-25011; the request is then processed asynchronously:
// status 100 until the processing delay passed, then 200 with the serial
// of a certificate issued by the simulator's CA, or 400 when another
// subject already certified the public key.
func (s *Simulator) handleEnroll(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	if e := enrollmentSession(p, 25002); e != nil {
		return e
	}
	var req ksef.EnrollCertificateRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if n := utf8.RuneCountInString(req.CertificateName); n < 5 || n > 100 || !certNamePattern.MatchString(req.CertificateName) {
		return validation("certificateName: wymagane 5-100 znaków (litery, cyfry, spacja, _ i -).")
	}
	if req.CertificateType != ksef.KsefCertificateTypeAuthentication && req.CertificateType != ksef.KsefCertificateTypeOffline {
		return validation("certificateType: nieznany typ %q.", req.CertificateType)
	}
	csr, err := x509.ParseCertificateRequest(req.Csr)
	if err != nil {
		return badRequest(25004, "Nie można odczytać CSR.")
	}
	if !csrSignatureAllowed(csr.SignatureAlgorithm) {
		return badRequest(25011, "Algorytm podpisu "+csr.SignatureAlgorithm.String()+" nie jest obsługiwany.")
	}
	if err := csr.CheckSignature(); err != nil {
		return badRequest(25004, "Podpis CSR jest nieprawidłowy.")
	}
	if err := credentials.CheckEnrollmentKey(csr.PublicKey); err != nil {
		return badRequest(25010, "Dozwolone klucze: RSA 2048 bitów lub EC P-256.")
	}
	want := enrollmentSubject(p.op.cert, p.op.subject)
	got := credentials.SubjectOf(csr.Subject)
	if !got.Equal(want) || len(csr.Subject.Names) != attributeCount(want) {
		return badRequest(25003)
	}
	spki := sha256.Sum256(csr.RawSubjectPublicKeyInfo)
	now := s.now()
	validFrom := now
	if req.ValidFrom != nil && req.ValidFrom.After(now) {
		validFrom = req.ValidFrom.UTC()
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	sub := normSubject(p.op.subject)
	maxE, maxC := s.st.certLimits(sub)
	usedE, usedC := s.st.certUsage(sub, now)
	if usedE >= maxE {
		return badRequest(25006)
	}
	if usedC >= maxC {
		return badRequest(25007)
	}
	a := s.st.admin()
	en := &enrollment{ref: newRef(now, kindEnrollment), subject: sub, requested: now, readyAt: now.Add(s.cfg.processingDelay)}
	a.enrollments[en.ref] = en
	for _, c := range a.certOrder {
		if c.keyHash == spki && c.subject != sub {
			en.result = ksef.StatusInfo{Code: 400, Description: "Wniosek odrzucony", Details: []string{"Klucz publiczny został już certyfikowany przez inny podmiot."}}
			writeOK(w, http.StatusAccepted, ksef.EnrollCertificateResponse{ReferenceNumber: en.ref, Timestamp: now})
			return nil
		}
	}
	ca, caKey := s.certificateAuthority()
	sn, serial := newCertSerial()
	usage := x509.KeyUsageDigitalSignature
	if req.CertificateType == ksef.KsefCertificateTypeOffline {
		usage = x509.KeyUsageContentCommitment
	}
	tmpl := &x509.Certificate{
		SerialNumber:   sn,
		RawSubject:     csr.RawSubject,
		NotBefore:      validFrom,
		NotAfter:       validFrom.Add(ksefCertValidity),
		KeyUsage:       usage,
		AuthorityKeyId: ca.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, csr.PublicKey, caKey)
	if err != nil {
		en.result = ksef.StatusInfo{Code: 500, Description: "Nieznany błąd"}
		writeOK(w, http.StatusAccepted, ksef.EnrollCertificateResponse{ReferenceNumber: en.ref, Timestamp: now})
		return nil
	}
	c := &ksefCert{
		serial: serial, name: req.CertificateName, typ: req.CertificateType, commonName: want.CommonName,
		subject: sub, validFrom: validFrom, validTo: validFrom.Add(ksefCertValidity), requestDate: now,
		issuedAt: en.readyAt, der: der, keyHash: spki,
	}
	a.certs[serial] = c
	a.certOrder = append(a.certOrder, c)
	en.serial = serial
	en.result = ksef.StatusInfo{Code: 200, Description: "Wniosek obsłużony (certyfikat wygenerowany)"}
	writeOK(w, http.StatusAccepted, ksef.EnrollCertificateResponse{ReferenceNumber: en.ref, Timestamp: now})
	return nil
}

// handleEnrollmentStatus serves GET /certificates/enrollments/{referenceNumber}.
func (s *Simulator) handleEnrollmentStatus(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	ref := r.PathValue("referenceNumber")
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	en := s.st.admin().enrollments[ref]
	if en == nil || en.subject != normSubject(p.op.subject) {
		return badRequest(25005)
	}
	if now.Sub(en.requested) > 30*24*time.Hour {
		return gone("Status wniosku certyfikacyjnego " + ref + " nie jest już dostępny.")
	}
	out := ksef.CertificateEnrollmentStatusResponse{RequestDate: en.requested,
		Status: ksef.StatusInfo{Code: 100, Description: "Wniosek przyjęty do realizacji"}}
	if !now.Before(en.readyAt) {
		out.Status = en.result
		out.CertificateSerialNumber = en.serial
	}
	writeOK(w, http.StatusOK, out)
	return nil
}

// ownCert returns the caller's visible certificate with the serial, or nil.
// Callers hold s.mu.
func (s *Simulator) ownCert(p *principal, serial string, now time.Time) *ksefCert {
	c := s.st.admin().certs[serial]
	if c == nil || c.subject != normSubject(p.op.subject) || now.Before(c.issuedAt) {
		return nil
	}
	return c
}

// handleRetrieveCertificates serves POST /certificates/retrieve: the
// caller's certificates among the serial numbers (others are left out).
func (s *Simulator) handleRetrieveCertificates(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	var req ksef.RetrieveCertificatesRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if n := len(req.CertificateSerialNumbers); n < 1 || n > 10 {
		return validation("certificateSerialNumbers: wymagane 1-10 numerów, otrzymano %d.", n)
	}
	now := s.now()
	out := ksef.RetrieveCertificatesResponse{Certificates: []ksef.RetrieveCertificatesListItem{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sn := range req.CertificateSerialNumbers {
		if !certSerialPattern.MatchString(sn) {
			return validation("certificateSerialNumbers: nieprawidłowy numer %q.", sn)
		}
		if c := s.ownCert(p, sn, now); c != nil {
			out.Certificates = append(out.Certificates, ksef.RetrieveCertificatesListItem{
				Certificate: c.der, CertificateName: c.name, CertificateSerialNumber: c.serial, CertificateType: c.typ})
		}
	}
	writeOK(w, http.StatusOK, out)
	return nil
}

// handleQueryCertificates serves POST /certificates/query: the caller's
// certificates matching the filters, newest request first, in pages of
// pageSize (10-50) at pageOffset.
func (s *Simulator) handleQueryCertificates(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	size, off, e := offsetPageMax(r, 50)
	if e != nil {
		return e
	}
	var q ksef.QueryCertificatesRequest
	if r.ContentLength != 0 {
		if e := decodeJSON(r, &q); e != nil {
			return e
		}
	}
	if q.CertificateSerialNumber != "" && !certSerialPattern.MatchString(q.CertificateSerialNumber) {
		return validation("certificateSerialNumber: nieprawidłowy numer %q.", q.CertificateSerialNumber)
	}
	now := s.now()
	s.mu.Lock()
	var found []ksef.CertificateListItem
	for _, c := range slices.Backward(s.st.admin().certOrder) {
		st := c.status(now)
		switch {
		case c.subject != normSubject(p.op.subject), now.Before(c.issuedAt),
			q.CertificateSerialNumber != "" && q.CertificateSerialNumber != c.serial,
			q.Name != "" && !strings.Contains(strings.ToLower(c.name), strings.ToLower(q.Name)),
			q.Type != "" && q.Type != c.typ,
			q.Status != "" && q.Status != st,
			q.ExpiresAfter != nil && !c.validTo.After(*q.ExpiresAfter):
			continue
		}
		found = append(found, ksef.CertificateListItem{
			CertificateSerialNumber: c.serial, Name: c.name, Type: c.typ, CommonName: c.commonName, Status: st,
			SubjectIdentifier: ksef.CertificateSubjectIdentifier{Type: ksef.CertificateSubjectIdentifierType(c.subject.Type), Value: c.subject.Value},
			ValidFrom:         c.validFrom, ValidTo: c.validTo, LastUseDate: c.lastUse, RequestDate: c.requestDate,
		})
	}
	s.mu.Unlock()
	items, more := offsetSlice(found, off, size)
	writeOK(w, http.StatusOK, ksef.QueryCertificatesResponse{Certificates: items, HasMore: more})
	return nil
}

// handleRevokeCertificate serves POST /certificates/{certificateSerialNumber}/revoke.
func (s *Simulator) handleRevokeCertificate(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	if p.op.tokenRef != "" {
		return forbidden(ksef.ReasonAuthMethodNotAllowed, "Ta operacja nie jest dostępna dla użytej metody uwierzytelnienia.", nil)
	}
	serial := r.PathValue("certificateSerialNumber")
	var req ksef.RevokeCertificateRequest
	if r.ContentLength != 0 {
		if e := decodeJSON(r, &req); e != nil {
			return e
		}
	}
	switch req.RevocationReason {
	case "", ksef.CertificateRevocationReasonUnspecified, ksef.CertificateRevocationReasonSuperseded, ksef.CertificateRevocationReasonKeyCompromise:
	default:
		return validation("revocationReason: nieznana wartość %q.", req.RevocationReason)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ownCert(p, serial, now)
	if c == nil {
		return badRequest(25008)
	}
	if c.status(now) != ksef.CertificateListItemStatusActive {
		return badRequest(25009)
	}
	c.revoked = true
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleTestUpdateCertificate serves PUT /testdata/certificates/{serialNumber}:
// validTo may only move earlier.
func (s *Simulator) handleTestUpdateCertificate(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	serial := r.PathValue("serialNumber")
	if !certSerialPattern.MatchString(serial) {
		return validation("serialNumber: wymagane 16 wielkich cyfr szesnastkowych, otrzymano %q.", serial)
	}
	var req ksef.TestDataUpdateCertificateRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if req.ValidTo.IsZero() {
		return validation("validTo: wymagana wartość.")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ownCert(p, serial, now)
	if c == nil {
		return badRequest(25008)
	}
	if req.ValidTo.After(c.validTo) {
		return validation("validTo: nowa data ważności nie może być późniejsza niż obecna (%s).", c.validTo.UTC().Format(time.RFC3339))
	}
	c.validTo = req.ValidTo.UTC()
	w.WriteHeader(http.StatusOK)
	return nil
}

// checkKSeFCertificate completes the outcome of a XAdES authentication
// signed with a certificate the simulator's CA issued: a revoked, expired
// (also by PUT /testdata/certificates) or Offline certificate ends with
// 460; a valid Authentication certificate is trusted even with
// verifyCertificateChain=true and the method is InternalCertificate. It
// also records the signing certificate for the enrollment operations.
// Callers hold s.mu.
func (s *Simulator) checkKSeFCertificate(op *authOp, vs *verifiedSignature, result ksef.StatusInfo, now time.Time) ksef.StatusInfo {
	if vs == nil || vs.cert == nil {
		return result
	}
	op.cert = vs.cert
	a := s.st.admin()
	if a.ca == nil || vs.cert.CheckSignatureFrom(a.ca) != nil {
		return result
	}
	c := a.certs[serialHex(vs.cert.SerialNumber)]
	if c == nil {
		return result
	}
	op.method, op.methodInfo = ksef.AuthMethodInternalCertificate, methodKSeFCertificate
	switch {
	case c.revoked:
		return authFailed(460, "Certyfikat unieważniony")
	case !now.Before(c.validTo):
		return authFailed(460, "Certyfikat wygasł")
	case c.typ != ksef.KsefCertificateTypeAuthentication:
		return authFailed(460, "Certyfikat KSeF typu Offline nie służy do uwierzytelniania")
	}
	t := now
	c.lastUse = &t
	if result.Code == 460 {
		return ksef.StatusInfo{} // the chain is the simulator's own
	}
	return result
}

var methodKSeFCertificate = ksef.AuthenticationMethodInfo{
	Category: ksef.AuthCategoryXadesSignature, Code: "xades.ksef-certificate", DisplayName: "Certyfikat KSeF",
}

// serialHex writes a serial as KSeF does: uppercase hex of the DER bytes.
func serialHex(n *big.Int) string {
	if n == nil {
		return ""
	}
	return strings.ToUpper(hex.EncodeToString(n.Bytes()))
}
