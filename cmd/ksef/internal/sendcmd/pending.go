package sendcmd

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/offlinecmd"
	"github.com/ksef2/ksef/ksefsend"
	"github.com/ksef2/ksef/offline"
)

// pendingFlags are the flags of `ksef send --pending`.
type pendingFlags struct {
	on         bool
	queue      string
	latarnia   string
	noLatarnia bool
	warnWithin time.Duration
	auto       bool
}

func (p *pendingFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&p.on, "pending", false, "send the queue of invoices issued offline (ksef offline add) instead of files")
	fl.StringVar(&p.queue, "queue", "", "with --pending: the queue directory (default <config dir>/offline/<profile>)")
	fl.StringVar(&p.latarnia, "latarnia-url", "", "with --pending: Latarnia base URL, asked for outages that move deadlines (default: by --env)")
	fl.BoolVar(&p.noLatarnia, "no-latarnia", false, "with --pending: do not ask Latarnia")
	fl.DurationVar(&p.warnWithin, "warn-within", 24*time.Hour, "with --pending: warn about deadlines closer than this")
	fl.BoolVar(&p.auto, "auto-offline", false, "issue invoices offline into the queue while Latarnia reports a failure or maintenance of KSeF")
}

// autoOffline returns the offline issuing of --auto-offline (nil without
// the flag): the Latarnia of the session's API, the queue of --queue.
func (p pendingFlags) autoOffline(f *cli.Factory, s *cli.Session) (func(ksef.Form) *ksefsend.OfflineIssuing, error) {
	if !p.auto {
		return nil, nil
	}
	q, err := offlinecmd.OpenQueue(f, p.queue)
	if err != nil {
		return nil, err
	}
	sw, err := offlinecmd.Switch(f, p.latarnia, s.Client.BaseURL())
	if err != nil {
		return nil, err
	}
	return func(form ksef.Form) *ksefsend.OfflineIssuing { return q.Issuing(sw, form) }, nil
}

// pendingResult is the output of `ksef send --pending`.
type pendingResult struct {
	Queue    string          `json:"queue"`
	Warnings []string        `json:"warnings"`
	Invoices []offline.Entry `json:"invoices"`
}

// sendPending sends the offline queue.
func sendPending(cmd *cobra.Command, f *cli.Factory, p pendingFlags, concurrency int, waitTimeout time.Duration) error {
	ctx := cmd.Context()
	q, err := offlinecmd.OpenQueue(f, p.queue)
	if err != nil {
		return err
	}
	s, err := f.Session()
	if err != nil {
		return err
	}
	if !p.noLatarnia {
		refreshFromLatarnia(ctx, f, q, p.latarnia, s.Client.BaseURL())
	}
	rep, sendErr := q.Send(ctx, offline.SendParams{Sessions: s.Client.Sessions, Concurrency: concurrency, WarnWithin: p.warnWithin,
		Wait: &ksef.WaitOptions{MinDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second, Timeout: waitTimeout}})
	res := pendingResult{Queue: q.Dir(), Warnings: []string{}, Invoices: []offline.Entry{}}
	if rep != nil {
		for _, w := range rep.Warnings {
			fmt.Fprintln(f.Stderr, "warning: "+w.Message)
			res.Warnings = append(res.Warnings, w.Message)
		}
		for _, r := range rep.Results {
			res.Invoices = append(res.Invoices, r.Entry)
		}
	}
	if err := f.Emit(res, func(w io.Writer) { printPending(w, res) }); err != nil {
		return err
	}
	if sendErr != nil {
		return cli.RefreshError(sendErr)
	}
	notIn := 0
	for _, e := range res.Invoices {
		if e.State != offline.Registered {
			notIn++
		}
	}
	if notIn > 0 {
		return fmt.Errorf("%d of %d queued invoice(s) are not in KSeF (ksef offline list)", notIn, len(res.Invoices))
	}
	return nil
}

// refreshFromLatarnia moves the queue's deadlines by the outages Latarnia
// announced; when Latarnia cannot be asked it says so and goes on.
func refreshFromLatarnia(ctx context.Context, f *cli.Factory, q *offline.Queue, url, apiBase string) {
	sw, err := offlinecmd.Switch(f, url, apiBase)
	if err != nil {
		fmt.Fprintf(f.Stderr, "warning: Latarnia: %v\n", err)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	mode, off := sw.Mode(ctx)
	if err := sw.Err(); err != nil {
		fmt.Fprintf(f.Stderr, "warning: cannot ask Latarnia (deadlines not updated): %v\n", err)
		return
	}
	if off {
		fmt.Fprintf(f.Stderr, "warning: Latarnia reports KSeF in offline mode %s; sending may fail\n", mode)
	}
	if err := q.Refresh(sw.Outages(ctx)); err != nil {
		fmt.Fprintf(f.Stderr, "warning: updating the deadlines: %v\n", err)
	}
}

func printPending(w io.Writer, r pendingResult) {
	if len(r.Invoices) == 0 {
		fmt.Fprintf(w, "nothing to send in %s\n", r.Queue)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tMODE\tDUE\tSTATE\tKSEF NUMBER / ERROR")
	for _, e := range r.Invoices {
		detail := e.KSeFNumber
		if e.Duplicate {
			detail += " (already in KSeF)"
		}
		if e.State != offline.Registered {
			detail = e.Error
			if e.StatusCode != 0 {
				detail = fmt.Sprintf("status %d: %s", e.StatusCode, detail)
			}
		}
		d := e.Deadline.Due.Format(time.DateOnly)
		if e.Deadline.Due.IsZero() {
			d = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Name, e.Mode, d, e.State, cli.Sanitize(detail))
	}
	tw.Flush()
}
