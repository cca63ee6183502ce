package ident

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/checksum"
)

// TestCollectiveIdentifierSpecExample is the example of
// GenerateCollectiveIdentifierResponse in the API 2.8.1 spec.
func TestCollectiveIdentifierSpecExample(t *testing.T) {
	t.Parallel()
	c, err := ParseCollectiveIdentifier("1111111111-IZ202607-65ED02180000-E7")
	if err != nil {
		t.Fatal(err)
	}
	if c.SellerNIP() != "1111111111" || c.Technical() != "65ED02180000" {
		t.Errorf("parts: %s %s", c.SellerNIP(), c.Technical())
	}
	if want := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC); !c.Created().Equal(want) {
		t.Errorf("Created = %v, want %v", c.Created(), want)
	}
	// A KSeF number is not a collective identifier, and the reverse.
	if _, err := ParseCollectiveIdentifier("5265877635-20250826-0100001AF629-AF"); err == nil {
		t.Error("KSeF number accepted as a collective identifier")
	}
	if _, err := ParseKSeFNumber(string(c)); err == nil {
		t.Error("collective identifier accepted as a KSeF number")
	}
	for _, s := range []string{
		"",
		"1111111111-IZ202607-65ED02180000-E8",
		"1111111111-XZ202607-65ED02180000-E7",
		"1111111111-IZ202613-65ED02180000-E7",
		"1111111111-IZ201912-65ED02180000-E7",
		"1111111111-IZ202607-65ed02180000-E7",
		"1111111111-IZ202607-65ED02180000-e7",
		"0111111111-IZ202607-65ED02180000-E7",
		"1111111111-IZ202607-65ED0218000-E7",
		"9999999999-IZRRRRMM-XXXXXXXXXXXX-CC", // the format text of the spec
	} {
		_, err := ParseCollectiveIdentifier(s)
		wantInvalidID(t, KindCollectiveIdentifier, s, err)
	}
}

func TestNewCollectiveIdentifier(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 200 {
		created := time.Date(2026, time.Month(1+i%12), 15, 12, 0, 0, 0, time.UTC)
		c := NewCollectiveIdentifier("1111111111", created, r)
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if c.Created().Month() != created.Month() || c.Created().Year() != 2026 {
			t.Fatalf("%s: created %v", c, c.Created())
		}
	}
}

func FuzzParseCollectiveIdentifier(f *testing.F) {
	f.Add("1111111111-IZ202607-65ED02180000-E7")
	f.Add("5265877635-20250826-0100001AF629-AF")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCollectiveIdentifier(s)
		if err != nil {
			return
		}
		if c.String() != s || c.Created().IsZero() || checksum.CRC8Hex(s[:32]) != s[33:] || s[11:13] != "IZ" {
			t.Fatalf("accepted %q", s)
		}
	})
}
