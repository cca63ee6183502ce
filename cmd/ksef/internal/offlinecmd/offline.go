// Package offlinecmd is the `ksef offline` command area (sending
// deadlines of the offline modes, the queue of invoices issued offline,
// technical corrections) and `ksef status` (KSeF's status service,
// Latarnia). `ksef send --pending` (package sendcmd) sends the queue.
package offlinecmd

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicefile"
	"github.com/ksef2/ksef/latarnia"
	"github.com/ksef2/ksef/offline"
)

// New is the `ksef offline` area.
func New(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "offline",
		Short: "Offline invoicing: sending deadlines, the queue of invoices issued offline, technical corrections",
		Long: `Offline invoicing (tryby-offline.md). When KSeF or your connection is down,
invoices are issued offline (mode offline24, offline during an announced
unavailability, awaryjny during a declared failure) with KOD I and KOD II
(ksef invoice render --offline) and sent later with offlineMode=true by a
legal deadline. The queue keeps them in a directory (--queue, default
<config dir>/offline/<profile>) until ksef send --pending sends them.`,
	}
	cmd.AddCommand(newDeadlineCmd(f), newAddCmd(f), newListCmd(f), newCorrectCmd(f))
	return cmd
}

// outageFlags are the flags describing announced outages.
type outageFlags struct {
	ended   string
	outages []string
}

func (o *outageFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.ended, "ended", "", "for modes offline and awaryjny: the day (or time) the unavailability or failure the invoice was issued in ended")
	cmd.Flags().StringArrayVar(&o.outages, "outage", nil, "an announced outage KIND:START[..END] (KIND offline, awaryjny or total-failure; dates YYYY-MM-DD or RFC 3339); repeatable")
}

// parse returns the outages given, with the one --ended describes for an
// invoice of mode issued on issued.
func (o *outageFlags) parse(mode offline.Mode, issued time.Time) ([]offline.Outage, error) {
	var outs []offline.Outage
	for _, s := range o.outages {
		kind, span, ok := strings.Cut(s, ":")
		if !ok {
			return nil, fmt.Errorf("--outage %q: want KIND:START[..END]", s)
		}
		m, err := offline.ParseMode(kind)
		if err != nil || m == offline.Offline24 {
			return nil, fmt.Errorf("--outage %q: kind must be offline, awaryjny or total-failure", s)
		}
		from, to, _ := strings.Cut(span, "..")
		out := offline.Outage{Kind: m}
		if out.Start, err = parseTime(from); err != nil {
			return nil, fmt.Errorf("--outage %q: %w", s, err)
		}
		if to != "" {
			if out.End, err = parseTime(to); err != nil {
				return nil, fmt.Errorf("--outage %q: %w", s, err)
			}
		}
		outs = append(outs, out)
	}
	if o.ended != "" {
		if mode != offline.Unavailable && mode != offline.Failure {
			return nil, fmt.Errorf("--ended applies to the modes offline and awaryjny, not %s", mode)
		}
		end, err := parseTime(o.ended)
		if err != nil {
			return nil, fmt.Errorf("--ended: %w", err)
		}
		start := time.Date(issued.Year(), issued.Month(), issued.Day(), 0, 0, 0, 0, offline.Warsaw())
		outs = append(outs, offline.Outage{Kind: mode, Start: start, End: end})
	}
	return outs, nil
}

// parseTime reads YYYY-MM-DD (noon in Poland) or an RFC 3339 time.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := offline.ParseDay(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither YYYY-MM-DD nor an RFC 3339 time", s)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, offline.Warsaw()), nil
}

// deadlineResult is the output of `ksef offline deadline`.
type deadlineResult struct {
	Mode         string `json:"mode"`
	Issued       string `json:"issued"`
	Due          string `json:"due,omitempty"`
	DueBy        string `json:"dueBy,omitempty"`
	NoObligation bool   `json:"noObligation,omitempty"`
	Pending      bool   `json:"pending,omitempty"`
	Reason       string `json:"reason"`
}

func newDeadlineCmd(f *cli.Factory) *cobra.Command {
	var mode, issued string
	var of outageFlags
	cmd := &cobra.Command{
		Use:   "deadline --mode MODE --issued DATE",
		Short: "Compute the deadline for sending an invoice issued offline",
		Long: `Compute the legal deadline for sending an invoice issued offline to KSeF
(tryby-offline.md), counting business days without Saturdays, Sundays and
Polish public holidays:

  offline24         the next business day after the issue date
  offline           the next business day after the unavailability ends (--ended)
  awaryjny          7 business days after the failure ends (--ended)
  total-failure     no obligation to send

A failure announced while the invoice waits (--outage awaryjny:START..END)
moves the deadline to 7 business days after it ends; a total failure lifts
the obligation.`,
		Example: `  ksef offline deadline --mode offline24 --issued 2025-07-08
  ksef offline deadline --mode offline24 --issued 2025-07-08 --outage awaryjny:2025-07-09..2025-07-12
  ksef offline deadline --mode awaryjny --issued 2026-04-01 --ended 2026-04-02 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := offline.ParseMode(mode)
			if err != nil {
				return err
			}
			day, err := offline.ParseDay(issued)
			if err != nil {
				return fmt.Errorf("--issued %q: want YYYY-MM-DD", issued)
			}
			outs, err := of.parse(m, day)
			if err != nil {
				return err
			}
			d, err := offline.ComputeDeadline(offline.DeadlineParams{Mode: m, Issued: day, Outages: outs})
			if err != nil {
				if errors.Is(err, offline.ErrNoOutage) {
					return fmt.Errorf("%w: give --ended DATE (or --outage)", err)
				}
				return err
			}
			res := deadlineResult{Mode: string(m), Issued: day.Format(time.DateOnly), NoObligation: d.NoObligation, Pending: d.Pending, Reason: d.Reason}
			if !d.Due.IsZero() {
				res.Due, res.DueBy = d.Due.Format(time.DateOnly), d.DueBy().Format(time.RFC3339)
			}
			return f.Emit(res, func(w io.Writer) {
				switch {
				case d.NoObligation:
					fmt.Fprintf(w, "no obligation to send (%s)\n", d.Reason)
				case d.Pending:
					fmt.Fprintf(w, "not known yet: %s\n", d.Reason)
				default:
					fmt.Fprintf(w, "%s %s (%s)\n", res.Due, weekdayPL(d.Due), d.Reason)
				}
			})
		},
	}
	cmd.Flags().StringVar(&mode, "mode", "", "offline24, offline, awaryjny or total-failure")
	cmd.Flags().StringVar(&issued, "issued", "", "issue date (P_1), YYYY-MM-DD")
	of.add(cmd)
	_ = cmd.MarkFlagRequired("mode")
	_ = cmd.MarkFlagRequired("issued")
	return cmd
}

var weekdays = [...]string{"niedziela", "poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota"}

func weekdayPL(t time.Time) string { return weekdays[t.Weekday()] }

// QueueDir returns the queue directory: dir when given, else
// <config dir>/offline/<profile>.
func QueueDir(f *cli.Factory, dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	store, err := f.Profiles()
	if err != nil {
		return "", err
	}
	name := f.Flags.Profile
	if name == "" {
		name = "default"
	}
	return filepath.Join(filepath.Dir(store.Path), "offline", name), nil
}

// OpenQueue opens the queue of --queue dir (see QueueDir).
func OpenQueue(f *cli.Factory, dir string) (*offline.Queue, error) {
	d, err := QueueDir(f, dir)
	if err != nil {
		return nil, err
	}
	return offline.OpenQueue(d)
}

func newAddCmd(f *cli.Factory) *cobra.Command {
	var mode, queue, form string
	var of outageFlags
	cmd := &cobra.Command{
		Use:   "add FILE... --mode MODE",
		Short: "Queue invoices issued offline until they can be sent (ksef send --pending)",
		Long: `Queue invoice files issued offline: each is kept unchanged (its SHA-256 is on
the printed KOD I) with its mode and sending deadline until ksef send
--pending sends it. Queuing the same file again does nothing.`,
		Example: `  ksef offline add faktura.xml --mode offline24
  ksef offline add faktura.xml --mode awaryjny --outage awaryjny:2026-04-01T09:00:00+02:00`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := offline.ParseMode(mode)
			if err != nil {
				return err
			}
			q, err := OpenQueue(f, queue)
			if err != nil {
				return err
			}
			var added []offline.Entry
			for _, name := range args {
				doc, err := invoicefile.Read(f.Stdin, name)
				if err != nil {
					return err
				}
				fm := ksef.Form(form)
				if form == "" {
					d, err := invoicefile.DetectForm(doc)
					if err != nil {
						return fmt.Errorf("%s: %w", name, err)
					}
					fm = ksef.Form(d.Code)
				}
				issued, err := offline.IssueDate(doc)
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				outs, err := of.parse(m, issued)
				if err != nil {
					return err
				}
				invoicefile.WarnIfInvalid(f.Stderr, name, doc)
				e, err := q.Add(offline.AddParams{Name: name, XML: doc, Form: fm, Mode: m, Outages: outs})
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				added = append(added, *e)
			}
			return f.Emit(added, func(w io.Writer) { printEntries(w, added) })
		},
	}
	cmd.Flags().StringVar(&mode, "mode", "", "offline24, offline, awaryjny or total-failure")
	cmd.Flags().StringVar(&queue, "queue", "", "queue directory (default <config dir>/offline/<profile>)")
	cmd.Flags().StringVar(&form, "form", "", `form of the files (default: detected)`)
	of.add(cmd)
	_ = cmd.MarkFlagRequired("mode")
	return cmd
}

func newListCmd(f *cli.Factory) *cobra.Command {
	var queue string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the queued invoices, earliest deadline first, with warnings about close or past deadlines",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := OpenQueue(f, queue)
			if err != nil {
				return err
			}
			ents, err := q.List()
			if err != nil {
				return err
			}
			if ents == nil {
				ents = []offline.Entry{}
			}
			ws, err := q.Warnings(time.Now(), 24*time.Hour)
			if err != nil {
				return err
			}
			for _, w := range ws {
				fmt.Fprintln(f.Stderr, "warning: "+w.Message)
			}
			return f.Emit(ents, func(w io.Writer) { printEntries(w, ents) })
		},
	}
	cmd.Flags().StringVar(&queue, "queue", "", "queue directory (default <config dir>/offline/<profile>)")
	return cmd
}

func newCorrectCmd(f *cli.Factory) *cobra.Command {
	var queue string
	cmd := &cobra.Command{
		Use:   "correct ID FIXED.xml",
		Short: "Queue the technical correction of a rejected offline invoice",
		Long: `Queue FIXED.xml as the technical correction of the queued invoice ID that KSeF
rejected for a technical reason (schema, size, duplicate...): ksef send
--pending sends it in an online session with offlineMode=true and
hashOfCorrectedInvoice = the rejected file's SHA-256, and KSeF redirects
the old KOD I to it. Only one accepted correction per invoice.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := OpenQueue(f, queue)
			if err != nil {
				return err
			}
			doc, err := invoicefile.Read(f.Stdin, args[1])
			if err != nil {
				return err
			}
			invoicefile.WarnIfInvalid(f.Stderr, args[1], doc)
			e, err := q.Correct(args[0], doc)
			if err != nil {
				return err
			}
			return f.Emit(e, func(w io.Writer) {
				fmt.Fprintf(w, "queued %s as the technical correction of %s (due %s)\n", e.ID, args[0], due(*e))
			})
		},
	}
	cmd.Flags().StringVar(&queue, "queue", "", "queue directory (default <config dir>/offline/<profile>)")
	return cmd
}

func due(e offline.Entry) string {
	switch {
	case e.Deadline.NoObligation:
		return "not required"
	case e.Deadline.Pending:
		return "after the outage"
	}
	return e.Deadline.Due.Format(time.DateOnly)
}

func printEntries(w io.Writer, ents []offline.Entry) {
	if len(ents) == 0 {
		fmt.Fprintln(w, "the queue is empty")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tMODE\tISSUED\tDUE\tSTATE\tKSEF NUMBER / ERROR")
	for _, e := range ents {
		detail := e.KSeFNumber
		if e.State != offline.Registered && e.Error != "" {
			detail = e.Error
			if e.StatusCode != 0 {
				detail = fmt.Sprintf("status %d: %s", e.StatusCode, detail)
			}
		}
		if e.Corrects != "" {
			detail = strings.TrimSpace(detail + " (corrects " + e.Corrects + ")")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Name, e.Mode, e.Issued.Format(time.DateOnly), due(e), e.State, cli.Sanitize(detail))
	}
	tw.Flush()
}

// LatarniaURL returns the Latarnia base URL: --latarnia-url (flag), else
// $KSEF_LATARNIA_URL, else the simulator's (<origin>/latarnia) when the
// API base URL (apiBase, or --base-url when empty) is a loopback address,
// else the service of --env.
func LatarniaURL(f *cli.Factory, flag, apiBase string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if v := f.Getenv("KSEF_LATARNIA_URL"); v != "" {
		return v, nil
	}
	if apiBase == "" {
		apiBase = f.Flags.BaseURL
	}
	if apiBase != "" {
		u, err := url.Parse(apiBase)
		if err == nil {
			if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
				return u.Scheme + "://" + u.Host + "/latarnia", nil
			}
		}
	}
	if f.Environment() == ksef.Production {
		return latarnia.ProductionURL, nil
	}
	return latarnia.TestURL, nil
}

// Switch returns an offline switch asking Latarnia (see LatarniaURL).
func Switch(f *cli.Factory, flag, apiBase string) (*offline.Switch, error) {
	u, err := LatarniaURL(f, flag, apiBase)
	if err != nil {
		return nil, err
	}
	c, err := latarnia.NewClient(u, nil)
	if err != nil {
		return nil, err
	}
	return &offline.Switch{Status: c}, nil
}

// statusResult is the output of `ksef status`.
type statusResult struct {
	URL         string             `json:"url"`
	Status      latarnia.State     `json:"status"`
	OfflineMode string             `json:"offlineMode,omitempty"`
	Messages    []latarnia.Message `json:"messages"`
}

// NewStatus is the `ksef status` area.
func NewStatus(f *cli.Factory) *cobra.Command {
	var latURL string
	var all bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Ask Latarnia, KSeF's status service, whether KSeF is available or a failure or maintenance is declared",
		Long: `Ask Latarnia, the Ministry of Finance's status service for KSeF (a public API
separate from KSeF's; no login), for KSeF's state: AVAILABLE, MAINTENANCE,
FAILURE or TOTAL_FAILURE, with the messages tied to it and the offline mode
that applies (offline during maintenance, awaryjny during a failure).
--messages lists every published message instead.

The service of --env is asked (test and demo share one); --base-url on a
loopback address (the simulator) asks the simulator's; --latarnia-url or
$KSEF_LATARNIA_URL override both.`,
		Example: `  ksef status
  ksef status --env production -o json
  ksef status --messages`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := LatarniaURL(f, latURL, "")
			if err != nil {
				return err
			}
			c, err := latarnia.NewClient(u, nil)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			res := statusResult{URL: c.BaseURL(), Messages: []latarnia.Message{}}
			st, err := c.Status(ctx)
			if err != nil {
				return err
			}
			res.Status = st.Status
			if m, ok := offline.ModeFromStatus(st); ok {
				res.OfflineMode = string(m)
			}
			res.Messages = append(res.Messages, st.Messages...)
			if all {
				ms, err := c.Messages(ctx)
				if err != nil {
					return err
				}
				res.Messages = append([]latarnia.Message{}, ms...)
			}
			return f.Emit(res, func(w io.Writer) { printStatus(w, res) })
		},
	}
	cmd.Flags().StringVar(&latURL, "latarnia-url", "", "Latarnia base URL (default: by --env)")
	cmd.Flags().BoolVar(&all, "messages", false, "list every published message (GET /messages)")
	return cmd
}

func printStatus(w io.Writer, r statusResult) {
	fmt.Fprintf(w, "KSeF: %s", r.Status)
	if r.OfflineMode != "" {
		fmt.Fprintf(w, " (offline mode: %s)", r.OfflineMode)
	}
	fmt.Fprintln(w)
	for _, m := range r.Messages {
		span := m.Start.Format(time.RFC3339)
		if m.End != nil {
			span += " .. " + m.End.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "  [%s %s] %s (%s)\n", m.Category, m.Type, cli.Sanitize(m.Title), span)
		if m.Text != "" && m.Text != m.Title {
			fmt.Fprintf(w, "    %s\n", cli.Sanitize(m.Text))
		}
	}
}
