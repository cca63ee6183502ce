package envelope

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
)

// opensslEnv writes the shared RSA key as PKCS#8 and SPKI PEM files and
// returns the openssl path and the directory.
func opensslEnv(t *testing.T) (openssl, dir string) {
	t.Helper()
	openssl = testenv.RequireTool(t, "openssl")
	dir = t.TempDir()
	priv := rsaKey(t)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	return openssl, dir
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, name string, args ...string) ([]byte, error) {
	t.Helper()
	out, err := testenv.Output(exec.Command(name, args...))
	if err != nil {
		return nil, err
	}
	return out, nil
}

func oaepDecryptArgs(dir, in, mgf string) []string {
	return []string{"pkeyutl", "-decrypt", "-inkey", filepath.Join(dir, "key.pem"),
		"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
		"-pkeyopt", "rsa_mgf1_md:" + mgf, "-in", in}
}

// TestOpenSSLUnwrapsOurKey: openssl decrypts our wrapped key with OAEP
// SHA-256 / MGF1-SHA-256, and fails with MGF1-SHA-1 (so the MGF1 hash really
// is SHA-256).
func TestOpenSSLUnwrapsOurKey(t *testing.T) {
	openssl, dir := opensslEnv(t)
	k, _ := NewKey()
	w, err := WrapKey(&rsaKey(t).PublicKey, k.Key[:])
	if err != nil {
		t.Fatal(err)
	}
	in := writeFile(t, dir, "wrapped.bin", w)
	got, err := run(t, openssl, oaepDecryptArgs(dir, in, "sha256")...)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, k.Key[:]) {
		t.Fatalf("openssl unwrapped %x, want our key", got)
	}
	if got, err := run(t, openssl, oaepDecryptArgs(dir, in, "sha1")...); err == nil && bytes.Equal(got, k.Key[:]) {
		t.Fatal("openssl decrypted with MGF1-SHA1 too; MGF1 hash is not SHA-256")
	}
}

func TestOpenSSLDecryptsOurToken(t *testing.T) {
	openssl, dir := opensslEnv(t)
	token := "20251010-EC-2A8F6A5000-B9E6D1AF8D-E2|nip-5265877635|0123456789abcdef"
	enc, err := EncryptToken(&rsaKey(t).PublicKey, token, 1760097037191)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(enc)
	got, err := run(t, openssl, oaepDecryptArgs(dir, writeFile(t, dir, "tok.bin", raw), "sha256")...)
	if err != nil {
		t.Fatal(err)
	}
	if want := token + "|1760097037191"; string(got) != want {
		t.Fatalf("openssl decrypted %q, want %q", got, want)
	}
}

// TestOpenSSLWrapsWeUnwrap: the other direction.
func TestOpenSSLWrapsWeUnwrap(t *testing.T) {
	openssl, dir := opensslEnv(t)
	key := make([]byte, 32)
	rand.Read(key)
	in := writeFile(t, dir, "key.bin", key)
	wrapped, err := run(t, openssl, "pkeyutl", "-encrypt", "-pubin", "-inkey", filepath.Join(dir, "pub.pem"),
		"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256", "-in", in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnwrapKey(rsaKey(t), wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, key) {
		t.Fatal("key differs")
	}
	// A token encrypted by openssl.
	tokIn := writeFile(t, dir, "tok.txt", []byte("abc|def|1700000000123"))
	wrappedTok, err := run(t, openssl, "pkeyutl", "-encrypt", "-pubin", "-inkey", filepath.Join(dir, "pub.pem"),
		"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256", "-in", tokIn)
	if err != nil {
		t.Fatal(err)
	}
	tok, ms, err := DecryptToken(rsaKey(t), base64.StdEncoding.EncodeToString(wrappedTok))
	if err != nil || tok != "abc|def" || ms != 1700000000123 {
		t.Fatalf("DecryptToken = %q %d %v", tok, ms, err)
	}
	// openssl with MGF1-SHA1 must not be accepted by us.
	wrapped1, err := run(t, openssl, "pkeyutl", "-encrypt", "-pubin", "-inkey", filepath.Join(dir, "pub.pem"),
		"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha1", "-in", in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := UnwrapKey(rsaKey(t), wrapped1); !errors.Is(err, ErrUnwrap) {
		t.Fatalf("MGF1-SHA1 wrapping accepted: %v", err)
	}
}

func opensslAES(t *testing.T, openssl string, k *Key, decrypt bool, in string) []byte {
	t.Helper()
	mode := "-e"
	if decrypt {
		mode = "-d"
	}
	out, err := run(t, openssl, "enc", mode, "-aes-256-cbc", "-K", hex.EncodeToString(k.Key[:]),
		"-iv", hex.EncodeToString(k.IV[:]), "-in", in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var opensslSizes = []int{0, 1, 15, 16, 17, 1000, 6480, 100003}

func TestOpenSSLDecryptsOurAES(t *testing.T) {
	testenv.SkipShort(t, "openssl decrypting our AES-256-CBC output at every test size")
	openssl, dir := opensslEnv(t)
	k, _ := NewKey()
	for _, n := range opensslSizes {
		plain := make([]byte, n)
		rand.Read(plain)
		ct := k.Encrypt(plain)
		got := opensslAES(t, openssl, k, true, writeFile(t, dir, "ct.bin", ct))
		if !bytes.Equal(got, plain) {
			t.Fatalf("n=%d: openssl decryption differs", n)
		}
		// The streaming writer output too.
		var buf bytes.Buffer
		w := NewEncryptWriter(&buf, k)
		w.Write(plain)
		w.Close()
		got = opensslAES(t, openssl, k, true, writeFile(t, dir, "ct2.bin", buf.Bytes()))
		if !bytes.Equal(got, plain) {
			t.Fatalf("n=%d: openssl decryption of stream differs", n)
		}
	}
}

func TestOpenSSLEncryptsWeDecrypt(t *testing.T) {
	testenv.SkipShort(t, "decrypting openssl AES-256-CBC output at every test size")
	openssl, dir := opensslEnv(t)
	k, _ := NewKey()
	for _, n := range opensslSizes {
		plain := make([]byte, n)
		rand.Read(plain)
		ct := opensslAES(t, openssl, k, false, writeFile(t, dir, "pt.bin", plain))
		if int64(len(ct)) != EncryptedSize(int64(n)) {
			t.Fatalf("n=%d: openssl ciphertext %d bytes, EncryptedSize %d", n, len(ct), EncryptedSize(int64(n)))
		}
		got, err := k.Decrypt(ct)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("n=%d: Decrypt: %v", n, err)
		}
		got, err = io.ReadAll(NewDecryptReader(bytes.NewReader(ct), k))
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("n=%d: DecryptReader: %v", n, err)
		}
	}
}

func TestOpenSSLHashes(t *testing.T) {
	openssl, dir := opensslEnv(t)
	data := make([]byte, 4321)
	rand.Read(data)
	out, err := run(t, openssl, "dgst", "-sha256", "-binary", writeFile(t, dir, "d.bin", data))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := SHA256Base64(data), base64.StdEncoding.EncodeToString(out); got != want {
		t.Fatalf("SHA256Base64 = %s, openssl %s", got, want)
	}
	if got, want := SHA256Base64URL(data), base64.RawURLEncoding.EncodeToString(out); got != want {
		t.Fatalf("SHA256Base64URL = %s, openssl %s", got, want)
	}
}
