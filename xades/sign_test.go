package xades

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/testenv"
)

// xmlsec1Verify runs xmlsec1 --verify on signed with the certificate of s and returns its
// combined output and whether it accepted the signature.
func xmlsec1Verify(t *testing.T, xmlsec string, s testSigner, signed []byte) (string, bool) {
	t.Helper()
	dir := t.TempDir()
	certPath := filepath.Join(dir, "cert.pem")
	docPath := filepath.Join(dir, "signed.xml")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(docPath, signed, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(xmlsec, "--verify",
		"--enabled-reference-uris", "empty,same-doc",
		"--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
		"--pubkey-cert-pem", certPath,
		"--store-references", "--print-debug",
		docPath)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

var refOK = regexp.MustCompile(`= REFERENCE VERIFICATION CONTEXT\s+== Status: succeeded\s+(?:== Id: "[^"]*"\s+)?== URI: "([^"]*)"`)

func TestSignXmlsec1(t *testing.T) {
	testenv.SkipShort(t, "xmlsec1 verification of our signatures")
	xmlsec := testenv.RequireTool(t, "xmlsec1")
	docs := sampleDocs(t)
	for _, kind := range []string{"RSA", "ECDSA"} {
		s := rsaTestSigner(t)
		if kind == "ECDSA" {
			s = ecTestSigner(t)
		}
		for name, doc := range docs {
			for _, c14n := range []string{AlgExcC14N, AlgC14N10, AlgC14N11} {
				t.Run(kind+"/"+name+"/"+c14n[strings.LastIndex(c14n, "/")+1:], func(t *testing.T) {
					signed, err := Sign(doc, s.cert, s.key, &SignOptions{SigningTime: testNow, Canonicalization: c14n})
					if err != nil {
						t.Fatal(err)
					}
					out, ok := xmlsec1Verify(t, xmlsec, s, signed)
					if !ok {
						t.Fatalf("xmlsec1 rejected the signature:\n%s\n%s", out, signed)
					}
					var uris []string
					for _, m := range refOK.FindAllStringSubmatch(out, -1) {
						uris = append(uris, m[1])
					}
					if strings.Join(uris, " ") != " #SignedProperties" {
						t.Fatalf("xmlsec1 verified references %q, want \"\" and \"#SignedProperties\":\n%s", uris, out)
					}

					// Negative direction: a tampered copy is rejected (once per document
					// and key type; the canonicalisation choice does not matter here).
					if c14n != AlgExcC14N {
						return
					}
					tampered := tamperDocument(t, signed)
					if out, ok := xmlsec1Verify(t, xmlsec, s, tampered); ok {
						t.Fatalf("xmlsec1 accepted a tampered document:\n%s", out)
					}
					tamperedSP := bytes.Replace(signed, []byte(testNow.Format("2006-01-02")), []byte("2026-03-02"), 1)
					if bytes.Equal(tamperedSP, signed) {
						t.Fatal("SigningTime not found")
					}
					if out, ok := xmlsec1Verify(t, xmlsec, s, tamperedSP); ok {
						t.Fatalf("xmlsec1 accepted changed SignedProperties:\n%s", out)
					}
				})
			}
		}
	}
}

// tamperDocument changes one character of signed content before the signature element.
func tamperDocument(t testing.TB, signed []byte) []byte {
	t.Helper()
	end := bytes.Index(signed, []byte("<ds:Signature"))
	if end < 0 {
		t.Fatal("no ds:Signature")
	}
	for _, pair := range [][2]string{
		{"5265877635", "5265877636"},
		{"Zażółć", "Zazółć"},
		{"<Challenge>2", "<Challenge>3"},
	} {
		if i := bytes.Index(signed[:end], []byte(pair[0])); i >= 0 {
			out := append([]byte{}, signed[:i]...)
			out = append(out, pair[1]...)
			return append(out, signed[i+len(pair[0]):]...)
		}
	}
	t.Fatal("nothing to tamper with")
	return nil
}

func TestSignRejectsKeys(t *testing.T) {
	doc := []byte(`<a>x</a>`)
	rsaS := rsaTestSigner(t)
	ecS := ecTestSigner(t)

	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	nb, na := validity()
	cases := []struct {
		name string
		cert *x509.Certificate
		key  crypto.Signer
		want error
	}{
		{"ed25519", rsaS.cert, edKey, ErrUnsupportedAlgorithm},
		{"rsa1024", rsaS.cert, small, ErrUnsupportedAlgorithm},
		{"p224", rsaS.cert, p224, ErrUnsupportedAlgorithm},
		{"rsa key, ec cert", ecS.cert, rsaS.key, ErrCertificateMismatch},
		{"other ec key", newTestCert(t, mustECKey(t), 7, nb, na), ecS.key, ErrCertificateMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Sign(doc, c.cert, c.key, nil)
			if !errors.Is(err, c.want) {
				t.Fatalf("Sign: got %v, want %v", err, c.want)
			}
		})
	}
}

func mustECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignRejectsDocuments(t *testing.T) {
	s := ecTestSigner(t)
	for name, doc := range map[string]string{
		"empty":          ``,
		"not xml":        `hello`,
		"unclosed":       `<a><b></a>`,
		"doctype":        `<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`,
		"two roots":      `<a/><b/>`,
		"latin2":         `<?xml version="1.0" encoding="ISO-8859-2"?><a/>`,
		"id collision":   `<a><b Id="SignedProperties"/></a>`,
		"already signed": `<a><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/></a>`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Sign([]byte(doc), s.cert, s.key, nil); !errors.Is(err, ErrStructure) {
				t.Fatalf("Sign: got %v, want ErrStructure", err)
			}
		})
	}
}

func TestSignShape(t *testing.T) {
	s := ecTestSigner(t)
	for name, doc := range map[string]string{
		"self-closing root": `<r:root xmlns:r="urn:r"/>`,
		"bom":               "\uFEFF<root>x</root>\n<!-- after -->\n",
	} {
		t.Run(name, func(t *testing.T) {
			signed, err := Sign([]byte(doc), s.cert, s.key, &SignOptions{SigningTime: testNow})
			if err != nil {
				t.Fatal(err)
			}
			if bytes.HasPrefix(signed, utf8BOM) {
				t.Error("output keeps the byte order mark")
			}
			parsed, err := parseDocument(signed)
			if err != nil {
				t.Fatal(err)
			}
			last := parsed.Root().ChildElements()
			if len(last) == 0 || last[len(last)-1].Tag != "Signature" || last[len(last)-1].NamespaceURI() != NamespaceDSig {
				t.Fatalf("ds:Signature is not the last child of the root:\n%s", signed)
			}
			if v := last[len(last)-1].FindElement(".//SignatureValue").Text(); len(mustB64(t, v)) != 64 {
				t.Errorf("ECDSA P-256 SignatureValue has %d bytes, want 64", len(mustB64(t, v)))
			}
			if got := parsed.Root().FindElement(".//SigningTime").Text(); got != "2026-03-01T12:00:00Z" {
				t.Errorf("SigningTime = %q", got)
			}
		})
	}
}

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignDefaultSigningTime(t *testing.T) {
	s := rsaTestSigner(t)
	before := time.Now().Add(-time.Minute - time.Second)
	signed, err := Sign([]byte(`<a/>`), s.cert, s.key, nil)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := parseDocument(signed)
	if err != nil {
		t.Fatal(err)
	}
	st, err := time.Parse(time.RFC3339, parsed.Root().FindElement(".//SigningTime").Text())
	if err != nil {
		t.Fatal(err)
	}
	if st.Before(before) || st.After(time.Now().Add(-time.Minute+time.Second)) {
		t.Errorf("default SigningTime %v is not about one minute ago", st)
	}
}
