package envelope

import (
	"crypto/cipher"
	"errors"
	"io"
)

// chunkSize is the amount of data the streaming helpers process at a time.
const chunkSize = 64 << 10

var errClosed = errors.New("envelope: write to closed encrypting writer")

// encryptWriter is the io.WriteCloser returned by NewEncryptWriter.
type encryptWriter struct {
	w       io.Writer
	mode    cipher.BlockMode
	pending []byte // plaintext not yet forming a full block (< 16 bytes)
	scratch []byte
	closed  bool
	err     error
}

// NewEncryptWriter returns a writer that encrypts everything written to it
// with AES-256-CBC under k and writes the ciphertext to w. Close writes the
// final block with PKCS#7 padding; it does not close w. The bytes written to
// w equal k.Encrypt of all data written. The writer keeps at most 64 KiB in
// memory.
func NewEncryptWriter(w io.Writer, k *Key) io.WriteCloser {
	return &encryptWriter{
		w:       w,
		mode:    cipher.NewCBCEncrypter(k.block(), k.IV[:]),
		pending: make([]byte, 0, IVSize),
		scratch: make([]byte, chunkSize),
	}
}

// Write implements io.Writer.
func (e *encryptWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.closed {
		return 0, errClosed
	}
	written := len(p)
	for len(p) > 0 {
		if len(e.pending) > 0 || len(p) < IVSize {
			n := copy(e.pending[len(e.pending):IVSize], p)
			e.pending = e.pending[:len(e.pending)+n]
			p = p[n:]
			if len(e.pending) < IVSize {
				break
			}
			e.mode.CryptBlocks(e.scratch[:IVSize], e.pending)
			e.pending = e.pending[:0]
			if err := e.emit(e.scratch[:IVSize]); err != nil {
				return 0, err
			}
			continue
		}
		n := min(len(p)/IVSize*IVSize, len(e.scratch))
		e.mode.CryptBlocks(e.scratch[:n], p[:n])
		p = p[n:]
		if err := e.emit(e.scratch[:n]); err != nil {
			return 0, err
		}
	}
	return written, nil
}

func (e *encryptWriter) emit(b []byte) error {
	if _, err := e.w.Write(b); err != nil {
		e.err = err
		return err
	}
	return nil
}

// Close writes the padded final block. It does not close the underlying
// writer. Calling Close again is a no-op.
func (e *encryptWriter) Close() error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return nil
	}
	e.closed = true
	last := pad(e.pending)
	e.mode.CryptBlocks(last, last)
	e.pending = e.pending[:0]
	return e.emit(last)
}

// encryptReader is the io.Reader returned by NewEncryptReader.
type encryptReader struct {
	r    io.Reader
	mode cipher.BlockMode
	src  []byte // plaintext read but not yet encrypted
	out  []byte // ciphertext ready to be returned
	pos  int
	done bool
	err  error
}

// NewEncryptReader returns a reader whose content is the AES-256-CBC
// encryption under k, with PKCS#7 padding, of everything read from r; that is,
// k.Encrypt of r's content, produced incrementally. Use it to stream an
// encrypted body (for example a batch part) to an HTTP request.
func NewEncryptReader(r io.Reader, k *Key) io.Reader {
	return &encryptReader{
		r:    r,
		mode: cipher.NewCBCEncrypter(k.block(), k.IV[:]),
		src:  make([]byte, 0, chunkSize+IVSize),
		out:  make([]byte, 0, chunkSize+IVSize),
	}
}

// Read implements io.Reader.
func (e *encryptReader) Read(p []byte) (int, error) {
	for e.pos == len(e.out) {
		if e.done {
			return 0, io.EOF
		}
		if e.err != nil {
			return 0, e.err
		}
		e.fill()
	}
	n := copy(p, e.out[e.pos:])
	e.pos += n
	return n, nil
}

func (e *encryptReader) fill() {
	e.out, e.pos = e.out[:0], 0
	n, err := e.r.Read(e.src[len(e.src):cap(e.src)])
	e.src = e.src[:len(e.src)+n]
	switch {
	case err == io.EOF:
		full := len(e.src) / IVSize * IVSize
		e.out = append(e.out, e.src[:full]...)
		e.out = append(e.out, pad(e.src[full:])...)
		e.mode.CryptBlocks(e.out, e.out)
		e.src = e.src[:0]
		e.done = true
		return
	case err != nil:
		e.err = err
	}
	full := len(e.src) / IVSize * IVSize
	if full == 0 {
		return
	}
	e.out = e.out[:full]
	e.mode.CryptBlocks(e.out, e.src[:full])
	rest := copy(e.src, e.src[full:])
	e.src = e.src[:rest]
}

// decryptReader is the io.Reader returned by NewDecryptReader.
type decryptReader struct {
	r    io.Reader
	mode cipher.BlockMode
	in   []byte // ciphertext read but not yet decrypted
	out  []byte // plaintext ready to be returned
	pos  int
	done bool
	err  error
}

// NewDecryptReader returns a reader that decrypts the AES-256-CBC ciphertext
// read from r under k and strips the PKCS#7 padding at the end. It holds back
// the final block until r reports io.EOF, then checks the padding: a wrong
// key, IV or a corrupted or truncated stream yields [ErrPadding] or
// [ErrCiphertextLength] from Read. Data returned before the error is not
// authenticated (CBC has no integrity); verify the KSeF hash of the
// ciphertext or plaintext when it matters.
func NewDecryptReader(r io.Reader, k *Key) io.Reader {
	return &decryptReader{
		r:    r,
		mode: cipher.NewCBCDecrypter(k.block(), k.IV[:]),
		in:   make([]byte, 0, chunkSize+IVSize),
		out:  make([]byte, 0, chunkSize+IVSize),
	}
}

// Read implements io.Reader.
func (d *decryptReader) Read(p []byte) (int, error) {
	for d.pos == len(d.out) {
		if d.done {
			return 0, io.EOF
		}
		if d.err != nil {
			return 0, d.err
		}
		d.fill()
	}
	n := copy(p, d.out[d.pos:])
	d.pos += n
	return n, nil
}

func (d *decryptReader) fill() {
	d.out, d.pos = d.out[:0], 0
	n, err := d.r.Read(d.in[len(d.in):cap(d.in)])
	d.in = d.in[:len(d.in)+n]
	switch {
	case err == io.EOF:
		if len(d.in) == 0 || len(d.in)%IVSize != 0 {
			d.err = ErrCiphertextLength
			return
		}
		d.out = d.out[:len(d.in)]
		d.mode.CryptBlocks(d.out, d.in)
		padLen, perr := unpadLen(d.out[len(d.out)-IVSize:])
		if perr != nil {
			d.out = d.out[:0]
			d.err = perr
			return
		}
		d.out = d.out[:len(d.out)-padLen]
		d.in = d.in[:0]
		d.done = true
		return
	case err != nil:
		d.err = err
	}
	// Decrypt every full block that is followed by at least one more byte,
	// so that the final block stays buffered until EOF.
	if len(d.in) == 0 {
		return
	}
	k := (len(d.in) - 1) / IVSize * IVSize
	if k == 0 {
		return
	}
	d.out = d.out[:k]
	d.mode.CryptBlocks(d.out, d.in[:k])
	rest := copy(d.in, d.in[k:])
	d.in = d.in[:rest]
}
