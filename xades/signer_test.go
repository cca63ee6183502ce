package xades

import (
	"crypto"
	"io"
	"testing"
)

// opaqueSigner hides the concrete key type, as an HSM or smart-card
// crypto.Signer does: only Public and Sign are available.
type opaqueSigner struct {
	inner crypto.Signer
	calls int
	opts  crypto.SignerOpts
}

func (o *opaqueSigner) Public() crypto.PublicKey { return o.inner.Public() }

func (o *opaqueSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	o.calls++
	o.opts = opts
	return o.inner.Sign(r, digest, opts)
}

// TestSignWithOpaqueSigner signs with signers that are neither
// *rsa.PrivateKey nor *ecdsa.PrivateKey (the ECDSA one returns ASN.1 DER, as
// crypto.Signer implementations do) and verifies the result.
func TestSignWithOpaqueSigner(t *testing.T) {
	for name, s := range map[string]testSigner{"RSA": rsaTestSigner(t), "ECDSA": ecTestSigner(t)} {
		t.Run(name, func(t *testing.T) {
			o := &opaqueSigner{inner: s.key}
			signed, err := Sign([]byte(`<root><a>x</a></root>`), s.cert, o, &SignOptions{SigningTime: testNow})
			if err != nil {
				t.Fatal(err)
			}
			if o.calls != 1 || o.opts.HashFunc() != crypto.SHA256 {
				t.Errorf("signer called %d times with hash %v, want once with SHA-256", o.calls, o.opts.HashFunc())
			}
			v, err := Verify(signed, &VerifyOptions{Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			if !v.Certificate.Equal(s.cert) {
				t.Error("Verify returned another certificate")
			}
		})
	}
}
