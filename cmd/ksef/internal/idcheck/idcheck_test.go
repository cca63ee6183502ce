package idcheck

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ksef2/ksef/ident"
)

// TestNumberCheckAgreesWithIdent compares Check with package ident on
// random numbers and their mutants.
func TestNumberCheckAgreesWithIdent(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 500 {
		n := []byte(ident.NewKSeFNumber(ident.RandomNIP(r), time.Date(2025, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC), r))
		if i%2 == 1 {
			n[r.IntN(len(n))] = "0123456789ABCDEF-"[r.IntN(17)]
		}
		_, rootErr := ident.ParseKSeFNumber(string(n))
		if Kind(string(n)) != "KSeF number" {
			continue
		}
		res, err := Check(string(n))
		if (rootErr == nil) != (err == nil) || res.Valid != (err == nil) {
			t.Fatalf("%s: root %v, check %v", n, rootErr, err)
		}
	}
}

// TestHints: a wrong checksum or check digit is explained with the right
// one, which then passes.
func TestHints(t *testing.T) {
	for _, tc := range []struct{ in, hint, fixed string }{
		{"5265877635-20250826-0100001AF629-A0", "the checksum is A0, but the CRC-8 of the first 32 characters is AF", "5265877635-20250826-0100001AF629-AF"},
		{"1111111111-IZ202607-65ED02180000-E8", "the checksum is E8, but the CRC-8 of the first 32 characters is E7", "1111111111-IZ202607-65ED02180000-E7"},
		{"5265877636", "the last digit should be 5", "5265877635"},
		{"5265877635-20250826-0100001af629-AF", "letters must be uppercase: 5265877635-20250826-0100001AF629-AF", "5265877635-20250826-0100001AF629-AF"},
		{"5265877635-20251326-0100001AF629-AF", "", ""}, // bad date: no checksum hint
	} {
		r, err := Check(tc.in)
		if err == nil || r.Hint != tc.hint {
			t.Errorf("Check(%s): hint %q, err %v; want hint %q", tc.in, r.Hint, err, tc.hint)
		}
		if tc.fixed != "" {
			if _, err := Check(tc.fixed); err != nil {
				t.Errorf("the fixed %s: %v", tc.fixed, err)
			}
		}
	}
	// A NIP prefix without any check digit.
	for p := 123456700; p < 123456800; p++ {
		prefix := fmt.Sprint(p)
		if c, _ := ident.NIPCheckDigit(prefix); c == -1 {
			r, _ := Check(prefix + "0")
			if r.Hint != "no NIP starts with these 9 digits: their check digit would be 10" {
				t.Errorf("Check(%s0): hint %q", prefix, r.Hint)
			}
			return
		}
	}
	t.Error("no prefix without a check digit found")
}

func FuzzNumberCheck(f *testing.F) {
	for _, s := range []string{"5265877635-20250826-0100001AF629-AF", "1111111111-IZ202607-65ED02180000-E7", "5265877635", "x", "1111111111-iz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		res, err := Check(s)
		if (err == nil) != res.Valid {
			t.Fatalf("%q: valid %v, err %v", s, res.Valid, err)
		}
	})
}
