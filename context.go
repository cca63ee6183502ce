package ksef

import "fmt"

// ContextIdentifier names the context an authentication is performed in:
// a taxpayer (NIP), an internal identifier, an EU entity (NIP + EU VAT
// number) or a Peppol provider. Build one with [NIPContext],
// [InternalIDContext], [NipVatUeContext] or [PeppolIDContext].
type ContextIdentifier struct {
	// Type is the kind of identifier.
	Type AuthenticationContextIdentifierType
	// Value is the identifier.
	Value string
}

// NIPContext returns the context of the taxpayer with the given NIP.
func NIPContext(nip string) ContextIdentifier {
	return ContextIdentifier{Type: ContextNip, Value: nip}
}

// InternalIDContext returns the context of an internal identifier
// ("{nip}-{5 digits}").
func InternalIDContext(id string) ContextIdentifier {
	return ContextIdentifier{Type: ContextInternalID, Value: id}
}

// NipVatUeContext returns the composite context of an EU entity:
// "{nip}-{EU VAT number}", e.g. "5265877635-ATU12345678".
func NipVatUeContext(id string) ContextIdentifier {
	return ContextIdentifier{Type: ContextNipVatUe, Value: id}
}

// PeppolIDContext returns the context of a Peppol provider, e.g. "PPL123456".
func PeppolIDContext(id string) ContextIdentifier {
	return ContextIdentifier{Type: ContextPeppolID, Value: id}
}

// Wire returns the JSON form used in request bodies.
func (c ContextIdentifier) Wire() AuthenticationContextIdentifier {
	return AuthenticationContextIdentifier{Type: c.Type, Value: c.Value}
}

// String returns "Type:Value", e.g. "Nip:5265877635".
func (c ContextIdentifier) String() string {
	return string(c.Type) + ":" + c.Value
}

// Validate reports whether the identifier is well formed for its type.
func (c ContextIdentifier) Validate() error {
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
