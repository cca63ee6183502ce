package credentials

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
)

// EnrollmentSubject is the distinguished name KSeF requires in a KSeF
// certificate request: exactly the attributes returned by
// GET /certificates/enrollments/data (CertificateEnrollmentDataResponse).
// Empty fields are omitted from the DN. givenName may occur several times.
type EnrollmentSubject struct {
	CommonName             string   // 2.5.4.3, required
	CountryName            string   // 2.5.4.6, required, ISO 3166 alpha-2
	GivenNames             []string // 2.5.4.42, persons only
	Surname                string   // 2.5.4.4, persons only
	SerialNumber           string   // 2.5.4.5, persons only (e.g. PNOPL-…, TINPL-…)
	UniqueIdentifier       string   // 2.5.4.45, optional
	OrganizationName       string   // 2.5.4.10, seals only
	OrganizationIdentifier string   // 2.5.4.97, seals only (e.g. VATPL-…)
}

// names returns the subject as attributes in a fixed order. countryName and
// serialNumber are PrintableString (X.520), everything else UTF8String,
// including uniqueIdentifier (X.520 defines it as a BIT STRING, which Go and
// many other parsers cannot read in a subject; KSeF hands it out as text).
func (e EnrollmentSubject) names() ([]pkix.AttributeTypeAndValue, error) {
	if e.CommonName == "" || e.CountryName == "" {
		return nil, errors.New("credentials: enrollment subject needs commonName and countryName")
	}
	var n []pkix.AttributeTypeAndValue
	n = append(n, printable(OIDCountryName, e.CountryName))
	if e.OrganizationName != "" {
		n = append(n, utf8(OIDOrganizationName, e.OrganizationName))
	}
	if e.OrganizationIdentifier != "" {
		n = append(n, utf8(OIDOrganizationIdentifier, e.OrganizationIdentifier))
	}
	for _, g := range e.GivenNames {
		n = append(n, utf8(OIDGivenName, g))
	}
	if e.Surname != "" {
		n = append(n, utf8(OIDSurname, e.Surname))
	}
	if e.SerialNumber != "" {
		n = append(n, printable(OIDSerialNumber, e.SerialNumber))
	}
	if e.UniqueIdentifier != "" {
		n = append(n, utf8(OIDUniqueIdentifier, e.UniqueIdentifier))
	}
	n = append(n, utf8(OIDCommonName, e.CommonName))
	for _, a := range n {
		if rv := a.Value.(asn1.RawValue); rv.Tag == asn1.TagPrintableString && !isPrintableString(string(rv.Bytes)) {
			return nil, fmt.Errorf("credentials: attribute %v must be printable ASCII", a.Type)
		}
	}
	return n, nil
}

// Equal reports whether e and o hold the same attributes (givenName values
// in the same order).
func (e EnrollmentSubject) Equal(o EnrollmentSubject) bool {
	return e.CommonName == o.CommonName && e.CountryName == o.CountryName &&
		slices.Equal(e.GivenNames, o.GivenNames) && e.Surname == o.Surname &&
		e.SerialNumber == o.SerialNumber && e.UniqueIdentifier == o.UniqueIdentifier &&
		e.OrganizationName == o.OrganizationName && e.OrganizationIdentifier == o.OrganizationIdentifier
}

// SubjectOf extracts the enrollment attributes from a parsed certificate or
// CSR subject; attributes outside the enrollment set are ignored. A
// simulator uses it to answer GET /certificates/enrollments/data from the
// authentication certificate, and to compare a CSR with that answer.
func SubjectOf(name pkix.Name) EnrollmentSubject {
	var e EnrollmentSubject
	first := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	for _, a := range name.Names {
		v, ok := a.Value.(string)
		if !ok {
			continue
		}
		switch {
		case a.Type.Equal(OIDCommonName):
			first(&e.CommonName, v)
		case a.Type.Equal(OIDCountryName):
			first(&e.CountryName, v)
		case a.Type.Equal(OIDGivenName):
			e.GivenNames = append(e.GivenNames, v)
		case a.Type.Equal(OIDSurname):
			first(&e.Surname, v)
		case a.Type.Equal(OIDSerialNumber):
			first(&e.SerialNumber, v)
		case a.Type.Equal(OIDUniqueIdentifier):
			first(&e.UniqueIdentifier, v)
		case a.Type.Equal(OIDOrganizationName):
			first(&e.OrganizationName, v)
		case a.Type.Equal(OIDOrganizationIdentifier):
			first(&e.OrganizationIdentifier, v)
		}
	}
	return e
}

// CheckEnrollmentKey reports whether pub is a key type KSeF certifies: RSA
// with a 2048-bit modulus or ECDSA on P-256.
func CheckEnrollmentKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() != 2048 {
			return fmt.Errorf("credentials: KSeF certifies RSA keys of 2048 bits, not %d", k.N.BitLen())
		}
		return nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("credentials: KSeF certifies EC keys on P-256, not %s", k.Curve.Params().Name)
		}
		return nil
	}
	return fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
}

// NewCSR returns a DER PKCS#10 certificate request for a KSeF certificate
// (POST /certificates/enrollments wants it Base64-encoded), with exactly the
// attributes of subject, signed by signer with SHA-256 (RSA PKCS#1 v1.5 or
// ECDSA). The key must be RSA 2048 or EC P-256 ([CheckEnrollmentKey]).
func NewCSR(signer crypto.Signer, subject EnrollmentSubject) ([]byte, error) {
	if signer == nil {
		return nil, ErrNoPrivateKey
	}
	if err := CheckEnrollmentKey(signer.Public()); err != nil {
		return nil, err
	}
	names, err := subject.names()
	if err != nil {
		return nil, err
	}
	sigAlg := x509.SHA256WithRSA
	if _, ok := signer.Public().(*ecdsa.PublicKey); ok {
		sigAlg = x509.ECDSAWithSHA256
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:            pkix.Name{ExtraNames: names},
		SignatureAlgorithm: sigAlg,
	}, signer)
	if err != nil {
		return nil, fmt.Errorf("credentials: create CSR: %w", err)
	}
	return der, nil
}

// ParseCSR parses a DER PKCS#10 request, verifies its self-signature and key
// type, and returns it with its enrollment attributes.
func ParseCSR(der []byte) (*x509.CertificateRequest, EnrollmentSubject, error) {
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, EnrollmentSubject{}, fmt.Errorf("credentials: parse CSR: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, EnrollmentSubject{}, fmt.Errorf("credentials: CSR signature: %w", err)
	}
	if err := CheckEnrollmentKey(csr.PublicKey); err != nil {
		return nil, EnrollmentSubject{}, err
	}
	return csr, SubjectOf(csr.Subject), nil
}
