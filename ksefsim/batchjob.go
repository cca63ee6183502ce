package ksefsim

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/envelope"
)

// batchJob is a closed package to process, taken out of the session so
// that processing runs without Simulator.mu.
type batchJob struct {
	form        formSpec
	key         *envelope.Key
	compression ksef.CompressionType
	fileSize    int64
	fileHash    []byte
	limit       int
	parts       []batchPartFile
}

type batchPartFile struct {
	ordinal int32
	path    string
	hash    []byte
}

// batchResult is the outcome of processing a package: a session status
// when the package failed as a whole, or its invoices.
type batchResult struct {
	status   ksef.StatusInfo
	invoices []batchDoc
}

// batchDoc is one invoice of a package after its own verification.
type batchDoc struct {
	name   string
	hash   []byte
	facts  *invoiceFacts
	status ksef.InvoiceStatusInfo // zero: passed the checks that need no state
}

var errTooLarge = errors.New("ksefsim: body larger than declared")

// copyLimited copies r to w, failing with errTooLarge when r holds more
// than limit bytes.
func copyLimited(w io.Writer, r io.Reader, limit int64) (int64, error) {
	n, err := io.Copy(w, io.LimitReader(r, limit))
	if err != nil {
		return n, err
	}
	var one [1]byte
	if m, _ := io.ReadFull(r, one[:]); m > 0 {
		return n, errTooLarge
	}
	return n, nil
}

func fail(code int32, details ...string) batchResult {
	return batchResult{status: batchStatus(code, details...)}
}

// run checks and unpacks the package in the order KSeF documents its
// status codes: each encrypted part against its declared hash (405),
// decryption of each part (435), decompression (430), the whole archive
// against its declared size and hash (405), the number of invoices (420),
// and then every invoice on its own. The plain archive is spilled to a
// temporary file: the parts are never held in memory.
func (j *batchJob) run() (res batchResult) {
	defer func() {
		if r := recover(); r != nil {
			res = fail(500)
		}
	}()
	for _, p := range j.parts {
		h, err := hashFile(p.path)
		if err != nil {
			return fail(500)
		}
		if !equalHash(h, p.hash) {
			return fail(405, fmt.Sprintf("Skrót części '%d' nie zgadza się z zadeklarowanym.", p.ordinal))
		}
	}
	plain, err := os.CreateTemp("", "ksefsim-package-*")
	if err != nil {
		return fail(500)
	}
	defer func() {
		_ = plain.Close()
		_ = os.Remove(plain.Name())
	}()
	sum := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(plain, sum), 1<<16)
	var size int64
	for _, p := range j.parts {
		f, err := os.Open(p.path)
		if err != nil {
			return fail(500)
		}
		n, err := io.Copy(bw, envelope.NewDecryptReader(bufio.NewReaderSize(f, 1<<16), j.key))
		_ = f.Close()
		size += n
		if err != nil {
			return fail(435, fmt.Sprintf("Nie udało się odszyfrować części '%d'.", p.ordinal))
		}
	}
	if err := bw.Flush(); err != nil {
		return fail(500)
	}
	hashOK := size == j.fileSize && equalHash(sum.Sum(nil), j.fileHash)

	docs, code, detail := j.unpack(plain, size, hashOK)
	switch {
	case code == 430:
		return fail(430, detail)
	case !hashOK:
		return fail(405, "Rozmiar lub skrót paczki nie zgadza się z zadeklarowanym.")
	case code != 0:
		return fail(code, detail)
	}
	return batchResult{invoices: docs}
}

func hashFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// unpack reads the archive's entries in order and verifies each invoice,
// on all cores; it returns the invoices, or a failure code (430, 420) with
// its detail. When verify is false (the archive does not match its
// declared hash) the invoices are only read, to tell a broken archive
// (430) from a wrong hash (405).
func (j *batchJob) unpack(f *os.File, size int64, verify bool) ([]batchDoc, int32, string) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 500, ""
	}
	type entry struct {
		i    int
		name string
		doc  []byte
	}
	entries := make(chan entry, 2*runtime.GOMAXPROCS(0))
	var (
		mu   sync.Mutex
		docs []batchDoc
		wg   sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for e := range entries {
				d := batchDoc{name: e.name}
				h := sha256.Sum256(e.doc)
				d.hash = h[:]
				if verify {
					d.facts, d.status = verifyDocument(j.form, e.doc, true)
				}
				mu.Lock()
				for len(docs) <= e.i {
					docs = append(docs, batchDoc{})
				}
				docs[e.i] = d
				mu.Unlock()
			}
		})
	}
	count := 0
	tooMany := false
	emit := func(name string, r io.Reader) error {
		if count >= j.limit {
			tooMany = true
			return errStop
		}
		// An invoice over the limit with attachments is read only up to
		// one byte more than the limit: it fails its size check.
		doc, err := io.ReadAll(io.LimitReader(r, maxInvoiceSizeAttachments+1))
		if err != nil {
			return err
		}
		entries <- entry{i: count, name: name, doc: doc}
		count++
		return nil
	}
	var err error
	if j.compression == ksef.CompressionTypeTarGz {
		err = readTarGz(f, emit)
	} else {
		err = readZip(f, size, emit)
	}
	close(entries)
	wg.Wait()
	switch {
	case tooMany:
		return nil, 420, fmt.Sprintf("Liczba faktur w paczce przekracza limit %d.", j.limit)
	case err != nil:
		return nil, 430, "Nie udało się rozpakować archiwum."
	}
	return docs[:count], 0, ""
}

var errStop = errors.New("stop")

func readZip(f *os.File, size int64, emit func(string, io.Reader) error) error {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return err
	}
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return err
		}
		err = emit(zf.Name, rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func readTarGz(f *os.File, emit func(string, io.Reader) error) error {
	gz, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if err := emit(h.Name, tr); err != nil {
			return err
		}
	}
	// Read to the end of the gzip stream so that its checksum is checked.
	_, err = io.Copy(io.Discard, gz)
	return err
}
