package upo_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	rand2 "math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/upo"
	"github.com/ksef2/ksef/xades"
)

// testSigner returns a self-signed ECDSA P-256 certificate and key.
func testSigner(t testing.TB) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "UPO test signer", Organization: []string{"ksef test"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// TestSamplesUnsigned records what the official samples are: none carries a
// signature (MF publishes them unsigned), so each parses and Verify
// reports ErrUnsigned; signed with a test key, each verifies.
func TestVerifySamples(t *testing.T) {
	cert, key := testSigner(t)
	for _, f := range sampleFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		u, err := upo.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if u.Signed {
			// If MF ever publishes signed samples, they must verify.
			if _, _, err := upo.Verify(data); err != nil {
				t.Errorf("%s: signed sample does not verify: %v", f, err)
			}
			continue
		}
		if _, _, err := upo.Verify(data); !errors.Is(err, upo.ErrUnsigned) {
			t.Errorf("%s: Verify(unsigned) = %v, want ErrUnsigned", f, err)
		}
		signed, err := xades.Sign(data, cert, key, nil)
		if err != nil {
			t.Fatalf("%s: sign: %v", f, err)
		}
		got, signer, err := upo.Verify(signed)
		if err != nil {
			t.Fatalf("%s: Verify(signed) = %v", f, err)
		}
		if !signer.Equal(cert) {
			t.Errorf("%s: signer %v, want the test certificate", f, signer.Subject)
		}
		if !got.Signed || got.SessionReferenceNumber != u.SessionReferenceNumber || len(got.Documents) != len(u.Documents) {
			t.Errorf("%s: verified UPO differs from the parsed one: %+v vs %+v", f, got, u)
		}
		for i := range u.Documents {
			if got.Documents[i].KSeFNumber != u.Documents[i].KSeFNumber {
				t.Errorf("%s: document %d: %s, want %s", f, i, got.Documents[i].KSeFNumber, u.Documents[i].KSeFNumber)
			}
		}
	}
}

func TestVerifyTampered(t *testing.T) {
	cert, key := testSigner(t)
	data, err := os.ReadFile(sampleFiles(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	u, err := upo.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := xades.Sign(data, cert, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref := u.SessionReferenceNumber
	if !bytes.Contains(signed, []byte(ref)) {
		t.Fatalf("signed UPO lacks its session reference %s", ref)
	}
	// change one digit of the session reference number
	last := ref[len(ref)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	tampered := bytes.Replace(signed, []byte(ref), []byte(ref[:len(ref)-1]+string(repl)), 1)
	if _, _, err := upo.Verify(tampered); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("Verify(tampered) = %v, want a signature error", err)
	}
	// a certificate not yet valid at Now fails
	if _, _, err := upo.VerifyWithOptions(signed, &upo.VerifyOptions{Now: time.Now().Add(48 * time.Hour)}); !errors.Is(err, xades.ErrCertificateValidity) {
		t.Errorf("Verify at a later time = %v, want ErrCertificateValidity", err)
	}
	// size limit
	if _, _, err := upo.VerifyWithOptions(signed, &upo.VerifyOptions{MaxBytes: 100}); !errors.Is(err, xades.ErrTooLarge) {
		t.Errorf("Verify over MaxBytes = %v, want ErrTooLarge", err)
	}
}

// TestVerifyLargeSessionUPO: a session UPO with 10,000 documents, signed,
// verifies within the default limit.
func TestVerifyLargeSessionUPO(t *testing.T) {
	if testing.Short() {
		t.Skip("large UPO: skipped under -short")
	}
	var sess []byte
	for _, f := range sampleFiles(t) {
		if strings.Contains(f, "upo-sesja-kontekst-id-nip") {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sess = b
		}
	}
	if sess == nil {
		t.Skip("no NIP session sample")
	}
	u, err := upo.Parse(sess)
	if err != nil {
		t.Fatal(err)
	}
	u.Documents = u.Documents[:1]
	base := u.Documents[0]
	u.Documents = u.Documents[:0]
	for i := range 10000 {
		d := base
		d.InvoiceNumber = base.InvoiceNumber + "-" + itoa(i)
		d.KSeFNumber = ksefNumberVariant(t, base.KSeFNumber, i)
		u.Documents = append(u.Documents, d)
	}
	doc, err := u.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	cert, key := testSigner(t)
	signed, err := xades.Sign(doc, cert, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("session UPO with 10,000 documents: %d bytes", len(signed))
	got, _, err := upo.Verify(signed)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Documents) != 10000 {
		t.Errorf("%d documents, want 10000", len(got.Documents))
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// ksefNumberVariant returns a distinct valid KSeF number for the seller and
// date of base.
func ksefNumberVariant(t testing.TB, base string, i int) string {
	t.Helper()
	k, err := ident.ParseKSeFNumber(base)
	if err != nil {
		t.Fatal(err)
	}
	r := rand2.New(rand2.NewPCG(uint64(i), 7))
	return ident.NewKSeFNumber(k.SellerNIP(), k.Date(), r).String()
}
