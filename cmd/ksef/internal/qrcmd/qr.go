// Package qrcmd is the `ksef qr` command area: KOD I, the verification link
// and QR code of an invoice file.
package qrcmd

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/idcheck"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicefile"
	"github.com/ksef2/ksef/qr"
)

// qrResult is the KOD I of an invoice file.
type qrResult struct {
	File       string `json:"file"`
	Form       string `json:"form"`
	Link       string `json:"link"`
	Label      string `json:"label"`
	SellerNIP  string `json:"sellerNip"`
	IssueDate  string `json:"issueDate"`
	Hash       string `json:"hash"`
	KSeFNumber string `json:"ksefNumber,omitempty"`
	PNG        string `json:"png,omitempty"`
	SVG        string `json:"svg,omitempty"`
}

// New is the `ksef qr` area.
func New(f *cli.Factory) *cobra.Command {
	var ksefNumber, pngFile, svgFile string
	cmd := &cobra.Command{
		Use:   "qr FILE",
		Short: "Compute KOD I, the verification link and QR code of an invoice file",
		Long: `Compute KOD I for an invoice file: the link
https://{qr host}/invoice/{seller NIP}/{issue date DD-MM-YYYY}/{SHA-256 of the file}
with the seller NIP and the issue date (P_1) read from the invoice and the QR
host of --env (test, demo or production). The hash covers the exact bytes of
the file, so the link matches only the file as sent to KSeF.

--png and --svg write the QR code labelled with --ksef-number, or "OFFLINE"
for an invoice without one.`,
		Example: `  ksef qr faktura.xml
  ksef qr faktura.xml --env production --ksef-number 5265877635-20260115-0123456789AB-CE --png kod1.png`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if ksefNumber != "" {
				if err := idcheck.KSeFNumberFlag(ksefNumber); err != nil {
					return err
				}
			}
			doc, err := invoicefile.Read(f.Stdin, args[0])
			if err != nil {
				return err
			}
			link, err := invoicefile.InvoiceLink(f.Flags.Env, doc)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			res := &qrResult{Form: link.Form, Link: link.Link, SellerNIP: link.SellerNIP, IssueDate: link.IssueDate, Hash: link.Hash}
			res.File, res.KSeFNumber, res.PNG, res.SVG = args[0], ksefNumber, pngFile, svgFile
			invoicefile.WarnIfInvalid(f.Stderr, args[0], doc)
			if ksefNumber != "" && !strings.HasPrefix(ksefNumber, res.SellerNIP+"-") {
				fmt.Fprintf(f.Stderr, "warning: the KSeF number %s does not start with the seller NIP %s of %s\n", ksefNumber, res.SellerNIP, args[0])
			}
			res.Label = qr.InvoiceLabel(ksefNumber)
			if pngFile != "" {
				b, err := qr.PNG(res.Link, res.Label)
				if err != nil {
					return err
				}
				if err := os.WriteFile(pngFile, b, 0o644); err != nil {
					return err
				}
			}
			if svgFile != "" {
				b, err := qr.SVG(res.Link, res.Label)
				if err != nil {
					return err
				}
				if err := os.WriteFile(svgFile, b, 0o644); err != nil {
					return err
				}
			}
			return f.Emit(res, func(w io.Writer) {
				fmt.Fprintln(w, res.Link)
				fmt.Fprintf(w, "label: %s\n", res.Label)
				for _, f := range []string{pngFile, svgFile} {
					if f != "" {
						fmt.Fprintf(w, "wrote %s\n", f)
					}
				}
			})
		},
	}
	cmd.Flags().StringVar(&ksefNumber, "ksef-number", "", "the invoice's KSeF number, printed under the code (default OFFLINE)")
	cmd.Flags().StringVar(&pngFile, "png", "", "write the QR code as PNG to this file")
	cmd.Flags().StringVar(&svgFile, "svg", "", "write the QR code as SVG to this file")
	return cmd
}
