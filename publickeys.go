package ksef

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// ErrNoPublicKey is returned when KSeF publishes no currently valid key for
// the requested usage.
var ErrNoPublicKey = errors.New("ksef: no valid public key for this usage")

const defaultKeyTTL = 6 * time.Hour

// PublicKeysService fetches the Ministry of Finance public-key certificates
// used to encrypt KSeF tokens and session keys, and caches them.
type PublicKeysService service

// PublicKey is a parsed, currently valid MF public key for one usage.
type PublicKey struct {
	// Certificate is the parsed X.509 certificate.
	Certificate *x509.Certificate
	// Key is its RSA public key.
	Key *rsa.PublicKey
	// PublicKeyID is the publicKeyId to send with data encrypted by Key.
	PublicKeyID string
	// Usage lists what the key may be used for.
	Usage []PublicKeyCertificateUsage
	// ValidFrom and ValidTo bound the validity.
	ValidFrom, ValidTo time.Time
}

// List returns all published certificates, uncached.
//
// KSeF API: GET /security/public-key-certificates
func (s *PublicKeysService) List(ctx context.Context) ([]PublicKeyCertificate, error) {
	out, err := call[[]PublicKeyCertificate](ctx, s.c, &request{op: OpPublicKeyCertificates})
	if err != nil {
		return nil, err
	}
	return *out, nil
}

// Get returns the key to use for usage: among the certificates valid now,
// the one with the latest validFrom. The list is cached (see
// [WithPublicKeyTTL]); [PublicKeysService.Invalidate] drops the cache.
func (s *PublicKeysService) Get(ctx context.Context, usage PublicKeyCertificateUsage) (*PublicKey, error) {
	certs, err := s.c.cfg.keys.get(ctx, s)
	if err != nil {
		return nil, err
	}
	return SelectPublicKey(certs, usage, time.Now())
}

// Invalidate drops the cached certificates, so the next [PublicKeysService.Get]
// downloads them again. Call it after a 21470 (unknown key) error; the
// SDK's own operations do so by themselves.
func (s *PublicKeysService) Invalidate() {
	s.c.cfg.keys.invalidate()
}

// SelectPublicKey picks, among certs, the certificate with the given usage
// that is valid at now and has the latest validFrom, and parses it.
func SelectPublicKey(certs []PublicKeyCertificate, usage PublicKeyCertificateUsage, now time.Time) (*PublicKey, error) {
	var best *PublicKeyCertificate
	for i := range certs {
		pc := &certs[i]
		if !slices.Contains(pc.Usage, usage) {
			continue
		}
		if now.Before(pc.ValidFrom) || !now.Before(pc.ValidTo) {
			continue
		}
		if best == nil || pc.ValidFrom.After(best.ValidFrom) {
			best = pc
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoPublicKey, usage)
	}
	cert, err := x509.ParseCertificate(best.Certificate)
	if err != nil {
		return nil, fmt.Errorf("ksef: parse public-key certificate %s: %w", SanitizeText(best.PublicKeyID), err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("ksef: public-key certificate %s: not an RSA key", SanitizeText(best.PublicKeyID))
	}
	return &PublicKey{
		Certificate: cert,
		Key:         pub,
		PublicKeyID: best.PublicKeyID,
		Usage:       slices.Clone(best.Usage),
		ValidFrom:   best.ValidFrom,
		ValidTo:     best.ValidTo,
	}, nil
}

// keyCache caches the certificate list; it is shared by a client and the
// authenticated clients derived from it.
type keyCache struct {
	ttl     time.Duration
	fetchMu sync.Mutex // serialises downloads
	mu      sync.Mutex
	certs   []PublicKeyCertificate
	expires time.Time
}

func newKeyCache(ttl time.Duration) *keyCache { return &keyCache{ttl: ttl} }

func (k *keyCache) cached() []PublicKeyCertificate {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.certs != nil && time.Now().Before(k.expires) {
		return k.certs
	}
	return nil
}

func (k *keyCache) get(ctx context.Context, s *PublicKeysService) ([]PublicKeyCertificate, error) {
	if c := k.cached(); c != nil {
		return c, nil
	}
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	if c := k.cached(); c != nil {
		return c, nil
	}
	certs, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	if certs == nil {
		certs = []PublicKeyCertificate{}
	}
	k.mu.Lock()
	k.certs, k.expires = certs, time.Now().Add(k.ttl)
	k.mu.Unlock()
	return certs, nil
}

func (k *keyCache) invalidate() {
	k.mu.Lock()
	k.certs = nil
	k.mu.Unlock()
}

// withPublicKey runs fn with the current key for usage. If fn fails with
// KSeF code 21470 (unknown or withdrawn key), the cache is dropped, the keys
// are downloaded again and fn runs once more with the new key. Session,
// export and token-authentication code use it.
func (c *Client) withPublicKey(ctx context.Context, usage PublicKeyCertificateUsage, fn func(*PublicKey) error) error {
	key, err := c.PublicKeys.Get(ctx, usage)
	if err != nil {
		return err
	}
	err = fn(key)
	if !IsCode(err, CodeUnknownPublicKey) {
		return err
	}
	c.cfg.logger.InfoContext(ctx, "ksef public key rejected (21470); downloading keys again", "publicKeyId", key.PublicKeyID)
	c.PublicKeys.Invalidate()
	key, err = c.PublicKeys.Get(ctx, usage)
	if err != nil {
		return err
	}
	return fn(key)
}
