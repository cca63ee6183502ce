package fa2

import (
	"bytes"
	"io"

	"github.com/ksef2/ksef/internal/xsd/rt"
)

// Namespace is the XML namespace of FA(2) invoices.
const Namespace = targetNamespace

// MaxSize is the KSeF size limit of a FA(2) invoice in bytes.
const MaxSize = 1_000_000

// Violation is one problem found by [Validate]: line, column, element
// path and an English message.
type Violation = rt.Violation

// ValidationError lists every violation of an invalid document. Use
// errors.As to get it from the error returned by [Validate].
type ValidationError = rt.ValidationError

var schema = &rt.Schema{
	Package: "fa2",
	Roots:   schemaRoots,
	Limits:  rt.Limits{MaxBytes: MaxSize},
}

// Validate reads a FA(2) invoice from r in one streaming pass and checks
// it against the FA(2) schema and the checks KSeF makes before the schema:
// UTF-8 without BOM, no other declared encoding, no processing
// instructions, no discouraged Unicode code points, and the 1 MB size
// limit. It returns nil for a valid invoice, a *[ValidationError] listing
// every violation, or the read error.
func Validate(r io.Reader) error {
	return schema.Validate(r)
}

// ValidateBytes is [Validate] on a byte slice.
func ValidateBytes(doc []byte) error {
	return schema.Validate(bytes.NewReader(doc))
}
