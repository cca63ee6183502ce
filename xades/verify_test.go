package xades

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

func TestVerifyRoundTrip(t *testing.T) {
	docs := sampleDocs(t)
	for _, kind := range []string{"RSA", "ECDSA"} {
		s := rsaTestSigner(t)
		want := AlgRSASHA256
		if kind == "ECDSA" {
			s, want = ecTestSigner(t), AlgECDSASHA256
		}
		for name, doc := range docs {
			for _, c14n := range []string{AlgExcC14N, AlgC14N10, AlgC14N11} {
				t.Run(kind+"/"+name+"/"+c14n, func(t *testing.T) {
					signed, err := Sign(doc, s.cert, s.key, &SignOptions{SigningTime: testNow, Canonicalization: c14n})
					if err != nil {
						t.Fatal(err)
					}
					v, err := Verify(signed, &VerifyOptions{Now: testNow})
					if err != nil {
						t.Fatalf("Verify: %v\n%s", err, signed)
					}
					if !v.Certificate.Equal(s.cert) {
						t.Error("Verify returned another certificate")
					}
					if !v.SigningTime.Equal(testNow) || v.SigningTime.Location() != time.UTC {
						t.Errorf("SigningTime = %v, want %v", v.SigningTime, testNow)
					}
					if v.SignatureMethod != want {
						t.Errorf("SignatureMethod = %q, want %q", v.SignatureMethod, want)
					}
					orig, err := parseDocument(doc)
					if err != nil {
						t.Fatal(err)
					}
					want, err := canonicalize(orig.Root(), AlgExcC14N, "", false)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(v.SignedXML, want) {
						t.Errorf("SignedXML =\n%s\nwant the unsigned document\n%s", v.SignedXML, want)
					}
					if v.Enveloping || v.Warnings != nil {
						t.Errorf("Enveloping = %v, Warnings = %v", v.Enveloping, v.Warnings)
					}
				})
			}
		}
	}
}

// resign recomputes every digest and the SignatureValue of the first ds:Signature in doc with
// the algorithms the signature declares (SHA-1 included, so that tests can build signatures
// that are correct but use refused algorithms). It returns the serialised document.
func resign(t testing.TB, doc *etree.Document, key crypto.Signer) []byte {
	t.Helper()
	root := doc.Root()
	sig := findAll(root, NamespaceDSig, "Signature", nil)[0]
	si := sig.SelectElement("SignedInfo")
	hashOf := func(alg string) crypto.Hash {
		switch {
		case strings.Contains(alg, "sha3-256"):
			return crypto.SHA3_256
		case strings.Contains(alg, "sha3-384"):
			return crypto.SHA3_384
		case strings.Contains(alg, "sha3-512"):
			return crypto.SHA3_512
		case strings.Contains(alg, "sha384-rsa-MGF1"):
			return crypto.SHA384
		case strings.HasSuffix(alg, "sha224"):
			return crypto.SHA224
		case strings.HasSuffix(alg, "sha1"):
			return crypto.SHA1
		case strings.HasSuffix(alg, "sha384"):
			return crypto.SHA384
		case strings.HasSuffix(alg, "sha512"):
			return crypto.SHA512
		}
		return crypto.SHA256
	}
	for _, ref := range si.SelectElements("Reference") {
		uri := ref.SelectAttrValue("URI", "")
		alg, prefixes := AlgC14N10, ""
		if trs := ref.SelectElement("Transforms"); trs != nil {
			for _, tr := range trs.SelectElements("Transform") {
				if a := tr.SelectAttrValue("Algorithm", ""); isC14N(a) {
					alg, prefixes = a, inclusivePrefixes(tr)
				}
			}
		}
		var data []byte
		var err error
		if uri == "" {
			cp := root.Copy()
			removeAtPath(cp, pathTo(root, sig))
			data, err = canonicalizeDocument(doc, cp, alg, prefixes)
		} else {
			target := findByID(root, uri[1:])
			if target == nil {
				t.Fatalf("resign: %s not found", uri)
			}
			data, err = canonicalize(target, alg, prefixes, false)
		}
		if err != nil {
			t.Fatal(err)
		}
		h := hashOf(ref.SelectElement("DigestMethod").SelectAttrValue("Algorithm", "")).New()
		h.Write(data)
		ref.SelectElement("DigestValue").SetText(base64.StdEncoding.EncodeToString(h.Sum(nil)))
	}
	method := si.SelectElement("SignatureMethod").SelectAttrValue("Algorithm", "")
	c14n, err := canonicalize(si, si.SelectElement("CanonicalizationMethod").SelectAttrValue("Algorithm", ""), "", true)
	if err != nil {
		t.Fatal(err)
	}
	hash := hashOf(method)
	h := hash.New()
	h.Write(c14n)
	var opts crypto.SignerOpts = hash
	if strings.HasSuffix(method, "-rsa-MGF1") {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: hash}
	}
	raw, err := key.Sign(rand.Reader, h.Sum(nil), opts)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := key.Public().(*ecdsa.PublicKey); ok {
		if raw, err = ecdsaDERToRaw(raw, (k.Curve.Params().BitSize+7)/8); err != nil {
			t.Fatal(err)
		}
	}
	sig.SelectElement("SignatureValue").SetText(base64.StdEncoding.EncodeToString(raw))
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func pathTo(root, el *etree.Element) []int {
	var p []int
	for ; el != root; el = el.Parent() {
		p = append([]int{el.Index()}, p...)
	}
	return p
}

func removeAtPath(root *etree.Element, p []int) {
	el := root
	for _, i := range p[:len(p)-1] {
		el = el.Child[i].(*etree.Element)
	}
	el.RemoveChildAt(p[len(p)-1])
}

func findByID(el *etree.Element, id string) *etree.Element {
	if hasID(el, id) {
		return el
	}
	for _, ch := range el.ChildElements() {
		if f := findByID(ch, id); f != nil {
			return f
		}
	}
	return nil
}

// setSigner replaces the KeyInfo certificate and the SigningCertificate entry with cert.
func setSigner(t testing.TB, doc *etree.Document, cert *x509.Certificate) {
	t.Helper()
	root := doc.Root()
	root.FindElement(".//X509Certificate").SetText(base64.StdEncoding.EncodeToString(cert.Raw))
	sum := sha256.Sum256(cert.Raw)
	root.FindElement(".//CertDigest/DigestValue").SetText(base64.StdEncoding.EncodeToString(sum[:]))
	name, err := FormatName(cert.RawIssuer)
	if err != nil {
		t.Fatal(err)
	}
	root.FindElement(".//X509IssuerName").SetText(name)
	root.FindElement(".//X509SerialNumber").SetText(cert.SerialNumber.String())
}

func mustParse(t testing.TB, b []byte) *etree.Document {
	t.Helper()
	d, err := parseDocument(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func setAlg(t testing.TB, doc *etree.Document, path, alg string) {
	t.Helper()
	el := doc.Root().FindElement(path)
	if el == nil {
		t.Fatalf("%s not found", path)
	}
	el.CreateAttr("Algorithm", alg)
}

func TestVerifyRejects(t *testing.T) {
	rsaS, ecS := rsaTestSigner(t), ecTestSigner(t)
	doc := []byte(`<?xml version="1.0" encoding="utf-8"?>
<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.0">
  <Challenge>20250604-CR-461EA5B000-537A6BA15D-D7</Challenge>
  <ContextIdentifier><Nip>5265877635</Nip></ContextIdentifier>
  <SubjectIdentifierType>certificateSubject</SubjectIdentifierType>
</AuthTokenRequest>`)
	signedRSA, err := Sign(doc, rsaS.cert, rsaS.key, &SignOptions{SigningTime: testNow})
	if err != nil {
		t.Fatal(err)
	}
	signedEC, err := Sign(doc, ecS.cert, ecS.key, &SignOptions{SigningTime: testNow})
	if err != nil {
		t.Fatal(err)
	}
	nb, na := validity()
	otherKey := mustECKey(t)
	otherCert := newTestCert(t, otherKey, 555, nb, na)
	smallKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallCert := newTestCert(t, smallKey, 556, nb, na)
	p224Key, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p224Cert := newTestCert(t, p224Key, 557, nb, na)

	// mutate returns a test case input: the parsed signed document changed by f and, when
	// key is non-nil, signed again with key so that only the intended check can fail.
	mutate := func(base []byte, key crypto.Signer, f func(d *etree.Document)) []byte {
		d := mustParse(t, base)
		f(d)
		if key == nil {
			out, err := d.WriteToBytes()
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		return resign(t, d, key)
	}
	replace := func(base []byte, old, new string) []byte {
		if !bytes.Contains(base, []byte(old)) {
			t.Fatalf("%q not found", old)
		}
		return bytes.Replace(base, []byte(old), []byte(new), 1)
	}
	find := func(d *etree.Document, path string) *etree.Element {
		el := d.Root().FindElement(path)
		if el == nil {
			t.Fatalf("%s not found", path)
		}
		return el
	}

	cases := []struct {
		name  string
		input []byte
		now   time.Time
		want  error
	}{
		// Changed content.
		{"document changed", replace(signedRSA, "5265877635", "5265877636"), testNow, ErrDigestMismatch},
		{"document element added", replace(signedEC, "<SubjectIdentifierType>", "<Extra/><SubjectIdentifierType>"), testNow, ErrDigestMismatch},
		{"attribute added to root", replace(signedEC, `<AuthTokenRequest `, `<AuthTokenRequest a="b" `), testNow, ErrDigestMismatch},
		{"SigningTime edited", replace(signedRSA, "2026-03-01T12:00:00Z", "2026-03-01T12:00:01Z"), testNow, ErrDigestMismatch},
		{"SignedInfo edited", replace(signedRSA, `Id="Reference-Document"`, `Id="Reference-Doc"`), testNow, ErrBadSignature},
		{"SignatureValue RSA changed", mutate(signedRSA, nil, func(d *etree.Document) {
			sv := find(d, ".//SignatureValue")
			b := mustB64(t, sv.Text())
			b[10] ^= 1
			sv.SetText(base64.StdEncoding.EncodeToString(b))
		}), testNow, ErrBadSignature},
		{"SignatureValue ECDSA changed", mutate(signedEC, nil, func(d *etree.Document) {
			sv := find(d, ".//SignatureValue")
			b := mustB64(t, sv.Text())
			b[40] ^= 1
			sv.SetText(base64.StdEncoding.EncodeToString(b))
		}), testNow, ErrBadSignature},

		// Certificate binding.
		{"KeyInfo certificate replaced", mutate(signedEC, otherKey, func(d *etree.Document) {
			find(d, ".//X509Certificate").SetText(base64.StdEncoding.EncodeToString(otherCert.Raw))
		}), testNow, ErrCertificateMismatch},
		{"IssuerSerial serial changed", mutate(signedEC, ecS.key, func(d *etree.Document) {
			find(d, ".//X509SerialNumber").SetText("987654322")
		}), testNow, ErrCertificateMismatch},
		{"IssuerSerial name changed", mutate(signedEC, ecS.key, func(d *etree.Document) {
			el := find(d, ".//X509IssuerName")
			el.SetText(strings.Replace(el.Text(), "CN=Firma Testowa", "CN=Firma Inna", 1))
		}), testNow, ErrCertificateMismatch},
		{"CertDigest changed", mutate(signedEC, ecS.key, func(d *etree.Document) {
			sum := sha256.Sum256(otherCert.Raw)
			find(d, ".//CertDigest/DigestValue").SetText(base64.StdEncoding.EncodeToString(sum[:]))
		}), testNow, ErrCertificateMismatch},

		// Signature wrapping and structure.
		{"SignedProperties duplicated outside", mutate(signedEC, ecS.key, func(d *etree.Document) {
			dup := find(d, ".//SignedProperties").Copy()
			dup.CreateAttr("xmlns:xades", NamespaceXAdES)
			dup.CreateAttr("xmlns:ds", NamespaceDSig)
			dup.FindElement(".//SigningTime").SetText("2026-02-01T00:00:00Z")
			d.Root().InsertChildAt(0, dup)
		}), testNow, ErrStructure},
		{"QualifyingProperties moved out of the signature", mutate(signedEC, ecS.key, func(d *etree.Document) {
			qp := find(d, ".//QualifyingProperties")
			obj := qp.Parent()
			obj.RemoveChild(qp)
			d.Root().InsertChildAt(0, qp)
			qp.CreateAttr("xmlns:ds", NamespaceDSig)
		}), testNow, ErrStructure},
		{"SignedProperties moved into another Object", mutate(signedEC, ecS.key, func(d *etree.Document) {
			sp := find(d, ".//SignedProperties")
			qp := sp.Parent()
			qp.RemoveChild(sp)
			obj := find(d, ".//Signature").CreateElement("ds:Object")
			obj.CreateAttr("xmlns:xades", NamespaceXAdES)
			obj.AddChild(sp)
		}), testNow, ErrStructure},
		{"other element with the same Id", mutate(signedEC, ecS.key, func(d *etree.Document) {
			note := etree.NewElement("Note")
			note.CreateAttr("Id", "SignedProperties")
			d.Root().InsertChildAt(0, note)
		}), testNow, ErrStructure},
		{"second signature", mutate(signedEC, ecS.key, func(d *etree.Document) {
			d.Root().InsertChildAt(0, find(d, ".//Signature").Copy())
		}), testNow, ErrStructure},
		{"signature not a child of the root", mutate(signedEC, ecS.key, func(d *etree.Document) {
			sig := find(d, ".//Signature")
			d.Root().RemoveChild(sig)
			find(d, ".//ContextIdentifier").AddChild(sig)
		}), testNow, ErrStructure},
		{"wrong QualifyingProperties Target", mutate(signedEC, ecS.key, func(d *etree.Document) {
			find(d, ".//QualifyingProperties").CreateAttr("Target", "#Other")
		}), testNow, ErrStructure},
		{"no signature", doc, testNow, ErrStructure},
		{"DOCTYPE", append([]byte(`<!DOCTYPE AuthTokenRequest>`), signedEC[bytes.Index(signedEC, []byte("<AuthTokenRequest")):]...), testNow, ErrStructure},

		// References.
		{"third reference", mutate(signedEC, ecS.key, func(d *etree.Document) {
			si := find(d, ".//SignedInfo")
			si.AddChild(find(d, ".//Reference").Copy())
		}), testNow, ErrStructure},
		{"SignedProperties reference missing", mutate(signedEC, ecS.key, func(d *etree.Document) {
			si := find(d, ".//SignedInfo")
			si.RemoveChild(si.SelectElements("Reference")[1])
		}), testNow, ErrStructure},
		{"two URI=\"\" references", mutate(signedEC, ecS.key, func(d *etree.Document) {
			si := find(d, ".//SignedInfo")
			refs := si.SelectElements("Reference")
			si.RemoveChild(refs[1])
			si.AddChild(refs[0].Copy())
		}), testNow, ErrStructure},
		{"SignedProperties reference without Type", mutate(signedEC, ecS.key, func(d *etree.Document) {
			find(d, ".//SignedInfo").SelectElements("Reference")[1].RemoveAttr("Type")
		}), testNow, ErrStructure},
		{"xpointer reference", mutate(signedEC, nil, func(d *etree.Document) {
			find(d, ".//SignedInfo").SelectElements("Reference")[1].CreateAttr("URI", "#xpointer(id('SignedProperties'))")
		}), testNow, ErrStructure},

		// Algorithms.
		{"rsa-sha1", mutate(signedRSA, rsaS.key, func(d *etree.Document) {
			setAlg(t, d, ".//SignatureMethod", "http://www.w3.org/2000/09/xmldsig#rsa-sha1")
		}), testNow, nil}, // accepted with a sig-001 warning
		{"sha1 document digest", mutate(signedRSA, rsaS.key, func(d *etree.Document) {
			setAlg(t, d, ".//Reference/DigestMethod", "http://www.w3.org/2000/09/xmldsig#sha1")
		}), testNow, nil}, // accepted with a sig-001 warning
		{"sha1 CertDigest", mutate(signedRSA, rsaS.key, func(d *etree.Document) {
			setAlg(t, d, ".//CertDigest/DigestMethod", "http://www.w3.org/2000/09/xmldsig#sha1")
			sum := sha1.Sum(rsaS.cert.Raw)
			find(d, ".//CertDigest/DigestValue").SetText(base64.StdEncoding.EncodeToString(sum[:]))
		}), testNow, nil}, // accepted with a sig-001 warning
		{"ecdsa method with RSA key", mutate(signedRSA, rsaS.key, func(d *etree.Document) {
			setAlg(t, d, ".//SignatureMethod", AlgECDSASHA256)
		}), testNow, ErrUnsupportedAlgorithm},
		{"rsa method with EC key", mutate(signedEC, ecS.key, func(d *etree.Document) {
			setAlg(t, d, ".//SignatureMethod", AlgRSASHA256)
		}), testNow, ErrUnsupportedAlgorithm},
		{"RSA 1024", mutate(signedRSA, smallKey, func(d *etree.Document) { setSigner(t, d, smallCert) }), testNow, ErrUnsupportedAlgorithm},
		{"EC P-224", mutate(signedEC, p224Key, func(d *etree.Document) { setSigner(t, d, p224Cert) }), testNow, ErrUnsupportedAlgorithm},
		{"unknown canonicalization", mutate(signedEC, nil, func(d *etree.Document) {
			setAlg(t, d, ".//CanonicalizationMethod", "http://example.com/c14n")
		}), testNow, ErrUnsupportedAlgorithm},
		{"XPath transform after the canonicalization", mutate(signedEC, ecS.key, func(d *etree.Document) {
			tr := find(d, ".//Reference/Transforms").CreateElement("ds:Transform")
			tr.CreateAttr("Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116")
			tr.CreateElement("ds:XPath").SetText("not(ancestor-or-self::ds:Signature)")
		}), testNow, ErrUnsupportedAlgorithm},
		{"base64 transform", mutate(signedEC, ecS.key, func(d *etree.Document) {
			tr := find(d, ".//SignedInfo").SelectElements("Reference")[1].SelectElement("Transforms").CreateElement("ds:Transform")
			tr.CreateAttr("Algorithm", "http://www.w3.org/2000/09/xmldsig#base64")
		}), testNow, ErrUnsupportedAlgorithm},
		{"missing enveloped transform", mutate(signedEC, ecS.key, func(d *etree.Document) {
			trs := find(d, ".//Reference/Transforms")
			trs.RemoveChildAt(0)
		}), testNow, ErrUnsupportedAlgorithm},
		{"two canonicalization transforms", mutate(signedEC, ecS.key, func(d *etree.Document) {
			find(d, ".//Reference/Transforms").CreateElement("ds:Transform").CreateAttr("Algorithm", AlgC14N10)
		}), testNow, ErrUnsupportedAlgorithm},

		{"XPath expression other than not(ancestor-or-self::ds:Signature)", mutate(signedEC, ecS.key, func(d *etree.Document) {
			tr := find(d, ".//Reference/Transforms/Transform")
			tr.CreateAttr("Algorithm", AlgXPath)
			tr.CreateElement("ds:XPath").SetText("not(ancestor-or-self::ds:Object)")
		}), testNow, ErrUnsupportedAlgorithm},
		{"XPath prefix bound to another namespace", mutate(signedEC, ecS.key, func(d *etree.Document) {
			tr := find(d, ".//Reference/Transforms/Transform")
			tr.CreateAttr("Algorithm", AlgXPath)
			x := tr.CreateElement("ds:XPath")
			x.CreateAttr("xmlns:dsx", "urn:other")
			x.SetText("not(ancestor-or-self::dsx:Signature)")
		}), testNow, ErrUnsupportedAlgorithm},
		{"XPath Filter 2.0 intersect", mutate(signedEC, ecS.key, func(d *etree.Document) {
			tr := find(d, ".//Reference/Transforms/Transform")
			tr.CreateAttr("Algorithm", AlgXPathFilter2)
			x := tr.CreateElement("xf:XPath")
			x.CreateAttr("xmlns:xf", AlgXPathFilter2)
			x.CreateAttr("Filter", "intersect")
			x.SetText("//ds:Signature")
		}), testNow, ErrUnsupportedAlgorithm},
		{"XPath Filter 2.0 subtract of something else", mutate(signedEC, ecS.key, func(d *etree.Document) {
			tr := find(d, ".//Reference/Transforms/Transform")
			tr.CreateAttr("Algorithm", AlgXPathFilter2)
			x := tr.CreateElement("xf:XPath")
			x.CreateAttr("xmlns:xf", AlgXPathFilter2)
			x.CreateAttr("Filter", "subtract")
			x.SetText("//ds:Object")
		}), testNow, ErrUnsupportedAlgorithm},
		{"base64 transform on the document", mutate(signedEC, ecS.key, func(d *etree.Document) {
			find(d, ".//Reference/Transforms").SelectElements("Transform")[1].CreateAttr("Algorithm", AlgBase64)
		}), testNow, ErrUnsupportedAlgorithm},
		{"RSA-PSS with a foreign MGF digest", mutate(signedRSA, nil, func(d *etree.Document) {
			sm := find(d, ".//SignatureMethod")
			sm.CreateAttr("Algorithm", AlgRSAPSS)
			p := sm.CreateElement("pss:RSAPSSParams")
			p.CreateAttr("xmlns:pss", "http://www.w3.org/2007/05/xmldsig-more#")
			p.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", AlgSHA256)
			p.CreateElement("pss:MaskGenerationFunction").CreateElement("ds:DigestMethod").CreateAttr("Algorithm", AlgSHA512)
		}), testNow, ErrUnsupportedAlgorithm},
		{"document over the size limit", append(bytes.Repeat([]byte(" "), DefaultMaxBytes), signedEC...), testNow, ErrTooLarge},

		// ECDSA value encoding.
		{"ECDSA value in DER", mutate(signedEC, nil, func(d *etree.Document) {
			si, err := canonicalize(find(d, ".//SignedInfo"), AlgExcC14N, "", true)
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.Sum256(si)
			der, err := ecS.key.Sign(rand.Reader, h[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			find(d, ".//SignatureValue").SetText(base64.StdEncoding.EncodeToString(der))
		}), testNow, ErrBadSignature},
		{"ECDSA value truncated", mutate(signedEC, nil, func(d *etree.Document) {
			sv := find(d, ".//SignatureValue")
			sv.SetText(base64.StdEncoding.EncodeToString(mustB64(t, sv.Text())[:63]))
		}), testNow, ErrBadSignature},

		// Validity.
		{"expired certificate", signedRSA, na.Add(time.Second), ErrCertificateValidity},
		{"certificate not yet valid", signedEC, nb.Add(-time.Second), ErrCertificateValidity},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := Verify(c.input, &VerifyOptions{Now: c.now})
			t.Log(err)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if len(v.Warnings) != 1 || v.Warnings[0].Code != WarningNonConforming || !strings.Contains(v.Warnings[0].Message, "SHA-1") {
					t.Fatalf("Warnings = %v, want one sig-001 about SHA-1", v.Warnings)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify: got %v, want %v\n%s", err, c.want, c.input)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "xades: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}

	// The resigning helper itself produces acceptable signatures: the cases above fail for
	// the intended reason only.
	for name, base := range map[string][]byte{"RSA": signedRSA, "ECDSA": signedEC} {
		key := rsaS.key
		if name == "ECDSA" {
			key = ecS.key
		}
		if _, err := Verify(mutate(base, key, func(*etree.Document) {}), &VerifyOptions{Now: testNow}); err != nil {
			t.Errorf("%s: resigned original rejected: %v", name, err)
		}
	}
	if _, err := Verify(mutate(signedEC, otherKey, func(d *etree.Document) { setSigner(t, d, otherCert) }), &VerifyOptions{Now: testNow}); err != nil {
		t.Errorf("resigned with another complete signer rejected: %v", err)
	}
}

func TestVerifyRoots(t *testing.T) {
	s := ecTestSigner(t)
	signed, err := Sign([]byte(`<a>x</a>`), s.cert, s.key, &SignOptions{SigningTime: testNow})
	if err != nil {
		t.Fatal(err)
	}
	good := x509.NewCertPool()
	good.AddCert(s.cert)
	if _, err := Verify(signed, &VerifyOptions{Now: testNow, Roots: good}); err != nil {
		t.Errorf("Verify with the signer as root: %v", err)
	}
	other := x509.NewCertPool()
	other.AddCert(rsaTestSigner(t).cert)
	if _, err := Verify(signed, &VerifyOptions{Now: testNow, Roots: other}); !errors.Is(err, ErrCertificateValidity) {
		t.Errorf("Verify with unrelated roots: got %v, want ErrCertificateValidity", err)
	}
}

func TestVerifyNilOptionsUsesCurrentTime(t *testing.T) {
	k := mustECKey(t)
	now := time.Now()
	cert := newTestCert(t, k, 99, now.Add(-time.Hour), now.Add(time.Hour))
	signed, err := Sign([]byte(`<a/>`), cert, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(signed, nil); err != nil {
		t.Fatalf("Verify(nil opts): %v", err)
	}
	// The shared test certificates expire a year after testNow; at the real current time they
	// may or may not be valid, so only the explicit-time behaviour is asserted for them.
}

// TestVerifySigningCertificateV2 covers the XAdES baseline form (EN 319 132):
// SigningCertificateV2 with IssuerSerialV2 holding a DER IssuerSerial.
func TestVerifySigningCertificateV2(t *testing.T) {
	s := ecTestSigner(t)
	signed, err := Sign([]byte(`<a>x</a>`), s.cert, s.key, &SignOptions{SigningTime: testNow})
	if err != nil {
		t.Fatal(err)
	}
	toV2 := func(serial *big.Int) []byte {
		d := mustParse(t, signed)
		sc := d.Root().FindElement(".//SigningCertificate")
		sc.Tag = "SigningCertificateV2"
		c := sc.SelectElement("Cert")
		c.RemoveChild(c.SelectElement("IssuerSerial"))
		gn := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: s.cert.RawIssuer}
		der, err := asn1.Marshal(struct {
			Issuer []asn1.RawValue
			Serial *big.Int
		}{[]asn1.RawValue{gn}, serial})
		if err != nil {
			t.Fatal(err)
		}
		c.CreateElement("xades:IssuerSerialV2").SetText(base64.StdEncoding.EncodeToString(der))
		return resign(t, d, s.key)
	}
	if _, err := Verify(toV2(s.cert.SerialNumber), &VerifyOptions{Now: testNow}); err != nil {
		t.Errorf("SigningCertificateV2 rejected: %v", err)
	}
	wrong := new(big.Int).Add(s.cert.SerialNumber, big.NewInt(1))
	if _, err := Verify(toV2(wrong), &VerifyOptions{Now: testNow}); !errors.Is(err, ErrCertificateMismatch) {
		t.Errorf("IssuerSerialV2 with another serial: got %v, want ErrCertificateMismatch", err)
	}
}
