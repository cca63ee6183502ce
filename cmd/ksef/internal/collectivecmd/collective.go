// Package collectivecmd is the `ksef collective` command area: collective
// identifiers (identyfikatory zbiorcze) of the profile's context — create,
// list, find by KSeF number, list invoices — and payment titles.
package collectivecmd

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
)

// New is the `ksef collective` area.
func New(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "collective",
		Short: "Collective identifiers: create, list, of an invoice, invoices; payment titles",
	}
	cmd.AddCommand(newCreateCmd(f), newListCmd(f), newOfCmd(f), newInvoicesCmd(f), newTitleCmd(f))
	return cli.SetTimeout(cmd, cli.StatusTimeout)
}

// parseInvoice reads KSEF[,AMOUNT,CURRENCY[,DESCRIPTION]].
func parseInvoice(s string) (ksef.CollectiveIdentifierInvoice, error) {
	parts := strings.SplitN(s, ",", 4)
	inv := ksef.CollectiveIdentifierInvoice{KSeFNumber: parts[0]}
	switch len(parts) {
	case 1:
		return inv, nil
	case 2:
		return inv, fmt.Errorf("--invoice %q: want KSEF_NUMBER[,AMOUNT,CURRENCY[,DESCRIPTION]]", s)
	}
	amount, err := strconv.ParseFloat(parts[1], 64)
	if err != nil || amount < 0 {
		return inv, fmt.Errorf("--invoice %q: amount %q is not a number", s, parts[1])
	}
	inv.Payment = &ksef.CollectiveIdentifierInvoicePayment{Amount: amount, Currency: ksef.CurrencyCode(strings.ToUpper(parts[2]))}
	if len(parts) == 4 {
		inv.Description = parts[3]
	}
	return inv, nil
}

// CreateResult is the -o json output of `ksef collective create`.
type CreateResult struct {
	CollectiveIdentifierNumber string `json:"collectiveIdentifierNumber"`
	PaymentTitle               string `json:"paymentTitle"`
}

func newCreateCmd(f *cli.Factory) *cobra.Command {
	var invoices []string
	var note string
	cmd := &cobra.Command{
		Use:   "create --invoice KSEF[,AMOUNT,CURRENCY[,DESCRIPTION]] --invoice ...",
		Short: "Create a collective identifier for 2 or more invoices of one seller",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &ksef.GenerateCollectiveIdentifierRequest{}
			for _, s := range invoices {
				inv, err := parseInvoice(s)
				if err != nil {
					return err
				}
				req.Invoices = append(req.Invoices, inv)
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			res, err := s.Client.CollectiveIdentifiers.Create(cmd.Context(), req)
			if err != nil {
				return cli.RefreshError(err)
			}
			title, err := ksef.PaymentTitle(res.CollectiveIdentifierNumber, note)
			if err != nil {
				return err
			}
			out := CreateResult{CollectiveIdentifierNumber: res.CollectiveIdentifierNumber, PaymentTitle: title}
			return f.Emit(out, func(w io.Writer) {
				fmt.Fprintf(w, "Collective identifier: %s\nPayment title:         %s\n", out.CollectiveIdentifierNumber, out.PaymentTitle)
			})
		},
	}
	cmd.Flags().StringArrayVar(&invoices, "invoice", nil, "KSeF number, optionally with amount, currency and description (repeatable)")
	cmd.Flags().StringVar(&note, "note", "", "text after the identifier in the payment title")
	_ = cmd.MarkFlagRequired("invoice")
	return cli.SetTimeout(cmd, cli.DefaultTimeout)
}

// ListResult is the -o json output of `ksef collective list`.
type ListResult struct {
	CollectiveIdentifiers []ksef.CollectiveIdentifiersQueryResponseItem `json:"collectiveIdentifiers"`
}

func parseDate(flag, s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--%s %q: want a date (2026-01-31) or an RFC 3339 time", flag, s)
}

func newListCmd(f *cli.Factory) *cobra.Command {
	var from, to, number, mine string
	cmd := &cobra.Command{
		Use:   "list [--from DATE] [--to DATE]",
		Short: "List the collective identifiers of the context (default: the last 30 days; at most 100 days)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now().UTC()
			t, err := parseDate("to", to, now)
			if err != nil {
				return err
			}
			fr, err := parseDate("from", from, t.Add(-30*24*time.Hour))
			if err != nil {
				return err
			}
			q := &ksef.CollectiveIdentifiersQueryRequest{DateCreatedFrom: fr, DateCreatedTo: t, CollectiveIdentifierNumber: number}
			if mine != "" {
				b, err := strconv.ParseBool(mine)
				if err != nil {
					return fmt.Errorf("--created-here %q: want true or false", mine)
				}
				q.CreatedInCurrentContext = &b
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			res := ListResult{CollectiveIdentifiers: []ksef.CollectiveIdentifiersQueryResponseItem{}}
			for it, err := range s.Client.CollectiveIdentifiers.QueryAll(cmd.Context(), q, &ksef.CollectivePage{PageSize: 200}) {
				if err != nil {
					return cli.RefreshError(err)
				}
				res.CollectiveIdentifiers = append(res.CollectiveIdentifiers, it)
			}
			return f.Emit(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "IDENTIFIER\tCREATED\tINVOICES\tHERE")
				for _, c := range res.CollectiveIdentifiers {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%v\n", c.CollectiveIdentifierNumber, c.DateCreated.UTC().Format(time.RFC3339), c.InvoiceCount, c.CreatedInCurrentContext)
				}
				tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "created from (date or RFC 3339)")
	cmd.Flags().StringVar(&to, "to", "", "created to (date or RFC 3339; default now)")
	cmd.Flags().StringVar(&number, "number", "", "only this identifier")
	cmd.Flags().StringVar(&mine, "created-here", "", "true: only those created in this context; false: only others")
	cli.CompleteValues(cmd, "created-here", "true", "false")
	return cmd
}

func newOfCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "of KSEF_NUMBER",
		Short: "List the collective identifiers that contain an invoice",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			var out []ksef.CollectiveIdentifiersByKsefNumberQueryResponseItem
			for it, err := range s.Client.CollectiveIdentifiers.ByKSeFNumberAll(cmd.Context(), args[0], &ksef.CollectivePage{PageSize: 200}) {
				if err != nil {
					return cli.RefreshError(err)
				}
				out = append(out, it)
			}
			res := map[string]any{"ksefNumber": args[0], "collectiveIdentifiers": out}
			if out == nil {
				res["collectiveIdentifiers"] = []any{}
			}
			return f.Emit(res, func(w io.Writer) {
				for _, c := range out {
					fmt.Fprintf(w, "%s  %s  here: %v\n", c.CollectiveIdentifierNumber, c.DateCreated.UTC().Format(time.RFC3339), c.CreatedInCurrentContext)
				}
			})
		},
	}
}

// InvoicesResult is the -o json output of `ksef collective invoices`.
type InvoicesResult struct {
	Invoices []ksef.CollectiveIdentifierInvoicesQueryResponseItem `json:"invoices"`
}

func newInvoicesCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "invoices IDENTIFIER...",
		Short: "List the invoices of collective identifiers (any number; 10 per request)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			res := InvoicesResult{Invoices: []ksef.CollectiveIdentifierInvoicesQueryResponseItem{}}
			for it, err := range s.Client.CollectiveIdentifiers.InvoicesAll(cmd.Context(), args, &ksef.CollectivePage{PageSize: 500}) {
				if err != nil {
					return cli.RefreshError(err)
				}
				res.Invoices = append(res.Invoices, it)
			}
			return f.Emit(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "IDENTIFIER\tKSEF NUMBER\tAMOUNT\tDESCRIPTION")
				for _, it := range res.Invoices {
					amount := ""
					switch {
					case it.Payment != nil:
						amount = strconv.FormatFloat(it.Payment.Amount, 'f', 2, 64) + " " + it.Payment.Currency
					case it.DetailsHidden:
						amount = "(hidden)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", it.CollectiveIdentifierNumber, it.KSeFNumber, amount, it.Description)
				}
				tw.Flush()
			})
		},
	}
}

func newTitleCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "title KSEF_NUMBER|IDENTIFIER [NOTE]",
		Short: "Print a bank transfer title (at most 140 characters) for a KSeF number or collective identifier (offline)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			note := ""
			if len(args) == 2 {
				note = args[1]
			}
			title, err := ksef.PaymentTitle(args[0], note)
			if err != nil {
				return err
			}
			return f.Emit(map[string]string{"paymentTitle": title}, func(w io.Writer) { fmt.Fprintln(w, title) })
		},
	}
}
