package ident

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/testenv"
)

// idSpecPatterns loads the "pattern" of the named component schemas from the
// official OpenAPI spec, so that our parsers are checked against the
// regexes KSeF itself publishes.
func idSpecPatterns(t *testing.T, names ...string) map[string]*regexp.Regexp {
	t.Helper()
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Pattern string `json:"pattern"`
			} `json:"schemas"`
		} `json:"components"`
	}
	testenv.SpecJSON(t, "openapi.json", &doc)
	out := map[string]*regexp.Regexp{}
	for _, n := range names {
		p := doc.Components.Schemas[n].Pattern
		if p == "" {
			t.Fatalf("schema %s has no pattern in the spec", n)
		}
		out[n] = regexp.MustCompile(p)
	}
	return out
}

func wantInvalidID(t *testing.T, kind Kind, s string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s %q: accepted, want error", kind, s)
		return
	}
	if !errors.Is(err, ErrInvalidIdentifier) {
		t.Errorf("%s %q: error %v does not match ErrInvalidIdentifier", kind, s, err)
	}
	var ie *IdentifierError
	if !errors.As(err, &ie) || ie.Kind != kind || ie.Reason == "" {
		t.Errorf("%s %q: error %#v is not an *IdentifierError of that kind", kind, s, err)
	}
}

func TestParseNIP(t *testing.T) {
	t.Parallel()
	// 5261040828: 5*6+2*5+6*7+1*2+0*3+4*4+0*5+8*6+2*7 = 162, 162 mod 11 = 8.
	// 5265877635: the seller of the KSeF number example in the docs.
	// 1111111111: 45 mod 11 = 1 (used throughout the KSeF docs).
	for _, s := range []string{"5261040828", "5265877635", "1111111111", "7762811692", "5555555555"} {
		n, err := ParseNIP(s)
		if err != nil {
			t.Errorf("ParseNIP(%q): %v", s, err)
			continue
		}
		if n.String() != s || n.Validate() != nil {
			t.Errorf("ParseNIP(%q) = %q", s, n)
		}
	}
	for _, s := range []string{
		"",
		"526104082",   // 9 digits
		"52610408280", // 11 digits
		"5261040829",  // wrong check digit
		"526-104-08-28",
		"PL5261040828",
		"0261040828", // leading zero
		"5001040828", // 2nd and 3rd digit zero
		"52610408a8",
		"1234567890", // 1*6+2*5+3*7+4*2+5*3+6*4+7*5+8*6+9*7 = 230, mod 11 = 10: no valid check digit
		"５２６１０４０８２８",
	} {
		_, err := ParseNIP(s)
		wantInvalidID(t, KindNIP, s, err)
	}
}

func TestNormalizeNIP(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"5261040828", "526-104-08-28", "526 104 08 28", "PL5261040828", "PL 526-10-40-828", "pl5261040828"} {
		if n, err := NormalizeNIP(s); err != nil || n != "5261040828" {
			t.Errorf("NormalizeNIP(%q) = %q, %v", s, n, err)
		}
	}
	for _, s := range []string{"", "PL", "DE5261040828", "526/104/08/28", "5261040829", "PL-PL5261040828"} {
		_, err := NormalizeNIP(s)
		wantInvalidID(t, KindNIP, s, err)
	}
}

func TestParsePESEL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		s      string
		born   time.Time
		female bool
	}{
		// 44051401359: 4+12+0+45+1+12+0+9+3+15 = 101, check (10-1)%10 = 9.
		{"44051401359", time.Date(1944, 5, 14, 0, 0, 0, 0, time.UTC), false},
		// 03231512344: born 2003-03-15 (month 03+20); 0+9+14+27+1+15+7+18+3+12 = 106, check 4.
		{"03231512344", time.Date(2003, 3, 15, 0, 0, 0, 0, time.UTC), true},
		// 04222900007: born 2004-02-29 (leap year); 0+12+14+18+2+27+0+0+0+0 = 73, check 7.
		{"04222900007", time.Date(2004, 2, 29, 0, 0, 0, 0, time.UTC), true},
		// 88812900004: born 1888-01-29 (month 01+80); 8+24+56+9+2+27+0+0+0+0 = 126, check 4.
		{"88812900004", time.Date(1888, 1, 29, 0, 0, 0, 0, time.UTC), true},
	}
	for _, c := range cases {
		p, err := ParsePESEL(c.s)
		if err != nil {
			t.Errorf("ParsePESEL(%q): %v", c.s, err)
			continue
		}
		if !p.BirthDate().Equal(c.born) || p.IsFemale() != c.female || p.String() != c.s {
			t.Errorf("ParsePESEL(%q): born %v female %v", c.s, p.BirthDate(), p.IsFemale())
		}
	}
	for _, s := range []string{
		"",
		"4405140135",   // 10 digits
		"44051401358",  // wrong check digit
		"44051401359 ", // trailing space
		"44133101350",  // month 13
		"44023101350",  // 31 February
		"00822900000",  // 1800-02-29: not a leap year
		"0422290000a",
	} {
		_, err := ParsePESEL(s)
		wantInvalidID(t, KindPESEL, s, err)
	}
}

func TestParseInternalID(t *testing.T) {
	t.Parallel()
	// Examples from the API spec; their fifth digit is not the check digit of
	// the official clients, and they must still parse.
	for _, s := range []string{"7762811692-12345", "5555555555-12345"} {
		id, err := ParseInternalID(s)
		if err != nil {
			t.Errorf("ParseInternalID(%q): %v", s, err)
			continue
		}
		if id.HasValidCheckDigit() {
			t.Errorf("%s: HasValidCheckDigit = true, want false", s)
		}
		if id.NIP() != NIP(s[:10]) {
			t.Errorf("%s: NIP = %s", s, id.NIP())
		}
	}
	// Check digit by hand: 5265877635 + 1234, weights 1,3,1,3,...:
	// 5+6+6+15+8+21+7+18+3+15+1+6+3+12 = 126, 126 mod 10 = 6.
	id, err := NewInternalID("5265877635", 1234)
	if err != nil || id != "5265877635-12346" || !id.HasValidCheckDigit() {
		t.Errorf("NewInternalID = %q, %v; want 5265877635-12346", id, err)
	}
	if _, err := NewInternalID("5265877635", 10000); err == nil {
		t.Error("NewInternalID accepted serial 10000")
	}
	if _, err := NewInternalID("5265877636", 1); err == nil {
		t.Error("NewInternalID accepted an invalid NIP")
	}
	for _, s := range []string{
		"", "7762811692-1234", "7762811692-123456", "7762811692_12345",
		"7762811693-12345", // NIP checksum
		"7762811692-1234a", "0762811692-12345",
	} {
		_, err := ParseInternalID(s)
		wantInvalidID(t, KindInternalID, s, err)
	}
}

func TestParseNipVatUe(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"7762811692-DE123456789",
		"7762811692-ATU12345678",
		"7762811692-EL123456789",
		"7762811692-ESX1234567Y",
		"7762811692-IE1A12345B",
		"7762811692-XIGD123",
		"7762811692-NL123456789B01",
	} {
		v, err := ParseNipVatUe(s)
		if err != nil {
			t.Errorf("ParseNipVatUe(%q): %v", s, err)
			continue
		}
		if v.NIP() != "7762811692" || v.VATUE() != s[11:] || v.CountryCode() != s[11:13] {
			t.Errorf("%s: parts %s %s %s", s, v.NIP(), v.VATUE(), v.CountryCode())
		}
	}
	for _, s := range []string{
		"",
		// The spec's own example has 12 digits after DE, which its pattern
		// (DE\d{9}) rejects.
		"7762811692-DE123456789012",
		"7762811692-PL1234567890", // not an EU VAT of another state
		"7762811692-de123456789",
		"7762811693-DE123456789", // NIP checksum
		"7762811692DE123456789",
		"7762811692-",
	} {
		_, err := ParseNipVatUe(s)
		wantInvalidID(t, KindNipVatUe, s, err)
	}
}

func TestParsePeppolID(t *testing.T) {
	t.Parallel()
	if p, err := ParsePeppolID("PPL123456"); err != nil || p.String() != "PPL123456" {
		t.Errorf("ParsePeppolID: %q, %v", p, err)
	}
	for _, s := range []string{"", "PPL12345", "PPL1234567", "XPL123456", "Ppl123456", "P1L123456", "PPL12345A"} {
		_, err := ParsePeppolID(s)
		wantInvalidID(t, KindPeppolID, s, err)
	}
}

// TestRandomIdentifiersMatchSpec checks every generator against both our
// parser and the pattern published in the API spec.
func TestRandomIdentifiersMatchSpec(t *testing.T) {
	t.Parallel()
	re := idSpecPatterns(t, "Nip", "Pesel", "InternalId", "NipVatUe", "PeppolId", "KsefNumber")
	r := rand.New(rand.NewPCG(1, 2))
	check := func(schema, s string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s %q: %v", schema, s, err)
		}
		if !re[schema].MatchString(s) {
			t.Errorf("%s %q does not match the spec pattern", schema, s)
		}
	}
	day := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2000 {
		n := RandomNIP(r)
		check("Nip", string(n), n.Validate())
		p := RandomPESEL(r)
		check("Pesel", string(p), p.Validate())
		id := RandomInternalID(r)
		check("InternalId", string(id), id.Validate())
		if !id.HasValidCheckDigit() {
			t.Errorf("RandomInternalID %s: bad check digit", id)
		}
		v := RandomNipVatUe(r)
		check("NipVatUe", string(v), v.Validate())
		pp := RandomPeppolID(r)
		check("PeppolId", string(pp), pp.Validate())
		k := NewKSeFNumber(n, day.AddDate(0, 0, i), r)
		check("KsefNumber", string(k), k.Validate())
	}
	// nil uses the global generator.
	if RandomNIP(nil).Validate() != nil || RandomPESEL(nil).Validate() != nil {
		t.Error("generators with nil *rand.Rand produced invalid values")
	}
}

// TestParsersStricterThanSpec mutates valid identifiers and checks that
// whatever our parsers accept also matches the spec's pattern.
func TestParsersStricterThanSpec(t *testing.T) {
	t.Parallel()
	re := idSpecPatterns(t, "Nip", "Pesel", "InternalId", "NipVatUe", "PeppolId", "KsefNumber")
	r := rand.New(rand.NewPCG(3, 4))
	const alphabet = "0123456789ABCDEFZ-Pa "
	mutate := func(s string) string {
		b := []byte(s)
		switch r.IntN(3) {
		case 0:
			b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
		case 1:
			i := r.IntN(len(b))
			b = append(b[:i], b[i+1:]...)
		default:
			i := r.IntN(len(b) + 1)
			b = append(b[:i], append([]byte{alphabet[r.IntN(len(alphabet))]}, b[i:]...)...)
		}
		return string(b)
	}
	parsers := map[string]func(string) error{
		"Nip":        func(s string) error { _, err := ParseNIP(s); return err },
		"Pesel":      func(s string) error { _, err := ParsePESEL(s); return err },
		"InternalId": func(s string) error { _, err := ParseInternalID(s); return err },
		"NipVatUe":   func(s string) error { _, err := ParseNipVatUe(s); return err },
		"PeppolId":   func(s string) error { _, err := ParsePeppolID(s); return err },
		"KsefNumber": func(s string) error { _, err := ParseKSeFNumber(s); return err },
	}
	gens := map[string]func() string{
		"Nip":        func() string { return string(RandomNIP(r)) },
		"Pesel":      func() string { return string(RandomPESEL(r)) },
		"InternalId": func() string { return string(RandomInternalID(r)) },
		"NipVatUe":   func() string { return string(RandomNipVatUe(r)) },
		"PeppolId":   func() string { return string(RandomPeppolID(r)) },
		"KsefNumber": func() string {
			return string(NewKSeFNumber(RandomNIP(r), time.Date(2026, 1, 1+r.IntN(300), 0, 0, 0, 0, time.UTC), r))
		},
	}
	for schema, gen := range gens {
		rejected := 0
		for range 3000 {
			s := mutate(gen())
			if err := parsers[schema](s); err == nil {
				if !re[schema].MatchString(s) {
					t.Errorf("%s: parser accepts %q, spec pattern rejects it", schema, s)
				}
			} else {
				rejected++
			}
		}
		if rejected == 0 {
			t.Errorf("%s: no mutation was rejected", schema)
		}
	}
}

func TestIdentifierErrorTruncatesValue(t *testing.T) {
	t.Parallel()
	long := make([]byte, 10000)
	for i := range long {
		long[i] = '7'
	}
	_, err := ParseNIP(string(long))
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("error for a 10000-byte input: %d bytes", len(err.Error()))
	}
}

func FuzzParseNIP(f *testing.F) {
	for _, s := range []string{"5261040828", "1111111111", "0000000000", "526104082"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if m, err := NormalizeNIP(s); err == nil && m.Validate() != nil {
			t.Fatalf("NormalizeNIP(%q) = invalid %q", s, m)
		}
		n, err := ParseNIP(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidIdentifier) {
				t.Fatalf("error %v is not ErrInvalidIdentifier", err)
			}
			return
		}
		if n.String() != s || n.Validate() != nil {
			t.Fatalf("round trip %q -> %q", s, n)
		}
		if m, err := NormalizeNIP(s); err != nil || m != n {
			t.Fatalf("NormalizeNIP(%q) = %q, %v", s, m, err)
		}
	})
}

func FuzzParsePESEL(f *testing.F) {
	for _, s := range []string{"44051401359", "03231512344", "00000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePESEL(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidIdentifier) {
				t.Fatalf("error %v is not ErrInvalidIdentifier", err)
			}
			return
		}
		if p.String() != s || p.BirthDate().IsZero() {
			t.Fatalf("accepted %q without a birth date", s)
		}
	})
}

func FuzzParseInternalID(f *testing.F) {
	for _, s := range []string{"7762811692-12345", "5265877635-12346", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseInternalID(s)
		if err != nil {
			return
		}
		if id.String() != s || id.NIP().Validate() != nil {
			t.Fatalf("accepted %q with invalid NIP part", s)
		}
		_ = id.HasValidCheckDigit()
	})
}

func FuzzParseNipVatUe(f *testing.F) {
	for _, s := range []string{"7762811692-DE123456789", "7762811692-XIGD123", "7762811692-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseNipVatUe(s)
		if err != nil {
			return
		}
		if v.String() != s || v.NIP().Validate() != nil || len(v.CountryCode()) != 2 {
			t.Fatalf("accepted %q", s)
		}
	})
}

func FuzzParsePeppolID(f *testing.F) {
	f.Add("PPL123456")
	f.Add("P")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeppolID(s)
		if err == nil && p.String() != s {
			t.Fatalf("round trip %q -> %q", s, p)
		}
	})
}

func TestCheckNIPPattern(t *testing.T) {
	t.Parallel()
	re := idSpecPatterns(t, "Nip")["Nip"]
	// 5261040829 has a wrong check digit but the shape of a NIP.
	for _, s := range []string{"5261040828", "5261040829", "1234567890", "", "0261040828", "5001040828", "52610408a8", "526104082"} {
		err := CheckNIPPattern(s)
		if (err == nil) != re.MatchString(s) {
			t.Errorf("CheckNIPPattern(%q) = %v, spec pattern match %v", s, err, re.MatchString(s))
		}
		if err != nil {
			wantInvalidID(t, KindNIP, s, err)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		t  Type
		ok string
		no string
	}{
		{TypeNip, "5261040828", "5261040829"},
		{TypePesel, "44051401359", "44051401358"},
		{TypeInternalID, "7762811692-12345", "7762811693-12345"},
		{TypeNipVatUe, "7762811692-DE123456789", "7762811692-DE12345678"},
		{TypePeppolID, "PPL123456", "PPL12345"},
	} {
		if err := Validate(c.t, c.ok); err != nil {
			t.Errorf("Validate(%s, %q): %v", c.t, c.ok, err)
		}
		if err := Validate(c.t, c.no); !errors.Is(err, ErrInvalidIdentifier) {
			t.Errorf("Validate(%s, %q) = %v, want ErrInvalidIdentifier", c.t, c.no, err)
		}
	}
	for _, typ := range []Type{TypeFingerprint, TypeOther, "Bogus", ""} {
		if err := Validate(typ, "5261040828"); !errors.Is(err, ErrInvalidIdentifier) {
			t.Errorf("Validate(%q) = %v, want ErrInvalidIdentifier", typ, err)
		}
	}
}
