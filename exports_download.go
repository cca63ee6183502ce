package ksef

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ksef2/ksef/internal/envelope"
)

// ErrExportMismatch is returned when an export package's files and its
// _metadata.json disagree (a file without metadata or the reverse, a
// file whose SHA-256 differs from its metadata's invoiceHash, or a count
// other than the package's invoiceCount).
var ErrExportMismatch = errors.New("ksef: export package does not match its metadata")

// ExportMetadataFile is the name of the metadata file of an export package.
const ExportMetadataFile = "_metadata.json"

// ExportDownloadOptions control [InvoicesService.DownloadExport]. Set Dir,
// OnInvoice, both or neither (then the package is only verified).
type ExportDownloadOptions struct {
	// Dir receives every file of the package: {ksefNumber}.xml and
	// _metadata.json. It must exist; files are created with mode 0600.
	Dir string
	// OnInvoice is called for every invoice of the package, in package
	// order, with a reader of its XML (valid only during the call; what
	// the callback does not read is read and hashed afterwards). An error
	// stops the download.
	OnInvoice func(ksefNumber string, xml io.Reader) error
	// Concurrency is the number of parts downloaded at once (default 4).
	// Parts are spooled to TempDir, at most Concurrency+1 at a time, and
	// removed once unpacked.
	Concurrency int
	// TempDir holds the spooled parts (default os.TempDir()).
	TempDir string
	// OnProgress, when set, is called after each downloaded part and each
	// unpacked invoice, one call at a time.
	OnProgress func(ExportProgress)
}

// ExportProgress reports the progress of [InvoicesService.DownloadExport].
type ExportProgress struct {
	// PartsDownloaded of Parts have been downloaded and verified.
	PartsDownloaded, Parts int
	// BytesDownloaded of BytesTotal encrypted bytes have been downloaded.
	BytesDownloaded, BytesTotal int64
	// Invoices is the number of invoices unpacked so far, of
	// InvoicesTotal in the package.
	Invoices, InvoicesTotal int
}

// ExportResult is what [InvoicesService.DownloadExport] found in a package.
type ExportResult struct {
	// Package is the package description from the export status.
	Package *InvoicePackage
	// Metadata are the records of _metadata.json, one per invoice, each
	// matched against its file.
	Metadata []InvoiceMetadata
	// Invoices is the number of invoice files unpacked.
	Invoices int
	// Bytes is the size of the decrypted package (all parts joined).
	Bytes int64
}

// DownloadExport downloads the package of a finished export (st from
// [InvoicesService.WaitExport]), in a stream and in constant memory:
// parts are fetched concurrently from their pre-signed URLs (no
// Authorization; URLs never appear in logs or errors), each checked
// against its encryptedPartSize and encryptedPartHash; they are then
// decrypted with the export's key, checked against partHash, joined and
// unpacked according to package.compressionType (ZIP or tar.gz) straight
// into opts.Dir and/or opts.OnInvoice, in archive order (the entries of a
// ZIP package are inflated on every core, each checked against its size
// and CRC-32 before it is delivered). When a part URL has expired (by
// its expirationDate or a 403 from storage) the URLs are renewed with a
// status call. Finally every invoice file is matched against
// _metadata.json: same KSeF numbers, SHA-256 equal to invoiceHash, count
// equal to invoiceCount ([ErrExportMismatch] otherwise).
func (s *InvoicesService) DownloadExport(ctx context.Context, exp *Export, st *InvoiceExportStatusResponse, opts *ExportDownloadOptions) (*ExportResult, error) {
	if exp == nil || st == nil || st.Package == nil {
		return nil, errors.New("ksef: DownloadExport: no finished export package (wait with WaitExport first)")
	}
	key, err := exp.key()
	if err != nil {
		return nil, err
	}
	var o ExportDownloadOptions
	if opts != nil {
		o = *opts
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	pkg := st.Package
	parts := slices.Clone(pkg.Parts)
	slices.SortFunc(parts, func(a, b InvoicePackagePart) int { return int(a.OrdinalNumber - b.OrdinalNumber) })
	if len(parts) == 0 {
		return nil, errors.New("ksef: DownloadExport: the package has no parts")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := &partDownloader{s: s, ref: exp.ReferenceNumber, parts: parts, opts: &o, ctx: ctx}
	d.progress.Parts = len(parts)
	d.progress.InvoicesTotal = int(pkg.InvoiceCount)
	for _, p := range parts {
		d.progress.BytesTotal += p.EncryptedPartSize
	}
	spool := d.start()
	defer d.cleanup()

	joined := &joinedReader{ctx: ctx, spool: spool, parts: parts, key: key, release: d.release}
	// Decryption and the plain-part hashes run on their own goroutine, ahead
	// of the unpacking by a few fixed-size buffers (the two overlap on two
	// cores; memory stays constant).
	src := newReadAhead(joined, 4, 256<<10)
	defer func() {
		cancel()
		src.stop()
		if joined.f != nil {
			_ = joined.f.Close()
		}
	}()
	res := &ExportResult{Package: pkg}
	// The invoice count sizes the hash map and the metadata slice once
	// (bounded: it comes from the server; both grow past it when needed).
	hint := int(min(max(pkg.InvoiceCount, 0), maxExportSizeHint))
	u := &unpacker{opts: &o, hashes: make(map[string][sha256.Size]byte, hint), progress: d.reportInvoice, cancel: cancel, hint: hint}
	switch pkg.CompressionType {
	case CompressionTypeTarGz:
		err = u.untarGz(src)
	case CompressionTypeZip, "":
		err = u.unzip(src)
	default:
		err = fmt.Errorf("ksef: DownloadExport: unknown compression type %q", SanitizeText(string(pkg.CompressionType)))
	}
	if err == nil {
		// Read what follows the archive (nothing, or padding of the last part)
		// so that every part's hash is checked.
		_, err = io.Copy(io.Discard, src)
	}
	if err != nil {
		cancel()
		if derr := d.firstError(); derr != nil {
			return nil, derr
		}
		return nil, err
	}
	res.Bytes = joined.total // src reached EOF: the producer is done
	res.Invoices = u.invoices
	if err := u.match(res, pkg, exp.OnlyMetadata); err != nil {
		return nil, err
	}
	return res, nil
}

// partDownloader fetches the parts of a package into spool files.
type partDownloader struct {
	s     *InvoicesService
	ref   string
	parts []InvoicePackagePart
	opts  *ExportDownloadOptions
	ctx   context.Context

	mu       sync.Mutex
	cbMu     sync.Mutex // serialises OnProgress calls
	progress ExportProgress
	err      error
	files    []string
	urls     map[int32]InvoicePackagePart // renewed parts, by ordinal
	window   chan struct{}
}

// spooled is a downloaded, verified part (or the error that stopped it).
type spooled struct {
	path string
	err  error
}

func (d *partDownloader) start() []chan spooled {
	out := make([]chan spooled, len(d.parts))
	for i := range out {
		out[i] = make(chan spooled, 1)
	}
	d.window = make(chan struct{}, d.opts.Concurrency+1)
	jobs := make(chan int)
	go func() {
		defer close(jobs)
		for i := range d.parts {
			select {
			case d.window <- struct{}{}:
			case <-d.ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-d.ctx.Done():
				return
			}
		}
	}()
	for range d.opts.Concurrency {
		go func() {
			for i := range jobs {
				path, err := d.fetch(i)
				if err != nil {
					d.mu.Lock()
					if d.err == nil {
						d.err = err
					}
					d.mu.Unlock()
				}
				out[i] <- spooled{path: path, err: err}
			}
		}()
	}
	return out
}

// release frees a place in the download window (a part was unpacked).
func (d *partDownloader) release() {
	select {
	case <-d.window:
	default:
	}
}

func (d *partDownloader) firstError() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

func (d *partDownloader) cleanup() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, f := range d.files {
		_ = os.Remove(f)
	}
}

func (d *partDownloader) reportInvoice() {
	if d.opts.OnProgress == nil {
		return
	}
	d.cbMu.Lock()
	defer d.cbMu.Unlock()
	d.mu.Lock()
	d.progress.Invoices++
	p := d.progress
	d.mu.Unlock()
	d.opts.OnProgress(p)
}

// part returns the latest known description of part i (renewed URLs).
func (d *partDownloader) part(i int) InvoicePackagePart {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p, ok := d.urls[d.parts[i].OrdinalNumber]; ok {
		return p
	}
	return d.parts[i]
}

// renew fetches fresh part URLs through the export status.
func (d *partDownloader) renew(stale InvoicePackagePart) error {
	d.mu.Lock()
	if p, ok := d.urls[stale.OrdinalNumber]; ok && p.URL != stale.URL && time.Now().Before(p.ExpirationDate) {
		d.mu.Unlock()
		return nil // another worker renewed already
	}
	d.mu.Unlock()
	st, err := d.s.ExportStatus(d.ctx, d.ref)
	if err != nil {
		return err
	}
	if st.Package == nil {
		return newStatusError("export", d.ref, st.Status)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.urls == nil {
		d.urls = map[int32]InvoicePackagePart{}
	}
	for _, p := range st.Package.Parts {
		d.urls[p.OrdinalNumber] = p
	}
	return nil
}

// errURLExpiredHTTP marks a 403 from storage (expired or invalid URL).
var errURLExpiredHTTP = errors.New("storage refused the URL")

// fetch downloads part i into a spool file and verifies its size and
// hash, renewing the URL when it expired and retrying a corrupted
// transfer once.
func (d *partDownloader) fetch(i int) (string, error) {
	var lastErr error
	for attempt := 0; attempt < 4; attempt++ {
		p := d.part(i)
		if !p.ExpirationDate.IsZero() && time.Now().After(p.ExpirationDate) || errors.Is(lastErr, errURLExpiredHTTP) {
			if err := d.renew(p); err != nil {
				return "", err
			}
			p = d.part(i)
		}
		path, err := d.fetchOnce(p)
		if err == nil {
			if d.opts.OnProgress != nil {
				d.cbMu.Lock()
			}
			d.mu.Lock()
			d.progress.PartsDownloaded++
			d.progress.BytesDownloaded += p.EncryptedPartSize
			pr := d.progress
			d.mu.Unlock()
			if d.opts.OnProgress != nil {
				d.opts.OnProgress(pr)
				d.cbMu.Unlock()
			}
			return path, nil
		}
		if d.ctx.Err() != nil {
			return "", d.ctx.Err()
		}
		lastErr = err
		if !errors.Is(err, errURLExpiredHTTP) && !errors.Is(err, ErrHashMismatch) {
			return "", err
		}
	}
	if errors.Is(lastErr, errURLExpiredHTTP) {
		return "", fmt.Errorf("ksef: export part %d: %w", d.parts[i].OrdinalNumber, ErrURLExpired)
	}
	return "", lastErr
}

func (d *partDownloader) fetchOnce(p InvoicePackagePart) (string, error) {
	method := p.Method
	if method == "" {
		method = http.MethodGet
	}
	resp, err := d.s.c.do(d.ctx, &request{absURL: p.URL, method: method, stream: true, accept: "*/*"})
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && (ae.StatusCode == http.StatusForbidden || ae.StatusCode == http.StatusUnauthorized) {
			return "", fmt.Errorf("ksef: export part %d: %w", p.OrdinalNumber, errURLExpiredHTTP)
		}
		return "", err
	}
	defer resp.body.Close()
	f, err := os.CreateTemp(d.opts.TempDir, "ksef-export-part-*.aes")
	if err != nil {
		return "", fmt.Errorf("ksef: export part spool: %w", err)
	}
	d.mu.Lock()
	d.files = append(d.files, f.Name())
	d.mu.Unlock()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), resp.body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("ksef: export part %d: %w", p.OrdinalNumber, sanitizeTransportError(err))
	}
	if n != p.EncryptedPartSize || subtle.ConstantTimeCompare(h.Sum(nil), p.EncryptedPartHash) != 1 {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("ksef: export part %d (%d bytes, %d expected): encrypted part %w", p.OrdinalNumber, n, p.EncryptedPartSize, ErrHashMismatch)
	}
	return f.Name(), nil
}

// joinedReader reads the decrypted parts one after another, checking each
// part's plain size and hash at its end.
type joinedReader struct {
	ctx     context.Context
	spool   []chan spooled
	parts   []InvoicePackagePart
	key     *envelope.Key
	release func()

	i     int
	f     *os.File
	path  string
	r     io.Reader
	h     hash.Hash
	n     int64
	total int64
}

func (j *joinedReader) Read(p []byte) (int, error) {
	for {
		if j.r == nil {
			if j.i >= len(j.parts) {
				return 0, io.EOF
			}
			var sp spooled
			select {
			case sp = <-j.spool[j.i]:
			case <-j.ctx.Done():
				return 0, j.ctx.Err()
			}
			if sp.err != nil {
				return 0, sp.err
			}
			f, err := os.Open(sp.path)
			if err != nil {
				return 0, fmt.Errorf("ksef: export part spool: %w", err)
			}
			j.f, j.path = f, sp.path
			j.r = envelope.NewDecryptReader(bufio.NewReaderSize(f, 256<<10), j.key)
			j.h, j.n = sha256.New(), 0
		}
		n, err := j.r.Read(p)
		if n > 0 {
			j.h.Write(p[:n])
			j.n += int64(n)
			j.total += int64(n)
		}
		if err == io.EOF {
			part := j.parts[j.i]
			_ = j.f.Close()
			_ = os.Remove(j.path)
			j.r, j.f = nil, nil
			j.i++
			j.release()
			if j.n != part.PartSize || subtle.ConstantTimeCompare(j.h.Sum(nil), part.PartHash) != 1 {
				return n, fmt.Errorf("ksef: export part %d: decrypted part %w", part.OrdinalNumber, ErrHashMismatch)
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		if err != nil {
			return n, fmt.Errorf("ksef: export part %d: decrypt: %w", j.parts[j.i].OrdinalNumber, err)
		}
		return n, nil
	}
}

// readAhead reads r on its own goroutine into a fixed ring of buffers, so
// that producing the data overlaps consuming it. Read returns the same
// bytes, and then the same error, as r would.
type readAhead struct {
	full chan raChunk
	free chan []byte
	quit chan struct{}
	done chan struct{}
	cur  raChunk
	off  int
	err  error
}

// raChunk is a filled buffer, or the error that ended r.
type raChunk struct {
	b   []byte
	err error
}

func newReadAhead(r io.Reader, n, size int) *readAhead {
	a := &readAhead{full: make(chan raChunk, n), free: make(chan []byte, n), quit: make(chan struct{}), done: make(chan struct{})}
	for range n {
		a.free <- make([]byte, size)
	}
	go func() {
		defer close(a.done)
		for {
			var b []byte
			select {
			case b = <-a.free:
			case <-a.quit:
				return
			}
			m, err := 0, error(nil)
			for m == 0 && err == nil {
				m, err = r.Read(b[:cap(b)])
			}
			if m > 0 {
				a.full <- raChunk{b: b[:m]} // never blocks: n buffers, n slots
			} else {
				a.free <- b // never blocks
			}
			if err != nil {
				select {
				case a.full <- raChunk{err: err}:
				case <-a.quit:
				}
				return
			}
		}
	}()
	return a
}

func (a *readAhead) Read(p []byte) (int, error) {
	if a.err != nil {
		return 0, a.err
	}
	for a.off == len(a.cur.b) {
		if a.cur.b != nil {
			a.free <- a.cur.b[:cap(a.cur.b)] // never blocks
			a.cur.b = nil
		}
		a.cur, a.off = <-a.full, 0
		if a.cur.err != nil {
			a.err = a.cur.err
			return 0, a.err
		}
	}
	n := copy(p, a.cur.b[a.off:])
	a.off += n
	return n, nil
}

// stop ends the producer and waits for it (the caller cancels the context
// the producer may be waiting on before, or the producer reached the end).
func (a *readAhead) stop() {
	close(a.quit)
	<-a.done
}

// unpacker delivers the files of the joined package and remembers what
// it needs to match them against _metadata.json.
type unpacker struct {
	opts     *ExportDownloadOptions
	hashes   map[string][sha256.Size]byte // KSeF number -> SHA-256 of the file
	h        hash.Hash                    // SHA-256, reused for every file
	meta     []InvoiceMetadata
	sawMeta  bool
	invoices int
	progress func()
	cancel   func()        // ends the input of the archive early (on an error)
	bw       *bufio.Writer // reused for every file written to Dir
	hint     int           // expected number of invoices (capacity hint)
}

// maxExportSizeHint bounds the capacity reserved ahead from a package's
// invoiceCount (KSeF packages hold at most 10,000 invoices).
const maxExportSizeHint = 10000

// file handles one file of the archive.
func (u *unpacker) file(name string, r io.Reader) error {
	if name != filepath.Base(name) || strings.ContainsAny(name, `/\`) || name == "." || name == ".." || name == "" {
		return fmt.Errorf("ksef: export package: unexpected file name %q", SanitizeText(name))
	}
	if name == ExportMetadataFile {
		var w io.Writer = io.Discard
		var f *os.File
		if u.opts.Dir != "" {
			var err error
			if f, err = os.OpenFile(filepath.Join(u.opts.Dir, name), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600); err != nil {
				return fmt.Errorf("ksef: export: %w", err)
			}
			w = f
		}
		meta, err := decodeMetadata(io.TeeReader(r, w), u.hint)
		if err == nil {
			_, err = io.Copy(w, r)
		}
		if f != nil {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return fmt.Errorf("ksef: export: %s: %w", ExportMetadataFile, err)
		}
		u.meta, u.sawMeta = meta, true
		return nil
	}
	num, ok := strings.CutSuffix(name, ".xml")
	if !ok {
		return fmt.Errorf("ksef: export package: unexpected file %q", SanitizeText(name))
	}
	if _, dup := u.hashes[num]; dup {
		return fmt.Errorf("%w: %s appears twice", ErrExportMismatch, SanitizeText(name))
	}
	if u.h == nil {
		u.h = sha256.New()
	}
	h := u.h
	h.Reset()
	tr := io.TeeReader(r, h)
	if u.opts.Dir != "" {
		f, err := os.OpenFile(filepath.Join(u.opts.Dir, name), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("ksef: export: %w", err)
		}
		if u.bw == nil {
			u.bw = bufio.NewWriterSize(f, 32<<10)
		}
		bw := u.bw
		bw.Reset(f)
		_, err = io.Copy(bw, tr)
		if err == nil {
			err = bw.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("ksef: export: %s: %w", SanitizeText(name), err)
		}
		if u.opts.OnInvoice != nil {
			rf, err := os.Open(filepath.Join(u.opts.Dir, name))
			if err != nil {
				return fmt.Errorf("ksef: export: %w", err)
			}
			err = u.opts.OnInvoice(num, rf)
			rf.Close()
			if err != nil {
				return err
			}
		}
	} else if u.opts.OnInvoice != nil {
		if err := u.opts.OnInvoice(num, tr); err != nil {
			return err
		}
	}
	if _, err := io.Copy(io.Discard, tr); err != nil {
		return err
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	u.hashes[num] = sum
	u.invoices++
	u.progress()
	return nil
}

// match checks the files against _metadata.json.
func (u *unpacker) match(res *ExportResult, pkg *InvoicePackage, onlyMetadata bool) error {
	if !u.sawMeta {
		return fmt.Errorf("%w: no %s in the package", ErrExportMismatch, ExportMetadataFile)
	}
	res.Metadata = u.meta
	if int64(len(u.meta)) != pkg.InvoiceCount {
		return fmt.Errorf("%w: %d metadata records, invoiceCount %d", ErrExportMismatch, len(u.meta), pkg.InvoiceCount)
	}
	if onlyMetadata && u.invoices == 0 {
		return nil
	}
	if len(u.hashes) != len(u.meta) {
		return fmt.Errorf("%w: %d invoice files, %d metadata records", ErrExportMismatch, len(u.hashes), len(u.meta))
	}
	for _, md := range u.meta {
		h, ok := u.hashes[md.KSeFNumber]
		if !ok {
			return fmt.Errorf("%w: no file for %s", ErrExportMismatch, SanitizeText(md.KSeFNumber))
		}
		if subtle.ConstantTimeCompare(h[:], md.InvoiceHash) != 1 {
			return fmt.Errorf("%w: %s.xml differs from its invoiceHash", ErrExportMismatch, SanitizeText(md.KSeFNumber))
		}
	}
	return nil
}

// untarGz unpacks a tar.gz stream.
func (u *unpacker) untarGz(r io.Reader) error {
	return u.run(r, walkTarGz)
}

// unzip unpacks a ZIP stream (see walkZip).
func (u *unpacker) unzip(r io.Reader) error {
	return u.run(r, walkZip)
}

// archiveOut receives the regular files of an archive (the producer's
// side of the entry pipe). emit reads body to its end (writing what it
// reads to sum too, when not nil) unless it returns an error; flush passes
// on what was emitted so far, and is called before the walker waits for
// more input (false: the pipe stopped).
type archiveOut interface {
	emit(name string, body io.Reader, sum io.Writer) error
	flush() bool
}

// walkTarGz passes the regular files of a tar.gz stream to out.
func walkTarGz(r io.Reader, out archiveOut) error {
	gz, err := gzip.NewReader(bufio.NewReaderSize(flushingReader{r: r, out: out}, 64<<10))
	if err != nil {
		return fmt.Errorf("ksef: export package (tar.gz): %w", err)
	}
	gz.Multistream(false)
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("ksef: export package (tar.gz): %w", err)
		}
		switch h.Typeflag {
		case tar.TypeReg:
			if err := out.emit(h.Name, tr, nil); err != nil {
				return err
			}
		case tar.TypeDir:
		default:
			return fmt.Errorf("ksef: export package (tar.gz): unexpected entry type %q for %q", h.Typeflag, SanitizeText(h.Name))
		}
	}
	// the rest of the gzip stream (checksum) is checked by reading to EOF
	_, err = io.Copy(io.Discard, gz)
	return err
}
