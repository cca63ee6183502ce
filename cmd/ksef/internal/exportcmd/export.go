// Package exportcmd is the `ksef export` command: export the invoices
// matching a filter as encrypted packages, then download, verify, decrypt
// and unpack them in a stream into a directory.
package exportcmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicecmd"
)

// ForceProgress draws the progress bar whatever stderr is (tests).
var ForceProgress = false

// Package is one exported package in the report.
type Package struct {
	ReferenceNumber string `json:"referenceNumber"`
	Invoices        int    `json:"invoices"`
	Parts           int    `json:"parts"`
	Bytes           int64  `json:"bytes"`
	IsTruncated     bool   `json:"isTruncated"`
}

// Result is the report of `ksef export`.
type Result struct {
	Dir                     string     `json:"dir"`
	Invoices                int        `json:"invoices"`
	MetadataRecords         int        `json:"metadataRecords"`
	Packages                []Package  `json:"packages"`
	PermanentStorageHwmDate *time.Time `json:"permanentStorageHwmDate,omitempty"`
}

// New is the `ksef export` command.
func New(f *cli.Factory) *cobra.Command {
	var (
		dir, compression string
		onlyMetadata     bool
		concurrency      int
		stuckAfter       time.Duration
		follow           bool
	)
	cmd := &cobra.Command{
		Use:   "export --out-dir DIR [filters]",
		Short: "Export invoices by filter: download, verify, decrypt and unpack the packages",
		Long: `Ask KSeF to export the invoices matching the filters (the flags of
ksef invoice query), wait for the package, then download its parts
concurrently, verify their hashes, decrypt, join and unpack them in a stream
into --out-dir: one KSEF-NUMBER.xml per invoice and _metadata.json, each
invoice checked against its metadata. A package holds at most 10,000
invoices; while KSeF says it was truncated the export continues from the
last date (--follow, the default), so a whole month fits in one command.
--only-metadata exports only _metadata.json. An export stuck in progress
longer than --stuck-after is abandoned and requested again.`,
		Example: `  ksef export --out-dir ./invoices --subject buyer --from -30d
  ksef export --out-dir ./meta --subject seller --from 2026-01-01 --to 2026-01-31 --only-metadata`,
		Args: cobra.NoArgs,
	}
	build := invoicecmd.FilterFlags(cmd)
	fl := cmd.Flags()
	fl.StringVar(&dir, "out-dir", "", "directory to unpack into (created if missing; required)")
	fl.StringVar(&compression, "compression", "zip", "package format: zip or targz")
	fl.BoolVar(&onlyMetadata, "only-metadata", false, "export only _metadata.json")
	fl.IntVar(&concurrency, "concurrency", 4, "parts downloaded at once")
	fl.DurationVar(&stuckAfter, "stuck-after", 15*time.Minute, "abandon and request again an export in progress for this long")
	fl.BoolVar(&follow, "follow", true, "continue with further exports while a package is truncated")
	_ = cmd.MarkFlagRequired("out-dir")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		filters, err := build(time.Now())
		if err != nil {
			return err
		}
		p := &ksef.ExportParams{Filters: filters, OnlyMetadata: onlyMetadata}
		switch strings.ToLower(compression) {
		case "zip":
			p.CompressionType = ksef.CompressionTypeZip
		case "targz", "tar.gz":
			p.CompressionType = ksef.CompressionTypeTarGz
		default:
			return fmt.Errorf("--compression %q: use zip or targz", compression)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		s, err := f.Session()
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		bar := newProgress(f.Stderr)
		res := Result{Dir: dir, Packages: []Package{}}
		for {
			exp, out, err := s.Client.Invoices.RunExport(ctx, p, &ksef.ExportRunOptions{
				StuckAfter: stuckAfter,
				Download: &ksef.ExportDownloadOptions{
					Dir: dir, Concurrency: concurrency,
					OnProgress: bar.update,
				},
				OnScheduled: func(e *ksef.Export) { bar.scheduled(e.ReferenceNumber) },
			})
			bar.finish()
			if err != nil {
				return cli.RefreshError(err)
			}
			pkg := out.Package
			res.Packages = append(res.Packages, Package{ReferenceNumber: exp.ReferenceNumber, Invoices: out.Invoices,
				Parts: len(pkg.Parts), Bytes: out.Bytes, IsTruncated: pkg.IsTruncated})
			res.Invoices += out.Invoices
			res.MetadataRecords += len(out.Metadata)
			res.PermanentStorageHwmDate = pkg.PermanentStorageHwmDate
			if !pkg.IsTruncated || !follow {
				break
			}
			next, ok := nextFrom(pkg)
			if !ok || !next.After(p.Filters.DateRange.From) {
				return errors.New("the package is truncated but KSeF gave no later date to continue from")
			}
			p.Filters.DateRange.From = next
		}
		return f.Emit(res, func(w io.Writer) {
			fmt.Fprintf(w, "exported %d invoice(s), %d metadata record(s) in %d package(s) into %s\n", res.Invoices, res.MetadataRecords, len(res.Packages), dir)
			if res.PermanentStorageHwmDate != nil {
				fmt.Fprintf(w, "data final up to %s\n", res.PermanentStorageHwmDate.UTC().Format(time.RFC3339))
			}
		})
	}
	// bounded by --stuck-after and the re-issues, not by the default
	return cli.SetTimeout(cmd, 2*time.Hour)
}

// nextFrom is where the export continues after a truncated package.
func nextFrom(pkg *ksef.InvoicePackage) (time.Time, bool) {
	switch {
	case pkg.LastPermanentStorageDate != nil:
		return *pkg.LastPermanentStorageDate, true
	case pkg.LastInvoicingDate != nil:
		return *pkg.LastInvoicingDate, true
	case pkg.LastIssueDate != "":
		t, err := time.Parse(time.DateOnly, pkg.LastIssueDate)
		return t, err == nil
	}
	return time.Time{}, false
}

// progress draws the export's progress on stderr when it is a terminal.
type progress struct {
	mu sync.Mutex
	w  io.Writer
}

func newProgress(stderr io.Writer) *progress {
	p := &progress{}
	if f, ok := stderr.(*os.File); (ok && term.IsTerminal(int(f.Fd()))) || ForceProgress {
		p.w = stderr
	}
	return p
}

func (p *progress) scheduled(ref string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil {
		fmt.Fprintf(p.w, "\rexport %s scheduled, waiting for the package...", ref)
	}
}

const barWidth = 30

func (p *progress) update(pr ksef.ExportProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil || pr.BytesTotal == 0 {
		return
	}
	n := int(pr.BytesDownloaded * barWidth / pr.BytesTotal)
	fmt.Fprintf(p.w, "\r[%s%s] parts %d/%d, invoices %d/%d", strings.Repeat("=", n), strings.Repeat(" ", barWidth-n),
		pr.PartsDownloaded, pr.Parts, pr.Invoices, pr.InvoicesTotal)
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil {
		fmt.Fprintln(p.w)
	}
}
