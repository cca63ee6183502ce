package credentials

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/youmark/pkcs8"
	"software.sslmate.com/src/go-pkcs12"
)

// LoadPEM builds [Credentials] from PEM data. certPEM holds the leaf
// certificate and optionally its chain and the private key; keyPEM holds the
// private key when it is in a separate file and may be nil. Blocks of other
// types (for example "EC PARAMETERS") are ignored.
//
// Accepted key blocks: "RSA PRIVATE KEY" (PKCS#1), "EC PRIVATE KEY" (SEC1),
// "PRIVATE KEY" (PKCS#8) and "ENCRYPTED PRIVATE KEY" (PKCS#8 with PBES2,
// decrypted with password). Legacy OpenSSL-encrypted PEM ("Proc-Type:
// 4,ENCRYPTED") is rejected; convert it with `openssl pkcs8 -topk8`.
//
// The certificate whose public key matches the private key becomes
// Certificate; the other certificates, in file order, become Chain.
func LoadPEM(certPEM, keyPEM []byte, password string) (*Credentials, error) {
	var certs []*x509.Certificate
	var signer crypto.Signer
	for _, data := range [][]byte{certPEM, keyPEM} {
		rest := data
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			switch block.Type {
			case "CERTIFICATE":
				c, err := x509.ParseCertificate(block.Bytes)
				if err != nil {
					return nil, fmt.Errorf("credentials: parse certificate: %w", err)
				}
				certs = append(certs, c)
			case "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
				if signer != nil {
					return nil, errors.New("credentials: more than one private key in PEM input")
				}
				s, err := parseKeyBlock(block, password)
				if err != nil {
					return nil, err
				}
				signer = s
			}
		}
	}
	return assemble(certs, signer)
}

// LoadPEMFiles reads certFile and, when keyFile is not empty, keyFile, and
// calls [LoadPEM].
func LoadPEMFiles(certFile, keyFile, password string) (*Credentials, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	var keyPEM []byte
	if keyFile != "" {
		if keyPEM, err = os.ReadFile(keyFile); err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
	}
	return LoadPEM(certPEM, keyPEM, password)
}

// ParsePrivateKeyPEM parses the first private key block of keyPEM (see
// [LoadPEM] for the accepted forms).
func ParsePrivateKeyPEM(keyPEM []byte, password string) (crypto.Signer, error) {
	rest := keyPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, ErrNoPrivateKey
		}
		switch block.Type {
		case "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
			return parseKeyBlock(block, password)
		}
	}
}

func parseKeyBlock(block *pem.Block, password string) (crypto.Signer, error) {
	if block.Headers["Proc-Type"] != "" || block.Headers["DEK-Info"] != "" {
		return nil, errors.New("credentials: legacy encrypted PEM key is not supported; convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		if password == "" {
			return nil, fmt.Errorf("%w: the private key is encrypted", ErrPassword)
		}
		key, err = decryptPKCS8(block.Bytes, []byte(password))
		if err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("credentials: unexpected PEM block %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("credentials: parse %s: %w", block.Type, err)
	}
	return toSigner(key)
}

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo (PBES2) with
// github.com/youmark/pkcs8, after checking that its key-derivation cost is
// bounded, and converting panics of that library on malformed input into
// errors.
func decryptPKCS8(der, password []byte) (key any, err error) {
	if err := checkPKCS8Cost(der); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			key, err = nil, errors.New("credentials: malformed encrypted PKCS#8 key")
		}
	}()
	key, _, err = pkcs8.ParsePrivateKey(der, password)
	if err != nil {
		if err.Error() == "pkcs8: incorrect password" {
			return nil, ErrPassword
		}
		// The library's other messages name unsupported algorithms or
		// malformed structures; they carry no secret.
		return nil, fmt.Errorf("credentials: encrypted PKCS#8 key: %w", err)
	}
	return key, nil
}

func toSigner(key any) (crypto.Signer, error) {
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, key)
	}
	if err := checkKeyType(s); err != nil {
		return nil, err
	}
	return s, nil
}

// assemble picks the certificate matching signer as the leaf.
func assemble(certs []*x509.Certificate, signer crypto.Signer) (*Credentials, error) {
	if len(certs) == 0 {
		return nil, ErrNoCertificate
	}
	if signer == nil {
		return nil, ErrNoPrivateKey
	}
	for i, c := range certs {
		if keyMatches(signer, c) {
			chain := make([]*x509.Certificate, 0, len(certs)-1)
			chain = append(chain, certs[:i]...)
			chain = append(chain, certs[i+1:]...)
			return &Credentials{Certificate: c, Chain: chain, Signer: signer}, nil
		}
	}
	return nil, ErrKeyMismatch
}

// LoadPKCS12 decodes a PKCS#12 (PFX) file holding one private key, its
// certificate and optionally a chain. Both legacy (RC2/3DES, SHA-1 MAC) and
// modern (PBES2 AES-256, SHA-256 MAC) files are read.
func LoadPKCS12(data []byte, password string) (*Credentials, error) {
	if err := checkPKCS12Cost(data); err != nil {
		return nil, err
	}
	key, cert, chain, err := decodePKCS12(data, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return nil, ErrPassword
		}
		return nil, fmt.Errorf("credentials: PKCS#12: %w", err)
	}
	if cert == nil {
		return nil, ErrNoCertificate
	}
	if key == nil {
		return nil, ErrNoPrivateKey
	}
	signer, err := toSigner(key)
	if err != nil {
		return nil, err
	}
	return assemble(append([]*x509.Certificate{cert}, chain...), signer)
}

func decodePKCS12(data []byte, password string) (key any, cert *x509.Certificate, chain []*x509.Certificate, err error) {
	defer func() {
		if r := recover(); r != nil {
			key, cert, chain, err = nil, nil, nil, errors.New("malformed PKCS#12 data")
		}
	}()
	return pkcs12.DecodeChain(data, password)
}

// LoadPKCS12File reads a PKCS#12 file and calls [LoadPKCS12].
func LoadPKCS12File(path, password string) (*Credentials, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	return LoadPKCS12(data, password)
}

// LoadFile loads credentials from path, detecting the format: PEM when the
// file contains a PEM header (with keyPath naming a separate key file, or
// empty), PKCS#12 otherwise (keyPath must then be empty).
func LoadFile(path, keyPath, password string) (*Credentials, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	if bytes.Contains(data, []byte("-----BEGIN ")) {
		var keyPEM []byte
		if keyPath != "" {
			if keyPEM, err = os.ReadFile(keyPath); err != nil {
				return nil, fmt.Errorf("credentials: %w", err)
			}
		}
		return LoadPEM(data, keyPEM, password)
	}
	if keyPath != "" {
		return nil, errors.New("credentials: a separate key file is only supported with PEM certificates")
	}
	return LoadPKCS12(data, password)
}
