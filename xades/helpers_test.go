package xades

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/testenv"
)

// testNow is the reference time of the tests; test certificates are valid around it.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var oidOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}

type testSigner struct {
	cert *x509.Certificate
	key  crypto.Signer
}

var (
	rsaOnce, ecOnce sync.Once
	rsaSigner       testSigner
	ecSigner        testSigner
)

// newTestCert returns a self-signed certificate for key, shaped like a KSeF TEST seal
// certificate (organizationIdentifier VATPL-…, serial number, CN, O, C).
func newTestCert(tb testing.TB, key crypto.Signer, serial int64, notBefore, notAfter time.Time) *x509.Certificate {
	tb.Helper()
	name := pkix.Name{
		Country:      []string{"PL"},
		Organization: []string{"Firma Testowa Sp. z o.o."},
		CommonName:   "Firma Testowa",
		ExtraNames: []pkix.AttributeTypeAndValue{
			{Type: oidOrganizationIdentifier, Value: "VATPL-5265877635"},
		},
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               name,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return cert
}

func validity() (time.Time, time.Time) {
	return testNow.AddDate(-1, 0, 0), testNow.AddDate(1, 0, 0)
}

func rsaTestSigner(tb testing.TB) testSigner {
	tb.Helper()
	rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			tb.Fatal(err)
		}
		nb, na := validity()
		rsaSigner = testSigner{newTestCert(tb, k, 0x1234567890, nb, na), k}
	})
	return rsaSigner
}

func ecTestSigner(tb testing.TB) testSigner {
	tb.Helper()
	ecOnce.Do(func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		nb, na := validity()
		ecSigner = testSigner{newTestCert(tb, k, 987654321, nb, na), k}
	})
	return ecSigner
}

// sampleDocs returns the official AuthTokenRequest samples plus a document with prefixes and
// nested namespaces.
func sampleDocs(tb testing.TB) map[string][]byte {
	tb.Helper()
	dir := filepath.Dir(testenv.SpecFile(tb, "samples/auth/AuthTokenRequest-context-identifier-nip.xml"))
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no samples in %s: %v", dir, err)
	}
	docs := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		docs[filepath.Base(f)] = b
	}
	docs["prefixed.xml"] = []byte(prefixedDoc)
	return docs
}

const prefixedDoc = `<?xml version="1.0" encoding="UTF-8"?>
<!-- leading comment -->
<?app-hint keep me?>
<a:Request xmlns:a="urn:example:a" xmlns:b="urn:example:b" xmlns:unused="urn:example:unused" xml:lang="pl">
  <a:Head b:attr="x &amp; y" z="1" a="2" w="line1
	line2&#10;ref">Zażółć gęślą jaźń &lt;&gt; ' "</a:Head>
  <b:Body xmlns="urn:example:default">
    <Item n="1"><![CDATA[<raw> & text]]></Item>
    <!-- inner comment -->
    <Item n="2" xmlns=""/>
    <c:Deep xmlns:c="urn:example:c" a:zz="1" b:yy="2" c:aa="3">tab	and&#13;cr</c:Deep>
  </b:Body>
</a:Request>
`
