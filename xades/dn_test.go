package xades

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
)

func atv(oid asn1.ObjectIdentifier, v any) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{Type: oid, Value: v}
}

// goldenName is an issuer in X.500 order (least specific first) exercising the OID table,
// multi-valued RDNs, unknown types, non-ASCII text and every character RFC 4514 escapes.
var goldenName = pkix.RDNSequence{
	{atv(asn1.ObjectIdentifier{2, 5, 4, 6}, "PL")},
	{atv(asn1.ObjectIdentifier{2, 5, 4, 8}, "mazowieckie")},
	{atv(asn1.ObjectIdentifier{2, 5, 4, 7}, "a\\b<c>d;e+f=g\x01")},
	{atv(asn1.ObjectIdentifier{2, 5, 4, 9}, "ul. Prosta 1")},
	{atv(asn1.ObjectIdentifier{2, 5, 4, 10}, `Firma "Test", Sp. z o.o.`)},
	{atv(asn1.ObjectIdentifier{2, 5, 4, 11}, "#1 dział")},
	{atv(asn1.ObjectIdentifier{2, 5, 4, 97}, "VATPL-5265877635")},
	{atv(asn1.ObjectIdentifier{2, 5, 4, 3}, "Jan Kowalski"), atv(asn1.ObjectIdentifier{2, 5, 4, 5}, "TINPL-5265877635")},
	{atv(asn1.ObjectIdentifier{2, 5, 4, 42}, "Jan")},
	{atv(asn1.ObjectIdentifier{2, 5, 4, 4}, "Kowalski")},
	{atv(asn1.ObjectIdentifier{2, 5, 4, 12}, "Dev")},
	{atv(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte("jan@example.pl")})},
	{atv(asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}, asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte("example")})},
	{atv(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, " spaced ")},
}

const goldenFormatted = `OID.1.3.6.1.4.1.99999.1=\ spaced\ , DC=example, E=jan@example.pl, T=Dev, SN=Kowalski, G=Jan, ` +
	`CN=Jan Kowalski + SERIALNUMBER=TINPL-5265877635, OID.2.5.4.97=VATPL-5265877635, OU=\#1 dział, ` +
	`O=Firma \"Test\"\, Sp. z o.o., STREET=ul. Prosta 1, L=a\\b\<c\>d\;e\+f=g\01, S=mazowieckie, C=PL`

func TestFormatNameGolden(t *testing.T) {
	der, err := asn1.Marshal(goldenName)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FormatName(der)
	if err != nil {
		t.Fatal(err)
	}
	if got != goldenFormatted {
		t.Errorf("FormatName:\n got %s\nwant %s", got, goldenFormatted)
	}
	if !issuerNameMatches(got, der) {
		t.Error("the formatted name does not parse back to the same name")
	}
	// The KSeF TEST seal shape written by the official client (.NET names).
	seal := pkix.RDNSequence{
		{atv(asn1.ObjectIdentifier{2, 5, 4, 6}, "PL")},
		{atv(asn1.ObjectIdentifier{2, 5, 4, 10}, "Firma Testowa Sp. z o.o.")},
		{atv(asn1.ObjectIdentifier{2, 5, 4, 3}, "Firma Testowa")},
		{atv(asn1.ObjectIdentifier{2, 5, 4, 97}, "VATPL-5265877635")},
	}
	der, _ = asn1.Marshal(seal)
	if got, _ := FormatName(der); got != "OID.2.5.4.97=VATPL-5265877635, CN=Firma Testowa, O=Firma Testowa Sp. z o.o., C=PL" {
		t.Errorf("seal name: %s", got)
	}
}

func TestIssuerNameMatchesSpellings(t *testing.T) {
	der, err := asn1.Marshal(pkix.RDNSequence{
		{atv(asn1.ObjectIdentifier{2, 5, 4, 6}, "PL")},
		{atv(asn1.ObjectIdentifier{2, 5, 4, 10}, "Firma, Sp. z o.o.")},
		{atv(asn1.ObjectIdentifier{2, 5, 4, 97}, "VATPL-5265877635")},
		{atv(asn1.ObjectIdentifier{2, 5, 4, 3}, "Firma  Testowa")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		`CN=Firma  Testowa, OID.2.5.4.97=VATPL-5265877635, O=Firma\, Sp. z o.o., C=PL`,
		`CN=Firma Testowa,organizationIdentifier=VATPL-5265877635,O=Firma\2C Sp. z o.o.,C=PL`,
		`CN = firma testowa ; 2.5.4.97=VATPL-5265877635; O="Firma, Sp. z o.o."; C=PL`,
		`C=PL, O=Firma\, Sp. z o.o., OID.2.5.4.97=VATPL-5265877635, CN=Firma Testowa`,
		`CN=Firma Testowa, OID.2.5.4.97=#1310564154504c2d35323635383737363335, O=Firma\, Sp. z o.o., C=PL`,
	} {
		if !issuerNameMatches(s, der) {
			t.Errorf("not accepted: %s", s)
		}
	}
	for _, s := range []string{
		``,
		`CN=Firma Testowa, O=Firma\, Sp. z o.o., C=PL`,
		`CN=Firma Testowa, OID.2.5.4.97=VATPL-5265877636, O=Firma\, Sp. z o.o., C=PL`,
		`CN=Firma Testowa, OID.2.5.4.97=VATPL-5265877635, O=Firma, Sp. z o.o., C=PL`,
		`CN=Firma Testowa, OID.2.5.4.97=VATPL-5265877635, C=PL, O=Firma\, Sp. z o.o.`,
		`SN=Firma Testowa, OID.2.5.4.97=VATPL-5265877635, O=Firma\, Sp. z o.o., C=PL`,
		`CN=Firma Testowa + OID.2.5.4.97=VATPL-5265877635, O=Firma\, Sp. z o.o., C=PL`,
		`CN=Firma Testowa, OID.2.5.4.97=VATPL-5265877635, O=Firma\, Sp. z o.o., C=PL,`,
		`garbage`,
		`CN="unterminated`,
		`CN=x\`,
	} {
		if issuerNameMatches(s, der) {
			t.Errorf("accepted: %s", s)
		}
	}
}

// TestIssuerNameMatchesOpenSSL checks that names printed by another implementation (OpenSSL,
// RFC 2253 form with hex escapes and #DER values) are matched against the certificate.
func TestIssuerNameMatchesOpenSSL(t *testing.T) {
	testenv.SkipShort(t, "openssl issuer-name check")
	openssl := testenv.RequireTool(t, "openssl")
	der, err := asn1.Marshal(goldenName)
	if err != nil {
		t.Fatal(err)
	}
	k := mustECKey(t)
	nb, na := validity()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), RawSubject: der, NotBefore: nb, NotAfter: na}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, nameopt := range []string{"RFC2253", "RFC2253,-esc_msb"} {
		out, err := exec.Command(openssl, "x509", "-in", path, "-noout", "-issuer", "-nameopt", nameopt).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl: %v\n%s", err, out)
		}
		name := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "issuer="))
		if !issuerNameMatches(name, der) {
			t.Errorf("OpenSSL %s name not matched: %s", nameopt, name)
		}
	}
}

func FuzzParseDN(f *testing.F) {
	f.Add(goldenFormatted)
	f.Add(`CN="a""b", O=#0c0141`)
	f.Add(`CN=x\`)
	f.Fuzz(func(t *testing.T, s string) {
		rdns, err := parseDN(s)
		if err != nil {
			return
		}
		for _, rdn := range rdns {
			if len(rdn) == 0 {
				t.Fatal("empty RDN")
			}
		}
	})
}
