package ident

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// ErrInvalidIdentifier is the sentinel matched (with errors.Is) by every
// *[IdentifierError]: a NIP, PESEL, internal identifier, NIP-VAT UE,
// Peppol ID, KSeF number, collective identifier or reference number that
// failed local validation.
var ErrInvalidIdentifier = errors.New("ksef: invalid identifier")

// Kind names the kind of identifier an [IdentifierError] is about, in the
// words of its error message ("NIP", "KSeF number", ...). It is not the
// [Type] of KSeF's JSON: a KSeF number or a reference number has a Kind but
// no Type.
type Kind string

// The identifier kinds validated by this package.
const (
	// KindNIP is a NIP ([NIP]).
	KindNIP Kind = "NIP"
	// KindPESEL is a PESEL ([PESEL]).
	KindPESEL Kind = "PESEL"
	// KindInternalID is an internal identifier ([InternalID]).
	KindInternalID Kind = "InternalId"
	// KindNipVatUe is a NIP-VAT UE identifier ([NipVatUe]).
	KindNipVatUe Kind = "NipVatUe"
	// KindPeppolID is a Peppol service provider identifier ([PeppolID]).
	KindPeppolID Kind = "PeppolId"
	// KindKSeFNumber is a KSeF invoice number ([KSeFNumber]).
	KindKSeFNumber Kind = "KSeF number"
	// KindCollectiveIdentifier is a collective identifier ([CollectiveIdentifier]).
	KindCollectiveIdentifier Kind = "collective identifier"
	// KindReferenceNumber is a reference number ([ReferenceNumber]).
	KindReferenceNumber Kind = "reference number"
)

// ReasonChecksum is the [IdentifierError.Reason] of an identifier whose
// shape is right but whose check digit or CRC-8 is wrong.
const ReasonChecksum = "checksum mismatch"

// IdentifierError reports why a string is not a valid identifier of the
// given kind. It matches [ErrInvalidIdentifier] with errors.Is.
type IdentifierError struct {
	Kind   Kind   // what was being parsed
	Value  string // the rejected input, truncated to 64 bytes
	Reason string // short English explanation, e.g. "checksum mismatch"
}

// Error implements the error interface.
func (e *IdentifierError) Error() string {
	return fmt.Sprintf("ksef: invalid %s %q: %s", e.Kind, e.Value, e.Reason)
}

// Is reports whether target is [ErrInvalidIdentifier].
func (e *IdentifierError) Is(target error) bool { return target == ErrInvalidIdentifier }

func idError(kind Kind, value, reason string) error {
	return &IdentifierError{Kind: kind, Value: truncate(value), Reason: reason}
}

// truncate shortens a rejected input to 64 bytes for an error message.
func truncate(value string) string {
	const maxValue = 64
	if len(value) > maxValue {
		value = value[:maxValue] + "..."
	}
	return value
}

func idIsDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func idIsUpperHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// idRandIntN returns a uniform integer in [0,n) from r, or from the global
// generator of math/rand/v2 when r is nil.
func idRandIntN(r *rand.Rand, n int) int {
	if r == nil {
		return rand.IntN(n)
	}
	return r.IntN(n)
}

func idRandDigits(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte('0' + idRandIntN(r, 10))
	}
}
