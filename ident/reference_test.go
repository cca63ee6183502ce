package ident

import (
	"errors"
	"math/rand/v2"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/testenv"
)

// TestReferenceNumberSpecExamples parses every reference number quoted in
// the API spec, and checks the checksum of those whose date was not edited
// by hand.
func TestReferenceNumberSpecExamples(t *testing.T) {
	t.Parallel()
	// The spec's schema fixes only the length: check that first.
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				MinLength int `json:"minLength"`
				MaxLength int `json:"maxLength"`
			} `json:"schemas"`
		} `json:"components"`
	}
	testenv.SpecJSON(t, "openapi.json", &doc)
	if s := doc.Components.Schemas["ReferenceNumber"]; s.MinLength != 36 || s.MaxLength != 36 {
		t.Fatalf("spec ReferenceNumber length %d-%d, want 36", s.MinLength, s.MaxLength)
	}
	raw, err := os.ReadFile(testenv.SpecFile(t, "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Anything in the spec that looks like a reference number, loosely.
	loose := regexp.MustCompile(`"(\d{8}-[A-Z]{2}-[0-9A-Fa-f-]{24})"`)
	seen := map[string]bool{}
	for _, m := range loose.FindAllSubmatch(raw, -1) {
		seen[string(m[1])] = true
	}
	if len(seen) < 10 {
		t.Fatalf("found only %d reference numbers in the spec", len(seen))
	}
	withSum := 0
	for s := range seen {
		r, err := ParseReferenceNumber(s)
		if err != nil {
			t.Errorf("spec example %s: %v", s, err)
			continue
		}
		if r.HasValidChecksum() {
			withSum++
		}
	}
	// All but the three examples of 2025-09-18 (copies of older ones with
	// the date changed) carry the CRC-8.
	if withSum < len(seen)-3 {
		t.Errorf("only %d of %d spec examples have a valid CRC-8", withSum, len(seen))
	}
}

func TestParseReferenceNumber(t *testing.T) {
	t.Parallel()
	r, err := ParseReferenceNumber("20250625-EE-319D7EE000-B67F415CDC-2C")
	if err != nil {
		t.Fatal(err)
	}
	if r.Category() != "EE" || !r.Date().Equal(time.Date(2025, 6, 25, 0, 0, 0, 0, time.UTC)) ||
		r.String() != string(r) || !r.HasValidChecksum() {
		t.Errorf("parts: %s %v %v", r.Category(), r.Date(), r.HasValidChecksum())
	}
	if ReferenceNumber("20250625-EE-319D7EE000-B67F415CDC-2D").HasValidChecksum() {
		t.Error("HasValidChecksum accepted a wrong checksum")
	}
	for _, s := range []string{
		"",
		"20250625-EE-319D7EE000-B67F415CDC-2",   // 35 characters
		"20250625-EE-319D7EE000-B67F415CDC-2CC", // 37 characters
		"20250625-ee-319D7EE000-B67F415CDC-2C",  // lowercase category
		"20250625-E1-319D7EE000-B67F415CDC-2C",
		"20250625-EE-319d7EE000-B67F415CDC-2C", // lowercase hex
		"20250625-EE-319D7EE000-B67F415CDC-2G",
		"20251325-EE-319D7EE000-B67F415CDC-2C", // month 13
		"20250230-EE-319D7EE000-B67F415CDC-2C", // 30 February
		"20190625-EE-319D7EE000-B67F415CDC-2C", // before 2020
		"20250625_EE-319D7EE000-B67F415CDC-2C",
		"a1b2c3d4-e5f6-4789-ab12-cd34ef567890", // a UUID (error responses)
		"5265877635-20250826-0100001AF629-AF",  // a KSeF number
		"2025062-EE-319D7EE000-B67F415CDC-2C0",
	} {
		_, err := ParseReferenceNumber(s)
		wantInvalidID(t, KindReferenceNumber, s, err)
	}
}

func TestNewReferenceNumber(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(9, 10))
	day := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	seen := map[ReferenceNumber]bool{}
	for range 200 {
		r := NewReferenceNumber("SO", day, rnd)
		if err := r.Validate(); err != nil {
			t.Fatal(err)
		}
		if !r.HasValidChecksum() || r.Category() != "SO" || !r.Date().Equal(time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("%s: parts", r)
		}
		seen[r] = true
	}
	if len(seen) != 200 {
		t.Errorf("%d distinct of 200", len(seen))
	}
	if NewReferenceNumber("AU", day, nil).Validate() != nil {
		t.Error("nil generator: invalid")
	}
}

func FuzzParseReferenceNumber(f *testing.F) {
	for _, s := range []string{
		"20250625-EE-319D7EE000-B67F415CDC-2C",
		"20250918-EU-2EBD6FA000-242EB9B66D-43",
		"a1b2c3d4-e5f6-4789-ab12-cd34ef567890",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReferenceNumber(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidIdentifier) {
				t.Fatalf("error %v is not ErrInvalidIdentifier", err)
			}
			return
		}
		if r.String() != s || r.Date().IsZero() || len(r.Category()) != 2 || r.Validate() != nil {
			t.Fatalf("accepted %q with broken parts", s)
		}
		_ = r.HasValidChecksum()
	})
}
