package xades

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Further algorithm identifiers recognised by [Verify].
const (
	// AlgSHA384 is the SHA-384 digest method.
	AlgSHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	// AlgSHA512 is the SHA-512 digest method.
	AlgSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
	// AlgRSASHA384 is RSASSA-PKCS1-v1_5 with SHA-384.
	AlgRSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	// AlgRSASHA512 is RSASSA-PKCS1-v1_5 with SHA-512.
	AlgRSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	// AlgECDSASHA384 is ECDSA with SHA-384.
	AlgECDSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
	// AlgECDSASHA512 is ECDSA with SHA-512.
	AlgECDSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
)

// digestMethods are the accepted DigestMethod algorithms (SHA-1 is not among them).
var digestMethods = map[string]crypto.Hash{
	AlgSHA256: crypto.SHA256,
	AlgSHA384: crypto.SHA384,
	AlgSHA512: crypto.SHA512,
}

type signatureMethod struct {
	ecdsa bool
	hash  crypto.Hash
}

// signatureMethods are the accepted SignatureMethod algorithms.
var signatureMethods = map[string]signatureMethod{
	AlgRSASHA256:   {false, crypto.SHA256},
	AlgRSASHA384:   {false, crypto.SHA384},
	AlgRSASHA512:   {false, crypto.SHA512},
	AlgECDSASHA256: {true, crypto.SHA256},
	AlgECDSASHA384: {true, crypto.SHA384},
	AlgECDSASHA512: {true, crypto.SHA512},
}

// reference is a parsed ds:Reference.
type reference struct {
	el         *etree.Element
	uri        string
	c14n       string // canonicalisation transform; empty means none (C14N 1.0 is implied)
	prefixList string
	enveloped  bool
	digest     crypto.Hash
	value      []byte
}

// signature is a parsed ds:Signature with the elements that Verify checks.
type signature struct {
	el          *etree.Element
	signedInfo  *etree.Element
	c14n        string
	prefixList  string
	method      string
	value       []byte
	docRef      *reference
	propsRef    *reference
	certs       []*x509.Certificate
	signedProps *etree.Element
	signingTime time.Time
	certRefs    []certRef
}

// certRef is one xades:Cert entry of SigningCertificate(V2).
type certRef struct {
	digest       crypto.Hash
	value        []byte
	issuerName   string // IssuerSerial (v1)
	serial       *big.Int
	hasIssuer    bool
	issuerSerial []byte // IssuerSerialV2: DER IssuerSerial
}

// Verify checks an enveloped XAdES-BES signature produced by [Sign] or by another KSeF client
// and returns the signing certificate and time. opts may be nil. The package documentation lists
// what is checked; every failure wraps one of the package's sentinel errors.
func Verify(signed []byte, opts *VerifyOptions) (*Verified, error) {
	if opts == nil {
		opts = &VerifyOptions{}
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	doc, err := parseDocument(signed)
	if err != nil {
		return nil, err
	}
	root := doc.Root()
	s, err := parseSignature(root)
	if err != nil {
		return nil, err
	}

	// Algorithms and keys.
	sm, ok := signatureMethods[s.method]
	if !ok {
		return nil, fmt.Errorf("%w: SignatureMethod %q", ErrUnsupportedAlgorithm, s.method)
	}
	cert := s.certs[0]
	ecSize := 0
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if sm.ecdsa {
			return nil, fmt.Errorf("%w: SignatureMethod %q does not fit an RSA key", ErrUnsupportedAlgorithm, s.method)
		}
		if pub.N.BitLen() < 2048 {
			return nil, fmt.Errorf("%w: RSA key of %d bits, at least 2048 required", ErrUnsupportedAlgorithm, pub.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if !sm.ecdsa {
			return nil, fmt.Errorf("%w: SignatureMethod %q does not fit an EC key", ErrUnsupportedAlgorithm, s.method)
		}
		if ecSize, err = ecCurveSize(pub); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: certificate key type %T", ErrUnsupportedAlgorithm, cert.PublicKey)
	}

	// The KeyInfo certificate must be the one named by SigningCertificate.
	if err := checkSigningCertificate(s.certRefs, cert); err != nil {
		return nil, err
	}

	// References.
	for _, ref := range []*reference{s.docRef, s.propsRef} {
		var data []byte
		if ref == s.docRef {
			cp := root.Copy()
			cp.RemoveChildAt(s.el.Index())
			data, err = canonicalizeDocument(doc, cp, orC14N10(ref.c14n), ref.prefixList)
		} else {
			data, err = canonicalize(s.signedProps, orC14N10(ref.c14n), ref.prefixList, false)
		}
		if err != nil {
			return nil, err
		}
		h := ref.digest.New()
		h.Write(data)
		if subtle.ConstantTimeCompare(h.Sum(nil), ref.value) != 1 {
			return nil, fmt.Errorf("%w: reference URI=%q", ErrDigestMismatch, ref.uri)
		}
	}

	// SignatureValue over the canonical SignedInfo.
	siC14N, err := canonicalize(s.signedInfo, s.c14n, s.prefixList, true)
	if err != nil {
		return nil, err
	}
	h := sm.hash.New()
	h.Write(siC14N)
	hashed := h.Sum(nil)
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(pub, sm.hash, hashed, s.value); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
	case *ecdsa.PublicKey:
		if len(s.value) != 2*ecSize {
			return nil, fmt.Errorf("%w: ECDSA SignatureValue has %d bytes, want r‖s of %d", ErrBadSignature, len(s.value), 2*ecSize)
		}
		r := new(big.Int).SetBytes(s.value[:ecSize])
		ss := new(big.Int).SetBytes(s.value[ecSize:])
		if !ecdsa.Verify(pub, hashed, r, ss) {
			return nil, fmt.Errorf("%w: ECDSA verification failed", ErrBadSignature)
		}
	}

	// Certificate validity (and chain, when roots are given).
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, fmt.Errorf("%w: valid from %s to %s, checked at %s", ErrCertificateValidity,
			cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if opts.Roots != nil {
		inter := x509.NewCertPool()
		for _, c := range s.certs[1:] {
			inter.AddCert(c)
		}
		if _, err := cert.Verify(x509.VerifyOptions{
			Roots: opts.Roots, Intermediates: inter, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
		}); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCertificateValidity, err)
		}
	}

	return &Verified{
		Certificate:     cert,
		Chain:           s.certs[1:],
		SigningTime:     s.signingTime,
		SignatureMethod: s.method,
		Document:        doc,
		Root:            root,
	}, nil
}

// orC14N10 returns alg, or C14N 1.0 (the implied conversion of a node set to octets) when empty.
func orC14N10(alg string) string {
	if alg == "" {
		return AlgC14N10
	}
	return alg
}

// structErr returns an ErrStructure error.
func structErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrStructure}, args...)...)
}

// is reports whether el is the element {ns}tag.
func is(el *etree.Element, ns, tag string) bool {
	return el != nil && el.Tag == tag && el.NamespaceURI() == ns
}

// findAll collects the elements {ns}tag in the subtree of el.
func findAll(el *etree.Element, ns, tag string, out []*etree.Element) []*etree.Element {
	if is(el, ns, tag) {
		out = append(out, el)
	}
	for _, ch := range el.ChildElements() {
		out = findAll(ch, ns, tag, out)
	}
	return out
}

// children returns the child elements of el named {ns}tag.
func children(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, ch := range el.ChildElements() {
		if is(ch, ns, tag) {
			out = append(out, ch)
		}
	}
	return out
}

// onlyChild returns the single child {ns}tag of el, failing when it is missing or repeated.
func onlyChild(el *etree.Element, ns, tag string) (*etree.Element, error) {
	cs := children(el, ns, tag)
	if len(cs) != 1 {
		return nil, structErr("%s must contain exactly one %s, found %d", el.Tag, tag, len(cs))
	}
	return cs[0], nil
}

// attr returns the value of the unqualified attribute key of el.
func attr(el *etree.Element, key string) (string, bool) {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// decodeBase64 decodes XML base64Binary content, which may contain white space.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}

// parseSignature locates the only ds:Signature of the document and parses its structure.
func parseSignature(root *etree.Element) (*signature, error) {
	sigs := findAll(root, NamespaceDSig, "Signature", nil)
	if len(sigs) != 1 {
		return nil, structErr("want exactly one ds:Signature, found %d", len(sigs))
	}
	s := &signature{el: sigs[0]}
	if s.el == root {
		return nil, structErr("enveloping signatures are not accepted")
	}
	if s.el.Parent() != root {
		return nil, structErr("ds:Signature must be a child of the document element")
	}

	// ds:Signature children: SignedInfo, SignatureValue, KeyInfo, Object+.
	kids := s.el.ChildElements()
	if len(kids) < 4 || !is(kids[0], NamespaceDSig, "SignedInfo") || !is(kids[1], NamespaceDSig, "SignatureValue") ||
		!is(kids[2], NamespaceDSig, "KeyInfo") {
		return nil, structErr("ds:Signature must hold SignedInfo, SignatureValue, KeyInfo and Object")
	}
	for _, k := range kids[3:] {
		if !is(k, NamespaceDSig, "Object") {
			return nil, structErr("unexpected element %s in ds:Signature", k.FullTag())
		}
	}
	s.signedInfo = kids[0]
	var err error
	if s.value, err = decodeBase64(kids[1].Text()); err != nil || len(s.value) == 0 {
		return nil, structErr("SignatureValue is not base64")
	}
	sigID, _ := attr(s.el, "Id")
	if sigID == "" {
		return nil, structErr("ds:Signature has no Id")
	}

	if err := s.parseSignedInfo(); err != nil {
		return nil, err
	}
	if err := s.parseKeyInfo(kids[2]); err != nil {
		return nil, err
	}
	if err := s.parseQualifyingProperties(root, sigID, kids[3:]); err != nil {
		return nil, err
	}
	return s, nil
}

// parseSignedInfo reads CanonicalizationMethod, SignatureMethod and the two references.
func (s *signature) parseSignedInfo() error {
	kids := s.signedInfo.ChildElements()
	if len(kids) < 3 || !is(kids[0], NamespaceDSig, "CanonicalizationMethod") || !is(kids[1], NamespaceDSig, "SignatureMethod") {
		return structErr("SignedInfo must start with CanonicalizationMethod and SignatureMethod")
	}
	s.c14n, _ = attr(kids[0], "Algorithm")
	if !isC14N(s.c14n) {
		return fmt.Errorf("%w: CanonicalizationMethod %q", ErrUnsupportedAlgorithm, s.c14n)
	}
	s.prefixList = inclusivePrefixes(kids[0])
	s.method, _ = attr(kids[1], "Algorithm")
	if len(kids[1].ChildElements()) != 0 {
		return fmt.Errorf("%w: SignatureMethod parameters", ErrUnsupportedAlgorithm)
	}
	refs := kids[2:]
	for _, r := range refs {
		if !is(r, NamespaceDSig, "Reference") {
			return structErr("unexpected element %s in SignedInfo", r.FullTag())
		}
	}
	if len(refs) != 2 {
		return structErr("want exactly two references (URI=\"\" and SignedProperties), found %d", len(refs))
	}
	for _, el := range refs {
		ref, err := parseReference(el)
		if err != nil {
			return err
		}
		switch {
		case ref.uri == "":
			if s.docRef != nil {
				return structErr("more than one URI=\"\" reference")
			}
			if !ref.enveloped {
				return fmt.Errorf("%w: the URI=\"\" reference lacks the enveloped-signature transform", ErrUnsupportedAlgorithm)
			}
			s.docRef = ref
		default:
			if s.propsRef != nil {
				return structErr("more than one SignedProperties reference")
			}
			if typ, _ := attr(el, "Type"); typ != SignedPropertiesType {
				return structErr("reference %q is not of type %s", ref.uri, SignedPropertiesType)
			}
			if ref.enveloped {
				return fmt.Errorf("%w: enveloped-signature transform on the SignedProperties reference", ErrUnsupportedAlgorithm)
			}
			s.propsRef = ref
		}
	}
	if s.docRef == nil || s.propsRef == nil {
		return structErr("want one URI=\"\" reference and one SignedProperties reference")
	}
	return nil
}

// inclusivePrefixes returns the PrefixList of an ec:InclusiveNamespaces child of el.
func inclusivePrefixes(el *etree.Element) string {
	for _, ch := range el.ChildElements() {
		if ch.Tag == "InclusiveNamespaces" && ch.NamespaceURI() == AlgExcC14N {
			v, _ := attr(ch, "PrefixList")
			return v
		}
	}
	return ""
}

// parseReference reads one ds:Reference. Accepted transform chains are: enveloped-signature
// then at most one canonicalisation (URI=""), or at most one canonicalisation (#id).
func parseReference(el *etree.Element) (*reference, error) {
	ref := &reference{el: el}
	uri, ok := attr(el, "URI")
	if !ok {
		return nil, structErr("reference without URI (detached content is not accepted)")
	}
	if uri != "" && (!strings.HasPrefix(uri, "#") || len(uri) == 1 || strings.ContainsAny(uri, "()/ ")) {
		return nil, structErr("reference URI %q is neither \"\" nor a same-document #id", uri)
	}
	ref.uri = uri
	kids := el.ChildElements()
	i := 0
	if i < len(kids) && is(kids[i], NamespaceDSig, "Transforms") {
		trs := kids[i].ChildElements()
		for j, tr := range trs {
			if !is(tr, NamespaceDSig, "Transform") {
				return nil, structErr("unexpected element %s in Transforms", tr.FullTag())
			}
			alg, _ := attr(tr, "Algorithm")
			switch {
			case alg == AlgEnvelopedSignature && j == 0 && uri == "":
				ref.enveloped = true
			case isC14N(alg) && ref.c14n == "":
				ref.c14n = alg
				ref.prefixList = inclusivePrefixes(tr)
			default:
				return nil, fmt.Errorf("%w: transform %q in reference URI=%q", ErrUnsupportedAlgorithm, alg, uri)
			}
		}
		i++
	}
	if i+2 != len(kids) || !is(kids[i], NamespaceDSig, "DigestMethod") || !is(kids[i+1], NamespaceDSig, "DigestValue") {
		return nil, structErr("reference URI=%q must hold Transforms, DigestMethod and DigestValue", uri)
	}
	alg, _ := attr(kids[i], "Algorithm")
	h, ok := digestMethods[alg]
	if !ok {
		return nil, fmt.Errorf("%w: DigestMethod %q", ErrUnsupportedAlgorithm, alg)
	}
	ref.digest = h
	v, err := decodeBase64(kids[i+1].Text())
	if err != nil || len(v) != h.Size() {
		return nil, structErr("DigestValue of reference URI=%q is not a %d-byte base64 value", uri, h.Size())
	}
	ref.value = v
	return ref, nil
}

// parseKeyInfo reads the certificates of KeyInfo/X509Data; the first one is the signer's.
func (s *signature) parseKeyInfo(ki *etree.Element) error {
	for _, xd := range children(ki, NamespaceDSig, "X509Data") {
		for _, xc := range children(xd, NamespaceDSig, "X509Certificate") {
			der, err := decodeBase64(xc.Text())
			if err != nil {
				return structErr("X509Certificate is not base64")
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return structErr("X509Certificate: %v", err)
			}
			s.certs = append(s.certs, c)
		}
	}
	if len(s.certs) == 0 {
		return structErr("KeyInfo holds no X509Certificate")
	}
	return nil
}

// parseQualifyingProperties finds this signature's QualifyingProperties, binds the
// SignedProperties reference to its SignedProperties element and reads the signed properties.
func (s *signature) parseQualifyingProperties(root *etree.Element, sigID string, objects []*etree.Element) error {
	// Exactly one QualifyingProperties in the whole document, inside this signature's Object.
	all := findAll(root, NamespaceXAdES, "QualifyingProperties", nil)
	if len(all) != 1 {
		return structErr("want exactly one xades:QualifyingProperties, found %d", len(all))
	}
	qp := all[0]
	inObject := false
	for _, o := range objects {
		if qp.Parent() == o {
			inObject = true
		}
	}
	if !inObject {
		return structErr("xades:QualifyingProperties is not a child of this signature's ds:Object")
	}
	if t, _ := attr(qp, "Target"); t != "#"+sigID {
		return structErr("QualifyingProperties Target %q does not name the signature %q", t, sigID)
	}
	sps := findAll(root, NamespaceXAdES, "SignedProperties", nil)
	if len(sps) != 1 || sps[0].Parent() != qp {
		return structErr("want exactly one xades:SignedProperties, inside QualifyingProperties")
	}
	sp := sps[0]

	// The SignedProperties reference must resolve to exactly that element, and no other
	// element of the document may carry the same identifier.
	id := s.propsRef.uri[1:]
	if n := countIDs(root, id); n != 1 {
		return structErr("identifier %q is carried by %d elements", id, n)
	}
	if v, _ := attr(sp, "Id"); v != id {
		return structErr("reference %q does not point at this signature's SignedProperties", s.propsRef.uri)
	}
	if sigID == id {
		return structErr("signature and SignedProperties share the Id %q", id)
	}
	if n := countIDs(root, sigID); n != 1 {
		return structErr("identifier %q is carried by %d elements", sigID, n)
	}
	s.signedProps = sp

	ssp, err := onlyChild(sp, NamespaceXAdES, "SignedSignatureProperties")
	if err != nil {
		return err
	}
	st, err := onlyChild(ssp, NamespaceXAdES, "SigningTime")
	if err != nil {
		return err
	}
	if s.signingTime, err = time.Parse(time.RFC3339Nano, strings.TrimSpace(st.Text())); err != nil {
		return structErr("SigningTime %q is not an xs:dateTime with a time zone", st.Text())
	}
	s.signingTime = s.signingTime.UTC()

	v1 := children(ssp, NamespaceXAdES, "SigningCertificate")
	v2 := children(ssp, NamespaceXAdES, "SigningCertificateV2")
	if len(v1)+len(v2) != 1 {
		return structErr("want exactly one SigningCertificate or SigningCertificateV2")
	}
	sc := append(v1, v2...)[0]
	for _, c := range sc.ChildElements() {
		if !is(c, NamespaceXAdES, "Cert") {
			return structErr("unexpected element %s in %s", c.FullTag(), sc.Tag)
		}
		ref, err := parseCertRef(c, len(v2) == 1)
		if err != nil {
			return err
		}
		s.certRefs = append(s.certRefs, ref)
	}
	if len(s.certRefs) == 0 {
		return structErr("%s names no certificate", sc.Tag)
	}
	return nil
}

// parseCertRef reads one xades:Cert (CertDigest and IssuerSerial or IssuerSerialV2).
func parseCertRef(c *etree.Element, v2 bool) (certRef, error) {
	var ref certRef
	cd, err := onlyChild(c, NamespaceXAdES, "CertDigest")
	if err != nil {
		return ref, err
	}
	dm, err := onlyChild(cd, NamespaceDSig, "DigestMethod")
	if err != nil {
		return ref, err
	}
	alg, _ := attr(dm, "Algorithm")
	h, ok := digestMethods[alg]
	if !ok {
		return ref, fmt.Errorf("%w: CertDigest DigestMethod %q", ErrUnsupportedAlgorithm, alg)
	}
	dv, err := onlyChild(cd, NamespaceDSig, "DigestValue")
	if err != nil {
		return ref, err
	}
	if ref.value, err = decodeBase64(dv.Text()); err != nil || len(ref.value) != h.Size() {
		return ref, structErr("CertDigest DigestValue is not a %d-byte base64 value", h.Size())
	}
	ref.digest = h
	if !v2 {
		is, err := onlyChild(c, NamespaceXAdES, "IssuerSerial")
		if err != nil {
			return ref, err
		}
		name, err := onlyChild(is, NamespaceDSig, "X509IssuerName")
		if err != nil {
			return ref, err
		}
		serial, err := onlyChild(is, NamespaceDSig, "X509SerialNumber")
		if err != nil {
			return ref, err
		}
		n, ok := new(big.Int).SetString(strings.TrimSpace(serial.Text()), 10)
		if !ok {
			return ref, structErr("X509SerialNumber %q is not a decimal integer", serial.Text())
		}
		ref.issuerName, ref.serial, ref.hasIssuer = name.Text(), n, true
		return ref, nil
	}
	switch iss := children(c, NamespaceXAdES, "IssuerSerialV2"); len(iss) {
	case 0:
	case 1:
		if ref.issuerSerial, err = decodeBase64(iss[0].Text()); err != nil {
			return ref, structErr("IssuerSerialV2 is not base64")
		}
	default:
		return ref, structErr("more than one IssuerSerialV2")
	}
	return ref, nil
}

// checkSigningCertificate requires cert to be named by one of refs, by digest and (when
// present) issuer and serial number.
func checkSigningCertificate(refs []certRef, cert *x509.Certificate) error {
	for _, ref := range refs {
		var sum []byte
		switch ref.digest {
		case crypto.SHA256:
			s := sha256.Sum256(cert.Raw)
			sum = s[:]
		case crypto.SHA384:
			s := sha512.Sum384(cert.Raw)
			sum = s[:]
		case crypto.SHA512:
			s := sha512.Sum512(cert.Raw)
			sum = s[:]
		}
		if subtle.ConstantTimeCompare(sum, ref.value) != 1 {
			continue
		}
		if ref.hasIssuer {
			if ref.serial.Cmp(cert.SerialNumber) != 0 {
				return fmt.Errorf("%w: X509SerialNumber %s, certificate has %s", ErrCertificateMismatch, ref.serial, cert.SerialNumber)
			}
			if !issuerNameMatches(ref.issuerName, cert.RawIssuer) {
				return fmt.Errorf("%w: X509IssuerName %q does not name the certificate's issuer", ErrCertificateMismatch, ref.issuerName)
			}
		}
		if ref.issuerSerial != nil && !issuerSerialV2Matches(ref.issuerSerial, cert) {
			return fmt.Errorf("%w: IssuerSerialV2 does not name the certificate", ErrCertificateMismatch)
		}
		return nil
	}
	return fmt.Errorf("%w: no CertDigest matches the KeyInfo certificate", ErrCertificateMismatch)
}
