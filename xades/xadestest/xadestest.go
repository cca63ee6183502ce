// Package xadestest produces signed KSeF AuthTokenRequest documents with xmlsec1, an XML-DSig
// implementation independent of package xades, in each signature form KSeF accepts. Tests of
// verifiers (package xades, the simulator) use it to check signatures they did not make.
//
// The templates live in xades/testdata/xmlsec; keys and certificates are supplied by the
// caller (generated at test time), so no private key is stored in the repository. xmlsec1
// 1.2 cannot sign with RSASSA-PSS: for the PSS forms xmlsec1 computes the digests of a
// rsa-sha256 signature, the SignatureMethod is then switched to the PSS algorithm, SignedInfo
// is canonicalised by xmllint and signed by openssl. A missing xmlsec1, xmllint or openssl
// skips the test, or fails it under CI (see internal/testenv).
package xadestest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/ksef2/ksef/internal/testenv"
)

// Algorithm identifiers used by the forms.
const (
	c14n10         = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	c14n10Comments = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
	c14n11         = "http://www.w3.org/2006/12/xml-c14n11"
	c14n11Comments = "http://www.w3.org/2006/12/xml-c14n11#WithComments"
	excC14N        = "http://www.w3.org/2001/10/xml-exc-c14n#"
	excC14NComment = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"

	rsaSHA1     = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	rsaSHA256   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	rsaSHA512   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	pssSHA256   = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
	pssParams   = "http://www.w3.org/2007/05/xmldsig-more#rsa-pss"
	ecdsaSHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	ecdsaSHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
	ecdsaSHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"

	sha1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	sha256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	sha384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	sha512 = "http://www.w3.org/2001/04/xmlenc#sha512"

	enveloped = `<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>`
)

// KeyKind is the key a form is signed with.
type KeyKind string

// Key kinds.
const (
	RSA2048 KeyKind = "RSA2048"
	P256    KeyKind = "P256"
	P384    KeyKind = "P384"
	P521    KeyKind = "P521"
)

// NewKey generates a key of the given kind (at test time, so that no private key is stored in
// the repository); it fails t when the kind is unknown.
func NewKey(t testing.TB, kind KeyKind) crypto.Signer {
	t.Helper()
	var key crypto.Signer
	var err error
	switch kind {
	case RSA2048:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case P256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case P384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case P521:
		key, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	}
	if err != nil || key == nil {
		t.Fatalf("key %s: %v", kind, err)
	}
	return key
}

// Form is one signature form.
type Form struct {
	// Name is a short identifier for test names.
	Name string
	// Covers says which of the forms KSeF allows the case covers.
	Covers string
	// Key is the key type the form needs.
	Key KeyKind
	// Enveloping selects the enveloping template (the document inside ds:Object).
	Enveloping bool
	// Base64 puts the document base64-encoded into the enveloping ds:Object.
	Base64 bool
	// C14N is the CanonicalizationMethod of SignedInfo.
	C14N string
	// SignatureMethod is written to SignedInfo; PSS forms are finished by openssl.
	SignatureMethod string
	// PSSParams is the content of SignatureMethod for the rsa-pss form.
	PSSParams string
	// DigestMethod is used by both references and by CertDigest.
	DigestMethod string
	// DocTransforms are the ds:Transform elements of the document reference.
	DocTransforms string
	// PropsC14N is the transform of the SignedProperties reference.
	PropsC14N string
	// SignedInfoComment puts a comment inside SignedInfo (signed by the #WithComments
	// canonicalisations).
	SignedInfoComment bool
	// RootAttrs are extra attributes of the AuthTokenRequest element (for example xml:base).
	RootAttrs string
	// SHA1 marks a form KSeF accepts with a sig-001 warning.
	SHA1 bool
	// NotAuthTokenRequest marks a form that is not a plain enveloped or enveloping
	// AuthTokenRequest: xml:base on the root, which the auth XSD refuses (xades tests
	// only), or base64 content, which the simulator decodes and logs in with.
	NotAuthTokenRequest bool
}

func c14nTransform(alg string) string {
	return `<ds:Transform Algorithm="` + alg + `"/>`
}

// Forms returns the signature forms, one per KSeF-allowed variant (ksef-facts.md §2.2).
func Forms() []Form {
	base := Form{Key: RSA2048, C14N: c14n10, SignatureMethod: rsaSHA256, DigestMethod: sha256,
		DocTransforms: enveloped + c14nTransform(excC14N), PropsC14N: excC14N}
	with := func(f func(*Form)) Form {
		c := base
		f(&c)
		return c
	}
	return []Form{
		with(func(f *Form) {
			f.Name, f.Covers = "enveloped-csharp", "enveloped; enveloped-signature transform; C14N 1.0 SignedInfo; exclusive C14N; RSASSA-PKCS1-v1_5 SHA-256 (the official C# client's shape)"
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "enveloping", "enveloping (document in ds:Object); exclusive C14N"
			f.Enveloping, f.C14N, f.DocTransforms = true, excC14N, c14nTransform(excC14N)
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "enveloping-base64", "enveloping with the base64 transform (document base64-encoded in ds:Object)"
			f.Enveloping, f.Base64, f.DocTransforms, f.NotAuthTokenRequest = true, true, `<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#base64"/>`, true
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "xpath-filter2", "XPath Filter 2.0 subtract of /descendant::ds:Signature; ECDSA P-256"
			f.Key, f.SignatureMethod, f.C14N = P256, ecdsaSHA256, excC14N
			f.DocTransforms = `<ds:Transform Algorithm="http://www.w3.org/2002/06/xmldsig-filter2"><dsig-xpath:XPath xmlns:dsig-xpath="http://www.w3.org/2002/06/xmldsig-filter2" Filter="subtract">/descendant::ds:Signature</dsig-xpath:XPath></ds:Transform>` + c14nTransform(excC14N)
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "xpath-filter2-here", "XPath Filter 2.0 subtract of here()/ancestor::ds:Signature[1], implied C14N 1.0"
			f.DocTransforms = `<ds:Transform Algorithm="http://www.w3.org/2002/06/xmldsig-filter2"><dsig-xpath:XPath xmlns:dsig-xpath="http://www.w3.org/2002/06/xmldsig-filter2" Filter="subtract">here()/ancestor::ds:Signature[1]</dsig-xpath:XPath></ds:Transform>`
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "xpath", "XPath transform not(ancestor-or-self::ds:Signature), then C14N 1.0"
			f.DocTransforms = `<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>` + c14nTransform(c14n10)
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "c14n11", "C14N 1.1 (SignedInfo and both references)"
			f.C14N, f.PropsC14N, f.DocTransforms = c14n11, c14n11, enveloped+c14nTransform(c14n11)
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "c14n11-xml-base", "C14N 1.1 with xml:base fixup (absolute xml:base on the document element)"
			f.C14N, f.PropsC14N, f.DocTransforms = c14n11, c14n11, enveloped+c14nTransform(c14n11)
			f.RootAttrs, f.NotAuthTokenRequest = ` xml:base="http://example.com/a/b/"`, true
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "exc-c14n-with-comments", "exclusive C14N with comments (SignedInfo holds a comment)"
			f.C14N, f.PropsC14N, f.DocTransforms, f.SignedInfoComment = excC14NComment, excC14NComment, enveloped+c14nTransform(excC14NComment), true
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "c14n10-with-comments", "C14N 1.0 with comments (SignedInfo holds a comment)"
			f.C14N, f.PropsC14N, f.DocTransforms, f.SignedInfoComment = c14n10Comments, c14n10Comments, enveloped+c14nTransform(c14n10Comments), true
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "c14n11-with-comments", "C14N 1.1 with comments (SignedInfo holds a comment)"
			f.C14N, f.PropsC14N, f.DocTransforms, f.SignedInfoComment = c14n11Comments, c14n11Comments, enveloped+c14nTransform(c14n11Comments), true
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "rsa-pss-sha256", "RSASSA-PSS sha256-rsa-MGF1 (salt 32), signature value by openssl"
			f.C14N, f.SignatureMethod = excC14N, pssSHA256
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "rsa-pss-params-sha512", "RSASSA-PSS rsa-pss with RSAPSSParams (SHA-512, MGF1-SHA-512, salt 20), SHA-512 digests, by openssl"
			f.C14N, f.SignatureMethod, f.DigestMethod = excC14N, pssParams, sha512
			f.PSSParams = `<pss:RSAPSSParams xmlns:pss="http://www.w3.org/2007/05/xmldsig-more#"><ds:DigestMethod Algorithm="` + sha512 + `"/><pss:MaskGenerationFunction Algorithm="http://www.w3.org/2007/05/xmldsig-more#MGF1"><ds:DigestMethod Algorithm="` + sha512 + `"/></pss:MaskGenerationFunction><pss:SaltLength>20</pss:SaltLength><pss:TrailerField>1</pss:TrailerField></pss:RSAPSSParams>`
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "ecdsa-p384-sha384", "ECDSA P-384 with SHA-384, SHA-384 digests"
			f.Key, f.SignatureMethod, f.DigestMethod = P384, ecdsaSHA384, sha384
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "ecdsa-p521-sha512", "ECDSA P-521 with SHA-512, SHA-512 digests"
			f.Key, f.SignatureMethod, f.DigestMethod = P521, ecdsaSHA512, sha512
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "rsa-sha512", "RSASSA-PKCS1-v1_5 SHA-512, SHA-512 digests"
			f.SignatureMethod, f.DigestMethod = rsaSHA512, sha512
		}),
		with(func(f *Form) {
			f.Name, f.Covers = "rsa-sha1", "RSASSA-PKCS1-v1_5 SHA-1 with SHA-1 digests (accepted with warning sig-001)"
			f.SignatureMethod, f.DigestMethod, f.SHA1 = rsaSHA1, sha1, true
		}),
	}
}

// Request is the content of the AuthTokenRequest to sign.
type Request struct {
	// Namespace is the AuthTokenRequest namespace; empty means the 2.0 schema's.
	Namespace string
	// Challenge is the challenge from POST /auth/challenge.
	Challenge string
	// ContextType is Nip, InternalId, NipVatUe or PeppolId.
	ContextType string
	// ContextValue is the context identifier.
	ContextValue string
	// SubjectType is certificateSubject or certificateFingerprint.
	SubjectType string
}

// Sign fills the form's template with req and the certificate, and signs it with xmlsec1
// (and openssl for the PSS forms) using key, which must match cert.
func Sign(t testing.TB, f Form, req Request, cert *x509.Certificate, key crypto.Signer, signingTime time.Time) []byte {
	t.Helper()
	xmlsec := testenv.RequireTool(t, "xmlsec1")
	openssl := testenv.RequireTool(t, "openssl")
	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "key.pem")
	certPath := filepath.Join(dir, "cert.pem")
	write(t, keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	write(t, certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))

	// Issuer name and serial number as openssl prints them (RFC 2253 form, hex serial).
	issuerOut := run(t, exec.Command(openssl, "x509", "-noout", "-issuer", "-nameopt", "RFC2253", "-in", certPath))
	issuer := strings.TrimPrefix(strings.TrimSpace(string(issuerOut)), "issuer=")
	serialHex := run(t, exec.Command(openssl, "x509", "-noout", "-serial", "-in", certPath))
	serial, ok := new(big.Int).SetString(strings.TrimPrefix(strings.TrimSpace(string(serialHex)), "serial="), 16)
	if !ok {
		t.Fatalf("openssl serial %q", serialHex)
	}
	dgst := map[string]string{sha1: "-sha1", sha256: "-sha256", sha384: "-sha384", sha512: "-sha512"}[f.DigestMethod]
	derPath := filepath.Join(dir, "cert.der")
	write(t, derPath, cert.Raw)
	certDigest := run(t, exec.Command(openssl, "dgst", dgst, "-binary", derPath))

	ns := req.Namespace
	if ns == "" {
		ns = "http://ksef.mf.gov.pl/auth/token/2.0"
	}
	method := f.SignatureMethod
	if isPSS(f) {
		method = rsaSHA256 // replaced after xmlsec1 computed the digests
	}
	data := map[string]any{
		"Namespace": ns, "Challenge": esc(req.Challenge), "ContextType": req.ContextType,
		"ContextValue": esc(req.ContextValue), "SubjectType": req.SubjectType, "RootAttrs": f.RootAttrs,
		"C14N": f.C14N, "SignatureMethod": method, "DigestMethod": f.DigestMethod,
		"DocTransforms": f.DocTransforms, "PropsC14N": f.PropsC14N,
		"Certificate": base64.StdEncoding.EncodeToString(cert.Raw),
		"CertDigest":  base64.StdEncoding.EncodeToString(certDigest),
		"IssuerName":  esc(issuer), "SerialNumber": serial.String(),
		"SigningTime":       signingTime.UTC().Format(time.RFC3339),
		"SignedInfoComment": "", "Base64Content": "",
	}
	if f.SignedInfoComment {
		data["SignedInfoComment"] = "<!-- signed with the comments of SignedInfo -->"
	}
	name := "enveloped.xml.tmpl"
	if f.Enveloping {
		name = "enveloping.xml.tmpl"
	}
	if f.Base64 {
		inner := fmt.Sprintf(`<AuthTokenRequest xmlns="%s"><Challenge>%s</Challenge><ContextIdentifier><%s>%s</%s></ContextIdentifier><SubjectIdentifierType>%s</SubjectIdentifierType></AuthTokenRequest>`,
			ns, esc(req.Challenge), req.ContextType, esc(req.ContextValue), req.ContextType, req.SubjectType)
		data["Base64Content"] = base64.StdEncoding.EncodeToString([]byte(inner))
	}
	tmpl, err := template.ParseFiles(filepath.Join(TemplateDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	var doc bytes.Buffer
	if err := tmpl.Execute(&doc, data); err != nil {
		t.Fatal(err)
	}
	tmplPath := filepath.Join(dir, "template.xml")
	outPath := filepath.Join(dir, "signed.xml")
	write(t, tmplPath, doc.Bytes())
	run(t, exec.Command(xmlsec, "--sign",
		"--enabled-reference-uris", "empty,same-doc",
		"--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
		"--id-attr:Id", "http://www.w3.org/2000/09/xmldsig#:Object",
		"--privkey-pem", keyPath,
		"--output", outPath, tmplPath))
	signed, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	if isPSS(f) {
		signed = signPSS(t, f, signed, keyPath, dir)
	}
	return signed
}

// isPSS reports whether the form's signature value is made by openssl with RSASSA-PSS.
func isPSS(f Form) bool { return f.SignatureMethod == pssSHA256 || f.SignatureMethod == pssParams }

var (
	signedInfoRe     = regexp.MustCompile(`(?s)<ds:SignedInfo>.*</ds:SignedInfo>`)
	signatureValueRe = regexp.MustCompile(`(?s)<ds:SignatureValue>.*</ds:SignatureValue>`)
)

// signPSS switches the SignatureMethod of an xmlsec1-signed rsa-sha256 document to the form's
// PSS algorithm and replaces the SignatureValue by openssl's RSASSA-PSS signature of SignedInfo
// canonicalised (Exclusive C14N) by xmllint.
func signPSS(t testing.TB, f Form, signed []byte, keyPath, dir string) []byte {
	t.Helper()
	if f.C14N != excC14N {
		t.Fatalf("PSS forms use Exclusive C14N for SignedInfo")
	}
	xmllint := testenv.RequireTool(t, "xmllint")
	openssl := testenv.RequireTool(t, "openssl")
	old := `<ds:SignatureMethod Algorithm="` + rsaSHA256 + `"/>`
	repl := `<ds:SignatureMethod Algorithm="` + f.SignatureMethod + `"/>`
	if f.PSSParams != "" {
		repl = `<ds:SignatureMethod Algorithm="` + f.SignatureMethod + `">` + f.PSSParams + `</ds:SignatureMethod>`
	}
	if !bytes.Contains(signed, []byte(old)) {
		t.Fatalf("no rsa-sha256 SignatureMethod in xmlsec1 output")
	}
	signed = bytes.Replace(signed, []byte(old), []byte(repl), 1)
	si := signedInfoRe.Find(signed)
	standalone := bytes.Replace(si, []byte("<ds:SignedInfo>"), []byte(`<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">`), 1)
	siPath := filepath.Join(dir, "signedinfo.xml")
	write(t, siPath, standalone)
	canon := run(t, exec.Command(xmllint, "--exc-c14n", siPath))
	canonPath := filepath.Join(dir, "signedinfo.c14n")
	write(t, canonPath, canon)
	md, salt := "sha256", "32"
	if f.SignatureMethod == pssParams {
		md, salt = "sha512", "20"
	}
	sig := run(t, exec.Command(openssl, "dgst", "-"+md, "-sign", keyPath,
		"-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:"+salt, "-sigopt", "rsa_mgf1_md:"+md,
		canonPath))
	return signatureValueRe.ReplaceAll(signed, []byte("<ds:SignatureValue>"+base64.StdEncoding.EncodeToString(sig)+"</ds:SignatureValue>"))
}

// TemplateDir returns the directory of the xmlsec1 templates (xades/testdata/xmlsec).
func TemplateDir() string {
	return filepath.Join(testenv.ModuleRoot(), "xades", "testdata", "xmlsec")
}

// Verify runs xmlsec1 --verify on signed with the certificate as the trusted key and returns
// its error (nil when xmlsec1 accepts the signature) and combined output.
func Verify(t testing.TB, signed []byte, cert *x509.Certificate) (string, error) {
	t.Helper()
	xmlsec := testenv.RequireTool(t, "xmlsec1")
	dir := t.TempDir()
	certPath := filepath.Join(dir, "cert.pem")
	docPath := filepath.Join(dir, "signed.xml")
	write(t, certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	write(t, docPath, signed)
	pub, err := x509.MarshalPKIXPublicKey(cert.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPath := filepath.Join(dir, "pub.pem")
	write(t, pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	out, err := exec.Command(xmlsec, "--verify",
		"--enabled-reference-uris", "empty,same-doc",
		"--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
		"--id-attr:Id", "http://www.w3.org/2000/09/xmldsig#:Object",
		"--pubkey-pem", pubPath, docPath).CombinedOutput()
	return string(out), err
}

func esc(s string) string {
	var b strings.Builder
	if err := xmlEscape(&b, s); err != nil {
		panic(err)
	}
	return b.String()
}

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// run runs cmd and returns its standard output; a failure ends the test with the program's
// error output.
func run(t testing.TB, cmd *exec.Cmd) []byte {
	t.Helper()
	out, err := testenv.Output(cmd)
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
	}
	return out
}

func xmlEscape(b *strings.Builder, s string) error {
	return xml.EscapeText(b, []byte(s))
}
