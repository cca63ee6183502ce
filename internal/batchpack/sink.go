package batchpack

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/ksef2/ksef/internal/envelope"
)

// sink receives the plain archive as it is written: it hashes and counts
// it, cuts it into parts of partSize bytes, and encrypts every part into
// its own file while hashing and counting the ciphertext.
type sink struct {
	dir      string
	partSize int64
	key      *envelope.Key

	arch  hash.Hash
	size  int64
	parts []Part
	cur   *partFile
	err   error
}

// partFile is the part being written.
type partFile struct {
	f     *os.File
	bw    *bufio.Writer
	out   hashCounter // ciphertext: hashed, counted, buffered to f
	enc   io.WriteCloser
	plain int64
	path  string
}

// hashCounter hashes and counts what passes through to w.
type hashCounter struct {
	h hash.Hash
	w io.Writer
	n int64
}

func (c *hashCounter) Write(p []byte) (int, error) {
	c.h.Write(p)
	c.n += int64(len(p))
	return c.w.Write(p)
}

func newSink(dir string, partSize int64, key *envelope.Key) *sink {
	return &sink{dir: dir, partSize: partSize, key: key, arch: sha256.New()}
}

// Write implements io.Writer. A part is opened only when a byte goes into
// it, so an archive of an exact multiple of partSize has no empty part.
func (s *sink) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := len(p)
	for len(p) > 0 {
		if s.cur == nil {
			if err := s.openPart(); err != nil {
				s.err = err
				return 0, err
			}
		}
		k := int(min(int64(len(p)), s.partSize-s.cur.plain))
		if _, err := s.cur.enc.Write(p[:k]); err != nil {
			s.err = err
			return 0, err
		}
		s.arch.Write(p[:k])
		s.size += int64(k)
		s.cur.plain += int64(k)
		p = p[k:]
		if s.cur.plain == s.partSize {
			if err := s.closePart(); err != nil {
				s.err = err
				return 0, err
			}
		}
	}
	return n, nil
}

func (s *sink) openPart() error {
	ord := len(s.parts) + 1
	path := filepath.Join(s.dir, fmt.Sprintf("part-%03d.aes", ord))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("batchpack: part %d: %w", ord, err)
	}
	pf := &partFile{f: f, bw: bufio.NewWriterSize(f, 256<<10), path: path}
	pf.out = hashCounter{h: sha256.New(), w: pf.bw}
	pf.enc = envelope.NewEncryptWriter(&pf.out, s.key)
	s.cur = pf
	return nil
}

func (s *sink) closePart() error {
	pf := s.cur
	s.cur = nil
	err := pf.enc.Close()
	if err == nil {
		err = pf.bw.Flush()
	}
	if cerr := pf.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("batchpack: part %d: %w", len(s.parts)+1, err)
	}
	p := Part{Ordinal: len(s.parts) + 1, Size: pf.out.n, PlainSize: pf.plain, Path: pf.path}
	pf.out.h.Sum(p.SHA256[:0])
	s.parts = append(s.parts, p)
	return nil
}

// close finishes the last part and returns the archive and the parts.
func (s *sink) close() (Archive, []Part, error) {
	if s.err != nil {
		return Archive{}, nil, s.err
	}
	if s.cur != nil {
		if err := s.closePart(); err != nil {
			s.err = err
			return Archive{}, nil, err
		}
	}
	a := Archive{Size: s.size}
	s.arch.Sum(a.SHA256[:0])
	return a, s.parts, nil
}

// abort closes the open part file, if any, after a failure.
func (s *sink) abort() {
	if s.cur != nil {
		s.cur.f.Close()
		s.cur = nil
	}
}
