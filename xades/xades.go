package xades

import (
	"crypto/x509"
	"errors"
	"time"
)

// XML namespaces and algorithm identifiers used in signatures.
const (
	// NamespaceDSig is the XML-DSig namespace (prefix "ds").
	NamespaceDSig = "http://www.w3.org/2000/09/xmldsig#"
	// NamespaceXAdES is the XAdES v1.3.2 namespace (prefix "xades").
	NamespaceXAdES = "http://uri.etsi.org/01903/v1.3.2#"

	// SignedPropertiesType is the Type of the reference to xades:SignedProperties.
	SignedPropertiesType = "http://uri.etsi.org/01903#SignedProperties"

	// AlgRSASHA256 is the RSASSA-PKCS1-v1_5 with SHA-256 signature method.
	AlgRSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	// AlgECDSASHA256 is the ECDSA with SHA-256 signature method (SignatureValue is raw r‖s).
	AlgECDSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	// AlgSHA256 is the SHA-256 digest method.
	AlgSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

	// AlgExcC14N is Exclusive XML Canonicalization 1.0 without comments.
	AlgExcC14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
	// AlgExcC14NWithComments is Exclusive XML Canonicalization 1.0 with comments.
	AlgExcC14NWithComments = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
	// AlgC14N10 is Canonical XML 1.0 without comments.
	AlgC14N10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	// AlgC14N10WithComments is Canonical XML 1.0 with comments.
	AlgC14N10WithComments = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
	// AlgC14N11 is Canonical XML 1.1 without comments.
	AlgC14N11 = "http://www.w3.org/2006/12/xml-c14n11"
	// AlgC14N11WithComments is Canonical XML 1.1 with comments.
	AlgC14N11WithComments = "http://www.w3.org/2006/12/xml-c14n11#WithComments"
	// AlgEnvelopedSignature is the enveloped-signature transform.
	AlgEnvelopedSignature = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
)

// Sentinel errors returned (wrapped) by [Sign] and [Verify]; test them with errors.Is.
var (
	// ErrStructure reports a document or signature whose shape is not accepted: not well-formed XML,
	// a DOCTYPE, a missing or duplicated element, a wrong number of references, a reference that does
	// not resolve to exactly one element of this signature, or a signature-wrapping attempt.
	ErrStructure = errors.New("xades: invalid signature structure")
	// ErrUnsupportedAlgorithm reports a signature, digest, canonicalisation or transform algorithm that
	// is not accepted, a key type or size that is not accepted (RSA < 2048 bits, EC curves below
	// P-256), or a SignatureMethod that does not match the key.
	ErrUnsupportedAlgorithm = errors.New("xades: unsupported algorithm or key")
	// ErrDigestMismatch reports a reference whose recomputed digest differs from its DigestValue:
	// the signed document or the signed properties were changed.
	ErrDigestMismatch = errors.New("xades: digest mismatch")
	// ErrBadSignature reports a SignatureValue that does not verify over SignedInfo with the
	// certificate's key, including an ECDSA value of the wrong length.
	ErrBadSignature = errors.New("xades: bad signature value")
	// ErrCertificateMismatch reports a KeyInfo certificate that is not the one named by
	// xades:SigningCertificate (CertDigest or IssuerSerial differ), or a signer key that does not
	// match the certificate passed to [Sign].
	ErrCertificateMismatch = errors.New("xades: certificate does not match SigningCertificate")
	// ErrCertificateValidity reports a signing certificate that is expired or not yet valid at
	// [VerifyOptions.Now], or that does not chain to [VerifyOptions.Roots] when roots are given.
	ErrCertificateValidity = errors.New("xades: certificate not valid")
	// ErrTooLarge reports a document larger than [VerifyOptions.MaxBytes]; it is returned
	// before the document is parsed.
	ErrTooLarge = errors.New("xades: document too large")
)

// DefaultMaxBytes is the size limit [Verify] applies when [VerifyOptions.MaxBytes] is zero:
// 1 MiB. An AuthTokenRequest signed with a certificate chain is a few kilobytes (about 10 KB
// with three certificates), and the simulator accepts request bodies up to the same 1 MiB, so
// the limit leaves two orders of magnitude of room while keeping the cost of a hostile
// document bounded (parsing and canonicalising 1 MiB takes in the order of a second of CPU).
// Callers verifying larger signed documents (a UPO of a big batch session, for example) raise
// it.
const DefaultMaxBytes = 1 << 20

// WarningNonConforming is the code of a [Warning] about a signature that KSeF accepts but flags
// as not conforming to its XAdES profile; KSeF reports it in an X-System-Warning header as
// "[sig-001] …".
const WarningNonConforming = "sig-001"

// Warning is a finding of [Verify] that does not make the signature invalid.
type Warning struct {
	// Code is a stable identifier such as [WarningNonConforming].
	Code string
	// Message explains the finding in English.
	Message string
}

// String formats the warning as KSeF's X-System-Warning does: "[code] message".
func (w Warning) String() string { return "[" + w.Code + "] " + w.Message }

// SignOptions tunes [Sign]. The zero value (or nil) is ready to use.
type SignOptions struct {
	// SigningTime is written to xades:SigningTime (in UTC). Zero means the current time minus
	// one minute, which tolerates small clock differences with the verifier.
	SigningTime time.Time
	// Canonicalization is the SignedInfo CanonicalizationMethod. Empty means [AlgExcC14N];
	// [AlgC14N10] and [AlgC14N11] are also accepted.
	Canonicalization string
}

// VerifyOptions tunes [Verify]. The zero value (or nil) is ready to use.
type VerifyOptions struct {
	// Now is the time at which the signing certificate must be valid. Zero means time.Now().
	Now time.Time
	// Roots, when non-nil, requires the signing certificate to chain to one of these roots
	// (KeyInfo certificates other than the signing one are used as intermediates).
	Roots *x509.CertPool
	// MaxBytes is the largest document accepted, checked before parsing. Zero means
	// [DefaultMaxBytes]; a negative value disables the limit.
	MaxBytes int
}

// maxBytes returns the effective size limit; 0 means none.
func (o *VerifyOptions) maxBytes() int {
	switch {
	case o.MaxBytes == 0:
		return DefaultMaxBytes
	case o.MaxBytes < 0:
		return 0
	}
	return o.MaxBytes
}

// Verified describes a signature accepted by [Verify].
type Verified struct {
	// Certificate is the signing certificate (from KeyInfo, bound by xades:SigningCertificate).
	Certificate *x509.Certificate
	// Chain holds the other certificates found in KeyInfo, in document order.
	Chain []*x509.Certificate
	// SigningTime is xades:SigningTime, in UTC.
	SigningTime time.Time
	// SignatureMethod is the SignatureMethod algorithm URI.
	SignatureMethod string
	// Enveloping reports an enveloping signature (the document element is ds:Signature and the
	// signed content sits in a ds:Object); false means enveloped.
	Enveloping bool
	// SignedXML is the signed element — the document element without the ds:Signature
	// (enveloped), or the element inside the signed ds:Object (enveloping) — as a standalone
	// XML document in Exclusive C14N form without comments. Everything in it is covered by the
	// signature; read the signed content from here rather than from the submitted bytes.
	SignedXML []byte
	// Warnings lists what KSeF accepts but flags as non-conforming (SHA-1 digests or
	// signature method), in the order found; nil when there is nothing to report.
	Warnings []Warning
}
