package idcheck

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ksef2/ksef"
)

// TestNumberCheckAgreesWithRoot compares Check with the root package
// on random numbers and their mutants.
func TestNumberCheckAgreesWithRoot(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 500 {
		n := []byte(ksef.NewKSeFNumber(ksef.RandomNIP(r), time.Date(2025, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC), r))
		if i%2 == 1 {
			n[r.IntN(len(n))] = "0123456789ABCDEF-"[r.IntN(17)]
		}
		_, rootErr := ksef.ParseKSeFNumber(string(n))
		if Kind(string(n)) != "KSeF number" {
			continue
		}
		res, err := Check(string(n))
		if (rootErr == nil) != (err == nil) || res.Valid != (err == nil) {
			t.Fatalf("%s: root %v, check %v", n, rootErr, err)
		}
	}
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
