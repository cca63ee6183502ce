package fa3

import (
	"bytes"
	"io"

	"github.com/ksef2/ksef/internal/xsd/rt"
)

// Namespace is the XML namespace of FA(3) invoices.
const Namespace = targetNamespace

// Size limits KSeF applies to FA(3) invoices.
const (
	MaxSize               = 1_000_000 // bytes, invoice without attachments
	MaxSizeWithAttachment = 3_000_000 // bytes, invoice with Zalacznik
)

// Violation is one problem found by [Validate]: line, column, element
// path and an English message.
type Violation = rt.Violation

// ValidationError lists every violation of an invalid document. Use
// errors.As to get it from the error returned by [Validate].
type ValidationError = rt.ValidationError

var schema = &rt.Schema{
	Package: "fa3",
	Roots:   schemaRoots,
	Limits: rt.Limits{
		MaxBytes:               MaxSize,
		MaxBytesWithAttachment: MaxSizeWithAttachment,
		AttachmentElement:      "Zalacznik",
	},
}

// Validate reads an FA(3) invoice from r in one streaming pass and checks
// it against the FA(3) schema and the checks KSeF makes before the schema:
// UTF-8 without BOM, no other declared encoding, no processing
// instructions, no discouraged Unicode code points, and the 1 MB / 3 MB size
// limits. It returns nil for a valid invoice, a *[ValidationError] listing
// every violation, or the read error.
func Validate(r io.Reader) error {
	return schema.Validate(r)
}

// ValidateBytes is [Validate] on a byte slice.
func ValidateBytes(doc []byte) error {
	return schema.Validate(bytes.NewReader(doc))
}
