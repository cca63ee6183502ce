package ksef

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/klauspost/compress/flate"
)

// ZIP signatures.
const (
	zipLocalHeader   = 0x04034b50
	zipDataDesc      = 0x08074b50
	zipCentralHeader = 0x02014b50
	zipEndRecord     = 0x06054b50
	zip64EndRecord   = 0x06064b50
)

// Limits of the parallel inflation. Entries are grouped into batches that
// workers inflate while the walker reads on; a batch closes at zipBatchIn
// compressed or zipBatchOut uncompressed bytes or zipBatchFiles entries.
// An entry larger than zipMaxIn compressed or zipMaxOut uncompressed
// bytes, or whose end cannot be found in the stream (see scan), is
// inflated on the walker's goroutine as it streams past instead. Memory is
// bounded by the number of batches (workers + 2) times their size, and by
// the input buffer, whatever the size of the package.
const (
	zipBatchIn    = 256 << 10
	zipBatchOut   = 1 << 20
	zipBatchFiles = 1024
	zipMaxIn      = 1 << 20
	zipMaxOut     = 4 << 20
	zipMaxWorkers = 8
	// the input buffer holds a local header, an entry of zipMaxIn bytes,
	// its data descriptor and the next signature
	zipReadBuf = 2*64<<10 + 30 + zipMaxIn + 24 + 4
)

// walkZip passes the files of a ZIP stream to emit, in archive order,
// entry by entry from the local file headers (the central directory at
// the end is not needed), each checked against its CRC-32 and size.
// Stored and deflated entries are supported, with or without data
// descriptors (a stored entry needs its sizes in the local header).
//
// The entries are inflated in parallel: the walker cuts the stream into
// whole entries, using the sizes of the local header or, when the entry
// has a data descriptor, the descriptor that ends it (found by its
// compressed size, which must equal its distance from the entry's start,
// just before the next header's signature); workers inflate batches of
// entries; an emitter passes finished batches to out in order, on its
// own goroutine, and flushes out when it has nothing more to pass on. An
// entry that does not fit those limits is inflated by the walker as it
// streams past, after every batch before it was emitted. Before each read
// of the input, which may wait, the walker hands its batch on.
func walkZip(r io.Reader, out archiveOut) error {
	z := newZipWalker(r, out, min(max(runtime.GOMAXPROCS(0), 1), zipMaxWorkers))
	defer z.close()
	return z.walk()
}

// zipWalker is walkZip's state.
type zipWalker struct {
	br      *bufio.Reader
	out     archiveOut
	jobs    chan *zipBatch // to the workers
	order   chan *zipBatch // to the emitter, in archive order
	free    chan *zipBatch
	workers sync.WaitGroup
	emitted chan struct{} // closed when the emitter returns

	// pending counts the batches handed on and not yet emitted; the walker
	// emits itself (stream) or returns only when it is zero, so that out is
	// used by one goroutine at a time and errors come in archive order.
	pending sync.WaitGroup
	stopped chan struct{} // closed when the emitter fails
	emitErr error         // the emitter's; read after pending.Wait

	streaming bool      // the walker is emitting (stream)
	cur       *zipBatch // being filled
	rd        bytes.Reader
	fr        io.ReadCloser // the streaming decompressor, reset for every entry
	crc       hash.Hash32
}

// zipBatch is a run of consecutive entries inflated by one worker.
type zipBatch struct {
	entries []zipEntry
	in      []byte // the entries' compressed bytes, one after another
	out     []byte // their inflated bytes (the worker's)
	outSize int64  // sum of the declared sizes
	err     error  // the worker's, at entry errAt
	errAt   int
	done    chan struct{}
}

// zipEntry is an entry of a batch.
type zipEntry struct {
	name       string
	dir        bool
	method     uint16
	crc        uint32
	size       int64 // uncompressed, as declared
	in0, in1   int
	out0, out1 int
}

func newZipWalker(r io.Reader, out archiveOut, workers int) *zipWalker {
	window := workers + 2
	z := &zipWalker{out: out, jobs: make(chan *zipBatch, window), order: make(chan *zipBatch, window),
		free: make(chan *zipBatch, window), emitted: make(chan struct{}), stopped: make(chan struct{}), crc: crc32.NewIEEE()}
	z.br = bufio.NewReaderSize(zipInput{z: z, r: r}, zipReadBuf)
	for range window {
		z.free <- &zipBatch{}
	}
	z.workers.Add(workers)
	for range workers {
		go z.work()
	}
	go z.emitter()
	return z
}

// close stops the workers and the emitter (they finish what they hold).
func (z *zipWalker) close() {
	close(z.jobs)
	close(z.order)
	z.workers.Wait()
	<-z.emitted
}

// zipInput is the walker's input: before each read, which may wait, the
// batch being filled is handed on, and what the walker emitted itself is
// flushed.
type zipInput struct {
	z *zipWalker
	r io.Reader
}

func (in zipInput) Read(p []byte) (int, error) {
	z := in.z
	z.dispatch()
	if z.streaming && !z.out.flush() {
		return 0, errEntriesStopped
	}
	return in.r.Read(p)
}

func zipErr(err error) error {
	return fmt.Errorf("ksef: export package (zip): %w", err)
}

// peek returns the next n bytes without consuming them; a stream that
// ends before them is io.ErrUnexpectedEOF (io.EOF when it ended before
// the first).
func (z *zipWalker) peek(n int) ([]byte, error) {
	b, err := z.br.Peek(n)
	if len(b) == n {
		return b, nil
	}
	if err == io.EOF && len(b) > 0 {
		err = io.ErrUnexpectedEOF
	}
	return nil, err
}

func (z *zipWalker) walk() error {
	for {
		b, err := z.peek(4)
		if err != nil {
			return z.fail(zipErr(err))
		}
		switch binary.LittleEndian.Uint32(b) {
		case zipLocalHeader:
		case zipCentralHeader, zipEndRecord, zip64EndRecord:
			// The directory follows the entries; drain it.
			if err := z.barrier(); err != nil {
				return err
			}
			_, err := io.Copy(io.Discard, z.br)
			return err
		default:
			return z.fail(errors.New("ksef: export package (zip): not a ZIP stream"))
		}
		b, err = z.peek(30)
		if err != nil {
			return z.fail(zipErr(err))
		}
		var hdr [30]byte // b is valid only until the next peek
		copy(hdr[:], b)
		flags := binary.LittleEndian.Uint16(hdr[6:])
		method := binary.LittleEndian.Uint16(hdr[8:])
		crc := binary.LittleEndian.Uint32(hdr[14:])
		csize := binary.LittleEndian.Uint32(hdr[18:])
		usize := binary.LittleEndian.Uint32(hdr[22:])
		nameLen := int(binary.LittleEndian.Uint16(hdr[26:]))
		extraLen := int(binary.LittleEndian.Uint16(hdr[28:]))
		b, err = z.peek(30 + nameLen + extraLen)
		if err != nil {
			return z.fail(zipErr(err))
		}
		name := string(b[30 : 30+nameLen])
		zip64 := zipHasZip64(b[30+nameLen:])
		_, _ = z.br.Discard(len(b))
		if flags&0x1 != 0 {
			return z.fail(errors.New("ksef: export package (zip): encrypted entries are not supported"))
		}
		dd := flags&0x8 != 0
		switch method {
		case 0:
			if dd {
				return z.fail(errors.New("ksef: export package (zip): stored entry with a data descriptor cannot be streamed"))
			}
		case 8:
		default:
			return z.fail(fmt.Errorf("ksef: export package (zip): compression method %d not supported", method))
		}
		e := zipEntry{name: name, dir: strings.HasSuffix(name, "/"), method: method}
		var in []byte
		var used int
		if !dd {
			if !zip64 && csize != ^uint32(0) && usize != ^uint32(0) && csize <= zipMaxIn && usize <= zipMaxOut {
				if in, err = z.peek(int(csize)); err != nil {
					return z.fail(zipErr(err))
				}
				e.crc, e.size, used = crc, int64(usize), int(csize)
			}
		} else if in, e.crc, e.size, used, err = z.scan(zip64); err != nil {
			return z.fail(zipErr(err))
		}
		if in == nil {
			if err := z.barrier(); err != nil {
				return err
			}
			z.streaming = true
			err := z.stream(e, dd, zip64, crc, int64(csize))
			z.streaming = false
			if err != nil {
				return err
			}
			continue
		}
		if err := z.add(e, in); err != nil {
			return err
		}
		_, _ = z.br.Discard(used)
	}
}

// fail returns the first error in archive order: that of a batch before
// the point where the walker stopped, else err.
func (z *zipWalker) fail(err error) error {
	if derr := z.barrier(); derr != nil {
		return derr
	}
	return err
}

// barrier hands the batch being filled on and waits until every batch was
// emitted; it returns the emitter's error.
func (z *zipWalker) barrier() error {
	z.dispatch()
	z.pending.Wait()
	return z.emitErr
}

// pk starts every ZIP signature.
var pk = []byte("PK")

// scan finds the end of a deflated entry with a data descriptor, which
// starts at the reader's position: a descriptor (with or without its
// signature, with 8-byte sizes when the entry is ZIP64) whose compressed
// size is its own offset, directly followed by the signature of a local
// header, the central directory or its end. It returns the compressed
// bytes (valid until the reader moves), the descriptor's CRC-32 and size,
// and the bytes to consume (data and descriptor); no bytes when the entry
// is too large to batch, or its end is not found before zipMaxIn bytes or
// the end of the stream (the entry is then streamed, and inflating it
// reports what is wrong).
//
// The descriptor is a position the entry's own bytes declare, and a false
// one inside compressed data would need eight bytes to take one exact
// value by chance; the worker's checks (the deflate stream ends exactly
// there, the size and CRC-32 match) would still refuse it.
func (z *zipWalker) scan(zip64 bool) (in []byte, crc uint32, size int64, used int, err error) {
	n := max(z.br.Buffered(), 4<<10)
	from := 0 // positions before from were searched
	for {
		b, perr := z.br.Peek(min(n, z.br.Size()))
		for q := from; ; q++ {
			k := bytes.Index(b[q:], pk)
			if k < 0 {
				from = max(from, len(b)-3)
				break
			}
			q += k
			if q+4 > len(b) {
				from = q
				break
			}
			if !zipNextSignature(b[q+2], b[q+3]) {
				continue
			}
			if crc, size, dl, ok := zipDescriptorAt(b, q, zip64); ok {
				if size > zipMaxOut {
					return nil, 0, 0, 0, nil
				}
				return b[:q-dl], crc, size, q, nil
			}
		}
		if perr != nil && perr != bufio.ErrBufferFull && perr != io.EOF {
			return nil, 0, 0, 0, perr
		}
		if len(b) >= zipMaxIn+28 || perr != nil {
			return nil, 0, 0, 0, nil
		}
		n = 2*len(b) + 4<<10
	}
}

// zipNextSignature reports whether "PK" followed by c, d is the signature
// of what may follow an entry.
func zipNextSignature(c, d byte) bool {
	return c == 3 && d == 4 || c == 1 && d == 2 || c == 5 && d == 6 || c == 6 && d == 6
}

// zipDescriptorAt reports whether a data descriptor ends at q in b (the
// entry's data starting at 0): its CRC-32, uncompressed size and length.
func zipDescriptorAt(b []byte, q int, zip64 bool) (crc uint32, size int64, dl int, ok bool) {
	sz := 4
	if zip64 {
		sz = 8
	}
	read := func(p []byte) int64 {
		if zip64 {
			v := binary.LittleEndian.Uint64(p)
			if v > 1<<62 {
				return -1
			}
			return int64(v)
		}
		return int64(binary.LittleEndian.Uint32(p))
	}
	// with its signature
	if dl = 8 + 2*sz; q >= dl && binary.LittleEndian.Uint32(b[q-dl:]) == zipDataDesc && read(b[q-dl+8:]) == int64(q-dl) {
		return binary.LittleEndian.Uint32(b[q-dl+4:]), read(b[q-dl+8+sz:]), dl, true
	}
	// without
	if dl = 4 + 2*sz; q >= dl && read(b[q-dl+4:]) == int64(q-dl) {
		return binary.LittleEndian.Uint32(b[q-dl:]), read(b[q-dl+4+sz:]), dl, true
	}
	return 0, 0, 0, false
}

// add appends an entry, whose compressed bytes are in, to the batch being
// filled, and hands the batch to the workers when it is full.
func (z *zipWalker) add(e zipEntry, in []byte) error {
	if e.size < 0 {
		return z.fail(zipEntryErr(e.name, errors.New("bad size")))
	}
	if z.cur == nil {
		b, err := z.take()
		if err != nil {
			return err
		}
		z.cur = b
	}
	b := z.cur
	e.in0 = len(b.in)
	b.in = append(b.in, in...)
	e.in1 = len(b.in)
	b.entries = append(b.entries, e)
	b.outSize += e.size
	if len(b.in) >= zipBatchIn || b.outSize >= zipBatchOut || len(b.entries) >= zipBatchFiles {
		z.dispatch()
	}
	return nil
}

// take returns a free batch, waiting for one when all are in use.
func (z *zipWalker) take() (*zipBatch, error) {
	select {
	case b := <-z.free:
		b.entries, b.in, b.out, b.outSize, b.err = b.entries[:0], b.in[:0], b.out[:0], 0, nil
		b.done = make(chan struct{})
		return b, nil
	case <-z.stopped:
		return nil, z.barrier()
	}
}

// dispatch hands the batch being filled to the workers and the emitter.
func (z *zipWalker) dispatch() {
	if z.cur == nil {
		return
	}
	z.pending.Add(1)
	// neither blocks: as many places as batches
	z.jobs <- z.cur
	z.order <- z.cur
	z.cur = nil
}

// emitter passes the inflated batches to out in archive order, and
// flushes out whenever it has no more batches to pass on. After an error
// it only returns the batches it receives to the free list.
func (z *zipWalker) emitter() {
	defer close(z.emitted)
	for b := range z.order {
		<-b.done
		if z.emitErr == nil {
			err := z.emitBatch(b)
			if err == nil && len(z.order) == 0 && !z.out.flush() {
				err = errEntriesStopped
			}
			if err != nil {
				z.emitErr = err
				close(z.stopped)
			}
		}
		z.free <- b // never blocks: as many places as batches
		z.pending.Done()
	}
}

// emitBatch passes a batch's files to out, then the worker's error.
func (z *zipWalker) emitBatch(b *zipBatch) error {
	for i, e := range b.entries {
		if b.err != nil && i == b.errAt {
			return b.err
		}
		if e.dir {
			continue
		}
		z.rd.Reset(b.out[e.out0:e.out1])
		if err := z.out.emit(e.name, &z.rd, nil); err != nil {
			return err
		}
	}
	return nil
}

// work inflates batches.
func (z *zipWalker) work() {
	defer z.workers.Done()
	var inf zipInflater
	for b := range z.jobs {
		for i := range b.entries {
			e := &b.entries[i]
			e.out0 = len(b.out)
			var err error
			b.out, err = inf.entry(b.out, e, b.in[e.in0:e.in1])
			e.out1 = len(b.out)
			if err != nil {
				b.err, b.errAt = zipEntryErr(e.name, err), i
				break
			}
		}
		close(b.done)
	}
}

// zipInflater is a worker's decompressor, reset for every entry.
type zipInflater struct {
	fr   io.ReadCloser
	src  bytes.Reader
	bsrc *bufio.Reader // the decompressor reads a *bufio.Reader fastest (its ReadByte inlines)
}

// entry appends the inflated bytes of e (compressed: in) to out, and checks
// that the deflate stream ends exactly at the end of in and that the size
// and CRC-32 are those declared.
func (f *zipInflater) entry(out []byte, e *zipEntry, in []byte) ([]byte, error) {
	start := len(out)
	out = slices.Grow(out, int(e.size)+1)
	if e.method == 0 {
		out = append(out, in...)
	} else {
		f.src.Reset(in)
		if f.bsrc == nil {
			f.bsrc = bufio.NewReaderSize(&f.src, 32<<10)
		}
		f.bsrc.Reset(&f.src)
		if f.fr == nil {
			f.fr = flate.NewReader(f.bsrc)
		} else {
			_ = f.fr.(flate.Resetter).Reset(f.bsrc, nil)
		}
		// one byte more than declared shows an entry that is longer
		limit := start + int(e.size) + 1
		var err error
		for err == nil && len(out) < limit {
			var n int
			n, err = f.fr.Read(out[len(out):limit])
			out = out[:len(out)+n]
		}
		switch {
		case err == nil:
			return out, fmt.Errorf("inflates to more than its declared %d bytes", e.size)
		case err != io.EOF:
			return out, err
		}
		if left := f.src.Len() + f.bsrc.Buffered(); left != 0 {
			return out, fmt.Errorf("%d bytes follow the end of its compressed data", left)
		}
	}
	if n := len(out) - start; int64(n) != e.size {
		return out, fmt.Errorf("%d bytes, %d declared", n, e.size)
	}
	if crc32.ChecksumIEEE(out[start:]) != e.crc {
		return out, errZipCRC
	}
	return out, nil
}

// errZipCRC is an entry whose bytes do not match its CRC-32.
var errZipCRC = errors.New("CRC-32 mismatch")

// zipEntryErr is err about the entry named name.
func zipEntryErr(name string, err error) error {
	return fmt.Errorf("ksef: export package (zip): %s: %w", SanitizeText(name), err)
}

// stream inflates an entry as it streams past (on the walker's goroutine,
// after every batch before it was emitted), then reads its data
// descriptor and checks its CRC-32.
func (z *zipWalker) stream(e zipEntry, dd, zip64 bool, crc uint32, csize int64) error {
	var body io.Reader
	if e.method == 0 {
		body = io.LimitReader(z.br, csize)
	} else {
		if z.fr == nil {
			z.fr = flate.NewReader(z.br)
		} else if err := z.fr.(flate.Resetter).Reset(z.br, nil); err != nil {
			return zipErr(err)
		}
		body = z.fr
	}
	z.crc.Reset()
	var err error
	if !e.dir {
		err = z.out.emit(e.name, body, z.crc)
	}
	if err == nil {
		// a directory, or nothing left
		_, err = io.Copy(io.Discard, io.TeeReader(body, z.crc))
	}
	if err != nil {
		return err
	}
	if dd {
		var d [24]byte
		if _, err := io.ReadFull(z.br, d[:4]); err != nil {
			return zipErr(err)
		}
		if binary.LittleEndian.Uint32(d[:4]) == zipDataDesc {
			if _, err := io.ReadFull(z.br, d[:4]); err != nil {
				return zipErr(err)
			}
		}
		crc = binary.LittleEndian.Uint32(d[:4])
		sizes := 8
		if zip64 {
			sizes = 16
		}
		if _, err := io.ReadFull(z.br, d[4:4+sizes]); err != nil {
			return zipErr(err)
		}
	}
	if z.crc.Sum32() != crc {
		return zipEntryErr(e.name, errZipCRC)
	}
	return nil
}

// zipHasZip64 reports whether a local header's extra field holds a ZIP64
// record (then a data descriptor carries 8-byte sizes).
func zipHasZip64(extra []byte) bool {
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		if id == 0x0001 {
			return true
		}
		if 4+n > len(extra) {
			break
		}
		extra = extra[4+n:]
	}
	return false
}
