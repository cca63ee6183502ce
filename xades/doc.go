// Package xades creates and verifies the enveloped XAdES-BES signatures that KSeF 2.0 accepts on
// AuthTokenRequest documents (POST /auth/xades-signature), and that the simulator checks.
// Package ksef calls it for you in AuthService.LoginWithCertificate; use it directly to sign
// elsewhere or to check a signature:
//
//	signed, err := xades.Sign(doc, cert, key, nil)          // key: any crypto.Signer (RSA, ECDSA)
//	v, err := xades.Verify(signed, nil)                     // v.Certificate, v.SigningTime, v.Root
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
// [Verify] is strict and accepts what KSeF clients commonly send:
//
//   - the document is well-formed UTF-8 XML without DOCTYPE and holds exactly one ds:Signature,
//     a direct child of the document element (enveloped form);
//   - SignedInfo has a C14N 1.0, C14N 1.1 or Exclusive C14N CanonicalizationMethod and exactly
//     two references: one URI="" reference (enveloped-signature, then optionally one
//     canonicalisation transform) and one reference to the xades:SignedProperties of this
//     signature's own QualifyingProperties (optionally one canonicalisation transform); other
//     transforms, URIs and extra references are rejected;
//   - identifiers are unique in the document, so a SignedProperties element cannot be moved,
//     duplicated or wrapped (signature-wrapping attacks);
//   - digests are SHA-256, SHA-384 or SHA-512 and match; SHA-1 is refused;
//   - the signature method is RSA or ECDSA with SHA-256/384/512 and matches the key in the
//     certificate; RSA keys have at least 2048 bits, EC keys use P-256 or a larger NIST curve,
//     and ECDSA values are r‖s of exactly twice the curve size;
//   - the KeyInfo certificate (the first one when there are several) is the one named by
//     SigningCertificate (CertDigest and IssuerSerial, whose X509IssuerName may be written in
//     any common RFC 4514 / RFC 2253 / .NET spelling) or SigningCertificateV2 (CertDigest and
//     optional IssuerSerialV2), and it is valid at [VerifyOptions.Now] (and chains to
//     [VerifyOptions.Roots] when given).
//
// Each class of rejection wraps one of the sentinel errors ([ErrStructure], [ErrDigestMismatch],
// [ErrBadSignature], [ErrCertificateMismatch], [ErrUnsupportedAlgorithm],
// [ErrCertificateValidity]), so callers use errors.Is. On success [Verified] gives the signing
// certificate, the signing time and the parsed document, whose content outside ds:Signature is
// exactly what was signed.
//
// Documents are parsed with etree. Exclusive canonicalisation builds on goxmldsig's etreeutils
// (namespace detaching and the exclusive transform, with fixes for xmlns="" and for the order
// of prefixed attributes); inclusive C14N 1.0/1.1 is implemented here. Both are checked
// against xmllint and xmlsec1 in the tests. goxmldsig's signer and validator are not used:
// they handle neither the SignedProperties reference nor r‖s ECDSA values. Attribute values
// are normalised as XML requires (literal tabs and line breaks become spaces) before
// canonicalisation, which encoding/xml does not do by itself.
package xades
