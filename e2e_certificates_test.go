package ksef_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/qr"
)

// enrollmentSubject turns the enrollment data into the CSR subject.
func enrollmentSubject(d *ksef.CertificateEnrollmentDataResponse) credentials.EnrollmentSubject {
	e := credentials.EnrollmentSubject{
		CommonName: d.CommonName, CountryName: d.CountryName, Surname: d.Surname, SerialNumber: d.SerialNumber,
		UniqueIdentifier: d.UniqueIdentifier, OrganizationName: d.OrganizationName, OrganizationIdentifier: d.OrganizationIdentifier,
	}
	if d.GivenName != "" {
		e.GivenNames = []string{d.GivenName}
	}
	return e
}

// enroll obtains a KSeF certificate of the type for a's subject with a new
// key of the type, and returns it with its key.
func enroll(t *testing.T, a *ksef.AuthenticatedClient, typ ksef.KsefCertificateType, kt credentials.KeyType, name string) (*x509.Certificate, crypto.Signer, string) {
	t.Helper()
	ctx := t.Context()
	data, err := a.Certificates.EnrollmentData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key, err := credentials.NewKey(kt)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := credentials.NewCSR(key, enrollmentSubject(data))
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Certificates.Enroll(ctx, &ksef.EnrollCertificateRequest{CertificateName: name, CertificateType: typ, Csr: csr})
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.Certificates.WaitEnrollment(ctx, res.ReferenceNumber, fastWait)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := a.Certificates.RetrieveX509(ctx, st.CertificateSerialNumber)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key, st.CertificateSerialNumber
}

var serialFormat = regexp.MustCompile(`^[0-9A-F]{16}$`)

// TestE2ECertificateLifecycle runs workflows §K 83, 85 and 89: limits,
// enrollment data, CSR (RSA 2048 and EC P-256), enroll with the processing
// delay (status 100 then 200), retrieve, query, login with the KSeF
// Authentication certificate, KOD II signed with the Offline certificate
// verified by package qr, revoke.
func TestE2ECertificateLifecycle(t *testing.T) {
	sim, c := simClient(t, ksefsim.WithProcessingDelay(200*time.Millisecond), ksefsim.WithoutRateLimits())
	id, a := loginSeal(t, sim, c)
	ctx := t.Context()

	lim, err := a.Certificates.Limits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !lim.CanRequest || lim.Enrollment.Limit != 300 || lim.Certificate.Limit != 100 || lim.Certificate.Remaining != 100 {
		t.Fatalf("limits of a NIP: %+v", lim)
	}
	data, err := a.Certificates.EnrollmentData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if data.OrganizationIdentifier != "VATPL-"+id.NIP || data.CountryName != "PL" || data.CommonName == "" {
		t.Fatalf("enrollment data: %+v", data)
	}

	// Enroll: status 100 first (the processing delay), then 200.
	key, _ := credentials.NewKey(credentials.ECP256)
	csr, err := credentials.NewCSR(key, enrollmentSubject(data))
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Certificates.Enroll(ctx, &ksef.EnrollCertificateRequest{CertificateName: "Certyfikat logowania", CertificateType: ksef.KsefCertificateTypeAuthentication, Csr: csr})
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.Certificates.EnrollmentStatus(ctx, res.ReferenceNumber)
	if err != nil {
		t.Fatal(err)
	}
	if first.Status.Code != 100 || first.CertificateSerialNumber != "" {
		t.Errorf("first status %+v", first)
	}
	var polls []string
	wait := *fastWait
	wait.OnPoll = func(_ int, st string) { polls = append(polls, st) }
	st, err := a.Certificates.WaitEnrollment(ctx, res.ReferenceNumber, &wait)
	if err != nil {
		t.Fatal(err)
	}
	if !serialFormat.MatchString(st.CertificateSerialNumber) || polls[len(polls)-1] != "200" {
		t.Fatalf("enrollment: %+v, polls %v", st, polls)
	}
	authCert, err := a.Certificates.RetrieveX509(ctx, st.CertificateSerialNumber)
	if err != nil {
		t.Fatal(err)
	}
	if qr.SerialHex(authCert) != st.CertificateSerialNumber {
		t.Errorf("serial %s in the certificate, %s in the status", qr.SerialHex(authCert), st.CertificateSerialNumber)
	}
	if err := authCert.CheckSignatureFrom(sim.CertificateAuthority()); err != nil {
		t.Errorf("not issued by the simulator's CA: %v", err)
	}
	if authCert.KeyUsage&x509.KeyUsageDigitalSignature == 0 || !credentials.SubjectOf(authCert.Subject).Equal(enrollmentSubject(data)) {
		t.Errorf("issued certificate: usage %v subject %v", authCert.KeyUsage, authCert.Subject)
	}

	// §K 85: the KSeF Authentication certificate logs in by XAdES.
	ka, err := c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), authCert, key, &ksef.LoginParams{Wait: fastWait, VerifyCertificateChain: true})
	if err != nil {
		t.Fatalf("login with the KSeF certificate: %v", err)
	}
	var method ksef.AuthenticationMethod
	for s, err := range ka.AuthSessions.ListAll(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if s.IsCurrent {
			method = s.AuthenticationMethod
		}
	}
	if method != ksef.AuthMethodInternalCertificate {
		t.Errorf("authentication method %q, want InternalCertificate", method)
	}

	// §K 89: an RSA Offline certificate signs KOD II; package qr verifies it.
	offCert, offKey, offSerial := enroll(t, a, ksef.KsefCertificateTypeOffline, credentials.RSA2048, "Certyfikat offline")
	if offCert.KeyUsage&x509.KeyUsageContentCommitment == 0 {
		t.Errorf("offline certificate usage %v", offCert.KeyUsage)
	}
	invoice := fa3Invoice(t, id.NIP, "FV/offline/1")
	link, err := qr.NewCertificateLink(qr.CertificateLinkParams{Host: qr.TestHost, ContextType: ident.TypeNip, ContextValue: id.NIP,
		SellerNIP: id.NIP, Certificate: offCert, Signer: offKey, Invoice: invoice})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := qr.ParseCertificateLink(link.String())
	if err != nil {
		t.Fatal(err)
	}
	if parsed.CertSerial != offSerial {
		t.Errorf("serial in KOD II %s, want %s", parsed.CertSerial, offSerial)
	}
	if err := parsed.Verify(qr.VerifyOptions{Certificate: offCert, Invoice: invoice}); err != nil {
		t.Fatalf("KOD II does not verify: %v", err)
	}
	if err := parsed.Verify(qr.VerifyOptions{Certificate: authCert, Invoice: invoice}); err == nil {
		t.Error("KOD II verified with another certificate")
	}
	// An Offline certificate does not log in.
	if _, err := c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), offCert, offKey, &ksef.LoginParams{Wait: fastWait}); !errors.Is(err, ksef.ErrAuthCertificate) {
		t.Errorf("login with an Offline certificate: %v", err)
	}

	// Query: both, then by type.
	var n int
	for it, err := range a.Certificates.QueryAll(ctx, nil, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if it.Status != ksef.CertificateListItemStatusActive || it.SubjectIdentifier.Value != id.NIP {
			t.Errorf("listed %+v", it)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d certificates listed, want 2", n)
	}
	off, err := a.Certificates.Query(ctx, &ksef.QueryCertificatesRequest{Type: ksef.KsefCertificateTypeOffline}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(off.Certificates) != 1 || off.Certificates[0].CertificateSerialNumber != offSerial || off.HasMore {
		t.Errorf("offline query: %+v", off)
	}

	// Revoke: listed as Revoked, no longer logs in, second revoke 25009,
	// unknown serial 25008.
	if err := a.Certificates.Revoke(ctx, st.CertificateSerialNumber, ksef.CertificateRevocationReasonSuperseded); err != nil {
		t.Fatal(err)
	}
	rev, err := a.Certificates.Query(ctx, &ksef.QueryCertificatesRequest{Status: ksef.CertificateListItemStatusRevoked}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rev.Certificates) != 1 || rev.Certificates[0].CertificateSerialNumber != st.CertificateSerialNumber {
		t.Errorf("revoked query: %+v", rev)
	}
	if _, err := c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), authCert, key, &ksef.LoginParams{Wait: fastWait}); !errors.Is(err, ksef.ErrAuthCertificate) {
		t.Errorf("login with a revoked certificate: %v", err)
	}
	if err := a.Certificates.Revoke(ctx, st.CertificateSerialNumber, ""); !ksef.IsCode(err, ksef.CodeCertificateNotRevocable) {
		t.Errorf("second revoke: %v", err)
	}
	if err := a.Certificates.Revoke(ctx, "0123456789ABCDEF", ""); !ksef.IsCode(err, ksef.CodeCertificateNotFound) {
		t.Errorf("unknown serial: %v", err)
	}
	lim, err = a.Certificates.Limits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if lim.Enrollment.Remaining != 298 || lim.Certificate.Remaining != 99 {
		t.Errorf("limits after two enrollments and a revocation: %+v", lim)
	}
}

// TestE2ECertificateErrors runs workflows §K 84, 86 and §I 71: CSR
// mismatch, malformed CSR, RSA-1024, wrong signature algorithm, limits
// lowered on TEST, shortening a certificate (then 460), enrollment in a
// token session.
func TestE2ECertificateErrors(t *testing.T) {
	sim, c := simClient(t, ksefsim.WithoutRateLimits())
	id, a := loginSeal(t, sim, c)
	ctx := t.Context()
	data, err := a.Certificates.EnrollmentData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	good := enrollmentSubject(data)
	send := func(csr []byte) error {
		_, err := a.Certificates.Enroll(ctx, &ksef.EnrollCertificateRequest{CertificateName: "Certyfikat testowy", CertificateType: ksef.KsefCertificateTypeAuthentication, Csr: csr})
		return err
	}
	key, _ := credentials.NewKey(credentials.ECP256)
	other := good
	other.CommonName = "Ktoś inny"
	if csr, err := credentials.NewCSR(key, other); err != nil {
		t.Fatal(err)
	} else if err := send(csr); !ksef.IsCode(err, ksef.CodeCSRDataMismatch) {
		t.Errorf("mismatched DN: %v", err)
	}
	// An extra attribute (locality) is a mismatch too: exactly those attributes.
	extra, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: credentials.OIDCountryName, Value: "PL"}, {Type: credentials.OIDOrganizationName, Value: good.OrganizationName},
			{Type: credentials.OIDOrganizationIdentifier, Value: good.OrganizationIdentifier}, {Type: credentials.OIDCommonName, Value: good.CommonName},
			{Type: []int{2, 5, 4, 7}, Value: "Warszawa"}}}}, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := send(extra); !ksef.IsCode(err, ksef.CodeCSRDataMismatch) {
		t.Errorf("extra attribute: %v", err)
	}
	if err := send([]byte("not a CSR")); !ksef.IsCode(err, ksef.CodeInvalidCSR) {
		t.Errorf("malformed CSR: %v", err)
	}
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	if csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: good.CommonName}}, weak); err != nil {
		t.Fatal(err)
	} else if err := send(csr); !ksef.IsCode(err, ksef.CodeInvalidKey) {
		t.Errorf("RSA-1024: %v", err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: good.CommonName}}, p384); err != nil {
		t.Fatal(err)
	} else if err := send(csr); !ksef.IsCode(err, ksef.CodeInvalidKey) {
		t.Errorf("P-384: %v", err)
	}
	rk, _ := credentials.NewKey(credentials.RSA2048)
	names, _ := x509.ParseCertificateRequest(must(credentials.NewCSR(rk, good)))
	if csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{RawSubject: names.RawSubject, SignatureAlgorithm: x509.MD5WithRSA}, rk); err == nil {
		if err := send(csr); !ksef.IsCode(err, ksef.CodeInvalidCSRSignatureAlgorithm) && !ksef.IsCode(err, ksef.CodeInvalidCSR) {
			t.Errorf("MD5 signature: %v", err)
		}
	}

	// Limits lowered on TEST: one enrollment, then 25006; one certificate, then 25007.
	sc := c.TestData.Temporary()
	defer func() {
		if err := sc.Close(ctx); err != nil {
			t.Error(err)
		}
	}()
	one := int32(1)
	if err := sc.SetCertificateLimits(ctx, a, &ksef.SetSubjectLimitsRequest{Certificate: &ksef.CertificateSubjectLimitsOverride{MaxCertificates: &one}}); err != nil {
		t.Fatal(err)
	}
	sl, err := a.Limits.Subject(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sl.Certificate == nil || sl.Certificate.MaxCertificates == nil || *sl.Certificate.MaxCertificates != 1 {
		t.Errorf("subject limits: %+v", sl)
	}
	cert, key2, serial := enroll(t, a, ksef.KsefCertificateTypeAuthentication, credentials.ECP256, "Jedyny certyfikat")
	if err := send(must(credentials.NewCSR(key, good))); !ksef.IsCode(err, ksef.CodeCertificateLimit) {
		t.Errorf("over the certificate limit: %v", err)
	}
	if lim, err := a.Certificates.Limits(ctx); err != nil || lim.CanRequest {
		t.Errorf("limits over the certificate limit: %+v %v", lim, err)
	}
	many := int32(100)
	if err := a.Limits.SetCertificateLimits(ctx, &ksef.SetSubjectLimitsRequest{Enrollment: &ksef.EnrollmentSubjectLimitsOverride{MaxEnrollments: &one},
		Certificate: &ksef.CertificateSubjectLimitsOverride{MaxCertificates: &many}}); err != nil {
		t.Fatal(err)
	}
	if err := send(must(credentials.NewCSR(key, good))); !ksef.IsCode(err, ksef.CodeEnrollmentLimit) {
		t.Errorf("over the enrollment limit: %v", err)
	}

	// §K 86: shorten the certificate; later validTo, lowercase serial and
	// unknown serial are refused; the expired certificate no longer logs in.
	if _, err := c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), cert, key2, &ksef.LoginParams{Wait: fastWait}); err != nil {
		t.Fatalf("login before shortening: %v", err)
	}
	if err := a.Certificates.TestSetValidTo(ctx, serial, cert.NotAfter.Add(time.Hour)); !ksef.IsCode(err, ksef.CodeValidation) {
		t.Errorf("extending: %v", err)
	}
	if err := a.Certificates.TestSetValidTo(ctx, "0123456789ABCDEF", time.Now()); !ksef.IsCode(err, ksef.CodeCertificateNotFound) {
		t.Errorf("unknown serial: %v", err)
	}
	if err := a.Certificates.TestSetValidTo(ctx, strings.ToLower(serial), time.Now()); err == nil {
		t.Error("lowercase serial accepted")
	}
	if err := a.Certificates.TestSetValidTo(ctx, serial, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	exp, err := a.Certificates.Query(ctx, &ksef.QueryCertificatesRequest{Status: ksef.CertificateListItemStatusExpired}, nil)
	if err != nil || len(exp.Certificates) != 1 {
		t.Errorf("expired query: %+v %v", exp, err)
	}
	_, err = c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), cert, key2, &ksef.LoginParams{Wait: fastWait})
	var se *ksef.StatusError
	if !errors.As(err, &se) || se.Code != 460 {
		t.Errorf("login with the shortened certificate: %v", err)
	}

	// A key another subject already certified: the request is accepted
	// (202) and ends with status 400, an ErrEnrollmentRejected.
	_, b := loginSeal(t, sim, c)
	bdata, err := b.Certificates.EnrollmentData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Certificates.Enroll(ctx, &ksef.EnrollCertificateRequest{CertificateName: "Cudzy klucz", CertificateType: ksef.KsefCertificateTypeAuthentication,
		Csr: must(credentials.NewCSR(key2, enrollmentSubject(bdata)))})
	if err != nil {
		t.Fatal(err)
	}
	st, err := b.Certificates.WaitEnrollment(ctx, res.ReferenceNumber, fastWait)
	if !errors.Is(err, ksef.ErrEnrollmentRejected) || errors.As(err, &se) && se.Code != 400 || st == nil || st.Status.Code != 400 {
		t.Errorf("a key certified by another subject: %+v %v", st, err)
	}

	// §I 71: a token session can neither read the enrollment data nor enroll.
	gen, err := a.Tokens.Generate(ctx, &ksef.GenerateTokenRequest{Description: "token bez certyfikatów", Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Tokens.WaitActive(ctx, gen.ReferenceNumber, fastWait); err != nil {
		t.Fatal(err)
	}
	ta, err := c.Auth.LoginWithToken(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), gen.Token, &ksef.LoginParams{Wait: fastWait})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ta.Certificates.EnrollmentData(ctx); !ksef.IsCode(err, ksef.CodeCSRDataUnavailable) {
		t.Errorf("enrollment data in a token session: %v", err)
	}
	if _, err := ta.Certificates.Enroll(ctx, &ksef.EnrollCertificateRequest{CertificateName: "Z tokena", CertificateType: ksef.KsefCertificateTypeAuthentication,
		Csr: must(credentials.NewCSR(key, good))}); !ksef.IsCode(err, ksef.CodeEnrollmentNotAllowed) {
		t.Errorf("enroll in a token session: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
