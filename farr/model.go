package farr

import (
	"encoding/xml"
	"fmt"
)

// Parse decodes an FA_RR(1) invoice into the typed model. It checks only
// that the document is well-formed and has the Faktura root element of the
// FA_RR(1) namespace; use [Validate] for the schema.
func Parse(doc []byte) (*Faktura, error) {
	var f Faktura
	if err := xml.Unmarshal(doc, &f); err != nil {
		return nil, fmt.Errorf("farr: parsing invoice: %w", err)
	}
	return &f, nil
}

// Marshal encodes the invoice as an XML document in UTF-8 with an XML
// declaration. Fields are written in schema order; the result is valid
// when the model holds valid values.
func (f *Faktura) Marshal() ([]byte, error) {
	out, err := xml.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("farr: marshalling invoice: %w", err)
	}
	return append([]byte(xml.Header), out...), nil
}
