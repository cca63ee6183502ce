// Package envelope implements the KSeF 2.0 encryption envelope: the
// primitives the SDK uses to encrypt KSeF tokens, wrap symmetric keys and
// encrypt invoices, batch parts and export packages, and that the simulator
// uses to undo them.
//
// The rules, taken from the KSeF documentation and the official clients:
//
//   - KSeF tokens are sent as Base64(RSAES-OAEP(UTF-8 "<ksefToken>|<timestampMs>"))
//     with SHA-256 as the OAEP hash and MGF1-SHA-256 as the mask function and an
//     empty label, using the Ministry of Finance certificate whose usage is
//     KsefTokenEncryption ([EncryptToken]).
//   - Invoices and packages are encrypted with AES-256-CBC and PKCS#7 padding
//     under a random 32-byte key and a random 16-byte IV ([Key]). The key is
//     wrapped with RSAES-OAEP SHA-256 / MGF1-SHA-256 under the
//     SymmetricKeyEncryption certificate ([WrapKey]). The IV travels separately
//     (Base64 of 16 bytes, field initializationVector); it is NOT prepended to
//     the ciphertext, so the ciphertext length is always
//     [EncryptedSize](len(plaintext)).
//   - Hashes are SHA-256 over the exact bytes, Base64 with padding (44
//     characters) in API fields ([SHA256Base64]) and Base64URL without padding
//     (43 characters) in QR links ([SHA256Base64URL]).
//
// Large files can be processed without holding them in memory with
// [NewEncryptWriter], [NewEncryptReader] and [NewDecryptReader].
//
// Error messages never contain key material, tokens or plaintext.
package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// KeySize is the length in bytes of the AES-256 key.
const KeySize = 32

// IVSize is the length in bytes of the AES-CBC initialisation vector, which
// is also the AES block size.
const IVSize = aes.BlockSize

// Errors returned by the decrypting functions; test for them with errors.Is.
var (
	// ErrCiphertextLength reports a ciphertext whose length is zero or not a
	// multiple of the AES block size.
	ErrCiphertextLength = errors.New("envelope: ciphertext length is not a positive multiple of 16")
	// ErrPadding reports invalid PKCS#7 padding after decryption (wrong key or IV,
	// or corrupted data).
	ErrPadding = errors.New("envelope: invalid PKCS#7 padding")
	// ErrKeyLength reports an AES key or IV of the wrong length.
	ErrKeyLength = errors.New("envelope: wrong key or IV length")
	// ErrUnwrap reports a wrapped key or token that cannot be decrypted with the
	// given RSA private key.
	ErrUnwrap = errors.New("envelope: RSA-OAEP decryption failed")
	// ErrEncoding reports an encrypted token that is not valid standard Base64.
	ErrEncoding = errors.New("envelope: encrypted token is not valid Base64")
	// ErrTokenFormat reports a decrypted token that is not "<token>|<timestampMs>".
	ErrTokenFormat = errors.New("envelope: decrypted token is not in the form token|timestampMs")
)

// WrapKey encrypts a symmetric key with RSAES-OAEP using SHA-256 for both the
// OAEP hash and MGF1, with an empty label. It returns the raw ciphertext
// (Base64-encode it for the encryptedSymmetricKey field).
func WrapKey(pub *rsa.PublicKey, key []byte) ([]byte, error) {
	if pub == nil {
		return nil, errors.New("envelope: nil RSA public key")
	}
	// rsa.EncryptOAEP uses the same hash for OAEP and for MGF1.
	out, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, key, nil)
	if err != nil {
		return nil, fmt.Errorf("envelope: RSA-OAEP encryption: %w", err)
	}
	return out, nil
}

// UnwrapKey reverses [WrapKey] and checks that the result is a 32-byte AES-256
// key.
func UnwrapKey(priv *rsa.PrivateKey, wrapped []byte) ([]byte, error) {
	key, err := oaepDecrypt(priv, wrapped)
	if err != nil {
		return nil, err
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: unwrapped key has %d bytes, want %d", ErrKeyLength, len(key), KeySize)
	}
	return key, nil
}

func oaepDecrypt(priv *rsa.PrivateKey, ct []byte) ([]byte, error) {
	if priv == nil {
		return nil, errors.New("envelope: nil RSA private key")
	}
	// Deliberately do not wrap the underlying error: it carries no secrets
	// today, but we keep the message fixed for all failure causes.
	out, err := rsa.DecryptOAEP(sha256.New(), nil, priv, ct, nil)
	if err != nil {
		return nil, ErrUnwrap
	}
	return out, nil
}

// TokenPlaintext returns the exact bytes that [EncryptToken] encrypts: the
// UTF-8 encoding of "<token>|<timestampMs>".
func TokenPlaintext(token string, timestampMs int64) []byte {
	return []byte(token + "|" + strconv.FormatInt(timestampMs, 10))
}

// EncryptToken encrypts a KSeF token for POST /auth/ksef-token: it returns
// Base64(RSAES-OAEP-SHA256-MGF1-SHA256(UTF-8 "<token>|<timestampMs>")), where
// timestampMs is the challenge's timestampMs.
func EncryptToken(pub *rsa.PublicKey, token string, timestampMs int64) (string, error) {
	if token == "" {
		return "", errors.New("envelope: empty KSeF token")
	}
	if !utf8.ValidString(token) {
		return "", errors.New("envelope: KSeF token is not valid UTF-8")
	}
	ct, err := WrapKey(pub, TokenPlaintext(token, timestampMs))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(ct), nil
}

// DecryptToken reverses [EncryptToken]. KSeF tokens themselves contain '|'
// characters, so the timestamp is taken after the last '|'.
func DecryptToken(priv *rsa.PrivateKey, b64 string) (token string, timestampMs int64, err error) {
	ct, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", 0, ErrEncoding
	}
	pt, err := oaepDecrypt(priv, ct)
	if err != nil {
		return "", 0, err
	}
	s := string(pt)
	i := strings.LastIndexByte(s, '|')
	if i <= 0 || i == len(s)-1 || !utf8.ValidString(s) {
		return "", 0, ErrTokenFormat
	}
	digits := s[i+1:]
	for j := 0; j < len(digits); j++ {
		if digits[j] < '0' || digits[j] > '9' {
			return "", 0, ErrTokenFormat
		}
	}
	ms, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return "", 0, ErrTokenFormat
	}
	return s[:i], ms, nil
}

// Key is an AES-256-CBC key and IV. The IV is sent to KSeF separately
// (initializationVector) and is not part of the ciphertext.
type Key struct {
	Key [KeySize]byte // the AES-256 key
	IV  [IVSize]byte  // the CBC initialisation vector
}

// NewKey returns a Key with a random key and a random IV from crypto/rand.
func NewKey() (*Key, error) {
	k := new(Key)
	if _, err := rand.Read(k.Key[:]); err != nil {
		return nil, fmt.Errorf("envelope: random key: %w", err)
	}
	if _, err := rand.Read(k.IV[:]); err != nil {
		return nil, fmt.Errorf("envelope: random IV: %w", err)
	}
	return k, nil
}

// KeyFromBytes builds a Key from a 32-byte key and a 16-byte IV, as a server
// does after [UnwrapKey] and Base64-decoding initializationVector.
func KeyFromBytes(key, iv []byte) (*Key, error) {
	if len(key) != KeySize || len(iv) != IVSize {
		return nil, fmt.Errorf("%w: key %d bytes (want %d), IV %d bytes (want %d)",
			ErrKeyLength, len(key), KeySize, len(iv), IVSize)
	}
	k := new(Key)
	copy(k.Key[:], key)
	copy(k.IV[:], iv)
	return k, nil
}

// IVBase64 returns the IV in standard Base64, the form of the
// initializationVector field.
func (k *Key) IVBase64() string {
	return base64.StdEncoding.EncodeToString(k.IV[:])
}

// Wrap encrypts the AES key with [WrapKey] and returns it in standard Base64,
// the form of the encryptedSymmetricKey field.
func (k *Key) Wrap(pub *rsa.PublicKey) (string, error) {
	w, err := WrapKey(pub, k.Key[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(w), nil
}

// String returns a fixed placeholder so that a Key printed by mistake does
// not reveal its contents.
func (k Key) String() string { return "envelope.Key{REDACTED}" }

// GoString implements fmt.GoStringer with the same redaction as String.
func (k Key) GoString() string { return k.String() }

func (k *Key) block() cipher.Block {
	b, err := aes.NewCipher(k.Key[:])
	if err != nil {
		// Unreachable: the key is always 32 bytes.
		panic("envelope: " + err.Error())
	}
	return b
}

// EncryptedSize returns the ciphertext length for a plaintext of n bytes:
// PKCS#7 always adds 1 to 16 bytes, so the result is the next multiple of 16
// strictly greater than n (6480 → 6496, 22 425 060 → 22 425 072).
func EncryptedSize(n int64) int64 {
	return (n/IVSize + 1) * IVSize
}

// pad returns plain followed by its PKCS#7 padding in a new slice.
func pad(plain []byte) []byte {
	n := IVSize - len(plain)%IVSize
	out := make([]byte, len(plain)+n)
	copy(out, plain)
	for i := len(plain); i < len(out); i++ {
		out[i] = byte(n)
	}
	return out
}

// unpadLen checks the PKCS#7 padding of the final block in constant time
// and returns the number of padding bytes.
func unpadLen(last []byte) (int, error) {
	n := int(last[len(last)-1])
	good := subtle.ConstantTimeLessOrEq(1, n) & subtle.ConstantTimeLessOrEq(n, IVSize)
	for i := 0; i < IVSize; i++ {
		// Byte i from the end must equal n when i < n.
		inPad := subtle.ConstantTimeLessOrEq(i+1, n)
		eq := subtle.ConstantTimeByteEq(last[len(last)-1-i], byte(n))
		good &= eq | (inPad ^ 1)
	}
	if good != 1 {
		return 0, ErrPadding
	}
	return n, nil
}

// Encrypt returns AES-256-CBC(plain) with PKCS#7 padding, without the IV.
// The result has [EncryptedSize](len(plain)) bytes.
func (k *Key) Encrypt(plain []byte) []byte {
	buf := pad(plain)
	cipher.NewCBCEncrypter(k.block(), k.IV[:]).CryptBlocks(buf, buf)
	return buf
}

// Decrypt reverses [Key.Encrypt]. It returns [ErrCiphertextLength] when the
// length is not a positive multiple of 16 and [ErrPadding] when the padding is
// invalid (typically a wrong key or IV).
func (k *Key) Decrypt(ciphertext []byte) ([]byte, error) {
	if len(ciphertext) == 0 || len(ciphertext)%IVSize != 0 {
		return nil, ErrCiphertextLength
	}
	out := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(k.block(), k.IV[:]).CryptBlocks(out, ciphertext)
	n, err := unpadLen(out[len(out)-IVSize:])
	if err != nil {
		return nil, err
	}
	return out[:len(out)-n], nil
}

// SHA256Base64 returns the standard Base64 (44 characters, with padding) of
// the SHA-256 of b, the form used by hash fields of the KSeF API.
func SHA256Base64(b []byte) string {
	h := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(h[:])
}

// SHA256Base64URL returns the Base64URL without padding (43 characters) of
// the SHA-256 of b, the form used in KSeF QR verification links.
func SHA256Base64URL(b []byte) string {
	h := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(h[:])
}
