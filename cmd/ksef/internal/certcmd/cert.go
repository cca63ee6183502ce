// Package certcmd is the `ksef cert` command area: KSeF certificates of
// the profile's subject — limits, enrollment data, enroll (writes the new
// key and certificate, optionally as PKCS#12), status, get, list, revoke,
// and on TEST shorten.
package certcmd

import (
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/atomicfile"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/credentials"
)

var (
	types    = []string{"Authentication", "Offline"}
	statuses = []string{"Active", "Blocked", "Revoked", "Expired"}
	reasons  = []string{"Unspecified", "Superseded", "KeyCompromise"}
	keyTypes = []string{"ec", "rsa"}
)

// envKeyPassword is the environment variable with the password of the
// written key or PKCS#12 file (the one `ksef auth login` reads).
const envKeyPassword = "KSEF_KEY_PASSWORD"

// New is the `ksef cert` area.
func New(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cert",
		Short: "KSeF certificates: limits, data, enroll, status, get, list, revoke, shorten (TEST)",
	}
	cmd.AddCommand(newLimitsCmd(f), newDataCmd(f), newEnrollCmd(f), newStatusCmd(f), newGetCmd(f), newListCmd(f), newRevokeCmd(f), newShortenCmd(f))
	return cli.SetTimeout(cmd, cli.StatusTimeout)
}

func newLimitsCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "limits",
		Short: "Show how many certificate requests and certificates the subject has left",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			l, err := s.Client.Certificates.Limits(cmd.Context())
			if err != nil {
				return cli.RefreshError(err)
			}
			return f.Emit(l, func(w io.Writer) {
				fmt.Fprintf(w, "Can request:  %v\nEnrollments:  %d of %d left\nCertificates: %d of %d left\n", l.CanRequest,
					l.Enrollment.Remaining, l.Enrollment.Limit, l.Certificate.Remaining, l.Certificate.Limit)
			})
		},
	}
}

func newDataCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "data",
		Short: "Show the DN attributes a certificate request must carry (XAdES sessions only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			d, err := s.Client.Certificates.EnrollmentData(cmd.Context())
			if err != nil {
				return cli.RefreshError(err)
			}
			return f.Emit(d, func(w io.Writer) {
				for _, kv := range [][2]string{{"commonName", d.CommonName}, {"countryName", d.CountryName}, {"givenName", d.GivenName},
					{"surname", d.Surname}, {"serialNumber", d.SerialNumber}, {"uniqueIdentifier", d.UniqueIdentifier},
					{"organizationName", d.OrganizationName}, {"organizationIdentifier", d.OrganizationIdentifier}} {
					if kv[1] != "" {
						fmt.Fprintf(w, "%-23s %s\n", kv[0]+":", kv[1])
					}
				}
			})
		},
	}
}

// Subject turns enrollment data into the subject of the CSR.
func Subject(d *ksef.CertificateEnrollmentDataResponse) credentials.EnrollmentSubject {
	e := credentials.EnrollmentSubject{CommonName: d.CommonName, CountryName: d.CountryName, Surname: d.Surname,
		SerialNumber: d.SerialNumber, UniqueIdentifier: d.UniqueIdentifier, OrganizationName: d.OrganizationName,
		OrganizationIdentifier: d.OrganizationIdentifier}
	if d.GivenName != "" {
		e.GivenNames = []string{d.GivenName}
	}
	return e
}

// EnrollResult is the -o json output of `ksef cert enroll`.
type EnrollResult struct {
	ReferenceNumber string    `json:"referenceNumber"`
	SerialNumber    string    `json:"serialNumber"`
	Type            string    `json:"type"`
	ValidFrom       time.Time `json:"validFrom"`
	ValidTo         time.Time `json:"validTo"`
	CertFile        string    `json:"certFile,omitempty"`
	KeyFile         string    `json:"keyFile,omitempty"`
	PKCS12File      string    `json:"pkcs12File,omitempty"`
}

func newEnrollCmd(f *cli.Factory) *cobra.Command {
	var (
		typ, name, keyType, certOut, keyOut, p12Out, password, validFrom string
	)
	cmd := &cobra.Command{
		Use:   "enroll --type Authentication|Offline --name NAME (--cert-out FILE --key-out FILE | --p12 FILE)",
		Short: "Obtain a KSeF certificate: new key, CSR from the enrollment data, enroll, wait, write the files",
		Long: `Obtain a KSeF certificate for the profile's subject (the session must be
authenticated by XAdES, not by a KSeF token): generate a key (--key-type ec,
P-256, the default; or rsa, 2048 bits), build a CSR with exactly the
attributes of the enrollment data, file it, wait for the certificate and
write it with its key: --cert-out and --key-out as PEM, and/or --p12 as
PKCS#12. The key (PEM) is encrypted when a password is given with
--key-password or $KSEF_KEY_PASSWORD; a PKCS#12 file needs one. An
Authentication certificate logs in with
  ksef auth login --cert CERT --key KEY --nip NIP
an Offline one signs KOD II links (ksef qr).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, ok := cli.MatchValue(typ, types...)
			if !ok {
				return fmt.Errorf("--type %q: want Authentication or Offline", typ)
			}
			kt := credentials.ECP256
			switch strings.ToLower(keyType) {
			case "ec", "":
			case "rsa":
				kt = credentials.RSA2048
			default:
				return fmt.Errorf("--key-type %q: want ec or rsa", keyType)
			}
			if (certOut == "") != (keyOut == "") || (certOut == "" && p12Out == "") {
				return errors.New("give --cert-out and --key-out, or --p12, or all three")
			}
			if password == "" {
				password = f.Getenv(envKeyPassword)
			}
			if p12Out != "" && password == "" {
				return fmt.Errorf("--p12 needs a password: --key-password or $%s", envKeyPassword)
			}
			req := &ksef.EnrollCertificateRequest{CertificateName: name, CertificateType: ksef.KsefCertificateType(t)}
			if validFrom != "" {
				v, err := time.Parse(time.RFC3339, validFrom)
				if err != nil {
					return fmt.Errorf("--valid-from %q: want an RFC 3339 time", validFrom)
				}
				req.ValidFrom = &v
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			data, err := s.Client.Certificates.EnrollmentData(ctx)
			if err != nil {
				return cli.RefreshError(err)
			}
			key, err := credentials.NewKey(kt)
			if err != nil {
				return err
			}
			if req.Csr, err = credentials.NewCSR(key, Subject(data)); err != nil {
				return err
			}
			en, err := s.Client.Certificates.Enroll(ctx, req)
			if err != nil {
				return cli.RefreshError(err)
			}
			st, err := s.Client.Certificates.WaitEnrollment(ctx, en.ReferenceNumber, nil)
			if err != nil {
				return fmt.Errorf("certificate request %s: %w", en.ReferenceNumber, err)
			}
			cert, err := s.Client.Certificates.RetrieveX509(ctx, st.CertificateSerialNumber)
			if err != nil {
				return err
			}
			creds := &credentials.Credentials{Certificate: cert, Signer: key}
			res := EnrollResult{ReferenceNumber: en.ReferenceNumber, SerialNumber: st.CertificateSerialNumber, Type: t,
				ValidFrom: cert.NotBefore, ValidTo: cert.NotAfter}
			if certOut != "" {
				certPEM, keyPEM, err := creds.EncodePEM(password)
				if err != nil {
					return err
				}
				if err := atomicfile.Write(keyOut, keyPEM, 0o600); err != nil {
					return err
				}
				if err := atomicfile.Write(certOut, certPEM, 0o644); err != nil {
					return err
				}
				res.CertFile, res.KeyFile = certOut, keyOut
			}
			if p12Out != "" {
				p12, err := creds.EncodePKCS12(password)
				if err != nil {
					return err
				}
				if err := atomicfile.Write(p12Out, p12, 0o600); err != nil {
					return err
				}
				res.PKCS12File = p12Out
			}
			return f.Emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "Certificate %s (%s) issued, valid %s to %s\n", res.SerialNumber, res.Type,
					res.ValidFrom.UTC().Format(time.RFC3339), res.ValidTo.UTC().Format(time.RFC3339))
				for _, kv := range [][2]string{{"Certificate", res.CertFile}, {"Key", res.KeyFile}, {"PKCS#12", res.PKCS12File}} {
					if kv[1] != "" {
						fmt.Fprintf(w, "%-12s %s\n", kv[0]+":", kv[1])
					}
				}
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&typ, "type", "", "certificate type: Authentication or Offline")
	fl.StringVar(&name, "name", "", "certificate name (5-100 characters)")
	fl.StringVar(&keyType, "key-type", "ec", "key type: ec (P-256) or rsa (2048 bits)")
	fl.StringVar(&certOut, "cert-out", "", "write the certificate (PEM) here")
	fl.StringVar(&keyOut, "key-out", "", "write the private key (PKCS#8 PEM) here")
	fl.StringVar(&p12Out, "p12", "", "write certificate and key as PKCS#12 here")
	fl.StringVar(&password, "key-password", "", "password of the written key / PKCS#12 (prefer $"+envKeyPassword+")")
	fl.StringVar(&validFrom, "valid-from", "", "start of validity (RFC 3339; default now)")
	_ = cmd.MarkFlagRequired("type")
	_ = cmd.MarkFlagRequired("name")
	cli.CompleteValues(cmd, "type", types...)
	cli.CompleteValues(cmd, "key-type", keyTypes...)
	return cli.SetTimeout(cmd, cli.DefaultTimeout)
}

func newStatusCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "status REF",
		Short: "Show the status of a certificate request",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			st, err := s.Client.Certificates.EnrollmentStatus(cmd.Context(), args[0])
			if err != nil {
				return cli.RefreshError(err)
			}
			return f.Emit(st, func(w io.Writer) {
				fmt.Fprintf(w, "Status:  %d %s\n", st.Status.Code, st.Status.Description)
				if st.CertificateSerialNumber != "" {
					fmt.Fprintf(w, "Serial:  %s\n", st.CertificateSerialNumber)
				}
			})
		},
	}
}

func newGetCmd(f *cli.Factory) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "get SERIAL --out FILE",
		Short: "Download a certificate (PEM)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			cert, err := s.Client.Certificates.RetrieveX509(cmd.Context(), args[0])
			if err != nil {
				return cli.RefreshError(err)
			}
			if err := atomicfile.Write(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
				return err
			}
			return f.Emit(map[string]string{"serialNumber": args[0], "file": out}, func(w io.Writer) {
				fmt.Fprintf(w, "Wrote %s\n", out)
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// ListResult is the -o json output of `ksef cert list`.
type ListResult struct {
	Certificates []ksef.CertificateListItem `json:"certificates"`
}

func newListCmd(f *cli.Factory) *cobra.Command {
	var typ, status, name, serial string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the subject's KSeF certificates (every page)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := &ksef.QueryCertificatesRequest{Name: name, CertificateSerialNumber: serial}
			if typ != "" {
				v, ok := cli.MatchValue(typ, types...)
				if !ok {
					return fmt.Errorf("--type %q: want Authentication or Offline", typ)
				}
				q.Type = ksef.KsefCertificateType(v)
			}
			if status != "" {
				v, ok := cli.MatchValue(status, statuses...)
				if !ok {
					return fmt.Errorf("--status %q: want one of %s", status, strings.Join(statuses, ", "))
				}
				q.Status = ksef.CertificateListItemStatus(v)
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			res := ListResult{Certificates: []ksef.CertificateListItem{}}
			for it, err := range s.Client.Certificates.QueryAll(cmd.Context(), q, &ksef.QueryCertificatesParams{PageSize: 50}) {
				if err != nil {
					return cli.RefreshError(err)
				}
				res.Certificates = append(res.Certificates, it)
			}
			return f.Emit(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SERIAL\tTYPE\tSTATUS\tVALID TO\tNAME")
				for _, c := range res.Certificates {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.CertificateSerialNumber, c.Type, c.Status, c.ValidTo.UTC().Format(time.RFC3339), c.Name)
				}
				tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&typ, "type", "", "Authentication or Offline")
	cmd.Flags().StringVar(&status, "status", "", "Active, Blocked, Revoked or Expired")
	cmd.Flags().StringVar(&name, "name", "", "name contains")
	cmd.Flags().StringVar(&serial, "serial", "", "serial number")
	cli.CompleteValues(cmd, "type", types...)
	cli.CompleteValues(cmd, "status", statuses...)
	return cmd
}

func newRevokeCmd(f *cli.Factory) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "revoke SERIAL",
		Short: "Revoke a KSeF certificate",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r ksef.CertificateRevocationReason
			if reason != "" {
				v, ok := cli.MatchValue(reason, reasons...)
				if !ok {
					return fmt.Errorf("--reason %q: want one of %s", reason, strings.Join(reasons, ", "))
				}
				r = ksef.CertificateRevocationReason(v)
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			if err := s.Client.Certificates.Revoke(cmd.Context(), args[0], r); err != nil {
				return cli.RefreshError(err)
			}
			return f.Emit(map[string]string{"revoked": args[0]}, func(w io.Writer) { fmt.Fprintf(w, "Revoked %s\n", args[0]) })
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "Unspecified, Superseded or KeyCompromise")
	cli.CompleteValues(cmd, "reason", reasons...)
	return cmd
}

func newShortenCmd(f *cli.Factory) *cobra.Command {
	var validTo string
	cmd := &cobra.Command{
		Use:   "shorten SERIAL --valid-to TIME",
		Short: "TEST only: move a certificate's expiry earlier (to test expired certificates)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := time.Parse(time.RFC3339, validTo)
			if err != nil {
				return fmt.Errorf("--valid-to %q: want an RFC 3339 time", validTo)
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			if err := s.Client.Certificates.TestSetValidTo(cmd.Context(), args[0], v); err != nil {
				return cli.RefreshError(err)
			}
			return f.Emit(map[string]any{"serialNumber": args[0], "validTo": v}, func(w io.Writer) {
				fmt.Fprintf(w, "Certificate %s now expires %s\n", args[0], v.UTC().Format(time.RFC3339))
			})
		},
	}
	cmd.Flags().StringVar(&validTo, "valid-to", "", "new expiry (RFC 3339), not later than the current one")
	_ = cmd.MarkFlagRequired("valid-to")
	return cmd
}
