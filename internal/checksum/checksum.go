// Package checksum holds the check-digit algorithms of KSeF identifiers,
// shared by the root package, the simulator, the CLI and fa3 (which may not
// import the root package): the CRC-8 of KSeF numbers, collective
// identifiers and reference numbers, and the NIP check digit.
package checksum

// CRC8 returns the CRC-8 of the bytes of s with polynomial 0x07, initial
// value 0, no reflection and no final XOR (CRC-8/SMBUS), the checksum KSeF
// appends to KSeF numbers, collective identifiers and reference numbers.
func CRC8(s string) byte {
	var c byte
	for i := 0; i < len(s); i++ {
		c ^= s[i]
		for range 8 {
			if c&0x80 != 0 {
				c = c<<1 ^ 0x07
			} else {
				c <<= 1
			}
		}
	}
	return c
}

// CRC8Hex returns [CRC8] of s as two uppercase hexadecimal digits, the
// form in which KSeF writes it.
func CRC8Hex(s string) string {
	const hex = "0123456789ABCDEF"
	c := CRC8(s)
	return string([]byte{hex[c>>4], hex[c&15]})
}

var nipWeights = [9]int{6, 5, 7, 2, 3, 4, 5, 6, 7}

// NIPCheckDigit returns the NIP check digit (0-9) of the first nine
// characters of s, which must be ASCII digits: the sum of the digits
// weighted 6,5,7,2,3,4,5,6,7 modulo 11. It returns -1 when that sum is 10:
// no valid NIP starts with those nine digits.
func NIPCheckDigit(s string) int {
	sum := 0
	for i, w := range nipWeights {
		sum += int(s[i]-'0') * w
	}
	c := sum % 11
	if c == 10 {
		return -1
	}
	return c
}
