package credentials

import (
	"crypto/x509"
	"encoding/asn1"
	"regexp"
	"sync"

	"github.com/ksef2/ksef/ident"
)

// Attribute OIDs of the certificate subject that KSeF reads.
var (
	OIDSerialNumber           = asn1.ObjectIdentifier{2, 5, 4, 5}
	OIDGivenName              = asn1.ObjectIdentifier{2, 5, 4, 42}
	OIDSurname                = asn1.ObjectIdentifier{2, 5, 4, 4}
	OIDOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}
	OIDCommonName             = asn1.ObjectIdentifier{2, 5, 4, 3}
	OIDCountryName            = asn1.ObjectIdentifier{2, 5, 4, 6}
	OIDOrganizationName       = asn1.ObjectIdentifier{2, 5, 4, 10}
	OIDUniqueIdentifier       = asn1.ObjectIdentifier{2, 5, 4, 45}
)

// The kinds of [SubjectIdentity]: the identifier types of the API's
// SubjectIdentifierType.
//
// Deprecated: use ident.TypeNip, ident.TypePesel and ident.TypeFingerprint.
const (
	IdentityNIP         = ident.TypeNip
	IdentityPESEL       = ident.TypePesel
	IdentityFingerprint = ident.TypeFingerprint
)

// SubjectIdentity is the identity KSeF derives from a certificate: a NIP (of
// a person or, when Seal is true, of the organisation owning a seal), a PESEL,
// or otherwise the certificate's SHA-256 fingerprint.
type SubjectIdentity struct {
	Kind  ident.Type // what Value is: ident.TypeNip, TypePesel or TypeFingerprint
	Value string     // 10-digit NIP, 11-digit PESEL or 64-character uppercase hex fingerprint
	Seal  bool       // true for an organisation (seal) certificate identified by organizationIdentifier
}

// Patterns from the KSeF documentation (auth/podpis-xades.md), unanchored and
// case-sensitive as published.
var (
	rePESEL = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(PNOPL|PESEL).*?(\d{11})`) })
	reNIP   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(TINPL|NIP).*?(\d{10})`) })
	reVATPL = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(VATPL).*?(\d{10})`) })
)

// IsSeal reports whether cert is an organisation (seal) certificate as KSeF
// tells them apart from personal ones: its subject has an
// organizationIdentifier (2.5.4.97) and neither givenName nor surname. This
// holds also for seals that [Identity] can identify only by fingerprint
// (a foreign seal without a VATPL organizationIdentifier); KSeF still
// authenticates them as seals.
func IsSeal(cert *x509.Certificate) bool {
	org := false
	for _, atv := range cert.Subject.Names {
		switch {
		case atv.Type.Equal(OIDGivenName), atv.Type.Equal(OIDSurname):
			return false
		case atv.Type.Equal(OIDOrganizationIdentifier):
			org = true
		}
	}
	return org
}

// Identity reads cert the way KSeF does for SubjectIdentifierType
// certificateSubject:
//
//   - A seal certificate (see [IsSeal]) is identified by the NIP captured
//     by (VATPL).*?(\d{10}) in its organizationIdentifier; Seal is then true.
//   - Any other certificate is a person certificate. Its serialNumber
//     (2.5.4.5) is matched first against (PNOPL|PESEL).*?(\d{11}) (PESEL),
//     then against (TINPL|NIP).*?(\d{10}) (NIP).
//   - When nothing matches, the identity is the certificate [Fingerprint]
//     (KSeF then accepts the certificate only with certificateFingerprint and
//     permissions granted to that fingerprint).
//
// When an attribute occurs several times, the values are tried in subject
// order. \d matches ASCII digits only. Checksums are not verified here.
func Identity(cert *x509.Certificate) SubjectIdentity {
	if IsSeal(cert) {
		for _, v := range subjectStrings(cert, OIDOrganizationIdentifier) {
			if m := reVATPL().FindStringSubmatch(v); m != nil {
				return SubjectIdentity{Kind: ident.TypeNip, Value: m[2], Seal: true}
			}
		}
	} else {
		serials := subjectStrings(cert, OIDSerialNumber)
		for _, v := range serials {
			if m := rePESEL().FindStringSubmatch(v); m != nil {
				return SubjectIdentity{Kind: ident.TypePesel, Value: m[2]}
			}
		}
		for _, v := range serials {
			if m := reNIP().FindStringSubmatch(v); m != nil {
				return SubjectIdentity{Kind: ident.TypeNip, Value: m[2]}
			}
		}
	}
	return SubjectIdentity{Kind: ident.TypeFingerprint, Value: Fingerprint(cert)}
}

// subjectStrings returns the string values of the subject attribute oid,
// in subject order.
func subjectStrings(cert *x509.Certificate, oid asn1.ObjectIdentifier) []string {
	var out []string
	for _, atv := range cert.Subject.Names {
		if s, ok := atv.Value.(string); ok && atv.Type.Equal(oid) {
			out = append(out, s)
		}
	}
	return out
}
