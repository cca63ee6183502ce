package sendcmd

import (
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicefile"
	"github.com/ksef2/ksef/ksefsend"
)

// BatchThreshold is the number of files above which `ksef send` sends
// through batch sessions instead of online sessions (unless --batch or
// --online says otherwise). Online sending is paced by KSeF's invoiceSend
// limit (10 invoices a second); a batch session costs a fixed few requests
// (open, one upload per 100 MB part, close) whatever the number of
// invoices, so it wins from about a hundred invoices on.
const BatchThreshold = 100

// batchFlags are the batch options of `ksef send`.
type batchFlags struct {
	batch, online bool
	compression   string
	parallel      int
	partSize      int64
}

func (b *batchFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&b.batch, "batch", false, fmt.Sprintf("send through batch sessions whatever the number of files (default: batch above %d files)", BatchThreshold))
	fl.BoolVar(&b.online, "online", false, "send through online sessions whatever the number of files")
	fl.StringVar(&b.compression, "compression", "zip", "batch package format: zip or targz")
	fl.IntVar(&b.parallel, "parallel", ksef.DefaultBatchUploadParallelism, "batch parts uploaded at once")
	fl.Int64Var(&b.partSize, "part-size", 0, "plain bytes per batch part (default and maximum 100000000)")
	_ = fl.MarkHidden("part-size")
	cmd.MarkFlagsMutuallyExclusive("batch", "online")
}

// useBatch decides between batch and online sessions for n files.
func (b *batchFlags) useBatch(n int) bool {
	switch {
	case b.batch:
		return true
	case b.online:
		return false
	}
	return n > BatchThreshold
}

func (b *batchFlags) compressionType() (ksef.CompressionType, error) {
	switch b.compression {
	case "zip", "Zip", "ZIP", "":
		return ksef.CompressionTypeZip, nil
	case "targz", "TarGz", "tar.gz", "tgz":
		return ksef.CompressionTypeTarGz, nil
	}
	return "", fmt.Errorf("unknown --compression %q (want zip or targz)", b.compression)
}

// headSize is how much of a file is read to detect its form.
const headSize = 64 << 10

// readHead returns the first bytes of a file, enough to find the root
// element's namespace.
func readHead(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, headSize)
	n, err := io.ReadFull(f, b)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return b[:n], err
}

// batchWait polls a batch session's status at most a second apart: one
// poll per session, not per invoice, so a short delay costs nothing and
// the results come as soon as KSeF has them.
func batchWait(w *ksef.WaitOptions) *ksef.WaitOptions {
	out := ksef.WaitOptions{MaxDelay: time.Second}
	if w != nil {
		out = *w
		if out.MaxDelay <= 0 || out.MaxDelay > time.Second {
			out.MaxDelay = time.Second
		}
	}
	return &out
}

func isPEF(f ksef.Form) bool { return f == ksef.FormPEF3 || f == ksef.FormPEFKOR3 }

// sendBatch sends files through batch sessions, one run per form, in
// constant memory: a file is read once for its form (its head only) and
// once when it is packed, where it is also validated (on all cores). PEF
// invoices, which batch sessions do not take, go through online sessions.
func (r *run) sendBatch(cmd *cobra.Command, s *cli.Session, files []string, b *batchFlags) (*Receipt, error) {
	compression, err := b.compressionType()
	if err != nil {
		return nil, err
	}
	rec := &Receipt{Version: 1, Profile: s.Name, BaseURL: s.Client.BaseURL(), StartedAt: time.Now().UTC(),
		Sessions: []string{}, Invoices: make([]Entry, len(files))}
	byForm := map[ksef.Form][]int{}
	var forms []ksef.Form
	var online []int
	for i, name := range files {
		e := &rec.Invoices[i]
		e.File = name
		form := r.fixed
		if form == "" {
			head, err := readHead(name)
			if err != nil {
				e.Status, e.Error = ksefsend.Invalid.String(), describe(fmt.Errorf("cannot read the file: %w", err))
				continue
			}
			detected, err := invoicefile.DetectForm(head)
			if err != nil {
				e.Status, e.Error = ksefsend.Invalid.String(), describe(fmt.Errorf("%w (for PEF invoices pass --form)", err))
				continue
			}
			form = ksef.Form(detected.Code)
		}
		e.Form = string(form)
		if isPEF(form) {
			online = append(online, i)
			continue
		}
		if byForm[form] == nil {
			forms = append(forms, form)
		}
		byForm[form] = append(byForm[form], i)
	}
	total := 0
	for _, idx := range byForm {
		total += len(idx)
	}
	bar := newProgress(r.f.Stderr, total)
	var runErr error
	for _, form := range forms {
		idx := byForm[form]
		snd := &ksefsend.Sender{Sessions: s.Client.Sessions, Form: form, Wait: batchWait(r.wait),
			OnOutcome: func(o ksefsend.Outcome) { bar.add(o.OK()) }}
		if r.offline != nil {
			snd.Offline = r.offline(form)
		}
		in := func(yield func(ksefsend.InputOpener) bool) {
			for _, i := range idx {
				name := files[i]
				if !yield(ksefsend.InputOpener{Name: name, Open: func() (io.ReadCloser, error) { return os.Open(name) }}) {
					return
				}
			}
		}
		outs, err := snd.SendBatchFrom(cmd.Context(), in, &ksefsend.BatchOptions{
			Compression: compression, Parallelism: b.parallel, PartSize: b.partSize,
			OnProgress: bar.upload, OnPack: bar.pack,
		})
		for j, i := range idx {
			e := &rec.Invoices[i]
			if j < len(outs) && outs[j].Kind != 0 {
				e.fromOutcome(outs[j])
				if ref := e.SessionReferenceNumber; ref != "" && !slices.Contains(rec.Sessions, ref) {
					rec.Sessions = append(rec.Sessions, ref)
				}
			}
		}
		if err != nil {
			runErr = err
			break
		}
	}
	bar.finish()
	if len(online) > 0 && runErr == nil {
		names := make([]string, len(online))
		for j, i := range online {
			names[j] = files[i]
		}
		sub, err := r.send(cmd, s, names)
		for j, i := range online {
			rec.Invoices[i] = sub.Invoices[j]
		}
		for _, ref := range sub.Sessions {
			if !slices.Contains(rec.Sessions, ref) {
				rec.Sessions = append(rec.Sessions, ref)
			}
		}
		runErr = err
	}
	for i := range rec.Invoices {
		if rec.Invoices[i].Status == "" {
			rec.Invoices[i].Status = ksefsend.Failed.String()
			rec.Invoices[i].Error = "not sent: the run stopped before this invoice was sent"
		}
	}
	rec.FinishedAt = time.Now().UTC()
	rec.count()
	return rec, runErr
}
