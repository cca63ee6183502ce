package ksefsim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/envelope"
)

// mfKey is one MF key pair with its self-signed certificate, as published by
// GET /security/public-key-certificates.
type mfKey struct {
	usage         ksef.PublicKeyCertificateUsage
	priv          *rsa.PrivateKey
	der           []byte
	certificateID string // Base64(SHA-256(certificate DER))
	publicKeyID   string // Base64(SHA-256(SubjectPublicKeyInfo DER))
	validFrom     time.Time
	validTo       time.Time
}

// keyStore holds the current MF key of each usage. Withdrawn keys are
// forgotten at once (an emergency rotation), so their publicKeyId is
// answered with 21470. It is guarded by Simulator.mu.
type keyStore struct {
	current map[ksef.PublicKeyCertificateUsage]*mfKey
}

var usages = []ksef.PublicKeyCertificateUsage{ksef.KsefTokenEncryption, ksef.SymmetricKeyEncryption}

// Generating RSA keys is the slowest part of New; the first key pair of each
// usage is shared by all simulators of the process (each gets its own
// certificates). Rotation always generates fresh keys.
var (
	sharedKeysOnce sync.Once
	sharedKeys     map[ksef.PublicKeyCertificateUsage]*rsa.PrivateKey
)

func initialKeys() map[ksef.PublicKeyCertificateUsage]*rsa.PrivateKey {
	sharedKeysOnce.Do(func() {
		m := make(map[ksef.PublicKeyCertificateUsage]*rsa.PrivateKey, len(usages))
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, u := range usages {
			wg.Go(func() {
				k := mustRSA()
				mu.Lock()
				m[u] = k
				mu.Unlock()
			})
		}
		wg.Wait()
		sharedKeys = m
	})
	return sharedKeys
}

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("ksefsim: cannot generate an RSA key: " + err.Error())
	}
	return k
}

func newKeyStore(now time.Time) *keyStore {
	ks := &keyStore{current: map[ksef.PublicKeyCertificateUsage]*mfKey{}}
	for u, priv := range initialKeys() {
		ks.current[u] = newMFKey(u, priv, now.Add(-24*time.Hour))
	}
	return ks
}

// selfSignedMF returns the DER of a self-signed certificate
// "CN=Ministerstwo Finansów, OU=KSeF simulator <unit>" for priv, valid from
// from to to, with the key usage given; what names the certificate in the
// panic on failure.
func selfSignedMF(what, unit string, priv *rsa.PrivateKey, from, to time.Time, usage x509.KeyUsage) []byte {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic("ksefsim: no randomness: " + err.Error())
	}
	name := pkix.Name{
		CommonName:         "Ministerstwo Finansów",
		Organization:       []string{"Ministerstwo Finansów"},
		OrganizationalUnit: []string{"KSeF simulator " + unit},
		Country:            []string{"PL"},
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               name,
		Issuer:                name,
		NotBefore:             from,
		NotAfter:              to,
		KeyUsage:              usage,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		panic("ksefsim: cannot create the " + what + " certificate: " + err.Error())
	}
	return der
}

// newMFKey issues a self-signed certificate "CN=Ministerstwo Finansów" for
// priv, valid from validFrom for two years.
func newMFKey(usage ksef.PublicKeyCertificateUsage, priv *rsa.PrivateKey, validFrom time.Time) *mfKey {
	validFrom = validFrom.UTC().Truncate(time.Second)
	validTo := validFrom.AddDate(2, 0, 0)
	der := selfSignedMF("MF", string(usage), priv, validFrom, validTo,
		x509.KeyUsageKeyEncipherment|x509.KeyUsageDataEncipherment|x509.KeyUsageDigitalSignature)
	spki, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		panic("ksefsim: cannot marshal the MF public key: " + err.Error())
	}
	return &mfKey{
		usage:         usage,
		priv:          priv,
		der:           der,
		certificateID: envelope.SHA256Base64(der),
		publicKeyID:   envelope.SHA256Base64(spki),
		validFrom:     validFrom,
		validTo:       validTo,
	}
}

// RotateKeys replaces the MF key pairs of both usages with new ones, as an
// emergency rotation does: the old keys are withdrawn at once, so requests
// naming their publicKeyId fail with 400/21470 until the client downloads
// the certificates again.
func (s *Simulator) RotateKeys() {
	now := s.now()
	fresh := make(map[ksef.PublicKeyCertificateUsage]*rsa.PrivateKey, len(usages))
	for _, u := range usages {
		fresh[u] = mustRSA()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range usages {
		from := now
		if old := s.keys.current[u]; old != nil && !from.After(old.validFrom) {
			from = old.validFrom.Add(time.Second)
		}
		s.keys.current[u] = newMFKey(u, fresh[u], from)
	}
}

// MFPrivateKey returns the private key of the current MF key pair of the
// given usage and its publicKeyId. Other parts of the simulator use it to
// decrypt what clients encrypt; tests may use it to check ciphertexts.
func (s *Simulator) MFPrivateKey(usage ksef.PublicKeyCertificateUsage) (*rsa.PrivateKey, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys.current[usage]
	if k == nil {
		return nil, ""
	}
	return k.priv, k.publicKeyID
}

// MFCertificate returns the current MF certificate of the given usage.
func (s *Simulator) MFCertificate(usage ksef.PublicKeyCertificateUsage) *x509.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys.current[usage]
	if k == nil {
		return nil
	}
	c, err := x509.ParseCertificate(k.der)
	if err != nil {
		return nil
	}
	return c
}

// lookup returns the current key of usage when publicKeyID is empty or
// names it; ok is false for an unknown or withdrawn key id. Callers hold
// s.mu.
func (ks *keyStore) lookup(usage ksef.PublicKeyCertificateUsage, publicKeyID string) (*mfKey, bool) {
	k := ks.current[usage]
	if k == nil {
		return nil, false
	}
	if publicKeyID != "" && publicKeyID != k.publicKeyID {
		return nil, false
	}
	return k, true
}

// decryptSymmetricKey unwraps an AES key wrapped (RSA-OAEP SHA-256) with the
// MF SymmetricKeyEncryption key named by publicKeyID (empty = current). It
// reports errUnknownKey for a withdrawn or unknown key id. Session and
// export handlers use it.
func (s *Simulator) decryptSymmetricKey(publicKeyID string, wrapped []byte) ([]byte, error) {
	s.mu.Lock()
	k, ok := s.keys.lookup(ksef.SymmetricKeyEncryption, publicKeyID)
	s.mu.Unlock()
	if !ok {
		return nil, errUnknownKey
	}
	return envelope.UnwrapKey(k.priv, wrapped)
}
