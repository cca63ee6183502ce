package credentials

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
)

var personSubject = EnrollmentSubject{
	CommonName: "Anna Maria Żółć", CountryName: "PL", GivenNames: []string{"Anna", "Maria"},
	Surname: "Żółć", SerialNumber: "PNOPL-02070803628", UniqueIdentifier: "ABC-123",
}

var sealSubject = EnrollmentSubject{
	CommonName: "Fermy Drobiu", CountryName: "PL", OrganizationName: "Fermy Drobiu Sp. z o.o.",
	OrganizationIdentifier: "VATPL-7762811692",
}

func TestCSRRoundTrip(t *testing.T) {
	for _, key := range []crypto.Signer{mustEC(t), sharedRSA(t)} {
		for _, subj := range []EnrollmentSubject{personSubject, sealSubject} {
			der, err := NewCSR(key, subj)
			if err != nil {
				t.Fatal(err)
			}
			csr, got, err := ParseCSR(der)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(subj) {
				t.Fatalf("subject %+v, want %+v", got, subj)
			}
			wantAlg := x509.ECDSAWithSHA256
			if _, ok := key.(*rsa.PrivateKey); ok {
				wantAlg = x509.SHA256WithRSA
			}
			if csr.SignatureAlgorithm != wantAlg {
				t.Errorf("signature algorithm %v", csr.SignatureAlgorithm)
			}
			// Tampering breaks the signature.
			bad := append([]byte{}, der...)
			bad[len(bad)-5] ^= 1
			if _, _, err := ParseCSR(bad); err == nil {
				t.Error("tampered CSR accepted")
			}
		}
	}
}

func TestSubjectOfGenerated(t *testing.T) {
	ec := mustEC(t)
	p, _ := NewPersonPESEL("02070803628", &CertOptions{Signer: ec, GivenName: "Jan", Surname: "Kowalski"})
	want := EnrollmentSubject{CommonName: "Jan Kowalski", CountryName: "PL", GivenNames: []string{"Jan"},
		Surname: "Kowalski", SerialNumber: "PNOPL-02070803628"}
	if got := SubjectOf(p.Certificate.Subject); !got.Equal(want) {
		t.Errorf("person: %+v", got)
	}
	s, _ := NewSealNIP("7762811692", &CertOptions{Signer: ec, Organization: "Firma"})
	want = EnrollmentSubject{CommonName: "Firma", CountryName: "PL", OrganizationName: "Firma", OrganizationIdentifier: "VATPL-7762811692"}
	if got := SubjectOf(s.Certificate.Subject); !got.Equal(want) {
		t.Errorf("seal: %+v", got)
	}
	// A CSR built from a certificate's subject reproduces it.
	der, err := NewCSR(ec, SubjectOf(p.Certificate.Subject))
	if err != nil {
		t.Fatal(err)
	}
	_, got, _ := ParseCSR(der)
	if !got.Equal(SubjectOf(p.Certificate.Subject)) {
		t.Error("CSR from certificate subject differs")
	}
}

func TestCSRRejects(t *testing.T) {
	ec := mustEC(t)
	if _, err := NewCSR(ec, EnrollmentSubject{CommonName: "x"}); err == nil {
		t.Error("missing country accepted")
	}
	if _, err := NewCSR(ec, EnrollmentSubject{CountryName: "PL"}); err == nil {
		t.Error("missing commonName accepted")
	}
	if _, err := NewCSR(ec, EnrollmentSubject{CommonName: "x", CountryName: "PL", SerialNumber: "PNOPL_ż"}); err == nil {
		t.Error("non-printable serialNumber accepted")
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if _, err := NewCSR(p384, sealSubject); err == nil || !strings.Contains(err.Error(), "P-256") {
		t.Errorf("P-384: %v", err)
	}
	r1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	if _, err := NewCSR(r1024, sealSubject); err == nil || !strings.Contains(err.Error(), "2048") {
		t.Errorf("RSA 1024: %v", err)
	}
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := NewCSR(ed, sealSubject); err == nil {
		t.Error("ed25519 accepted")
	}
	if _, _, err := ParseCSR([]byte{0x30, 0x00}); err == nil {
		t.Error("garbage CSR accepted")
	}
	// A P-384 CSR parses but is refused.
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, p384)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ParseCSR(der); err == nil {
		t.Error("P-384 CSR accepted by ParseCSR")
	}
}

func TestOpenSSLVerifiesCSR(t *testing.T) {
	o := newOSL(t)
	for i, signer := range []crypto.Signer{mustEC(t), sharedRSA(t)} {
		subj := personSubject
		if i == 1 {
			subj = sealSubject
		}
		der, err := NewCSR(signer, subj)
		if err != nil {
			t.Fatal(err)
		}
		f := o.write("req.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
		out := o.must("req", "-in", f, "-noout", "-verify", "-subject", "-nameopt", "RFC2253,-esc_msb")
		if i == 0 {
			for _, want := range []string{"serialNumber=PNOPL-02070803628", "GN=Anna", "GN=Maria", "SN=Żółć", "CN=Anna Maria Żółć", "C=PL"} {
				if !strings.Contains(out, want) {
					t.Errorf("openssl subject %q lacks %q", out, want)
				}
			}
		} else {
			for _, want := range []string{"organizationIdentifier=VATPL-7762811692", "O=Fermy Drobiu Sp. z o.o.", "CN=Fermy Drobiu"} {
				if !strings.Contains(out, want) {
					t.Errorf("openssl subject %q lacks %q", out, want)
				}
			}
		}
	}
	// And a CSR made by openssl parses with ParseCSR.
	o.must("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k.pem",
		"-out", "o.csr", "-outform", "DER", "-utf8",
		"-subj", "/C=PL/O=Fermy Drobiu/organizationIdentifier=VATPL-7762811692/CN=Fermy Drobiu")
	_, got, err := ParseCSR(o.read("o.csr"))
	if err != nil {
		t.Fatal(err)
	}
	want := EnrollmentSubject{CommonName: "Fermy Drobiu", CountryName: "PL", OrganizationName: "Fermy Drobiu", OrganizationIdentifier: "VATPL-7762811692"}
	if !got.Equal(want) {
		t.Fatalf("openssl CSR subject %+v", got)
	}
}

// FuzzParseCSR: arbitrary CSR bytes never panic.
func FuzzParseCSR(f *testing.F) {
	ec, _ := NewKey(ECP256)
	der, err := NewCSR(ec, sealSubject)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = ParseCSR(b)
	})
}
