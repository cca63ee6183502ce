package fa2

import (
	"encoding/xml"
	"fmt"
)

// Parse decodes an FA(2) invoice into the typed model. It checks only
// that the document is well-formed and has the Faktura root element of the
// FA(2) namespace; use [Validate] for the schema.
func Parse(doc []byte) (*Faktura, error) {
	var f Faktura
	if err := xml.Unmarshal(doc, &f); err != nil {
		return nil, fmt.Errorf("fa2: parsing invoice: %w", err)
	}
	return &f, nil
}

// Marshal encodes the invoice as an XML document in UTF-8 with an XML
// declaration. Fields are written in schema order; the result is valid
// when the model holds valid values.
func (f *Faktura) Marshal() ([]byte, error) {
	out, err := xml.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("fa2: marshalling invoice: %w", err)
	}
	return append([]byte(xml.Header), out...), nil
}
