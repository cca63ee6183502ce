package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/ksef2/ksef/fa2"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/farr"
	"github.com/ksef2/ksef/internal/xsd/rt"
	"github.com/ksef2/ksef/visual"
)

// maxInvoiceFile bounds what the invoice commands read: the largest
// invoice KSeF accepts (with attachments) plus room for a BOM or padding.
const maxInvoiceFile = 4 << 20

// invoiceForm is a document form the CLI recognises by its root element.
type invoiceForm struct {
	Code      string // kodSystemowy, e.g. "FA (3)"
	Namespace string
	Validate  func([]byte) error
}

var invoiceForms = []invoiceForm{
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

// detectInvoiceForm finds the form of an invoice from its root element.
func detectInvoiceForm(doc []byte) (*invoiceForm, error) {
	name, err := xmlRootName(doc)
	if err != nil {
		return nil, fmt.Errorf("not well-formed XML: %w", err)
	}
	for i := range invoiceForms {
		if f := &invoiceForms[i]; name.Local == "Faktura" && name.Space == f.Namespace {
			return f, nil
		}
	}
	return nil, fmt.Errorf("unknown document: root element {%s}%s is not an FA(3), FA(2) or FA_RR(1) invoice", name.Space, name.Local)
}

// readInvoiceInput reads a file, or stdin for "-", up to maxInvoiceFile bytes.
func readInvoiceInput(g *globals, name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = g.stdin
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
	b, err := io.ReadAll(io.LimitReader(r, maxInvoiceFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInvoiceFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxInvoiceFile)
	}
	return b, nil
}

func newInvoiceCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "invoice",
		Short: "Validate, render and create invoices (FA(3); FA(2) and FA_RR(1) for validation)",
	}
	cmd.AddCommand(newInvoiceValidateCmd(g), newInvoiceRenderCmd(g), newInvoiceNewCmd(g))
	return cmd
}

// violationJSON is one schema violation in -o json output.
type violationJSON struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// validateResult is the verdict on one file.
type validateResult struct {
	File       string          `json:"file"`
	Form       string          `json:"form,omitempty"`
	Valid      bool            `json:"valid"`
	Error      string          `json:"error,omitempty"`
	Violations []violationJSON `json:"violations,omitempty"`
	Truncated  bool            `json:"truncated,omitempty"`
}

func validateFile(g *globals, name string) validateResult {
	res := validateResult{File: name}
	doc, err := readInvoiceInput(g, name)
	if err != nil {
		// The file name is printed in front of the error already.
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		res.Error = strings.TrimPrefix(err.Error(), name+": ")
		return res
	}
	form, err := detectInvoiceForm(doc)
	if err != nil {
		res.Error = err.Error()
		switch strings.ToLower(filepath.Ext(name)) {
		case ".yaml", ".yml", ".json":
			res.Error += " (an invoice description? `ksef invoice new " + name + " --out FILE.xml` builds the invoice from it)"
		}
		return res
	}
	res.Form = form.Code
	err = form.Validate(doc)
	var ve *rt.ValidationError
	switch {
	case err == nil:
		res.Valid = true
	case errors.As(err, &ve):
		for _, v := range ve.Violations {
			res.Violations = append(res.Violations, violationJSON{v.Line, v.Column, v.Path, v.Message})
		}
		res.Truncated = ve.Truncated
	default:
		res.Error = err.Error()
	}
	return res
}

// warnIfInvalid prints a warning to stderr when doc is not a schema-valid
// invoice: a link or printout of such a file is of little use, since KSeF
// refuses the invoice.
func warnIfInvalid(g *globals, name string, doc []byte) {
	form, err := detectInvoiceForm(doc)
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
	fmt.Fprintf(g.stderr, "warning: %s is not a valid %s invoice (%d violation(s); see ksef invoice validate); KSeF would refuse it\n", name, form.Code, n)
}

func newInvoiceValidateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check invoices against their schema (form detected from the root namespace)",
		Long: `Validate invoice files offline against the official schema of their form,
recognised from the namespace of the root element: FA(3), FA(2) or FA_RR(1).
The checks include those KSeF makes before the schema (UTF-8 without BOM,
no processing instructions, size limits).

Each violation is printed as FILE:LINE:COL: PATH: MESSAGE. The command fails
(exit status 1) when any file is invalid or cannot be read. "-" reads stdin.`,
		Example: `  ksef invoice validate faktura.xml
  ksef invoice validate *.xml -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			results := make([]validateResult, 0, len(args))
			invalid := 0
			for _, name := range args {
				r := validateFile(g, name)
				if !r.Valid {
					invalid++
				}
				results = append(results, r)
			}
			err := g.emit(results, func(w io.Writer) {
				for _, r := range results {
					switch {
					case r.Valid:
						fmt.Fprintf(w, "%s: valid %s\n", r.File, r.Form)
					case r.Error != "":
						fmt.Fprintf(w, "%s: %s\n", r.File, r.Error)
					default:
						for _, v := range r.Violations {
							path := v.Path
							if path == "" {
								path = "/"
							}
							fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", r.File, v.Line, v.Column, path, v.Message)
						}
						if r.Truncated {
							fmt.Fprintf(w, "%s: more violations not shown\n", r.File)
						}
					}
				}
			})
			if err != nil {
				return err
			}
			if invalid > 0 {
				return fmt.Errorf("%d of %d files invalid", invalid, len(args))
			}
			return nil
		},
	}
}

// renderResult describes a rendered file.
type renderResult struct {
	File             string `json:"file"`
	Out              string `json:"out"`
	Format           string `json:"format"`
	Bytes            int    `json:"bytes"`
	VerificationLink string `json:"verificationLink,omitempty"`
}

// renderFormat returns "pdf" or "html" for a file name by its extension
// (case-insensitive; .htm is HTML), or "" for any other extension.
func renderFormat(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".pdf":
		return "pdf"
	case ".html", ".htm":
		return "html"
	}
	return ""
}

// renderableExt reports whether name ends in .pdf, .html or .htm.
func renderableExt(name string) bool { return renderFormat(name) != "" }

func newInvoiceRenderCmd(g *globals) *cobra.Command {
	var out, ksefNumber string
	var noQR bool
	cmd := &cobra.Command{
		Use:   "render FILE [OUT]",
		Short: "Render an FA(3) or FA(2) invoice to PDF or HTML (by the output file's extension)",
		Long: `Render an invoice as a printable document. The output file is given with
-o, --out or as the second argument; its extension chooses the format: .pdf
or .html (.htm). The printout carries KOD I, the verification QR code for the
environment chosen with --env, labelled with --ksef-number or "OFFLINE".

On this command -o takes either the report format (text or json, as on every
command) or the output file: -o faktura.pdf writes the PDF and prints the
report as text. To write the report as JSON, give the file with --out or as
the second argument and -o json.`,
		Example: `  ksef invoice render faktura.xml -o faktura.pdf
  ksef invoice render faktura.xml faktura.pdf
  ksef invoice render faktura.xml --out faktura.html --ksef-number 5265877635-20260115-0123456789AB-CE
  ksef invoice render faktura.xml --out faktura.pdf -o json`,
		Annotations: map[string]string{outputFileAnnotation: "true"},
		Args:        cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f := g.outputFile; f != "" {
				if !renderableExt(f) {
					return fmt.Errorf("-o %s: neither a report format (text, json) nor an output file ending in .pdf, .html or .htm", f)
				}
				if out != "" && out != f {
					return errors.New("output file given twice (-o and --out)")
				}
				out = f
			}
			if len(args) == 2 {
				if out != "" && out != args[1] {
					return errors.New("output file given twice (argument and -o/--out)")
				}
				out = args[1]
			}
			if out == "" {
				return errors.New("no output file: give -o FILE.pdf, --out FILE.pdf or FILE.html")
			}
			if !renderableExt(out) {
				return fmt.Errorf("cannot tell the format of %s: use the extension .pdf or .html", out)
			}
			format := renderFormat(out)
			doc, err := readInvoiceInput(g, args[0])
			if err != nil {
				return err
			}
			inv, err := visual.FromFA3(doc)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			warnIfInvalid(g, args[0], doc)
			if ksefNumber != "" {
				if err := checkKSeFNumberFlag(ksefNumber); err != nil {
					return err
				}
				if inv.Seller.NIP != "" && !strings.HasPrefix(ksefNumber, inv.Seller.NIP+"-") {
					fmt.Fprintf(g.stderr, "warning: the KSeF number %s does not start with the seller NIP %s of %s\n", ksefNumber, inv.Seller.NIP, args[0])
				}
				inv.KSeFNumber = ksefNumber
			}
			if !noQR {
				link, err := invoiceLink(g, doc)
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				inv.VerificationLink = link.Link
			}
			var buf bytes.Buffer
			if format == "pdf" {
				err = visual.RenderInvoicePDF(&buf, inv)
			} else {
				err = visual.RenderInvoiceHTML(&buf, inv)
			}
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return err
			}
			res := renderResult{File: args[0], Out: out, Format: format, Bytes: buf.Len(), VerificationLink: inv.VerificationLink}
			return g.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "wrote %s (%s, %d bytes)\n", out, strings.ToUpper(format), buf.Len())
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output file; .pdf or .html")
	cmd.Flags().StringVar(&ksefNumber, "ksef-number", "", "KSeF number printed on the invoice and under its QR code")
	cmd.Flags().BoolVar(&noQR, "no-qr", false, "omit the verification QR code (KOD I)")
	return cmd
}

// newResult describes a created invoice.
type newResult struct {
	Out    string `json:"out,omitempty"`
	Kind   string `json:"kind,omitempty"`
	Number string `json:"number,omitempty"`
	Gross  string `json:"gross,omitempty"`
	XML    string `json:"xml,omitempty"`
}

// decodeParams reads invoice parameters from JSON or YAML: by the file
// extension, else JSON when the text starts with "{", else YAML. Unknown
// fields are errors.
func decodeParams(name string, data []byte) (*fa3.InvoiceParams, error) {
	var p fa3.InvoiceParams
	ext := strings.ToLower(filepath.Ext(name))
	isJSON := ext == ".json" || (ext != ".yaml" && ext != ".yml" && bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")))
	if isJSON {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("%s: JSON: %w", name, err)
		}
		return &p, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: YAML: %w", name, err)
	}
	return &p, nil
}

// parseSets turns name=value pairs into a map.
func parseSets(sets []string) (map[string]string, error) {
	m := map[string]string{}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--set %q: want NAME=VALUE", s)
		}
		m[strings.Trim(k, "#")] = v
	}
	return m, nil
}

func newInvoiceNewCmd(g *globals) *cobra.Command {
	var out, template string
	var sets []string
	var noDefaults bool
	cmd := &cobra.Command{
		Use:   "new [DESCRIPTION]",
		Short: "Create a schema-valid FA(3) invoice from a JSON/YAML description or a template",
		Long: `Create an FA(3) invoice and write its XML to --out (or stdout).

From a description (JSON or YAML, "-" for stdin) of the invoice: kind (VAT,
KOR, ZAL, ROZ, UPR), number, issueDate, seller and buyer (nip, name,
addressLine1, addressLine2, ...), lines (name, unit, quantity, unitPrice,
rate), payment, correction (KOR), advance (ZAL), advanceInvoices (ROZ). The
totals per VAT rate are computed exactly.

From a template (--template) with #name# placeholders filled by --set
name=value; placeholders without a value get defaults (random valid NIPs,
today's date, a unique invoice number) unless --no-defaults.

The result is validated against the FA(3) schema before it is written.`,
		Example: `  ksef invoice new faktura.yaml --out faktura.xml
  ksef invoice new --template invoice-template-fa-3.xml --set nip=5265877635 --out faktura.xml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var doc []byte
			res := newResult{Out: out}
			switch {
			case template != "" && len(args) > 0:
				return errors.New("give either a description or --template, not both")
			case template != "":
				tmpl, err := readInvoiceInput(g, template)
				if err != nil {
					return err
				}
				values, err := parseSets(sets)
				if err != nil {
					return err
				}
				if noDefaults {
					doc, err = fa3.FromTemplate(tmpl, values)
				} else {
					doc, err = fa3.FromTemplateWithDefaults(tmpl, values, nil)
				}
				if err != nil {
					return describeInvoiceError(template, err)
				}
			case len(args) == 1:
				if len(sets) > 0 || noDefaults {
					return errors.New("--set and --no-defaults apply to --template only")
				}
				data, err := readInvoiceInput(g, args[0])
				if err != nil {
					return err
				}
				p, err := decodeParams(args[0], data)
				if err != nil {
					return err
				}
				doc, err = fa3.BuildXML(*p)
				if err != nil {
					return describeInvoiceError(args[0], err)
				}
			default:
				return errors.New("give a JSON/YAML description or --template")
			}
			if f, err := fa3.Parse(doc); err == nil {
				res.Kind, res.Number = string(f.Fa.RodzajFaktury), string(f.Fa.P_2)
				res.Gross = string(f.Fa.P_15)
			}
			if out != "" {
				if err := os.WriteFile(out, doc, 0o644); err != nil {
					return err
				}
			} else if g.output == "json" {
				res.XML = string(doc)
			} else {
				_, err := g.stdout.Write(doc)
				return err
			}
			return g.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "wrote %s (FA (3) %s %s, gross %s)\n", out, res.Kind, res.Number, res.Gross)
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output XML file (default: stdout)")
	cmd.Flags().StringVar(&template, "template", "", "XML template with #name# placeholders")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "placeholder value NAME=VALUE (repeatable)")
	cmd.Flags().BoolVar(&noDefaults, "no-defaults", false, "fail on placeholders without --set instead of using defaults")
	return cmd
}

// describeInvoiceError formats builder, template and schema errors with one
// problem per line, violations as FILE:LINE:COL: PATH: MESSAGE of the
// generated document.
func describeInvoiceError(name string, err error) error {
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
