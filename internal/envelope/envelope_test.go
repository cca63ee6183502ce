package envelope

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
)

// rsaKey returns a 2048-bit RSA key shared by the tests of this package.
func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	testKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

func TestWrapUnwrapKey(t *testing.T) {
	priv := rsaKey(t)
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	w, err := WrapKey(&priv.PublicKey, k.Key[:])
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 256 {
		t.Fatalf("wrapped key has %d bytes, want 256", len(w))
	}
	w2, err := WrapKey(&priv.PublicKey, k.Key[:])
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(w, w2) {
		t.Fatal("OAEP must be randomised; two wrappings are equal")
	}
	got, err := UnwrapKey(priv, w)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, k.Key[:]) {
		t.Fatal("unwrapped key differs")
	}
	// Wrong key length inside a valid envelope.
	short, _ := WrapKey(&priv.PublicKey, make([]byte, 16))
	if _, err := UnwrapKey(priv, short); !errors.Is(err, ErrKeyLength) {
		t.Fatalf("16-byte key: err = %v, want ErrKeyLength", err)
	}
	// Corrupted ciphertext.
	bad := bytes.Clone(w)
	bad[10] ^= 1
	if _, err := UnwrapKey(priv, bad); !errors.Is(err, ErrUnwrap) {
		t.Fatalf("corrupted: err = %v, want ErrUnwrap", err)
	}
	if _, err := UnwrapKey(priv, w[:100]); !errors.Is(err, ErrUnwrap) {
		t.Fatalf("truncated: err = %v, want ErrUnwrap", err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := UnwrapKey(other, w); !errors.Is(err, ErrUnwrap) {
		t.Fatalf("other key: err = %v, want ErrUnwrap", err)
	}
	if _, err := WrapKey(nil, k.Key[:]); err == nil {
		t.Fatal("nil public key accepted")
	}
	if _, err := UnwrapKey(nil, w); err == nil {
		t.Fatal("nil private key accepted")
	}
}

func TestKeyWrapBase64(t *testing.T) {
	priv := rsaKey(t)
	k, _ := NewKey()
	s, err := k.Wrap(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnwrapKey(priv, raw)
	if err != nil || !bytes.Equal(got, k.Key[:]) {
		t.Fatalf("Wrap/UnwrapKey round trip failed: %v", err)
	}
	iv, err := base64.StdEncoding.DecodeString(k.IVBase64())
	if err != nil || !bytes.Equal(iv, k.IV[:]) || len(k.IVBase64()) != 24 {
		t.Fatalf("IVBase64 = %q", k.IVBase64())
	}
	k2, err := KeyFromBytes(got, iv)
	if err != nil || *k2 != *k {
		t.Fatalf("KeyFromBytes: %v", err)
	}
	if _, err := KeyFromBytes(got[:31], iv); !errors.Is(err, ErrKeyLength) {
		t.Fatalf("short key: %v", err)
	}
	if _, err := KeyFromBytes(got, iv[:15]); !errors.Is(err, ErrKeyLength) {
		t.Fatalf("short IV: %v", err)
	}
}

func TestNewKeyRandom(t *testing.T) {
	a, _ := NewKey()
	b, _ := NewKey()
	if a.Key == b.Key || a.IV == b.IV || a.Key == [32]byte{} {
		t.Fatal("NewKey does not look random")
	}
}

func TestKeyRedacted(t *testing.T) {
	k, _ := NewKey()
	s := fmt.Sprintf("%v %+v %#v %s %x %v %+v %#v", k, k, k, k, k, *k, *k, *k)
	if !strings.Contains(s, "REDACTED") || strings.Contains(s, hex.EncodeToString(k.Key[:8])) ||
		strings.Contains(s, fmt.Sprint(k.Key[:4])[1:8]) {
		t.Fatalf("key printed as %q", s)
	}
}

func TestTokenRoundTrip(t *testing.T) {
	priv := rsaKey(t)
	// KSeF 2.0 tokens contain '|' themselves.
	token := "20251010-EC-2A8F6A5000-B9E6D1AF8D-E2|nip-5265877635|3d6d6c1e2f4a4b7c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e"
	const ms = int64(1760097037191)
	enc, err := EncryptToken(&priv.PublicKey, token, ms)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(raw) != 256 {
		t.Fatalf("encryptedToken is not Base64 of 256 bytes: %v", err)
	}
	gotTok, gotMs, err := DecryptToken(priv, enc)
	if err != nil {
		t.Fatal(err)
	}
	if gotTok != token || gotMs != ms {
		t.Fatalf("got %q %d", gotTok, gotMs)
	}
	// The plaintext is exactly "token|ms".
	pt, err := oaepDecrypt(priv, raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := token + "|1760097037191"; string(pt) != want {
		t.Fatalf("plaintext %q, want %q", pt, want)
	}
	// Maximum token length (160) fits a 2048-bit key (190 bytes OAEP-SHA256 limit).
	if _, err := EncryptToken(&priv.PublicKey, strings.Repeat("a", 160), ms); err != nil {
		t.Fatalf("160-char token: %v", err)
	}
	if _, err := EncryptToken(&priv.PublicKey, strings.Repeat("a", 200), ms); err == nil {
		t.Fatal("200-char token must not fit a 2048-bit key")
	}
	if _, err := EncryptToken(&priv.PublicKey, "", ms); err == nil {
		t.Fatal("empty token accepted")
	}
	if _, err := EncryptToken(&priv.PublicKey, "\xff\xfe", ms); err == nil {
		t.Fatal("invalid UTF-8 accepted")
	}
}

func TestDecryptTokenRejects(t *testing.T) {
	priv := rsaKey(t)
	for _, pt := range []string{"", "token", "|123", "token|", "token|12a", "token|-1", "token|99999999999999999999"} {
		ct, err := WrapKey(&priv.PublicKey, []byte(pt))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = DecryptToken(priv, base64.StdEncoding.EncodeToString(ct))
		if !errors.Is(err, ErrTokenFormat) {
			t.Errorf("%q: err = %v, want ErrTokenFormat", pt, err)
		}
	}
	if _, _, err := DecryptToken(priv, "not base64!"); !errors.Is(err, ErrEncoding) {
		t.Error("bad Base64 accepted")
	}
	if _, _, err := DecryptToken(priv, base64.StdEncoding.EncodeToString(make([]byte, 256))); !errors.Is(err, ErrUnwrap) {
		t.Errorf("zero ciphertext: err = %v", err)
	}
}

func TestEncryptDecrypt(t *testing.T) {
	k, _ := NewKey()
	sizes := []int{1000, 6480}
	for n := range 50 {
		sizes = append(sizes, n) // every padding length, several times
	}
	for _, n := range sizes {
		plain := make([]byte, n)
		rand.Read(plain)
		ct := k.Encrypt(plain)
		if int64(len(ct)) != EncryptedSize(int64(n)) {
			t.Fatalf("n=%d: len %d, EncryptedSize %d", n, len(ct), EncryptedSize(int64(n)))
		}
		if n >= 8 && bytes.Contains(ct, plain) {
			t.Fatalf("n=%d: plaintext visible", n)
		}
		got, err := k.Decrypt(ct)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("n=%d: round trip differs", n)
		}
	}
}

// TestEncryptedSizeOfficialExamples checks the sizes given in the KSeF
// documentation, which also prove that the IV is not prepended.
func TestEncryptedSizeOfficialExamples(t *testing.T) {
	cases := []struct{ plain, enc int64 }{
		{6480, 6496},
		{22425060, 22425072},
		{0, 16},
		{1, 16},
		{15, 16},
		{16, 32},
		{17, 32},
	}
	for _, c := range cases {
		if got := EncryptedSize(c.plain); got != c.enc {
			t.Errorf("EncryptedSize(%d) = %d, want %d", c.plain, got, c.enc)
		}
	}
	// And the real encryption of the 6480-byte example.
	k, _ := NewKey()
	if got := len(k.Encrypt(make([]byte, 6480))); got != 6496 {
		t.Fatalf("Encrypt(6480 bytes) has %d bytes, want 6496", got)
	}
}

func TestDecryptRejects(t *testing.T) {
	k, _ := NewKey()
	ct := k.Encrypt([]byte("Faktura FA(3) <Podmiot1/>"))
	for _, n := range []int{0, 1, 15, 17, len(ct) - 1} {
		if _, err := k.Decrypt(ct[:n]); !errors.Is(err, ErrCiphertextLength) {
			t.Errorf("len %d: err = %v, want ErrCiphertextLength", n, err)
		}
	}
	// Wrong key: padding almost certainly invalid. Try a few keys; at least
	// most must fail, and none may panic.
	fails := 0
	for range 20 {
		other, _ := NewKey()
		other.IV = k.IV
		if _, err := other.Decrypt(ct); errors.Is(err, ErrPadding) {
			fails++
		} else if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
	}
	if fails < 15 {
		t.Fatalf("only %d/20 wrong keys rejected", fails)
	}
	// Craft specific bad paddings by encrypting raw blocks without padding.
	for _, last := range [][]byte{
		append(bytes.Repeat([]byte{'x'}, 15), 0),    // pad 0
		append(bytes.Repeat([]byte{'x'}, 15), 17),   // pad > 16
		append(bytes.Repeat([]byte{'x'}, 14), 1, 2), // 2 expected, byte before is 1
		append(bytes.Repeat([]byte{'x'}, 12), 3, 4, 4, 4),
		bytes.Repeat([]byte{0xff}, 16),
	} {
		if _, err := k.Decrypt(rawCBC(k, last)); !errors.Is(err, ErrPadding) {
			t.Errorf("last block %x: err = %v, want ErrPadding", last, err)
		}
	}
	// Valid full-block padding.
	got, err := k.Decrypt(rawCBC(k, append([]byte("0123456789abcdef"), bytes.Repeat([]byte{16}, 16)...)))
	if err != nil || string(got) != "0123456789abcdef" {
		t.Fatalf("full padding block: %q %v", got, err)
	}
	for _, e := range []error{ErrPadding, ErrCiphertextLength, ErrUnwrap, ErrKeyLength, ErrTokenFormat} {
		if !strings.HasPrefix(e.Error(), "envelope: ") {
			t.Errorf("error %q lacks the package prefix", e)
		}
	}
}

// rawCBC encrypts blocks with AES-CBC and no padding.
func rawCBC(k *Key, blocks []byte) []byte {
	out := make([]byte, len(blocks))
	cipher.NewCBCEncrypter(k.block(), k.IV[:]).CryptBlocks(out, blocks)
	return out
}

func TestHashes(t *testing.T) {
	// SHA-256 of the empty string.
	if got, want := SHA256Base64(nil), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; got != want {
		t.Fatalf("SHA256Base64(empty) = %q", got)
	}
	if got, want := SHA256Base64URL(nil), "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"; got != want {
		t.Fatalf("SHA256Base64URL(empty) = %q", got)
	}
	for range 50 {
		b := make([]byte, 100)
		rand.Read(b)
		s, u := SHA256Base64(b), SHA256Base64URL(b)
		if len(s) != 44 || len(u) != 43 || strings.ContainsAny(u, "+/=") {
			t.Fatalf("lengths %d/%d or bad URL alphabet %q", len(s), len(u), u)
		}
		h := sha256.Sum256(b)
		if d, _ := base64.RawURLEncoding.DecodeString(u); !bytes.Equal(d, h[:]) {
			t.Fatal("Base64URL does not decode to the digest")
		}
	}
}
