package xades

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// reference is a parsed ds:Reference.
type reference struct {
	el         *etree.Element
	uri        string
	transforms []transform
	digest     crypto.Hash
	value      []byte
}

// last returns the final transform, which converts the node-set to octets when it is a
// canonicalisation or base64; ok is false when the chain ends with a node-set (C14N 1.0 is
// then implied).
func (r *reference) last() (transform, bool) {
	if n := len(r.transforms); n > 0 && !r.transforms[n-1].removes() {
		return r.transforms[n-1], true
	}
	return transform{}, false
}

// removals reports whether the reference has node-set filters.
func (r *reference) removals() bool {
	return len(r.transforms) > 0 && r.transforms[0].removes()
}

// signature is a parsed ds:Signature with the elements that Verify checks.
type signature struct {
	el          *etree.Element
	enveloping  bool
	signedInfo  *etree.Element
	c14n        string
	prefixList  string
	method      string
	sm          signatureMethod
	pss         *pssParams
	value       []byte
	docRef      *reference
	propsRef    *reference
	content     *etree.Element // enveloping: the ds:Object the document reference points at
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

// Verify checks an enveloped or enveloping XAdES signature produced by [Sign] or by another
// KSeF client and returns the signing certificate, the signing time and the signed content.
// opts may be nil. The package documentation lists what is checked; every failure wraps one
// of the package's sentinel errors.
func Verify(signed []byte, opts *VerifyOptions) (*Verified, error) {
	if opts == nil {
		opts = &VerifyOptions{}
	}
	if limit := opts.maxBytes(); limit > 0 && len(signed) > limit {
		return nil, fmt.Errorf("%w: document of %d bytes exceeds the limit of %d bytes", ErrTooLarge, len(signed), limit)
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
	var warnings []Warning
	warn := func(format string, args ...any) {
		warnings = append(warnings, Warning{Code: WarningNonConforming, Message: fmt.Sprintf(format, args...)})
	}

	// Algorithms and keys.
	cert := s.certs[0]
	ecSize := 0
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if s.sm.kind == kindECDSA {
			return nil, fmt.Errorf("%w: SignatureMethod %q does not fit an RSA key", ErrUnsupportedAlgorithm, s.method)
		}
		if pub.N.BitLen() < 2048 {
			return nil, fmt.Errorf("%w: RSA key of %d bits, at least 2048 required", ErrUnsupportedAlgorithm, pub.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if s.sm.kind != kindECDSA {
			return nil, fmt.Errorf("%w: SignatureMethod %q does not fit an EC key", ErrUnsupportedAlgorithm, s.method)
		}
		if ecSize, err = ecCurveSize(pub); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: certificate key type %T", ErrUnsupportedAlgorithm, cert.PublicKey)
	}
	if isSHA1(s.sm.hash) {
		warn("SignatureMethod %s uses SHA-1, which KSeF accepts but flags as non-conforming (use SHA-256 or stronger)", s.method)
	}

	// The KeyInfo certificate must be the one named by SigningCertificate.
	certDigest, err := checkSigningCertificate(s.certRefs, cert)
	if err != nil {
		return nil, err
	}
	if isSHA1(certDigest) {
		warn("CertDigest uses SHA-1, which KSeF accepts but flags as non-conforming (use SHA-256 or stronger)")
	}

	// References.
	content, err := s.digestDocument(doc)
	if err != nil {
		return nil, err
	}
	if err := s.digestProperties(); err != nil {
		return nil, err
	}
	for _, ref := range []*reference{s.docRef, s.propsRef} {
		if isSHA1(ref.digest) {
			warn("the DigestMethod of reference URI=%q is SHA-1, which KSeF accepts but flags as non-conforming (use SHA-256 or stronger)", ref.uri)
		}
	}

	// SignatureValue over the canonical SignedInfo.
	siC14N, err := canonicalize(s.signedInfo, s.c14n, s.prefixList, true)
	if err != nil {
		return nil, err
	}
	h := s.sm.hash.New()
	h.Write(siC14N)
	hashed := h.Sum(nil)
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if s.sm.kind == kindPSS {
			if err := rsa.VerifyPSS(pub, s.sm.hash, hashed, s.value, &rsa.PSSOptions{SaltLength: s.pss.saltLength, Hash: s.sm.hash}); err != nil {
				return nil, fmt.Errorf("%w: RSASSA-PSS: %v", ErrBadSignature, err)
			}
		} else if err := rsa.VerifyPKCS1v15(pub, s.sm.hash, hashed, s.value); err != nil {
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

	signedXML, err := canonicalize(content, AlgExcC14N, "", false)
	if err != nil {
		return nil, err
	}
	return &Verified{
		Certificate:     cert,
		Chain:           s.certs[1:],
		SigningTime:     s.signingTime,
		SignatureMethod: s.method,
		Enveloping:      s.enveloping,
		SignedXML:       signedXML,
		Warnings:        warnings,
	}, nil
}

// digestDocument checks the digest of the document reference and returns the signed element
// without the signature: for an enveloped signature a copy of the document element with the
// ds:Signature filtered out, for an enveloping one the element inside the referenced ds:Object
// (or the document decoded by a base64 transform).
func (s *signature) digestDocument(doc *etree.Document) (*etree.Element, error) {
	ref := s.docRef
	last, converted := ref.last()
	var data []byte
	var content *etree.Element
	var err error
	if !s.enveloping {
		root := doc.Root()
		cp := root.Copy()
		applyRemovals(ref.transforms, root, cp, s.el)
		if len(findAll(cp, NamespaceDSig, "Signature", nil)) != 0 {
			return nil, fmt.Errorf("%w: the URI=\"\" reference does not filter out the signature (enveloped-signature, XPath or XPath Filter 2.0 transform required)", ErrUnsupportedAlgorithm)
		}
		if converted && last.kind == trBase64 {
			return nil, fmt.Errorf("%w: base64 transform on the URI=\"\" reference would sign only the document's text", ErrUnsupportedAlgorithm)
		}
		alg, prefixes := AlgC14N10, ""
		if converted {
			alg, prefixes = last.alg, last.prefixList
		}
		if data, err = canonicalizeDocument(doc, cp, alg, prefixes); err != nil {
			return nil, err
		}
		content = cp
	} else {
		obj := s.content
		if ref.removals() {
			return nil, fmt.Errorf("%w: transform %q on a reference to content inside the signature would remove all of it", ErrUnsupportedAlgorithm, ref.transforms[0].alg)
		}
		elems := obj.ChildElements()
		switch {
		case converted && last.kind == trBase64:
			if len(elems) != 0 {
				return nil, structErr("base64-encoded ds:Object %q holds elements", ref.uri)
			}
			if data, err = decodeBase64(textContent(obj)); err != nil {
				return nil, structErr("ds:Object %q is not base64", ref.uri)
			}
			if err := ref.check(data); err != nil {
				return nil, err
			}
			inner, err := parseDocument(data)
			if err != nil {
				return nil, err
			}
			content = inner.Root()
		default:
			if len(elems) != 1 || strings.TrimSpace(textContent(obj)) != strings.TrimSpace(textContent(elems[0])) {
				return nil, structErr("the signed ds:Object %q must hold exactly one element", ref.uri)
			}
			alg, prefixes := AlgC14N10, ""
			if converted {
				alg, prefixes = last.alg, last.prefixList
			}
			if data, err = canonicalize(obj, alg, prefixes, false); err != nil {
				return nil, err
			}
			content = elems[0]
		}
	}
	if err := ref.check(data); err != nil {
		return nil, err
	}
	return content, nil
}

// digestProperties checks the digest of the SignedProperties reference.
func (s *signature) digestProperties() error {
	ref := s.propsRef
	if ref.removals() {
		return fmt.Errorf("%w: transform %q on the SignedProperties reference", ErrUnsupportedAlgorithm, ref.transforms[0].alg)
	}
	last, converted := ref.last()
	alg, prefixes := AlgC14N10, ""
	if converted {
		if last.kind == trBase64 {
			return fmt.Errorf("%w: base64 transform on the SignedProperties reference", ErrUnsupportedAlgorithm)
		}
		alg, prefixes = last.alg, last.prefixList
	}
	data, err := canonicalize(s.signedProps, alg, prefixes, false)
	if err != nil {
		return err
	}
	return ref.check(data)
}

// check compares the digest of data with the reference's DigestValue.
func (r *reference) check(data []byte) error {
	h := r.digest.New()
	h.Write(data)
	if subtle.ConstantTimeCompare(h.Sum(nil), r.value) != 1 {
		return fmt.Errorf("%w: reference URI=%q", ErrDigestMismatch, r.uri)
	}
	return nil
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

// parseSignature locates the only ds:Signature of the document and parses its structure.
func parseSignature(root *etree.Element) (*signature, error) {
	sigs := findAll(root, NamespaceDSig, "Signature", nil)
	if len(sigs) != 1 {
		return nil, structErr("want exactly one ds:Signature, found %d", len(sigs))
	}
	s := &signature{el: sigs[0], enveloping: sigs[0] == root}
	if !s.enveloping && s.el.Parent() != root {
		return nil, structErr("ds:Signature must be the document element (enveloping) or a child of it (enveloped)")
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
	if s.enveloping {
		if err := s.bindContent(root, kids[3:]); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// bindContent resolves the document reference of an enveloping signature: it must name, by a
// unique identifier, the one ds:Object of this signature that does not hold the qualifying
// properties. No other ds:Object may exist, so that no unsigned content sits beside it.
func (s *signature) bindContent(root *etree.Element, objects []*etree.Element) error {
	if s.docRef.uri == "" {
		return structErr("an enveloping signature must reference its ds:Object by #id, not URI=\"\"")
	}
	id := s.docRef.uri[1:]
	if n := countIDs(root, id); n != 1 {
		return structErr("identifier %q is carried by %d elements", id, n)
	}
	if len(objects) != 2 {
		return structErr("an enveloping signature must hold two ds:Object elements (content and qualifying properties), found %d", len(objects))
	}
	for _, o := range objects {
		if len(children(o, NamespaceXAdES, "QualifyingProperties")) != 0 {
			if len(o.ChildElements()) != 1 {
				return structErr("the ds:Object of an enveloping signature's qualifying properties holds other elements")
			}
			continue
		}
		if v, _ := attr(o, "Id"); v == id {
			s.content = o
		}
	}
	if s.content == nil {
		return structErr("reference %q does not point at this signature's content ds:Object", s.docRef.uri)
	}
	return nil
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
	var err error
	if s.sm, s.pss, err = parseSignatureMethod(kids[1]); err != nil {
		return err
	}
	refs := kids[2:]
	for _, r := range refs {
		if !is(r, NamespaceDSig, "Reference") {
			return structErr("unexpected element %s in SignedInfo", r.FullTag())
		}
	}
	if len(refs) != 2 {
		return structErr("want exactly two references (the document and SignedProperties), found %d", len(refs))
	}
	for _, el := range refs {
		ref, err := parseReference(el)
		if err != nil {
			return err
		}
		typ, _ := attr(el, "Type")
		switch {
		case typ == SignedPropertiesType:
			if s.propsRef != nil {
				return structErr("more than one SignedProperties reference")
			}
			if ref.uri == "" {
				return structErr("the SignedProperties reference has URI=\"\"")
			}
			s.propsRef = ref
		case s.enveloping == (ref.uri != ""):
			if s.docRef != nil {
				return structErr("more than one document reference")
			}
			s.docRef = ref
		case ref.uri == "":
			return structErr("URI=\"\" reference in an enveloping signature")
		default:
			return structErr("reference %q is not of type %s", ref.uri, SignedPropertiesType)
		}
	}
	if s.docRef == nil || s.propsRef == nil {
		return structErr("want one document reference and one SignedProperties reference")
	}
	return nil
}

// parseReference reads one ds:Reference: a same-document URI ("" or "#id"), its transform
// chain (node-set filters, then at most one canonicalisation or base64 as the last step) and
// the digest.
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
		for _, tr := range kids[i].ChildElements() {
			if !is(tr, NamespaceDSig, "Transform") {
				return nil, structErr("unexpected element %s in Transforms", tr.FullTag())
			}
			ts, err := parseTransform(tr)
			if err != nil {
				return nil, err
			}
			ref.transforms = append(ref.transforms, ts...)
		}
		if err := checkChain(ref.transforms, uri); err != nil {
			return nil, err
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
// present) issuer and serial number. It returns the digest algorithm of the matching entry.
func checkSigningCertificate(refs []certRef, cert *x509.Certificate) (crypto.Hash, error) {
	for _, ref := range refs {
		h := ref.digest.New()
		h.Write(cert.Raw)
		if subtle.ConstantTimeCompare(h.Sum(nil), ref.value) != 1 {
			continue
		}
		if ref.hasIssuer {
			if ref.serial.Cmp(cert.SerialNumber) != 0 {
				return 0, fmt.Errorf("%w: X509SerialNumber %s, certificate has %s", ErrCertificateMismatch, ref.serial, cert.SerialNumber)
			}
			if !issuerNameMatches(ref.issuerName, cert.RawIssuer) {
				return 0, fmt.Errorf("%w: X509IssuerName %q does not name the certificate's issuer", ErrCertificateMismatch, ref.issuerName)
			}
		}
		if ref.issuerSerial != nil && !issuerSerialV2Matches(ref.issuerSerial, cert) {
			return 0, fmt.Errorf("%w: IssuerSerialV2 does not name the certificate", ErrCertificateMismatch)
		}
		return ref.digest, nil
	}
	return 0, fmt.Errorf("%w: no CertDigest matches the KeyInfo certificate", ErrCertificateMismatch)
}
