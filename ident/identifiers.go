package ident

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ksef2/ksef/internal/checksum"
)

// ---------------------------------------------------------------------------
// NIP

// NIP is a Polish tax identification number (Numer Identyfikacji
// Podatkowej): 10 digits, the last one a checksum. Use [ParseNIP] to obtain
// a valid value; [NIP.Validate] checks a value built by conversion.
type NIP string

// nipShape checks the spec pattern ^[1-9]((\d[1-9])|([1-9]\d))\d{7}$ and
// returns a reason when s does not match.
func nipShape(s string) string {
	switch {
	case len(s) != 10:
		return "must be 10 digits"
	case !idIsDigits(s):
		return "must contain only digits"
	case s[0] == '0':
		return "must not start with 0"
	case s[1] == '0' && s[2] == '0':
		return "second and third digits must not both be 0"
	}
	return ""
}

// CheckNIPPattern reports, as an *[IdentifierError], whether s fails the
// pattern of the KSeF API schema Nip (^[1-9]((\d[1-9])|([1-9]\d))\d{7}$),
// without looking at the checksum. It is the check KSeF applies to the
// seller NIP of an invoice, of a KSeF number and of a verification link,
// where NIPs with a wrong check digit occur; use [ParseNIP] for a NIP you
// are given to act on.
func CheckNIPPattern(s string) error {
	if reason := nipShape(s); reason != "" {
		return idError(KindNIP, s, reason)
	}
	return nil
}

// ParseNIP parses a 10-digit NIP without separators or country prefix. It
// checks the pattern of the KSeF API schema Nip
// (^[1-9]((\d[1-9])|([1-9]\d))\d{7}$) and the checksum (weights
// 6,5,7,2,3,4,5,6,7, sum modulo 11 equals the last digit).
func ParseNIP(s string) (NIP, error) {
	if reason := nipShape(s); reason != "" {
		return "", idError(KindNIP, s, reason)
	}
	c := checksum.NIPCheckDigit(s)
	if c < 0 || c != int(s[9]-'0') {
		return "", idError(KindNIP, s, ReasonChecksum)
	}
	return NIP(s), nil
}

// NormalizeNIP parses a NIP as people write it: it drops spaces and dashes
// ("526-104-08-28", "526 104 08 28") and an optional "PL" prefix before
// calling [ParseNIP].
func NormalizeNIP(s string) (NIP, error) {
	var b strings.Builder
	for _, r := range s {
		if r != ' ' && r != '-' && r != '\u00a0' {
			b.WriteRune(r)
		}
	}
	t := b.String()
	if len(t) > 2 && (t[:2] == "PL" || t[:2] == "pl") {
		t = t[2:]
	}
	if _, err := ParseNIP(t); err != nil {
		return "", idError(KindNIP, s, err.(*IdentifierError).Reason)
	}
	return NIP(t), nil
}

// Validate reports whether n is a valid NIP (see [ParseNIP]).
func (n NIP) Validate() error {
	_, err := ParseNIP(string(n))
	return err
}

// String returns the NIP as 10 digits.
func (n NIP) String() string { return string(n) }

// RandomNIP returns a random valid NIP, uniformly among the numbers that
// pass [ParseNIP]. It is meant for test data: the KSeF TEST environment is
// shared between all integrators, so tests should use fresh random NIPs.
// A nil r uses the global generator of math/rand/v2.
func RandomNIP(r *rand.Rand) NIP {
	var b [10]byte
	for {
		idRandDigits(r, b[:9])
		if nipShape(string(b[:9])+"0") != "" {
			continue
		}
		c := checksum.NIPCheckDigit(string(b[:9]))
		if c < 0 {
			continue
		}
		b[9] = byte('0' + c)
		return NIP(b[:])
	}
}

// ---------------------------------------------------------------------------
// PESEL

// PESEL is a Polish personal identification number: 11 digits encoding the
// date of birth (the century in the month: +80 for 1800-1899, +0 for
// 1900-1999, +20 for 2000-2099, +40 for 2100-2199, +60 for 2200-2299), a
// serial number whose last digit gives the sex, and a check digit.
type PESEL string

var peselWeights = [10]int{1, 3, 7, 9, 1, 3, 7, 9, 1, 3}

func peselCheckDigit(s string) int {
	sum := 0
	for i, w := range peselWeights {
		sum += int(s[i]-'0') * w
	}
	return (10 - sum%10) % 10
}

// peselDate decodes the birth date of the first six digits of s.
func peselDate(s string) (time.Time, bool) {
	yy := int(s[0]-'0')*10 + int(s[1]-'0')
	mm := int(s[2]-'0')*10 + int(s[3]-'0')
	dd := int(s[4]-'0')*10 + int(s[5]-'0')
	var century int
	switch {
	case mm >= 81 && mm <= 92:
		century, mm = 1800, mm-80
	case mm >= 1 && mm <= 12:
		century = 1900
	case mm >= 21 && mm <= 32:
		century, mm = 2000, mm-20
	case mm >= 41 && mm <= 52:
		century, mm = 2100, mm-40
	case mm >= 61 && mm <= 72:
		century, mm = 2200, mm-60
	default:
		return time.Time{}, false
	}
	t := time.Date(century+yy, time.Month(mm), dd, 0, 0, 0, 0, time.UTC)
	if dd < 1 || t.Day() != dd || int(t.Month()) != mm {
		return time.Time{}, false
	}
	return t, true
}

// ParsePESEL parses an 11-digit PESEL. It checks the check digit (weights
// 1,3,7,9,1,3,7,9,1,3; (10 - sum mod 10) mod 10) and that the first six
// digits encode a real calendar date, which also covers the month ranges of
// the KSeF API schema Pesel.
func ParsePESEL(s string) (PESEL, error) {
	switch {
	case len(s) != 11:
		return "", idError(KindPESEL, s, "must be 11 digits")
	case !idIsDigits(s):
		return "", idError(KindPESEL, s, "must contain only digits")
	}
	if _, ok := peselDate(s); !ok {
		return "", idError(KindPESEL, s, "invalid birth date")
	}
	if peselCheckDigit(s) != int(s[10]-'0') {
		return "", idError(KindPESEL, s, ReasonChecksum)
	}
	return PESEL(s), nil
}

// Validate reports whether p is a valid PESEL (see [ParsePESEL]).
func (p PESEL) Validate() error {
	_, err := ParsePESEL(string(p))
	return err
}

// String returns the PESEL as 11 digits.
func (p PESEL) String() string { return string(p) }

// BirthDate returns the date of birth encoded in p (midnight UTC), or the
// zero time when p is not valid.
func (p PESEL) BirthDate() time.Time {
	if len(p) != 11 || !idIsDigits(string(p)) {
		return time.Time{}
	}
	t, _ := peselDate(string(p))
	return t
}

// IsFemale reports whether the sex digit (the tenth) of p is even.
func (p PESEL) IsFemale() bool {
	return len(p) == 11 && (p[9]-'0')%2 == 0
}

// RandomPESEL returns a random valid PESEL of a person born between
// 1940-01-01 and 2005-12-31, for test data. A nil r uses the global
// generator of math/rand/v2.
func RandomPESEL(r *rand.Rand) PESEL {
	start := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(time.Date(2005, 12, 31, 0, 0, 0, 0, time.UTC).Sub(start).Hours()/24) + 1
	d := start.AddDate(0, 0, idRandIntN(r, days))
	mm := int(d.Month())
	if d.Year() >= 2000 {
		mm += 20
	}
	head := fmt.Sprintf("%02d%02d%02d", d.Year()%100, mm, d.Day())
	var serial [4]byte
	idRandDigits(r, serial[:])
	s := head + string(serial[:])
	return PESEL(s + string(rune('0'+peselCheckDigit(s))))
}

// ---------------------------------------------------------------------------
// InternalID

// InternalID is the internal identifier (InternalId) of a subunit of a
// taxpayer: the NIP of the parent, a dash and 5 digits, 16 characters in all
// (KSeF API schema InternalId, pattern ^[1-9]((\d[1-9])|([1-9]\d))\d{7}-\d{5}$).
//
// The fifth digit is a check digit in the identifiers the official KSeF
// clients generate: CIRFMF/ksef-client-java, class
// pl.akmf.ksef.sdk.util.IdentifierGeneratorUtils (getInternalIdCheckSum),
// weights the 14 digits of NIP + the first 4 digits alternately 1,3,1,3,...
// and takes the sum modulo 10. The API schema does not require it and the
// spec's own examples (7762811692-12345, 5555555555-12345) do not satisfy
// it, so [ParseInternalID] does not enforce it; [InternalID.HasValidCheckDigit]
// reports it and [NewInternalID] and [RandomInternalID] produce it.
type InternalID string

func internalIDCheckDigit(nip, four string) int {
	digits := nip + four
	sum := 0
	for i := 0; i < len(digits); i++ {
		d := int(digits[i] - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return sum % 10
}

// ParseInternalID parses an internal identifier "{NIP}-{5 digits}". The NIP
// part must be a valid NIP (pattern and checksum). The fifth digit is not
// checked (see [InternalID]).
func ParseInternalID(s string) (InternalID, error) {
	if len(s) != 16 || s[10] != '-' {
		return "", idError(KindInternalID, s, "must be a NIP, a dash and 5 digits")
	}
	if !idIsDigits(s[11:]) {
		return "", idError(KindInternalID, s, "suffix must be 5 digits")
	}
	if _, err := ParseNIP(s[:10]); err != nil {
		return "", idError(KindInternalID, s, "NIP part: "+err.(*IdentifierError).Reason)
	}
	return InternalID(s), nil
}

// NewInternalID builds the internal identifier of the subunit number serial
// (0-9999) of nip, appending the check digit (see [InternalID]).
func NewInternalID(nip NIP, serial int) (InternalID, error) {
	if err := nip.Validate(); err != nil {
		return "", err
	}
	if serial < 0 || serial > 9999 {
		return "", idError(KindInternalID, fmt.Sprintf("%s-%d", nip, serial), "serial must be 0-9999")
	}
	four := fmt.Sprintf("%04d", serial)
	return InternalID(fmt.Sprintf("%s-%s%d", nip, four, internalIDCheckDigit(string(nip), four))), nil
}

// Validate reports whether id is a valid internal identifier (see
// [ParseInternalID]).
func (id InternalID) Validate() error {
	_, err := ParseInternalID(string(id))
	return err
}

// String returns the identifier as "{NIP}-{5 digits}".
func (id InternalID) String() string { return string(id) }

// NIP returns the NIP part of id (empty when id is too short).
func (id InternalID) NIP() NIP {
	if len(id) < 10 {
		return ""
	}
	return NIP(id[:10])
}

// HasValidCheckDigit reports whether the last digit of id is the check
// digit computed as the official KSeF clients do (see [InternalID]).
func (id InternalID) HasValidCheckDigit() bool {
	if id.Validate() != nil {
		return false
	}
	s := string(id)
	return internalIDCheckDigit(s[:10], s[11:15]) == int(s[15]-'0')
}

// RandomInternalID returns a random internal identifier of a random NIP,
// with a valid check digit. A nil r uses the global generator of
// math/rand/v2.
func RandomInternalID(r *rand.Rand) InternalID {
	id, err := NewInternalID(RandomNIP(r), idRandIntN(r, 10000))
	if err != nil {
		panic(err) // unreachable: RandomNIP is valid and the serial in range
	}
	return id
}

// ---------------------------------------------------------------------------
// NipVatUe

// NipVatUe is the composite identifier of a Polish entity and an EU entity:
// "{NIP}-{EU VAT number}" (KSeF API schema NipVatUe). The EU VAT number
// starts with its two-letter country code (EL for Greece, XI for Northern
// Ireland) and follows the per-country format of the schema's pattern.
type NipVatUe string

// vatUePattern is the EU VAT number part of the pattern of the KSeF API
// schema NipVatUe (API 2.8.1), compiled on first use (start-up time of
// programs that never parse one).
var vatUePattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(ATU\d{8}|BE[01]{1}\d{9}|BG\d{9,10}|CY\d{8}[A-Z]|CZ\d{8,10}|DE\d{9}|DK\d{8}|EE\d{9}|EL\d{9}|ES([A-Z]\d{8}|\d{8}[A-Z]|[A-Z]\d{7}[A-Z])|FI\d{8}|FR[A-Z0-9]{2}\d{9}|HR\d{11}|HU\d{8}|IE(\d{7}[A-Z]{2}|\d[A-Z0-9+*]\d{5}[A-Z])|IT\d{11}|LT(\d{9}|\d{12})|LU\d{8}|LV\d{11}|MT\d{8}|NL[A-Z0-9+*]{12}|PT\d{9}|RO\d{2,10}|SE\d{12}|SI\d{8}|SK\d{10}|XI((\d{9}|\d{12})|(GD|HA)\d{3}))$`)
})

// ParseNipVatUe parses "{NIP}-{EU VAT number}". The NIP part must be a valid
// NIP (pattern and checksum); the VAT number must match the per-country
// format of the KSeF API schema NipVatUe. Check digits of foreign VAT
// numbers are not verified.
func ParseNipVatUe(s string) (NipVatUe, error) {
	if len(s) < 12 || s[10] != '-' {
		return "", idError(KindNipVatUe, s, "must be a NIP, a dash and an EU VAT number")
	}
	if _, err := ParseNIP(s[:10]); err != nil {
		return "", idError(KindNipVatUe, s, "NIP part: "+err.(*IdentifierError).Reason)
	}
	if !vatUePattern().MatchString(s[11:]) {
		return "", idError(KindNipVatUe, s, "EU VAT number does not match the format of its country")
	}
	return NipVatUe(s), nil
}

// Validate reports whether v is a valid NIP-VAT UE identifier (see
// [ParseNipVatUe]).
func (v NipVatUe) Validate() error {
	_, err := ParseNipVatUe(string(v))
	return err
}

// String returns the identifier as "{NIP}-{EU VAT number}".
func (v NipVatUe) String() string { return string(v) }

// NIP returns the Polish NIP part of v (empty when v is too short).
func (v NipVatUe) NIP() NIP {
	if len(v) < 10 {
		return ""
	}
	return NIP(v[:10])
}

// VATUE returns the EU VAT number part of v, including its country code.
func (v NipVatUe) VATUE() string {
	if len(v) < 11 {
		return ""
	}
	return string(v[11:])
}

// CountryCode returns the two-letter prefix of the EU VAT number part (EL
// for Greece, XI for Northern Ireland).
func (v NipVatUe) CountryCode() string {
	if len(v) < 13 {
		return ""
	}
	return string(v[11:13])
}

// idVatUeGenerators build random EU VAT numbers for a few member states.
var idVatUeGenerators = []func(r *rand.Rand) string{
	func(r *rand.Rand) string { return "DE" + idRandDigitString(r, 9) },
	func(r *rand.Rand) string { return "ATU" + idRandDigitString(r, 8) },
	func(r *rand.Rand) string { return "CZ" + idRandDigitString(r, 8+idRandIntN(r, 3)) },
	func(r *rand.Rand) string { return "FR" + idRandDigitString(r, 11) },
	func(r *rand.Rand) string { return "IT" + idRandDigitString(r, 11) },
	func(r *rand.Rand) string { return "NL" + idRandDigitString(r, 9) + "B" + idRandDigitString(r, 2) },
	func(r *rand.Rand) string { return "SK" + idRandDigitString(r, 10) },
	func(r *rand.Rand) string { return "LT" + idRandDigitString(r, 9+3*idRandIntN(r, 2)) },
	func(r *rand.Rand) string {
		return "ES" + string(rune('A'+idRandIntN(r, 26))) + idRandDigitString(r, 8)
	},
}

func idRandDigitString(r *rand.Rand, n int) string {
	b := make([]byte, n)
	idRandDigits(r, b)
	return string(b)
}

// RandomNipVatUe returns a random valid NIP-VAT UE identifier: a random NIP
// and a random VAT number of one of several EU countries. A nil r uses the
// global generator of math/rand/v2.
func RandomNipVatUe(r *rand.Rand) NipVatUe {
	gen := idVatUeGenerators[idRandIntN(r, len(idVatUeGenerators))]
	return NipVatUe(string(RandomNIP(r)) + "-" + gen(r))
}

// ---------------------------------------------------------------------------
// PeppolID

// PeppolID identifies a Peppol service provider in KSeF: "P", two uppercase
// letters and six digits (KSeF API schema PeppolId, ^P[A-Z]{2}[0-9]{6}$).
type PeppolID string

// ParsePeppolID parses a Peppol service provider identifier.
func ParsePeppolID(s string) (PeppolID, error) {
	if len(s) != 9 {
		return "", idError(KindPeppolID, s, "must be 9 characters")
	}
	if s[0] != 'P' {
		return "", idError(KindPeppolID, s, `must start with "P"`)
	}
	if s[1] < 'A' || s[1] > 'Z' || s[2] < 'A' || s[2] > 'Z' {
		return "", idError(KindPeppolID, s, "characters 2-3 must be uppercase letters")
	}
	if !idIsDigits(s[3:]) {
		return "", idError(KindPeppolID, s, "must end with 6 digits")
	}
	return PeppolID(s), nil
}

// Validate reports whether p is a valid Peppol ID (see [ParsePeppolID]).
func (p PeppolID) Validate() error {
	_, err := ParsePeppolID(string(p))
	return err
}

// String returns the identifier.
func (p PeppolID) String() string { return string(p) }

// RandomPeppolID returns a random valid Peppol ID. A nil r uses the global
// generator of math/rand/v2.
func RandomPeppolID(r *rand.Rand) PeppolID {
	var b strings.Builder
	b.WriteByte('P')
	b.WriteByte(byte('A' + idRandIntN(r, 26)))
	b.WriteByte(byte('A' + idRandIntN(r, 26)))
	b.WriteString(idRandDigitString(r, 6))
	return PeppolID(b.String())
}
