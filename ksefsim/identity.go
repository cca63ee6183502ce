package ksefsim

import (
	"fmt"

	"github.com/ksef2/ksef/ident"
)

// checkContext validates a context identifier with ident.Validate: the
// schema pattern and the NIP check digit of Nip, InternalId and NipVatUe
// contexts. (KSeF does not enforce the check digit some clients put at the
// end of an InternalId, and neither does ident.ParseInternalID.)
func checkContext(c ctxID) error {
	switch t := ident.Type(c.Type); t {
	case ident.TypeNip, ident.TypeInternalID, ident.TypeNipVatUe, ident.TypePeppolID:
		return ident.Validate(t, c.Value)
	}
	return fmt.Errorf("unknown context identifier type %q", c.Type)
}

// wellFormedNIP is any NIP with a correct check digit; checkContextPattern
// puts it in place of a NIP whose only fault is its check digit.
const wellFormedNIP = "1111111111"

// checkContextPattern checks only the shape of a context identifier (the
// schema patterns, which is what XSD validation of an AuthTokenRequest
// sees): a NIP part whose only fault is its check digit passes. checkContext
// then reports that fault.
func checkContextPattern(c ctxID) error {
	err := checkContext(c)
	if err == nil || !onlyChecksumWrong(contextNIP(c)) {
		return err
	}
	// Check the rest of the value (the suffix of InternalId and NipVatUe)
	// with a valid NIP in place of the one with the wrong check digit.
	return checkContext(ctxID{Type: c.Type, Value: wellFormedNIP + c.Value[len(wellFormedNIP):]})
}

// onlyChecksumWrong reports whether nip has the shape of a NIP but a wrong
// check digit.
func onlyChecksumWrong(nip string) bool {
	_, err := ident.ParseNIP(nip)
	return err != nil && ident.CheckNIPPattern(nip) == nil
}
