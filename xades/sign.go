package xades

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"math/big"
	"time"

	"github.com/beevik/etree"
)

// Identifiers written by [Sign].
const (
	signatureID        = "Signature"
	signedPropertiesID = "SignedProperties"
)

// Sign returns doc with an enveloped XAdES-BES signature appended as the last child of its
// document element. cert is the signing certificate and key its private key: RSA (at least
// 2048 bits, RSASSA-PKCS1-v1_5 with SHA-256) or ECDSA on P-256, P-384 or P-521 (ECDSA with
// SHA-256, SignatureValue as raw r‖s). opts may be nil.
//
// The bytes of doc are kept as they are (a leading UTF-8 byte order mark is removed); only the
// ds:Signature element is inserted before the end tag of the document element.
func Sign(doc []byte, cert *x509.Certificate, key crypto.Signer, opts *SignOptions) ([]byte, error) {
	if cert == nil || key == nil {
		return nil, fmt.Errorf("xades: certificate and key are required")
	}
	if opts == nil {
		opts = &SignOptions{}
	}
	c14nAlg := opts.Canonicalization
	if c14nAlg == "" {
		c14nAlg = AlgExcC14N
	}
	switch c14nAlg {
	case AlgExcC14N, AlgC14N10, AlgC14N11:
	default:
		return nil, fmt.Errorf("%w: canonicalization %q is not offered for signing", ErrUnsupportedAlgorithm, c14nAlg)
	}
	sigAlg, ecSize, err := signatureMethodFor(key.Public())
	if err != nil {
		return nil, err
	}
	if !publicKeysEqual(key.Public(), cert.PublicKey) {
		return nil, fmt.Errorf("%w: the key does not belong to the certificate", ErrCertificateMismatch)
	}
	signingTime := opts.SigningTime
	if signingTime.IsZero() {
		signingTime = time.Now().Add(-time.Minute)
	}
	signingTime = signingTime.UTC().Truncate(time.Second)
	issuerName, err := FormatName(cert.RawIssuer)
	if err != nil {
		return nil, err
	}

	doc = bytes.TrimPrefix(doc, utf8BOM)
	parsed, err := parseDocument(doc)
	if err != nil {
		return nil, err
	}
	root := parsed.Root()
	if n := len(findAll(root, NamespaceDSig, "Signature", nil)); n != 0 {
		return nil, fmt.Errorf("%w: the document already holds a ds:Signature", ErrStructure)
	}
	for _, id := range []string{signatureID, signedPropertiesID} {
		if n := countIDs(root, id); n != 0 {
			return nil, fmt.Errorf("%w: the document already uses the Id %q", ErrStructure, id)
		}
	}
	docC14N, err := canonicalizeDocument(parsed, root, AlgExcC14N, "")
	if err != nil {
		return nil, err
	}
	docDigest := sha256.Sum256(docC14N)
	certDigest := sha256.Sum256(cert.Raw)

	// ds:Signature skeleton.
	sig := etree.NewElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", NamespaceDSig)
	sig.CreateAttr("Id", signatureID)
	si := sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", c14nAlg)
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", sigAlg)

	ref1 := si.CreateElement("ds:Reference")
	ref1.CreateAttr("Id", "Reference-Document")
	ref1.CreateAttr("URI", "")
	tr1 := ref1.CreateElement("ds:Transforms")
	tr1.CreateElement("ds:Transform").CreateAttr("Algorithm", AlgEnvelopedSignature)
	tr1.CreateElement("ds:Transform").CreateAttr("Algorithm", AlgExcC14N)
	ref1.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", AlgSHA256)
	ref1.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(docDigest[:]))

	ref2 := si.CreateElement("ds:Reference")
	ref2.CreateAttr("Type", SignedPropertiesType)
	ref2.CreateAttr("URI", "#"+signedPropertiesID)
	ref2.CreateElement("ds:Transforms").CreateElement("ds:Transform").CreateAttr("Algorithm", AlgExcC14N)
	ref2.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", AlgSHA256)
	spDigestValue := ref2.CreateElement("ds:DigestValue")

	sigValue := sig.CreateElement("ds:SignatureValue")
	sig.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(cert.Raw))

	qp := sig.CreateElement("ds:Object").CreateElement("xades:QualifyingProperties")
	qp.CreateAttr("xmlns:xades", NamespaceXAdES)
	qp.CreateAttr("Target", "#"+signatureID)
	sp := qp.CreateElement("xades:SignedProperties")
	sp.CreateAttr("Id", signedPropertiesID)
	ssp := sp.CreateElement("xades:SignedSignatureProperties")
	ssp.CreateElement("xades:SigningTime").SetText(signingTime.Format(time.RFC3339))
	c := ssp.CreateElement("xades:SigningCertificate").CreateElement("xades:Cert")
	cd := c.CreateElement("xades:CertDigest")
	cd.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", AlgSHA256)
	cd.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(certDigest[:]))
	is := c.CreateElement("xades:IssuerSerial")
	is.CreateElement("ds:X509IssuerName").SetText(issuerName)
	is.CreateElement("ds:X509SerialNumber").SetText(cert.SerialNumber.String())

	// Digest SignedProperties, then sign SignedInfo, both in their final place in the
	// document: inclusive canonicalisation sees the namespaces of the document element.
	root.AddChild(sig)
	spC14N, err := canonicalize(sp, AlgExcC14N, "", false)
	if err != nil {
		return nil, err
	}
	spDigest := sha256.Sum256(spC14N)
	spDigestValue.SetText(base64.StdEncoding.EncodeToString(spDigest[:]))

	siC14N, err := canonicalize(si, c14nAlg, "", false)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(siC14N)
	raw, err := key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("xades: sign: %w", err)
	}
	if ecSize > 0 {
		raw, err = ecdsaDERToRaw(raw, ecSize)
		if err != nil {
			return nil, err
		}
	}
	sigValue.SetText(base64.StdEncoding.EncodeToString(raw))

	// Serialise the signature on its own and splice it into the original bytes.
	sig.Parent().RemoveChild(sig)
	sigDoc := etree.NewDocument()
	sigDoc.SetRoot(sig)
	sigBytes, err := sigDoc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("xades: serialise signature: %w", err)
	}
	off, selfClosing, qname, err := rootEndOffset(doc)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(doc)+len(sigBytes)+len(qname)+4)
	out = append(out, doc[:off]...)
	if selfClosing {
		out = append(out, '>')
		out = append(out, sigBytes...)
		out = append(out, "</"+qname+">"...)
		out = append(out, doc[off+2:]...)
	} else {
		out = append(out, sigBytes...)
		out = append(out, doc[off:]...)
	}
	return out, nil
}

// signatureMethodFor returns the SignatureMethod for a public key and, for ECDSA, the byte
// length of r and s.
func signatureMethodFor(pub crypto.PublicKey) (alg string, ecSize int, err error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return "", 0, fmt.Errorf("%w: RSA key of %d bits, at least 2048 required", ErrUnsupportedAlgorithm, k.N.BitLen())
		}
		return AlgRSASHA256, 0, nil
	case *ecdsa.PublicKey:
		size, err := ecCurveSize(k)
		if err != nil {
			return "", 0, err
		}
		return AlgECDSASHA256, size, nil
	}
	return "", 0, fmt.Errorf("%w: key type %T (RSA or ECDSA required)", ErrUnsupportedAlgorithm, pub)
}

// ecCurveSize returns the scalar byte length of an accepted curve (P-256 and larger NIST curves).
func ecCurveSize(k *ecdsa.PublicKey) (int, error) {
	if k.Curve == nil {
		return 0, fmt.Errorf("%w: EC key without a curve", ErrUnsupportedAlgorithm)
	}
	switch name := k.Curve.Params().Name; name {
	case "P-256", "P-384", "P-521":
		return (k.Curve.Params().BitSize + 7) / 8, nil
	default:
		return 0, fmt.Errorf("%w: EC curve %s (P-256, P-384 or P-521 required)", ErrUnsupportedAlgorithm, name)
	}
}

// publicKeysEqual reports whether two public keys are the same.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	ka, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ka.Equal(b)
}

// ecdsaDERToRaw converts an ASN.1 DER ECDSA signature into fixed-width r‖s.
func ecdsaDERToRaw(der []byte, size int) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 || sig.R == nil || sig.S == nil || sig.R.Sign() <= 0 || sig.S.Sign() <= 0 {
		return nil, fmt.Errorf("xades: the signer returned a malformed ECDSA signature")
	}
	if sig.R.BitLen() > size*8 || sig.S.BitLen() > size*8 {
		return nil, fmt.Errorf("xades: the signer returned an oversized ECDSA signature")
	}
	out := make([]byte, 2*size)
	sig.R.FillBytes(out[:size])
	sig.S.FillBytes(out[size:])
	return out, nil
}

// countIDs counts the elements in the subtree of el that carry an Id, ID or id attribute
// (in no namespace) or xml:id equal to id.
func countIDs(el *etree.Element, id string) int {
	n := 0
	if hasID(el, id) {
		n++
	}
	for _, ch := range el.ChildElements() {
		n += countIDs(ch, id)
	}
	return n
}

// hasID reports whether el carries the identifier id.
func hasID(el *etree.Element, id string) bool {
	for _, a := range el.Attr {
		if a.Value != id {
			continue
		}
		if (a.Space == "" && (a.Key == "Id" || a.Key == "ID" || a.Key == "id")) || (a.Space == "xml" && a.Key == "id") {
			return true
		}
	}
	return false
}
