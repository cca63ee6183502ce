package invoicecmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicefile"
	"github.com/ksef2/ksef/fa3"
)

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

func newInvoiceNewCmd(f *cli.Factory) *cobra.Command {
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
				tmpl, err := invoicefile.Read(f.Stdin, template)
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
					return invoicefile.DescribeError(template, err)
				}
			case len(args) == 1:
				if len(sets) > 0 || noDefaults {
					return errors.New("--set and --no-defaults apply to --template only")
				}
				data, err := invoicefile.Read(f.Stdin, args[0])
				if err != nil {
					return err
				}
				p, err := decodeParams(args[0], data)
				if err != nil {
					return err
				}
				doc, err = fa3.BuildXML(*p)
				if err != nil {
					return invoicefile.DescribeError(args[0], err)
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
			} else if f.JSON() {
				res.XML = string(doc)
			} else {
				_, err := f.Stdout.Write(doc)
				return err
			}
			return f.Emit(res, func(w io.Writer) {
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
