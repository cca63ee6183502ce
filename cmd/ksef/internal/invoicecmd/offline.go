package invoicecmd

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/qr"
)

// offlineFlags are the flags of `ksef invoice render --offline`.
type offlineFlags struct {
	on                    bool
	cert, key, contextNIP string
}

func (o *offlineFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&o.on, "offline", false, "an invoice issued offline: print KOD I (OFFLINE) and KOD II (CERTYFIKAT)")
	fl.StringVar(&o.cert, "cert", "", "with --offline: the KSeF certificate of type Offline (PEM, or PKCS#12)")
	fl.StringVar(&o.key, "key", "", "with --offline: its private key (PEM), unless in --cert")
	fl.StringVar(&o.contextNIP, "context-nip", "", "with --offline: NIP of the context the invoice is issued in (default: the seller's)")
}

// certificateLink returns KOD II of doc signed with the Offline
// certificate of the flags.
func (o *offlineFlags) certificateLink(f *cli.Factory, doc []byte) (string, error) {
	if o.cert == "" {
		return "", errors.New("--offline needs the KSeF Offline certificate: --cert FILE (and --key FILE)")
	}
	creds, err := credentials.LoadFile(o.cert, o.key, f.Getenv("KSEF_KEY_PASSWORD"))
	if err != nil {
		return "", fmt.Errorf("--cert: %w", err)
	}
	link, err := qr.InvoiceLinkFor(qrHost(f), doc)
	if err != nil {
		return "", err
	}
	ctxNIP := o.contextNIP
	if ctxNIP == "" {
		ctxNIP = link.SellerNIP
	}
	if _, err := ident.ParseNIP(ctxNIP); err != nil {
		return "", fmt.Errorf("--context-nip: %w", err)
	}
	kod2, err := qr.NewCertificateLink(qr.CertificateLinkParams{Host: qrHost(f), ContextType: ident.TypeNip, ContextValue: ctxNIP,
		SellerNIP: link.SellerNIP, Certificate: creds.Certificate, Signer: creds.Signer, Invoice: doc})
	if err != nil {
		return "", err
	}
	return kod2.String(), nil
}

func qrHost(f *cli.Factory) string {
	e, err := ksef.ParseEnvironment(f.Flags.Env)
	if err != nil {
		return qr.TestHost
	}
	return e.QRBaseURL()
}
