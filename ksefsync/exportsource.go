package ksefsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ksef2/ksef"
)

// ExportSource is the [Source] onto KSeF: each window is one export
// (POST /invoices/exports) with dateType PermanentStorage and
// restrictToPermanentStorageHwmDate, waited for and downloaded through the
// SDK (parts verified, decrypted, unpacked in a stream). The invoice files
// are spooled to a temporary directory and the package's _metadata.json
// (at most 10,000 records) is kept, so that memory stays bounded by one
// package whatever the number of invoices; the directory is removed when
// the iteration of the package ends.
//
// Use one ExportSource per context, on that context's authenticated
// client: the client paces the export and status requests of its context
// (20 exports an hour) and reports a longer wait as an error the engine
// waits out.
type ExportSource struct {
	// Invoices is the authenticated client's invoice service.
	Invoices *ksef.InvoicesService
	// TempDir holds the spooled packages (default os.TempDir()).
	TempDir string
	// Wait bounds the wait for each export (default: the SDK's).
	Wait *ksef.WaitOptions
	// CompressionType of the packages (default Zip).
	CompressionType ksef.CompressionType
}

// Fetch exports one window and returns its package.
//
// KSeF API: POST /invoices/exports
func (s *ExportSource) Fetch(ctx context.Context, w Window) (*Package, error) {
	restrict := true
	from := w.From.UTC()
	filters := ksef.InvoiceQueryFilters{
		SubjectType: w.SubjectType,
		DateRange: ksef.InvoiceQueryDateRange{
			DateType:                          ksef.InvoiceQueryDateTypePermanentStorage,
			From:                              from,
			RestrictToPermanentStorageHwmDate: &restrict,
		},
	}
	if w.To != nil {
		to := w.To.UTC()
		filters.DateRange.To = &to
	}
	exp, err := s.Invoices.Export(ctx, &ksef.ExportParams{Filters: filters, CompressionType: s.CompressionType})
	if err != nil {
		if ksef.IsCode(err, 21183) {
			return nil, fmt.Errorf("%w: %w", ErrAheadOfHWM, err)
		}
		return nil, err
	}
	st, err := s.Invoices.WaitExport(ctx, exp.ReferenceNumber, s.Wait)
	if errors.Is(err, ksef.ErrExportFromAfterHWM) {
		return nil, fmt.Errorf("%w: %w", ErrAheadOfHWM, err)
	}
	if err != nil {
		return nil, err
	}
	p := st.Package
	pkg := &Package{IsTruncated: p.IsTruncated, LastPermanentStorageDate: p.LastPermanentStorageDate, PermanentStorageHwmDate: p.PermanentStorageHwmDate}
	if p.InvoiceCount == 0 {
		pkg.Invoices = func(func(*Invoice, error) bool) {}
		return pkg, nil
	}
	dir, err := os.MkdirTemp(s.TempDir, "ksefsync-")
	if err != nil {
		return nil, fmt.Errorf("ksefsync: %w", err)
	}
	res, err := s.Invoices.DownloadExport(ctx, exp, st, &ksef.ExportDownloadOptions{Dir: dir, TempDir: s.TempDir})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	meta := res.Metadata
	pkg.Invoices = func(yield func(*Invoice, error) bool) {
		defer os.RemoveAll(dir)
		for i := range meta {
			num := meta[i].KSeFNumber
			if num == "" || filepath.Base(num) != num {
				yield(nil, fmt.Errorf("ksefsync: export metadata: bad KSeF number %q", ksef.SanitizeText(num)))
				return
			}
			xml, err := os.ReadFile(filepath.Join(dir, num+".xml"))
			if err != nil {
				yield(nil, fmt.Errorf("ksefsync: %w", err))
				return
			}
			if !yield(&Invoice{Metadata: meta[i], XML: xml}, nil) {
				return
			}
		}
	}
	return pkg, nil
}
