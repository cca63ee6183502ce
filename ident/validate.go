package ident

import "fmt"

// Validate checks value as an identifier of type t with the parser of that
// type: [ParseNIP], [ParsePESEL], [ParseInternalID], [ParseNipVatUe] or
// [ParsePeppolID]. Other types ([TypeFingerprint], [TypeVatUe],
// [TypeOther], ...) and unknown ones fail with an error matching
// [ErrInvalidIdentifier]: this package knows no format for their values.
func Validate(t Type, value string) error {
	var err error
	switch t {
	case TypeNip:
		_, err = ParseNIP(value)
	case TypePesel:
		_, err = ParsePESEL(value)
	case TypeInternalID:
		_, err = ParseInternalID(value)
	case TypeNipVatUe:
		_, err = ParseNipVatUe(value)
	case TypePeppolID:
		_, err = ParsePeppolID(value)
	default:
		err = fmt.Errorf("%w: no format known for identifier type %q", ErrInvalidIdentifier, truncate(string(t)))
	}
	return err
}
