package visual

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ksef2/ksef/qr"
)

// quietZone is the number of light modules around a QR symbol (ISO/IEC 18004).
const quietZone = 4

// qrMatrix encodes a link with package qr (error correction level M, byte
// mode) and returns its modules, true for dark, without the quiet zone.
func qrMatrix(link string) ([][]bool, error) {
	code, err := qr.Encode(link)
	if err != nil {
		return nil, fmt.Errorf("visual: QR code: %w", err)
	}
	m := make([][]bool, code.Size())
	for y := range m {
		m[y] = make([]bool, code.Size())
		for x := range m[y] {
			m[y][x] = code.Dark(x, y)
		}
	}
	return m, nil
}

// run is a horizontal run of dark modules in row y from x, w modules wide.
type run struct{ x, y, w int }

// darkRuns merges adjacent dark modules of each row, so a symbol is drawn
// with a few hundred rectangles instead of thousands of squares.
func darkRuns(m [][]bool) []run {
	var runs []run
	for y, row := range m {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			runs = append(runs, run{start, y, x - start})
		}
	}
	return runs
}

// qrSVG draws the symbol as a self-contained SVG element, size CSS pixels
// wide, with the quiet zone included. The output depends only on the link.
func qrSVG(link string, size int) (string, error) {
	m, err := qrMatrix(link)
	if err != nil {
		return "", err
	}
	n := len(m) + 2*quietZone
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img">`, size, size, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for i, r := range darkRuns(m) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("M" + strconv.Itoa(r.x+quietZone) + " " + strconv.Itoa(r.y+quietZone) + "h" + strconv.Itoa(r.w) + "v1h-" + strconv.Itoa(r.w) + "z")
	}
	b.WriteString(`"/></svg>`)
	return b.String(), nil
}
