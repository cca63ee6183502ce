package ident

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ksef2/ksef/internal/checksum"
)

// CollectiveIdentifier is a collective identifier (identyfikator zbiorczy,
// API 2.7.0+) grouping KSeF numbers of invoices of one seller:
// "NNNNNNNNNN-IZYYYYMM-XXXXXXXXXXXX-CC" (35 characters): the seller's NIP, the
// literal "IZ", the year and month of creation, 12 uppercase hexadecimal
// technical characters and the same CRC-8 checksum as a [KSeFNumber] over the
// first 32 characters. Example from the API spec:
// 1111111111-IZ202607-65ED02180000-E7.
type CollectiveIdentifier string

// ParseCollectiveIdentifier parses a collective identifier, checking its
// shape, the "IZ" marker, the month, the technical part and the CRC-8
// checksum. The seller NIP is checked against the NIP pattern, not against
// the NIP checksum.
func ParseCollectiveIdentifier(s string) (CollectiveIdentifier, error) {
	if len(s) != 35 || s[10] != '-' || s[19] != '-' || s[32] != '-' {
		return "", idError(KindCollectiveIdentifier, s, "must have the form NNNNNNNNNN-IZYYYYMM-XXXXXXXXXXXX-CC")
	}
	if reason := nipShape(s[:10]); reason != "" {
		return "", idError(KindCollectiveIdentifier, s, "seller NIP "+reason)
	}
	if s[11:13] != "IZ" {
		return "", idError(KindCollectiveIdentifier, s, `missing "IZ" marker`)
	}
	if !idValidDate(s[13:19]) {
		return "", idError(KindCollectiveIdentifier, s, "invalid year and month")
	}
	if !idIsUpperHex(s[20:32]) {
		return "", idError(KindCollectiveIdentifier, s, "technical part must be uppercase hexadecimal")
	}
	if !idIsUpperHex(s[33:]) {
		return "", idError(KindCollectiveIdentifier, s, "checksum must be 2 uppercase hexadecimal digits")
	}
	if checksum.CRC8Hex(s[:32]) != s[33:] {
		return "", idError(KindCollectiveIdentifier, s, ReasonChecksum)
	}
	return CollectiveIdentifier(s), nil
}

// Validate reports whether c is a valid collective identifier (see
// [ParseCollectiveIdentifier]).
func (c CollectiveIdentifier) Validate() error {
	_, err := ParseCollectiveIdentifier(string(c))
	return err
}

// String returns the identifier.
func (c CollectiveIdentifier) String() string { return string(c) }

// SellerNIP returns the seller's NIP, the first 10 characters of c.
func (c CollectiveIdentifier) SellerNIP() NIP {
	if len(c) < 10 {
		return ""
	}
	return NIP(c[:10])
}

// Created returns the year and month of creation encoded in c as the first
// day of that month, midnight UTC, or the zero time when c has none.
func (c CollectiveIdentifier) Created() time.Time {
	if len(c) < 19 {
		return time.Time{}
	}
	t, err := time.Parse("200601", string(c[13:19]))
	if err != nil {
		return time.Time{}
	}
	return t
}

// Technical returns the 12 technical hexadecimal characters of c.
func (c CollectiveIdentifier) Technical() string {
	if len(c) != 35 {
		return ""
	}
	return string(c[20:32])
}

// NewCollectiveIdentifier returns a new collective identifier, valid when
// nip is a valid NIP and the year is 2020 or later, of seller nip created in the month of created (in created's location), with
// 12 random technical characters. It is meant for simulators and test data.
// A nil r uses the global generator of math/rand/v2.
func NewCollectiveIdentifier(nip NIP, created time.Time, r *rand.Rand) CollectiveIdentifier {
	var b strings.Builder
	b.Grow(35)
	b.WriteString(string(nip))
	b.WriteString("-IZ")
	b.WriteString(created.Format("200601"))
	b.WriteByte('-')
	b.WriteString(idRandHex(r, 12))
	data := b.String()
	return CollectiveIdentifier(data + "-" + checksum.CRC8Hex(data))
}
