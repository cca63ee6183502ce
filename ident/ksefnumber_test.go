package ident

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/checksum"
)

// TestCRC8DocExample is the example of the KSeF documentation
// (faktury/numer-ksef.md): CRC-8 of "5265877635-20250826-0100001AF629" is
// AF, so that number parses and every other checksum is rejected.
func TestCRC8DocExample(t *testing.T) {
	t.Parallel()
	const body = "5265877635-20250826-0100001AF629"
	for i := range 256 {
		sum := fmt.Sprintf("%02X", i)
		_, err := ParseKSeFNumber(body + "-" + sum)
		if (err == nil) != (sum == "AF") {
			t.Errorf("checksum %s: err %v", sum, err)
		}
	}
}

func TestParseKSeFNumber(t *testing.T) {
	t.Parallel()
	k, err := ParseKSeFNumber("5265877635-20250826-0100001AF629-AF")
	if err != nil {
		t.Fatal(err)
	}
	if k.SellerNIP() != "5265877635" || k.Technical() != "0100001AF629" || k.IsLegacy() {
		t.Errorf("parts: %s %s %v", k.SellerNIP(), k.Technical(), k.IsLegacy())
	}
	if want := time.Date(2025, 8, 26, 0, 0, 0, 0, time.UTC); !k.Date().Equal(want) {
		t.Errorf("Date = %v, want %v", k.Date(), want)
	}
	if k.Normalized() != string(k) || k.String() != string(k) {
		t.Errorf("Normalized/String = %s/%s", k.Normalized(), k.String())
	}

	// A KSeF 1.0 number from TEST (July 2023) quoted in
	// CIRFMF/ksef-client-csharp#26: its checksum is not CRC-8 and must still parse.
	legacy, err := ParseKSeFNumber("7781464139-20230721-80B510-9675F7-B5")
	if err != nil {
		t.Fatalf("legacy number: %v", err)
	}
	if !legacy.IsLegacy() || legacy.Technical() != "80B5109675F7" || legacy.Normalized() != "7781464139-20230721-80B5109675F7-B5" {
		t.Errorf("legacy parts: %v %s %s", legacy.IsLegacy(), legacy.Technical(), legacy.Normalized())
	}

	for _, s := range []string{
		"",
		"5265877635-20250826-0100001AF629-AE", // wrong checksum
		"5265877635-20250826-0100001AF629-af", // lowercase checksum
		"5265877635-20250826-0100001af629-AF", // lowercase technical part
		"5265877635-20250832-0100001AF629-AF", // day 32
		"5265877635-20250229-0100001AF629-AF", // 2025 is not a leap year
		"5265877635-20190826-0100001AF629-AF", // year before 2020
		"0265877635-20250826-0100001AF629-AF", // NIP pattern
		"5265877635 20250826 0100001AF629 AF",
		"5265877635-20250826-0100001AF629-AF-",
		"5265877635-20250826-0100001AF629AF",
		"5265877635-20250826-0100001AF62G-AF",
		"7781464139-20230721-80B510-9675F7-B",
		"7781464139-20230721-80B5109-675F7-B5",
	} {
		_, err := ParseKSeFNumber(s)
		wantInvalidID(t, KindKSeFNumber, s, err)
	}
}

func TestNewKSeFNumber(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	warsaw, err := time.LoadLocation("Europe/Warsaw")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	// 23:30 UTC on 31 Dec is already 1 Jan in Warsaw.
	d := time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC).In(warsaw)
	seen := map[KSeFNumber]bool{}
	for range 100 {
		k := NewKSeFNumber("5265877635", d, r)
		if err := k.Validate(); err != nil {
			t.Fatal(err)
		}
		if k.Date() != time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) || k.SellerNIP() != "5265877635" {
			t.Fatalf("%s: date %v", k, k.Date())
		}
		seen[k] = true
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct numbers out of 100", len(seen))
	}
}

// TestKSeFNumberDetectsSingleErrors checks that any single-character change
// of a valid number is caught (a CRC-8 detects all single-byte errors).
func TestKSeFNumberDetectsSingleErrors(t *testing.T) {
	t.Parallel()
	const valid = "5265877635-20250826-0100001AF629-AF"
	for i := range len(valid) {
		for _, c := range []byte("0123456789ABCDEF-") {
			if c == valid[i] {
				continue
			}
			b := []byte(valid)
			b[i] = c
			if _, err := ParseKSeFNumber(string(b)); err == nil {
				t.Errorf("accepted %s", b)
			}
		}
	}
}

func FuzzParseKSeFNumber(f *testing.F) {
	for _, s := range []string{
		"5265877635-20250826-0100001AF629-AF",
		"7781464139-20230721-80B510-9675F7-B5",
		"1111111111-IZ202607-65ED02180000-E7",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKSeFNumber(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidIdentifier) {
				t.Fatalf("error %v is not ErrInvalidIdentifier", err)
			}
			return
		}
		if k.String() != s || k.Date().IsZero() || len(k.Technical()) != 12 || len(k.Normalized()) != 35 {
			t.Fatalf("accepted %q with broken parts", s)
		}
		if !k.IsLegacy() && checksum.CRC8Hex(s[:32]) != s[33:] {
			t.Fatalf("accepted %q with a wrong checksum", s)
		}
	})
}
