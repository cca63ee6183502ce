// Package invoicefile is what the ksef commands that take an invoice file
// share: reading it (or stdin) with a size bound, recognising its form by
// the root element, warning about a schema-invalid file, computing its
// KOD I link, and describing builder and schema errors.
package invoicefile

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/fa2"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/farr"
	"github.com/ksef2/ksef/internal/xsd/rt"
	"github.com/ksef2/ksef/qr"
)

// MaxSize bounds what the invoice commands read: the largest invoice KSeF
// accepts (with attachments) plus room for a BOM or padding.
const MaxSize = 4 << 20

// Form is a document form the CLI recognises by its root element.
type Form struct {
	Code      string // kodSystemowy, e.g. "FA (3)"
	Namespace string
	Validate  func([]byte) error
}

var forms = []Form{
	{"FA (3)", fa3.Namespace, fa3.ValidateBytes},
	{"FA (2)", fa2.Namespace, fa2.ValidateBytes},
	{"FA_RR (1)", farr.Namespace, farr.ValidateBytes},
}

// xmlRootName returns the name of the document's root element.
func xmlRootName(doc []byte) (xml.Name, error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	// Only the root name is needed here: read a document declaring another
	// encoding as it is, so that the validator reports that encoding.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return xml.Name{}, errors.New("no root element")
		}
		if err != nil {
			return xml.Name{}, err
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name, nil
		}
	}
}

// DetectForm finds the form of an invoice from its root element.
func DetectForm(doc []byte) (*Form, error) {
	name, err := xmlRootName(doc)
	if err != nil {
		return nil, fmt.Errorf("not well-formed XML: %w", err)
	}
	for i := range forms {
		if f := &forms[i]; name.Local == "Faktura" && name.Space == f.Namespace {
			return f, nil
		}
	}
	return nil, fmt.Errorf("unknown document: root element {%s}%s is not an FA(3), FA(2) or FA_RR(1) invoice", name.Space, name.Local)
}

// Read reads the file name, or stdin for "-", up to MaxSize bytes.
func Read(stdin io.Reader, name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = stdin
		if r == nil {
			r = os.Stdin
		}
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, MaxSize)
	}
	return b, nil
}

// WarnIfInvalid prints a warning to stderr when doc is not a schema-valid
// invoice: a link or printout of such a file is of little use, since KSeF
// refuses the invoice. A document of unknown form is left to the caller.
func WarnIfInvalid(stderr io.Writer, name string, doc []byte) {
	form, err := DetectForm(doc)
	if err != nil {
		return // reported by the caller
	}
	err = form.Validate(doc)
	if err == nil {
		return
	}
	n := 1
	var ve *rt.ValidationError
	if errors.As(err, &ve) {
		n = len(ve.Violations)
	}
	fmt.Fprintf(stderr, "warning: %s is not a valid %s invoice (%d violation(s); see ksef invoice validate); KSeF would refuse it\n", name, form.Code, n)
}

// Link is KOD I of an invoice file.
type Link struct {
	Form      string // the invoice's form code, e.g. "FA (3)"
	Link      string
	SellerNIP string
	IssueDate string // YYYY-MM-DD
	Hash      string
}

// InvoiceLink computes KOD I of an invoice for the QR host of env (test,
// demo or production); qr.InvoiceLinkFor reads the seller NIP and issue
// date from the invoice.
func InvoiceLink(env string, doc []byte) (*Link, error) {
	form, err := DetectForm(doc)
	if err != nil {
		return nil, err
	}
	e, err := ksef.ParseEnvironment(env)
	if err != nil {
		return nil, fmt.Errorf("unknown environment %q (want test, demo or production)", env)
	}
	link, err := qr.InvoiceLinkFor(e.QRBaseURL(), doc)
	if err != nil {
		return nil, err
	}
	return &Link{Form: form.Code, Link: link.String(), SellerNIP: link.SellerNIP,
		IssueDate: link.IssueDate.Format(time.DateOnly), Hash: link.Hash}, nil
}

// DescribeError formats builder, template and schema errors with one
// problem per line, violations as FILE:LINE:COL: PATH: MESSAGE of the
// generated document.
func DescribeError(name string, err error) error {
	var be *fa3.BuildError
	if errors.As(err, &be) {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: cannot build the invoice:", name)
		for _, p := range be.Problems {
			fmt.Fprintf(&b, "\n  %s", p)
		}
		return errors.New(b.String())
	}
	var ve *fa3.ValidationError
	if errors.As(err, &ve) {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: the invoice is not valid FA(3):", name)
		for _, v := range ve.Violations {
			fmt.Fprintf(&b, "\n  line %d:%d: %s: %s", v.Line, v.Column, v.Path, v.Message)
		}
		return errors.New(b.String())
	}
	return fmt.Errorf("%s: %w", name, err)
}
