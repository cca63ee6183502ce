package credentials

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustEC(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := NewKey(ECP256)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*ecdsa.PrivateKey)
}

// chainCreds returns credentials whose leaf is signed by a generated CA.
func chainCreds(t *testing.T) *Credentials {
	t.Helper()
	caKey := mustEC(t)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey := mustEC(t)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(8), Subject: pkix.Name{CommonName: "Leaf", SerialNumber: "TINPL-5265877635"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, leafKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	leafCert, _ := x509.ParseCertificate(leafDER)
	return &Credentials{Certificate: leafCert, Chain: []*x509.Certificate{caCert}, Signer: leafKey}
}

func sameCreds(t *testing.T, got, want *Credentials) {
	t.Helper()
	if !got.Certificate.Equal(want.Certificate) {
		t.Fatal("certificate differs")
	}
	if len(got.Chain) != len(want.Chain) {
		t.Fatalf("chain has %d certificates, want %d", len(got.Chain), len(want.Chain))
	}
	for i := range got.Chain {
		if !got.Chain[i].Equal(want.Chain[i]) {
			t.Fatalf("chain[%d] differs", i)
		}
	}
	type eq interface {
		Equal(x crypto.PrivateKey) bool
	}
	if !got.Signer.(eq).Equal(want.Signer) {
		t.Fatal("private key differs")
	}
}

func TestPEMRoundTrip(t *testing.T) {
	for name, cr := range map[string]*Credentials{
		"ec chain": chainCreds(t),
		"rsa":      mustGen(t, func() (*Credentials, error) { return NewSealNIP("7762811692", &CertOptions{Signer: sharedRSA(t)}) }),
	} {
		for _, pw := range []string{"", "zażółć gęślą jaźń"} {
			certPEM, keyPEM, err := cr.EncodePEM(pw)
			if err != nil {
				t.Fatal(err)
			}
			wantType := "PRIVATE KEY"
			if pw != "" {
				wantType = "ENCRYPTED PRIVATE KEY"
			}
			if b, _ := pem.Decode(keyPEM); b == nil || b.Type != wantType {
				t.Fatalf("%s: key block %v, want %s", name, b, wantType)
			}
			// Separate and combined, key first or last.
			for _, in := range [][2][]byte{
				{certPEM, keyPEM},
				{append(bytes.Clone(certPEM), keyPEM...), nil},
				{append(bytes.Clone(keyPEM), certPEM...), nil},
			} {
				got, err := LoadPEM(in[0], in[1], pw)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				sameCreds(t, got, cr)
			}
			if pw != "" {
				if _, err := LoadPEM(certPEM, keyPEM, ""); !errors.Is(err, ErrPassword) {
					t.Fatalf("no password: %v", err)
				}
				if _, err := LoadPEM(certPEM, keyPEM, "wrong"); !errors.Is(err, ErrPassword) {
					t.Fatalf("wrong password: %v", err)
				}
			}
		}
	}
}

func mustGen(t *testing.T, f func() (*Credentials, error)) *Credentials {
	t.Helper()
	c, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPEMLeafChosenByKey(t *testing.T) {
	cr := chainCreds(t)
	_, keyPEM, _ := cr.EncodePEM("")
	// CA first, then leaf: the leaf must still be picked.
	in := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cr.Chain[0].Raw})
	in = append(in, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cr.Certificate.Raw})...)
	in = append(in, []byte("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n")...)
	got, err := LoadPEM(in, keyPEM, "")
	if err != nil {
		t.Fatal(err)
	}
	sameCreds(t, got, cr)
}

func TestPEMKeyForms(t *testing.T) {
	ec := mustEC(t)
	rk := sharedRSA(t)
	ecCert := mustGen(t, func() (*Credentials, error) { return NewFingerprintOnly(&CertOptions{Signer: ec}) })
	rsaCert := mustGen(t, func() (*Credentials, error) { return NewFingerprintOnly(&CertOptions{Signer: rk}) })
	sec1, _ := x509.MarshalECPrivateKey(ec)
	pkcs8EC, _ := x509.MarshalPKCS8PrivateKey(ec)
	pkcs8RSA, _ := x509.MarshalPKCS8PrivateKey(rk)
	cases := []struct {
		cr    *Credentials
		block *pem.Block
	}{
		{ecCert, &pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}},
		{ecCert, &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8EC}},
		{rsaCert, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}},
		{rsaCert, &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8RSA}},
	}
	for _, c := range cases {
		certPEM, _, _ := c.cr.EncodePEM("")
		got, err := LoadPEM(certPEM, pem.EncodeToMemory(c.block), "")
		if err != nil {
			t.Fatalf("%s: %v", c.block.Type, err)
		}
		sameCreds(t, got, c.cr)
		s, err := ParsePrivateKeyPEM(pem.EncodeToMemory(c.block), "")
		if err != nil || !s.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(c.cr.Signer.Public()) {
			t.Fatalf("ParsePrivateKeyPEM %s: %v", c.block.Type, err)
		}
	}
	certPEM, _, _ := ecCert.EncodePEM("")
	rsaKeyPEM := pem.EncodeToMemory(cases[2].block)
	if _, err := LoadPEM(certPEM, rsaKeyPEM, ""); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("mismatched key: %v", err)
	}
	if _, err := LoadPEM(certPEM, nil, ""); !errors.Is(err, ErrNoPrivateKey) {
		t.Errorf("no key: %v", err)
	}
	if _, err := LoadPEM(rsaKeyPEM, nil, ""); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("no certificate: %v", err)
	}
	if _, err := LoadPEM(certPEM, append(bytes.Clone(rsaKeyPEM), rsaKeyPEM...), ""); err == nil {
		t.Error("two keys accepted")
	}
	if _, err := ParsePrivateKeyPEM(certPEM, ""); !errors.Is(err, ErrNoPrivateKey) {
		t.Errorf("ParsePrivateKeyPEM without key: %v", err)
	}
	// Ed25519 is not a KSeF key type.
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edKey)
	if _, err := LoadPEM(certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER}), ""); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("ed25519: %v", err)
	}
	// Legacy encrypted PEM.
	legacy := &pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00112233445566778899AABBCCDDEEFF"}, Bytes: []byte{1, 2, 3}}
	_, err := LoadPEM(certPEM, pem.EncodeToMemory(legacy), "pw")
	if err == nil || !strings.Contains(err.Error(), "legacy") {
		t.Errorf("legacy encrypted PEM: %v", err)
	}
	// Corrupt blocks.
	if _, err := LoadPEM(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 1, 2}}), rsaKeyPEM, ""); err == nil {
		t.Error("corrupt certificate accepted")
	}
	if _, err := LoadPEM(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{0x30}}), ""); err == nil {
		t.Error("corrupt key accepted")
	}
}

func TestPKCS12RoundTrip(t *testing.T) {
	for name, cr := range map[string]*Credentials{
		"ec chain": chainCreds(t),
		"rsa":      mustGen(t, func() (*Credentials, error) { return NewPersonPESEL("02070803628", &CertOptions{Signer: sharedRSA(t)}) }),
	} {
		p12, err := cr.EncodePKCS12("hasło-123")
		if err != nil {
			t.Fatal(err)
		}
		got, err := LoadPKCS12(p12, "hasło-123")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sameCreds(t, got, cr)
		if _, err := LoadPKCS12(p12, "wrong"); !errors.Is(err, ErrPassword) {
			t.Fatalf("%s: wrong password: %v", name, err)
		}
		if _, err := LoadPKCS12(p12[:len(p12)/2], "hasło-123"); err == nil {
			t.Fatalf("%s: truncated file accepted", name)
		}
	}
	cr := chainCreds(t)
	if _, err := cr.EncodePKCS12(""); !errors.Is(err, ErrPassword) {
		t.Errorf("empty PKCS#12 password: %v", err)
	}
	bad := &Credentials{Certificate: cr.Certificate, Signer: mustEC(t)}
	if _, err := bad.EncodePKCS12("x"); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("mismatched EncodePKCS12: %v", err)
	}
	if _, _, err := bad.EncodePEM(""); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("mismatched EncodePEM: %v", err)
	}
	if err := (&Credentials{}).Validate(); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("empty Validate: %v", err)
	}
	if err := (&Credentials{Certificate: cr.Certificate}).Validate(); !errors.Is(err, ErrNoPrivateKey) {
		t.Errorf("no signer Validate: %v", err)
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	cr := chainCreds(t)
	certPEM, keyPEM, _ := cr.EncodePEM("pw")
	p12, _ := cr.EncodePKCS12("pw")
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certF, keyF := write("c.pem", certPEM), write("k.pem", keyPEM)
	both := write("both.pem", append(bytes.Clone(certPEM), keyPEM...))
	p12F := write("id.p12", p12)
	for _, f := range []func() (*Credentials, error){
		func() (*Credentials, error) { return LoadPEMFiles(certF, keyF, "pw") },
		func() (*Credentials, error) { return LoadPEMFiles(both, "", "pw") },
		func() (*Credentials, error) { return LoadPKCS12File(p12F, "pw") },
		func() (*Credentials, error) { return LoadFile(p12F, "", "pw") },
		func() (*Credentials, error) { return LoadFile(both, "", "pw") },
		func() (*Credentials, error) { return LoadFile(certF, keyF, "pw") },
	} {
		got, err := f()
		if err != nil {
			t.Fatal(err)
		}
		sameCreds(t, got, cr)
	}
	if _, err := LoadFile(p12F, keyF, "pw"); err == nil {
		t.Error("PKCS#12 with key file accepted")
	}
	if _, err := LoadFile(filepath.Join(dir, "missing"), "", ""); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestNoSecretsInErrors checks that passwords never appear in errors.
func TestNoSecretsInErrors(t *testing.T) {
	cr := chainCreds(t)
	_, keyPEM, _ := cr.EncodePEM("right-password")
	certPEM, _, _ := cr.EncodePEM("")
	p12, _ := cr.EncodePKCS12("right-password")
	secret := "Sup3rSecretPassw0rd"
	var errs []error
	_, err := LoadPEM(certPEM, keyPEM, secret)
	errs = append(errs, err)
	_, err = LoadPKCS12(p12, secret)
	errs = append(errs, err)
	_, err = LoadPKCS12([]byte("garbage"), secret)
	errs = append(errs, err)
	for _, err := range errs {
		if err == nil || strings.Contains(err.Error(), secret) || !strings.HasPrefix(err.Error(), "credentials: ") {
			t.Errorf("error %v", err)
		}
	}
	s := fmt.Sprintf("%v %+v %#v %v %+v %#v %s", cr, cr, cr, *cr, *cr, *cr, cr)
	d := cr.Signer.(*ecdsa.PrivateKey).D.String()
	if !strings.Contains(s, cr.Fingerprint()) || strings.Contains(s, d[:12]) {
		t.Errorf("String = %q", s)
	}
}

// TestKDFCostLimits: crafted files demanding huge key-derivation work are
// refused quickly.
func TestKDFCostLimits(t *testing.T) {
	type pbkdf2P struct {
		Salt       []byte
		Iterations int
	}
	type algo struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue
	}
	raw := func(v any) asn1.RawValue {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return asn1.RawValue{FullBytes: b}
	}
	kdf := algo{oidPBKDF2, raw(pbkdf2P{make([]byte, 8), 1 << 30})}
	scheme := algo{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}, raw(make([]byte, 16))}
	params := struct{ KDF, Scheme algo }{kdf, scheme}
	epki := struct {
		Algo algo
		Data []byte
	}{algo{oidPBES2, raw(params)}, make([]byte, 64)}
	der, err := asn1.Marshal(epki)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = ParsePrivateKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}), "pw")
	if !errors.Is(err, errTooCostly) || time.Since(start) > 5*time.Second {
		t.Fatalf("PKCS#8 with 2^30 iterations: %v", err)
	}
	// Same structure with a sane count reaches the library (wrong password).
	kdf = algo{oidPBKDF2, raw(pbkdf2P{make([]byte, 8), 1000})}
	params = struct{ KDF, Scheme algo }{kdf, scheme}
	epki.Algo = algo{oidPBES2, raw(params)}
	der, _ = asn1.Marshal(epki)
	_, err = ParsePrivateKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}), "pw")
	if err == nil || errors.Is(err, errTooCostly) {
		t.Fatalf("sane PKCS#8: %v", err)
	}

	// PKCS#12 with an absurd MAC iteration count.
	p12, _ := chainCreds(t).EncodePKCS12("pw")
	var pfx pfxPDU
	if _, err := asn1.Unmarshal(p12, &pfx); err != nil {
		t.Fatal(err)
	}
	if pfx.MacData.Iterations < 1000 {
		t.Fatalf("unexpected MAC iterations %d", pfx.MacData.Iterations)
	}
	pfx.MacData.Iterations = 1 << 30
	evil, err := asn1.Marshal(pfx)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := LoadPKCS12(evil, "pw"); !errors.Is(err, errTooCostly) || time.Since(start) > 5*time.Second {
		t.Fatalf("PKCS#12 with 2^30 MAC iterations: %v", err)
	}
}
