package batchpack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// tiny returns n small distinct invoices named inv-00000.xml ...
func tiny(n int) iter.Seq[Invoice] {
	return func(yield func(Invoice) bool) {
		for i := range n {
			doc := fmt.Appendf(nil, "<Faktura><P_2>%d</P_2></Faktura>", i)
			if !yield(Bytes(fmt.Sprintf("inv-%05d.xml", i), doc)) {
				return
			}
		}
	}
}

func wantInvoiceError(t *testing.T, err error, target error, index int, name string) {
	t.Helper()
	var ie *InvoiceError
	if !errors.As(err, &ie) || !errors.Is(err, target) {
		t.Fatalf("got %v, want an *InvoiceError wrapping %v", err, target)
	}
	if ie.Index != index || ie.Name != name || !strings.Contains(err.Error(), name) {
		t.Fatalf("error %q names invoice %d %q, want %d %q", err, ie.Index, ie.Name, index, name)
	}
}

// dirEmpty fails when packing left files behind in dir.
func dirEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("%d files left in %s, first %s", len(ents), dir, ents[0].Name())
	}
}

func TestInvoiceSizeLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	big := bytes.Repeat([]byte("a"), int(MaxInvoiceSize)+1)
	att := append([]byte("<Faktura><Zalacznik>"), bytes.Repeat([]byte("b"), 2_000_000)...)
	huge := append([]byte("<Faktura><tns:Zalacznik>"), bytes.Repeat([]byte("c"), int(MaxInvoiceSizeWithAttachments))...)
	ok := []byte("<Faktura/>")

	dir := t.TempDir()
	_, err := Pack(ctx, slices.Values([]Invoice{Bytes("ok.xml", ok), Bytes("big.xml", big)}), Options{Dir: dir})
	wantInvoiceError(t, err, ErrInvoiceTooLarge, 1, "big.xml")
	dirEmpty(t, dir)

	// Exactly 1 MB passes.
	pkg, err := Pack(ctx, slices.Values([]Invoice{Bytes("max.xml", big[:MaxInvoiceSize])}), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	pkg.Cleanup()

	// 2 MB with an attachment: refused by default, accepted when the
	// context allows attachments; 2 MB without one is refused either way.
	_, err = Pack(ctx, slices.Values([]Invoice{Bytes("att.xml", att)}), Options{Dir: dir})
	wantInvoiceError(t, err, ErrInvoiceTooLarge, 0, "att.xml")
	pkg, err = Pack(ctx, slices.Values([]Invoice{Bytes("att.xml", att)}), Options{Dir: dir, AllowAttachments: true})
	if err != nil {
		t.Fatal(err)
	}
	pkg.Cleanup()
	noAtt := bytes.Repeat([]byte("d"), 2_000_000)
	_, err = Pack(ctx, slices.Values([]Invoice{Bytes("plain.xml", noAtt)}), Options{Dir: dir, AllowAttachments: true})
	wantInvoiceError(t, err, ErrInvoiceTooLarge, 0, "plain.xml")
	_, err = Pack(ctx, slices.Values([]Invoice{Reader("huge.xml", bytes.NewReader(huge))}), Options{Dir: dir, AllowAttachments: true})
	wantInvoiceError(t, err, ErrInvoiceTooLarge, 0, "huge.xml")
	_, err = Pack(ctx, slices.Values([]Invoice{Bytes("empty.xml", []byte{})}), Options{Dir: dir})
	wantInvoiceError(t, err, ErrEmptyInvoice, 0, "empty.xml")
	dirEmpty(t, dir)
}

func TestTooManyInvoices(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := Pack(context.Background(), tiny(MaxInvoices+1), Options{Dir: dir})
	wantInvoiceError(t, err, ErrTooManyInvoices, MaxInvoices, fmt.Sprintf("inv-%05d.xml", MaxInvoices))
	dirEmpty(t, dir)

	pkg, err := Pack(context.Background(), tiny(MaxInvoices), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer pkg.Cleanup()
	if len(pkg.Invoices) != MaxInvoices {
		t.Fatalf("%d invoices packed", len(pkg.Invoices))
	}
}

func TestArchiveLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	for _, format := range []Format{Zip, TarGz} {
		// 20 stored invoices of ~1000 bytes cannot fit 10,000 bytes.
		_, err := Pack(ctx, slices.Values(docs(20, 1000)), Options{Dir: dir, Format: format, Compression: Store, MaxArchiveSize: 10_000})
		var ie *InvoiceError
		if !errors.Is(err, ErrArchiveTooLarge) || !errors.As(err, &ie) || ie.Index < 5 || ie.Index > 10 {
			t.Fatalf("%v: got %v, want ErrArchiveTooLarge at invoice 6-11", format, err)
		}
		// Nor 3 parts of 4,000 bytes.
		_, err = Pack(ctx, slices.Values(docs(20, 1000)), Options{Dir: dir, Format: format, Compression: Store, PartSize: 4000, MaxParts: 3})
		if !errors.Is(err, ErrTooManyParts) || !errors.As(err, &ie) || ie.Index < 5 || ie.Index > 12 {
			t.Fatalf("%v: got %v, want ErrTooManyParts", format, err)
		}
		// What the estimate lets in fits, and the estimate is not far off.
		for n := 1; n <= 20; n++ {
			pkg, err := Pack(ctx, slices.Values(docs(n, 1000)), Options{Dir: dir, Format: format, Compression: Store, PartSize: 4000, MaxParts: 3})
			if err != nil {
				if !errors.Is(err, ErrTooManyParts) {
					t.Fatal(err)
				}
				// ZIP: ~1090 bytes an invoice; tar: 1536 bytes an entry.
				if minFit := map[Format]int{Zip: 9, TarGz: 7}[format]; n < minFit {
					t.Errorf("%v: %d invoices of 1000 bytes refused for 12,000 bytes", format, n)
				}
				break
			}
			if len(pkg.Parts) > 3 || pkg.Archive.Size > 12_000 {
				t.Errorf("%v: %d parts, %d bytes", format, len(pkg.Parts), pkg.Archive.Size)
			}
			pkg.Cleanup()
		}
	}
	dirEmpty(t, dir)
}

func docs(n, size int) []Invoice {
	var out []Invoice
	for i := range n {
		out = append(out, Bytes(fmt.Sprintf("d%03d.xml", i), testInvoice(uint64(i), size)))
	}
	return out
}

func TestInvalidInvoices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	bad := errors.New("schema says no")
	validate := func(name string, data []byte) error {
		if bytes.Contains(data, []byte("<P_2>3</P_2>")) {
			return bad
		}
		return nil
	}
	in := slices.Collect(tiny(6))
	in[1] = Invoice{Name: "missing.xml", Err: os.ErrNotExist}
	in[4] = Bytes("inv-00000.xml", []byte("<Faktura>dup</Faktura>"))
	in = append(in, File(dir+"/does-not-exist.xml"), Bytes("../", []byte("<x/>")))

	_, err := Pack(ctx, slices.Values(in), Options{Dir: dir, Validate: validate})
	wantInvoiceError(t, err, os.ErrNotExist, 1, "missing.xml")

	pkg, err := Pack(ctx, slices.Values(in), Options{Dir: dir, Validate: validate, SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pkg.Cleanup()
	var got []string
	for _, e := range pkg.Invoices {
		got = append(got, e.FileName)
	}
	if want := []string{"inv-00000.xml", "inv-00002.xml", "inv-00005.xml"}; !slices.Equal(got, want) {
		t.Errorf("packed %v, want %v", got, want)
	}
	wantCause := []error{os.ErrNotExist, bad, ErrDuplicateName, os.ErrNotExist, ErrFileName}
	if len(pkg.Rejected) != len(wantCause) {
		t.Fatalf("rejected %v", pkg.Rejected)
	}
	for i, r := range pkg.Rejected {
		if !errors.Is(r, wantCause[i]) {
			t.Errorf("rejected[%d] = %v, want %v", i, r, wantCause[i])
		}
	}
	out := unpackWithOracles(t, pkg)
	checkExtracted(t, pkg, out, map[string][]byte{
		"inv-00000.xml": []byte("<Faktura><P_2>0</P_2></Faktura>"),
		"inv-00002.xml": []byte("<Faktura><P_2>2</P_2></Faktura>"),
		"inv-00005.xml": []byte("<Faktura><P_2>5</P_2></Faktura>"),
	})
}

func TestNoInvoices(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Pack(context.Background(), tiny(0), Options{Dir: dir}); !errors.Is(err, ErrNoInvoices) {
		t.Errorf("empty input: %v", err)
	}
	in := []Invoice{{Name: "a.xml", Err: os.ErrPermission}}
	pkg, err := Pack(context.Background(), slices.Values(in), Options{Dir: dir, SkipInvalid: true})
	if !errors.Is(err, ErrNoInvoices) || pkg == nil || len(pkg.Rejected) != 1 || len(pkg.Parts) != 0 {
		t.Errorf("all rejected: %v, %+v", err, pkg)
	}
	dirEmpty(t, dir)
}

func TestPackAllSplitsIntoSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	in := docs(16, 900)
	src := map[string][]byte{}
	for _, d := range in {
		src[d.Name] = d.Data
	}
	for _, tc := range []struct {
		name string
		opts Options
		max  int
	}{
		{"count", Options{MaxInvoices: 5}, 5},
		{"size", Options{Compression: Store, PartSize: 3000, MaxParts: 2}, 25},
		{"targz", Options{Format: TarGz, Compression: Store, MaxArchiveSize: 6000}, 25},
	} {
		tc.opts.Dir = dir
		var pkgs []*Package
		for pkg, err := range PackAll(ctx, slices.Values(in), tc.opts) {
			if err != nil {
				t.Fatal(err)
			}
			pkgs = append(pkgs, pkg)
		}
		if len(pkgs) < 3 {
			t.Fatalf("%s: %d packages", tc.name, len(pkgs))
		}
		next := 0
		for i, pkg := range pkgs {
			if len(pkg.Invoices) == 0 || len(pkg.Invoices) > tc.max {
				t.Errorf("%s: package %d has %d invoices", tc.name, i, len(pkg.Invoices))
			}
			for _, e := range pkg.Invoices {
				if e.Index != next {
					t.Fatalf("%s: package %d holds invoice %d, want %d", tc.name, i, e.Index, next)
				}
				next++
			}
			if i > 0 && pkg.Key.Key == pkgs[i-1].Key.Key {
				t.Errorf("%s: packages %d and %d share a key", tc.name, i-1, i)
			}
			want := map[string][]byte{}
			for _, e := range pkg.Invoices {
				want[e.FileName] = src[e.FileName]
			}
			checkExtracted(t, pkg, unpackWithOracles(t, pkg), want)
			pkg.Cleanup()
		}
		if next != len(in) {
			t.Errorf("%s: %d of %d invoices packed", tc.name, next, len(in))
		}
	}
	dirEmpty(t, dir)
}

func TestPackAllStopsEarly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	read := 0
	in := func(yield func(Invoice) bool) {
		for inv := range tiny(1000) {
			read++
			if !yield(inv) {
				return
			}
		}
	}
	for pkg, err := range PackAll(context.Background(), in, Options{Dir: dir, MaxInvoices: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		pkg.Cleanup()
		break
	}
	if read > 100 {
		t.Errorf("the input was read on (%d invoices) after the loop stopped", read)
	}
	dirEmpty(t, dir)
}

func TestPackCancelled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	in := func(yield func(Invoice) bool) {
		for i, inv := range docs(50, 1000) {
			if i == 20 {
				cancel()
			}
			if !yield(inv) {
				return
			}
		}
	}
	if _, err := Pack(ctx, in, Options{Dir: dir}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	dirEmpty(t, dir)
}

func TestProgress(t *testing.T) {
	t.Parallel()
	in := slices.Collect(tiny(30))
	in[4] = Invoice{Name: "bad.xml", Err: os.ErrNotExist}
	var last Progress
	calls := 0
	var pkgs []*Package
	for pkg, err := range PackAll(context.Background(), slices.Values(in), Options{
		Dir: t.TempDir(), MaxInvoices: 10, SkipInvalid: true,
		Progress: func(p Progress) {
			calls++
			if p.Invoices+p.Rejected != calls || p.Invoices < last.Invoices || p.Bytes < last.Bytes {
				t.Errorf("call %d: %+v after %+v", calls, p, last)
			}
			last = p
		},
	}) {
		if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, pkg)
		pkg.Cleanup()
	}
	var bytes int64
	for _, p := range pkgs {
		for _, e := range p.Invoices {
			bytes += e.Size
		}
	}
	if want := (Progress{Invoices: 29, Rejected: 1, Bytes: bytes, Packages: 2}); calls != 30 || last != want {
		t.Errorf("%d calls, last %+v, want %+v (packages yielded: %d)", calls, last, want, len(pkgs))
	}
}

// TestWorkerCounts packs the same invoices with one to eight workers: the
// archives are identical (the order and bytes do not depend on the
// scheduling), with the same key and time.
func TestWorkerCounts(t *testing.T) {
	t.Parallel()
	in := docs(40, 3000)
	key := testKey(t)
	want := map[Format]Digest{}
	for _, workers := range []int{1, 2, 3, 8} {
		for _, format := range []Format{Zip, TarGz} {
			pkg, err := Pack(context.Background(), slices.Values(in), Options{
				Format: format, Workers: workers, Key: key, Dir: t.TempDir(), PartSize: 10_000,
				ModTime: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC),
			})
			if err != nil {
				t.Fatal(err)
			}
			pkg.Cleanup()
			if workers == 1 {
				want[format] = pkg.Archive.SHA256
			} else if pkg.Archive.SHA256 != want[format] {
				t.Errorf("%v, %d workers: archive %v, with one worker %v", format, workers, pkg.Archive.SHA256, want[format])
			}
		}
	}
}

// TestExactFit packs stored invoices into a ZIP whose limit is the size
// the same invoices make: they fit exactly, and one byte less refuses the
// last invoice. (A TarGz end is bounded, not exact: its trailer is
// compressed.)
func TestExactFit(t *testing.T) {
	t.Parallel()
	in := docs(7, 1500)
	opts := Options{Compression: Store, Dir: t.TempDir()}
	pkg, err := Pack(context.Background(), slices.Values(in), opts)
	if err != nil {
		t.Fatal(err)
	}
	pkg.Cleanup()
	opts.MaxArchiveSize = pkg.Archive.Size
	pkg, err = Pack(context.Background(), slices.Values(in), opts)
	if err != nil {
		t.Fatalf("limit = own size %d: %v", opts.MaxArchiveSize, err)
	}
	pkg.Cleanup()
	opts.MaxArchiveSize--
	_, err = Pack(context.Background(), slices.Values(in), opts)
	wantInvoiceError(t, err, ErrArchiveTooLarge, 6, "d006.xml")
}

// TestUnusableDir: packing into a directory that cannot be created fails
// with an error, for Pack and PackAll.
func TestUnusableDir(t *testing.T) {
	t.Parallel()
	file := t.TempDir() + "/not-a-dir"
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Pack(context.Background(), tiny(50), Options{Dir: file}); err == nil {
		t.Error("Pack into a file succeeded")
	}
	n := 0
	for _, err := range PackAll(context.Background(), tiny(50), Options{Dir: file}) {
		n++
		if err == nil {
			t.Error("PackAll into a file yielded a package")
		}
	}
	if n != 1 {
		t.Errorf("PackAll yielded %d times, want one error", n)
	}
}
