package ksef

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ksef2/ksef/ident"
)

// ContextIdentifier names the context an authentication is performed in:
// a taxpayer (NIP), an internal identifier, an EU entity (NIP + EU VAT
// number) or a Peppol provider. It is the shared identifier shape
// [ident.Identifier] (and so the same type as the wire type
// [AuthenticationContextIdentifier]). Build one with [NIPContext],
// [InternalIDContext], [NipVatUeContext] or [PeppolIDContext], which
// validate the value; a literal ContextIdentifier is checked by
// [ValidateContext] before any login.
type ContextIdentifier = ident.Identifier

// The context identifier types, as aliases of the constants of package
// ident.
const (
	ContextNip        = ident.TypeNip
	ContextInternalID = ident.TypeInternalID
	ContextNipVatUe   = ident.TypeNipVatUe
	ContextPeppolID   = ident.TypePeppolID
)

// NIPContext returns the context of the taxpayer with the given NIP (ten
// digits, no separators: see [ident.NormalizeNIP] for user input). It
// fails, with an error matching [ident.ErrInvalidIdentifier], when the NIP
// is malformed or its check digit is wrong, so that a bad context is
// caught here rather than at login. Use [MustContext] for constants.
func NIPContext(nip string) (ContextIdentifier, error) {
	return newContext(ContextNip, nip)
}

// InternalIDContext returns the context of an internal identifier
// ("{nip}-{5 digits}", checked like [ident.ParseInternalID]).
func InternalIDContext(id string) (ContextIdentifier, error) {
	return newContext(ContextInternalID, id)
}

// NipVatUeContext returns the composite context of an EU entity:
// "{nip}-{EU VAT number}", e.g. "5265877635-ATU12345678" (checked like
// [ident.ParseNipVatUe]).
func NipVatUeContext(id string) (ContextIdentifier, error) {
	return newContext(ContextNipVatUe, id)
}

// PeppolIDContext returns the context of a Peppol provider, e.g.
// "PPL123456" (checked like [ident.ParsePeppolID]).
func PeppolIDContext(id string) (ContextIdentifier, error) {
	return newContext(ContextPeppolID, id)
}

// MustContext returns c, or panics when err is not nil. It is meant for
// contexts built from constants:
//
//	var office = ksef.MustContext(ksef.NIPContext("5265877635"))
func MustContext(c ContextIdentifier, err error) ContextIdentifier {
	if err != nil {
		panic(err)
	}
	return c
}

func newContext(t ident.Type, value string) (ContextIdentifier, error) {
	c := ContextIdentifier{Type: t, Value: value}
	if err := ValidateContext(c); err != nil {
		return ContextIdentifier{}, err
	}
	return c, nil
}

// ValidateContext reports whether c is a context identifier (one of the
// four context types) with a well-formed value for its type.
func ValidateContext(c ContextIdentifier) error {
	switch c.Type {
	case ContextNip, ContextInternalID, ContextNipVatUe, ContextPeppolID:
	default:
		return fmt.Errorf("ksef: unknown context identifier type %q", c.Type)
	}
	if c.Value == "" {
		return fmt.Errorf("ksef: empty %s context identifier", c.Type)
	}
	return validateContextValue(c)
}

// validateContextValue checks the value with the identifier parsers.
func validateContextValue(c ContextIdentifier) error {
	var err error
	switch c.Type {
	case ContextNip:
		_, err = ParseNIP(c.Value)
	case ContextInternalID:
		_, err = ParseInternalID(c.Value)
	case ContextNipVatUe:
		_, err = ParseNipVatUe(c.Value)
	case ContextPeppolID:
		_, err = ParsePeppolID(c.Value)
	}
	return err
}

// validIPv4 reports whether s is a dotted IPv4 address as the KSeF schemas
// accept it (four decimal octets 0-255, no leading zeros).
func validIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || (len(p) > 1 && p[0] == '0') {
			return false
		}
		n := 0
		for _, r := range p {
			if r < '0' || r > '9' {
				return false
			}
			n = n*10 + int(r-'0')
		}
		if n > 255 {
			return false
		}
	}
	return true
}

// Validate checks the lists against the KSeF schemas: at most 10 entries
// each; addresses "a.b.c.d", ranges "a.b.c.d-e.f.g.h", masks "a.b.c.d/n"
// with n in 0-32.
func (a *AllowedIps) Validate() error {
	if a == nil {
		return nil
	}
	if len(a.Ip4Addresses) > 10 || len(a.Ip4Ranges) > 10 || len(a.Ip4Masks) > 10 {
		return errors.New("ksef: AllowedIps: at most 10 entries per list")
	}
	for _, s := range a.Ip4Addresses {
		if !validIPv4(s) {
			return fmt.Errorf("ksef: AllowedIps: invalid IPv4 address %q", s)
		}
	}
	for _, s := range a.Ip4Ranges {
		from, to, ok := strings.Cut(s, "-")
		if !ok || !validIPv4(from) || !validIPv4(to) {
			return fmt.Errorf("ksef: AllowedIps: invalid IPv4 range %q (want a.b.c.d-e.f.g.h)", s)
		}
	}
	for _, s := range a.Ip4Masks {
		ip, bits, ok := strings.Cut(s, "/")
		n, err := strconv.Atoi(bits)
		if !ok || !validIPv4(ip) || err != nil || n < 0 || n > 32 || bits != strconv.Itoa(n) {
			return fmt.Errorf("ksef: AllowedIps: invalid IPv4 mask %q (want a.b.c.d/n)", s)
		}
	}
	return nil
}
