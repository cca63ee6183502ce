// Package upocmd is the `ksef upo` command area: download a UPO (the
// official receipt of KSeF) of an invoice or a session, verify its
// signature and write it as XML, PDF or HTML.
package upocmd

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/upo"
	"github.com/ksef2/ksef/visual"
)

// New is the `ksef upo` area; its commands are quick queries with the
// status-like default --timeout.
func New(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "upo",
		Short: "Download, verify and render UPOs (KSeF's official receipts)",
	}
	cmd.AddCommand(newGetCmd(f))
	return cli.SetTimeout(cmd, cli.StatusTimeout)
}

// Signer describes the certificate that signed a UPO.
type Signer struct {
	Subject    string    `json:"subject"`
	Issuer     string    `json:"issuer"`
	Serial     string    `json:"serialNumber"`
	SHA256     string    `json:"sha256Fingerprint"`
	NotBefore  time.Time `json:"notBefore"`
	NotAfter   time.Time `json:"notAfter"`
	SelfSigned bool      `json:"selfSigned"`
}

// SignerOf describes cert.
func SignerOf(cert *x509.Certificate) *Signer {
	sum := sha256.Sum256(cert.Raw)
	return &Signer{Subject: cert.Subject.String(), Issuer: cert.Issuer.String(), Serial: cert.SerialNumber.Text(16),
		SHA256: hex.EncodeToString(sum[:]), NotBefore: cert.NotBefore.UTC(), NotAfter: cert.NotAfter.UTC(),
		SelfSigned: bytes.Equal(cert.RawIssuer, cert.RawSubject)}
}

// Result is the report of `ksef upo get`.
type Result struct {
	// File is where the UPO was written, Format its format (xml, pdf, html).
	File   string `json:"file"`
	Format string `json:"format"`
	Bytes  int    `json:"bytes"`
	// Kind is "invoice" or "session page".
	Kind                   string `json:"kind"`
	SessionReferenceNumber string `json:"sessionReferenceNumber"`
	// Page is "N of M" for a session page.
	Page      string   `json:"page,omitempty"`
	Documents []string `json:"ksefNumbers"`
	// Verified reports whether the signature was verified; Signer is the
	// signing certificate (set when verified).
	Verified bool    `json:"verified"`
	Signer   *Signer `json:"signer,omitempty"`
	// VerifyError is why the signature did not verify (--no-verify only).
	VerifyError string `json:"verifyError,omitempty"`
}

// formatOf maps the --out extension to a format.
func formatOf(out string) (string, error) {
	switch strings.ToLower(filepath.Ext(out)) {
	case ".xml":
		return "xml", nil
	case ".pdf":
		return "pdf", nil
	case ".html", ".htm":
		return "html", nil
	}
	return "", fmt.Errorf("--out %s: unknown extension (want .xml, .pdf, .html or .htm)", out)
}

func newGetCmd(f *cli.Factory) *cobra.Command {
	var session, invoice, ksefNumber, page, out string
	var noVerify bool
	cmd := &cobra.Command{
		Use:   "get (--session REF (--invoice REF | --ksef-number N | [--page REF]) | --ksef-number N) --out FILE",
		Short: "Download a UPO, verify its signature and write it as XML, PDF or HTML",
		Long: `Download the UPO of one invoice of a session (--invoice with its reference
number, or --ksef-number with its KSeF number) or a page of the session's
collective UPO (--page with the page's reference number from
ksef session status; without --page, the session's only page), and write it
to --out: .xml writes the signed XML as KSeF sent it, .pdf and .html a
printout of it.

--ksef-number without --session finds the session first: it looks through
the context's sessions created around the date in the KSeF number and
their invoice lists (a few calls per session, paced as usual), and names
the session it found.

The UPO's XAdES signature is verified and the signer named. A UPO whose
signature does not verify is not written, unless --no-verify (the report
then says why it did not verify). Which signers to trust is yours to
decide: KSeF's UPOs are signed by the Ministry of Finance, the simulator's
by its own self-signed key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := formatOf(out)
			if err != nil {
				return err
			}
			if n := btoi(invoice != "") + btoi(ksefNumber != "") + btoi(page != ""); n > 1 {
				return errors.New("give only one of --invoice, --ksef-number and --page")
			}
			if session == "" && ksefNumber == "" {
				return errors.New("give --session (or --ksef-number alone, to find the invoice's session)")
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			sess := s.Client.Sessions
			if session == "" {
				found, err := sess.FindInvoiceSession(ctx, ksefNumber, nil)
				if err != nil {
					return cli.RefreshError(fmt.Errorf("%w; give --session if you know it", err))
				}
				session = found.SessionReferenceNumber
			}
			res := Result{File: out, Format: format, SessionReferenceNumber: session, Kind: "invoice"}
			var data []byte
			switch {
			case invoice != "":
				data, err = sess.InvoiceUPO(ctx, session, invoice)
			case ksefNumber != "":
				data, err = sess.InvoiceUPOByKSeFNumber(ctx, session, ksefNumber)
			default:
				res.Kind = "session page"
				if page == "" {
					st, err := sess.Status(ctx, session)
					if err != nil {
						return cli.RefreshError(err)
					}
					switch {
					case st.Upo == nil || len(st.Upo.Pages) == 0:
						return fmt.Errorf("session %s has no UPO yet (status %d: %s); close it and wait until it is processed",
							session, st.Status.Code, st.Status.Description)
					case len(st.Upo.Pages) > 1:
						refs := make([]string, len(st.Upo.Pages))
						for i, p := range st.Upo.Pages {
							refs[i] = p.ReferenceNumber
						}
						return fmt.Errorf("session %s has %d UPO pages; choose one with --page: %s", session, len(refs), strings.Join(refs, ", "))
					}
					page = st.Upo.Pages[0].ReferenceNumber
				}
				data, err = sess.UPO(ctx, session, page)
			}
			if err != nil {
				return cli.RefreshError(err)
			}
			u, cert, verr := upo.Verify(data)
			switch {
			case verr == nil:
				res.Verified, res.Signer = true, SignerOf(cert)
			case !noVerify:
				return fmt.Errorf("the UPO's signature does not verify, so it was not written (--no-verify writes it anyway): %w", verr)
			default:
				res.VerifyError = verr.Error()
				if u, err = upo.Parse(data); err != nil {
					return err
				}
			}
			res.Documents = make([]string, len(u.Documents))
			for i, d := range u.Documents {
				res.Documents[i] = d.KSeFNumber
			}
			if u.Page != nil {
				res.Page = fmt.Sprintf("%d of %d", u.Page.Page, u.Page.PageCount)
			}
			if u.SessionReferenceNumber != session {
				return fmt.Errorf("the UPO is of session %s, not %s", u.SessionReferenceNumber, session)
			}
			b, err := render(format, data, u)
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return err
			}
			res.Bytes = len(b)
			return f.Emit(res, func(w io.Writer) { printResult(w, res) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&session, "session", "", "reference number of the session (found from --ksef-number when not given)")
	fl.StringVar(&invoice, "invoice", "", "reference number of the invoice (from ksef send's receipt or ksef session invoices)")
	fl.StringVar(&ksefNumber, "ksef-number", "", "KSeF number of the invoice")
	fl.StringVar(&page, "page", "", "reference number of a page of the session's UPO (ksef session status)")
	fl.StringVar(&out, "out", "", "file to write: .xml (as signed by KSeF), .pdf or .html (required)")
	fl.BoolVar(&noVerify, "no-verify", false, "write the UPO even when its signature does not verify")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// render returns the UPO in format: the XML as downloaded, or a printout.
func render(format string, data []byte, u *upo.UPO) ([]byte, error) {
	switch format {
	case "pdf":
		return visual.UPOPDF(u)
	case "html":
		var b bytes.Buffer
		err := visual.RenderUPOHTML(&b, u)
		return b.Bytes(), err
	}
	return data, nil
}

func printResult(w io.Writer, r Result) {
	fmt.Fprintf(w, "UPO of %s %s", r.Kind, r.SessionReferenceNumber)
	if r.Page != "" {
		fmt.Fprintf(w, ", page %s", r.Page)
	}
	fmt.Fprintf(w, ": %d document(s)\n", len(r.Documents))
	for _, n := range r.Documents {
		fmt.Fprintf(w, "  %s\n", n)
	}
	if r.Verified {
		s := r.Signer
		self := ""
		if s.SelfSigned {
			self = ", self-signed"
		}
		fmt.Fprintf(w, "Signature: valid, signed by %s (issuer %s%s; certificate SHA-256 %s, valid %s to %s)\n",
			s.Subject, s.Issuer, self, s.SHA256, s.NotBefore.Format(time.DateOnly), s.NotAfter.Format(time.DateOnly))
	} else {
		fmt.Fprintf(w, "Signature: NOT VERIFIED (--no-verify): %s\n", r.VerifyError)
	}
	fmt.Fprintf(w, "Written: %s (%s, %d bytes)\n", r.File, r.Format, r.Bytes)
}
