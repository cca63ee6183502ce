package sessioncmd

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/ksef2/ksef/cmd/ksef/internal/atomicfile"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicefile"
	"github.com/ksef2/ksef/cmd/ksef/internal/sendcmd"
	"github.com/ksef2/ksef/ksefsend"
)

// readState reads a session state file written by `ksef session open`.
func readState(path string) (ksef.OnlineSessionState, error) {
	var st ksef.OnlineSessionState
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s is not a session state file: %w", path, err)
	}
	if st.ReferenceNumber == "" || st.SymmetricKey == "" {
		return st, fmt.Errorf("%s is not a session state file (no reference number or key)", path)
	}
	return st, nil
}

// writeState writes st to path atomically, readable only by its owner: it
// holds the session's symmetric key.
func writeState(path string, st ksef.OnlineSessionState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'), 0o600)
}

// StateView is what the commands print about a saved session: never its
// key.
type StateView struct {
	ReferenceNumber string    `json:"referenceNumber"`
	Form            ksef.Form `json:"form"`
	OpenedAt        time.Time `json:"openedAt"`
	ValidUntil      time.Time `json:"validUntil"`
	Sent            int       `json:"sent"`
	StateFile       string    `json:"stateFile,omitempty"`
}

func viewOf(st ksef.OnlineSessionState, file string) StateView {
	return StateView{st.ReferenceNumber, st.Form, st.OpenedAt, st.ValidUntil, st.Sent, file}
}

func newOpenCmd(f *cli.Factory) *cobra.Command {
	var form, state string
	var force bool
	cmd := &cobra.Command{
		Use:   "open --state FILE [--form FA3]",
		Short: "Open an online session and save its state (with its key) to a file for ksef session resume",
		Long: `Open an online session for --form (default FA (3)) and save its state to
--state: the reference number and the session's AES key, so that later runs
(ksef session resume) send invoices into the same session. The file is
written with mode 0600: keep it as you keep a credential. The key is never
printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fm, err := sendcmd.ParseForm(form)
			if err != nil {
				return err
			}
			if _, err := os.Lstat(state); err == nil && !force {
				return fmt.Errorf("%s exists (it may hold an open session; --force overwrites it)", state)
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			on, err := s.Client.Sessions.OpenOnline(cmd.Context(), fm, nil)
			if err != nil {
				return cli.RefreshError(err)
			}
			st := on.State()
			if err := writeState(state, st); err != nil {
				return fmt.Errorf("session %s is open, but its state cannot be saved: %w", on.ReferenceNumber(), err)
			}
			v := viewOf(st, state)
			return f.Emit(v, func(w io.Writer) {
				fmt.Fprintf(w, "Opened online session %s (%s), valid until %s; state saved to %s\n", v.ReferenceNumber, v.Form, ts(v.ValidUntil), state)
			})
		},
	}
	cmd.Flags().StringVar(&form, "form", "FA (3)", `form of the session: "FA (3)", "FA (2)", "FA_RR (1)", "PEF (3)", "PEF_KOR (3)"`)
	cmd.Flags().StringVar(&state, "state", "", "file to save the session state to (required; mode 0600)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing state file")
	_ = cmd.MarkFlagRequired("state")
	return cli.SetTimeout(cmd, cli.DefaultTimeout)
}

// closeOnly returns an online session of reference ref that can only be
// closed: closing needs no key, so a random one stands in for it.
func closeOnly(c *ksef.AuthenticatedClient, ref string) (*ksef.OnlineSession, error) {
	key, iv := make([]byte, 32), make([]byte, 16)
	_, _ = rand.Read(key)
	_, _ = rand.Read(iv)
	return c.Sessions.ResumeOnline(ksef.OnlineSessionState{ReferenceNumber: ref, Form: ksef.FormFA3,
		SymmetricKey: ksef.Secret(base64.StdEncoding.EncodeToString(key)), InitializationVector: base64.StdEncoding.EncodeToString(iv)})
}

func newCloseCmd(f *cli.Factory) *cobra.Command {
	var state string
	var wait bool
	cmd := &cobra.Command{
		Use:   "close REF | --state FILE",
		Short: "Close an online session (KSeF then generates its UPO); --wait waits for it",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == (state != "") {
				return errors.New("give the session's reference number or --state FILE (one of them)")
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			var on *ksef.OnlineSession
			if state != "" {
				st, err := readState(state)
				if err != nil {
					return err
				}
				on, err = s.Client.Sessions.ResumeOnline(st)
				if err != nil {
					return err
				}
			} else if on, err = closeOnly(s.Client, args[0]); err != nil {
				return err
			}
			ctx := cmd.Context()
			if err := on.Close(ctx); err != nil {
				return cli.RefreshError(err)
			}
			var st *ksef.SessionStatusResponse
			if wait {
				st, err = on.Wait(ctx, nil)
			} else {
				st, err = on.Status(ctx)
			}
			if st == nil && err != nil {
				return cli.RefreshError(err)
			}
			v := statusOf(on.ReferenceNumber(), st)
			if eerr := f.Emit(v, func(w io.Writer) {
				fmt.Fprintf(w, "Closed session %s\n", v.ReferenceNumber)
				v.print(w)
			}); eerr != nil {
				return eerr
			}
			return err
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "close the session saved in this state file")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until KSeF has processed the session and its UPO is ready")
	return cli.SetTimeout(cmd, cli.DefaultTimeout)
}

// ResumeResult is the -o json output of `ksef session resume`.
type ResumeResult struct {
	Session  StateView       `json:"session"`
	Invoices []sendcmd.Entry `json:"invoices"`
	Closed   bool            `json:"closed"`
}

func newResumeCmd(f *cli.Factory) *cobra.Command {
	var closeAfter bool
	cmd := &cobra.Command{
		Use:   "resume STATEFILE [FILE...]",
		Short: "Resume the online session saved by ksef session open: send invoice files into it, --close it",
		Long: `Resume the online session saved in STATEFILE (by ksef session open) and
send the invoice FILEs into it, each validated offline first against the
schema of the session's form, waiting for their KSeF numbers. An invoice
already in KSeF comes back as "duplicate" with the original KSeF number.
The state file's count of sent invoices is updated; --close closes the
session afterwards. Without files it shows the saved session. The session
key is never printed. The exit status is non-zero when a file is not in
KSeF.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			st, err := readState(path)
			if err != nil {
				return err
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			on, err := s.Client.Sessions.ResumeOnline(st)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			res := ResumeResult{Invoices: []sendcmd.Entry{}}
			validate := ksefsend.DefaultValidator(st.Form)
			notIn := 0
			for _, name := range args[1:] {
				e := sendcmd.Entry{File: name, Form: string(st.Form), SessionReferenceNumber: on.ReferenceNumber()}
				err := sendOne(ctx, on, validate, name, &e)
				if err != nil {
					e.Error = err.Error()
				}
				if !e.OK {
					notIn++
				}
				res.Invoices = append(res.Invoices, e)
			}
			if len(args) > 1 {
				if err := writeState(path, on.State()); err != nil {
					return fmt.Errorf("cannot update the state file: %w", err)
				}
			}
			if closeAfter {
				if err := on.Close(ctx); err != nil {
					return cli.RefreshError(err)
				}
				res.Closed = true
			}
			res.Session = viewOf(on.State(), path)
			if err := f.Emit(res, func(w io.Writer) { res.print(w) }); err != nil {
				return err
			}
			if notIn > 0 {
				return fmt.Errorf("%d of %d invoice(s) are not in KSeF", notIn, len(args)-1)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&closeAfter, "close", false, "close the session after sending")
	return cli.SetTimeout(cmd, cli.NoTimeout)
}

// sendOne validates, sends and waits for one file, filling e. The error
// is the reason the invoice is not in KSeF.
func sendOne(ctx context.Context, on *ksef.OnlineSession, validate func([]byte) error, name string, e *sendcmd.Entry) error {
	e.Status = ksefsend.Invalid.String()
	data, err := invoicefile.Read(nil, name)
	if err != nil {
		return err
	}
	if err := validate(data); err != nil {
		return fmt.Errorf("not a valid %s invoice: %w", on.Form(), err)
	}
	e.Status = ksefsend.Failed.String()
	sent, err := on.SendInvoice(ctx, data, nil)
	if err != nil {
		return err
	}
	e.InvoiceReferenceNumber = sent.ReferenceNumber
	inv, err := on.WaitInvoice(ctx, sent.ReferenceNumber, &ksef.WaitOptions{MinDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second})
	if d, ok := ksef.AsDuplicate(err); ok {
		e.Status, e.OK, e.KSeFNumber, e.StatusCode = ksefsend.Duplicate.String(), true, d.OriginalKSeFNumber, 440
		e.OriginalSessionReferenceNumber = d.OriginalSessionReferenceNumber
		return nil
	}
	var se *ksef.StatusError
	if errors.As(err, &se) {
		e.Status, e.StatusCode = ksefsend.Rejected.String(), se.Code
		return err
	}
	if err != nil {
		return err
	}
	e.Status, e.OK, e.KSeFNumber = ksefsend.Registered.String(), true, inv.KSeFNumber
	return nil
}

func (r ResumeResult) print(w io.Writer) {
	v := r.Session
	fmt.Fprintf(w, "Session %s (%s), opened %s, valid until %s, %d invoice(s) sent\n", v.ReferenceNumber, v.Form, ts(v.OpenedAt), ts(v.ValidUntil), v.Sent)
	if len(r.Invoices) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FILE\tSTATUS\tKSEF NUMBER / ERROR")
		for _, e := range r.Invoices {
			d := e.KSeFNumber
			if !e.OK {
				d = e.Error
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", e.File, e.Status, d)
		}
		tw.Flush()
	}
	if r.Closed {
		fmt.Fprintln(w, "Session closed")
	}
}
