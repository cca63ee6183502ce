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

// Context identifier patterns (OpenAPI components.schemas, XSD
// schemat_auth_v2-1).
var (
	nipRe        = regexp.MustCompile(`^[1-9]((\d[1-9])|([1-9]\d))\d{7}$`)
	internalIDRe = regexp.MustCompile(`^[1-9]((\d[1-9])|([1-9]\d))\d{7}-\d{5}$`)
	nipVatUeRe   = regexp.MustCompile(`^[1-9]((\d[1-9])|([1-9]\d))\d{7}-((AT)(U\d{8})|(BE)([01]{1}\d{9})|(BG)(\d{9,10})|(CY)(\d{8}[A-Z])|(CZ)(\d{8,10})|(DE)(\d{9})|(DK)(\d{8})|(EE)(\d{9})|(EL)(\d{9})|(ES)([A-Z]\d{8}|\d{8}[A-Z]|[A-Z]\d{7}[A-Z])|(FI)(\d{8})|(FR)[A-Z0-9]{2}\d{9}|(HR)(\d{11})|(HU)(\d{8})|(IE)(\d{7}[A-Z]{2}|\d[A-Z0-9+*]\d{5}[A-Z])|(IT)(\d{11})|(LT)(\d{9}|\d{12})|(LU)(\d{8})|(LV)(\d{11})|(MT)(\d{8})|(NL)([A-Z0-9+*]{12})|(PT)(\d{9})|(RO)(\d{2,10})|(SE)(\d{12})|(SI)(\d{8})|(SK)(\d{10})|(XI)((\d{9}|(\d{12}))|(GD|HA)(\d{3})))$`)
	peppolIDRe   = regexp.MustCompile(`^P[A-Z]{2}[0-9]{6}$`)
	peselRe      = regexp.MustCompile(`^\d{2}(?:0[1-9]|1[0-2]|2[1-9]|3[0-2]|4[1-9]|5[0-2]|6[1-9]|7[0-2]|8[1-9]|9[0-2])\d{7}$`)
)

// validNIP reports whether s is a NIP with a correct check digit.
func validNIP(s string) bool {
	if !nipRe.MatchString(s) {
		return false
	}
	w := [9]int{6, 5, 7, 2, 3, 4, 5, 6, 7}
	sum := 0
	for i, x := range w {
		sum += int(s[i]-'0') * x
	}
	return sum%11 != 10 && sum%11 == int(s[9]-'0')
}

// validPESEL reports whether s is a PESEL with a correct check digit.
func validPESEL(s string) bool {
	if !peselRe.MatchString(s) {
		return false
	}
	w := [10]int{1, 3, 7, 9, 1, 3, 7, 9, 1, 3}
	sum := 0
	for i, x := range w {
		sum += int(s[i]-'0') * x
	}
	return (10-sum%10)%10 == int(s[10]-'0')
}

// checkContextPattern checks the shape of a context identifier (schema
// patterns). It does not check NIP check digits; see checkContextChecksum.
func checkContextPattern(c ctxID) error {
	var re *regexp.Regexp
	switch ksef.AuthenticationContextIdentifierType(c.Type) {
	case ksef.ContextNip:
		re = nipRe
	case ksef.ContextInternalID:
		re = internalIDRe
	case ksef.ContextNipVatUe:
		re = nipVatUeRe
	case ksef.ContextPeppolID:
		re = peppolIDRe
	default:
		return fmt.Errorf("unknown context identifier type %q", c.Type)
	}
	if !re.MatchString(c.Value) {
		return fmt.Errorf("%s %q does not match the required pattern", c.Type, c.Value)
	}
	return nil
}

// checkContextChecksum checks the NIP check digit of Nip, InternalId and
// NipVatUe contexts. (KSeF does not enforce the check digit some clients put
// at the end of an InternalId, so neither does the simulator.)
func checkContextChecksum(c ctxID) error {
	nip := contextNIP(c)
	if nip == "" {
		return nil
	}
	if !validNIP(nip) {
		return fmt.Errorf("NIP %s has an invalid check digit", nip)
	}
	return nil
}
