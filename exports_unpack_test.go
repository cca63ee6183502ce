package ksef

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"slices"
	"testing"
)

// testPackage builds a ZIP (or tar.gz) package of the given invoices and
// its _metadata.json.
func testPackage(t testing.TB, targz bool, docs map[string][]byte) []byte {
	t.Helper()
	meta := struct {
		Invoices []InvoiceMetadata `json:"invoices"`
	}{}
	for n, d := range docs {
		h := sha256.Sum256(d)
		meta.Invoices = append(meta.Invoices, InvoiceMetadata{KSeFNumber: n, InvoiceHash: h[:]})
	}
	mj, _ := json.Marshal(meta)
	var buf bytes.Buffer
	if targz {
		gz := gzip.NewWriter(&buf)
		tw := tar.NewWriter(gz)
		add := func(name string, b []byte) {
			_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
			_, _ = tw.Write(b)
		}
		for n, d := range docs {
			add(n+".xml", d)
		}
		add(ExportMetadataFile, mj)
		_ = tw.Close()
		_ = gz.Close()
		return buf.Bytes()
	}
	zw := zip.NewWriter(&buf)
	for n, d := range docs {
		w, _ := zw.Create(n + ".xml")
		_, _ = w.Write(d)
	}
	// a stored entry with its sizes in the local header too
	w, _ := zw.CreateRaw(&zip.FileHeader{Name: ExportMetadataFile, Method: zip.Store,
		CRC32: crc32.ChecksumIEEE(mj), CompressedSize64: uint64(len(mj)), UncompressedSize64: uint64(len(mj))})
	_, _ = w.Write(mj)
	_ = zw.Close()
	return buf.Bytes()
}

func TestUnpackStreams(t *testing.T) {
	docs := map[string][]byte{"A": []byte("<a/>"), "B": bytes.Repeat([]byte("<b>x</b>"), 5000)}
	for _, targz := range []bool{false, true} {
		u := &unpacker{opts: &ExportDownloadOptions{}, hashes: map[string][sha256.Size]byte{}, progress: func() {}}
		pkg := testPackage(t, targz, docs)
		var err error
		if targz {
			err = u.untarGz(bytes.NewReader(pkg))
		} else {
			err = u.unzip(bytes.NewReader(pkg))
		}
		if err != nil {
			t.Fatal(err)
		}
		res := &ExportResult{}
		if err := u.match(res, &InvoicePackage{InvoiceCount: 2}, false); err != nil || u.invoices != 2 {
			t.Fatalf("targz=%v: %v, %d invoices", targz, err, u.invoices)
		}
		// a file whose hash differs from its metadata
		u2 := &unpacker{opts: &ExportDownloadOptions{}, hashes: map[string][sha256.Size]byte{}, progress: func() {}}
		bad := testPackage(t, targz, map[string][]byte{"A": []byte("<a/>")})
		if targz {
			err = u2.untarGz(bytes.NewReader(bad))
		} else {
			err = u2.unzip(bytes.NewReader(bad))
		}
		if err != nil {
			t.Fatal(err)
		}
		h := u2.hashes["A"]
		h[0] ^= 1
		u2.hashes["A"] = h
		if err := u2.match(&ExportResult{}, &InvoicePackage{InvoiceCount: 1}, false); !errors.Is(err, ErrExportMismatch) {
			t.Errorf("targz=%v: changed file: %v", targz, err)
		}
	}
	// a corrupted ZIP entry fails its CRC-32 (or inflation)
	pkg := testPackage(t, false, docs)
	i := bytes.Index(pkg, []byte("B.xml")) + 40
	pkg[i] ^= 0x55
	u := &unpacker{opts: &ExportDownloadOptions{}, hashes: map[string][sha256.Size]byte{}, progress: func() {}}
	if err := u.unzip(bytes.NewReader(pkg)); err == nil {
		t.Error("corrupted entry accepted")
	}
	// file names with paths are refused
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("../evil.xml")
	_, _ = w.Write([]byte("x"))
	_ = zw.Close()
	u = &unpacker{opts: &ExportDownloadOptions{}, hashes: map[string][sha256.Size]byte{}, progress: func() {}}
	if err := u.unzip(bytes.NewReader(buf.Bytes())); err == nil {
		t.Error("path in a file name accepted")
	}
}

func FuzzUnzipStream(f *testing.F) {
	f.Add(testPackage(f, false, map[string][]byte{"A": []byte("<a/>")}))
	f.Add(testPackage(f, true, map[string][]byte{"A": []byte("<a/>")}))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		u := &unpacker{opts: &ExportDownloadOptions{OnInvoice: func(string, io.Reader) error { return nil }}, hashes: map[string][sha256.Size]byte{}, progress: func() {}}
		_ = u.unzip(bytes.NewReader(b))
		u = &unpacker{opts: &ExportDownloadOptions{}, hashes: map[string][sha256.Size]byte{}, progress: func() {}}
		_ = u.untarGz(bytes.NewReader(b))
	})
}

// dataThenErr returns its data in reads of at most 7 bytes, the last one
// together with err (as joinedReader does when a part's hash fails).
type dataThenErr struct {
	data []byte
	err  error
}

func (r *dataThenErr) Read(p []byte) (int, error) {
	n := copy(p[:min(len(p), 7)], r.data)
	r.data = r.data[n:]
	if len(r.data) == 0 {
		return n, r.err
	}
	return n, nil
}

func TestReadAheadKeepsBytesAndError(t *testing.T) {
	want := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	boom := errors.New("boom")
	a := newReadAhead(&dataThenErr{data: slices.Clone(want), err: boom}, 3, 100)
	got, err := io.ReadAll(a)
	a.stop()
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes, want %d equal bytes", len(got), len(want))
	}
	if _, err := a.Read(make([]byte, 1)); !errors.Is(err, boom) {
		t.Fatalf("read after the error: %v", err)
	}
	// stopped without reading: the producer must not hang
	b := newReadAhead(&dataThenErr{data: slices.Clone(want), err: io.EOF}, 2, 10)
	b.stop()
}
