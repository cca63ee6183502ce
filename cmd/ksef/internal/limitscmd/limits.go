// Package limitscmd is the `ksef limits` command area: the context,
// subject and API rate limits of the profile, and on TEST their overrides
// (set, reset, production profile).
package limitscmd

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
)

// settableGroups are the rate-limit groups POST /testdata/rate-limits takes.
var settableGroups = []string{"onlineSession", "batchSession", "invoiceSend", "invoiceStatus", "sessionList",
	"sessionInvoiceList", "sessionMisc", "invoiceMetadata", "invoiceExport", "invoiceExportStatus",
	"invoiceDownload", "collectiveIdentifier", "other"}

// New is the `ksef limits` area.
func New(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "limits",
		Short: "Context, subject and API rate limits; on TEST set, reset and the production profile",
	}
	cmd.AddCommand(newShowCmd(f), newSetSessionCmd(f), newSetCertCmd(f), newSetRateCmd(f),
		newResetCmd(f), newProductionCmd(f))
	return cli.SetTimeout(cmd, cli.StatusTimeout)
}

// ShowResult is the -o json output of `ksef limits show`.
type ShowResult struct {
	Context    *ksef.EffectiveContextLimits           `json:"context"`
	Subject    *ksef.EffectiveSubjectLimits           `json:"subject"`
	RateLimits map[ksef.RateLimitGroup]ksef.RateLimit `json:"rateLimits"`
}

func newShowCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Show the limits in force for the profile's context and subject",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var res ShowResult
			if res.Context, err = s.Client.Limits.Context(ctx); err != nil {
				return cli.RefreshError(err)
			}
			if res.Subject, err = s.Client.Limits.Subject(ctx); err != nil {
				return cli.RefreshError(err)
			}
			rl, err := s.Client.Limits.RateLimits(ctx)
			if err != nil {
				return cli.RefreshError(err)
			}
			res.RateLimits = rl.Groups()
			return f.Emit(res, func(w io.Writer) {
				c := res.Context
				fmt.Fprintf(w, "Online session:  %d invoices, %d MB (%d MB with attachments)\n", c.OnlineSession.MaxInvoices,
					c.OnlineSession.MaxInvoiceSizeInMB, c.OnlineSession.MaxInvoiceWithAttachmentSizeInMB)
				fmt.Fprintf(w, "Batch session:   %d invoices, %d MB (%d MB with attachments)\n", c.BatchSession.MaxInvoices,
					c.BatchSession.MaxInvoiceSizeInMB, c.BatchSession.MaxInvoiceWithAttachmentSizeInMB)
				fmt.Fprintf(w, "Collective id.:  %d invoices\n", c.CollectiveIdentifier.MaxInvoices)
				if e := res.Subject.Enrollment; e != nil && e.MaxEnrollments != nil {
					fmt.Fprintf(w, "Enrollments:     %d\n", *e.MaxEnrollments)
				}
				if e := res.Subject.Certificate; e != nil && e.MaxCertificates != nil {
					fmt.Fprintf(w, "Certificates:    %d\n", *e.MaxCertificates)
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "GROUP\tPER SECOND\tPER MINUTE\tPER HOUR")
				groups := make([]string, 0, len(res.RateLimits))
				for g := range res.RateLimits {
					groups = append(groups, string(g))
				}
				slices.Sort(groups)
				for _, g := range groups {
					l := res.RateLimits[ksef.RateLimitGroup(g)]
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g, n(l.PerSecond), n(l.PerMinute), n(l.PerHour))
				}
				tw.Flush()
			})
		},
	}
}

func n(v int) string {
	if v <= 0 {
		return "-"
	}
	return strconv.Itoa(v)
}

func done(f *cli.Factory, what string) error {
	return f.Emit(map[string]string{"done": what}, func(w io.Writer) { fmt.Fprintln(w, what) })
}

func newSetSessionCmd(f *cli.Factory) *cobra.Command {
	var online, batch, size, sizeAtt, collective int32
	cmd := &cobra.Command{
		Use:   "set-session",
		Short: "TEST only: override the session limits of the context",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			req := &ksef.SetSessionLimitsRequest{
				OnlineSession:        ksef.OnlineSessionContextLimitsOverride{MaxInvoiceSizeInMB: size, MaxInvoiceWithAttachmentSizeInMB: sizeAtt, MaxInvoices: online},
				BatchSession:         ksef.BatchSessionContextLimitsOverride{MaxInvoiceSizeInMB: size, MaxInvoiceWithAttachmentSizeInMB: sizeAtt, MaxInvoices: batch},
				CollectiveIdentifier: ksef.CollectiveIdentifierContextLimitsOverride{MaxInvoices: collective},
			}
			if err := s.Client.Limits.SetSessionLimits(cmd.Context(), req); err != nil {
				return cli.RefreshError(err)
			}
			return done(f, "Session limits set")
		},
	}
	fl := cmd.Flags()
	fl.Int32Var(&online, "online-invoices", 10000, "invoices per online session (0-100000)")
	fl.Int32Var(&batch, "batch-invoices", 10000, "invoices per batch session (0-100000)")
	fl.Int32Var(&size, "invoice-size-mb", 1, "invoice size in MB (0-5)")
	fl.Int32Var(&sizeAtt, "attachment-size-mb", 3, "size of an invoice with attachments in MB (0-10)")
	fl.Int32Var(&collective, "collective-invoices", 500, "invoices per collective identifier (2-5000)")
	return cmd
}

func newSetCertCmd(f *cli.Factory) *cobra.Command {
	var enrollments, certs int32
	cmd := &cobra.Command{
		Use:   "set-cert",
		Short: "TEST only: override the certificate limits of the subject",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &ksef.SetSubjectLimitsRequest{}
			if cmd.Flags().Changed("enrollments") {
				req.Enrollment = &ksef.EnrollmentSubjectLimitsOverride{MaxEnrollments: &enrollments}
			}
			if cmd.Flags().Changed("certificates") {
				req.Certificate = &ksef.CertificateSubjectLimitsOverride{MaxCertificates: &certs}
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			if err := s.Client.Limits.SetCertificateLimits(cmd.Context(), req); err != nil {
				return cli.RefreshError(err)
			}
			return done(f, "Certificate limits set")
		},
	}
	cmd.Flags().Int32Var(&enrollments, "enrollments", 0, "certificate requests the subject may file")
	cmd.Flags().Int32Var(&certs, "certificates", 0, "active certificates the subject may hold")
	return cmd
}

// parseRate reads GROUP=S/M/H.
func parseRate(s string) (ksef.RateLimitGroup, ksef.RateLimit, error) {
	g, v, ok := strings.Cut(s, "=")
	name, known := cli.MatchValue(g, settableGroups...)
	parts := strings.Split(v, "/")
	if !ok || !known || len(parts) != 3 {
		return "", ksef.RateLimit{}, fmt.Errorf("--group %q: want GROUP=PER_SECOND/PER_MINUTE/PER_HOUR with GROUP one of %s", s, strings.Join(settableGroups, ", "))
	}
	var nums [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil || x <= 0 {
			return "", ksef.RateLimit{}, fmt.Errorf("--group %q: limits must be positive integers", s)
		}
		nums[i] = x
	}
	return ksef.RateLimitGroup(name), ksef.RateLimit{PerSecond: nums[0], PerMinute: nums[1], PerHour: nums[2]}, nil
}

func newSetRateCmd(f *cli.Factory) *cobra.Command {
	var groups []string
	cmd := &cobra.Command{
		Use:   "set-rate --group GROUP=S/M/H [--group ...]",
		Short: "TEST only: set custom API rate limits for the context (other groups keep the published values)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m := map[ksef.RateLimitGroup]ksef.RateLimit{}
			for _, g := range groups {
				name, l, err := parseRate(g)
				if err != nil {
					return err
				}
				m[name] = l
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			if err := s.Client.Limits.SetRateLimits(cmd.Context(), ksef.RateLimitsOverride(m)); err != nil {
				return cli.RefreshError(err)
			}
			return done(f, "Rate limits set")
		},
	}
	cmd.Flags().StringArrayVar(&groups, "group", nil, "GROUP=PER_SECOND/PER_MINUTE/PER_HOUR (repeatable)")
	_ = cmd.MarkFlagRequired("group")
	_ = cmd.RegisterFlagCompletionFunc("group", func(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, g := range settableGroups {
			if strings.HasPrefix(strings.ToLower(g), strings.ToLower(prefix)) {
				out = append(out, g+"=")
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
	return cmd
}

var resettable = []string{"session", "cert", "rate"}

func newResetCmd(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:       "reset session|cert|rate",
		Short:     "TEST only: restore the default session, certificate or rate limits",
		Args:      cobra.ExactArgs(1),
		ValidArgs: resettable,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			switch strings.ToLower(args[0]) {
			case "session":
				err = s.Client.Limits.ResetSessionLimits(cmd.Context())
			case "cert":
				err = s.Client.Limits.ResetCertificateLimits(cmd.Context())
			case "rate":
				err = s.Client.Limits.ResetRateLimits(cmd.Context())
			default:
				return fmt.Errorf("%q: want session, cert or rate", args[0])
			}
			if err != nil {
				return cli.RefreshError(err)
			}
			return done(f, "Limits reset: "+args[0])
		},
	}
	return cmd
}

func newProductionCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "production",
		Short: "TEST only: apply the production rate-limit profile to the context",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			if err := s.Client.Limits.UseProductionRateLimits(cmd.Context()); err != nil {
				return cli.RefreshError(err)
			}
			return done(f, "Production rate limits applied")
		},
	}
}
