package ident

import "github.com/ksef2/ksef/internal/checksum"

// NIPCheckDigit returns the check digit that a NIP beginning with the nine
// digits prefix must end with (the digits weighted 6,5,7,2,3,4,5,6,7,
// summed modulo 11), for explaining a rejected NIP. It returns -1 when the
// sum is 10, so that no valid NIP begins with prefix, and an
// *[IdentifierError] when prefix is not nine ASCII digits.
func NIPCheckDigit(prefix string) (int, error) {
	if len(prefix) != 9 || !allDigits(prefix) {
		return 0, idError(KindNIP, prefix, "check digit needs the first 9 digits")
	}
	return checksum.NIPCheckDigit(prefix), nil
}

// ExpectedChecksum returns the CRC-8 checksum, as the two uppercase
// hexadecimal digits KSeF writes, that a KSeF number or collective
// identifier must end with given its first 32 characters (everything before
// the last dash). Longer input is cut to 32 characters, so the whole
// 35-character identifier may be passed.
func ExpectedChecksum(s string) string {
	if len(s) > 32 {
		s = s[:32]
	}
	return checksum.CRC8Hex(s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
