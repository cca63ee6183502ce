package batchpack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"iter"
	"os"
	"path"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/ksef2/ksef/internal/envelope"
)

// config is Options with the defaults filled in.
type config struct {
	Options
	limit      int64 // largest archive: min(MaxArchiveSize, MaxParts*PartSize)
	limitErr   error // the error of crossing limit
	maxInvoice int64
	maxAttach  int64
}

func (o Options) config() (*config, error) {
	c := &config{Options: o}
	if c.Format != Zip && c.Format != TarGz {
		return nil, fmt.Errorf("batchpack: unknown format %d", int(c.Format))
	}
	if c.Compression != Deflate && c.Compression != Store {
		return nil, fmt.Errorf("batchpack: unknown compression %d", int(c.Compression))
	}
	if c.NewKey == nil {
		c.NewKey = envelope.NewKey
	}
	if c.Dir == "" {
		c.Dir = os.TempDir()
	}
	if c.PartSize <= 0 {
		c.PartSize = MaxPartSize
	}
	if c.MaxParts <= 0 {
		c.MaxParts = MaxParts
	}
	if c.MaxArchiveSize <= 0 {
		c.MaxArchiveSize = MaxArchiveSize
	}
	if c.MaxInvoices <= 0 {
		c.MaxInvoices = MaxInvoices
	}
	c.maxInvoice = c.MaxInvoiceSize
	if c.maxInvoice <= 0 {
		c.maxInvoice = MaxInvoiceSize
	}
	c.maxAttach = c.maxInvoice
	if c.AllowAttachments {
		c.maxAttach = c.MaxInvoiceSizeWithAttachments
		if c.maxAttach <= 0 {
			c.maxAttach = MaxInvoiceSizeWithAttachments
		}
		c.maxAttach = max(c.maxAttach, c.maxInvoice)
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.ModTime.IsZero() {
		c.ModTime = time.Now()
	}
	c.limit, c.limitErr = c.MaxArchiveSize, ErrArchiveTooLarge
	if byParts := int64(c.MaxParts) * c.PartSize; byParts < c.limit {
		c.limit, c.limitErr = byParts, ErrTooManyParts
	}
	return c, nil
}

// Pack packs all invoices into one package for one batch session. An
// invoice that would break a session limit ends packing with an
// [*InvoiceError] naming it; an invalid invoice does too unless
// Options.SkipInvalid is set. With no invoice to pack it returns
// [ErrNoInvoices] (and, under SkipInvalid, the package listing the
// rejected invoices). On success the caller owns the package's files and
// must call [Package.Cleanup].
func Pack(ctx context.Context, invoices iter.Seq[Invoice], opts Options) (*Package, error) {
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	var out *Package
	var outErr error
	run(ctx, cfg, invoices, true, func(p *Package, err error) bool {
		out, outErr = p, err
		return true
	})
	if outErr == nil && out != nil && len(out.Invoices) == 0 {
		outErr = ErrNoInvoices
	}
	if out == nil && outErr == nil {
		outErr = ErrNoInvoices
	}
	return out, outErr
}

// PackAll packs the invoices into as many packages as the session limits
// require, in input order: a package is finished when the next invoice
// would exceed the invoice count, the archive size or the number of parts
// of one session. Every package has its own key from Options.NewKey.
//
// The packages are yielded one at a time as they are finished; packing the
// next one waits until the loop body returns, so a caller that opens a
// session and uploads within the loop keeps at most one package on disk.
// The caller owns each yielded package and must call [Package.Cleanup].
// Invoices rejected under Options.SkipInvalid are listed in the package
// being packed when they were met; a last package may therefore hold only
// rejections (no invoices, no parts). An error is yielded once, last.
func PackAll(ctx context.Context, invoices iter.Seq[Invoice], opts Options) iter.Seq2[*Package, error] {
	return func(yield func(*Package, error) bool) {
		cfg, err := opts.config()
		if err != nil {
			yield(nil, err)
			return
		}
		run(ctx, cfg, invoices, false, yield)
	}
}

// job is one invoice on its way through the workers.
type job struct {
	idx  int
	inv  Invoice
	done chan struct{} // closed when prepared
	goCh chan bool     // the writer's decision: write it (true) or drop it

	name   string        // file name in the archive
	data   []byte        // the invoice XML
	raw    *bytes.Buffer // pooled buffer holding data, when read from Open
	out    *bytes.Buffer // pooled: the compressed entry (ZIP) or segment (TarGz)
	seg    *bytes.Buffer // pooled, TarGz: the plain tar entry
	hdr    []byte        // ZIP: the local file header
	zip    zipEntry      // ZIP: the central directory data
	stored bool          // ZIP: entry written uncompressed (data as is)
	crc    uint32        // ZIP: CRC-32 of data
	sum    Digest
	err    error

	// Set by the writer with a true decision.
	arch                *archiveWriter
	prev                *job          // the previous entry of the same archive
	aDone, bDone, cDone chan struct{} // closed when each stage is done
	ct                  *[]byte       // pooled: the entry's ciphertext
	cuts                []cut         // part boundaries in ct
}

// body returns the bytes of the entry after its header.
func (j *job) body() []byte {
	if j.stored {
		return j.data
	}
	return j.out.Bytes()
}

// chain runs the three in-order stages of an accepted entry on the worker
// that prepared it, while its bytes are still in that CPU's cache: the
// plain stage (archive hash, and the gzip CRC for TarGz), the cipher stage
// (AES-256-CBC, cutting parts) and the write stage (part hashes and
// files). Each stage waits for the same stage of the previous entry, so
// the workers overlap: one encrypts entry i while another hashes entry
// i+1 or writes entry i-1.
func (j *job) chain() {
	a := j.arch
	if j.prev != nil {
		<-j.prev.aDone
	}
	a.plain(j.hdr)
	a.plain(j.body())
	if j.seg != nil {
		a.crc = crc32.Update(a.crc, crc32.IEEETable, j.seg.Bytes())
		a.isize += uint32(j.seg.Len())
	}
	close(j.aDone)
	if j.prev != nil {
		<-j.prev.bDone
	}
	j.ct = ctPool.Get().(*[]byte)
	*j.ct = (*j.ct)[:0]
	j.cuts = a.enc.encrypt(j.hdr, j.ct, j.cuts[:0])
	j.cuts = a.enc.encrypt(j.body(), j.ct, j.cuts)
	close(j.bDone)
	if j.prev != nil {
		<-j.prev.cDone
		j.prev = nil // do not keep the whole chain of jobs alive
	}
	a.pw.write(*j.ct, j.cuts) // errors are kept by the part writer
	close(j.cDone)
}

var ctPool = sync.Pool{New: func() any { return new([]byte) }}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { b := bufPool.Get().(*bytes.Buffer); b.Reset(); return b }

func putBuf(b *bytes.Buffer) {
	if b != nil && b.Cap() <= 8<<20 {
		bufPool.Put(b)
	}
}

func (j *job) release() {
	putBuf(j.raw)
	putBuf(j.out)
	putBuf(j.seg)
	if j.ct != nil && cap(*j.ct) <= 8<<20 {
		ctPool.Put(j.ct)
	}
	j.raw, j.out, j.seg, j.data, j.ct = nil, nil, nil, nil, nil
}

// run drives the pipeline: a producer goroutine walks the input, workers
// read, check, hash and compress invoices, and the calling goroutine
// writes them in input order into the current package and yields finished
// packages. With single set, crossing a session limit is an error instead
// of a new package.
func run(ctx context.Context, cfg *config, invoices iter.Seq[Invoice], single bool, yield func(*Package, error) bool) {
	depth := 2*cfg.Workers + 2
	work := make(chan *job, depth)
	order := make(chan *job, depth)
	stop := make(chan struct{})
	var wg sync.WaitGroup

	wg.Add(1)
	go func() { // producer
		defer wg.Done()
		defer close(work)
		defer close(order)
		i := 0
		for inv := range invoices {
			j := &job{idx: i, inv: inv, done: make(chan struct{}), goCh: make(chan bool, 1)}
			i++
			select {
			case order <- j:
			case <-stop:
				return
			}
			select {
			case work <- j:
			case <-stop:
				j.err = context.Canceled
				close(j.done)
				return
			}
		}
	}()
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newCompressor(cfg)
			for j := range work {
				select {
				case <-stop:
					j.err = context.Canceled
				default:
					c.process(j)
				}
				close(j.done)
				if <-j.goCh {
					j.chain()
				}
				j.release()
			}
		}()
	}

	w := &writer{cfg: cfg, single: single, yield: yield}
	defer func() {
		close(stop)
		// Drop what is still in flight, then wait for the goroutines.
		go func() {
			for j := range order {
				<-j.done
				j.goCh <- false
			}
		}()
		wg.Wait()
	}()

	for j := range order {
		select {
		case <-j.done:
		case <-ctx.Done():
		}
		if err := ctx.Err(); err != nil {
			<-j.done
			j.goCh <- false
			w.fail(err)
			return
		}
		if err := w.add(j); err != nil { // sends j its decision
			w.fail(err)
			return
		}
		if w.stopped {
			return
		}
	}
	w.finish(true)
}

// compressor is a worker's state: its reusable deflate writers.
type compressor struct {
	cfg *config
	fw  flateWriter
}

func newCompressor(cfg *config) *compressor {
	return &compressor{cfg: cfg, fw: newFlateWriter(cfg.Compression)}
}

// process reads, checks, hashes and compresses one invoice.
func (c *compressor) process(j *job) {
	j.err = c.prepare(j)
	if j.err != nil {
		j.err = &InvoiceError{Index: j.idx, Name: j.inv.Name, Err: j.err}
	}
}

func (c *compressor) prepare(j *job) error {
	inv := j.inv
	if inv.Err != nil {
		return inv.Err
	}
	name, err := archiveName(inv.Name)
	if err != nil {
		return err
	}
	j.name = name
	switch {
	case inv.Data != nil:
		j.data = inv.Data
	case inv.Open != nil:
		r, err := inv.Open()
		if err != nil {
			return err
		}
		j.raw = getBuf()
		_, err = j.raw.ReadFrom(io.LimitReader(r, c.cfg.maxAttach+1))
		if cerr := r.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		j.data = j.raw.Bytes()
	default:
		return errors.New("batchpack: invoice has neither Data nor Open")
	}
	if err := c.checkSize(j.data); err != nil {
		return err
	}
	if c.cfg.Validate != nil {
		if err := c.cfg.Validate(inv.Name, j.data); err != nil {
			return err
		}
	}
	j.sum = sha256Sum(j.data)
	if c.cfg.Format == Zip {
		return c.zipEntry(j)
	}
	return c.tarEntry(j)
}

func (c *compressor) checkSize(data []byte) error {
	n := int64(len(data))
	switch {
	case n == 0:
		return ErrEmptyInvoice
	case n <= c.cfg.maxInvoice:
		return nil
	case n <= c.cfg.maxAttach && hasAttachment(data):
		return nil
	case n <= c.cfg.maxAttach:
		return fmt.Errorf("%w: %d bytes without attachments, limit %d", ErrInvoiceTooLarge, n, c.cfg.maxInvoice)
	}
	return fmt.Errorf("%w: more than %d bytes", ErrInvoiceTooLarge, c.cfg.maxAttach)
}

// archiveName turns an invoice name into a file name inside the archive:
// a clean, relative, slash-separated path.
func archiveName(name string) (string, error) {
	n := strings.ReplaceAll(name, "\\", "/")
	n = path.Clean("/" + n)[1:]
	if n == "" || n == "." || strings.ContainsRune(n, 0) || len(n) > 1024 {
		return "", fmt.Errorf("%w: %q", ErrFileName, name)
	}
	return n, nil
}
