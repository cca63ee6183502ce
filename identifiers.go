package ksef

import (
	"math/rand/v2"
	"time"

	"github.com/ksef2/ksef/ident"
)

// The identifiers of KSeF live in package [ident]; the root package keeps
// the names a client user reaches for when calling the client: the types,
// the error, and the parsers. The generators of test data, the kinds of
// [IdentifierError] and the reference number are in [ident] only.

// ErrInvalidIdentifier is [ident.ErrInvalidIdentifier]: every
// *[IdentifierError] matches it with errors.Is.
var ErrInvalidIdentifier = ident.ErrInvalidIdentifier

// IdentifierError is [ident.IdentifierError]: why a string is not a valid
// identifier of the given [ident.Kind].
type IdentifierError = ident.IdentifierError

// NIP is [ident.NIP], a Polish tax identification number.
type NIP = ident.NIP

// PESEL is [ident.PESEL], a Polish personal identification number.
type PESEL = ident.PESEL

// InternalID is [ident.InternalID], the internal identifier
// "{NIP}-{5 digits}" of a subunit.
type InternalID = ident.InternalID

// NipVatUe is [ident.NipVatUe], the composite identifier
// "{NIP}-{EU VAT number}".
type NipVatUe = ident.NipVatUe

// PeppolID is [ident.PeppolID], a Peppol service provider identifier.
type PeppolID = ident.PeppolID

// KSeFNumber is [ident.KSeFNumber], the number KSeF assigns to an accepted
// invoice.
type KSeFNumber = ident.KSeFNumber

// CollectiveIdentifier is [ident.CollectiveIdentifier], a collective
// identifier grouping KSeF numbers.
type CollectiveIdentifier = ident.CollectiveIdentifier

// ParseNIP parses a 10-digit NIP; see [ident.ParseNIP].
func ParseNIP(s string) (NIP, error) { return ident.ParseNIP(s) }

// NormalizeNIP parses a NIP as people write it ("PL 526-104-08-28"); see
// [ident.NormalizeNIP].
func NormalizeNIP(s string) (NIP, error) { return ident.NormalizeNIP(s) }

// ParsePESEL parses an 11-digit PESEL; see [ident.ParsePESEL].
func ParsePESEL(s string) (PESEL, error) { return ident.ParsePESEL(s) }

// ParseInternalID parses an internal identifier "{NIP}-{5 digits}"; see
// [ident.ParseInternalID].
func ParseInternalID(s string) (InternalID, error) { return ident.ParseInternalID(s) }

// ParseNipVatUe parses "{NIP}-{EU VAT number}"; see [ident.ParseNipVatUe].
func ParseNipVatUe(s string) (NipVatUe, error) { return ident.ParseNipVatUe(s) }

// ParsePeppolID parses a Peppol service provider identifier; see
// [ident.ParsePeppolID].
func ParsePeppolID(s string) (PeppolID, error) { return ident.ParsePeppolID(s) }

// ParseKSeFNumber parses a KSeF number, checking its CRC-8; see
// [ident.ParseKSeFNumber].
func ParseKSeFNumber(s string) (KSeFNumber, error) { return ident.ParseKSeFNumber(s) }

// ParseCollectiveIdentifier parses a collective identifier, checking its
// CRC-8; see [ident.ParseCollectiveIdentifier].
func ParseCollectiveIdentifier(s string) (CollectiveIdentifier, error) {
	return ident.ParseCollectiveIdentifier(s)
}

// RandomNIP returns a random valid NIP for test data.
//
// Deprecated: use [ident.RandomNIP].
func RandomNIP(r *rand.Rand) NIP { return ident.RandomNIP(r) }

// RandomPESEL returns a random valid PESEL for test data.
//
// Deprecated: use [ident.RandomPESEL].
func RandomPESEL(r *rand.Rand) PESEL { return ident.RandomPESEL(r) }

// NewKSeFNumber returns a new KSeF number for test data.
//
// Deprecated: use [ident.NewKSeFNumber].
func NewKSeFNumber(nip NIP, date time.Time, r *rand.Rand) KSeFNumber {
	return ident.NewKSeFNumber(nip, date, r)
}
