package fa3

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ksef2/ksef/internal/checksum"
)

func (b *builder) text(field, v string, max int, required bool) {
	switch {
	case v == "" && required:
		b.fail("%s is required", field)
	case utf8.RuneCountInString(v) > max:
		b.fail("%s is longer than %d characters", field, max)
	case strings.TrimSpace(v) != v:
		b.fail("%s %q has leading or trailing spaces", field, v)
	}
}

func (b *builder) date(field, v string, required bool) {
	if v == "" {
		if required {
			b.fail("%s is required", field)
		}
		return
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		b.fail("%s %q is not a date (want YYYY-MM-DD)", field, v)
		return
	}
	if d.Year() < 2006 || d.After(time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC)) {
		b.fail("%s %s is outside 2006-01-01..2050-01-01", field, v)
	}
}

func (b *builder) nip(field, v string) {
	if err := checkNIP(v); err != nil {
		b.fail("%s: %v", field, err)
	}
}

// checkNIP checks a NIP's shape and checksum (weights 6,5,7,2,3,4,5,6,7,
// sum modulo 11 equals the last digit), with the check digit of
// internal/checksum that ksef.ParseNIP uses too (fa3 does not import the
// root package).
func checkNIP(s string) error {
	if s == "" {
		return errors.New("NIP is required")
	}
	if len(s) != 10 || strings.Trim(s, "0123456789") != "" {
		return fmt.Errorf("NIP %q must be 10 digits", s)
	}
	if s[0] == '0' || (s[1] == '0' && s[2] == '0') {
		return fmt.Errorf("NIP %q is not a valid NIP", s)
	}
	if checksum.NIPCheckDigit(s) != int(s[9]-'0') {
		return fmt.Errorf("NIP %q has a wrong checksum", s)
	}
	return nil
}

// checkKSeFNumber checks a 35-character KSeF number's shape and CRC-8
// (polynomial 0x07 over the first 32 characters), or a legacy
// 36-character number's shape.
func checkKSeFNumber(s string) error {
	if len(s) == 36 && s[10] == '-' && s[19] == '-' && s[26] == '-' && s[33] == '-' {
		return nil
	}
	if len(s) != 35 || s[10] != '-' || s[19] != '-' || s[32] != '-' {
		return fmt.Errorf("KSeF number %q must look like NNNNNNNNNN-YYYYMMDD-XXXXXXXXXXXX-CC", s)
	}
	if strings.Trim(s[:10]+s[11:19], "0123456789") != "" || strings.Trim(s[20:32]+s[33:], "0123456789ABCDEF") != "" {
		return fmt.Errorf("KSeF number %q has invalid characters", s)
	}
	if want := checksum.CRC8Hex(s[:32]); want != s[33:] {
		return fmt.Errorf("KSeF number %q has a wrong checksum (want %s)", s, want)
	}
	return nil
}
