package checksum

import (
	"fmt"
	"testing"
)

// TestCRC8Official checks the CRC-8 against the examples of the KSeF
// documentation and the CRC-8/SMBUS check value.
func TestCRC8Official(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		// faktury/numer-ksef.md: KSeF number 5265877635-20250826-0100001AF629-AF.
		{"5265877635-20250826-0100001AF629", "AF"},
		// Collective identifier 1111111111-IZ202607-65ED02180000-E7.
		{"1111111111-IZ202607-65ED02180000", "E7"},
		// CRC-8/SMBUS check value of "123456789" is 0xF4.
		{"123456789", "F4"},
	} {
		if got := CRC8Hex(tc.in); got != tc.want {
			t.Errorf("CRC8Hex(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if got := fmt.Sprintf("%02X", CRC8(tc.in)); got != tc.want {
			t.Errorf("CRC8(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestCRC8Bitwise compares CRC8 with a polynomial division written out
// bit by bit over the whole message.
func TestCRC8Bitwise(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "a", "\x00", "\xff\x80", "5265877635-20250826-0100001AF629", "20250625-EE-319D7EE000-B67F415CDC"} {
		// Append 8 zero bits and divide by x^8+x^2+x+1 (0x107).
		var reg uint16
		bits := make([]byte, 0, 8*len(s)+8)
		for i := 0; i < len(s); i++ {
			for b := 7; b >= 0; b-- {
				bits = append(bits, s[i]>>b&1)
			}
		}
		bits = append(bits, make([]byte, 8)...)
		for _, b := range bits {
			reg = reg<<1 | uint16(b)
			if reg&0x100 != 0 {
				reg ^= 0x107
			}
		}
		if got := CRC8(s); got != byte(reg) {
			t.Errorf("CRC8(%q) = %#02x, long division gives %#02x", s, got, reg)
		}
	}
}

// TestNIPCheckDigit checks known NIPs and prefixes that no NIP can have.
func TestNIPCheckDigit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		nine string
		want int
	}{
		{"526587763", 5}, // 5265877635, the KSeF documentation's seller
		{"111111111", 1}, // 1111111111, the collective identifier example
		{"526104082", 8}, // 526-104-08-28
		{"900000000", -1},
		{"123456789", -1},
		{"1234567890", -1}, // only the first nine characters count
	} {
		if got := NIPCheckDigit(tc.nine); got != tc.want {
			t.Errorf("NIPCheckDigit(%s) = %d, want %d", tc.nine, got, tc.want)
		}
	}
}
