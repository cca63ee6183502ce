// Package ident holds the identifiers of KSeF 2.0 in one leaf package: the
// identifier types of KSeF's JSON ([Type], [Identifier]) and the parsers,
// checks and test-data generators of NIP ([ParseNIP]), PESEL, internal
// identifier, NIP-VAT UE, Peppol ID, KSeF number ([ParseKSeFNumber]),
// collective identifier and reference number ([ParseReferenceNumber]).
// Every parser fails with an *[IdentifierError] that matches
// [ErrInvalidIdentifier], so callers can reject a mistyped identifier
// before any I/O.
//
// The package imports only the standard library and internal/checksum, so
// that every other package of the module (the client, the simulator, the
// invoice, QR, UPO and rendering packages) can use it.
package ident

// Type is the type of an identifier as KSeF's JSON spells it in the "type"
// property of its identifier objects ("Nip", "Pesel", "Fingerprint", ...).
// Every identifier-type enumeration of the KSeF API is a subset of these
// values; which subset an operation accepts is documented on the operation.
type Type string

// The identifier types of the KSeF API (API 2.8.1).
const (
	// TypeNip is a Polish tax identification number (10 digits).
	TypeNip Type = "Nip"
	// TypePesel is a Polish personal identification number (11 digits).
	TypePesel Type = "Pesel"
	// TypeFingerprint is the SHA-256 fingerprint of a certificate (64 hex digits).
	TypeFingerprint Type = "Fingerprint"
	// TypeInternalID is an internal identifier "{nip}-{5 digits}".
	TypeInternalID Type = "InternalId"
	// TypeNipVatUe is a composite "{nip}-{EU VAT number}" identifier.
	TypeNipVatUe Type = "NipVatUe"
	// TypePeppolID is a Peppol service provider identifier, e.g. "PPL123456".
	TypePeppolID Type = "PeppolId"
	// TypeVatUe is an EU VAT number (buyer and third-party identifiers).
	TypeVatUe Type = "VatUe"
	// TypeOther is another identifier (buyer and third-party identifiers).
	TypeOther Type = "Other"
	// TypeNone means no identifier (buyer and third-party identifiers).
	TypeNone Type = "None"
	// TypeAllPartners stands for every partner (permission targets).
	TypeAllPartners Type = "AllPartners"
	// TypeSystem is KSeF itself (permission authors).
	TypeSystem Type = "System"
)

// Identifier is an identifier as KSeF's JSON carries it, e.g.
// {"type": "Nip", "value": "5265877635"}. Every "…Identifier" schema of the
// KSeF API with this shape is this type.
type Identifier struct {
	// Type is the kind of identifier.
	Type Type `json:"type"`
	// Value is the identifier itself.
	Value string `json:"value"`
}

// String returns "Type:Value", e.g. "Nip:5265877635".
func (id Identifier) String() string { return string(id.Type) + ":" + id.Value }
