package ksefsim

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ksef2/ksef"
)

// Attribute OIDs KSeF reads identities from.
var (
	oidSerialNumber           = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}
	oidGivenName              = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidSurname                = asn1.ObjectIdentifier{2, 5, 4, 4}
)

// The patterns KSeF applies to certificate attributes (ksef-facts §2.2).
var (
	peselAttrRe = regexp.MustCompile(`(PNOPL|PESEL).*?(\d{11})`)
	nipAttrRe   = regexp.MustCompile(`(TINPL|NIP).*?(\d{10})`)
	vatAttrRe   = regexp.MustCompile(`(VATPL).*?(\d{10})`)
)

// errNoSubjectIdentifier reports a certificate without a NIP or PESEL.
var errNoSubjectIdentifier = errors.New("certificate carries no NIP or PESEL identifier")

// certIdentity is who a certificate identifies, as KSeF reads it.
type certIdentity struct {
	subject subjectID
	seal    bool
}

func subjectAttr(cert *x509.Certificate, oid asn1.ObjectIdentifier) []string {
	var out []string
	for _, a := range cert.Subject.Names {
		if a.Type.Equal(oid) {
			if s, ok := a.Value.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// isSeal reports whether a certificate is an organisation (seal)
// certificate: it carries organizationIdentifier and no givenName or
// surname. A certificate with person names is a person's certificate even
// when it also names an organisation.
func isSeal(cert *x509.Certificate) bool {
	return len(subjectAttr(cert, oidOrganizationIdentifier)) > 0 &&
		len(subjectAttr(cert, oidGivenName)) == 0 && len(subjectAttr(cert, oidSurname)) == 0
}

// identityFromCertificate reads the subject identifier for
// SubjectIdentifierType certificateSubject: a seal's organizationIdentifier
// "VATPL-{nip}", or a person's serialNumber "PNOPL-{pesel}" / "TINPL-{nip}"
// (PESEL first).
func identityFromCertificate(cert *x509.Certificate) (certIdentity, error) {
	if isSeal(cert) {
		for _, o := range subjectAttr(cert, oidOrganizationIdentifier) {
			if m := vatAttrRe.FindStringSubmatch(o); m != nil {
				return certIdentity{subject: subjectID{subjNip, m[2]}, seal: true}, nil
			}
		}
		return certIdentity{}, errNoSubjectIdentifier
	}
	serials := subjectAttr(cert, oidSerialNumber)
	for _, sn := range serials {
		if m := peselAttrRe.FindStringSubmatch(sn); m != nil {
			return certIdentity{subject: subjectID{subjPesel, m[2]}}, nil
		}
	}
	for _, sn := range serials {
		if m := nipAttrRe.FindStringSubmatch(sn); m != nil {
			return certIdentity{subject: subjectID{subjNip, m[2]}}, nil
		}
	}
	return certIdentity{}, errNoSubjectIdentifier
}

// fingerprint is the SHA-256 of the certificate DER in uppercase hex, the
// identifier of SubjectIdentifierType certificateFingerprint.
func fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// checkContext validates a context identifier with the identifier parsers
// of package ksef: the schema pattern and the NIP check digit of Nip,
// InternalId and NipVatUe contexts. (KSeF does not enforce the check digit
// some clients put at the end of an InternalId, and neither does
// ksef.ParseInternalID.)
func checkContext(c ctxID) error {
	var err error
	switch ksef.AuthenticationContextIdentifierType(c.Type) {
	case ksef.ContextNip:
		_, err = ksef.ParseNIP(c.Value)
	case ksef.ContextInternalID:
		_, err = ksef.ParseInternalID(c.Value)
	case ksef.ContextNipVatUe:
		_, err = ksef.ParseNipVatUe(c.Value)
	case ksef.ContextPeppolID:
		_, err = ksef.ParsePeppolID(c.Value)
	default:
		return fmt.Errorf("unknown context identifier type %q", c.Type)
	}
	return err
}

// wellFormedNIP is any NIP with a correct check digit; checkContextPattern
// puts it in place of a NIP whose only fault is its check digit.
const wellFormedNIP = "1111111111"

// checkContextPattern checks only the shape of a context identifier (the
// schema patterns, which is what XSD validation of an AuthTokenRequest
// sees): a NIP part whose only fault is its check digit passes. checkContext
// then reports that fault.
func checkContextPattern(c ctxID) error {
	err := checkContext(c)
	if err == nil || !onlyChecksumWrong(contextNIP(c)) {
		return err
	}
	// Check the rest of the value (the suffix of InternalId and NipVatUe)
	// with a valid NIP in place of the one with the wrong check digit.
	return checkContext(ctxID{Type: c.Type, Value: wellFormedNIP + c.Value[len(wellFormedNIP):]})
}

// onlyChecksumWrong reports whether nip has the shape of a NIP but a wrong
// check digit.
func onlyChecksumWrong(nip string) bool {
	_, err := ksef.ParseNIP(nip)
	var ie *ksef.IdentifierError
	return errors.As(err, &ie) && ie.Reason == "checksum mismatch"
}
