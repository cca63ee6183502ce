package synccmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/storeurl"
	"github.com/ksef2/ksef/visual"
)

// NewDB is the `ksef db` area.
func NewDB(f *cli.Factory) *cobra.Command {
	var store string
	cmd := &cobra.Command{
		Use:   "db",
		Short: "List, show, total and render the invoices a sync store holds",
		Long: `Read the store filled by ksef sync (--store sqlite:FILE or postgres://…) without
calling KSeF: list invoices with filters, show one (its key fields, metadata or
XML), sum them per currency, render one to PDF, and show the sync checkpoints.`,
	}
	cmd.PersistentFlags().StringVar(&store, "store", DefaultStore, "store: sqlite:FILE or postgres://USER@HOST/DB")
	open := func(ctx context.Context) (ksefsync.Store, error) { return storeurl.Open(ctx, store) }
	cmd.AddCommand(newListCmd(f, open), newTotalsCmd(f, open), newShowCmd(f, open), newRenderCmd(f, open), newStatusCmd(f, open))
	return cmd
}

type opener func(context.Context) (ksefsync.Store, error)

func filterFlags(cmd *cobra.Command, fl *ksefsync.Filter, subject *string) {
	cmd.Flags().StringVar(&fl.Context, "context", "", "only invoices read in this context (NIP)")
	cmd.Flags().StringVar(subject, "subject-type", "", "only invoices of this subject type (Subject1 issued, Subject2 received, …)")
	cmd.Flags().StringVar(&fl.SellerNIP, "seller", "", "only invoices of this seller NIP")
	cmd.Flags().StringVar(&fl.BuyerID, "buyer", "", "only invoices of this buyer identifier")
	cmd.Flags().StringVar(&fl.IssuedFrom, "from", "", "issued on or after this date (YYYY-MM-DD)")
	cmd.Flags().StringVar(&fl.IssuedTo, "to", "", "issued on or before this date (YYYY-MM-DD)")
}

func checkFilter(fl *ksefsync.Filter, subject string) error {
	if subject != "" {
		st, err := parseSubjectType(subject)
		if err != nil {
			return err
		}
		fl.SubjectType = st
	}
	for _, d := range []string{fl.IssuedFrom, fl.IssuedTo} {
		if d == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return fmt.Errorf("date %q: want YYYY-MM-DD", d)
		}
	}
	return nil
}

// Amount formats minor units as "1234.56".
func Amount(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// ListedInvoice is one row of `ksef db list -o json`.
type ListedInvoice struct {
	KSeFNumber           string `json:"ksefNumber"`
	InvoiceNumber        string `json:"invoiceNumber"`
	IssueDate            string `json:"issueDate"`
	PermanentStorageDate string `json:"permanentStorageDate"`
	SellerNIP            string `json:"sellerNip"`
	SellerName           string `json:"sellerName,omitempty"`
	BuyerID              string `json:"buyerId,omitempty"`
	BuyerName            string `json:"buyerName,omitempty"`
	Net                  string `json:"net"`
	VAT                  string `json:"vat"`
	Gross                string `json:"gross"`
	Currency             string `json:"currency"`
	InvoiceType          string `json:"invoiceType"`
}

func listed(r ksefsync.StoredInvoice) ListedInvoice {
	return ListedInvoice{KSeFNumber: r.KSeFNumber, InvoiceNumber: r.InvoiceNumber, IssueDate: r.IssueDate,
		PermanentStorageDate: r.PermanentStorageDate.Format(time.RFC3339Nano), SellerNIP: r.SellerNIP, SellerName: r.SellerName,
		BuyerID: r.BuyerID, BuyerName: r.BuyerName, Net: Amount(r.Net), VAT: Amount(r.VAT), Gross: Amount(r.Gross),
		Currency: r.Currency, InvoiceType: r.InvoiceType}
}

func newListCmd(f *cli.Factory, open opener) *cobra.Command {
	var fl ksefsync.Filter
	var subject string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List stored invoices (by permanent-storage date)",
		Example: `  ksef db list --store sqlite:ksef.db --subject-type Subject2 --from 2026-01-01
  ksef db list --seller 5265877635 --limit 20 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFilter(&fl, subject); err != nil {
				return err
			}
			st, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if f.JSON() {
				// one JSON array (use the text output or --limit for very large stores)
				var out []ListedInvoice
				for r, err := range st.Invoices(cmd.Context(), fl) {
					if err != nil {
						return err
					}
					out = append(out, listed(r))
				}
				if out == nil {
					out = []ListedInvoice{}
				}
				return f.Emit(out, nil)
			}
			tw := tabwriter.NewWriter(f.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KSEF NUMBER\tINVOICE\tISSUED\tSELLER\tBUYER\tGROSS\tCUR")
			n := 0
			for r, err := range st.Invoices(cmd.Context(), fl) {
				if err != nil {
					return err
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.KSeFNumber, cli.Sanitize(r.InvoiceNumber), r.IssueDate, r.SellerNIP, cli.Sanitize(r.BuyerID), Amount(r.Gross), r.Currency)
				n++
			}
			tw.Flush()
			fmt.Fprintf(f.Stdout, "%d invoices\n", n)
			return nil
		},
	}
	filterFlags(cmd, &fl, &subject)
	cmd.Flags().IntVar(&fl.Limit, "limit", 0, "list at most this many")
	return cmd
}

// TotalsReport is the result of `ksef db totals`.
type TotalsReport struct {
	Totals []TotalRow `json:"totals"`
}

// TotalRow sums the invoices of one currency.
type TotalRow struct {
	Currency string `json:"currency"`
	Count    int64  `json:"count"`
	Net      string `json:"net"`
	VAT      string `json:"vat"`
	Gross    string `json:"gross"`
}

func newTotalsCmd(f *cli.Factory, open opener) *cobra.Command {
	var fl ksefsync.Filter
	var subject string
	cmd := &cobra.Command{
		Use:     "totals",
		Short:   "Sum stored invoices per currency",
		Example: `  ksef db totals --context 5265877635 --subject-type Subject2 --from 2026-01-01 --to 2026-01-31`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFilter(&fl, subject); err != nil {
				return err
			}
			st, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			tot, err := st.Totals(cmd.Context(), fl)
			if err != nil {
				return err
			}
			rep := TotalsReport{Totals: []TotalRow{}}
			for _, t := range tot {
				rep.Totals = append(rep.Totals, TotalRow{Currency: t.Currency, Count: t.Count, Net: Amount(t.Net), VAT: Amount(t.VAT), Gross: Amount(t.Gross)})
			}
			return f.Emit(rep, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
				fmt.Fprintln(tw, "CURRENCY\tINVOICES\tNET\tVAT\tGROSS\t")
				for _, t := range rep.Totals {
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t\n", t.Currency, t.Count, t.Net, t.VAT, t.Gross)
				}
				tw.Flush()
			})
		},
	}
	filterFlags(cmd, &fl, &subject)
	return cmd
}

func newShowCmd(f *cli.Factory, open opener) *cobra.Command {
	var xml bool
	cmd := &cobra.Command{
		Use:   "show KSEF-NUMBER",
		Short: "Show a stored invoice (key fields and metadata, or its XML with --xml)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			inv, err := st.Invoice(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if xml {
				_, err := f.Stdout.Write(inv.XML)
				return err
			}
			type shown struct {
				ListedInvoice
				AcquisitionDate string          `json:"acquisitionDate"`
				FormCode        string          `json:"formCode"`
				Metadata        jsonRawOrString `json:"metadata"`
				XMLBytes        int             `json:"xmlBytes"`
			}
			v := shown{ListedInvoice: listed(*inv), AcquisitionDate: inv.AcquisitionDate.Format(time.RFC3339Nano), FormCode: inv.FormCode,
				Metadata: jsonRawOrString(inv.Metadata), XMLBytes: len(inv.XML)}
			return f.Emit(v, func(w io.Writer) {
				l := v.ListedInvoice
				for _, kv := range [][2]string{
					{"KSeF number", l.KSeFNumber}, {"invoice number", l.InvoiceNumber}, {"type", l.InvoiceType + " (" + v.FormCode + ")"},
					{"issued", l.IssueDate}, {"received by KSeF", v.AcquisitionDate}, {"permanently stored", l.PermanentStorageDate},
					{"seller", strings.TrimSpace(l.SellerNIP + " " + l.SellerName)}, {"buyer", strings.TrimSpace(l.BuyerID + " " + l.BuyerName)},
					{"net", l.Net + " " + l.Currency}, {"VAT", l.VAT + " " + l.Currency}, {"gross", l.Gross + " " + l.Currency},
					{"XML", fmt.Sprintf("%d bytes", v.XMLBytes)},
				} {
					fmt.Fprintf(w, "%-20s %s\n", kv[0]+":", kv[1])
				}
			})
		},
	}
	cmd.Flags().BoolVar(&xml, "xml", false, "print the invoice XML")
	return cmd
}

// jsonRawOrString is stored metadata JSON, emitted as JSON.
type jsonRawOrString []byte

// MarshalJSON returns the stored JSON.
func (j jsonRawOrString) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// RenderResult is the result of `ksef db render`.
type RenderResult struct {
	KSeFNumber string `json:"ksefNumber"`
	Out        string `json:"out"`
	Format     string `json:"format"`
	Bytes      int    `json:"bytes"`
}

func newRenderCmd(f *cli.Factory, open opener) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:     "render KSEF-NUMBER",
		Short:   "Render a stored invoice to PDF or HTML (by --out's extension), with its KSeF number",
		Example: `  ksef db render 5265877635-20260115-0123456789AB-CE --out faktura.pdf`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format := ""
			switch strings.ToLower(out[strings.LastIndex(out, ".")+1:]) {
			case "pdf":
				format = "pdf"
			case "html", "htm":
				format = "html"
			default:
				return errors.New("--out must end in .pdf or .html")
			}
			st, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			inv, err := st.Invoice(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			doc, err := visual.FromFA3(inv.XML)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			doc.KSeFNumber = inv.KSeFNumber
			var buf bytes.Buffer
			if format == "pdf" {
				err = visual.RenderInvoicePDF(&buf, doc)
			} else {
				err = visual.RenderInvoiceHTML(&buf, doc)
			}
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return err
			}
			res := RenderResult{KSeFNumber: inv.KSeFNumber, Out: out, Format: format, Bytes: buf.Len()}
			return f.Emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "wrote %s (%s, %d bytes)\n", out, strings.ToUpper(format), buf.Len())
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output file: .pdf or .html (required)")
	cmd.MarkFlagRequired("out")
	return cmd
}

// StatusRow is one stream of `ksef db status`.
type StatusRow struct {
	Context     string `json:"context"`
	SubjectType string `json:"subjectType"`
	Kind        string `json:"kind,omitempty"`
	NextFrom    string `json:"nextFrom"`
	HWM         string `json:"hwm,omitempty"`
	End         string `json:"end,omitempty"`
	UpdatedAt   string `json:"updatedAt"`
	Invoices    int64  `json:"invoices"`
}

func fmtT(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func newStatusCmd(f *cli.Factory, open opener) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the sync checkpoint of every stream and how many invoices it holds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			cps, err := st.Checkpoints(cmd.Context())
			if err != nil {
				return err
			}
			rows := []StatusRow{}
			for _, c := range cps {
				rows = append(rows, StatusRow{Context: c.Key.Context, SubjectType: string(c.Key.SubjectType), Kind: c.Key.Kind,
					NextFrom: fmtT(c.Checkpoint.From), HWM: fmtT(c.Checkpoint.HWM), End: fmtT(c.Checkpoint.End), UpdatedAt: fmtT(c.UpdatedAt), Invoices: c.Invoices})
			}
			return f.Emit(rows, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CONTEXT\tSUBJECT\tKIND\tNEXT FROM\tHWM\tINVOICES")
				for _, r := range rows {
					kind := r.Kind
					if kind == "" {
						kind = "incremental"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", r.Context, r.SubjectType, kind, r.NextFrom, r.HWM, r.Invoices)
				}
				tw.Flush()
			})
		},
	}
}
