package ident

import (
	"errors"
	"math/rand/v2"
	"testing"
)

func TestNIPCheckDigit(t *testing.T) {
	if c, err := NIPCheckDigit("526587763"); err != nil || c != 5 {
		t.Errorf("NIPCheckDigit(526587763) = %d, %v; want 5 (NIP 5265877635)", c, err)
	}
	// Every valid NIP ends with the check digit of its first nine digits;
	// prefixes without one are checked against ParseNIP.
	r := rand.New(rand.NewPCG(1, 2))
	sawNone := false
	for range 2000 {
		n := string(RandomNIP(r))
		c, err := NIPCheckDigit(n[:9])
		if err != nil || c != int(n[9]-'0') {
			t.Fatalf("NIPCheckDigit(%s) = %d, %v; the valid NIP %s ends with %c", n[:9], c, err, n, n[9])
		}
		// The same nine digits with the last one changed until no check
		// digit exists: ParseNIP must then refuse every tenth digit.
		for d := byte('0'); d <= '9'; d++ {
			p := n[:8] + string(d)
			if c, _ := NIPCheckDigit(p); c == -1 {
				sawNone = true
				for last := byte('0'); last <= '9'; last++ {
					if _, err := ParseNIP(p + string(last)); err == nil {
						t.Fatalf("NIPCheckDigit(%s) = -1, but ParseNIP accepts %s", p, p+string(last))
					}
				}
			}
		}
	}
	if !sawNone {
		t.Error("no prefix without a check digit seen")
	}
	for _, bad := range []string{"", "52658776", "5265877635", "52658776a"} {
		if _, err := NIPCheckDigit(bad); !errors.Is(err, ErrInvalidIdentifier) {
			t.Errorf("NIPCheckDigit(%q): err = %v", bad, err)
		}
	}
}

func TestExpectedChecksum(t *testing.T) {
	// The example of the KSeF documentation and a collective identifier.
	for _, id := range []string{"5265877635-20250826-0100001AF629-AF", "1111111111-IZ202607-65ED02180000-E7"} {
		if got := ExpectedChecksum(id[:32]); got != id[33:] {
			t.Errorf("ExpectedChecksum(%s) = %s, want %s", id[:32], got, id[33:])
		}
		if got := ExpectedChecksum(id); got != id[33:] {
			t.Errorf("ExpectedChecksum of the whole %s = %s", id, got)
		}
	}
}
