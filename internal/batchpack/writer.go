package batchpack

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
)

func sha256Sum(b []byte) Digest { return Digest(sha256.Sum256(b)) }

// tarEndMax bounds the end of a TarGz archive: the compressed tar
// trailer (1024 zero bytes, stored at worst) and the gzip trailer.
const tarEndMax = 1024 + 64 + 8

// writer takes the prepared invoices in input order, decides where each
// goes (the current package, a new one, or nowhere) and finishes and
// yields the packages. The bytes themselves are hashed, encrypted and
// written by the workers (job.chain).
type writer struct {
	cfg     *config
	single  bool
	yield   func(*Package, error) bool
	stopped bool // the consumer stopped the iteration

	pkg      *Package
	arch     *archiveWriter
	progress Progress
}

func (w *writer) report() {
	if w.cfg.Progress != nil {
		w.cfg.Progress(w.progress)
	}
}

// archiveWriter is the archive of the package being written.
type archiveWriter struct {
	enc *encryptor  // the cipher stage
	pw  *partWriter // the write stage

	// The plain side, used by one job.chain at a time.
	arch  hash.Hash
	size  int64
	crc   uint32 // TarGz: CRC-32 of the tar stream
	isize uint32 // TarGz: its length mod 2^32

	// Owned by the writer.
	names   map[string]struct{}
	offset  int64  // archive bytes given to entries so far
	cd      []byte // ZIP: the central directory
	entries int
	last    *job // the last entry given to the workers
}

func (a *archiveWriter) plain(p []byte) {
	a.arch.Write(p)
	a.size += int64(len(p))
}

// direct writes p through all stages; only when no entry is in flight.
func (a *archiveWriter) direct(p []byte) error {
	a.plain(p)
	var ct []byte
	cuts := a.enc.encrypt(p, &ct, nil)
	a.pw.write(ct, cuts)
	return a.pw.err
}

// wait waits until the workers have written every entry given to them.
func (a *archiveWriter) wait() {
	if a.last != nil {
		<-a.last.cDone
	}
}

func (w *writer) newPackage() {
	w.pkg = &Package{Format: w.cfg.Format}
}

// add decides about one prepared invoice and sends the job its decision:
// it goes into the current package, or into a new one when the current
// one is full (PackAll), or it is rejected or fails packing (Pack).
func (w *writer) add(j *job) error {
	accepted := false
	defer func() {
		if accepted { // before the job is let go: the worker frees its data
			w.progress.Invoices++
			w.progress.Bytes += int64(len(j.data))
		}
		j.goCh <- accepted
		w.report()
	}()
	if w.pkg == nil {
		w.newPackage()
	}
	if j.err != nil {
		return w.reject(j.err)
	}
	if w.arch != nil {
		if _, dup := w.arch.names[j.name]; dup {
			return w.reject(&InvoiceError{Index: j.idx, Name: j.inv.Name, Err: fmt.Errorf("%w: %q", ErrDuplicateName, j.name)})
		}
	}
	for {
		full := w.full(j)
		if full == nil {
			break
		}
		if w.single || w.arch == nil {
			return &InvoiceError{Index: j.idx, Name: j.inv.Name, Err: full}
		}
		if !w.finish(false) {
			return nil
		}
		w.newPackage()
	}
	if w.arch == nil {
		if err := w.startArchive(); err != nil {
			return err
		}
	}
	a := w.arch
	j.arch, j.prev, a.last = a, a.last, j
	j.aDone, j.bDone, j.cDone = make(chan struct{}), make(chan struct{}), make(chan struct{})
	if w.cfg.Format == Zip {
		a.cd = appendZipCentral(a.cd, j.zip, a.offset, w.cfg.ModTime)
		a.entries++
	}
	a.offset += int64(len(j.hdr) + len(j.body()))
	a.names[j.name] = struct{}{}
	w.pkg.Invoices = append(w.pkg.Invoices, InvoiceEntry{
		Index: j.idx, Name: j.inv.Name, FileName: j.name, SHA256: j.sum, Size: int64(len(j.data)),
	})
	accepted = true
	return nil
}

// reject records an invalid invoice or fails with it.
func (w *writer) reject(err error) error {
	var ie *InvoiceError
	if w.cfg.SkipInvalid && errors.As(err, &ie) {
		w.pkg.Rejected = append(w.pkg.Rejected, ie)
		w.progress.Rejected++
		return nil
	}
	return err
}

// full returns the limit that adding j to the current package would
// break, or nil. The sizes are exact: the archive's length is known
// before a byte of it is written.
func (w *writer) full(j *job) error {
	if len(w.pkg.Invoices) >= w.cfg.MaxInvoices {
		return fmt.Errorf("%w: more than %d", ErrTooManyInvoices, w.cfg.MaxInvoices)
	}
	var offset, cd int64
	entries := 0
	if w.arch != nil {
		offset, cd, entries = w.arch.offset, int64(len(w.arch.cd)), w.arch.entries
	} else if w.cfg.Format == TarGz {
		offset = int64(len(gzipHeader(w.cfg)))
	}
	start := offset
	offset += int64(len(j.hdr) + len(j.body()))
	var need int64
	if w.cfg.Format == Zip {
		cd += zipCentralSize(j.name, start)
		need = offset + cd + zipEndSize(entries+1, offset, cd)
	} else {
		need = offset + tarEndMax
	}
	if need > w.cfg.limit {
		return fmt.Errorf("%w: the archive would reach %d bytes, limit %d", w.cfg.limitErr, need, w.cfg.limit)
	}
	return nil
}

func (w *writer) startArchive() error {
	key := w.cfg.Key
	if key == nil || !w.single {
		k, err := w.cfg.NewKey()
		if err != nil {
			return fmt.Errorf("batchpack: new key: %w", err)
		}
		key = k
	}
	dir, err := os.MkdirTemp(w.cfg.Dir, "ksef-batch-")
	if err != nil {
		return fmt.Errorf("batchpack: %w", err)
	}
	w.pkg.Key = key
	w.pkg.dir = dir
	a := &archiveWriter{
		enc: newEncryptor(w.cfg.PartSize, key), pw: newPartWriter(dir),
		arch: sha256.New(), names: map[string]struct{}{},
	}
	w.arch = a
	if w.cfg.Format == TarGz {
		h := gzipHeader(w.cfg)
		a.offset = int64(len(h))
		return a.direct(h)
	}
	return nil
}

// gzipHeader is a gzip member header without optional fields.
func gzipHeader(cfg *config) []byte {
	h := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}
	binary.LittleEndian.PutUint32(h[4:8], uint32(cfg.ModTime.Unix()))
	return h
}

// finish closes the current package and yields it (at the end of the
// input, also an empty one that holds only rejections). It reports whether
// packing goes on.
func (w *writer) finish(last bool) bool {
	pkg := w.pkg
	w.pkg = nil
	if pkg == nil {
		return true
	}
	if w.arch != nil {
		a := w.arch
		w.arch = nil
		a.wait()
		err := a.close(w.cfg)
		if err == nil {
			var ct []byte
			cuts := a.enc.finish(&ct, nil)
			a.pw.write(ct, cuts)
			pkg.Parts, err = a.pw.close(a.enc)
			pkg.Archive = Archive{Size: a.size}
			a.arch.Sum(pkg.Archive.SHA256[:0])
		}
		if err == nil && pkg.Archive.Size > w.cfg.limit {
			err = fmt.Errorf("batchpack: internal error: archive of %d bytes exceeds the limit %d", pkg.Archive.Size, w.cfg.limit)
		}
		if err != nil {
			a.pw.abort()
			pkg.Cleanup()
			w.stopped = true
			w.yield(nil, err)
			return false
		}
	} else if len(pkg.Rejected) == 0 && !(last && w.single) {
		return true
	}
	w.progress.Packages++
	if !w.yield(pkg, nil) {
		w.stopped = true
		return false
	}
	return true
}

// close writes the end of the archive, once the entries are written.
func (a *archiveWriter) close(cfg *config) error {
	if cfg.Format == Zip {
		cdOffset := a.offset
		if a.size != cdOffset {
			return fmt.Errorf("batchpack: internal error: %d archive bytes written, %d expected", a.size, cdOffset)
		}
		end := zipEnd(a.entries, cdOffset, int64(len(a.cd)))
		if int64(len(end)) != zipEndSize(a.entries, cdOffset, int64(len(a.cd))) {
			return errors.New("batchpack: internal error: ZIP end record size")
		}
		if err := a.direct(a.cd); err != nil {
			return err
		}
		return a.direct(end)
	}
	var seg bytes.Buffer
	fw := newFlateWriter(cfg.Compression)
	fw.Reset(&seg)
	zeros := make([]byte, 1024)
	fw.Write(zeros)
	if err := fw.Close(); err != nil {
		return err
	}
	a.crc = crc32.Update(a.crc, crc32.IEEETable, zeros)
	a.isize += uint32(len(zeros))
	var tail [8]byte
	binary.LittleEndian.PutUint32(tail[0:4], a.crc)
	binary.LittleEndian.PutUint32(tail[4:8], a.isize)
	seg.Write(tail[:])
	return a.direct(seg.Bytes())
}

// fail yields err after removing the unfinished package.
func (w *writer) fail(err error) {
	if w.arch != nil {
		w.arch.wait()
		w.arch.pw.abort()
		w.arch = nil
	}
	if w.pkg != nil {
		w.pkg.Cleanup()
		w.pkg = nil
	}
	if !w.stopped {
		w.stopped = true
		w.yield(nil, err)
	}
}

// zipEntry deflates the invoice for a ZIP entry, or keeps it stored when
// compression is off or does not pay.
func (c *compressor) zipEntry(j *job) error {
	j.crc = crc32.ChecksumIEEE(j.data)
	if c.cfg.Compression == Store {
		j.stored = true
		c.zipHeader(j)
		return nil
	}
	j.out = getBuf()
	c.fw.Reset(j.out)
	if _, err := c.fw.Write(j.data); err != nil {
		return err
	}
	if err := c.fw.Close(); err != nil {
		return err
	}
	if j.out.Len() >= len(j.data) {
		j.stored = true
	}
	c.zipHeader(j)
	return nil
}

// zipHeader fills in the entry's central directory data and local header.
func (c *compressor) zipHeader(j *job) {
	j.zip = zipEntry{name: j.name, method: 8, crc: j.crc, csize: uint32(len(j.body())), size: uint32(len(j.data))}
	if j.stored {
		j.zip.method = 0
	}
	j.hdr = zipLocalHeader(j.zip, c.cfg.ModTime)
}

// tarEntry builds the tar entry (header, data, padding) and compresses it
// into a sync-flushed deflate segment, which can be followed by the next
// segment in one deflate stream.
func (c *compressor) tarEntry(j *job) error {
	j.seg = getBuf()
	tw := tar.NewWriter(j.seg)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     j.name,
		Mode:     0o644,
		Size:     int64(len(j.data)),
		ModTime:  c.cfg.ModTime.UTC().Truncate(1e9),
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := tw.Write(j.data); err != nil {
		return err
	}
	if err := tw.Flush(); err != nil { // pads the entry to 512 bytes
		return err
	}
	j.out = getBuf()
	c.fw.Reset(j.out)
	if _, err := c.fw.Write(j.seg.Bytes()); err != nil {
		return err
	}
	return c.fw.Flush()
}

// flateWriter is the deflate compressor used by the workers.
type flateWriter interface {
	io.WriteCloser
	Flush() error
	Reset(io.Writer)
}
