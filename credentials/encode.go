package credentials

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/youmark/pkcs8"
	"software.sslmate.com/src/go-pkcs12"
)

// pkcs8Options encrypt PEM private keys like OpenSSL 3's default
// (`openssl pkcs8 -topk8 -v2 aes-256-cbc`), with more PBKDF2 iterations.
var pkcs8Options = &pkcs8.Opts{
	Cipher: pkcs8.AES256CBC,
	KDFOpts: pkcs8.PBKDF2Opts{
		SaltSize:       16,
		IterationCount: 100_000,
		HMACHash:       crypto.SHA256,
	},
}

// EncodePKCS12 returns c as a password-protected PKCS#12 file using modern
// algorithms (PBES2 with PBKDF2-HMAC-SHA-256 and AES-256-CBC, HMAC-SHA-256
// MAC), readable by OpenSSL 1.1.1+, Java 12+ and Windows Server 2019+. The
// password must not be empty.
func (c *Credentials) EncodePKCS12(password string) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if password == "" {
		return nil, fmt.Errorf("%w: a PKCS#12 password is required", ErrPassword)
	}
	out, err := pkcs12.Modern2023.Encode(c.Signer, c.Certificate, c.Chain, password)
	if err != nil {
		return nil, fmt.Errorf("credentials: encode PKCS#12: %w", err)
	}
	return out, nil
}

// EncodePEM returns the certificate followed by the chain as PEM
// "CERTIFICATE" blocks, and the private key as PKCS#8: "ENCRYPTED PRIVATE
// KEY" (PBES2, PBKDF2-HMAC-SHA-256, AES-256-CBC) when password is not empty,
// otherwise an unencrypted "PRIVATE KEY". Concatenate both for a single file.
func (c *Credentials) EncodePEM(password string) (certPEM, keyPEM []byte, err error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate.Raw})
	for _, ca := range c.Chain {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})...)
	}
	if password == "" {
		der, err := x509.MarshalPKCS8PrivateKey(c.Signer)
		if err != nil {
			return nil, nil, fmt.Errorf("credentials: encode private key: %w", err)
		}
		return certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	}
	der, err := pkcs8.MarshalPrivateKey(c.Signer, []byte(password), pkcs8Options)
	if err != nil {
		return nil, nil, errors.New("credentials: encrypt private key failed")
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}), nil
}
