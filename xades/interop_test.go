package xades

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"
	"github.com/ksef2/ksef/internal/testenv"
)

// xmlsec1Sign signs template (a document with a complete ds:Signature whose DigestValue and
// SignatureValue are empty) with xmlsec1 and returns the result.
func xmlsec1Sign(t *testing.T, xmlsec string, s testSigner, template []byte) []byte {
	t.Helper()
	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(s.key)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "key.pem")
	tmplPath := filepath.Join(dir, "template.xml")
	outPath := filepath.Join(dir, "out.xml")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmplPath, template, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(xmlsec, "--sign",
		"--enabled-reference-uris", "empty,same-doc",
		"--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
		"--privkey-pem", keyPath,
		"--output", outPath, tmplPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 --sign: %v\n%s\n%s", err, out, template)
	}
	out, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestVerifyXmlsec1Signed checks that Verify accepts signatures made by another implementation
// (xmlsec1) with the canonicalisation choices of other KSeF clients: C14N 1.0 SignedInfo as in
// the official C# client, C14N 1.1, implied canonicalisation, and an indented signature.
func TestVerifyXmlsec1Signed(t *testing.T) {
	testenv.SkipShort(t, "xmlsec1-signed documents")
	xmlsec := testenv.RequireTool(t, "xmlsec1")
	type variant struct {
		signedInfo string
		docC14N    string // "" = no canonicalisation transform after enveloped-signature
		propsC14N  string // "" = no Transforms element
		indent     bool
	}
	variants := map[string]variant{
		"csharp":   {AlgC14N10, AlgExcC14N, AlgExcC14N, false},
		"c14n11":   {AlgC14N11, AlgC14N11, AlgC14N10, false},
		"implied":  {AlgExcC14N, "", "", false},
		"indented": {AlgC14N10, AlgExcC14N, AlgExcC14N, true},
	}
	docs := sampleDocs(t)
	for _, kind := range []string{"RSA", "ECDSA"} {
		s := rsaTestSigner(t)
		if kind == "ECDSA" {
			s = ecTestSigner(t)
		}
		for vname, v := range variants {
			for _, dname := range []string{"AuthTokenRequest-context-identifier-nip.xml", "prefixed.xml"} {
				t.Run(kind+"/"+vname+"/"+dname, func(t *testing.T) {
					ours, err := Sign(docs[dname], s.cert, s.key, &SignOptions{SigningTime: testNow})
					if err != nil {
						t.Fatal(err)
					}
					d := mustParse(t, ours)
					sig := findAll(d.Root(), NamespaceDSig, "Signature", nil)[0]
					si := sig.SelectElement("SignedInfo")
					si.SelectElement("CanonicalizationMethod").CreateAttr("Algorithm", v.signedInfo)
					refs := si.SelectElements("Reference")
					docTrs := refs[0].SelectElement("Transforms")
					if v.docC14N == "" {
						docTrs.RemoveChild(docTrs.SelectElements("Transform")[1])
					} else {
						docTrs.SelectElements("Transform")[1].CreateAttr("Algorithm", v.docC14N)
					}
					if v.propsC14N == "" {
						refs[1].RemoveChild(refs[1].SelectElement("Transforms"))
					} else {
						refs[1].SelectElement("Transforms").SelectElement("Transform").CreateAttr("Algorithm", v.propsC14N)
					}
					for _, dv := range si.FindElements(".//DigestValue") {
						dv.SetText("")
					}
					sig.SelectElement("SignatureValue").SetText("")
					if v.indent {
						sig.IndentWithSettings(&etree.IndentSettings{Spaces: 2})
					}
					tmpl, err := d.WriteToBytes()
					if err != nil {
						t.Fatal(err)
					}
					signed := xmlsec1Sign(t, xmlsec, s, tmpl)

					got, err := Verify(signed, &VerifyOptions{Now: testNow})
					if err != nil {
						t.Fatalf("Verify rejected an xmlsec1 signature: %v\n%s", err, signed)
					}
					if !got.Certificate.Equal(s.cert) || !got.SigningTime.Equal(testNow) {
						t.Errorf("Verify returned %v / %v", got.Certificate.Subject, got.SigningTime)
					}
					tampered := tamperDocument(t, signed)
					if _, err := Verify(tampered, &VerifyOptions{Now: testNow}); !errors.Is(err, ErrDigestMismatch) {
						t.Errorf("tampered xmlsec1 signature: got %v, want ErrDigestMismatch", err)
					}
					edited := bytes.Replace(signed, []byte("2026-03-01T12:00:00Z"), []byte("2026-03-01T12:00:01Z"), 1)
					if _, err := Verify(edited, &VerifyOptions{Now: testNow}); !errors.Is(err, ErrDigestMismatch) {
						t.Errorf("edited SigningTime: got %v, want ErrDigestMismatch", err)
					}
				})
			}
		}
	}
}
