package invoicecmd

import (
	"errors"
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

// ParseWhen reads a point in time given on the command line: "now", a
// relative offset from now ("-30d", "-12h", "-90m", "+1d"), a date
// ("2026-01-31", midnight UTC) or an RFC 3339 timestamp with Z or an
// offset.
func ParseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "now" {
		return now, nil
	}
	if len(s) > 1 && (s[0] == '-' || s[0] == '+') {
		unit := s[len(s)-1]
		n, err := strconv.Atoi(s[1 : len(s)-1])
		if err == nil {
			var d time.Duration
			switch unit {
			case 'd':
				d = time.Duration(n) * 24 * time.Hour
			case 'h':
				d = time.Duration(n) * time.Hour
			case 'm':
				d = time.Duration(n) * time.Minute
			default:
				return time.Time{}, fmt.Errorf("date %q: unknown unit %q (use d, h or m)", s, unit)
			}
			if s[0] == '-' {
				d = -d
			}
			return now.Add(d), nil
		}
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("date %q: use now, -30d, -12h, 2026-01-31 or 2026-01-31T10:00:00Z", s)
}

// filterFlags are the metadata filters as command-line flags, shared by
// `ksef invoice query` and `ksef export`.
type filterFlags struct {
	subject, dateType, from, to           string
	restrictHWM                           bool
	ksefNumber, invoiceNumber, sellerNIP  string
	amountType, amountFrom, amountTo      string
	buyerType, buyerID                    string
	currencies, types                     []string
	mode, selfInvoicing, form, attachment string
}

// FilterFlags adds the filter flags to cmd and returns a function that
// builds the filters from them.
func FilterFlags(cmd *cobra.Command) func(now time.Time) (ksef.InvoiceQueryFilters, error) {
	ff := &filterFlags{}
	fl := cmd.Flags()
	fl.StringVar(&ff.subject, "subject", "buyer", "whose invoices: seller (Subject1), buyer (Subject2), third (Subject3) or authorized (SubjectAuthorized)")
	fl.StringVar(&ff.dateType, "date-type", "storage", "date the range applies to: issue, invoicing or storage (permanent storage)")
	fl.StringVar(&ff.from, "from", "-30d", "start of the date range: now, -30d, -12h, 2026-01-31 or RFC 3339")
	fl.StringVar(&ff.to, "to", "", "end of the date range (default now); at most 100 days after --from")
	fl.BoolVar(&ff.restrictHWM, "restrict-hwm", false, "end the range at the permanent storage HWM (storage dates only)")
	fl.StringVar(&ff.ksefNumber, "ksef-number", "", "only this KSeF number")
	fl.StringVar(&ff.invoiceNumber, "invoice-number", "", "only this invoice number (P_2)")
	fl.StringVar(&ff.sellerNIP, "seller-nip", "", "only invoices of this seller")
	fl.StringVar(&ff.amountType, "amount-type", "gross", "amount the --amount-from/--amount-to bounds apply to: gross, net or vat")
	fl.StringVar(&ff.amountFrom, "amount-from", "", "smallest amount")
	fl.StringVar(&ff.amountTo, "amount-to", "", "largest amount")
	fl.StringVar(&ff.buyerType, "buyer-type", "", "buyer identifier type: nip, vatue, other or none")
	fl.StringVar(&ff.buyerID, "buyer-id", "", "buyer identifier (with --buyer-type; nip is the default type)")
	fl.StringSliceVar(&ff.currencies, "currency", nil, "currency codes, e.g. PLN,EUR")
	fl.StringSliceVar(&ff.types, "type", nil, "invoice types: Vat, Zal, Kor, Roz, Upr, KorZal, KorRoz, VatPef, VatPefSp, KorPef, VatRr, KorVatRr")
	fl.StringVar(&ff.mode, "mode", "", "invoicing mode: online or offline")
	fl.StringVar(&ff.selfInvoicing, "self-invoicing", "", "true or false")
	fl.StringVar(&ff.form, "form", "", "document type: FA, PEF or FA_RR")
	fl.StringVar(&ff.attachment, "has-attachment", "", "true or false")
	return ff.build
}

func (ff *filterFlags) build(now time.Time) (ksef.InvoiceQueryFilters, error) {
	var f ksef.InvoiceQueryFilters
	switch strings.ToLower(ff.subject) {
	case "seller", "subject1", "1":
		f.SubjectType = ksef.InvoiceQuerySubjectTypeSubject1
	case "buyer", "subject2", "2":
		f.SubjectType = ksef.InvoiceQuerySubjectTypeSubject2
	case "third", "subject3", "3":
		f.SubjectType = ksef.InvoiceQuerySubjectTypeSubject3
	case "authorized", "subjectauthorized":
		f.SubjectType = ksef.InvoiceQuerySubjectTypeSubjectAuthorized
	default:
		return f, fmt.Errorf("--subject %q: use seller, buyer, third or authorized", ff.subject)
	}
	switch strings.ToLower(ff.dateType) {
	case "issue":
		f.DateRange.DateType = ksef.InvoiceQueryDateTypeIssue
	case "invoicing":
		f.DateRange.DateType = ksef.InvoiceQueryDateTypeInvoicing
	case "storage", "permanentstorage":
		f.DateRange.DateType = ksef.InvoiceQueryDateTypePermanentStorage
	default:
		return f, fmt.Errorf("--date-type %q: use issue, invoicing or storage", ff.dateType)
	}
	from, err := ParseWhen(ff.from, now)
	if err != nil {
		return f, fmt.Errorf("--from: %w", err)
	}
	f.DateRange.From = from
	if ff.to != "" {
		to, err := ParseWhen(ff.to, now)
		if err != nil {
			return f, fmt.Errorf("--to: %w", err)
		}
		f.DateRange.To = &to
	}
	if ff.restrictHWM {
		t := true
		f.DateRange.RestrictToPermanentStorageHwmDate = &t
	}
	f.KSeFNumber, f.InvoiceNumber, f.SellerNip = ff.ksefNumber, ff.invoiceNumber, ff.sellerNIP
	if ff.amountFrom != "" || ff.amountTo != "" {
		a := &ksef.InvoiceQueryAmount{}
		switch strings.ToLower(ff.amountType) {
		case "gross", "brutto":
			a.Type = ksef.AmountTypeBrutto
		case "net", "netto":
			a.Type = ksef.AmountTypeNetto
		case "vat":
			a.Type = ksef.AmountTypeVat
		default:
			return f, fmt.Errorf("--amount-type %q: use gross, net or vat", ff.amountType)
		}
		for _, b := range []struct {
			s   string
			dst **float64
		}{{ff.amountFrom, &a.From}, {ff.amountTo, &a.To}} {
			if b.s == "" {
				continue
			}
			v, err := strconv.ParseFloat(strings.ReplaceAll(b.s, ",", "."), 64)
			if err != nil {
				return f, fmt.Errorf("amount %q: %w", b.s, err)
			}
			*b.dst = &v
		}
		f.Amount = a
	}
	if ff.buyerType != "" || ff.buyerID != "" {
		b := &ksef.InvoiceQueryBuyerIdentifier{Type: "Nip", Value: ff.buyerID}
		switch strings.ToLower(ff.buyerType) {
		case "", "nip":
		case "vatue":
			b.Type = "VatUe"
		case "other":
			b.Type = "Other"
		case "none":
			b.Type, b.Value = "None", ""
		default:
			return f, fmt.Errorf("--buyer-type %q: use nip, vatue, other or none", ff.buyerType)
		}
		f.BuyerIdentifier = b
	}
	for _, c := range ff.currencies {
		f.CurrencyCodes = append(f.CurrencyCodes, ksef.CurrencyCode(strings.ToUpper(c)))
	}
	for _, t := range ff.types {
		f.InvoiceTypes = append(f.InvoiceTypes, ksef.InvoiceType(t))
	}
	switch strings.ToLower(ff.mode) {
	case "":
	case "online":
		f.InvoicingMode = ksef.InvoicingModeOnline
	case "offline":
		f.InvoicingMode = ksef.InvoicingModeOffline
	default:
		return f, fmt.Errorf("--mode %q: use online or offline", ff.mode)
	}
	if f.IsSelfInvoicing, err = optBool("--self-invoicing", ff.selfInvoicing); err != nil {
		return f, err
	}
	if f.HasAttachment, err = optBool("--has-attachment", ff.attachment); err != nil {
		return f, err
	}
	switch strings.ToUpper(ff.form) {
	case "":
	case "FA", "PEF", "FA_RR":
		f.FormType = ksef.InvoiceQueryFormType(strings.ToUpper(ff.form))
	default:
		return f, fmt.Errorf("--form %q: use FA, PEF or FA_RR", ff.form)
	}
	return f, ksef.ValidateFilters(&f)
}

func optBool(name, s string) (*bool, error) {
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return nil, fmt.Errorf("%s %q: use true or false", name, s)
	}
	return &v, nil
}

// queryResult is the -o json output of `ksef invoice query`.
type queryResult struct {
	Invoices                []ksef.InvoiceMetadata `json:"invoices"`
	HasMore                 bool                   `json:"hasMore"`
	IsTruncated             bool                   `json:"isTruncated"`
	PermanentStorageHwmDate *time.Time             `json:"permanentStorageHwmDate,omitempty"`
}

func newInvoiceQueryCmd(f *cli.Factory) *cobra.Command {
	var (
		sort                 string
		pageSize, pageOffset int
		all                  bool
	)
	cmd := &cobra.Command{
		Use:   "query [flags]",
		Short: "List the metadata of invoices by any filter KSeF offers",
		Long: `List the metadata of invoices (KSeF number, number, dates, parties, amounts)
by any filter of KSeF's metadata query. Dates may be relative to now (-30d,
-12h) or absolute (2026-01-31, 2026-01-31T10:00:00Z); the range is at most 100
days. Without --all one page is shown (--page-size, --page-offset); --all
follows every page and, past KSeF's cap of 10,000 records, moves the date
window, showing each invoice once. KSeF allows 20 such queries per hour.`,
		Example: `  ksef invoice query --subject buyer --from -30d
  ksef invoice query --subject seller --date-type issue --from 2026-01-01 --to 2026-01-31 --all -o json
  ksef invoice query --subject buyer --amount-from 1000 --currency PLN,EUR --type Vat,Kor`,
		Args: cobra.NoArgs,
	}
	build := FilterFlags(cmd)
	cmd.Flags().StringVar(&sort, "sort", "asc", "sort order by the range's date: asc or desc")
	cmd.Flags().IntVar(&pageSize, "page-size", 100, "records per page (10-250)")
	cmd.Flags().IntVar(&pageOffset, "page-offset", 0, "page to show (without --all)")
	cmd.Flags().BoolVar(&all, "all", false, "follow all pages")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		filters, err := build(time.Now())
		if err != nil {
			return err
		}
		q := &ksef.MetadataQuery{Filters: filters, PageSize: pageSize, PageOffset: pageOffset}
		switch strings.ToLower(sort) {
		case "asc":
			q.SortOrder = ksef.SortOrderAsc
		case "desc":
			q.SortOrder = ksef.SortOrderDesc
		default:
			return fmt.Errorf("--sort %q: use asc or desc", sort)
		}
		s, err := f.Session()
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		res := queryResult{Invoices: []ksef.InvoiceMetadata{}}
		if all {
			if pageOffset != 0 {
				return errors.New("--page-offset and --all exclude each other")
			}
			for md, err := range s.Client.Invoices.QueryMetadataAll(ctx, q) {
				if err != nil {
					return cli.RefreshError(err)
				}
				res.Invoices = append(res.Invoices, md)
			}
		} else {
			page, err := s.Client.Invoices.QueryMetadata(ctx, q)
			if err != nil {
				return cli.RefreshError(err)
			}
			res = queryResult{Invoices: page.Invoices, HasMore: page.HasMore, IsTruncated: page.IsTruncated, PermanentStorageHwmDate: page.PermanentStorageHwmDate}
		}
		return f.Emit(res, func(w io.Writer) { printMetadata(w, res, all) })
	}
	return cli.SetTimeout(cmd, cli.DefaultTimeout)
}

func printMetadata(w io.Writer, res queryResult, all bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KSEF NUMBER\tNUMBER\tISSUED\tSELLER\tBUYER\tGROSS\tCURRENCY\tTYPE")
	for _, md := range res.Invoices {
		buyer := md.Buyer.Identifier.Value
		if buyer == "" {
			buyer = string(md.Buyer.Identifier.Type)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t%s\n", md.KSeFNumber, ksef.SanitizeText(md.InvoiceNumber), md.IssueDate,
			md.Seller.Nip, ksef.SanitizeText(buyer), md.GrossAmount, md.Currency, md.InvoiceType)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d invoice(s)", len(res.Invoices))
	if !all && res.HasMore {
		fmt.Fprint(w, "; more pages follow (--page-offset, or --all)")
	}
	if res.PermanentStorageHwmDate != nil {
		fmt.Fprintf(w, "; data final up to %s", res.PermanentStorageHwmDate.UTC().Format(time.RFC3339))
	}
	fmt.Fprintln(w)
}
