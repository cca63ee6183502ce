package batchpack

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/ksef2/ksef/internal/envelope"
)

// chunkSize is the unit in which the archive moves between the sink's
// goroutines.
const chunkSize = 1 << 20

// chunk is a piece of the plain archive or of an encrypted part.
type chunk struct {
	b    []byte
	refs atomic.Int32
	part int  // ordinal of the part it belongs to
	last bool // the last chunk of its part
}

var chunkPool = sync.Pool{New: func() any { return &chunk{b: make([]byte, 0, chunkSize)} }}

func getChunk(part int) *chunk {
	c := chunkPool.Get().(*chunk)
	c.b, c.part, c.last = c.b[:0], part, false
	return c
}

func (c *chunk) release() {
	if c.refs.Add(-1) <= 0 {
		chunkPool.Put(c)
	}
}

// sink receives the plain archive as it is written and cuts it into parts
// of partSize bytes. Three goroutines work behind it, so that the work is
// spread over the CPUs: one hashes the plain archive, one encrypts each
// part with AES-256-CBC (a new chain and padding per part), and one hashes
// and counts the ciphertext and writes it to the part's file. The chunks in
// flight are bounded, so memory stays constant.
type sink struct {
	dir      string
	partSize int64
	key      *envelope.Key

	// Owned by the writing goroutine.
	size       int64
	partPlain  int64   // plain bytes in the current part
	plainSizes []int64 // plain bytes of each finished part
	cur        *chunk
	closed     bool

	hashCh chan *chunk // plain chunks to hash
	encCh  chan *chunk // plain chunks to encrypt
	outCh  chan *chunk // ciphertext chunks to hash and write
	wg     sync.WaitGroup

	// Results of the goroutines, read after wg.Wait.
	archSum Digest
	parts   []Part

	failed atomic.Bool
	errMu  sync.Mutex
	err    error
}

func newSink(dir string, partSize int64, key *envelope.Key) *sink {
	s := &sink{
		dir: dir, partSize: partSize, key: key,
		hashCh: make(chan *chunk, 4),
		encCh:  make(chan *chunk, 4),
		outCh:  make(chan *chunk, 4),
	}
	s.wg.Add(3)
	go s.hashLoop()
	go s.encryptLoop()
	go s.writeLoop()
	return s
}

func (s *sink) setErr(err error) {
	s.errMu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.errMu.Unlock()
	s.failed.Store(true)
}

func (s *sink) firstErr() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// Write implements io.Writer. A part begins only when a byte goes into
// it, so an archive of an exact multiple of partSize has no empty part.
func (s *sink) Write(p []byte) (int, error) {
	if s.failed.Load() {
		return 0, s.firstErr()
	}
	if s.closed {
		return 0, errors.New("batchpack: write after close")
	}
	n := len(p)
	for len(p) > 0 {
		if s.cur == nil {
			s.cur = getChunk(len(s.plainSizes) + 1)
		}
		room := min(int64(chunkSize-len(s.cur.b)), s.partSize-s.partPlain)
		k := int(min(int64(len(p)), room))
		s.cur.b = append(s.cur.b, p[:k]...)
		p = p[k:]
		s.partPlain += int64(k)
		s.size += int64(k)
		switch {
		case s.partPlain == s.partSize:
			s.endPart()
		case len(s.cur.b) == chunkSize:
			s.send()
		}
	}
	return n, nil
}

func (s *sink) send() {
	c := s.cur
	s.cur = nil
	c.refs.Store(2)
	s.hashCh <- c
	s.encCh <- c
}

func (s *sink) endPart() {
	if s.cur == nil {
		s.cur = getChunk(len(s.plainSizes) + 1)
	}
	s.cur.last = true
	s.plainSizes = append(s.plainSizes, s.partPlain)
	s.partPlain = 0
	s.send()
}

func (s *sink) hashLoop() {
	defer s.wg.Done()
	h := sha256.New()
	for c := range s.hashCh {
		h.Write(c.b)
		c.release()
	}
	h.Sum(s.archSum[:0])
}

// cipherOut collects the ciphertext of one part into chunks for writeLoop.
type cipherOut struct {
	s   *sink
	cur *chunk
}

func (o *cipherOut) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := copy(o.cur.b[len(o.cur.b):cap(o.cur.b)], p)
		o.cur.b = o.cur.b[:len(o.cur.b)+k]
		p = p[k:]
		if len(o.cur.b) == cap(o.cur.b) {
			part := o.cur.part
			o.cur.refs.Store(1)
			o.s.outCh <- o.cur
			o.cur = getChunk(part)
		}
	}
	return n, nil
}

func (s *sink) encryptLoop() {
	defer s.wg.Done()
	defer close(s.outCh)
	var (
		out *cipherOut
		enc io.WriteCloser
	)
	for c := range s.encCh {
		if s.failed.Load() {
			c.release()
			continue
		}
		if enc == nil {
			out = &cipherOut{s: s, cur: getChunk(c.part)}
			enc = envelope.NewEncryptWriter(out, s.key)
		}
		enc.Write(c.b) // cannot fail: cipherOut does not
		if c.last {
			enc.Close()
			out.cur.last = true
			out.cur.refs.Store(1)
			s.outCh <- out.cur
			out, enc = nil, nil
		}
		c.release()
	}
	if out != nil {
		out.cur.release()
	}
}

func (s *sink) writeLoop() {
	defer s.wg.Done()
	var (
		f    *os.File
		part Part
		h    = sha256.New()
	)
	for c := range s.outCh {
		if s.failed.Load() {
			c.release()
			continue
		}
		if f == nil {
			part = Part{Ordinal: c.part, Path: filepath.Join(s.dir, fmt.Sprintf("part-%03d.aes", c.part))}
			var err error
			f, err = os.OpenFile(part.Path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				s.setErr(fmt.Errorf("batchpack: part %d: %w", c.part, err))
				f = nil
				c.release()
				continue
			}
			h.Reset()
		}
		h.Write(c.b)
		part.Size += int64(len(c.b))
		_, err := f.Write(c.b)
		if c.last {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			f = nil
			h.Sum(part.SHA256[:0])
			s.parts = append(s.parts, part)
		}
		c.release()
		if err != nil {
			s.setErr(fmt.Errorf("batchpack: part %d: %w", part.Ordinal, err))
		}
	}
	if f != nil {
		f.Close()
	}
}

// stop ends the goroutines and waits for them.
func (s *sink) stop() {
	if s.closed {
		return
	}
	s.closed = true
	close(s.hashCh)
	close(s.encCh)
	s.wg.Wait()
}

// close finishes the last part and returns the archive and the parts.
func (s *sink) close() (Archive, []Part, error) {
	if !s.closed && !s.failed.Load() && s.partPlain > 0 {
		s.endPart()
	}
	s.stop()
	if err := s.firstErr(); err != nil {
		return Archive{}, nil, err
	}
	if len(s.parts) != len(s.plainSizes) {
		return Archive{}, nil, fmt.Errorf("batchpack: internal error: %d parts written, %d cut", len(s.parts), len(s.plainSizes))
	}
	for i := range s.parts {
		s.parts[i].PlainSize = s.plainSizes[i]
	}
	return Archive{Size: s.size, SHA256: s.archSum}, s.parts, nil
}

// abort stops the goroutines after a failure; the caller removes the
// files.
func (s *sink) abort() {
	s.setErr(errors.New("batchpack: aborted"))
	s.stop()
}
