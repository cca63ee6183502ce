package batchpack

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestEncryptorMatchesEnvelope feeds random data in random pieces to the
// encryptor and checks every part against envelope.Key.Encrypt of the
// same plain bytes, for part sizes around the AES block size.
func TestEncryptorMatchesEnvelope(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	r := rand.New(rand.NewPCG(3, 4))
	for _, partSize := range []int64{1, 15, 16, 17, 100, 4096, 100_000} {
		for range 20 {
			plain := make([]byte, r.IntN(int(min(20_000, 200*partSize))))
			for i := range plain {
				plain[i] = byte(r.Uint32())
			}
			e := newEncryptor(partSize, key)
			var ct []byte
			var cuts []cut
			for rest := plain; len(rest) > 0; {
				n := min(len(rest), 1+r.IntN(300))
				cuts = e.encrypt(rest[:n], &ct, cuts)
				rest = rest[n:]
			}
			cuts = e.finish(&ct, cuts)
			// Join the cut runs per part.
			parts := map[int][]byte{}
			start, lastPart := 0, 0
			for _, c := range cuts {
				if c.part < lastPart || c.end < start {
					t.Fatalf("cuts out of order: %+v", cuts)
				}
				parts[c.part] = append(parts[c.part], ct[start:c.end]...)
				start, lastPart = c.end, c.part
			}
			if start != len(ct) {
				t.Fatalf("cuts cover %d of %d ciphertext bytes", start, len(ct))
			}
			want := (int64(len(plain)) + partSize - 1) / partSize
			if int64(len(parts)) != want || int64(len(e.plain)) != want {
				t.Fatalf("size %d, part size %d: %d parts (%d plain sizes), want %d", len(plain), partSize, len(parts), len(e.plain), want)
			}
			for i := 1; i <= len(parts); i++ {
				lo := int64(i-1) * partSize
				hi := min(lo+partSize, int64(len(plain)))
				if e.plain[i-1] != hi-lo {
					t.Fatalf("part %d: plain size %d, want %d", i, e.plain[i-1], hi-lo)
				}
				if !bytes.Equal(parts[i], key.Encrypt(plain[lo:hi])) {
					t.Fatalf("size %d, part size %d: part %d differs from envelope.Key.Encrypt", len(plain), partSize, i)
				}
			}
		}
	}
}
