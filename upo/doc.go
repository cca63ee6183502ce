// Package upo parses the official confirmation of receipt (UPO, Urzędowe
// Poświadczenie Odbioru) that KSeF 2.0 issues for invoices and sessions, in
// the UPO v4-3 schema (namespace [Namespace], root element Potwierdzenie).
//
// [Parse] turns the XML into a [UPO] value with English field names; the
// comment of each field names the Polish element it comes from.
//
// # What Parse checks
//
//   - the document is well-formed XML whose root is Potwierdzenie in the
//     v4-3 namespace (other UPO versions are rejected with [ErrUnsupported]);
//   - every element the schema requires is present and non-empty: session
//     reference number, context identifier, authentication reference (KSeF
//     token reference or authentication document hash), logical structure
//     name, form code, and at least one Dokument;
//   - per document: the KSeF number is valid (ident.ParseKSeFNumber), the
//     seller NIP matches the NIP pattern, the invoice date is an xsd:date and the two
//     timestamps are xsd:dateTime values, the document hash is the Base64
//     form of 32 bytes, and the sending mode is Online or Offline;
//   - KSeF numbers are unique within the UPO (the schema's unique constraint);
//   - the page description (OpisPotwierdzenia), when present, holds positive
//     integers.
//
// # What Parse does not check
//
//   - The XAdES signature that KSeF places on real UPOs is neither required
//     nor verified by Parse: [UPO.Signed] only reports whether a
//     ds:Signature element is present. [Verify] checks the signature (with
//     package xades, up to [MaxSignedBytes], enough for a session UPO page
//     of 10,000 documents), returns the signing certificate and parses
//     only the signed content. The official samples in the KSeF
//     documentation are unsigned.
//   - NazwaPodmiotuPrzyjmujacego is read as is. The schema fixes it to
//     "Ministerstwo Finansów", but UPOs from the TEST environment carry
//     "Ministerstwo Finansów - środowisko testowe (TE)", so any non-empty
//     value is accepted.
//   - KSeF numbers are checked with ident.ParseKSeFNumber (CRC-8 included;
//     legacy 36-character numbers for their shape); seller NIPs only for the
//     NIP pattern (ident.CheckNIPPattern), not the NIP checksum. The
//     document is not validated against the XSD as a whole (facets such as
//     maximum lengths are not enforced).
package upo
