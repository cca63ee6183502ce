package qr

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"sync"

	"github.com/boombuler/barcode"
	bqr "github.com/boombuler/barcode/qr"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Level is the error correction level of a QR code (ISO/IEC 18004).
type Level int

// The error correction levels of ISO/IEC 18004.
const (
	// LevelM recovers about 15% of the symbol; the default.
	LevelM Level = iota
	// LevelL recovers about 7% of the symbol.
	LevelL
	// LevelQ recovers about 25% of the symbol.
	LevelQ
	// LevelH recovers about 30% of the symbol.
	LevelH
)

func (l Level) barcodeLevel() (bqr.ErrorCorrectionLevel, error) {
	switch l {
	case LevelL:
		return bqr.L, nil
	case LevelM:
		return bqr.M, nil
	case LevelQ:
		return bqr.Q, nil
	case LevelH:
		return bqr.H, nil
	}
	return 0, fmt.Errorf("qr: unknown error correction level %d", l)
}

// Code is an encoded QR symbol: a square of dark and light modules, without
// the quiet zone.
type Code struct {
	content string
	size    int
	dark    []bool
}

// Encode encodes content (a verification link) as a QR code with error
// correction level M, in byte mode.
func Encode(content string) (*Code, error) { return EncodeLevel(content, LevelM) }

// EncodeLevel encodes content as a QR code with the given error correction
// level, in byte mode.
func EncodeLevel(content string, level Level) (*Code, error) {
	bl, err := level.barcodeLevel()
	if err != nil {
		return nil, err
	}
	if content == "" {
		return nil, errors.New("qr: empty content")
	}
	bc, err := bqr.Encode(content, bl, bqr.Unicode)
	if err != nil {
		return nil, fmt.Errorf("qr: cannot encode %d bytes: %v", len(content), err)
	}
	return fromBarcode(content, bc), nil
}

func fromBarcode(content string, bc barcode.Barcode) *Code {
	b := bc.Bounds()
	n := b.Dx()
	c := &Code{content: content, size: n, dark: make([]bool, n*n)}
	for y := range n {
		for x := range n {
			r, _, _, _ := bc.At(b.Min.X+x, b.Min.Y+y).RGBA()
			c.dark[y*n+x] = r < 0x8000
		}
	}
	return c
}

// Content returns the encoded text.
func (c *Code) Content() string { return c.content }

// Size returns the number of modules on each side (21 for version 1, 4 more
// per version), without the quiet zone.
func (c *Code) Size() int { return c.size }

// Dark reports whether the module at column x, row y is dark; modules
// outside the symbol (the quiet zone) are light.
func (c *Code) Dark(x, y int) bool {
	if x < 0 || y < 0 || x >= c.size || y >= c.size {
		return false
	}
	return c.dark[y*c.size+x]
}

// RenderOptions control the PNG and SVG output. The zero value (or nil) is
// usable.
type RenderOptions struct {
	// ModuleSize is the side of one module in pixels (SVG: user units);
	// default 5.
	ModuleSize int
	// QuietZone is the light margin around the symbol in modules; default
	// and minimum 4, as ISO/IEC 18004 requires.
	QuietZone int
	// Label is the text printed under the code: the KSeF number or
	// LabelOffline for KOD I (see InvoiceLabel), LabelCertificate for KOD II.
	// Empty means no label.
	Label string
}

// layout is the geometry shared by the PNG and SVG renderers.
type layout struct {
	module, quiet   int
	width, height   int
	codeX           int // left edge of the quiet zone
	codeSide        int // side of symbol + quiet zone in pixels
	label           string
	fontPx          float64
	textX, baseline int
	textWidth       int
}

const (
	defaultModuleSize = 5
	minQuietZone      = 4
	// fontScale is the label font size in modules: 3 modules (15 px at the
	// default module size) keeps a 35-character KSeF number readable.
	fontScale = 3
)

var goRegular = sync.OnceValues(func() (*opentype.Font, error) { return opentype.Parse(goregular.TTF) })

func newFace(px float64) (font.Face, error) {
	f, err := goRegular()
	if err != nil {
		return nil, fmt.Errorf("qr: loading the label font: %v", err)
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
}

func (c *Code) layout(opts *RenderOptions) (layout, font.Face, error) {
	var o RenderOptions
	if opts != nil {
		o = *opts
	}
	if o.ModuleSize <= 0 {
		o.ModuleSize = defaultModuleSize
	}
	if o.ModuleSize > 100 {
		return layout{}, nil, errors.New("qr: module size above 100 pixels")
	}
	if o.QuietZone < minQuietZone {
		o.QuietZone = minQuietZone
	}
	if o.QuietZone > 100 {
		return layout{}, nil, errors.New("qr: quiet zone above 100 modules")
	}
	if strings.ContainsAny(o.Label, "\n\r\t") || len(o.Label) > 200 {
		return layout{}, nil, errors.New("qr: label must be one line of at most 200 bytes")
	}
	l := layout{module: o.ModuleSize, quiet: o.QuietZone, label: o.Label}
	l.codeSide = (c.size + 2*l.quiet) * l.module
	l.width, l.height = l.codeSide, l.codeSide
	if l.label == "" {
		return l, nil, nil
	}
	l.fontPx = float64(fontScale * l.module)
	face, err := newFace(l.fontPx)
	if err != nil {
		return layout{}, nil, err
	}
	m := face.Metrics()
	l.textWidth = font.MeasureString(face, l.label).Ceil()
	margin := 2 * l.module
	if w := l.textWidth + 2*margin; w > l.width {
		l.width = w
		l.codeX = (l.width - l.codeSide) / 2
	}
	l.textX = (l.width - l.textWidth) / 2
	// The label starts below the quiet zone, which must stay empty.
	l.baseline = l.codeSide + m.Ascent.Ceil()
	l.height = l.baseline + m.Descent.Ceil() + margin
	return l, face, nil
}

// Image renders the code (quiet zone included) with its label, black on
// white.
func (c *Code) Image(opts *RenderOptions) (*image.Gray, error) {
	l, face, err := c.layout(opts)
	if err != nil {
		return nil, err
	}
	if face != nil {
		defer face.Close()
	}
	img := image.NewGray(image.Rect(0, 0, l.width, l.height))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	origin := l.codeX + l.quiet*l.module
	top := l.quiet * l.module
	for y := range c.size {
		for x := range c.size {
			if !c.dark[y*c.size+x] {
				continue
			}
			px, py := origin+x*l.module, top+y*l.module
			for dy := range l.module {
				row := img.Pix[(py+dy)*img.Stride+px : (py+dy)*img.Stride+px+l.module]
				for i := range row {
					row[i] = 0
				}
			}
		}
	}
	if face != nil {
		d := font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: face, Dot: fixed.P(l.textX, l.baseline)}
		d.DrawString(l.label)
	}
	return img, nil
}

// WritePNG writes the code with its label as a grayscale PNG.
func (c *Code) WritePNG(w io.Writer, opts *RenderOptions) error {
	img, err := c.Image(opts)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(w, img); err != nil {
		return fmt.Errorf("qr: writing PNG: %w", err)
	}
	return nil
}

// WriteSVG writes the code with its label as SVG. The output is
// deterministic: the dark modules form one path of horizontal runs, the
// label is a text element in a sans-serif font (Go Regular metrics size the
// canvas).
func (c *Code) WriteSVG(w io.Writer, opts *RenderOptions) error {
	l, face, err := c.layout(opts)
	if err != nil {
		return err
	}
	if face != nil {
		face.Close()
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n",
		l.width, l.height, l.width, l.height)
	fmt.Fprintf(bw, `<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", l.width, l.height)
	origin := l.codeX + l.quiet*l.module
	top := l.quiet * l.module
	bw.WriteString(`<path fill="#000000" shape-rendering="crispEdges" d="`)
	first := true
	for y := range c.size {
		for x := 0; x < c.size; {
			if !c.dark[y*c.size+x] {
				x++
				continue
			}
			run := 1
			for x+run < c.size && c.dark[y*c.size+x+run] {
				run++
			}
			if !first {
				bw.WriteByte(' ')
			}
			first = false
			fmt.Fprintf(bw, "M%d,%dh%dv%dh-%dz", origin+x*l.module, top+y*l.module, run*l.module, l.module, run*l.module)
			x += run
		}
	}
	bw.WriteString("\"/>\n")
	if l.label != "" {
		var esc bytes.Buffer
		_ = xml.EscapeText(&esc, []byte(l.label))
		fmt.Fprintf(bw, `<text x="%d" y="%d" text-anchor="middle" font-family="Go, Arial, Helvetica, sans-serif" font-size="%g" fill="#000000">%s</text>`+"\n",
			l.width/2, l.baseline, l.fontPx, esc.String())
	}
	bw.WriteString("</svg>\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("qr: writing SVG: %w", err)
	}
	return nil
}

// PNG encodes content and returns it as a PNG image with the given label
// under it (see [RenderOptions]).
func PNG(content, label string) ([]byte, error) {
	c, err := Encode(content)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := c.WritePNG(&buf, &RenderOptions{Label: label}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SVG encodes content and returns it as an SVG image with the given label
// under it (see [RenderOptions]).
func SVG(content, label string) ([]byte, error) {
	c, err := Encode(content)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := c.WriteSVG(&buf, &RenderOptions{Label: label}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
