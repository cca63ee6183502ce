package xades

import (
	"crypto"
	_ "crypto/sha1" // registers crypto.SHA1 for SHA-1 digests (accepted with a warning)
	_ "crypto/sha256"
	_ "crypto/sha3" // registers crypto.SHA3_* for the SHA-3 algorithms
	_ "crypto/sha512"
	"fmt"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// Further algorithm identifiers recognised by [Verify].
const (
	// AlgSHA1 is the SHA-1 digest method (accepted with a [WarningNonConforming] warning).
	AlgSHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
	// AlgSHA224 is the SHA-224 digest method.
	AlgSHA224 = "http://www.w3.org/2001/04/xmldsig-more#sha224"
	// AlgSHA384 is the SHA-384 digest method.
	AlgSHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	// AlgSHA512 is the SHA-512 digest method.
	AlgSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
	// AlgSHA3_256 is the SHA3-256 digest method (RFC 6931).
	AlgSHA3_256 = "http://www.w3.org/2007/05/xmldsig-more#sha3-256"
	// AlgSHA3_384 is the SHA3-384 digest method (RFC 6931).
	AlgSHA3_384 = "http://www.w3.org/2007/05/xmldsig-more#sha3-384"
	// AlgSHA3_512 is the SHA3-512 digest method (RFC 6931).
	AlgSHA3_512 = "http://www.w3.org/2007/05/xmldsig-more#sha3-512"

	// AlgRSASHA1 is RSASSA-PKCS1-v1_5 with SHA-1 (accepted with a warning).
	AlgRSASHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	// AlgRSASHA384 is RSASSA-PKCS1-v1_5 with SHA-384.
	AlgRSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	// AlgRSASHA512 is RSASSA-PKCS1-v1_5 with SHA-512.
	AlgRSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"

	// AlgRSAPSS is RSASSA-PSS whose parameters are given by a pss:RSAPSSParams child of
	// SignatureMethod (RFC 6931 section 2.3.10).
	AlgRSAPSS = "http://www.w3.org/2007/05/xmldsig-more#rsa-pss"
	// AlgRSAPSSSHA256 is RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt.
	AlgRSAPSSSHA256 = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
	// AlgRSAPSSSHA384 is RSASSA-PSS with SHA-384, MGF1 with SHA-384 and a 48-byte salt.
	AlgRSAPSSSHA384 = "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1"
	// AlgRSAPSSSHA512 is RSASSA-PSS with SHA-512, MGF1 with SHA-512 and a 64-byte salt.
	AlgRSAPSSSHA512 = "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1"
	// AlgRSAPSSSHA3_256 is RSASSA-PSS with SHA3-256 (MGF1 and salt length to match).
	AlgRSAPSSSHA3_256 = "http://www.w3.org/2007/05/xmldsig-more#sha3-256-rsa-MGF1"
	// AlgRSAPSSSHA3_384 is RSASSA-PSS with SHA3-384 (MGF1 and salt length to match).
	AlgRSAPSSSHA3_384 = "http://www.w3.org/2007/05/xmldsig-more#sha3-384-rsa-MGF1"
	// AlgRSAPSSSHA3_512 is RSASSA-PSS with SHA3-512 (MGF1 and salt length to match).
	AlgRSAPSSSHA3_512 = "http://www.w3.org/2007/05/xmldsig-more#sha3-512-rsa-MGF1"

	// AlgECDSASHA1 is ECDSA with SHA-1 (accepted with a warning).
	AlgECDSASHA1 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"
	// AlgECDSASHA384 is ECDSA with SHA-384.
	AlgECDSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
	// AlgECDSASHA512 is ECDSA with SHA-512.
	AlgECDSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
	// AlgECDSASHA3_256 is ECDSA with SHA3-256 (RFC 9231).
	AlgECDSASHA3_256 = "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-256"
	// AlgECDSASHA3_384 is ECDSA with SHA3-384 (RFC 9231).
	AlgECDSASHA3_384 = "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-384"
	// AlgECDSASHA3_512 is ECDSA with SHA3-512 (RFC 9231).
	AlgECDSASHA3_512 = "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-512"

	// AlgBase64 is the base64 decoding transform.
	AlgBase64 = "http://www.w3.org/2000/09/xmldsig#base64"
	// AlgXPath is the XPath 1.0 filtering transform; only the expression
	// not(ancestor-or-self::ds:Signature) is accepted.
	AlgXPath = "http://www.w3.org/TR/1999/REC-xpath-19991116"
	// AlgXPathFilter2 is the XPath Filter 2.0 transform; only subtract filters that select
	// ds:Signature elements are accepted.
	AlgXPathFilter2 = "http://www.w3.org/2002/06/xmldsig-filter2"

	// namespacePSS is the namespace of pss:RSAPSSParams and pss:MaskGenerationFunction.
	namespacePSS = "http://www.w3.org/2007/05/xmldsig-more#"
	// algMGF1 is the MGF1 mask generation function.
	algMGF1 = "http://www.w3.org/2007/05/xmldsig-more#MGF1"
)

// digestMethods are the accepted DigestMethod algorithms.
var digestMethods = map[string]crypto.Hash{
	AlgSHA1:     crypto.SHA1,
	AlgSHA224:   crypto.SHA224,
	AlgSHA256:   crypto.SHA256,
	AlgSHA384:   crypto.SHA384,
	AlgSHA512:   crypto.SHA512,
	AlgSHA3_256: crypto.SHA3_256,
	AlgSHA3_384: crypto.SHA3_384,
	AlgSHA3_512: crypto.SHA3_512,
}

// keyKind is the family of a signature algorithm.
type keyKind int

const (
	kindRSA keyKind = iota
	kindPSS
	kindECDSA
)

type signatureMethod struct {
	kind keyKind
	hash crypto.Hash // zero for AlgRSAPSS: taken from RSAPSSParams
}

// signatureMethods are the accepted SignatureMethod algorithms.
var signatureMethods = map[string]signatureMethod{
	AlgRSASHA1:        {kindRSA, crypto.SHA1},
	AlgRSASHA256:      {kindRSA, crypto.SHA256},
	AlgRSASHA384:      {kindRSA, crypto.SHA384},
	AlgRSASHA512:      {kindRSA, crypto.SHA512},
	AlgRSAPSS:         {kindPSS, 0},
	AlgRSAPSSSHA256:   {kindPSS, crypto.SHA256},
	AlgRSAPSSSHA384:   {kindPSS, crypto.SHA384},
	AlgRSAPSSSHA512:   {kindPSS, crypto.SHA512},
	AlgRSAPSSSHA3_256: {kindPSS, crypto.SHA3_256},
	AlgRSAPSSSHA3_384: {kindPSS, crypto.SHA3_384},
	AlgRSAPSSSHA3_512: {kindPSS, crypto.SHA3_512},
	AlgECDSASHA1:      {kindECDSA, crypto.SHA1},
	AlgECDSASHA256:    {kindECDSA, crypto.SHA256},
	AlgECDSASHA384:    {kindECDSA, crypto.SHA384},
	AlgECDSASHA512:    {kindECDSA, crypto.SHA512},
	AlgECDSASHA3_256:  {kindECDSA, crypto.SHA3_256},
	AlgECDSASHA3_384:  {kindECDSA, crypto.SHA3_384},
	AlgECDSASHA3_512:  {kindECDSA, crypto.SHA3_512},
}

// pssParams are the effective RSASSA-PSS parameters of a signature.
type pssParams struct {
	hash       crypto.Hash
	saltLength int
}

// parseSignatureMethod resolves the SignatureMethod element: its algorithm and, for RSASSA-PSS,
// the parameters (RSAPSSParams: DigestMethod, MaskGenerationFunction MGF1 with the same digest,
// SaltLength, TrailerField 1; omitted values default to the algorithm's digest and a salt as
// long as the digest output). Other parameters are refused.
func parseSignatureMethod(el *etree.Element) (signatureMethod, *pssParams, error) {
	alg, _ := attr(el, "Algorithm")
	sm, ok := signatureMethods[alg]
	if !ok {
		return sm, nil, fmt.Errorf("%w: SignatureMethod %q", ErrUnsupportedAlgorithm, alg)
	}
	kids := el.ChildElements()
	if sm.kind != kindPSS {
		if len(kids) != 0 {
			return sm, nil, fmt.Errorf("%w: parameters of SignatureMethod %q", ErrUnsupportedAlgorithm, alg)
		}
		return sm, nil, nil
	}
	p := &pssParams{hash: sm.hash, saltLength: -1}
	switch {
	case len(kids) == 0:
	case len(kids) == 1 && is(kids[0], namespacePSS, "RSAPSSParams"):
		if err := p.parse(kids[0]); err != nil {
			return sm, nil, err
		}
	default:
		return sm, nil, fmt.Errorf("%w: SignatureMethod %q holds elements other than one pss:RSAPSSParams", ErrUnsupportedAlgorithm, alg)
	}
	if p.hash == 0 {
		return sm, nil, fmt.Errorf("%w: %s without RSAPSSParams/DigestMethod", ErrUnsupportedAlgorithm, alg)
	}
	if sm.hash != 0 && p.hash != sm.hash {
		return sm, nil, fmt.Errorf("%w: RSAPSSParams digest differs from SignatureMethod %q", ErrUnsupportedAlgorithm, alg)
	}
	if p.saltLength < 0 {
		p.saltLength = p.hash.Size()
	}
	sm.hash = p.hash
	return sm, p, nil
}

// parse reads pss:RSAPSSParams.
func (p *pssParams) parse(el *etree.Element) error {
	var mgfHash crypto.Hash
	for _, k := range el.ChildElements() {
		switch {
		case is(k, NamespaceDSig, "DigestMethod"):
			alg, _ := attr(k, "Algorithm")
			h, ok := digestMethods[alg]
			if !ok {
				return fmt.Errorf("%w: RSAPSSParams DigestMethod %q", ErrUnsupportedAlgorithm, alg)
			}
			if p.hash != 0 && p.hash != h {
				return fmt.Errorf("%w: RSAPSSParams DigestMethod %q differs from the SignatureMethod digest", ErrUnsupportedAlgorithm, alg)
			}
			p.hash = h
		case is(k, namespacePSS, "MaskGenerationFunction"):
			if alg, _ := attr(k, "Algorithm"); alg != "" && alg != algMGF1 {
				return fmt.Errorf("%w: mask generation function %q", ErrUnsupportedAlgorithm, alg)
			}
			mgfHash = crypto.SHA256 // RFC 6931: the default MGF1 digest is SHA-256
			if dm := k.ChildElements(); len(dm) == 1 && is(dm[0], NamespaceDSig, "DigestMethod") {
				alg, _ := attr(dm[0], "Algorithm")
				h, ok := digestMethods[alg]
				if !ok {
					return fmt.Errorf("%w: MGF1 DigestMethod %q", ErrUnsupportedAlgorithm, alg)
				}
				mgfHash = h
			} else if len(dm) != 0 {
				return structErr("MaskGenerationFunction must hold one DigestMethod")
			}
		case is(k, namespacePSS, "SaltLength"):
			n, err := strconv.Atoi(strings.TrimSpace(k.Text()))
			if err != nil || n < 0 || n > 1024 {
				return structErr("RSAPSSParams SaltLength %q", k.Text())
			}
			p.saltLength = n
		case is(k, namespacePSS, "TrailerField"):
			if strings.TrimSpace(k.Text()) != "1" {
				return fmt.Errorf("%w: RSAPSSParams TrailerField %q (only 1 is defined)", ErrUnsupportedAlgorithm, k.Text())
			}
		default:
			return structErr("unexpected element %s in RSAPSSParams", k.FullTag())
		}
	}
	if mgfHash != 0 && mgfHash != p.hash {
		// crypto/rsa uses MGF1 with the message digest; KSeF's profiles do the same.
		return fmt.Errorf("%w: MGF1 digest differs from the PSS message digest", ErrUnsupportedAlgorithm)
	}
	return nil
}

// isSHA1 reports whether h is SHA-1, which KSeF accepts but flags (see [WarningNonConforming]).
func isSHA1(h crypto.Hash) bool { return h == crypto.SHA1 }
