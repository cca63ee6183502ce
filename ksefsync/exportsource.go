package ksefsync

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ksef2/ksef"
)

// ExportSource is the [Source] onto KSeF: each window is one export
// (POST /invoices/exports) with dateType PermanentStorage and
// restrictToPermanentStorageHwmDate, waited for and downloaded through the
// SDK (parts verified, decrypted, unpacked in a stream). The invoice files
// are spooled to one temporary file and the package's _metadata.json (at
// most 10,000 records) is kept, so that memory stays bounded by one
// package whatever the number of invoices (the engine holds two: one
// stored while the next is fetched); the file is removed when the
// iteration of the package ends.
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
	// One spool file for the package's invoice files, appended in package
	// order, with the place of each (at most 10,000 entries): creating a
	// file per invoice costs more than everything else together.
	spool, err := os.CreateTemp(s.TempDir, "ksefsync-*.spool")
	if err != nil {
		return nil, fmt.Errorf("ksefsync: %w", err)
	}
	discard := func() {
		spool.Close()
		os.Remove(spool.Name())
	}
	at := make(map[string]span, p.InvoiceCount)
	var end int64
	bw := bufio.NewWriterSize(spool, 256<<10)
	// copied through buf into bw's buffer: io.Copy would hand the reader to
	// the file's ReadFrom whenever bw is empty, a write call per invoice
	buf := make([]byte, 32<<10)
	res, err := s.Invoices.DownloadExport(ctx, exp, st, &ksef.ExportDownloadOptions{TempDir: s.TempDir,
		OnInvoice: func(num string, xml io.Reader) error {
			n, err := io.CopyBuffer(onlyWriter{bw}, onlyReader{xml}, buf)
			if err != nil {
				return fmt.Errorf("ksefsync: spool: %w", err)
			}
			at[num] = span{end, n}
			end += n
			return nil
		}})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		discard()
		return nil, err
	}
	meta := res.Metadata
	pkg.Invoices = func(yield func(*Invoice, error) bool) {
		defer discard()
		sr := newSpoolReader(spool, end)
		for i := range meta {
			num := meta[i].KSeFNumber
			sp, ok := at[num]
			if !ok {
				yield(nil, fmt.Errorf("ksefsync: export: no file for %s", ksef.SanitizeText(num)))
				return
			}
			xml, err := sr.read(sp)
			if err != nil {
				yield(nil, fmt.Errorf("ksefsync: spool: %w", err))
				return
			}
			if !yield(&Invoice{Metadata: meta[i], XML: xml}, nil) {
				return
			}
		}
	}
	return pkg, nil
}

// span is where one invoice file lies in the spool.
type span struct{ off, n int64 }

// spoolReader reads invoice files back from the spool. They are read in
// metadata order, which is usually the package's: sequential reads through
// one buffer, a seek where the order differs.
type spoolReader struct {
	f   io.ReaderAt
	end int64 // the spool's size
	br  *bufio.Reader
	pos int64 // where br stands; -1 before the first read
}

func newSpoolReader(f io.ReaderAt, end int64) *spoolReader {
	return &spoolReader{f: f, end: end, br: bufio.NewReaderSize(nil, 256<<10), pos: -1}
}

// read returns the file at sp.
func (r *spoolReader) read(sp span) ([]byte, error) {
	if sp.off != r.pos {
		r.br.Reset(io.NewSectionReader(r.f, sp.off, r.end-sp.off))
		r.pos = sp.off
	}
	b := make([]byte, sp.n)
	if _, err := io.ReadFull(r.br, b); err != nil {
		r.pos = -1
		return nil, err
	}
	r.pos += sp.n
	return b, nil
}

// onlyWriter and onlyReader hide the ReadFrom and WriteTo methods of what
// they wrap from io.Copy.
type onlyWriter struct{ io.Writer }
type onlyReader struct{ io.Reader }
