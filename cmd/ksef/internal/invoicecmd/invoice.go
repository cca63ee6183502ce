// Package invoicecmd is the `ksef invoice` command area: validating invoice
// files against their schema, rendering them to PDF or HTML, and creating
// FA(3) invoices from a description or a template.
package invoicecmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicefile"
	"github.com/ksef2/ksef/internal/xsd/rt"
)

// New is the `ksef invoice` area.
func New(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "invoice",
		Short: "Download, query, validate, render and create invoices (FA(3); FA(2) and FA_RR(1) for validation)",
	}
	cmd.AddCommand(newInvoiceValidateCmd(f), newInvoiceRenderCmd(f), newInvoiceNewCmd(f), newInvoiceGetCmd(f), newInvoiceQueryCmd(f))
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

func validateFile(f *cli.Factory, name string) validateResult {
	res := validateResult{File: name}
	doc, err := invoicefile.Read(f.Stdin, name)
	if err != nil {
		// The file name is printed in front of the error already.
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		res.Error = strings.TrimPrefix(err.Error(), name+": ")
		return res
	}
	form, err := invoicefile.DetectForm(doc)
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

func newInvoiceValidateCmd(f *cli.Factory) *cobra.Command {
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
				r := validateFile(f, name)
				if !r.Valid {
					invalid++
				}
				results = append(results, r)
			}
			err := f.Emit(results, func(w io.Writer) {
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
