// Package xades creates enveloped XAdES-BES signatures and verifies the enveloped and enveloping
// XAdES signatures that KSeF 2.0 accepts on AuthTokenRequest documents
// (POST /auth/xades-signature), and that the simulator checks.
// Package ksef calls it for you in AuthService.LoginWithCertificate; use it directly to sign
// elsewhere or to check a signature:
//
//	signed, err := xades.Sign(doc, cert, key, nil)          // key: any crypto.Signer (RSA, ECDSA)
//	v, err := xades.Verify(signed, nil)                     // v.Certificate, v.SigningTime, v.SignedXML, v.Warnings
//
// # What Sign produces
//
// [Sign] appends one ds:Signature element (Id "Signature") as the last child of the document
// element, leaving the rest of the document byte for byte as it was. Its SignedInfo is
// canonicalised with Exclusive C14N (C14N 1.0 and 1.1 on request) and signed with
// rsa-sha256 (RSASSA-PKCS1-v1_5, keys of 2048 bits or more) or ecdsa-sha256 (P-256 and larger
// NIST curves; the SignatureValue is the fixed-width r‖s pair of XML-DSig 1.1, not DER). It has
// exactly two references, both with SHA-256 digests:
//
//   - URI="" with the enveloped-signature and Exclusive C14N transforms: the whole document
//     without the signature;
//   - URI="#SignedProperties" with Type "http://uri.etsi.org/01903#SignedProperties" and
//     Exclusive C14N: the xades:SignedProperties element.
//
// KeyInfo carries the signing certificate. ds:Object holds xades:QualifyingProperties
// (Target="#Signature") whose SignedSignatureProperties hold SigningTime (UTC) and
// SigningCertificate/Cert with the SHA-256 CertDigest of the certificate and its IssuerSerial
// (X509IssuerName formatted by [FormatName] the way .NET formats names, and the decimal serial
// number). Any [crypto.Signer] works, including keys held in hardware.
//
// # What Verify checks
//
// [Verify] accepts the signature forms KSeF documents (ksef-facts §2.2) and nothing looser:
//
//   - the document is at most [VerifyOptions.MaxBytes] long ([DefaultMaxBytes], 1 MiB, unless
//     set; checked before parsing, [ErrTooLarge]) and is well-formed UTF-8 XML without DOCTYPE
//     holding exactly one ds:Signature, which is either a direct child of the document element
//     (enveloped) or the document element itself (enveloping, the signed element being the
//     only content of one ds:Object);
//   - SignedInfo is canonicalised with C14N 1.0, C14N 1.1 or Exclusive C14N, each with or
//     without comments, and has exactly two references: the document and the
//     xades:SignedProperties of this signature's own QualifyingProperties;
//   - the document reference of an enveloped signature is URI="" and must filter the
//     signature out with the enveloped-signature transform, the XPath transform
//     not(ancestor-or-self::ds:Signature) or an XPath Filter 2.0 subtract of
//     /descendant::ds:Signature, //ds:Signature or here()/ancestor::ds:Signature[1]; these
//     transforms are carried out on the node-set (the selected ds:Signature subtrees are
//     removed), and XPath prefixes must be bound to the XML-DSig namespace. Other XPath
//     expressions and filters are refused: no general XPath engine is involved;
//   - the document reference of an enveloping signature is URI="#id" naming the content
//     ds:Object; its content may be base64-encoded (base64 transform), in which case the
//     decoded octets are what is digested and must be an XML document;
//   - after the filters a reference may end with one canonicalisation (C14N 1.0, 1.1,
//     Exclusive, with or without comments; C14N 1.0 is implied otherwise). Same-document
//     references never include comments. C14N 1.1 performs the xml:base fixup for absolute
//     base URIs and refuses relative ones on omitted ancestors;
//   - identifiers are unique in the document, so a SignedProperties element or a signed
//     ds:Object cannot be moved, duplicated or wrapped (signature-wrapping attacks), and an
//     enveloping signature holds no ds:Object besides its content and its properties;
//   - digests are SHA-1, SHA-224, SHA-256, SHA-384, SHA-512 or SHA3-256/384/512 and match;
//   - the signature method is RSASSA-PKCS1-v1_5 (SHA-1/256/384/512), RSASSA-PSS
//     (sha256/384/512-rsa-MGF1, sha3-*-rsa-MGF1, or rsa-pss with RSAPSSParams: the MGF1
//     digest must be the message digest, trailer field 1) or ECDSA (SHA-1/256/384/512,
//     SHA3-256/384/512) and matches the key in the certificate; RSA keys have at least 2048
//     bits, EC keys use P-256, P-384 or P-521, and ECDSA values are r‖s of exactly twice the
//     curve size;
//   - the KeyInfo certificate (the first one when there are several) is the one named by
//     SigningCertificate (CertDigest and IssuerSerial) or SigningCertificateV2 (CertDigest and
//     optional IssuerSerialV2), and it is valid at [VerifyOptions.Now] (and chains to
//     [VerifyOptions.Roots] when given). X509IssuerName is compared with the certificate's
//     issuer as a distinguished name: the same number of RDNs, in RFC 4514 or X.500 order,
//     each with the same attribute types (OIDs; names such as CN, S/ST, E, SERIALNUMBER and
//     "OID."-prefixed or dotted forms accepted) and values (compared after collapsing white
//     space and folding case; "#hex" DER values equal when the DER or the decoded strings
//     are equal), whatever the spelling (RFC 4514, RFC 2253, .NET, escapes, quoting, spaces
//     around separators). X509SerialNumber is compared as a decimal integer.
//
// SHA-1, in a digest, CertDigest or the signature method, is accepted but reported in
// [Verified.Warnings] with code [WarningNonConforming] ("sig-001"): KSeF flags it as not
// conforming (and DEMO and production reportedly refuse it).
//
// Each class of rejection wraps one of the sentinel errors ([ErrStructure], [ErrDigestMismatch],
// [ErrBadSignature], [ErrCertificateMismatch], [ErrUnsupportedAlgorithm],
// [ErrCertificateValidity], [ErrTooLarge]), so callers use errors.Is. On success [Verified]
// gives the signing certificate, the signing time, the warnings and the signed element as
// canonical XML ([Verified.SignedXML]): read the signed content from there.
//
// Documents are parsed with etree. Exclusive canonicalisation builds on goxmldsig's etreeutils
// (namespace detaching and the exclusive transform, with fixes for xmlns="" and for the order
// of prefixed attributes); inclusive C14N 1.0/1.1 is implemented here. Both are checked
// against xmllint and xmlsec1 in the tests, and Verify is tested with documents signed by
// xmlsec1 in every accepted form (package xadestest). goxmldsig's signer and validator are not used:
// they handle neither the SignedProperties reference nor r‖s ECDSA values. Attribute values
// are normalised as XML requires (literal tabs and line breaks become spaces) before
// canonicalisation, which encoding/xml does not do by itself.
package xades
