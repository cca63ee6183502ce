package ksefsim

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
)

// TestIdentity is a ready-to-use identity for the simulator: a taxpayer
// NIP and a self-signed certificate that logs in to the NIP context as its
// owner (as self-signed certificates do on KSeF TEST).
type TestIdentity struct {
	// NIP is the taxpayer's NIP (the context to log in to).
	NIP string
	// PESEL is the person's PESEL for person identities, else empty.
	PESEL string
	// Certificate is the signing certificate.
	Certificate *x509.Certificate
	// Signer is the certificate's private key (as in
	// credentials.Credentials, so that a TestIdentity and loaded
	// credentials are used alike).
	Signer crypto.Signer
	// Key is the same private key as Signer.
	//
	// Deprecated: use Signer.
	Key crypto.Signer
}

// CertificatePEM returns the certificate PEM-encoded.
func (id *TestIdentity) CertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.Certificate.Raw})
}

// KeyPEM returns the private key as an unencrypted PKCS#8 PEM block.
func (id *TestIdentity) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(id.Key)
	if err != nil {
		return nil, fmt.Errorf("ksefsim: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// NewTestIdentity creates a random NIP and a company seal certificate for
// it (organizationIdentifier "VATPL-{nip}", ECDSA P-256), valid around the
// simulator's current time. The seal is the NIP's owner: it may log in to
// the NIP context with every owner permission.
func (s *Simulator) NewTestIdentity() (*TestIdentity, error) {
	nip := string(ident.RandomNIP(nil))
	c, err := credentials.NewSealNIP(nip, &credentials.CertOptions{KeyType: credentials.ECP256, Now: s.now()})
	if err != nil {
		return nil, fmt.Errorf("ksefsim: %w", err)
	}
	return &TestIdentity{NIP: nip, Certificate: c.Certificate, Signer: c.Signer, Key: c.Signer}, nil
}

// NewTestPerson creates a random NIP and PESEL, registers them as a test
// person (as POST /testdata/person does) and returns a personal certificate
// (serialNumber "PNOPL-{pesel}", ECDSA P-256) that logs in to the NIP
// context as its owner.
func (s *Simulator) NewTestPerson() (*TestIdentity, error) {
	nip := string(ident.RandomNIP(nil))
	pesel := string(ident.RandomPESEL(nil))
	c, err := credentials.NewPersonPESEL(pesel, &credentials.CertOptions{KeyType: credentials.ECP256, Now: s.now()})
	if err != nil {
		return nil, fmt.Errorf("ksefsim: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.persons[nip] != nil || s.st.personByPesel(pesel) != nil {
		return nil, fmt.Errorf("ksefsim: test person %s already exists", nip)
	}
	s.st.persons[nip] = &testPerson{nip: nip, pesel: pesel, description: "ksefsim test person", created: s.now()}
	return &TestIdentity{NIP: nip, PESEL: pesel, Certificate: c.Certificate, Signer: c.Signer, Key: c.Signer}, nil
}
