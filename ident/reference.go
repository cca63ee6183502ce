package ident

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ksef2/ksef/internal/checksum"
)

// ReferenceNumber is the number KSeF gives an asynchronous operation or an
// object it tracks (an authentication, a session, an invoice in a session,
// a UPO page, an export, a token, a certificate enrollment, a permission
// operation) and that later calls name in their paths, e.g.
// "20250625-EE-319D7EE000-B67F415CDC-2C": 36 characters, the date, two
// uppercase letters giving the category ("CR" challenge, "AU"
// authentication, "SO" online session, "SB" batch session, "EE" invoice,
// "EU" UPO page, "EH" export, "EC" token, ...), two groups of 10 uppercase
// hexadecimal characters and two more.
//
// The API schema ReferenceNumber fixes only the length (36); the rest of
// the format is what KSeF issues and what every example of the spec
// follows. In the examples the last two characters are the CRC-8 of the
// first 33 (as in a [KSeFNumber]), except in a few examples whose date was
// edited by hand, so [ParseReferenceNumber] does not enforce it;
// [ReferenceNumber.HasValidChecksum] reports it.
type ReferenceNumber string

// ParseReferenceNumber parses a reference number
// "YYYYMMDD-CC-XXXXXXXXXX-XXXXXXXXXX-XX" (see [ReferenceNumber]): 36
// characters, a real date from 2020 on, two uppercase letters, and
// uppercase hexadecimal digits in the last three groups. Callers use it to
// reject a mistyped reference number before any request is sent.
func ParseReferenceNumber(s string) (ReferenceNumber, error) {
	if len(s) != 36 || s[8] != '-' || s[11] != '-' || s[22] != '-' || s[33] != '-' {
		return "", idError(KindReferenceNumber, s, "must have the form YYYYMMDD-CC-XXXXXXXXXX-XXXXXXXXXX-XX (36 characters)")
	}
	if !idValidDate(s[:8]) {
		return "", idError(KindReferenceNumber, s, "invalid date")
	}
	if !idIsUpper(s[9:11]) {
		return "", idError(KindReferenceNumber, s, "category must be 2 uppercase letters")
	}
	if !idIsUpperHex(s[12:22]) || !idIsUpperHex(s[23:33]) || !idIsUpperHex(s[34:]) {
		return "", idError(KindReferenceNumber, s, "last three groups must be uppercase hexadecimal")
	}
	return ReferenceNumber(s), nil
}

// Validate reports whether r is a valid reference number (see
// [ParseReferenceNumber]).
func (r ReferenceNumber) Validate() error {
	_, err := ParseReferenceNumber(string(r))
	return err
}

// String returns the reference number as given.
func (r ReferenceNumber) String() string { return string(r) }

// Date returns the date at the start of r as midnight UTC of that calendar
// day, or the zero time when r has no valid date.
func (r ReferenceNumber) Date() time.Time {
	if len(r) < 8 {
		return time.Time{}
	}
	t, err := time.Parse("20060102", string(r[:8]))
	if err != nil {
		return time.Time{}
	}
	return t
}

// Category returns the two letters after the date ("SO", "EE", ...; see
// [ReferenceNumber]), or "" when r is too short.
func (r ReferenceNumber) Category() string {
	if len(r) < 11 {
		return ""
	}
	return string(r[9:11])
}

// HasValidChecksum reports whether r is valid and its last two characters
// are the CRC-8 of its first 33 characters, as in the reference numbers
// KSeF issues (see [ReferenceNumber]).
func (r ReferenceNumber) HasValidChecksum() bool {
	return r.Validate() == nil && checksum.CRC8Hex(string(r[:33])) == string(r[34:])
}

// NewReferenceNumber returns a new reference number of the given category
// (two uppercase letters, e.g. "SO") for date (its calendar day in date's
// location), with 20 random hexadecimal characters and the CRC-8 checksum.
// It is meant for simulators and test data; it is valid when category is
// two uppercase letters and the year is 2020 or later. A nil r uses the
// global generator of math/rand/v2.
func NewReferenceNumber(category string, date time.Time, r *rand.Rand) ReferenceNumber {
	var b strings.Builder
	b.Grow(36)
	b.WriteString(date.Format("20060102"))
	b.WriteByte('-')
	b.WriteString(category)
	b.WriteByte('-')
	b.WriteString(idRandHex(r, 10))
	b.WriteByte('-')
	b.WriteString(idRandHex(r, 10))
	body := b.String()
	return ReferenceNumber(body + "-" + checksum.CRC8Hex(body))
}

func idIsUpper(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
