package envelope

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// writeInPieces writes data to w in pieces of the given sizes (cycled).
func writeInPieces(t *testing.T, w io.Writer, data []byte, sizes []int) {
	t.Helper()
	for i := 0; len(data) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(data))
		m, err := w.Write(data[:n])
		if err != nil || m != n {
			t.Fatalf("Write: %d, %v", m, err)
		}
		data = data[n:]
	}
}

var streamSizes = []int{0, 1, 15, 16, 17, 100, 6480, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 17}

func TestEncryptWriterMatchesEncrypt(t *testing.T) {
	k, _ := NewKey()
	for _, n := range streamSizes {
		plain := make([]byte, n)
		rand.Read(plain)
		want := k.Encrypt(plain)
		for _, pieces := range [][]int{{n + 1}, {1}, {7, 16, 3, 40}, {chunkSize + 5}} {
			if n > 10000 && pieces[0] == 1 {
				continue // keep the test fast
			}
			var buf bytes.Buffer
			w := NewEncryptWriter(&buf, k)
			writeInPieces(t, w, plain, pieces)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("n=%d pieces=%v: stream differs from Encrypt", n, pieces)
			}
			if _, err := w.Write([]byte("x")); err == nil {
				t.Fatal("Write after Close accepted")
			}
		}
	}
}

type failWriter struct{ after int }

var errSink = errors.New("sink failed")

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errSink
	}
	f.after--
	return len(p), nil
}

func TestEncryptWriterPropagatesErrors(t *testing.T) {
	k, _ := NewKey()
	w := NewEncryptWriter(&failWriter{after: 1}, k)
	data := make([]byte, 3*chunkSize)
	if _, err := w.Write(data); !errors.Is(err, errSink) {
		t.Fatalf("err = %v", err)
	}
	if err := w.Close(); !errors.Is(err, errSink) {
		t.Fatalf("Close err = %v", err)
	}
}

// readers returns readers of b that deliver it whole, a byte at a time,
// half a buffer at a time, and with io.EOF on the last data.
func readers(b []byte) map[string]io.Reader {
	return map[string]io.Reader{
		"plain":   bytes.NewReader(b),
		"onebyte": iotest.OneByteReader(bytes.NewReader(b)),
		"half":    iotest.HalfReader(bytes.NewReader(b)),
		"dataEOF": iotest.DataErrReader(bytes.NewReader(b)),
	}
}

// checkStream reads in through stream, fed by each reader of readers
// (one byte at a time only for small inputs), and fails t unless every
// result is want.
func checkStream(t *testing.T, in, want []byte, stream func(io.Reader) io.Reader) {
	t.Helper()
	for name, src := range readers(in) {
		if len(in) > 10000 && name == "onebyte" {
			continue
		}
		got, err := io.ReadAll(stream(src))
		if err != nil {
			t.Fatalf("n=%d %s: %v", len(in), name, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("n=%d %s: stream differs from the one-shot result", len(in), name)
		}
	}
}

func TestEncryptReaderMatchesEncrypt(t *testing.T) {
	k, _ := NewKey()
	for _, n := range streamSizes {
		plain := make([]byte, n)
		rand.Read(plain)
		checkStream(t, plain, k.Encrypt(plain), func(r io.Reader) io.Reader { return NewEncryptReader(r, k) })
	}
	if err := iotest.TestReader(NewEncryptReader(bytes.NewReader(make([]byte, 1000)), k), k.Encrypt(make([]byte, 1000))); err != nil {
		t.Fatal(err)
	}
}

func TestDecryptReaderMatchesDecrypt(t *testing.T) {
	k, _ := NewKey()
	for _, n := range streamSizes {
		plain := make([]byte, n)
		rand.Read(plain)
		checkStream(t, k.Encrypt(plain), plain, func(r io.Reader) io.Reader { return NewDecryptReader(r, k) })
	}
	plain := make([]byte, 1000)
	if err := iotest.TestReader(NewDecryptReader(bytes.NewReader(k.Encrypt(plain)), k), plain); err != nil {
		t.Fatal(err)
	}
}

func TestDecryptReaderRejects(t *testing.T) {
	k, _ := NewKey()
	ct := k.Encrypt(make([]byte, 2*chunkSize+5))
	for _, n := range []int{0, 1, 15, 17, len(ct) - 1, chunkSize + 3} {
		_, err := io.ReadAll(NewDecryptReader(bytes.NewReader(ct[:n]), k))
		if !errors.Is(err, ErrCiphertextLength) {
			t.Errorf("len %d: err = %v, want ErrCiphertextLength", n, err)
		}
		_, oneShot := k.Decrypt(ct[:n])
		if !errors.Is(oneShot, ErrCiphertextLength) {
			t.Errorf("len %d: one-shot err = %v", n, oneShot)
		}
	}
	// Bad padding: agree with the one-shot function.
	bad := rawCBC(k, append(make([]byte, 31), 0))
	_, err := io.ReadAll(NewDecryptReader(bytes.NewReader(bad), k))
	if !errors.Is(err, ErrPadding) {
		t.Fatalf("bad padding: %v", err)
	}
	// Reader errors are passed on.
	_, err = io.ReadAll(NewDecryptReader(iotest.ErrReader(errSink), k))
	if !errors.Is(err, errSink) {
		t.Fatalf("source error: %v", err)
	}
	_, err = io.ReadAll(NewEncryptReader(iotest.ErrReader(errSink), k))
	if !errors.Is(err, errSink) {
		t.Fatalf("source error (encrypt): %v", err)
	}
}

func TestStreamWriterThenReader(t *testing.T) {
	k, _ := NewKey()
	plain := make([]byte, 5*chunkSize+123)
	rand.Read(plain)
	pr, pw := io.Pipe()
	go func() {
		w := NewEncryptWriter(pw, k)
		_, err := io.Copy(w, bytes.NewReader(plain))
		if err == nil {
			err = w.Close()
		}
		pw.CloseWithError(err)
	}()
	got, err := io.ReadAll(NewDecryptReader(pr, k))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, plain) {
		t.Fatal("pipe round trip differs")
	}
}
