package xades

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// TestIssuerSerialTable checks how X509IssuerName and X509SerialNumber of
// SigningCertificate/Cert/IssuerSerial are matched against the certificate: the name as a
// distinguished name (types and values, any common spelling), the serial as an integer.
func TestIssuerSerialTable(t *testing.T) {
	oid := func(a ...int) asn1.ObjectIdentifier { return a }
	issuer := pkix.RDNSequence{ // X.500 order: least specific first
		{{Type: oid(2, 5, 4, 6), Value: "PL"}},
		{{Type: oid(2, 5, 4, 8), Value: "mazowieckie"}},
		{{Type: oid(2, 5, 4, 10), Value: `Zażółć "Firma", Sp. z o.o.`}},
		{{Type: oid(2, 5, 4, 11), Value: "IT"}, {Type: oid(2, 5, 4, 97), Value: "VATPL-5265877635"}},
		{{Type: oid(2, 5, 4, 3), Value: "Jan  Kowalski"}},
		{{Type: oid(1, 2, 3, 4, 5), Value: "x"}}, // a type without a name: OID or #hex
	}
	raw, err := asn1.Marshal(issuer)
	if err != nil {
		t.Fatal(err)
	}
	key := mustECKey(t)
	nb, na := validity()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(78187493520), RawSubject: raw, NotBefore: nb, NotAfter: na}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}

	const (
		rfc4514 = `1.2.3.4.5=#130178,CN=Jan  Kowalski,OU=IT+organizationIdentifier=VATPL-5265877635,O=Zażółć \"Firma\"\, Sp. z o.o.,ST=mazowieckie,C=PL`
		serial  = "78187493520"
	)
	cases := []struct {
		name, issuerName, serial string
		ok                       bool
	}{
		{"RFC 4514 with escapes and #hex", rfc4514, serial, true},
		{".NET style: OID. prefix, S=, quoted value with doubled quotes, ' + '", `OID.1.2.3.4.5=#130178, CN=Jan Kowalski, OU=IT + OID.2.5.4.97=VATPL-5265877635, O="Zażółć ""Firma"", Sp. z o.o.", S=Mazowieckie, C=PL`, serial, true},
		{"hex-escaped UTF-8 and punctuation", `1.2.3.4.5=#130178,CN=Jan Kowalski,OU=IT+2.5.4.97=VATPL-5265877635,O=Za\C5\BC\C3\B3\C5\82\C4\87 \22Firma\22\2C Sp. z o.o.,ST=mazowieckie,C=PL`, serial, true},
		{"X.500 order (least specific first)", `C=PL, ST=mazowieckie, O=Zażółć \"Firma\"\, Sp. z o.o., OU=IT+organizationIdentifier=VATPL-5265877635, CN=Jan Kowalski, 1.2.3.4.5=#130178`, serial, true},
		{"spaces around separators, ';' separators", ` 1.2.3.4.5 = #130178 ;  CN = Jan Kowalski ; OU = IT  +  organizationIdentifier = VATPL-5265877635 ; O = Zażółć \"Firma\"\, Sp. z o.o. ; ST = mazowieckie ; C = PL `, serial, true},
		{"multi-valued RDN in another order", strings.Replace(rfc4514, "OU=IT+organizationIdentifier=VATPL-5265877635", "organizationIdentifier=VATPL-5265877635+OU=IT", 1), serial, true},
		{"#hex for a string attribute", strings.Replace(rfc4514, "C=PL", "C=#1302504c", 1), serial, true},
		{"#hex as UTF8String for a PrintableString attribute", strings.Replace(rfc4514, "C=PL", "C=#0c02504c", 1), serial, true},
		{"lower-case type names", strings.Replace(rfc4514, "CN=", "cn=", 1), serial, true},
		{"unnamed type as text with OID. prefix", strings.Replace(rfc4514, "1.2.3.4.5=#130178", "OID.1.2.3.4.5=X", 1), serial, true},
		{"serial with leading zeros", rfc4514, "0078187493520", true},
		{"serial with plus sign and spaces", rfc4514, " +78187493520 ", true},

		{"multi-valued RDN split in two", strings.Replace(rfc4514, "OU=IT+", "OU=IT,", 1), serial, false},
		{"different value", strings.Replace(rfc4514, "mazowieckie", "malopolskie", 1), serial, false},
		{"different type", strings.Replace(rfc4514, "ST=", "L=", 1), serial, false},
		{"attribute left out", strings.TrimPrefix(rfc4514, "1.2.3.4.5=#130178,"), serial, false},
		{"#hex of another value", strings.Replace(rfc4514, "#130178", "#130179", 1), serial, false},
		{"#hex that is not a string", strings.Replace(rfc4514, "#130178", "#02012a", 1), serial, false},
		{"RDNs neither in RFC 4514 nor X.500 order", `CN=Jan  Kowalski,1.2.3.4.5=#130178,OU=IT+organizationIdentifier=VATPL-5265877635,O=Zażółć \"Firma\"\, Sp. z o.o.,ST=mazowieckie,C=PL`, serial, false},
		{"unescaped comma inside a value", strings.Replace(rfc4514, `\,`, ",", 1), serial, false},
		{"unknown attribute name", strings.Replace(rfc4514, "ST=", "FOO=", 1), serial, false},
		{"subject instead of issuer spelled with an extra RDN", rfc4514 + ",DC=pl", serial, false},
		{"other serial", rfc4514, "78187493521", false},
		{"negative serial", rfc4514, "-78187493520", false},
	}
	sum := sha256.Sum256(cert.Raw)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref, err := parseCertRef(certElement(sum[:], c.issuerName, c.serial), false)
			if err != nil {
				t.Fatal(err)
			}
			_, err = checkSigningCertificate([]certRef{ref}, cert)
			switch {
			case c.ok && err != nil:
				t.Errorf("rejected: %v", err)
			case !c.ok && !errors.Is(err, ErrCertificateMismatch):
				t.Errorf("got %v, want ErrCertificateMismatch", err)
			}
		})
	}
	// A serial that is not a decimal integer is a structural error.
	if _, err := parseCertRef(certElement(sum[:], rfc4514, "0x1234567890"), false); !errors.Is(err, ErrStructure) {
		t.Errorf("hex serial: got %v, want ErrStructure", err)
	}
}

// certElement builds a xades:Cert with a SHA-256 CertDigest and an
// IssuerSerial of issuer and serial.
func certElement(digest []byte, issuer, serial string) *etree.Element {
	d := etree.NewDocument()
	el := d.CreateElement("xades:Cert")
	el.CreateAttr("xmlns:xades", NamespaceXAdES)
	el.CreateAttr("xmlns:ds", NamespaceDSig)
	cd := el.CreateElement("xades:CertDigest")
	cd.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", AlgSHA256)
	cd.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(digest))
	is := el.CreateElement("xades:IssuerSerial")
	is.CreateElement("ds:X509IssuerName").SetText(issuer)
	is.CreateElement("ds:X509SerialNumber").SetText(serial)
	return el
}
