// Package sessioncmd is the `ksef session` command area: the sending
// sessions of the profile's context (list, status, invoices), closing one,
// and an online session kept in a state file across runs (open, resume).
package sessioncmd

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
)

// New is the `ksef session` area. Its queries have the status-like
// default --timeout; commands that send or wait have longer ones.
func New(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "session",
		Short: "Sending sessions: list, status, invoices, close; open and resume an online session from a state file",
	}
	cmd.AddCommand(newListCmd(f), newStatusCmd(f), newInvoicesCmd(f), newCloseCmd(f), newOpenCmd(f), newResumeCmd(f))
	return cli.SetTimeout(cmd, cli.StatusTimeout)
}

// parseTime reads a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time.
func parseTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--%s %q: want a date (2026-01-31) or an RFC 3339 time (2026-01-31T12:00:00Z)", flag, s)
}

// parseStatus reads a session status filter, case-insensitive.
func parseStatus(s string) (ksef.CommonSessionStatus, error) {
	all := []ksef.CommonSessionStatus{ksef.CommonSessionStatusInProgress, ksef.CommonSessionStatusSucceeded,
		ksef.CommonSessionStatusFailed, ksef.CommonSessionStatusCancelled}
	names := make([]string, len(all))
	for i, st := range all {
		if strings.EqualFold(s, string(st)) {
			return st, nil
		}
		names[i] = string(st)
	}
	return "", fmt.Errorf("--status %q: want %s", s, strings.Join(names, ", "))
}

// ListResult is the -o json output of `ksef session list`.
type ListResult struct {
	Sessions []ksef.SessionsQueryResponseItem `json:"sessions"`
	// More is set when there are more sessions than listed (without --all).
	More bool `json:"more"`
}

func newListCmd(f *cli.Factory) *cobra.Command {
	var (
		typ                                          string
		statuses                                     []string
		createdFrom, createdTo, closedFrom, closedTo string
		modifiedFrom, modifiedTo, reference          string
		all                                          bool
		pageSize                                     int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the sending sessions of the profile's context",
		Long: `List the sending sessions of the profile's context, newest first as KSeF
returns them: the first page (--page-size, default 10), or every page with
--all. Filters: --type online|batch, --status (repeatable: InProgress,
Succeeded, Failed, Cancelled), --created-from/--created-to,
--closed-from/--closed-to, --modified-from/--modified-to (dates or RFC 3339
times), --reference.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := &ksef.ListSessionsQuery{PageSize: pageSize, ReferenceNumber: reference}
			switch strings.ToLower(typ) {
			case "online":
				q.SessionType = ksef.SessionTypeOnline
			case "batch":
				q.SessionType = ksef.SessionTypeBatch
			default:
				return fmt.Errorf("--type %q: want online or batch", typ)
			}
			for _, s := range statuses {
				st, err := parseStatus(s)
				if err != nil {
					return err
				}
				q.Statuses = append(q.Statuses, st)
			}
			for _, t := range []struct {
				flag, val string
				dst       *time.Time
			}{{"created-from", createdFrom, &q.DateCreatedFrom}, {"created-to", createdTo, &q.DateCreatedTo},
				{"closed-from", closedFrom, &q.DateClosedFrom}, {"closed-to", closedTo, &q.DateClosedTo},
				{"modified-from", modifiedFrom, &q.DateModifiedFrom}, {"modified-to", modifiedTo, &q.DateModifiedTo}} {
				v, err := parseTime(t.flag, t.val)
				if err != nil {
					return err
				}
				*t.dst = v
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			var res ListResult
			res.Sessions, res.More, err = cli.Collect(all, s.Client.Sessions.ListAll(cmd.Context(), q), func() ([]ksef.SessionsQueryResponseItem, bool, error) {
				page, err := s.Client.Sessions.List(cmd.Context(), q)
				if err != nil {
					return nil, false, err
				}
				return page.Sessions, page.ContinuationToken != "", nil
			})
			if err != nil {
				return cli.RefreshError(err)
			}
			return f.Emit(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "REFERENCE\tSTATUS\tCREATED\tUPDATED\tINVOICES\tOK\tFAILED")
				for _, it := range res.Sessions {
					fmt.Fprintf(tw, "%s\t%d %s\t%s\t%s\t%d\t%d\t%d\n", it.ReferenceNumber, it.Status.Code, it.Status.Description,
						ts(it.DateCreated), ts(it.DateUpdated), it.TotalInvoiceCount, it.SuccessfulInvoiceCount, it.FailedInvoiceCount)
				}
				tw.Flush()
				fmt.Fprintf(w, "%d session(s)", len(res.Sessions))
				if res.More {
					fmt.Fprint(w, "; more on the next pages (--all lists them)")
				}
				fmt.Fprintln(w)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&typ, "type", "online", "session type: online or batch")
	fl.StringArrayVar(&statuses, "status", nil, "only sessions in this status: InProgress, Succeeded, Failed, Cancelled (repeatable)")
	fl.StringVar(&createdFrom, "created-from", "", "only sessions created at or after this date/time")
	fl.StringVar(&createdTo, "created-to", "", "only sessions created at or before this date/time")
	fl.StringVar(&closedFrom, "closed-from", "", "only sessions closed at or after this date/time")
	fl.StringVar(&closedTo, "closed-to", "", "only sessions closed at or before this date/time")
	fl.StringVar(&modifiedFrom, "modified-from", "", "only sessions modified at or after this date/time")
	fl.StringVar(&modifiedTo, "modified-to", "", "only sessions modified at or before this date/time")
	fl.StringVar(&reference, "reference", "", "only the session with this reference number")
	fl.BoolVar(&all, "all", false, "list every page, not only the first")
	fl.IntVar(&pageSize, "page-size", 0, "sessions per page, 10-1000 (default: KSeF's, 10)")
	return cmd
}

// ts formats a time for the tables.
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// UPOPage is a page of a session's UPO, without its pre-signed download
// URL (a credential of its own; ksef upo get downloads the page).
type UPOPage struct {
	ReferenceNumber string    `json:"referenceNumber"`
	URLExpires      time.Time `json:"downloadUrlExpirationDate"`
}

// Status is the -o json output of `ksef session status`.
type Status struct {
	ReferenceNumber        string          `json:"referenceNumber"`
	Status                 ksef.StatusInfo `json:"status"`
	DateCreated            time.Time       `json:"dateCreated"`
	DateUpdated            time.Time       `json:"dateUpdated"`
	ValidUntil             *time.Time      `json:"validUntil,omitempty"`
	InvoiceCount           int32           `json:"invoiceCount"`
	SuccessfulInvoiceCount int32           `json:"successfulInvoiceCount"`
	FailedInvoiceCount     int32           `json:"failedInvoiceCount"`
	UPOPages               []UPOPage       `json:"upoPages"`
}

// statusOf is the view of a session status.
func statusOf(ref string, st *ksef.SessionStatusResponse) Status {
	v := Status{ReferenceNumber: ref, Status: st.Status, DateCreated: st.DateCreated, DateUpdated: st.DateUpdated,
		ValidUntil: st.ValidUntil, UPOPages: []UPOPage{}}
	for _, c := range []struct {
		src *int32
		dst *int32
	}{{st.InvoiceCount, &v.InvoiceCount}, {st.SuccessfulInvoiceCount, &v.SuccessfulInvoiceCount}, {st.FailedInvoiceCount, &v.FailedInvoiceCount}} {
		if c.src != nil {
			*c.dst = *c.src
		}
	}
	if st.Upo != nil {
		for _, p := range st.Upo.Pages {
			v.UPOPages = append(v.UPOPages, UPOPage{p.ReferenceNumber, p.DownloadURLExpirationDate})
		}
	}
	return v
}

func (v Status) print(w io.Writer) {
	fmt.Fprintf(w, "Session:    %s\n", v.ReferenceNumber)
	fmt.Fprintf(w, "Status:     %d %s\n", v.Status.Code, v.Status.Description)
	for _, d := range v.Status.Details {
		fmt.Fprintf(w, "            %s\n", d)
	}
	fmt.Fprintf(w, "Created:    %s\n", ts(v.DateCreated))
	fmt.Fprintf(w, "Updated:    %s\n", ts(v.DateUpdated))
	if v.ValidUntil != nil {
		fmt.Fprintf(w, "Valid until: %s\n", ts(*v.ValidUntil))
	}
	fmt.Fprintf(w, "Invoices:   %d (%d accepted, %d failed)\n", v.InvoiceCount, v.SuccessfulInvoiceCount, v.FailedInvoiceCount)
	if len(v.UPOPages) == 0 {
		fmt.Fprintln(w, "UPO:        not yet (the session is processed after it is closed)")
	}
	for i, p := range v.UPOPages {
		fmt.Fprintf(w, "UPO page %d: %s (ksef upo get --session %s --page %s --out upo.xml)\n", i+1, p.ReferenceNumber, v.ReferenceNumber, p.ReferenceNumber)
	}
}

func newStatusCmd(f *cli.Factory) *cobra.Command {
	var wait bool
	cmd := &cobra.Command{
		Use:   "status REF",
		Short: "Show the status of a session: code, invoice counts and UPO pages",
		Long: `Show the status of a session: its status code and description, the invoice
counts and, once the closed session is processed, the pages of its UPO (to
download with ksef upo get). --wait waits until a closed session is
processed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			var st *ksef.SessionStatusResponse
			if wait {
				st, err = s.Client.Sessions.WaitSession(cmd.Context(), args[0], nil)
			} else {
				st, err = s.Client.Sessions.Status(cmd.Context(), args[0])
			}
			if st == nil && err != nil {
				return cli.RefreshError(err)
			}
			v := statusOf(args[0], st)
			if eerr := f.Emit(v, func(w io.Writer) { v.print(w) }); eerr != nil {
				return eerr
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the (closed) session is processed and its UPO is ready")
	return cmd
}

// Invoice is one row of `ksef session invoices`.
type Invoice struct {
	Ordinal         int32     `json:"ordinalNumber"`
	ReferenceNumber string    `json:"referenceNumber"`
	InvoiceNumber   string    `json:"invoiceNumber,omitempty"`
	KSeFNumber      string    `json:"ksefNumber,omitempty"`
	InvoicingDate   time.Time `json:"invoicingDate"`
	StatusCode      int32     `json:"statusCode"`
	Description     string    `json:"description"`
	Details         []string  `json:"details,omitempty"`
	InvoiceHash     []byte    `json:"invoiceHash"`
}

func newInvoicesCmd(f *cli.Factory) *cobra.Command {
	var failed bool
	cmd := &cobra.Command{
		Use:   "invoices REF",
		Short: "List the invoices of a session with their statuses and KSeF numbers (--failed: only the rejected ones)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			seq := s.Client.Sessions.InvoicesAll
			if failed {
				seq = s.Client.Sessions.FailedInvoicesAll
			}
			rows := []Invoice{}
			for it, err := range seq(cmd.Context(), args[0], &ksef.SessionInvoicesParams{PageSize: 100}) {
				if err != nil {
					return cli.RefreshError(err)
				}
				rows = append(rows, Invoice{Ordinal: it.OrdinalNumber, ReferenceNumber: it.ReferenceNumber, InvoiceNumber: it.InvoiceNumber,
					KSeFNumber: it.KSeFNumber, InvoicingDate: it.InvoicingDate, StatusCode: it.Status.Code,
					Description: it.Status.Description, Details: it.Status.Details, InvoiceHash: it.InvoiceHash})
			}
			out := struct {
				SessionReferenceNumber string    `json:"sessionReferenceNumber"`
				Failed                 bool      `json:"failedOnly"`
				Invoices               []Invoice `json:"invoices"`
			}{args[0], failed, rows}
			return f.Emit(out, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "#\tREFERENCE\tINVOICE NUMBER\tKSEF NUMBER\tSTATUS")
				for _, r := range rows {
					k := r.KSeFNumber
					if k == "" {
						k = "-"
					}
					st := fmt.Sprintf("%d %s", r.StatusCode, r.Description)
					if len(r.Details) > 0 {
						st += " (" + strings.Join(r.Details, "; ") + ")"
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.Ordinal, r.ReferenceNumber, r.InvoiceNumber, k, st)
				}
				tw.Flush()
				what := "invoice(s)"
				if failed {
					what = "failed invoice(s)"
				}
				fmt.Fprintf(w, "%d %s\n", len(rows), what)
			})
		},
	}
	cmd.Flags().BoolVar(&failed, "failed", false, "list only the invoices KSeF rejected")
	return cmd
}
