package qr

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/envelope"
)

// QR hosts of the KSeF environments: the origin of every verification link.
const (
	// TestHost is the QR host of the TEST environment (TE, release candidate).
	TestHost = "https://qr-test.ksef.mf.gov.pl"
	// DemoHost is the QR host of the DEMO (pre-production) environment.
	DemoHost = "https://qr-demo.ksef.mf.gov.pl"
	// ProductionHost is the QR host of the production environment.
	ProductionHost = "https://qr.ksef.mf.gov.pl"
)

// Labels KSeF requires under a code.
const (
	// LabelOffline goes under KOD I while the invoice has no KSeF number yet.
	LabelOffline = "OFFLINE"
	// LabelCertificate goes under KOD II.
	LabelCertificate = "CERTYFIKAT"
)

// InvoiceLabel returns the label for KOD I: the KSeF number when it is
// known, otherwise [LabelOffline].
func InvoiceLabel(ksefNumber string) string {
	if ksefNumber == "" {
		return LabelOffline
	}
	return ksefNumber
}

// ErrMalformedLink is matched (errors.Is) by the errors of link parsing and
// building when the input does not have the documented shape.
var ErrMalformedLink = errors.New("qr: malformed link")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformedLink}, args...)...)
}

// dateLayout is the format of P_1 in KOD I links (DD-MM-YYYY).
const dateLayout = "02-01-2006"

// InvoiceHash returns the invoice hash used in the links: SHA-256 of the
// invoice file bytes, Base64URL without padding (43 characters).
func InvoiceHash(invoice []byte) string {
	return envelope.SHA256Base64URL(invoice)
}

// HashFromBase64 converts an invoice hash in standard Base64 with padding
// (as the KSeF API returns it, 44 characters) into the Base64URL form of the
// links.
func HashFromBase64(std string) (string, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(std)
	if err != nil || len(b) != sha256.Size {
		return "", malformed("hash is not a Base64 SHA-256 value")
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Link is a parsed KSeF verification link: an [*InvoiceLink] (KOD I) or a
// [*CertificateLink] (KOD II).
type Link interface {
	// String returns the link as it is encoded in the QR code.
	String() string
	isLink()
}

// InvoiceLink is KOD I, the link to verify and download an invoice:
// {host}/invoice/{sellerNIP}/{issue date DD-MM-YYYY}/{invoice hash}.
type InvoiceLink struct {
	Host      string    // origin with scheme, e.g. TestHost
	SellerNIP string    // NIP of the seller (Podmiot1)
	IssueDate time.Time // the invoice's issue date (P_1); only the calendar day is used
	Hash      string    // Base64URL SHA-256 of the invoice file, see InvoiceHash
}

func (*InvoiceLink) isLink() {}

// NewInvoiceLink builds KOD I for the invoice file bytes of a seller and
// the invoice's issue date (P_1).
func NewInvoiceLink(host, sellerNIP string, issueDate time.Time, invoice []byte) (*InvoiceLink, error) {
	h, err := normalizeHost(host)
	if err != nil {
		return nil, err
	}
	if err := checkSellerNIP(sellerNIP); err != nil {
		return nil, err
	}
	return &InvoiceLink{Host: h, SellerNIP: sellerNIP, IssueDate: issueDate, Hash: InvoiceHash(invoice)}, nil
}

// String returns the link.
func (l *InvoiceLink) String() string {
	return l.Host + "/invoice/" + l.SellerNIP + "/" + l.IssueDate.Format(dateLayout) + "/" + l.Hash
}

// ErrHashMismatch is returned when an invoice file does not match the hash
// in a link.
var ErrHashMismatch = errors.New("qr: invoice hash does not match the link")

// Verify checks that invoice is the file the link was made for.
func (l *InvoiceLink) Verify(invoice []byte) error {
	if InvoiceHash(invoice) != l.Hash {
		return ErrHashMismatch
	}
	return nil
}

// CertificateLink is KOD II, the link confirming the issuer of an offline
// invoice with a KSeF certificate of type Offline:
// {host}/certificate/{context type}/{context value}/{sellerNIP}/{certificate
// serial}/{invoice hash}/{signature}.
type CertificateLink struct {
	Host         string     // origin with scheme, e.g. TestHost
	ContextType  ident.Type // type of the context identifier: ident.TypeNip, TypeInternalID, TypeNipVatUe or TypePeppolID
	ContextValue string     // the context identifier (NIP, InternalId, NipVatUe or PeppolId)
	SellerNIP    string     // NIP of the seller (Podmiot1)
	CertSerial   string     // serial number of the KSeF certificate, hexadecimal
	Hash         string     // Base64URL SHA-256 of the invoice file
	Signature    []byte     // signature of SignedData (RSA-PSS, or ECDSA r||s or DER)
}

func (*CertificateLink) isLink() {}

// SignedData returns the string the signature covers: the link without
// "https://" up to and including the hash, without a trailing slash.
func (l *CertificateLink) SignedData() string {
	return strings.TrimPrefix(l.Host, "https://") + "/certificate/" + string(l.ContextType) + "/" +
		l.ContextValue + "/" + l.SellerNIP + "/" + l.CertSerial + "/" + l.Hash
}

// String returns the link.
func (l *CertificateLink) String() string {
	return "https://" + l.SignedData() + "/" + base64.RawURLEncoding.EncodeToString(l.Signature)
}

// ParseLink parses a KOD I or KOD II link. The host may be any HTTPS origin
// (use the Host field to check the environment).
func ParseLink(s string) (Link, error) {
	host, rest, err := splitOrigin(s)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 4 && parts[0] == "invoice":
		return parseInvoiceParts(host, parts[1:])
	case len(parts) == 7 && parts[0] == "certificate":
		return parseCertificateParts(host, parts[1:])
	}
	return nil, malformed("path is neither /invoice/{nip}/{date}/{hash} nor /certificate/{type}/{value}/{nip}/{serial}/{hash}/{signature}")
}

// ParseInvoiceLink parses a KOD I link.
func ParseInvoiceLink(s string) (*InvoiceLink, error) {
	l, err := ParseLink(s)
	if err != nil {
		return nil, err
	}
	il, ok := l.(*InvoiceLink)
	if !ok {
		return nil, malformed("not an invoice (KOD I) link")
	}
	return il, nil
}

// ParseCertificateLink parses a KOD II link.
func ParseCertificateLink(s string) (*CertificateLink, error) {
	l, err := ParseLink(s)
	if err != nil {
		return nil, err
	}
	cl, ok := l.(*CertificateLink)
	if !ok {
		return nil, malformed("not a certificate (KOD II) link")
	}
	return cl, nil
}

func parseInvoiceParts(host string, p []string) (*InvoiceLink, error) {
	if err := checkSellerNIP(p[0]); err != nil {
		return nil, err
	}
	d, err := parseDate(p[1])
	if err != nil {
		return nil, err
	}
	if !isHash(p[2]) {
		return nil, malformed("invoice hash is not 43 Base64URL characters of a SHA-256 value")
	}
	return &InvoiceLink{Host: host, SellerNIP: p[0], IssueDate: d, Hash: p[2]}, nil
}

func parseCertificateParts(host string, p []string) (*CertificateLink, error) {
	ct := ident.Type(p[0])
	if err := checkContext(ct, p[1]); err != nil {
		return nil, err
	}
	if err := checkSellerNIP(p[2]); err != nil {
		return nil, err
	}
	if !isSerial(p[3]) {
		return nil, malformed("certificate serial %q is not hexadecimal", truncate(p[3]))
	}
	if !isHash(p[4]) {
		return nil, malformed("invoice hash is not 43 Base64URL characters of a SHA-256 value")
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(p[5])
	if err != nil || len(sig) == 0 || len(sig) > maxSignatureLen {
		return nil, malformed("signature is not Base64URL without padding")
	}
	return &CertificateLink{
		Host: host, ContextType: ct, ContextValue: p[1], SellerNIP: p[2],
		CertSerial: p[3], Hash: p[4], Signature: sig,
	}, nil
}

// maxSignatureLen bounds the decoded signature (RSA 8192 bits).
const maxSignatureLen = 1024

func splitOrigin(s string) (host, rest string, err error) {
	const scheme = "https://"
	if !strings.HasPrefix(s, scheme) {
		return "", "", malformed("link must start with https://")
	}
	i := strings.IndexByte(s[len(scheme):], '/')
	if i < 0 {
		return "", "", malformed("link has no path")
	}
	host = s[:len(scheme)+i]
	if err := checkHostName(host[len(scheme):]); err != nil {
		return "", "", err
	}
	return host, s[len(scheme)+i+1:], nil
}

// normalizeHost checks a host given by the caller ("https://name[:port]",
// with an optional trailing slash) and returns it without the slash.
func normalizeHost(h string) (string, error) {
	h = strings.TrimSuffix(h, "/")
	if !strings.HasPrefix(h, "https://") {
		return "", malformed("host %q must start with https:// (use TestHost, DemoHost or ProductionHost)", truncate(h))
	}
	if err := checkHostName(h[len("https://"):]); err != nil {
		return "", err
	}
	return h, nil
}

func checkHostName(name string) error {
	if name == "" || len(name) > 253 {
		return malformed("empty or too long host name")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':') {
			return malformed("invalid character %q in host name", c)
		}
	}
	return nil
}

func parseDate(s string) (time.Time, error) {
	if len(s) != len(dateLayout) {
		return time.Time{}, malformed("issue date %q is not DD-MM-YYYY", truncate(s))
	}
	d, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, malformed("issue date %q is not DD-MM-YYYY", truncate(s))
	}
	return d, nil
}

// checkSellerNIP checks the seller NIP of a link with
// [ident.CheckNIPPattern]: the pattern of the KSeF API schema Nip, not the
// checksum, which KSeF does not check for sellers either.
func checkSellerNIP(s string) error {
	if err := ident.CheckNIPPattern(s); err != nil {
		return fmt.Errorf("%w: seller NIP: %w", ErrMalformedLink, err)
	}
	return nil
}

func isHash(s string) bool {
	if len(s) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == sha256.Size
}

func isSerial(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// checkContext checks a context identifier of KOD II: its type must be one
// of the context types of KSeF (Nip, InternalId, NipVatUe, PeppolId) and its
// value must pass [ident.Validate] (pattern and, for a NIP, checksum).
func checkContext(ct ident.Type, v string) error {
	switch ct {
	case ident.TypeNip, ident.TypeInternalID, ident.TypeNipVatUe, ident.TypePeppolID:
	default:
		return malformed("context type %q is not Nip, InternalId, NipVatUe or PeppolId", truncate(string(ct)))
	}
	if err := ident.Validate(ct, v); err != nil {
		return fmt.Errorf("%w: context identifier: %w", ErrMalformedLink, err)
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
