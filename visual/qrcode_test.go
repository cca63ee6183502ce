package visual

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

var svgRunRE = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
var svgViewBoxRE = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)

// rasterizeSVG paints the runs of an SVG written by qrSVG into an image,
// scale pixels per module, reading only the SVG text.
func rasterizeSVG(t *testing.T, svg string, scale int) image.Image {
	t.Helper()
	vb := svgViewBoxRE.FindStringSubmatch(svg)
	if vb == nil {
		t.Fatal("no viewBox")
	}
	n, _ := strconv.Atoi(vb[1])
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for _, m := range svgRunRE.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
	}
	return img
}

// TestQRSVGDecodes reads the SVG symbol back with gozxing, a decoder
// independent of the encoder.
func TestQRSVGDecodes(t *testing.T) {
	for _, link := range []string{
		"https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
		"https://qr.ksef.mf.gov.pl/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE/bG9uZy1zaWduYXR1cmUtYmFzZTY0dXJsLXRleHQtZm9yLXRoZS1jb2RlLWlp",
	} {
		svg, err := qrSVG(link, 180)
		if err != nil {
			t.Fatal(err)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(rasterizeSVG(t, svg, 4))
		if err != nil {
			t.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if res.GetText() != link {
			t.Errorf("decoded %q, want %q", res.GetText(), link)
		}
	}
}

// TestQRSVGGolden pins the SVG of the KOD I example link of the KSeF
// documentation.
func TestQRSVGGolden(t *testing.T) {
	svg, err := qrSVG("https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE", 180)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", "kod1.svg")
	if updateFlag() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(svg+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != svg+"\n" {
		t.Error("QR SVG differs from testdata/golden/kod1.svg")
	}
}
