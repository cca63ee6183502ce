package envelope

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzDecrypt feeds random ciphertexts to Decrypt and NewDecryptReader: they
// must never panic, must agree with each other, and a successful result must
// re-encrypt to the same ciphertext.
func FuzzDecrypt(f *testing.F) {
	k := &Key{}
	for i := range k.Key {
		k.Key[i] = byte(i)
	}
	for i := range k.IV {
		k.IV[i] = byte(100 + i)
	}
	f.Add([]byte{})
	f.Add(make([]byte, 15))
	f.Add(make([]byte, 32))
	f.Add(k.Encrypt([]byte("hello")))
	f.Add(k.Encrypt(make([]byte, 64)))
	f.Fuzz(func(t *testing.T, ct []byte) {
		pt, err := k.Decrypt(ct)
		spt, serr := io.ReadAll(NewDecryptReader(bytes.NewReader(ct), k))
		if (err == nil) != (serr == nil) {
			t.Fatalf("one-shot err %v, stream err %v", err, serr)
		}
		if err != nil {
			if !errors.Is(err, ErrPadding) && !errors.Is(err, ErrCiphertextLength) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !bytes.Equal(pt, spt) {
			t.Fatal("stream and one-shot plaintexts differ")
		}
		if !bytes.Equal(k.Encrypt(pt), ct) {
			t.Fatal("re-encryption differs")
		}
	})
}

// FuzzDecryptToken checks that DecryptToken's parsing of a decrypted
// plaintext never panics and round-trips what it accepts.
func FuzzDecryptToken(f *testing.F) {
	priv := rsaKey(f)
	f.Add("tok|123")
	f.Add("a|b|c|1")
	f.Add("|")
	f.Fuzz(func(t *testing.T, pt string) {
		if len(pt) > 190 {
			return
		}
		ct, err := WrapKey(&priv.PublicKey, []byte(pt))
		if err != nil {
			t.Fatal(err)
		}
		tok, ms, err := DecryptToken(priv, b64(ct))
		if err != nil {
			return
		}
		if string(TokenPlaintext(tok, ms)) != pt {
			// Leading zeros or '+' would not round-trip; the parser must
			// have rejected anything else.
			if !bytes.HasPrefix([]byte(pt[len(tok)+1:]), []byte("0")) {
				t.Fatalf("accepted %q as %q %d", pt, tok, ms)
			}
		}
	})
}
