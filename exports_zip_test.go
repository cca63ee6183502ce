package ksef

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/flate"
)

// zipFile is a file as walkZip passed it on.
type zipFile struct {
	name string
	data []byte
}

// collectOut is an archiveOut that keeps the files.
type collectOut struct {
	files   []zipFile
	flushes int
}

func (c *collectOut) emit(name string, body io.Reader, sum io.Writer) error {
	if sum != nil {
		body = io.TeeReader(body, sum)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	c.files = append(c.files, zipFile{name, b})
	return nil
}

func (c *collectOut) flush() bool { c.flushes++; return true }

// zipEntrySpec is an entry of a hand-written ZIP stream.
type zipEntrySpec struct {
	name    string
	data    []byte
	stored  bool
	dd      bool // sizes in a data descriptor after the data
	ddNoSig bool // the descriptor without its signature
	zip64   bool // a ZIP64 extra field (8-byte sizes in the descriptor)
	badCRC  bool // the declared CRC-32 is wrong
	size    int  // declared uncompressed size, when not 0
}

// writeZip writes entries as local headers, data and descriptors, then a
// (minimal) central directory header and end record, as walkZip reads
// them.
func writeZip(t testing.TB, entries []zipEntrySpec) []byte {
	t.Helper()
	var out bytes.Buffer
	le := binary.LittleEndian
	for _, e := range entries {
		data := e.data
		method := uint16(8)
		if e.stored {
			method = 0
		} else {
			var buf bytes.Buffer
			fw, _ := flate.NewWriter(&buf, 5)
			_, _ = fw.Write(e.data)
			_ = fw.Close()
			data = buf.Bytes()
		}
		crc := crc32.ChecksumIEEE(e.data)
		if e.badCRC {
			crc ^= 1
		}
		usize := uint64(len(e.data))
		if e.size != 0 {
			usize = uint64(e.size)
		}
		var flags uint16
		if e.dd {
			flags |= 0x8
		}
		var extra []byte
		if e.zip64 {
			extra = make([]byte, 20)
			le.PutUint16(extra, 1)
			le.PutUint16(extra[2:], 16)
		}
		h := make([]byte, 30)
		le.PutUint32(h, zipLocalHeader)
		le.PutUint16(h[4:], 45)
		le.PutUint16(h[6:], flags)
		le.PutUint16(h[8:], method)
		if !e.dd {
			le.PutUint32(h[14:], crc)
			le.PutUint32(h[18:], uint32(len(data)))
			le.PutUint32(h[22:], uint32(usize))
		}
		le.PutUint16(h[26:], uint16(len(e.name)))
		le.PutUint16(h[28:], uint16(len(extra)))
		out.Write(h)
		out.WriteString(e.name)
		out.Write(extra)
		out.Write(data)
		if e.dd {
			if !e.ddNoSig {
				_ = binary.Write(&out, le, uint32(zipDataDesc))
			}
			_ = binary.Write(&out, le, crc)
			if e.zip64 {
				_ = binary.Write(&out, le, uint64(len(data)))
				_ = binary.Write(&out, le, usize)
			} else {
				_ = binary.Write(&out, le, uint32(len(data)))
				_ = binary.Write(&out, le, uint32(usize))
			}
		}
	}
	// what follows the entries is only drained
	_ = binary.Write(&out, le, uint32(zipCentralHeader))
	out.Write(make([]byte, 42))
	_ = binary.Write(&out, le, uint32(zipEndRecord))
	out.Write(make([]byte, 18))
	return out.Bytes()
}

// walkAll runs walkZip over pkg read through each of the readers.
func walkAll(t *testing.T, pkg []byte, check func(name string, files []zipFile, err error)) {
	t.Helper()
	for _, rd := range []struct {
		name string
		r    func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"halves", iotest.HalfReader},
		{"bytes", iotest.OneByteReader},
	} {
		if rd.name == "bytes" && len(pkg) > 1<<20 {
			continue
		}
		out := &collectOut{}
		err := walkZip(rd.r(bytes.NewReader(pkg)), out)
		check(rd.name, out.files, err)
	}
}

// xmlish returns n bytes of invoice-like text (compressible).
func xmlish(rnd *rand.Rand, n int) []byte {
	var b strings.Builder
	for b.Len() < n {
		fmt.Fprintf(&b, "<P_%d>%d,%02d</P_%d>", rnd.IntN(20), rnd.IntN(100000), rnd.IntN(100), rnd.IntN(20))
	}
	return []byte(b.String()[:n])
}

// noise returns n random bytes (incompressible).
func noise(rnd *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}

// TestWalkZipMatchesArchiveZip: packages written by archive/zip (data
// descriptors with signatures, and entries with sizes in the local
// header) of many small entries, some large (streamed), empty ones and
// directories come out of walkZip with the same names and bytes, in the
// same order, as archive/zip reads them, whatever the input's read sizes.
func TestWalkZipMatchesArchiveZip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, data []byte, raw bool) {
		if raw {
			fh := &zip.FileHeader{Name: name, Method: zip.Store, CRC32: crc32.ChecksumIEEE(data),
				CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data))}
			w, err := zw.CreateRaw(fh)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = w.Write(data)
			return
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(data)
	}
	for i := range 3000 {
		add(fmt.Sprintf("%04d.xml", i), xmlish(rnd, rnd.IntN(3000)), i%97 == 5)
		switch i {
		case 10:
			add("empty.xml", nil, false)
		case 20:
			add("dir/", nil, false)
		case 1000:
			add("big-noise.xml", noise(rnd, zipMaxIn+100_000), false) // compressed above zipMaxIn
		case 2000:
			add("big-zeros.xml", make([]byte, zipMaxOut+1), false) // inflates above zipMaxOut
		case 2500:
			add("noise-stored.xml", noise(rnd, 300_000), true)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	pkg := buf.Bytes()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	var want []zipFile
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, zipFile{f.Name, b})
	}
	walkAll(t, pkg, func(how string, got []zipFile, err error) {
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d files, want %d", how, len(got), len(want))
		}
		for i := range want {
			if got[i].name != want[i].name || !bytes.Equal(got[i].data, want[i].data) {
				t.Fatalf("%s: file %d is %s (%d bytes), want %s (%d bytes)", how, i, got[i].name, len(got[i].data), want[i].name, len(want[i].data))
			}
		}
	})
}

// TestWalkZipEntryForms: descriptors without a signature, ZIP64
// descriptors, stored entries whose bytes hold a ZIP signature and a
// would-be descriptor, and entries with nothing but a descriptor after
// them all come out whole.
func TestWalkZipEntryForms(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	// a stored file holding what looks like the end of an entry
	tricky := []byte("xxxxPK\x07\x08\x00\x00\x00\x00\x04\x00\x00\x00\x04\x00\x00\x00PK\x03\x04yyyy")
	var entries []zipEntrySpec
	for i := range 400 {
		e := zipEntrySpec{name: fmt.Sprintf("%03d.xml", i), data: xmlish(rnd, 1+rnd.IntN(4000))}
		switch i % 5 {
		case 0:
			e.dd = true
		case 1:
			e.dd, e.ddNoSig = true, true
		case 2:
			e.dd, e.zip64 = true, true
		case 3:
			e.dd, e.zip64, e.ddNoSig = true, true, true
		case 4:
			e.stored, e.data = true, tricky
		}
		entries = append(entries, e)
	}
	pkg := writeZip(t, entries)
	walkAll(t, pkg, func(how string, got []zipFile, err error) {
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		if len(got) != len(entries) {
			t.Fatalf("%s: %d files, want %d", how, len(got), len(entries))
		}
		for i, e := range entries {
			if got[i].name != e.name || !bytes.Equal(got[i].data, e.data) {
				t.Fatalf("%s: file %d is %s, want %s", how, i, got[i].name, e.name)
			}
		}
	})
}

// TestWalkZipErrorsInOrder: a corrupted entry in the middle of a batch
// ends the walk with an error naming it, after every file before it was
// passed on, and none after; a wrong declared size and bytes after the
// end of a deflate stream are errors too.
func TestWalkZipErrorsInOrder(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		name string
		bad  func(*zipEntrySpec)
		want string
	}{
		{"crc", func(e *zipEntrySpec) { e.badCRC = true }, "CRC-32 mismatch"},
		{"crc-dd", func(e *zipEntrySpec) { e.dd, e.badCRC = true, true }, "CRC-32 mismatch"},
		{"longer", func(e *zipEntrySpec) { e.size = len(e.data) - 1 }, "declared"},
		{"much-longer", func(e *zipEntrySpec) { e.size = len(e.data) / 2 }, "declared"},
		{"shorter", func(e *zipEntrySpec) { e.dd, e.size = true, len(e.data)+1 }, "declared"},
	} {
		var entries []zipEntrySpec
		for i := range 300 {
			entries = append(entries, zipEntrySpec{name: fmt.Sprintf("%03d.xml", i), data: xmlish(rnd, 500), dd: i%2 == 0})
		}
		c.bad(&entries[150])
		pkg := writeZip(t, entries)
		walkAll(t, pkg, func(how string, got []zipFile, err error) {
			if err == nil || !strings.Contains(err.Error(), "150.xml") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%s/%s: %v, want an error about 150.xml (%s)", c.name, how, err, c.want)
			}
			if len(got) != 150 || got[149].name != "149.xml" {
				t.Fatalf("%s/%s: %d files before the error, want 150", c.name, how, len(got))
			}
		})
	}
	// a deflate stream followed by bytes its local header counts in
	entries := []zipEntrySpec{{name: "a.xml", data: []byte("<a/>")}, {name: "b.xml", data: []byte("<b/>")}}
	pkg := writeZip(t, entries)
	h := bytes.Index(pkg, []byte("a.xml")) - 30 // the local header
	i := h + 30 + len("a.xml")                  // the data
	csize := binary.LittleEndian.Uint32(pkg[h+18:])
	binary.LittleEndian.PutUint32(pkg[h+18:], csize+2)
	pkg = append(pkg[:i+int(csize)], append([]byte{0, 0}, pkg[i+int(csize):]...)...)
	if err := walkZip(bytes.NewReader(pkg), &collectOut{}); err == nil || !strings.Contains(err.Error(), "follow the end") {
		t.Fatalf("trailing bytes: %v", err)
	}
	// a package cut short inside an entry
	pkg = writeZip(t, entries)
	if err := walkZip(bytes.NewReader(pkg[:40]), &collectOut{}); err == nil {
		t.Fatal("a cut package was accepted")
	}
}
