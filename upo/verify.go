package upo

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/ksef2/ksef/xades"
)

// MaxSignedBytes is the size limit [Verify] applies: 64 MiB. A session UPO
// page lists up to 10,000 documents of about 700 bytes each (7 MB); the
// limit leaves room for long names while bounding the cost of a hostile
// document.
const MaxSignedBytes = 64 << 20

// ErrUnsigned is returned by [Verify] for a UPO without a ds:Signature.
var ErrUnsigned = errors.New("upo: document is not signed")

// VerifyOptions tunes [VerifyWithOptions]. The zero value (or nil) is what
// [Verify] uses.
type VerifyOptions struct {
	// Now is the time at which the signing certificate must be valid. Zero
	// means time.Now(); to check an old UPO, pass its signing time.
	Now time.Time
	// Roots, when non-nil, requires the signing certificate to chain to one
	// of these roots (e.g. the CA of the Ministry of Finance certificate).
	Roots *x509.CertPool
	// MaxBytes is the largest document accepted (0 = [MaxSignedBytes];
	// negative = no limit).
	MaxBytes int
}

// Verify checks the XAdES signature of a UPO (digests, signature value,
// SigningCertificate bound to KeyInfo, certificate validity now) and
// parses the signed content. It returns the UPO, read from the signed
// bytes only, and the signing certificate; the caller decides whether it
// trusts that certificate (KSeF's UPOs are signed by the Ministry of
// Finance; the simulator's by its own key). An unsigned UPO fails with
// [ErrUnsigned], a broken signature with the xades error.
func Verify(data []byte) (*UPO, *x509.Certificate, error) {
	return VerifyWithOptions(data, nil)
}

// VerifyWithOptions is [Verify] with options.
func VerifyWithOptions(data []byte, opts *VerifyOptions) (*UPO, *x509.Certificate, error) {
	var o VerifyOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = MaxSignedBytes
	}
	if o.MaxBytes > 0 && len(data) > o.MaxBytes {
		return nil, nil, fmt.Errorf("upo: %w: %d bytes exceed the limit of %d", xades.ErrTooLarge, len(data), o.MaxBytes)
	}
	// A quick parse first: an unsigned or malformed UPO gets a clear error.
	u, err := Parse(data)
	if err != nil {
		return nil, nil, err
	}
	if !u.Signed {
		return nil, nil, ErrUnsigned
	}
	v, err := xades.Verify(data, &xades.VerifyOptions{Now: o.Now, Roots: o.Roots, MaxBytes: o.MaxBytes})
	if err != nil {
		return nil, nil, fmt.Errorf("upo: signature: %w", err)
	}
	// Read what is signed, never what merely sits next to the signature.
	signed, err := Parse(v.SignedXML)
	if err != nil {
		return nil, nil, fmt.Errorf("upo: signed content: %w", err)
	}
	signed.Signed = true
	return signed, v.Certificate, nil
}
