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
	"math/big"
	"time"
)

// KeyType selects the key algorithm of a generated certificate.
type KeyType string

// Key types accepted by KSeF. The zero value means [RSA2048].
const (
	RSA2048 KeyType = "RSA2048"
	ECP256  KeyType = "ECP256"
)

// DefaultValidity is the validity of generated certificates when
// [CertOptions].Validity is zero.
const DefaultValidity = 2 * 365 * 24 * time.Hour

// CertOptions tunes a generated TEST certificate. The zero value (or nil)
// gives an RSA 2048 key, the default names below, validity from one hour
// before now for [DefaultValidity] and keyUsage digitalSignature.
type CertOptions struct {
	// KeyType is the key algorithm; empty means RSA2048.
	KeyType KeyType
	// GivenName and Surname of a person (defaults "Jan" and "Testowy"). They
	// must be empty for a seal.
	GivenName, Surname string
	// CommonName defaults to "GivenName Surname" for a person, to
	// Organization for a seal and to "KSeF test certificate" otherwise.
	CommonName string
	// Organization is the organizationName of a seal (default "Firma
	// Testowa Sp. z o.o."); optional for other certificates.
	Organization string
	// Country is the countryName; defaults to "PL".
	Country string
	// Validity is the lifetime counted from NotBefore; zero means
	// DefaultValidity.
	Validity time.Duration
	// Now is the reference time (zero means time.Now()); the certificate is
	// valid from Now minus one hour.
	Now time.Time
	// NonRepudiation adds the nonRepudiation (contentCommitment) key usage
	// to digitalSignature.
	NonRepudiation bool
	// Signer, when set, is used instead of generating a new key; KeyType is
	// then ignored.
	Signer crypto.Signer
}

func (o *CertOptions) orDefault() CertOptions {
	var c CertOptions
	if o != nil {
		c = *o
	}
	if c.KeyType == "" {
		c.KeyType = RSA2048
	}
	if c.Country == "" {
		c.Country = "PL"
	}
	if c.Validity == 0 {
		c.Validity = DefaultValidity
	}
	if c.Now.IsZero() {
		c.Now = time.Now()
	}
	return c
}

// NewKey generates a private key of the given type (empty means RSA2048).
func NewKey(kt KeyType) (crypto.Signer, error) {
	switch kt {
	case RSA2048, "":
		return rsa.GenerateKey(rand.Reader, 2048)
	case ECP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	return nil, fmt.Errorf("credentials: unknown key type %q", kt)
}

// NewPersonNIP generates a self-signed TEST certificate for a natural person
// identified by NIP: subject serialNumber "TINPL-<nip>", givenName, surname,
// commonName and countryName. nip must be 10 digits (the checksum is not
// verified here).
func NewPersonNIP(nip string, opts *CertOptions) (*Credentials, error) {
	if !digits(nip, 10) {
		return nil, errors.New("credentials: NIP must be 10 digits")
	}
	return newPerson("TINPL-"+nip, opts)
}

// NewPersonPESEL generates a self-signed TEST certificate for a natural
// person identified by PESEL: subject serialNumber "PNOPL-<pesel>",
// givenName, surname, commonName and countryName. pesel must be 11 digits.
func NewPersonPESEL(pesel string, opts *CertOptions) (*Credentials, error) {
	if !digits(pesel, 11) {
		return nil, errors.New("credentials: PESEL must be 11 digits")
	}
	return newPerson("PNOPL-"+pesel, opts)
}

func newPerson(serial string, opts *CertOptions) (*Credentials, error) {
	o := opts.orDefault()
	if o.GivenName == "" {
		o.GivenName = "Jan"
	}
	if o.Surname == "" {
		o.Surname = "Testowy"
	}
	if o.CommonName == "" {
		o.CommonName = o.GivenName + " " + o.Surname
	}
	var names []pkix.AttributeTypeAndValue
	names = append(names, printable(OIDCountryName, o.Country))
	if o.Organization != "" {
		names = append(names, utf8(OIDOrganizationName, o.Organization))
	}
	names = append(names,
		utf8(OIDGivenName, o.GivenName),
		utf8(OIDSurname, o.Surname),
		printable(OIDSerialNumber, serial),
		utf8(OIDCommonName, o.CommonName),
	)
	return selfSign(names, o)
}

// NewSealNIP generates a self-signed TEST company seal certificate for the
// organisation with the given NIP: subject organizationIdentifier
// "VATPL-<nip>" (UTF8String, as in qualified seals), organizationName,
// commonName and countryName, and no givenName or surname (KSeF rejects
// seals carrying them; setting GivenName or Surname is an error).
func NewSealNIP(nip string, opts *CertOptions) (*Credentials, error) {
	if !digits(nip, 10) {
		return nil, errors.New("credentials: NIP must be 10 digits")
	}
	o := opts.orDefault()
	if o.GivenName != "" || o.Surname != "" {
		return nil, errors.New("credentials: a seal certificate must not have givenName or surname")
	}
	if o.Organization == "" {
		o.Organization = "Firma Testowa Sp. z o.o."
	}
	if o.CommonName == "" {
		o.CommonName = o.Organization
	}
	names := []pkix.AttributeTypeAndValue{
		printable(OIDCountryName, o.Country),
		utf8(OIDOrganizationName, o.Organization),
		utf8(OIDOrganizationIdentifier, "VATPL-"+nip),
		utf8(OIDCommonName, o.CommonName),
	}
	return selfSign(names, o)
}

// NewFingerprintOnly generates a self-signed TEST certificate without NIP or
// PESEL (no serialNumber, no organizationIdentifier), which KSeF can only
// identify by its SHA-256 [Fingerprint]; for example a foreign person or
// entity. The subject has countryName, optional organizationName, givenName
// and surname when set, and commonName.
func NewFingerprintOnly(opts *CertOptions) (*Credentials, error) {
	o := opts.orDefault()
	if o.CommonName == "" {
		o.CommonName = "KSeF test certificate"
	}
	names := []pkix.AttributeTypeAndValue{printable(OIDCountryName, o.Country)}
	if o.Organization != "" {
		names = append(names, utf8(OIDOrganizationName, o.Organization))
	}
	if o.GivenName != "" {
		names = append(names, utf8(OIDGivenName, o.GivenName))
	}
	if o.Surname != "" {
		names = append(names, utf8(OIDSurname, o.Surname))
	}
	names = append(names, utf8(OIDCommonName, o.CommonName))
	return selfSign(names, o)
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// utf8 returns an attribute encoded as UTF8String.
func utf8(oid asn1.ObjectIdentifier, s string) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{Type: oid, Value: asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte(s)}}
}

// printable returns an attribute encoded as PrintableString, as X.520
// requires for countryName and serialNumber.
func printable(oid asn1.ObjectIdentifier, s string) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{Type: oid, Value: asn1.RawValue{Tag: asn1.TagPrintableString, Bytes: []byte(s)}}
}

func isPrintableString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == ' ' || c == '\'' || c == '(' || c == ')' || c == '+' || c == ',' || c == '-' ||
			c == '.' || c == '/' || c == ':' || c == '=' || c == '?':
		default:
			return false
		}
	}
	return true
}

// randomSerial returns a random positive 127-bit serial number.
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 127)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, fmt.Errorf("credentials: random serial: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

func selfSign(names []pkix.AttributeTypeAndValue, o CertOptions) (*Credentials, error) {
	for _, n := range names {
		if rv := n.Value.(asn1.RawValue); rv.Tag == asn1.TagPrintableString && !isPrintableString(string(rv.Bytes)) {
			return nil, fmt.Errorf("credentials: attribute %v must be printable ASCII", n.Type)
		}
	}
	if len(o.Country) != 2 {
		return nil, errors.New("credentials: country must be a 2-letter ISO 3166 code")
	}
	if o.Validity < 0 {
		return nil, errors.New("credentials: negative validity")
	}
	signer := o.Signer
	if signer == nil {
		var err error
		if signer, err = NewKey(o.KeyType); err != nil {
			return nil, err
		}
	} else if err := checkKeyType(signer); err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	usage := x509.KeyUsageDigitalSignature
	if o.NonRepudiation {
		usage |= x509.KeyUsageContentCommitment
	}
	subject := pkix.Name{ExtraNames: names}
	notBefore := o.Now.Add(-time.Hour).UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(o.Validity),
		KeyUsage:              usage,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("credentials: create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("credentials: parse generated certificate: %w", err)
	}
	return &Credentials{Certificate: cert, Signer: signer}, nil
}
