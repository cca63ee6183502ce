package credentials

import (
	"crypto"
	"encoding/pem"
	"testing"

	"github.com/youmark/pkcs8"
	"software.sslmate.com/src/go-pkcs12"
)

func fuzzSeedCreds(f *testing.F) *Credentials {
	ec, err := NewKey(ECP256)
	if err != nil {
		f.Fatal(err)
	}
	cr, err := NewSealNIP("7762811692", &CertOptions{Signer: ec})
	if err != nil {
		f.Fatal(err)
	}
	return cr
}

// FuzzLoadPEM: arbitrary PEM input never panics, and whatever loads is
// consistent (the key matches the certificate).
func FuzzLoadPEM(f *testing.F) {
	cr := fuzzSeedCreds(f)
	certPEM, keyPEM, err := cr.EncodePEM("")
	if err != nil {
		f.Fatal(err)
	}
	// An encrypted key with few iterations keeps fuzzing fast.
	der, err := pkcs8.MarshalPrivateKey(cr.Signer, []byte("pw"), &pkcs8.Opts{
		Cipher:  pkcs8.AES256CBC,
		KDFOpts: pkcs8.PBKDF2Opts{SaltSize: 8, IterationCount: 2, HMACHash: crypto.SHA256},
	})
	if err != nil {
		f.Fatal(err)
	}
	encPEM := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der})
	f.Add(append(append([]byte{}, certPEM...), keyPEM...), "")
	f.Add(append(append([]byte{}, certPEM...), encPEM...), "pw")
	f.Add(encPEM, "wrong")
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		cr, err := LoadPEM(data, nil, password)
		if err == nil {
			if err := cr.Validate(); err != nil {
				t.Fatalf("loaded inconsistent credentials: %v", err)
			}
		}
		_, _ = ParsePrivateKeyPEM(data, password)
	})
}

// FuzzLoadPKCS12: arbitrary PKCS#12 input never panics, and whatever loads
// is consistent.
func FuzzLoadPKCS12(f *testing.F) {
	cr := fuzzSeedCreds(f)
	for _, enc := range []*pkcs12.Encoder{pkcs12.Modern2023.WithIterations(2), pkcs12.LegacyDES.WithIterations(2)} {
		p12, err := enc.Encode(cr.Signer, cr.Certificate, nil, "pw")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p12)
	}
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x03})
	f.Fuzz(func(t *testing.T, data []byte) {
		cr, err := LoadPKCS12(data, "pw")
		if err == nil {
			if err := cr.Validate(); err != nil {
				t.Fatalf("loaded inconsistent credentials: %v", err)
			}
		}
	})
}
