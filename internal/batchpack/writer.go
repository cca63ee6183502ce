package batchpack

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

func sha256Sum(b []byte) Digest { return Digest(sha256.Sum256(b)) }

// Upper bounds of the archive bytes an entry adds, for the limit checks
// made before the entry is written.
const (
	zipLocalFixed   = 30 + 9      // local header + extended timestamp extra
	zipCentralFixed = 46 + 9 + 28 // central header + timestamp + zip64 extra
	zipEndFixed     = 22 + 56 + 20
	tarEndMax       = 1024 + 64 + 18 // compressed tar trailer + gzip header and trailer
)

// writer writes the prepared invoices, in order, into the current package.
type writer struct {
	cfg     *config
	single  bool
	yield   func(*Package, error) bool
	stopped bool // the consumer stopped the iteration

	pkg  *Package
	arch *archiveWriter
}

// archiveWriter is the archive of the package being written.
type archiveWriter struct {
	sink    *sink
	zw      *zip.Writer
	names   map[string]struct{}
	est     int64 // bytes of the entries written
	central int64 // upper bound of the central directory
	crc     uint32
	isize   uint32
}

func (w *writer) newPackage() {
	w.pkg = &Package{Format: w.cfg.Format}
}

// add writes one prepared invoice, starting a new package when the
// current one is full (PackAll) or failing (Pack).
func (w *writer) add(j *job) error {
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
	if err := w.write(j); err != nil {
		return err
	}
	w.arch.names[j.name] = struct{}{}
	w.pkg.Invoices = append(w.pkg.Invoices, InvoiceEntry{
		Index: j.idx, Name: j.inv.Name, FileName: j.name, SHA256: j.sum, Size: int64(len(j.data)),
	})
	return nil
}

// reject records an invalid invoice or fails with it.
func (w *writer) reject(err error) error {
	var ie *InvoiceError
	if w.cfg.SkipInvalid && errors.As(err, &ie) {
		w.pkg.Rejected = append(w.pkg.Rejected, ie)
		return nil
	}
	return err
}

// full returns the limit that adding j to the current package would
// break, or nil.
func (w *writer) full(j *job) error {
	if len(w.pkg.Invoices) >= w.cfg.MaxInvoices {
		return fmt.Errorf("%w: more than %d", ErrTooManyInvoices, w.cfg.MaxInvoices)
	}
	var est, central int64
	if w.arch != nil {
		est, central = w.arch.est, w.arch.central
	}
	add, addCentral := w.entrySize(j)
	var end int64 = zipEndFixed
	if w.cfg.Format == TarGz {
		end = tarEndMax
	}
	if need := est + add + central + addCentral + end; need > w.cfg.limit {
		return fmt.Errorf("%w: the archive would reach about %d bytes, limit %d", w.cfg.limitErr, need, w.cfg.limit)
	}
	return nil
}

func (w *writer) entrySize(j *job) (entry, central int64) {
	if w.cfg.Format == TarGz {
		return int64(j.out.Len()), 0
	}
	n := int64(len(j.name))
	body := int64(len(j.data))
	if !j.stored {
		body = int64(j.out.Len())
	}
	return zipLocalFixed + n + body, zipCentralFixed + n
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
	a := &archiveWriter{sink: newSink(dir, w.cfg.PartSize, key), names: map[string]struct{}{}}
	if w.cfg.Format == Zip {
		a.zw = zip.NewWriter(a.sink)
	} else {
		if _, err := a.sink.Write(gzipHeader(w.cfg)); err != nil {
			return err
		}
		a.est = 10
	}
	w.arch = a
	return nil
}

// gzipHeader is a gzip member header without optional fields.
func gzipHeader(cfg *config) []byte {
	h := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}
	binary.LittleEndian.PutUint32(h[4:8], uint32(cfg.ModTime.Unix()))
	if cfg.Compression == Store {
		h[8] = 0
	}
	return h
}

func (w *writer) write(j *job) error {
	a := w.arch
	entry, central := w.entrySize(j)
	if w.cfg.Format == TarGz {
		if _, err := a.sink.Write(j.out.Bytes()); err != nil {
			return err
		}
		a.crc = crc32.Update(a.crc, crc32.IEEETable, j.seg.Bytes())
		a.isize += uint32(j.seg.Len())
	} else {
		fh := &zip.FileHeader{
			Name:               j.name,
			Method:             zip.Deflate,
			CRC32:              j.crc,
			UncompressedSize64: uint64(len(j.data)),
			Modified:           w.cfg.ModTime,
		}
		fh.SetMode(0o644)
		body := j.data
		if j.stored {
			fh.Method = zip.Store
		} else {
			body = j.out.Bytes()
		}
		fh.CompressedSize64 = uint64(len(body))
		ew, err := a.zw.CreateRaw(fh)
		if err != nil {
			return err
		}
		if _, err := ew.Write(body); err != nil {
			return err
		}
	}
	a.est += entry
	a.central += central
	return nil
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
		err := a.close(w.cfg)
		if err == nil {
			pkg.Archive, pkg.Parts, err = a.sink.close()
		}
		if err == nil && pkg.Archive.Size > w.cfg.limit {
			err = fmt.Errorf("batchpack: internal error: archive of %d bytes exceeds the limit %d", pkg.Archive.Size, w.cfg.limit)
		}
		if err != nil {
			a.sink.abort()
			pkg.Cleanup()
			w.stopped = true
			w.yield(nil, err)
			return false
		}
	} else if len(pkg.Rejected) == 0 && !(last && w.single) {
		return true
	}
	if !w.yield(pkg, nil) {
		w.stopped = true
		return false
	}
	return true
}

// close writes the end of the archive.
func (a *archiveWriter) close(cfg *config) error {
	if a.zw != nil {
		return a.zw.Close()
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
	_, err := a.sink.Write(seg.Bytes())
	return err
}

// fail yields err after removing the unfinished package.
func (w *writer) fail(err error) {
	if w.arch != nil {
		w.arch.sink.abort()
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
	return nil
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
