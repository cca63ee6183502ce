package invoicecmd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/idcheck"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicefile"
	"github.com/ksef2/ksef/visual"
)

// getResult is the report of `ksef invoice get`.
type getResult struct {
	KSeFNumber string `json:"ksefNumber"`
	Form       string `json:"form,omitempty"`
	File       string `json:"file"`
	Bytes      int    `json:"bytes"`
	PDF        string `json:"pdf,omitempty"`
}

func newInvoiceGetCmd(f *cli.Factory) *cobra.Command {
	var out string
	var pdf bool
	cmd := &cobra.Command{
		Use:   "get KSEF-NUMBER [--out FILE] [--pdf]",
		Short: "Download one invoice by its KSeF number (XML as sent, hash checked)",
		Long: `Download one invoice by its KSeF number. The XML is exactly what its seller
sent; it is checked against the hash KSeF sends with it and written to --out
(default KSEF-NUMBER.xml; - for standard output). --pdf also writes a
printout (FA(3) invoices) with the KSeF number and the verification QR code
next to it. An invoice accepted moments ago may not be available yet: the
command waits for it until --timeout.`,
		Example: `  ksef invoice get 5265877635-20250826-0100001AF629-AF
  ksef invoice get 5265877635-20250826-0100001AF629-AF --out invoice.xml --pdf`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			num := args[0]
			if err := idcheck.KSeFNumberFlag(num); err != nil {
				return err
			}
			if out == "" {
				out = num + ".xml"
			}
			if pdf && out == "-" {
				return fmt.Errorf("--pdf needs --out FILE (the PDF is written next to it)")
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			doc, err := s.Client.Invoices.WaitDownload(cmd.Context(), num, nil)
			if err != nil {
				return cli.RefreshError(err)
			}
			res := getResult{KSeFNumber: num, File: out, Bytes: len(doc)}
			if p, err := ksef.ParseInvoice(doc); err == nil {
				res.Form = string(p.Form)
			}
			if out == "-" {
				_, err := f.Stdout.Write(doc)
				return err
			}
			if err := os.WriteFile(out, doc, 0o644); err != nil {
				return err
			}
			if pdf {
				inv, err := visual.FromFA3(doc)
				if err != nil {
					return fmt.Errorf("--pdf: %w", err)
				}
				inv.KSeFNumber = num
				if link, err := invoicefile.InvoiceLink(f.Flags.Env, doc); err == nil {
					inv.VerificationLink = link.Link
				}
				var buf bytes.Buffer
				if err := visual.RenderInvoicePDF(&buf, inv); err != nil {
					return err
				}
				res.PDF = strings.TrimSuffix(out, ".xml") + ".pdf"
				if err := os.WriteFile(res.PDF, buf.Bytes(), 0o644); err != nil {
					return err
				}
			}
			return f.Emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "wrote %s (%s, %d bytes, hash verified)\n", out, res.Form, len(doc))
				if res.PDF != "" {
					fmt.Fprintf(w, "wrote %s\n", res.PDF)
				}
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write (default KSEF-NUMBER.xml; - for standard output)")
	cmd.Flags().BoolVar(&pdf, "pdf", false, "also write a PDF printout next to --out")
	return cli.SetTimeout(cmd, cli.DefaultTimeout)
}
