package ksef

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// pipeFile is a file a test walker emits.
type pipeFile struct {
	name string
	data []byte
}

func pipeFiles() []pipeFile {
	var files []pipeFile
	for i, n := range []int{0, 1, 6, 7, 8, 13, 14, 15, 0, 100, 3, 0} {
		files = append(files, pipeFile{fmt.Sprintf("f%d", i), bytes.Repeat([]byte{byte('a' + i)}, n)})
	}
	return files
}

func emitAll(files []pipeFile, after error) func(io.Reader, archiveOut) error {
	return func(_ io.Reader, out archiveOut) error {
		for _, f := range files {
			if err := out.emit(f.name, iotest.HalfReader(bytes.NewReader(f.data)), nil); err != nil {
				return err
			}
		}
		return after
	}
}

// TestEntryPipeOrderAndContent: files cross chunk boundaries (chunks of 7
// bytes), some are read only in part, and all arrive in order, whole.
func TestEntryPipeOrderAndContent(t *testing.T) {
	files := pipeFiles()
	for _, partial := range []bool{false, true} {
		q := startEntries(strings.NewReader(""), emitAll(files, nil), 2, 7)
		for i, f := range files {
			name, err := q.next()
			if err != nil || name != f.name {
				t.Fatalf("file %d: %q, %v; want %q", i, name, err, f.name)
			}
			if partial && i%2 == 1 {
				// read a little and leave the rest: next must skip it
				_, _ = q.Read(make([]byte, 2))
				continue
			}
			got, err := io.ReadAll(q)
			if err != nil || !bytes.Equal(got, f.data) {
				t.Fatalf("file %s: %q, %v; want %q", f.name, got, err, f.data)
			}
			if n, err := q.Read(make([]byte, 4)); n != 0 || err != io.EOF {
				t.Fatalf("file %s: read after its end: %d, %v", f.name, n, err)
			}
		}
		if _, err := q.next(); err != io.EOF {
			t.Fatalf("after the last file: %v, want io.EOF", err)
		}
		q.stop()
	}
}

// TestEntryPipeErrorsInOrder: an error of the walker (a CRC-32 mismatch
// after a file, a failed read inside one) comes after the bytes read
// before it, never earlier.
func TestEntryPipeErrorsInOrder(t *testing.T) {
	files := pipeFiles()
	crc := errors.New("f11: CRC-32 mismatch")
	q := startEntries(strings.NewReader(""), emitAll(files, crc), 2, 7)
	for _, f := range files {
		if name, err := q.next(); err != nil || name != f.name {
			t.Fatalf("%q, %v; want %s", name, err, f.name)
		}
		if got, err := io.ReadAll(q); err != nil || !bytes.Equal(got, f.data) {
			t.Fatalf("file %s: %q, %v", f.name, got, err)
		}
	}
	if _, err := q.next(); err != crc {
		t.Fatalf("after the files: %v, want the walker's error", err)
	}
	q.stop()

	boom := errors.New("inflate: corrupt input")
	q = startEntries(strings.NewReader(""), func(_ io.Reader, out archiveOut) error {
		if err := out.emit("a", strings.NewReader("whole"), nil); err != nil {
			return err
		}
		return out.emit("b", io.MultiReader(strings.NewReader("0123456789"), iotest.ErrReader(boom)), nil)
	}, 2, 4)
	name, err := q.next()
	if got, rerr := io.ReadAll(q); name != "a" || err != nil || string(got) != "whole" || rerr != nil {
		t.Fatalf("a: %q %v %q %v", name, err, got, rerr)
	}
	name, err = q.next()
	got, rerr := io.ReadAll(q)
	if name != "b" || err != nil || string(got) != "0123456789" || rerr != boom {
		t.Fatalf("b: %q %v %q %v; want its 10 bytes, then the error", name, err, got, rerr)
	}
	if _, err := q.next(); err != boom {
		t.Fatalf("next after the error: %v", err)
	}
	q.stop()
}

// blockingReader returns data, then blocks until released (as the joined
// parts do while the next part downloads), then fails.
type blockingReader struct {
	data    []byte
	release chan struct{}
}

func (r *blockingReader) Read(p []byte) (int, error) {
	if len(r.data) > 0 {
		n := copy(p, r.data)
		r.data = r.data[n:]
		return n, nil
	}
	<-r.release
	return 0, errors.New("context canceled")
}

// TestUnpackStopsOnCallbackError: an OnInvoice error ends the unpacking
// at once, the error is the callback's, and the unpacking goroutine is
// gone even when it was waiting for more of the package.
func TestUnpackStopsOnCallbackError(t *testing.T) {
	before := runtime.NumGoroutine()
	stopErr := errors.New("stop here")
	// 300 files fill the pipe (the unpacking waits for room); 20 small ones
	// fit in it (the unpacking waits for more input, which only ends when
	// the download is cancelled).
	for _, c := range []struct{ files, size, cut int }{{300, 200, 1}, {300, 200, 2}, {20, 2, 1}, {20, 2, 2}} {
		docs := map[string][]byte{}
		for i := range c.files {
			docs[fmt.Sprintf("N%03d", i)] = bytes.Repeat([]byte(fmt.Sprintf("<x>%d</x>", i)), c.size)
		}
		pkg := testPackage(t, false, docs)
		cut := len(pkg) / c.cut
		r := &blockingReader{data: pkg[:cut], release: make(chan struct{})}
		seen := 0
		u := &unpacker{opts: &ExportDownloadOptions{OnInvoice: func(string, io.Reader) error {
			if seen++; seen == 3 {
				return stopErr
			}
			return nil
		}}, hashes: map[string][sha256.Size]byte{}, progress: func() {}, cancel: func() { close(r.release) }}
		if err := u.unzip(r); err != stopErr {
			t.Fatalf("cut %d: %v, want the callback's error", cut, err)
		}
		if seen != 3 {
			t.Fatalf("cut %d: %d callbacks after the error", cut, seen)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after, %d before", n, before)
	}
}

// TestUnpackChecksThroughPipe: across many files, one changed file is
// still found by its hash, a broken _metadata.json is an error naming it,
// and a corrupted entry is a CRC-32 (or inflate) error.
func TestUnpackChecksThroughPipe(t *testing.T) {
	docs := map[string][]byte{}
	for i := range 200 {
		docs[fmt.Sprintf("N%03d", i)] = bytes.Repeat([]byte(fmt.Sprintf("<y>%d</y>", i)), 300)
	}
	for _, targz := range []bool{false, true} {
		pkg := testPackage(t, targz, docs)
		run := func(pkg []byte) (*unpacker, error) {
			u := &unpacker{opts: &ExportDownloadOptions{OnInvoice: func(string, io.Reader) error { return nil }}, hashes: map[string][sha256.Size]byte{}, progress: func() {}}
			if targz {
				return u, u.untarGz(bytes.NewReader(pkg))
			}
			return u, u.unzip(bytes.NewReader(pkg))
		}
		u, err := run(pkg)
		if err != nil {
			t.Fatal(err)
		}
		if err := u.match(&ExportResult{}, &InvoicePackage{InvoiceCount: 200}, false); err != nil || u.invoices != 200 {
			t.Fatalf("targz=%v: %v, %d invoices", targz, err, u.invoices)
		}
		h := u.hashes["N117"]
		h[5] ^= 1
		u.hashes["N117"] = h
		if err := u.match(&ExportResult{}, &InvoicePackage{InvoiceCount: 200}, false); !errors.Is(err, ErrExportMismatch) || !strings.Contains(err.Error(), "N117") {
			t.Errorf("targz=%v: changed file: %v", targz, err)
		}
		if targz {
			continue
		}
		// _metadata.json (stored last) broken in the middle of its records
		bad := bytes.Clone(pkg)
		i := bytes.LastIndex(bad, []byte(`"ksefNumber"`))
		copy(bad[i:], `"ksefNumber":}`)
		if _, err := run(bad); err == nil || !strings.Contains(err.Error(), ExportMetadataFile) {
			t.Errorf("broken metadata: %v", err)
		}
		bad = bytes.Clone(pkg)
		i = bytes.Index(bad, []byte("N150.xml")) + 40
		bad[i] ^= 0x55
		if _, err := run(bad); err == nil {
			t.Error("corrupted entry accepted")
		}
	}
}
