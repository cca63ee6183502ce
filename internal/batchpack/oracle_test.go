package batchpack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ksef2/ksef/internal/envelope"
	"github.com/ksef2/ksef/internal/testenv"
)

// testInvoice returns a synthetic invoice XML of about size bytes whose
// content depends on seed (compressible like real XML, never identical).
func testInvoice(seed uint64, size int) []byte {
	r := rand.New(rand.NewPCG(seed, 42))
	var b bytes.Buffer
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Faktura xmlns=\"http://crd.gov.pl/wzor/2025/06/25/13775/\"><Fa><P_2>FV/%d</P_2>", seed)
	for i := 0; b.Len() < size-40; i++ {
		fmt.Fprintf(&b, "<FaWiersz><NrWierszaFa>%d</NrWierszaFa><P_7>Towar %x</P_7><P_8B>%d</P_8B><P_9A>%d.%02d</P_9A></FaWiersz>\n",
			i+1, r.Uint32(), r.IntN(100), r.IntN(10000), r.IntN(100))
	}
	b.WriteString("</Fa></Faktura>\n")
	return b.Bytes()
}

func testKey(t testing.TB) *envelope.Key {
	t.Helper()
	k, err := envelope.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writeInvoices(t testing.TB, dir string, n, size int) []string {
	t.Helper()
	var paths []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("fv-%04d.xml", i))
		if err := os.WriteFile(p, testInvoice(uint64(i), size+i*37), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func sha256sumHex(t testing.TB, file string) string {
	t.Helper()
	out, err := testenv.Output(exec.Command(testenv.RequireTool(t, "sha256sum"), file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))[0]
}

// unpackWithOracles decrypts every part with openssl, checks the part
// hashes with sha256sum, joins the parts into the archive, checks its
// hash and size, and extracts it with unzip or tar into a new directory.
func unpackWithOracles(t *testing.T, pkg *Package) string {
	t.Helper()
	openssl := testenv.RequireTool(t, "openssl")
	work := t.TempDir()
	archive := filepath.Join(work, "archive")
	var joined []byte
	for i, p := range pkg.Parts {
		if p.Ordinal != i+1 {
			t.Fatalf("part %d has ordinal %d", i+1, p.Ordinal)
		}
		st, err := os.Stat(p.Path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != p.Size || p.Size != envelope.EncryptedSize(p.PlainSize) {
			t.Errorf("part %d: file %d bytes, Size %d, PlainSize %d", p.Ordinal, st.Size(), p.Size, p.PlainSize)
		}
		if got := sha256sumHex(t, p.Path); got != hex.EncodeToString(p.SHA256[:]) {
			t.Errorf("part %d: sha256sum %s, package says %x", p.Ordinal, got, p.SHA256)
		}
		dec := filepath.Join(work, fmt.Sprintf("dec-%d", p.Ordinal))
		cmd := exec.Command(openssl, "enc", "-d", "-aes-256-cbc",
			"-K", hex.EncodeToString(pkg.Key.Key[:]), "-iv", hex.EncodeToString(pkg.Key.IV[:]),
			"-in", p.Path, "-out", dec)
		if _, err := testenv.Output(cmd); err != nil {
			t.Fatalf("openssl enc -d of part %d: %v", p.Ordinal, err)
		}
		b, err := os.ReadFile(dec)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(b)) != p.PlainSize {
			t.Errorf("part %d decrypts to %d bytes, PlainSize %d", p.Ordinal, len(b), p.PlainSize)
		}
		joined = append(joined, b...)
	}
	if err := os.WriteFile(archive, joined, 0o644); err != nil {
		t.Fatal(err)
	}
	if int64(len(joined)) != pkg.Archive.Size {
		t.Errorf("archive: %d bytes, package says %d", len(joined), pkg.Archive.Size)
	}
	if got := sha256sumHex(t, archive); got != hex.EncodeToString(pkg.Archive.SHA256[:]) {
		t.Errorf("archive: sha256sum %s, package says %x", got, pkg.Archive.SHA256)
	}
	out := filepath.Join(work, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	var cmd *exec.Cmd
	switch pkg.Format {
	case Zip:
		cmd = exec.Command(testenv.RequireTool(t, "unzip"), "-q", archive, "-d", out)
	case TarGz:
		cmd = exec.Command(testenv.RequireTool(t, "tar"), "-xzf", archive, "-C", out)
	}
	if _, err := testenv.Output(cmd); err != nil {
		t.Fatalf("%s: %v", cmd.Args[0], err)
	}
	return out
}

// checkExtracted compares the extracted files with the sources, the
// entries' hashes and sizes, and that nothing else was extracted.
func checkExtracted(t *testing.T, pkg *Package, out string, src map[string][]byte) {
	t.Helper()
	var names []string
	err := filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(pkg.Invoices) || len(names) != len(src) {
		t.Fatalf("extracted %d files, package lists %d invoices, %d sources", len(names), len(pkg.Invoices), len(src))
	}
	for _, e := range pkg.Invoices {
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(e.FileName)))
		if err != nil {
			t.Fatal(err)
		}
		want, ok := src[e.FileName]
		if !ok {
			t.Fatalf("entry %q has no source", e.FileName)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: extracted %d bytes differ from the source (%d bytes)", e.FileName, len(got), len(want))
		}
		if sha256.Sum256(want) != e.SHA256 || e.Size != int64(len(want)) {
			t.Errorf("%s: entry hash/size wrong", e.FileName)
		}
	}
}

func TestPackUnpacksWithOpenSSLAndUnzipTar(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	paths := writeInvoices(t, dir, 60, 3000)
	src := map[string][]byte{}
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		src[filepath.Base(p)] = b
	}
	for _, format := range []Format{Zip, TarGz} {
		for _, comp := range []Compression{Deflate, Store} {
			t.Run(fmt.Sprintf("%v/%d", format, comp), func(t *testing.T) {
				t.Parallel()
				key := testKey(t)
				pkg, err := Pack(context.Background(), Files(paths...), Options{
					Format: format, Compression: comp, Key: key, Dir: t.TempDir(), PartSize: 40_000,
				})
				if err != nil {
					t.Fatal(err)
				}
				defer pkg.Cleanup()
				if pkg.Key != key {
					t.Error("package not encrypted with the given key")
				}
				if len(pkg.Parts) < 2 {
					t.Fatalf("want several parts, got %d (archive %d bytes)", len(pkg.Parts), pkg.Archive.Size)
				}
				for _, p := range pkg.Parts[:len(pkg.Parts)-1] {
					if p.PlainSize != 40_000 {
						t.Errorf("part %d: %d plain bytes, want 40000", p.Ordinal, p.PlainSize)
					}
				}
				if comp == Store && pkg.Archive.Size < 60*3000 {
					t.Errorf("stored archive of %d bytes is smaller than its invoices", pkg.Archive.Size)
				}
				if comp == Deflate && pkg.Archive.Size > 60*4000/2 {
					t.Errorf("deflated archive of %d bytes is not compressed", pkg.Archive.Size)
				}
				out := unpackWithOracles(t, pkg)
				checkExtracted(t, pkg, out, src)
				for i, e := range pkg.Invoices {
					if e.Index != i || e.FileName != filepath.Base(paths[i]) || e.Name != e.FileName {
						t.Errorf("entry %d: %+v", i, e)
					}
				}
				dir := filepath.Dir(pkg.Parts[0].Path)
				if err := pkg.Cleanup(); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Errorf("Cleanup left %s: %v", dir, err)
				}
			})
		}
	}
}

func TestPackExactPartMultiple(t *testing.T) {
	t.Parallel()
	// A stored ZIP whose size is found first, then packed again with that
	// size as the part size: exactly one part, no empty second part.
	docs := []Invoice{Bytes("a.xml", testInvoice(1, 5000)), Bytes("b.xml", testInvoice(2, 7000))}
	opts := Options{Compression: Store, Dir: t.TempDir(), Key: testKey(t)}
	first, err := Pack(context.Background(), slices.Values(docs), opts)
	if err != nil {
		t.Fatal(err)
	}
	first.Cleanup()
	opts.PartSize = first.Archive.Size
	pkg, err := Pack(context.Background(), slices.Values(docs), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pkg.Cleanup()
	if len(pkg.Parts) != 1 || pkg.Parts[0].PlainSize != first.Archive.Size {
		t.Fatalf("parts %+v for an archive of %d bytes", pkg.Parts, first.Archive.Size)
	}
	unpackWithOracles(t, pkg)
}

// TestZip64Records lowers the ZIP64 threshold so that a small archive has
// local header offsets and a central directory "beyond 4 GiB": unzip must
// read the ZIP64 extra fields and end records as it would in a 5 GB
// package. (Not parallel: it changes a package variable.)
func TestZip64Records(t *testing.T) {
	defer func(v int64) { zip64Limit = v }(zip64Limit)
	zip64Limit = 3000
	in := docs(12, 900)
	src := map[string][]byte{}
	for _, d := range in {
		src[d.Name] = d.Data
	}
	pkg, err := Pack(context.Background(), slices.Values(in), Options{Compression: Store, Dir: t.TempDir(), PartSize: 5000})
	if err != nil {
		t.Fatal(err)
	}
	defer pkg.Cleanup()
	out := unpackWithOracles(t, pkg)
	checkExtracted(t, pkg, out, src)
	archive, err := os.ReadFile(filepath.Join(filepath.Dir(out), "archive"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(archive, []byte("PK\x06\x06")) || !bytes.Contains(archive, []byte("PK\x06\x07")) {
		t.Error("no ZIP64 end records in the archive")
	}
}

// TestNamesWithDirectoriesAndPolishLetters packs names with a directory
// and non-ASCII letters (UTF-8 flag in ZIP, PAX records in tar).
func TestNamesWithDirectoriesAndPolishLetters(t *testing.T) {
	t.Parallel()
	src := map[string][]byte{
		"faktury/zażółć-gęślą-jaźń.xml": testInvoice(1, 2000),
		"faktury/2026/FV 1.xml":         testInvoice(2, 2000),
		"Ćma.xml":                       testInvoice(3, 2000),
	}
	var in []Invoice
	for _, name := range slices.Sorted(maps.Keys(src)) {
		in = append(in, Bytes(name, src[name]))
	}
	for _, format := range []Format{Zip, TarGz} {
		pkg, err := Pack(context.Background(), slices.Values(in), Options{Format: format, Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		checkExtracted(t, pkg, unpackWithOracles(t, pkg), src)
		pkg.Cleanup()
	}
}

// TestIncompressibleEntryIsStored: an entry that deflate would make larger
// is stored, and unzip still reads it.
func TestIncompressibleEntryIsStored(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 9))
	noise := make([]byte, 50_000)
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	src := map[string][]byte{"noise.xml": noise}
	pkg, err := Pack(context.Background(), slices.Values([]Invoice{Bytes("noise.xml", noise)}), Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer pkg.Cleanup()
	if over := pkg.Archive.Size - int64(len(noise)); over > 200 {
		t.Errorf("archive is %d bytes over the entry: not stored", over)
	}
	checkExtracted(t, pkg, unpackWithOracles(t, pkg), src)
}
