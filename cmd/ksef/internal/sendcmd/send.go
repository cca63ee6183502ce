// Package sendcmd is the `ksef send` command: it validates invoice files
// locally, sends them to KSeF in online sessions (package ksefsend), waits
// for their KSeF numbers and writes a JSON receipt of the run.
package sendcmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicefile"
	"github.com/ksef2/ksef/ksefsend"
)

// New is the `ksef send` area. It has no default --timeout: a run of many
// invoices takes as long as KSeF needs (each invoice's wait is bounded).
func New(f *cli.Factory) *cobra.Command {
	var (
		receipt, form string
		concurrency   int
		waitTimeout   time.Duration
		pending       pendingFlags
		batch         batchFlags
	)
	cmd := &cobra.Command{
		Use:   "send FILE|DIR...",
		Short: "Send invoices to KSeF (online or batch sessions) and wait for their KSeF numbers",
		Long: `Send invoice files to KSeF in online or batch sessions and wait for their KSeF numbers.
A directory stands for the *.xml files directly in it (not its
subdirectories), in name order.

Every file is validated first, offline, against the schema of its form
(detected from the root element's namespace: FA (3), FA (2), FA_RR (1);
--form sets it, and is needed for PEF (3) and PEF_KOR (3)). An invalid file
is not sent; the receipt lists its violations. The valid files are sent
through online sessions (one per form, rotated at KSeF's limits), and the
command waits until KSeF has given each its KSeF number or rejected it.

The receipt, a JSON file mapping every file to its KSeF number or error,
is written atomically to --receipt, by default ksef-send-<UTC time>.json in
the current directory; its path is printed. -o json prints the receipt.

Re-running is safe: an invoice already in KSeF (same seller NIP, invoice
kind and number) comes back as "duplicate" with the KSeF number of the
original, which counts as success. The exit status is non-zero when any
file is not in KSeF (invalid, rejected or failed).

More than ` + strconv.Itoa(BatchThreshold) + ` files go through batch sessions instead (--batch and
--online force one or the other): the files are packed into a ZIP
(--compression targz for a TarGz), split into encrypted parts of at most
100 MB, uploaded in parallel (--parallel), and KSeF processes the package
as a whole; one session takes up to 10,000 invoices, more are split into
several sessions. The files are read as they are packed, in constant
memory, and validated on all cores; PEF invoices always go online. The
receipt is the same.

A progress bar is drawn on stderr when stderr is a terminal (for batch
sessions also the parts and bytes uploaded).

--auto-offline asks Latarnia before each invoice (cached 30 s; in batch
sessions before it is packed): while KSeF declares a failure or
maintenance, the invoice is not sent but issued offline into the queue
(status "offline" in the receipt, with the mode and queue id; not an
error); send them later with --pending.

--pending sends the invoices issued offline and queued with ksef offline
add (or kept by the SDK's offline queue) instead of files: earliest
deadline first, with offlineMode=true, warning about deadlines that are
close or past (see ksef offline --help).`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if pending.on {
				if len(args) > 0 {
					return errors.New("--pending sends the offline queue: give no files")
				}
				return sendPending(cmd, f, pending, concurrency, waitTimeout)
			}
			if len(args) == 0 {
				return errors.New("no invoice files given (or --pending for the offline queue)")
			}
			var fixed ksef.Form
			if form != "" {
				var err error
				if fixed, err = ParseForm(form); err != nil {
					return err
				}
			}
			files, err := Expand(args)
			if err != nil {
				return err
			}
			if receipt == "" {
				receipt = defaultReceiptPath(time.Now())
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			r := &run{f: f, fixed: fixed, concurrency: concurrency,
				wait: &ksef.WaitOptions{MinDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second, Timeout: waitTimeout}}
			if r.offline, err = pending.autoOffline(f, s); err != nil {
				return err
			}
			var (
				rec     *Receipt
				sendErr error
			)
			if batch.useBatch(len(files)) {
				rec, sendErr = r.sendBatch(cmd, s, files, &batch)
				if rec == nil {
					return sendErr
				}
			} else {
				rec, sendErr = r.send(cmd, s, files)
			}
			rec.Path = receipt
			if err := rec.save(receipt); err != nil {
				rec.Path = ""
				sendErr = errors.Join(sendErr, fmt.Errorf("cannot write the receipt: %w", err))
			}
			if err := f.Emit(rec, func(w io.Writer) { printReceipt(w, rec) }); err != nil {
				return err
			}
			if sendErr != nil {
				return cli.RefreshError(sendErr)
			}
			if n := rec.NotSent(); n > 0 {
				return fmt.Errorf("%d of %d invoice(s) are not in KSeF (see the receipt %s)", n, rec.Summary.Total, receipt)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&receipt, "receipt", "", "where to write the JSON receipt (default: ksef-send-<UTC time>.json in the current directory)")
	fl.StringVar(&form, "form", "", `form of every file: "FA (3)" (or fa3), "FA (2)", "FA_RR (1)", "PEF (3)", "PEF_KOR (3)" (default: detected from the namespace)`)
	fl.IntVar(&concurrency, "concurrency", 8, "invoices in flight at once")
	fl.DurationVar(&waitTimeout, "wait-timeout", 0, "longest wait for one invoice's status (default 5m)")
	pending.add(cmd)
	batch.register(cmd)
	return cli.SetTimeout(cmd, cli.NoTimeout)
}

// ParseForm reads a form name: the KSeF form code ("FA (3)") or a short
// form of it ("fa3", "FA3", "fa_rr", "pef", "pef_kor"), case-insensitive.
func ParseForm(s string) (ksef.Form, error) {
	key := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToLower(r)
			}
			return -1
		}, s)
	}
	k := key(s)
	var names []string
	var loose []ksef.Form
	for _, f := range ksef.Forms() {
		fk := key(string(f))
		if k == fk {
			return f, nil
		}
		if k == strings.TrimRight(fk, "0123456789") {
			loose = append(loose, f)
		}
		names = append(names, fmt.Sprintf("%q", string(f)))
	}
	if len(loose) == 1 {
		return loose[0], nil
	}
	return "", fmt.Errorf("unknown form %q (want one of %s)", s, strings.Join(names, ", "))
}

// Expand turns the arguments into the list of files to send: files as
// given, directories as the *.xml files directly in them, in name order.
// A file named twice is sent once.
func Expand(args []string) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	add := func(p string) {
		key := filepath.Clean(p)
		if abs, err := filepath.Abs(p); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			files = append(files, p)
		}
	}
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			add(a)
			continue
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, e := range ents {
			if e.Type().IsRegular() && strings.EqualFold(filepath.Ext(e.Name()), ".xml") {
				add(filepath.Join(a, e.Name()))
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: no *.xml files in the directory", a)
		}
	}
	return files, nil
}

// run is one `ksef send`.
type run struct {
	f           *cli.Factory
	fixed       ksef.Form // --form, or "" to detect
	concurrency int
	wait        *ksef.WaitOptions
	offline     func(ksef.Form) *ksefsend.OfflineIssuing // --auto-offline (pending.go)
}

// prepared is an input file read, its form known and validated.
type prepared struct {
	index int
	data  []byte
	form  ksef.Form
}

// send validates files, sends the valid ones and returns the receipt.
// The error is set when the run stopped early (timeout, interrupt); the
// receipt then says which files have no outcome.
func (r *run) send(cmd *cobra.Command, s *cli.Session, files []string) (*Receipt, error) {
	rec := &Receipt{Version: 1, Profile: s.Name, BaseURL: s.Client.BaseURL(), StartedAt: time.Now().UTC(),
		Sessions: []string{}, Invoices: make([]Entry, len(files))}
	byForm := map[ksef.Form][]prepared{}
	var forms []ksef.Form
	for i, name := range files {
		e := &rec.Invoices[i]
		e.File = name
		p, err := r.prepare(name)
		if p.form != "" {
			e.Form = string(p.form)
		}
		if err != nil {
			e.Status, e.Error = ksefsend.Invalid.String(), describe(err)
			continue
		}
		p.index = i
		if byForm[p.form] == nil {
			forms = append(forms, p.form)
		}
		byForm[p.form] = append(byForm[p.form], p)
	}
	total := 0
	for _, ps := range byForm {
		total += len(ps)
	}
	bar := newProgress(r.f.Stderr, total)
	var runErr error
	for _, form := range forms {
		ps := byForm[form]
		snd := &ksefsend.Sender{Sessions: s.Client.Sessions, Form: form, Concurrency: r.concurrency, Wait: r.wait,
			OnOutcome: func(o ksefsend.Outcome) { bar.add(o.OK()) }}
		if r.offline != nil {
			snd.Offline = r.offline(form)
		}
		in := func(yield func(ksefsend.Input) bool) {
			for _, p := range ps {
				if !yield(ksefsend.Input{Name: files[p.index], Data: p.data}) {
					return
				}
			}
		}
		outs, err := snd.Send(cmd.Context(), in)
		for j, p := range ps {
			e := &rec.Invoices[p.index]
			if j < len(outs) && outs[j].Kind != 0 {
				e.fromOutcome(outs[j])
				if ref := e.SessionReferenceNumber; ref != "" && !slices.Contains(rec.Sessions, ref) {
					rec.Sessions = append(rec.Sessions, ref)
				}
			} else {
				e.Status = ksefsend.Failed.String()
				e.Error = "not sent: the run stopped before this invoice had an outcome"
			}
		}
		if err != nil {
			runErr = err
			break
		}
	}
	for i := range rec.Invoices {
		if rec.Invoices[i].Status == "" {
			rec.Invoices[i].Status = ksefsend.Failed.String()
			rec.Invoices[i].Error = "not sent: the run stopped before this invoice was sent"
		}
	}
	bar.finish()
	rec.FinishedAt = time.Now().UTC()
	rec.count()
	return rec, runErr
}

// prepare reads a file, finds its form and validates it.
func (r *run) prepare(name string) (prepared, error) {
	data, err := invoicefile.Read(nil, name)
	if err != nil {
		return prepared{}, fmt.Errorf("cannot read the file: %w", err)
	}
	form := r.fixed
	if form == "" {
		detected, err := invoicefile.DetectForm(data)
		if err != nil {
			return prepared{}, fmt.Errorf("%w (for PEF invoices pass --form)", err)
		}
		form = ksef.Form(detected.Code)
	}
	p := prepared{data: data, form: form}
	if err := ksefsend.DefaultValidator(form)(data); err != nil {
		return p, fmt.Errorf("not a valid %s invoice: %w", form, err)
	}
	return p, nil
}

// printReceipt writes the text form of a receipt: one line per file and a
// summary.
func printReceipt(w io.Writer, rec *Receipt) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tSTATUS\tKSEF NUMBER / ERROR")
	for _, e := range rec.Invoices {
		detail := e.KSeFNumber
		switch {
		case e.OfflineID != "":
			detail = "issued offline (" + e.OfflineMode + "), queued as " + e.OfflineID
		case e.Status == "duplicate":
			detail += " (already in KSeF"
			if e.OriginalSessionReferenceNumber != "" {
				detail += ", sent in session " + e.OriginalSessionReferenceNumber
			}
			detail += ")"
		case !e.OK:
			detail = e.Error
			if e.StatusCode != 0 {
				detail = fmt.Sprintf("status %d: %s", e.StatusCode, detail)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.File, e.Status, detail)
	}
	tw.Flush()
	s := rec.Summary
	fmt.Fprintf(w, "%d invoice(s): %d registered, %d duplicate, %d rejected, %d invalid, %d failed", s.Total,
		s.Registered, s.Duplicate, s.Rejected, s.Invalid, s.Failed)
	if len(rec.Sessions) > 0 {
		fmt.Fprintf(w, "; session(s) %s", strings.Join(rec.Sessions, ", "))
	}
	fmt.Fprintln(w)
	if s.Offline > 0 {
		fmt.Fprintf(w, "%d invoice(s) issued offline into the queue: send them with ksef send --pending once KSeF is available\n", s.Offline)
	}
	if rec.Path != "" {
		fmt.Fprintf(w, "Receipt: %s\n", rec.Path)
	}
}
