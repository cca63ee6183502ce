package ksef

import "time"

// PublicKeyCertificateUsage says what an MF public-key certificate is for.
type PublicKeyCertificateUsage string

// Public-key certificate usages.
const (
	// KsefTokenEncryption keys encrypt KSeF tokens (POST /auth/ksef-token).
	KsefTokenEncryption PublicKeyCertificateUsage = "KsefTokenEncryption"
	// SymmetricKeyEncryption keys wrap the AES keys of sessions and exports.
	SymmetricKeyEncryption PublicKeyCertificateUsage = "SymmetricKeyEncryption"
)

// PublicKeyCertificate is one entry of GET /security/public-key-certificates:
// an X.509 certificate of the Ministry of Finance used for encryption.
type PublicKeyCertificate struct {
	// Certificate is the DER-encoded X.509 certificate.
	Certificate []byte `json:"certificate"`
	// CertificateID is Base64(SHA-256(certificate DER)).
	CertificateID string `json:"certificateId"`
	// PublicKeyID is Base64(SHA-256(SubjectPublicKeyInfo DER)), 44 characters.
	PublicKeyID string `json:"publicKeyId"`
	// ValidFrom is the start of validity.
	ValidFrom time.Time `json:"validFrom"`
	// ValidTo is the end of validity.
	ValidTo time.Time `json:"validTo"`
	// Usage lists what the key may be used for.
	Usage []PublicKeyCertificateUsage `json:"usage"`
}
