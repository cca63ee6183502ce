package qr

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/testenv"
)

var (
	validFrom = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	validTo   = time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
	checkTime = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
)

type testCert struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newTestCert(t testing.TB, key crypto.Signer, serial *big.Int) testCert {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "KSeF Offline test", SerialNumber: "TINPL-1111111111"},
		NotBefore:    validFrom,
		NotAfter:     validTo,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{cert, key}
}

var (
	rsaOnce sync.Once
	rsaCert testCert
)

// rsaTestCert returns a shared RSA-2048 certificate (key generation is slow).
func rsaTestCert(t testing.TB) testCert {
	rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		sn, _ := new(big.Int).SetString("01F20A5D352AE590", 16)
		rsaCert = newTestCert(t, k, sn)
	})
	return rsaCert
}

func ecTestCert(t testing.TB) testCert {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sn, _ := new(big.Int).SetString("9A0B0C0D0E0F1011", 16) // top bit set: 00 sign byte
	return newTestCert(t, k, sn)
}

func TestSerialHex(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ serial, want string }{
		{"01F20A5D352AE590", "01F20A5D352AE590"},
		{"1F20A5D352AE590", "01F20A5D352AE590"},
		{"9A0B0C0D0E0F1011", "009A0B0C0D0E0F1011"},
		{"7F", "7F"},
		{"0", "00"},
	} {
		sn, _ := new(big.Int).SetString(c.serial, 16)
		if got := SerialHex(&x509.Certificate{SerialNumber: sn}); got != c.want {
			t.Errorf("SerialHex(%s) = %s, want %s", c.serial, got, c.want)
		}
	}
}

func signParams(tc testCert, invoice []byte) CertificateLinkParams {
	return CertificateLinkParams{
		Host: TestHost, ContextType: ident.TypeNip, ContextValue: "1111111111", SellerNIP: "1111111111",
		Certificate: tc.cert, Signer: tc.key, Invoice: invoice,
	}
}

func TestCertificateLinkSignVerify(t *testing.T) {
	t.Parallel()
	invoice := []byte("<Faktura>offline</Faktura>")
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other := newTestCert(t, otherKey, big.NewInt(42))
	cases := []struct {
		name   string
		tc     testCert
		format ECDSAFormat
		sigLen int
	}{
		{"RSA-PSS", rsaTestCert(t), ECDSAP1363, 256},
		{"ECDSA-P1363", ecTestCert(t), ECDSAP1363, 64},
		{"ECDSA-DER", ecTestCert(t), ECDSADER, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := signParams(c.tc, invoice)
			p.ECDSAFormat = c.format
			l, err := NewCertificateLink(p)
			if err != nil {
				t.Fatal(err)
			}
			if c.sigLen != 0 && len(l.Signature) != c.sigLen {
				t.Errorf("signature length %d, want %d", len(l.Signature), c.sigLen)
			}
			if l.CertSerial != SerialHex(c.tc.cert) || l.Hash != InvoiceHash(invoice) {
				t.Errorf("link parts %+v", l)
			}
			// Verify what a scanner sees: the parsed string.
			parsed, err := ParseCertificateLink(l.String())
			if err != nil {
				t.Fatal(err)
			}
			opts := VerifyOptions{Certificate: c.tc.cert, Invoice: invoice, Now: checkTime}
			if err := parsed.Verify(opts); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			bad := opts
			bad.Invoice = []byte("<Faktura>changed</Faktura>")
			if err := parsed.Verify(bad); !errors.Is(err, ErrHashMismatch) {
				t.Errorf("other invoice: %v", err)
			}
			bad = opts
			bad.Now = validTo.Add(time.Second)
			if err := parsed.Verify(bad); !errors.Is(err, ErrCertificateNotValid) {
				t.Errorf("expired: %v", err)
			}
			bad.Now = validFrom.Add(-time.Second)
			if err := parsed.Verify(bad); !errors.Is(err, ErrCertificateNotValid) {
				t.Errorf("not yet valid: %v", err)
			}
			bad = opts
			bad.Certificate = other.cert
			if err := parsed.Verify(bad); !errors.Is(err, ErrCertificateMismatch) {
				t.Errorf("other certificate: %v", err)
			}
			// A certificate with the same serial but another key.
			impostor := newTestCert(t, other.key, c.tc.cert.SerialNumber)
			bad.Certificate = impostor.cert
			if err := parsed.Verify(bad); !errors.Is(err, ErrUnsupportedKey) && !errors.Is(err, ErrBadSignature) {
				t.Errorf("impostor certificate: %v", err)
			}
			// Any change of the signed part breaks the signature.
			tampered := *parsed
			tampered.SellerNIP = "5265877635"
			if err := tampered.Verify(VerifyOptions{Certificate: c.tc.cert, Now: checkTime}); !errors.Is(err, ErrBadSignature) {
				t.Errorf("changed seller NIP: %v", err)
			}
			tampered = *parsed
			tampered.Host = ProductionHost
			if err := tampered.Verify(VerifyOptions{Certificate: c.tc.cert, Now: checkTime}); !errors.Is(err, ErrBadSignature) {
				t.Errorf("changed host: %v", err)
			}
			tampered = *parsed
			tampered.Signature = append([]byte(nil), parsed.Signature...)
			tampered.Signature[len(tampered.Signature)/2] ^= 1
			if err := tampered.Verify(VerifyOptions{Certificate: c.tc.cert, Now: checkTime}); !errors.Is(err, ErrBadSignature) {
				t.Errorf("flipped signature bit: %v", err)
			}
		})
	}
}

// TestCertificateLinkOpenSSL verifies our signatures with openssl.
func TestCertificateLinkOpenSSL(t *testing.T) {
	testenv.SkipShort(t, "openssl verification of KOD II signatures per key type and format")
	t.Parallel()
	openssl := testenv.RequireTool(t, "openssl")
	dir := t.TempDir()
	check := func(name string, tc testCert, format ECDSAFormat, extra ...string) {
		p := signParams(tc, []byte("<Faktura/>"))
		p.ECDSAFormat = format
		l, err := NewCertificateLink(p)
		if err != nil {
			t.Fatal(err)
		}
		sig := l.Signature
		if _, ok := tc.cert.PublicKey.(*ecdsa.PublicKey); ok && format == ECDSAP1363 {
			// r||s, 32 bytes each: openssl wants DER, built here by hand.
			if len(sig) != 64 {
				t.Fatalf("%s: r||s signature of %d bytes", name, len(sig))
			}
			der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
			if err != nil {
				t.Fatal(err)
			}
			sig = der
		}
		pub, err := x509.MarshalPKIXPublicKey(tc.cert.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		pubFile := filepath.Join(dir, name+".pub.pem")
		dataFile := filepath.Join(dir, name+".txt")
		sigFile := filepath.Join(dir, name+".sig")
		os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600)
		os.WriteFile(dataFile, []byte(l.SignedData()), 0o600)
		os.WriteFile(sigFile, sig, 0o600)
		args := append([]string{"dgst", "-sha256"}, extra...)
		args = append(args, "-verify", pubFile, "-signature", sigFile, dataFile)
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil {
			t.Errorf("%s: openssl: %v\n%s", name, err, out)
		}
		// Negative control: openssl must reject the signature for other data.
		os.WriteFile(dataFile, []byte(l.SignedData()+"x"), 0o600)
		if out, err := exec.Command(openssl, args...).CombinedOutput(); err == nil {
			t.Errorf("%s: openssl accepted a wrong signature\n%s", name, out)
		}
	}
	check("rsa", rsaTestCert(t), ECDSAP1363,
		"-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32", "-sigopt", "rsa_mgf1_md:sha256")
	check("ecdsa", ecTestCert(t), ECDSADER)
	check("ecdsa-p1363", ecTestCert(t), ECDSAP1363)
}

func TestNewCertificateLinkRejects(t *testing.T) {
	t.Parallel()
	ec := ecTestCert(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		p    CertificateLinkParams
		want error
	}{
		"RSA-1024": {signParams(newTestCert(t, small, big.NewInt(5)), nil), ErrUnsupportedKey},
		"P-384":    {signParams(newTestCert(t, p384, big.NewInt(6)), nil), ErrUnsupportedKey},
		"key mismatch": {func() CertificateLinkParams {
			p := signParams(ec, nil)
			p.Signer = p384
			return p
		}(), ErrCertificateMismatch},
		"bad context": {func() CertificateLinkParams {
			p := signParams(ec, nil)
			p.ContextType = "Pesel"
			return p
		}(), ErrMalformedLink},
		"context NIP checksum": {func() CertificateLinkParams {
			p := signParams(ec, nil)
			p.ContextValue = "1111111112"
			return p
		}(), ident.ErrInvalidIdentifier},
		"seller NIP pattern": {func() CertificateLinkParams {
			p := signParams(ec, nil)
			p.SellerNIP = "0111111111"
			return p
		}(), ident.ErrInvalidIdentifier},
		"bad hash": {func() CertificateLinkParams {
			p := signParams(ec, nil)
			p.Hash = "abc"
			return p
		}(), ErrMalformedLink},
	} {
		if name != "bad hash" && c.p.Invoice == nil {
			c.p.Invoice = []byte("x")
		}
		if _, err := NewCertificateLink(c.p); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// A hash instead of the invoice bytes.
	p := signParams(ec, nil)
	p.Hash = docHash
	l, err := NewCertificateLink(p)
	if err != nil || l.Hash != docHash {
		t.Errorf("with Hash: %v", err)
	}
}
