// Package idcheck checks the identifiers a ksef user types (KSeF numbers,
// collective identifiers, NIPs) and explains what is wrong with an invalid
// one: the expected checksum, or a likely typing mistake.
package idcheck

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ksef2/ksef/ident"
)

// Result is the verdict on one identifier.
type Result struct {
	Input      string `json:"input"`
	Kind       string `json:"kind"`
	Valid      bool   `json:"valid"`
	Problem    string `json:"problem,omitempty"`
	Hint       string `json:"hint,omitempty"`
	SellerNIP  string `json:"sellerNip,omitempty"`
	Date       string `json:"date,omitempty"`
	Technical  string `json:"technical,omitempty"`
	Legacy     bool   `json:"legacy,omitempty"`
	Normalized string `json:"normalized,omitempty"`
	// Warning notes something that does not make the number invalid,
	// e.g. a seller NIP with a wrong checksum (KSeF checks only its shape).
	Warning string `json:"warning,omitempty"`
}

// Kind guesses what s is meant to be: "collective identifier", "NIP" or
// "KSeF number".
func Kind(s string) string {
	switch {
	case len(s) >= 13 && strings.EqualFold(s[11:13], "IZ"):
		return "collective identifier"
	case len(s) > 0 && len(s) <= 12 && strings.Trim(s, "0123456789") == "":
		return "NIP"
	default:
		return "KSeF number"
	}
}

// Check checks one KSeF number, collective identifier or NIP. An invalid
// one gives an error saying what is wrong, and a Result with Problem and
// Hint set.
func Check(in string) (Result, error) {
	s := strings.TrimSpace(in)
	r := Result{Input: in, Kind: Kind(s)}
	var err error
	var sellerNIP ident.NIP
	switch r.Kind {
	case "collective identifier":
		var c ident.CollectiveIdentifier
		if c, err = ident.ParseCollectiveIdentifier(s); err == nil {
			sellerNIP = c.SellerNIP()
			r.SellerNIP, r.Date, r.Technical = string(sellerNIP), c.Created().Format("2006-01"), c.Technical()
		}
	case "NIP":
		if _, err = ident.ParseNIP(s); err == nil {
			r.SellerNIP = s
		}
	default:
		var k ident.KSeFNumber
		if k, err = ident.ParseKSeFNumber(s); err == nil {
			sellerNIP = k.SellerNIP()
			r.SellerNIP, r.Date, r.Technical = string(sellerNIP), k.Date().Format("2006-01-02"), k.Technical()
			r.Legacy = k.IsLegacy()
			if r.Legacy {
				r.Normalized = k.Normalized()
			}
		}
	}
	if err != nil {
		var ie *ident.IdentifierError
		if errors.As(err, &ie) {
			r.Problem = ie.Reason
		} else {
			r.Problem = err.Error()
		}
		r.Hint = numberHint(s, r.Kind, r.Problem)
		msg := fmt.Sprintf("invalid %s %q: %s", r.Kind, in, r.Problem)
		if r.Hint != "" {
			msg += " (" + r.Hint + ")"
		}
		return r, errors.New(msg)
	}
	r.Valid = true
	if sellerNIP != "" {
		if _, err := ident.ParseNIP(string(sellerNIP)); err != nil {
			r.Warning = "the seller NIP " + string(sellerNIP) + " has a wrong checksum"
		}
	}
	return r, nil
}

// KSeFNumberFlag checks the value of a --ksef-number flag.
func KSeFNumberFlag(s string) error {
	r, err := Check(s)
	if err != nil {
		return fmt.Errorf("--ksef-number: %w", err)
	}
	if r.Kind != "KSeF number" {
		return fmt.Errorf("--ksef-number: %q is a %s, not a KSeF number", s, r.Kind)
	}
	return nil
}

// numberHint explains an identifier rejected for reason further where it
// can: the expected checksum or check digit (computed by package ident),
// or a likely typing mistake.
func numberHint(s, kind, reason string) string {
	if s != strings.ToUpper(s) {
		if _, err := Check(strings.ToUpper(s)); err == nil {
			return "letters must be uppercase: " + strings.ToUpper(s)
		}
	}
	if reason != ident.ReasonChecksum {
		return ""
	}
	if len(s) == 35 && kind != "NIP" {
		if want := ident.ExpectedChecksum(s); want != s[33:] {
			return fmt.Sprintf("the checksum is %s, but the CRC-8 of the first 32 characters is %s", s[33:], want)
		}
	}
	if kind == "NIP" && len(s) == 10 {
		switch c, err := ident.NIPCheckDigit(s[:9]); {
		case err != nil:
		case c < 0:
			return "no NIP starts with these 9 digits: their check digit would be 10"
		case int(s[9]-'0') != c:
			return fmt.Sprintf("the last digit should be %d", c)
		}
	}
	return ""
}
