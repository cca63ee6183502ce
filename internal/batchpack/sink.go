package batchpack

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"slices"

	"github.com/ksef2/ksef/internal/envelope"
)

// cut marks where, in a run of ciphertext, a part's bytes end.
type cut struct {
	part int  // ordinal of the part
	end  int  // offset in the ciphertext run where this part's bytes end
	last bool // the part is complete
}

// encryptor cuts the plain archive into parts of partSize bytes and
// encrypts each part with AES-256-CBC under the key and IV, with its own
// PKCS#7 padding. It is used by one goroutine at a time (the cipher stage
// of job.chain, or the writer between entries).
type encryptor struct {
	partSize int64
	block    cipher.Block
	iv       []byte

	mode    cipher.BlockMode // of the current part; nil between parts
	part    int              // ordinal of the current or last part
	inPart  int64            // plain bytes in the current part
	pending []byte           // plain bytes short of a whole block
	plain   []int64          // plain bytes of each finished part
}

func newEncryptor(partSize int64, key *envelope.Key) *encryptor {
	block, err := aes.NewCipher(key.Key[:])
	if err != nil {
		panic("batchpack: " + err.Error()) // unreachable: 32-byte key
	}
	return &encryptor{partSize: partSize, block: block, iv: key.IV[:], pending: make([]byte, 0, aes.BlockSize)}
}

// encrypt appends the ciphertext of p to out and the part boundaries in
// it to cuts. A part begins only when a byte goes into it, so an archive
// of an exact multiple of partSize has no empty part.
func (e *encryptor) encrypt(p []byte, out *[]byte, cuts []cut) []cut {
	for len(p) > 0 {
		if e.mode == nil {
			e.part++
			e.mode = cipher.NewCBCEncrypter(e.block, e.iv)
			e.inPart = 0
		}
		k := int(min(int64(len(p)), e.partSize-e.inPart))
		seg := p[:k]
		p = p[k:]
		e.inPart += int64(k)
		if len(e.pending) > 0 {
			n := copy(e.pending[len(e.pending):aes.BlockSize], seg)
			e.pending = e.pending[:len(e.pending)+n]
			seg = seg[n:]
			if len(e.pending) == aes.BlockSize {
				e.mode.CryptBlocks(grow(out, aes.BlockSize), e.pending)
				e.pending = e.pending[:0]
			}
		}
		if n := len(seg) / aes.BlockSize * aes.BlockSize; n > 0 {
			e.mode.CryptBlocks(grow(out, n), seg[:n])
			seg = seg[n:]
		}
		e.pending = append(e.pending, seg...)
		if e.inPart == e.partSize {
			cuts = e.endPart(out, cuts)
		}
	}
	if e.mode != nil {
		cuts = append(cuts, cut{part: e.part, end: len(*out)})
	}
	return cuts
}

// endPart pads and encrypts the last block of the current part.
func (e *encryptor) endPart(out *[]byte, cuts []cut) []cut {
	n := aes.BlockSize - len(e.pending)
	for range n {
		e.pending = append(e.pending, byte(n))
	}
	e.mode.CryptBlocks(grow(out, aes.BlockSize), e.pending)
	e.pending = e.pending[:0]
	e.plain = append(e.plain, e.inPart)
	e.mode = nil
	return append(cuts, cut{part: e.part, end: len(*out), last: true})
}

// finish ends the last part.
func (e *encryptor) finish(out *[]byte, cuts []cut) []cut {
	if e.mode == nil {
		return cuts
	}
	return e.endPart(out, cuts)
}

// grow extends *b by n bytes and returns them.
func grow(b *[]byte, n int) []byte {
	l := len(*b)
	*b = slices.Grow(*b, n)[:l+n]
	return (*b)[l:]
}

// partWriter hashes, counts and writes the encrypted parts to their
// files. It is used by one goroutine at a time (the write stage of
// job.chain, or the writer between entries).
type partWriter struct {
	dir   string
	f     *os.File
	h     hash.Hash
	cur   Part
	parts []Part
	err   error
}

func newPartWriter(dir string) *partWriter { return &partWriter{dir: dir, h: sha256.New()} }

// write handles a run of ciphertext with its cuts.
func (w *partWriter) write(run []byte, cuts []cut) {
	start := 0
	for _, c := range cuts {
		seg := run[start:c.end]
		start = c.end
		if w.err != nil {
			continue
		}
		if w.f == nil {
			if len(seg) == 0 && !c.last {
				continue
			}
			w.cur = Part{Ordinal: c.part, Path: filepath.Join(w.dir, fmt.Sprintf("part-%03d.aes", c.part))}
			f, err := os.OpenFile(w.cur.Path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				w.err = fmt.Errorf("batchpack: part %d: %w", c.part, err)
				continue
			}
			w.f = f
			w.h.Reset()
		}
		w.h.Write(seg)
		w.cur.Size += int64(len(seg))
		if _, err := w.f.Write(seg); err != nil {
			w.err = fmt.Errorf("batchpack: part %d: %w", c.part, err)
			continue
		}
		if c.last {
			err := w.f.Close()
			w.f = nil
			if err != nil {
				w.err = fmt.Errorf("batchpack: part %d: %w", c.part, err)
				continue
			}
			w.h.Sum(w.cur.SHA256[:0])
			w.parts = append(w.parts, w.cur)
		}
	}
}

// close returns the parts with their plain sizes from e.
func (w *partWriter) close(e *encryptor) ([]Part, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.f != nil || e.mode != nil || len(w.parts) != len(e.plain) {
		return nil, errors.New("batchpack: internal error: unfinished part")
	}
	for i := range w.parts {
		w.parts[i].PlainSize = e.plain[i]
	}
	return w.parts, nil
}

// abort closes an open part file after a failure.
func (w *partWriter) abort() {
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}
