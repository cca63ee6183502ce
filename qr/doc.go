// Package qr builds, signs, verifies and renders the KSeF verification
// codes printed on invoices (KSeF documentation "Kody weryfikujące QR").
//
// KOD I ([InvoiceLink]) lets anyone check an invoice in KSeF and download
// it:
//
//	https://qr-test.ksef.mf.gov.pl/invoice/{seller NIP}/{issue date DD-MM-YYYY}/{Base64URL SHA-256 of the file}
//
// It is built from the invoice file bytes, the seller NIP and the issue
// date (P_1) with [NewInvoiceLink], or from the invoice file alone with
// [InvoiceLinkFor], which reads the NIP and the date from the XML. Its label
// is the KSeF number, or
// [LabelOffline] while the invoice has none (see [InvoiceLabel]).
//
// KOD II ([CertificateLink]) accompanies invoices issued offline and proves
// the issuer with a KSeF certificate of type Offline:
//
//	https://qr-test.ksef.mf.gov.pl/certificate/{context type}/{context value}/{seller NIP}/{certificate serial}/{hash}/{signature}
//
// The signature covers [CertificateLink.SignedData] (the link without
// "https://" up to and including the hash) and is RSASSA-PSS (SHA-256,
// MGF1-SHA-256, 32-byte salt, RSA of at least 2048 bits) or ECDSA P-256 with
// SHA-256, encoded as r||s (recommended) or DER, in Base64URL without
// padding. [NewCertificateLink] signs with any crypto.Signer;
// [CertificateLink.Verify] checks the hash, the certificate serial, the
// certificate's validity period and the signature. Its label is
// [LabelCertificate].
//
// Links use the QR host of the environment: [TestHost], [DemoHost] or
// [ProductionHost]. [ParseLink] parses both kinds.
//
// [Encode] turns a link into a [Code] (error correction level M by default)
// that renders as PNG ([Code.WritePNG]) or SVG ([Code.WriteSVG]) with a
// quiet zone of 4 modules and the label printed below it in Go Regular.
//
// This package depends only on the standard library, boombuler/barcode,
// golang.org/x/image and the identifiers of package ident; it does not
// import the root ksef package. Seller NIPs are plain strings checked for
// the NIP pattern only ([ident.CheckNIPPattern]); context identifiers of
// KOD II are checked with [ident.Validate] (pattern and NIP checksum).
package qr
