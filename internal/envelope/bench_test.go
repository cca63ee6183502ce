package envelope

import (
	"encoding/base64"
	"io"
	"testing"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func BenchmarkEncrypt1MB(b *testing.B) {
	k, _ := NewKey()
	plain := make([]byte, 1<<20)
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		k.Encrypt(plain)
	}
}

func BenchmarkDecrypt1MB(b *testing.B) {
	k, _ := NewKey()
	ct := k.Encrypt(make([]byte, 1<<20))
	b.SetBytes(int64(len(ct)))
	for b.Loop() {
		if _, err := k.Decrypt(ct); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncryptWriter1MB(b *testing.B) {
	k, _ := NewKey()
	plain := make([]byte, 1<<20)
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		w := NewEncryptWriter(io.Discard, k)
		w.Write(plain)
		w.Close()
	}
}

func BenchmarkWrapKey(b *testing.B) {
	priv := rsaKey(b)
	k, _ := NewKey()
	for b.Loop() {
		if _, err := WrapKey(&priv.PublicKey, k.Key[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncryptToken(b *testing.B) {
	priv := rsaKey(b)
	for b.Loop() {
		if _, err := EncryptToken(&priv.PublicKey, "20251010-EC-2A8F6A5000-B9E6D1AF8D-E2|nip-5265877635|abc", 1760097037191); err != nil {
			b.Fatal(err)
		}
	}
}
