package invoicecmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/idcheck"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicefile"
	"github.com/ksef2/ksef/visual"
)

// renderResult describes a rendered file.
type renderResult struct {
	File             string `json:"file"`
	Out              string `json:"out"`
	Format           string `json:"format"`
	Bytes            int    `json:"bytes"`
	VerificationLink string `json:"verificationLink,omitempty"`
	CertificateLink  string `json:"certificateLink,omitempty"`
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

func newInvoiceRenderCmd(f *cli.Factory) *cobra.Command {
	var out, ksefNumber string
	var noQR bool
	var off offlineFlags
	cmd := &cobra.Command{
		Use:   "render FILE [OUT]",
		Short: "Render an FA(3) or FA(2) invoice to PDF or HTML (by the output file's extension)",
		Long: `Render an invoice as a printable document. The output file is given with
--out or as the second argument; its extension chooses the format: .pdf or
.html (.htm). The printout carries KOD I, the verification QR code for the
environment chosen with --env, labelled with --ksef-number or "OFFLINE".
--offline prints an invoice issued offline: KOD I labelled "OFFLINE" and
KOD II labelled "CERTYFIKAT", signed with the KSeF certificate of type
Offline given with --cert and --key (or a PKCS#12 file as --cert; the key
password from $KSEF_KEY_PASSWORD).

-o is the report format only (text or json, as on every command).`,
		Example: `  ksef invoice render faktura.xml --out faktura.pdf
  ksef invoice render faktura.xml faktura.pdf
  ksef invoice render faktura.xml --out faktura.html --ksef-number 5265877635-20260115-0123456789AB-CE
  ksef invoice render faktura.xml --out faktura.pdf -o json
  ksef invoice render faktura.xml --out faktura.pdf --offline --cert offline.pem --key offline.key`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				if out != "" && out != args[1] {
					return errors.New("output file given twice (argument and --out)")
				}
				out = args[1]
			}
			if out == "" {
				return errors.New("no output file: give --out FILE.pdf or --out FILE.html (or the file as the second argument)")
			}
			if !renderableExt(out) {
				return fmt.Errorf("cannot tell the format of %s: use the extension .pdf or .html", out)
			}
			format := renderFormat(out)
			doc, err := invoicefile.Read(f.Stdin, args[0])
			if err != nil {
				return err
			}
			inv, err := visual.FromFA3(doc)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			invoicefile.WarnIfInvalid(f.Stderr, args[0], doc)
			if ksefNumber != "" {
				if err := idcheck.KSeFNumberFlag(ksefNumber); err != nil {
					return err
				}
				if inv.Seller.NIP != "" && !strings.HasPrefix(ksefNumber, inv.Seller.NIP+"-") {
					fmt.Fprintf(f.Stderr, "warning: the KSeF number %s does not start with the seller NIP %s of %s\n", ksefNumber, inv.Seller.NIP, args[0])
				}
				inv.KSeFNumber = ksefNumber
			}
			if !noQR {
				link, err := invoicefile.InvoiceLink(f.Flags.Env, doc)
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				inv.VerificationLink = link.Link
			}
			if off.on {
				if noQR || ksefNumber != "" {
					return errors.New("--offline prints both QR codes without a KSeF number: not with --no-qr or --ksef-number")
				}
				if inv.CertificateLink, err = off.certificateLink(f, doc); err != nil {
					return err
				}
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
			res := renderResult{File: args[0], Out: out, Format: format, Bytes: buf.Len(), VerificationLink: inv.VerificationLink,
				CertificateLink: inv.CertificateLink}
			return f.Emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "wrote %s (%s, %d bytes)\n", out, strings.ToUpper(format), buf.Len())
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output file; .pdf or .html")
	cmd.Flags().StringVar(&ksefNumber, "ksef-number", "", "KSeF number printed on the invoice and under its QR code")
	cmd.Flags().BoolVar(&noQR, "no-qr", false, "omit the verification QR code (KOD I)")
	off.add(cmd)
	return cmd
}
