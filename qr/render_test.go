package qr

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/makiuchi-d/gozxing"
	zqrcode "github.com/makiuchi-d/gozxing/qrcode"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

type sample struct {
	name, link, label string
}

// samples returns a KOD I link and KOD II links signed with RSA and ECDSA.
func samples(t testing.TB) []sample {
	t.Helper()
	invoice := []byte("<Faktura>sample</Faktura>")
	var out []sample
	out = append(out, sample{"kod1", docInvoiceLink, InvoiceLabel("5265877635-20250826-0100001AF629-AF")})
	out = append(out, sample{"kod1-offline", docInvoiceLink, InvoiceLabel("")})
	for _, c := range []struct {
		name string
		tc   testCert
	}{{"kod2-rsa", rsaTestCert(t)}, {"kod2-ecdsa", ecTestCert(t)}} {
		l, err := NewCertificateLink(signParams(c.tc, invoice))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sample{c.name, l.String(), LabelCertificate})
	}
	out = append(out, sample{"kod2-doc", docCertLink, LabelCertificate})
	return out
}

// TestZbarimgReadsCodes renders every kind of code to PNG and reads it back
// with zbarimg, an independent decoder.
func TestZbarimgReadsCodes(t *testing.T) {
	testenv.SkipShort(t, "zbarimg over every sample code at two module sizes")
	t.Parallel()
	testenv.RequireTool(t, "zbarimg")
	dir := t.TempDir()
	for _, s := range samples(t) {
		for _, module := range []int{2, 5} {
			c, err := Encode(s.link)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, fmt.Sprintf("%s-%d.png", s.name, module))
			var buf bytes.Buffer
			if err := c.WritePNG(&buf, &RenderOptions{ModuleSize: module, Label: s.label}); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := testenv.Zbarimg(t, file)
			if err != nil {
				t.Errorf("%s (module %d): zbarimg: %v", s.name, module, err)
				continue
			}
			if got != s.link {
				t.Errorf("%s (module %d): zbarimg read\n%q\nwant\n%q", s.name, module, got, s.link)
			}
		}
	}
}

// fixedSamples are deterministic links (the documentation examples and a
// KOD II link with a fixed 64-byte signature): their images are the same on
// every run.
func fixedSamples() []sample {
	sig := make([]byte, 64)
	for i := range sig {
		sig[i] = byte(i*37 + 11)
	}
	ecLink := "https://" + strings.Replace(docSignedData, "qr-test", "qr-demo", 1) + "/" + base64.RawURLEncoding.EncodeToString(sig)
	return []sample{
		{"kod1", docInvoiceLink, "5265877635-20250826-0100001AF629-AF"},
		{"kod1-offline", docInvoiceLink, LabelOffline},
		{"kod2-doc", docCertLink, LabelCertificate},
		{"kod2-p1363", ecLink, LabelCertificate},
	}
}

func gozxingDecode(img image.Image, hint gozxing.DecodeHintType) (*gozxing.Result, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return nil, err
	}
	return zqrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{hint: true})
}

// TestGozxingReadsCodes decodes the rendered images with a second reader.
// gozxing's finder-pattern detector misses about 1% of large random
// symbols that zbarimg reads, so the detector runs on the deterministic
// samples (labelled PNG), while every sample, including freshly signed
// links, is also decoded in pure-barcode mode, which samples the module
// grid of the unlabelled image.
func TestGozxingReadsCodes(t *testing.T) {
	t.Parallel()
	for _, s := range fixedSamples() {
		b, err := PNG(s.link, s.label)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		res, err := gozxingDecode(img, gozxing.DecodeHintType_TRY_HARDER)
		if err != nil {
			t.Errorf("%s: gozxing: %v", s.name, err)
			continue
		}
		if res.GetText() != s.link {
			t.Errorf("%s: gozxing read %q", s.name, res.GetText())
		}
		if ec := res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL]; ec != "M" {
			t.Errorf("%s: error correction level %v, want M", s.name, ec)
		}
	}
	for _, s := range append(samples(t), fixedSamples()...) {
		c, err := Encode(s.link)
		if err != nil {
			t.Fatal(err)
		}
		img, err := c.Image(&RenderOptions{ModuleSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		res, err := gozxingDecode(img, gozxing.DecodeHintType_PURE_BARCODE)
		if err != nil {
			t.Errorf("%s: gozxing (pure): %v", s.name, err)
			continue
		}
		if res.GetText() != s.link {
			t.Errorf("%s: gozxing (pure) read %q", s.name, res.GetText())
		}
	}
}

// TestImageLayout checks the quiet zone and that the label sits below it.
func TestImageLayout(t *testing.T) {
	t.Parallel()
	c, err := Encode(docInvoiceLink)
	if err != nil {
		t.Fatal(err)
	}
	const m = 5
	label := "5265877635-20250826-0100001AF629-AF"
	img, err := c.Image(&RenderOptions{ModuleSize: m, QuietZone: 1, Label: label}) // raised to 4
	if err != nil {
		t.Fatal(err)
	}
	side := (c.Size() + 8) * m
	b := img.Bounds()
	if b.Dy() <= side || b.Dx() < side {
		t.Fatalf("image %v for a %d px code", b, side)
	}
	x0 := (b.Dx() - side) / 2
	dark := func(r image.Rectangle) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if img.GrayAt(x, y).Y < 0x80 {
					n++
				}
			}
		}
		return n
	}
	// Quiet zone: 4 modules of white on every side of the symbol.
	q := 4 * m
	for _, r := range []image.Rectangle{
		image.Rect(x0, 0, x0+side, q),
		image.Rect(x0, side-q, x0+side, side),
		image.Rect(x0, 0, x0+q, side),
		image.Rect(x0+side-q, 0, x0+side, side),
	} {
		if n := dark(r); n != 0 {
			t.Errorf("quiet zone %v has %d dark pixels", r, n)
		}
	}
	// The finder pattern's corner module is dark.
	if img.GrayAt(x0+q, q).Y != 0 {
		t.Error("top-left module is not dark")
	}
	// The label is drawn below the code, inside the image, and large enough.
	labelArea := image.Rect(0, side, b.Dx(), b.Dy())
	if n := dark(labelArea); n < 35*20 {
		t.Errorf("label area has only %d dark pixels", n)
	}
	minX, maxX, minY, maxY := b.Dx(), -1, b.Dy(), -1
	for y := side; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			if img.GrayAt(x, y).Y < 0x80 {
				minX, maxX, minY, maxY = min(minX, x), max(maxX, x), min(minY, y), max(maxY, y)
			}
		}
	}
	if minX < m || maxX > b.Dx()-m || maxY >= b.Dy()-1 {
		t.Errorf("label ink %d..%d x %d..%d touches the border of %v", minX, maxX, minY, maxY, b)
	}
	if h := maxY - minY + 1; h < 10 {
		t.Errorf("label glyphs only %d px tall", h)
	}
	// Without a label the image is exactly the code.
	plain, err := c.Image(&RenderOptions{ModuleSize: m})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Bounds().Dx() != side || plain.Bounds().Dy() != side {
		t.Errorf("unlabelled image %v, want %dx%d", plain.Bounds(), side, side)
	}
}

type svgDoc struct {
	Width  int `xml:"width,attr"`
	Height int `xml:"height,attr"`
	Rect   struct {
		Fill string `xml:"fill,attr"`
	} `xml:"rect"`
	Path struct {
		D string `xml:"d,attr"`
	} `xml:"path"`
	Text []struct {
		X     int    `xml:"x,attr"`
		Value string `xml:",chardata"`
	} `xml:"text"`
}

// TestSVG checks the SVG structurally (the path redraws exactly the dark
// modules of the code) and against a golden file.
func TestSVG(t *testing.T) {
	t.Parallel()
	c, err := Encode(docInvoiceLink)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	opts := &RenderOptions{ModuleSize: 4, Label: "A<B&C"}
	if err := c.WriteSVG(&buf, opts); err != nil {
		t.Fatal(err)
	}
	var doc svgDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("SVG is not well-formed XML: %v", err)
	}
	img, err := c.Image(opts)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Width != img.Bounds().Dx() || doc.Height != img.Bounds().Dy() {
		t.Errorf("SVG %dx%d, PNG %v", doc.Width, doc.Height, img.Bounds())
	}
	if len(doc.Text) != 1 || doc.Text[0].Value != "A<B&C" || doc.Text[0].X != doc.Width/2 {
		t.Errorf("label %+v", doc.Text)
	}
	// Replay the path onto a module grid.
	const m, q = 4, 4
	x0 := (doc.Width - (c.Size()+2*q)*m) / 2
	got := make([]bool, c.Size()*c.Size())
	for cmd := range strings.SplitSeq(doc.Path.D, " ") {
		var x, y, w, h, w2 int
		if _, err := fmt.Sscanf(cmd, "M%d,%dh%dv%dh-%dz", &x, &y, &w, &h, &w2); err != nil || w != w2 || h != m {
			t.Fatalf("path command %q: %v", cmd, err)
		}
		mx, my := (x-x0)/m-q, y/m-q
		for i := range w / m {
			if mx+i < 0 || mx+i >= c.Size() || my < 0 || my >= c.Size() {
				t.Fatalf("path command %q outside the symbol", cmd)
			}
			got[my*c.Size()+mx+i] = true
		}
	}
	for y := range c.Size() {
		for x := range c.Size() {
			if got[y*c.Size()+x] != c.Dark(x, y) {
				t.Fatalf("module (%d,%d): SVG %v, code %v", x, y, got[y*c.Size()+x], c.Dark(x, y))
			}
		}
	}

	// Golden: the documented KOD I link with the OFFLINE label.
	golden, err := SVG(docInvoiceLink, LabelOffline)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := SVG(docInvoiceLink, LabelOffline)
	if !bytes.Equal(golden, again) {
		t.Fatal("SVG output is not deterministic")
	}
	path := filepath.Join("testdata", "kod1-offline.svg")
	if *update {
		if err := os.WriteFile(path, golden, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(golden, want) {
		t.Errorf("SVG differs from %s (run go test -update after checking the change)", path)
	}
}

func TestEncodeLevels(t *testing.T) {
	t.Parallel()
	sizes := map[Level]int{}
	for _, l := range []Level{LevelL, LevelM, LevelQ, LevelH} {
		c, err := EncodeLevel(docCertLink, l)
		if err != nil {
			t.Fatal(err)
		}
		sizes[l] = c.Size()
		if (c.Size()-17)%4 != 0 {
			t.Errorf("level %d: size %d is not 17+4*version", l, c.Size())
		}
	}
	if !(sizes[LevelL] <= sizes[LevelM] && sizes[LevelM] <= sizes[LevelQ] && sizes[LevelQ] <= sizes[LevelH] && sizes[LevelL] < sizes[LevelH]) {
		t.Errorf("sizes by level: %v", sizes)
	}
	if _, err := EncodeLevel("x", Level(9)); err == nil {
		t.Error("unknown level accepted")
	}
	if _, err := Encode(""); err == nil {
		t.Error("empty content accepted")
	}
	if _, err := Encode(strings.Repeat("x", 5000)); err == nil {
		t.Error("5000 bytes accepted")
	}
	c, _ := Encode("x")
	if _, err := c.Image(&RenderOptions{Label: "a\nb"}); err == nil {
		t.Error("multi-line label accepted")
	}
}

func BenchmarkPNGInvoiceLink(b *testing.B) {
	benchPNG(b, docInvoiceLink, "5265877635-20250826-0100001AF629-AF")
}

func BenchmarkPNGCertificateLink(b *testing.B) {
	benchPNG(b, docCertLink, LabelCertificate)
}

func benchPNG(b *testing.B, link, label string) {
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := PNG(link, label)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes/png")
}

func BenchmarkEncode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(docCertLink); err != nil {
			b.Fatal(err)
		}
	}
}
