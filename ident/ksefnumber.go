package ident

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ksef2/ksef/internal/checksum"
)

// KSeFNumber is the number KSeF assigns to an accepted invoice:
// "NNNNNNNNNN-YYYYMMDD-XXXXXXXXXXXX-CC" (35 characters): the seller's NIP,
// the acceptance date, 12 uppercase hexadecimal technical characters and a
// CRC-8 checksum (polynomial 0x07, initial value 0x00, no reflection, no
// final XOR) of the ASCII bytes of the first 32 characters, as two uppercase
// hexadecimal digits.
//
// The API also accepts the legacy 36-character numbers of KSeF 1.0, which
// have a dash in the middle of the technical part
// ("NNNNNNNNNN-YYYYMMDD-XXXXXX-XXXXXX-CC"). Their last two characters are not
// the CRC-8 described above (CIRFMF/ksef-api issue #55, CIRFMF/ksef-client-csharp
// issue #26), so [ParseKSeFNumber] checks only their shape.
type KSeFNumber string

// idValidDate reports whether d (8 digits YYYYMMDD or 6 digits YYYYMM)
// is a real date with the year allowed by the KSeF API pattern
// (20[2-9][0-9]|2[1-9]\d{2}|[3-9]\d{3}, i.e. 2020-9999).
func idValidDate(d string) bool {
	if !idIsDigits(d) {
		return false
	}
	layout := "200601"
	if len(d) == 8 {
		layout = "20060102"
	}
	t, err := time.Parse(layout, d)
	return err == nil && t.Year() >= 2020
}

// ParseKSeFNumber parses a KSeF number. A 35-character number must match the
// pattern of the KSeF API schema KsefNumber, carry a real acceptance date and
// a correct CRC-8 checksum. A 36-character legacy KSeF 1.0 number (see
// [KSeFNumber]) is checked for its shape and date only. The seller NIP is
// checked against the NIP pattern, not against the NIP checksum.
func ParseKSeFNumber(s string) (KSeFNumber, error) {
	var technical string
	switch len(s) {
	case 35:
		if s[10] != '-' || s[19] != '-' || s[32] != '-' {
			return "", idError(KindKSeFNumber, s, "must have the form NNNNNNNNNN-YYYYMMDD-XXXXXXXXXXXX-CC")
		}
		technical = s[20:32]
	case 36:
		if s[10] != '-' || s[19] != '-' || s[26] != '-' || s[33] != '-' {
			return "", idError(KindKSeFNumber, s, "must have the form NNNNNNNNNN-YYYYMMDD-XXXXXX-XXXXXX-CC")
		}
		technical = s[20:26] + s[27:33]
	default:
		return "", idError(KindKSeFNumber, s, "must be 35 characters (36 for KSeF 1.0 numbers)")
	}
	if reason := nipShape(s[:10]); reason != "" {
		return "", idError(KindKSeFNumber, s, "seller NIP "+reason)
	}
	if !idValidDate(s[11:19]) {
		return "", idError(KindKSeFNumber, s, "invalid date")
	}
	if !idIsUpperHex(technical) {
		return "", idError(KindKSeFNumber, s, "technical part must be uppercase hexadecimal")
	}
	sum := s[len(s)-2:]
	if !idIsUpperHex(sum) {
		return "", idError(KindKSeFNumber, s, "checksum must be 2 uppercase hexadecimal digits")
	}
	if len(s) == 35 && checksum.CRC8Hex(s[:32]) != sum {
		return "", idError(KindKSeFNumber, s, ReasonChecksum)
	}
	return KSeFNumber(s), nil
}

// Validate reports whether k is a valid KSeF number (see [ParseKSeFNumber]).
func (k KSeFNumber) Validate() error {
	_, err := ParseKSeFNumber(string(k))
	return err
}

// String returns the KSeF number as given.
func (k KSeFNumber) String() string { return string(k) }

// IsLegacy reports whether k has the 36-character KSeF 1.0 form.
func (k KSeFNumber) IsLegacy() bool { return len(k) == 36 }

// SellerNIP returns the seller's NIP, the first 10 characters of k.
func (k KSeFNumber) SellerNIP() NIP {
	if len(k) < 10 {
		return ""
	}
	return NIP(k[:10])
}

// Date returns the acceptance date encoded in k as midnight UTC of that
// calendar day (the day as KSeF wrote it), or the zero time when k has no
// valid date.
func (k KSeFNumber) Date() time.Time {
	if len(k) < 19 {
		return time.Time{}
	}
	t, err := time.Parse("20060102", string(k[11:19]))
	if err != nil {
		return time.Time{}
	}
	return t
}

// Technical returns the 12 technical hexadecimal characters of k (without
// the inner dash of a legacy number).
func (k KSeFNumber) Technical() string {
	switch len(k) {
	case 35:
		return string(k[20:32])
	case 36:
		return string(k[20:26] + k[27:33])
	}
	return ""
}

// Normalized returns k in the 35-character form: legacy numbers lose the
// dash inside the technical part (their checksum is kept as it is).
func (k KSeFNumber) Normalized() string {
	if len(k) == 36 {
		return string(k[:26] + k[27:])
	}
	return string(k)
}

// NewKSeFNumber returns a new KSeF number, valid when nip is a valid NIP and
// the year is 2020 or later, for an invoice of seller nip accepted on date (its calendar day in date's location: pass a time in
// Europe/Warsaw to follow KSeF), with 12 random technical characters. It is
// meant for simulators and test data. A nil r uses the global generator of
// math/rand/v2.
func NewKSeFNumber(nip NIP, date time.Time, r *rand.Rand) KSeFNumber {
	var b strings.Builder
	b.Grow(35)
	b.WriteString(string(nip))
	b.WriteByte('-')
	b.WriteString(date.Format("20060102"))
	b.WriteByte('-')
	b.WriteString(idRandHex(r, 12))
	data := b.String()
	return KSeFNumber(data + "-" + checksum.CRC8Hex(data))
}

func idRandHex(r *rand.Rand, n int) string {
	const hexDigits = "0123456789ABCDEF"
	b := make([]byte, n)
	for i := range b {
		b[i] = hexDigits[idRandIntN(r, 16)]
	}
	return string(b)
}
