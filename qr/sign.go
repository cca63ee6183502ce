package qr

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/ksef2/ksef/ident"
)

// Errors of signing and verifying KOD II links, usable with errors.Is.
var (
	// ErrUnsupportedKey: the key is neither RSA of at least 2048 bits nor
	// ECDSA on P-256.
	ErrUnsupportedKey = errors.New("qr: unsupported key (want RSA >= 2048 bits or ECDSA P-256)")
	// ErrBadSignature: the signature in the link does not verify with the
	// certificate's public key.
	ErrBadSignature = errors.New("qr: signature does not verify")
	// ErrCertificateMismatch: the certificate serial in the link is not the
	// serial of the given certificate, or the signer's public key is not the
	// certificate's.
	ErrCertificateMismatch = errors.New("qr: certificate does not match the link")
	// ErrCertificateNotValid: the certificate is not valid at the checked time.
	ErrCertificateNotValid = errors.New("qr: certificate not valid at the given time")
)

// ECDSAFormat selects how an ECDSA signature is encoded in a KOD II link.
type ECDSAFormat int

const (
	// ECDSAP1363 is the fixed-length r||s encoding (32 bytes each), the
	// format the KSeF documentation recommends.
	ECDSAP1363 ECDSAFormat = iota
	// ECDSADER is the ASN.1 DER SEQUENCE of RFC 3279, which KSeF also accepts.
	ECDSADER
)

// CertificateLinkParams are the inputs of [NewCertificateLink].
type CertificateLinkParams struct {
	Host         string     // TestHost, DemoHost, ProductionHost or another https origin
	ContextType  ident.Type // type of the context the invoice is issued in (ident.TypeNip, ...)
	ContextValue string     // the context identifier
	SellerNIP    string     // NIP of the seller (Podmiot1)

	// Certificate is the issuer's KSeF certificate of type Offline; its
	// serial number goes into the link. KSeF refuses certificates of type
	// Authentication for KOD II (this package cannot tell them apart).
	Certificate *x509.Certificate
	// Signer is the certificate's private key: RSA (>= 2048 bits, signs
	// RSASSA-PSS SHA-256, MGF1-SHA-256, salt 32) or ECDSA P-256.
	Signer crypto.Signer

	// Invoice is the invoice file; alternatively give Hash.
	Invoice []byte
	// Hash is the Base64URL SHA-256 of the invoice file, used when Invoice is nil.
	Hash string

	// ECDSAFormat selects the encoding of ECDSA signatures (default r||s).
	ECDSAFormat ECDSAFormat
	// Rand is the randomness source of the signature; nil uses crypto/rand.
	Rand io.Reader
}

// SerialHex returns the serial number of cert as KSeF writes it in KOD II
// links: uppercase hexadecimal of the DER integer's bytes, e.g.
// 01F20A5D352AE590 (a serial whose first byte is >= 0x80 keeps the 00 sign
// byte of its DER form).
func SerialHex(cert *x509.Certificate) string {
	sn := cert.SerialNumber
	if sn == nil {
		return ""
	}
	b := sn.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// NewCertificateLink builds and signs KOD II.
func NewCertificateLink(p CertificateLinkParams) (*CertificateLink, error) {
	host, err := normalizeHost(p.Host)
	if err != nil {
		return nil, err
	}
	if err := checkContext(p.ContextType, p.ContextValue); err != nil {
		return nil, err
	}
	if err := checkSellerNIP(p.SellerNIP); err != nil {
		return nil, err
	}
	if p.Certificate == nil || p.Signer == nil {
		return nil, errors.New("qr: certificate and signer are required")
	}
	if !publicKeysEqual(p.Certificate.PublicKey, p.Signer.Public()) {
		return nil, fmt.Errorf("%w: the signer's public key is not the certificate's", ErrCertificateMismatch)
	}
	hash := p.Hash
	if p.Invoice != nil {
		hash = InvoiceHash(p.Invoice)
	} else if !isHash(hash) {
		return nil, malformed("neither the invoice nor a valid Base64URL SHA-256 hash was given")
	}
	l := &CertificateLink{
		Host: host, ContextType: p.ContextType, ContextValue: p.ContextValue,
		SellerNIP: p.SellerNIP, CertSerial: SerialHex(p.Certificate), Hash: hash,
	}
	sig, err := signData(p.Signer, []byte(l.SignedData()), p.ECDSAFormat, p.Rand)
	if err != nil {
		return nil, err
	}
	l.Signature = sig
	return l, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	ae, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ae.Equal(b)
}

func signData(signer crypto.Signer, data []byte, format ECDSAFormat, rnd io.Reader) ([]byte, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	digest := sha256.Sum256(data)
	switch pub := signer.Public().(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 {
			return nil, ErrUnsupportedKey
		}
		sig, err := signer.Sign(rnd, digest[:], &rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256})
		if err != nil {
			return nil, fmt.Errorf("qr: RSA-PSS signing failed: %w", err)
		}
		return sig, nil
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return nil, ErrUnsupportedKey
		}
		der, err := signer.Sign(rnd, digest[:], crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("qr: ECDSA signing failed: %w", err)
		}
		if format == ECDSADER {
			return der, nil
		}
		return derToP1363(der)
	}
	return nil, ErrUnsupportedKey
}

type ecdsaSig struct{ R, S *big.Int }

func derToP1363(der []byte) ([]byte, error) {
	var sig ecdsaSig
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 || sig.R == nil || sig.S == nil ||
		sig.R.Sign() <= 0 || sig.S.Sign() <= 0 || sig.R.BitLen() > 256 || sig.S.BitLen() > 256 {
		return nil, errors.New("qr: signer returned a malformed ECDSA signature")
	}
	out := make([]byte, 64)
	sig.R.FillBytes(out[:32])
	sig.S.FillBytes(out[32:])
	return out, nil
}

// VerifyOptions are the inputs of [CertificateLink.Verify].
type VerifyOptions struct {
	// Certificate is the issuer's KSeF certificate (required).
	Certificate *x509.Certificate
	// Invoice, when non-nil, must be the file whose hash is in the link.
	Invoice []byte
	// Now is the time at which the certificate must be valid; zero means
	// time.Now().
	Now time.Time
}

// Verify checks a KOD II link offline: the invoice hash (when
// opts.Invoice is given), that the certificate serial in the link is the
// certificate's, the certificate's validity period at opts.Now, and the
// signature over [CertificateLink.SignedData] with the certificate's public
// key (RSASSA-PSS SHA-256 salt 32, or ECDSA P-256 as r||s or DER). KSeF
// additionally checks revocation and the issuer's permissions in the
// context, which cannot be checked offline.
func (l *CertificateLink) Verify(opts VerifyOptions) error {
	cert := opts.Certificate
	if cert == nil {
		return errors.New("qr: a certificate is required to verify a KOD II link")
	}
	if opts.Invoice != nil && InvoiceHash(opts.Invoice) != l.Hash {
		return ErrHashMismatch
	}
	serial, ok := new(big.Int).SetString(l.CertSerial, 16)
	if !ok || cert.SerialNumber == nil || serial.Cmp(cert.SerialNumber) != 0 {
		return fmt.Errorf("%w: serial %s in the link, %s in the certificate", ErrCertificateMismatch, truncate(l.CertSerial), SerialHex(cert))
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return fmt.Errorf("%w: valid %s to %s", ErrCertificateNotValid,
			cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	}
	return verifySignature(cert.PublicKey, []byte(l.SignedData()), l.Signature)
}

func verifySignature(pub crypto.PublicKey, data, sig []byte) error {
	digest := sha256.Sum256(data)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return ErrUnsupportedKey
		}
		if err := rsa.VerifyPSS(k, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256}); err != nil {
			return ErrBadSignature
		}
		return nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return ErrUnsupportedKey
		}
		if len(sig) == 64 {
			r := new(big.Int).SetBytes(sig[:32])
			s := new(big.Int).SetBytes(sig[32:])
			if ecdsa.Verify(k, digest[:], r, s) {
				return nil
			}
		}
		if ecdsa.VerifyASN1(k, digest[:], sig) {
			return nil
		}
		return ErrBadSignature
	}
	return ErrUnsupportedKey
}
