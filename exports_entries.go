package ksef

import (
	"errors"
	"io"
)

// run unpacks an archive: walk (inflation and the archive's own checks)
// runs on its own goroutine, a few fixed-size buffers ahead of the
// delivery of the files (hashes, OnInvoice, Dir, _metadata.json), which
// runs on the caller's goroutine in archive order. The first error, in
// archive order, ends both.
func (u *unpacker) run(r io.Reader, walk func(io.Reader, archiveOut) error) error {
	q := startEntries(r, walk, entryChunks, entryChunkSize)
	err := u.deliver(q)
	if err != nil && u.cancel != nil {
		// the walker may be waiting for more of the package
		u.cancel()
	}
	q.stop()
	return err
}

func (u *unpacker) deliver(q *entryPipe) error {
	for {
		name, err := q.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := u.file(name, q); err != nil {
			return err
		}
	}
}

// The entry pipe's buffers: entryChunks of entryChunkSize bytes.
const (
	entryChunks    = 4
	entryChunkSize = 256 << 10
)

// entryPipe carries the files of an archive from the goroutine that
// unpacks them to the one that delivers them, in fixed-size chunks each
// holding the bytes of one or more files (or of a part of one).
type entryPipe struct {
	full chan *entryChunk
	free chan *entryChunk
	quit chan struct{}
	done chan struct{}

	// producer
	out     *entryChunk
	outSeg  entrySeg // the segment being filled, while inEmit
	inEmit  bool
	sum     io.Writer // also receives the file being emitted
	scratch []byte    // emit reads a file here (unless the file writes itself)

	// consumer
	cur    *entryChunk
	seg    int   // next segment of cur
	off    int   // read offset in cur.buf
	rem    int   // unread bytes of the current segment
	last   bool  // the current segment ends its file
	inFile bool  // a file was returned by next and is not read to its end
	err    error // sticky
}

// entryChunk is a buffer of file bytes described by its segments; err,
// when set, follows the segments (io.EOF: the archive ended cleanly).
type entryChunk struct {
	buf  []byte
	segs []entrySeg
	err  error
}

// entrySeg is n consecutive bytes of one file in a chunk's buffer.
type entrySeg struct {
	name  string // the file's name, on its first segment
	first bool
	last  bool
	n     int
}

// errEntriesStopped ends the walker when the consumer stopped the pipe.
var errEntriesStopped = errors.New("ksef: export unpacking stopped")

// startEntries starts walk over the archive r on its own goroutine, with
// n chunks of size bytes.
func startEntries(r io.Reader, walk func(io.Reader, archiveOut) error, n, size int) *entryPipe {
	q := &entryPipe{full: make(chan *entryChunk, n), free: make(chan *entryChunk, n), quit: make(chan struct{}), done: make(chan struct{})}
	for range n {
		q.free <- &entryChunk{buf: make([]byte, 0, size)}
	}
	q.scratch = make([]byte, 32<<10)
	go func() {
		defer close(q.done)
		err := walk(r, q)
		switch err {
		case nil:
			err = io.EOF // the archive's end
		case io.EOF:
			err = io.ErrUnexpectedEOF
		}
		if errors.Is(err, errEntriesStopped) || q.out == nil && !q.take() {
			return
		}
		q.out.err = err
		q.send()
	}()
	return q
}

// take gets a free chunk for the producer; false when the pipe stopped.
func (q *entryPipe) take() bool {
	select {
	case c := <-q.free:
		c.buf, c.segs, c.err = c.buf[:0], c.segs[:0], nil
		q.out = c
		return true
	case <-q.quit:
		return false
	}
}

// send passes the producer's chunk on; false when the pipe stopped.
func (q *entryPipe) send() bool {
	c := q.out
	q.out = nil
	select {
	case q.full <- c:
		return true
	case <-q.quit:
		return false
	}
}

// emit copies a file into the chunks (the producer's side), and into sum
// when not nil. A decompressor writes straight from its window into the
// chunks (io.WriterTo); other readers read into q.scratch.
func (q *entryPipe) emit(name string, body io.Reader, sum io.Writer) error {
	q.outSeg, q.inEmit, q.sum = entrySeg{name: name, first: true}, true, sum
	defer func() { q.inEmit, q.sum = false, nil }()
	_, err := io.Copy(entryWriter{q}, body)
	if errors.Is(err, errEntriesStopped) {
		return err
	}
	if q.out == nil && !q.take() {
		return errEntriesStopped
	}
	q.outSeg.last = err == nil
	q.out.segs = append(q.out.segs, q.outSeg)
	return err
}

// entryWriter appends to the file being emitted.
type entryWriter struct{ q *entryPipe }

func (w entryWriter) Write(b []byte) (int, error) {
	if w.q.sum != nil {
		_, _ = w.q.sum.Write(b)
	}
	if !w.q.put(b) {
		return 0, errEntriesStopped
	}
	return len(b), nil
}

func (w entryWriter) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	for {
		m, err := r.Read(w.q.scratch)
		if m > 0 {
			if _, werr := w.Write(w.q.scratch[:m]); werr != nil {
				return n, werr
			}
			n += int64(m)
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// put appends b to the current file.
func (q *entryPipe) put(b []byte) bool {
	for len(b) > 0 {
		if q.out == nil && !q.take() {
			return false
		}
		c := q.out
		if len(c.buf) == cap(c.buf) {
			if !q.flush() {
				return false
			}
			continue
		}
		n := copy(c.buf[len(c.buf):cap(c.buf)], b)
		c.buf = c.buf[:len(c.buf)+n]
		q.outSeg.n += n
		b = b[n:]
	}
	return true
}

// flush passes on what the producer's chunk holds (the part of the
// current file so far too); false when the pipe stopped.
func (q *entryPipe) flush() bool {
	c := q.out
	if c == nil {
		return true
	}
	if q.inEmit && (q.outSeg.first || q.outSeg.n > 0) {
		c.segs = append(c.segs, q.outSeg)
		q.outSeg = entrySeg{}
	}
	if len(c.segs) == 0 {
		return true
	}
	return q.send()
}

// flushingReader is an archive's input as a walker that emits on its own
// goroutine reads it: before each read, which may wait for the next part
// of the package, what was unpacked so far is passed on, so that it is
// delivered meanwhile.
type flushingReader struct {
	r   io.Reader
	out archiveOut
}

func (f flushingReader) Read(p []byte) (int, error) {
	if !f.out.flush() {
		return 0, errEntriesStopped
	}
	return f.r.Read(p)
}

// nextSeg moves the consumer to the next segment.
func (q *entryPipe) nextSeg() (entrySeg, error) {
	for {
		if q.err != nil {
			return entrySeg{}, q.err
		}
		if q.cur != nil {
			if q.seg < len(q.cur.segs) {
				s := q.cur.segs[q.seg]
				q.seg++
				q.rem, q.last = s.n, s.last
				return s, nil
			}
			if q.cur.err != nil {
				q.err = q.cur.err
				continue
			}
			q.free <- q.cur // never blocks: n chunks, n places
			q.cur = nil
		}
		q.cur, q.seg, q.off = <-q.full, 0, 0 // the producer ends with a chunk holding its error
	}
}

// next skips what is left of the current file and returns the name of the
// next one, or io.EOF after the last; Read then reads the file.
func (q *entryPipe) next() (string, error) {
	for q.inFile {
		q.off += q.rem
		q.rem = 0
		if q.last {
			q.inFile = false
			break
		}
		if _, err := q.nextSeg(); err != nil {
			return "", err
		}
	}
	s, err := q.nextSeg()
	if err != nil {
		return "", err
	}
	if !s.first {
		return "", errors.New("ksef: export unpacking: lost the start of a file")
	}
	q.inFile = true
	return s.name, nil
}

// Read reads the current file.
func (q *entryPipe) Read(p []byte) (int, error) {
	for q.rem == 0 {
		if !q.inFile || q.last {
			q.inFile = false
			return 0, io.EOF
		}
		if _, err := q.nextSeg(); err != nil {
			return 0, err
		}
	}
	n := copy(p[:min(len(p), q.rem)], q.cur.buf[q.off:])
	q.off += n
	q.rem -= n
	return n, nil
}

// stop ends the producer and waits for it. When the producer may be
// waiting for input, the caller first makes that input end (cancels).
func (q *entryPipe) stop() {
	close(q.quit)
	<-q.done
}
