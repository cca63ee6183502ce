package visual

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Page geometry in PDF points (A4).
const (
	pageW    = 595.28
	pageH    = 841.89
	marginL  = 36.0
	marginR  = 36.0
	marginT  = 36.0
	marginB  = 50.0
	contentW = pageW - marginL - marginR
	bottomY  = pageH - marginB
	cellPad  = 3.0
	lineGap  = 1.25 // line height as a multiple of the font size
)

// Font families registered in every document.
const (
	fontRegular = "regular"
	fontBold    = "bold"
)

type rgb struct{ r, g, b uint8 }

var (
	colText   = rgb{26, 26, 26}
	colMuted  = rgb{85, 85, 85}
	colBorder = rgb{187, 187, 187}
	colHeadBg = rgb{232, 232, 232}
	colSumBg  = rgb{244, 244, 244}
)

// pdfWriter is a small layout layer over gopdf: a cursor moving down the
// page, wrapping text, tables whose header repeats on every page, and a
// first-error latch so that drawing code stays linear.
type pdfWriter struct {
	pdf       *gopdf.GoPdf
	y         float64
	bold      bool
	size      float64
	onNewPage func()
	glyphs    map[string]map[rune]bool
	widths    map[widthKey]map[rune]float64
	err       error
}

type widthKey struct {
	bold bool
	size float64
}

func newPDFWriter(title string) (*pdfWriter, error) {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	// No CreationDate or other clock-dependent field: equal input gives
	// byte-identical output.
	pdf.SetInfo(gopdf.PdfInfo{Title: title, Creator: "github.com/ksef2/ksef/visual"})
	if err := pdf.AddTTFFontData(fontRegular, goregular.TTF); err != nil {
		return nil, fmt.Errorf("visual: load font: %w", err)
	}
	if err := pdf.AddTTFFontData(fontBold, gobold.TTF); err != nil {
		return nil, fmt.Errorf("visual: load font: %w", err)
	}
	w := &pdfWriter{pdf: pdf, glyphs: map[string]map[rune]bool{}, widths: map[widthKey]map[rune]float64{}}
	w.font(false, 8.5)
	w.newPage()
	return w, nil
}

func (w *pdfWriter) fail(err error) {
	if err != nil && w.err == nil {
		w.err = fmt.Errorf("visual: render PDF: %w", err)
	}
}

func (w *pdfWriter) newPage() {
	w.pdf.AddPage()
	w.y = marginT
	if w.onNewPage != nil {
		w.onNewPage()
	}
}

// ensure starts a new page unless h points fit below the cursor.
func (w *pdfWriter) ensure(h float64) {
	if w.y+h > bottomY && w.y > marginT {
		w.newPage()
	}
}

func (w *pdfWriter) font(bold bool, size float64) {
	w.bold, w.size = bold, size
	family := fontRegular
	if bold {
		family = fontBold
	}
	w.fail(w.pdf.SetFont(family, "", size))
}

func (w *pdfWriter) lineH() float64 { return w.size * lineGap }

func (w *pdfWriter) color(c rgb) { w.pdf.SetTextColor(c.r, c.g, c.b) }

// safe replaces characters the current font cannot draw (and control
// characters) so that gopdf never fails on user text.
func (w *pdfWriter) safe(s string) string {
	family := fontRegular
	if w.bold {
		family = fontBold
	}
	cache := w.glyphs[family]
	if cache == nil {
		cache = map[rune]bool{}
		w.glyphs[family] = cache
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if unicode.IsControl(r) {
			return -1
		}
		ok, seen := cache[r]
		if !seen {
			has, err := w.pdf.IsCurrFontContainGlyph(r)
			ok = err == nil && has
			cache[r] = ok
		}
		if !ok {
			return '?'
		}
		return r
	}, s)
}

// measure returns the width of s in the current font: the sum of the
// advance widths of its characters (the fonts are used without kerning), from
// a per-font cache, so that wrapping long text stays linear.
func (w *pdfWriter) measure(s string) float64 {
	key := widthKey{w.bold, w.size}
	cache := w.widths[key]
	if cache == nil {
		cache = map[rune]float64{}
		w.widths[key] = cache
	}
	total := 0.0
	for _, r := range s {
		v, ok := cache[r]
		if !ok {
			var err error
			v, err = w.pdf.MeasureTextWidth(string(r))
			w.fail(err)
			cache[r] = v
		}
		total += v
	}
	return total
}

// text draws s with its top-left corner at (x, y).
func (w *pdfWriter) text(x, y float64, s string) {
	s = w.safe(s)
	if strings.TrimSpace(s) == "" {
		return
	}
	w.pdf.SetXY(x, y)
	w.fail(w.pdf.Cell(nil, s))
}

func (w *pdfWriter) textRight(xRight, y float64, s string) {
	s = w.safe(s)
	w.text(xRight-w.measure(s), y, s)
}

func (w *pdfWriter) textCenter(xCenter, y float64, s string) {
	s = w.safe(s)
	w.text(xCenter-w.measure(s)/2, y, s)
}

// wrap breaks s into lines no wider than width, at spaces where possible
// and inside words that are wider than a line.
// Explicit line breaks ("\n") start a new line.
func (w *pdfWriter) wrap(s string, width float64) []string {
	if strings.Contains(s, "\n") {
		var lines []string
		for _, part := range strings.Split(s, "\n") {
			lines = append(lines, w.wrap(part, width)...)
		}
		return lines
	}
	s = w.safe(s)
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		cand := word
		if cur != "" {
			cand = cur + " " + word
		}
		if w.measure(cand) <= width {
			cur = cand
			continue
		}
		if cur != "" {
			lines = append(lines, cur)
			cur = ""
		}
		if w.measure(word) > width {
			// Break a word wider than the line at character boundaries.
			var line []rune
			lw := 0.0
			for _, r := range word {
				rw := w.measure(string(r))
				if len(line) > 0 && lw+rw > width {
					lines = append(lines, string(line))
					line, lw = line[:0], 0
				}
				line = append(line, r)
				lw += rw
			}
			word = string(line)
		}
		cur = word
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// paragraph draws wrapped text at the cursor and moves the cursor down.
func (w *pdfWriter) paragraph(x, width float64, s string) {
	for _, l := range w.wrap(s, width) {
		w.ensure(w.lineH())
		w.text(x, w.y, l)
		w.y += w.lineH()
	}
}

func (w *pdfWriter) fillRect(x, y, width, h float64, c rgb) {
	w.pdf.SetFillColor(c.r, c.g, c.b)
	w.pdf.RectFromUpperLeftWithStyle(x, y, width, h, "F")
}

func (w *pdfWriter) strokeRect(x, y, width, h float64, c rgb, lw float64) {
	w.pdf.SetStrokeColor(c.r, c.g, c.b)
	w.pdf.SetLineWidth(lw)
	w.pdf.RectFromUpperLeftWithStyle(x, y, width, h, "D")
}

func (w *pdfWriter) hline(x1, x2, y float64, c rgb, lw float64) {
	w.pdf.SetStrokeColor(c.r, c.g, c.b)
	w.pdf.SetLineWidth(lw)
	w.pdf.Line(x1, y, x2, y)
}

// sectionTitle prints an upper-case section heading with a rule under it,
// keeping at least keep points of the section on the same page.
func (w *pdfWriter) sectionTitle(title string, keep float64) {
	w.y += 6
	w.ensure(16 + keep)
	w.font(true, 8)
	w.color(colMuted)
	w.text(marginL, w.y, strings.ToUpper(title))
	w.y += 11
	w.hline(marginL, marginL+contentW, w.y, colBorder, 0.6)
	w.y += 4
	w.color(colText)
}

// keyValues prints labelled values in two columns; values wrap, and a value
// taller than the rest of the page continues on the next one.
func (w *pdfWriter) keyValues(x, width, labelW float64, kvs []KeyValue) {
	const size = 8.5
	lh := size * lineGap
	for _, kv := range kvs {
		w.font(true, size)
		lines := w.wrap(kv.Value, width-labelW)
		w.font(false, 8)
		labels := w.wrap(kv.Key, labelW-6)
		n := max(len(lines), len(labels), 1)
		w.ensure(min(float64(n)*lh, 3*lh))
		for i := range n {
			if w.y+lh > bottomY {
				w.newPage()
			}
			if i < len(labels) {
				w.font(false, 8)
				w.color(colMuted)
				w.text(x, w.y+0.5, labels[i])
			}
			if i < len(lines) {
				w.font(true, size)
				w.color(colText)
				w.text(x+labelW, w.y, lines[i])
			}
			w.y += lh
		}
		w.color(colText)
		w.y++
	}
}

// column of a table.
type column struct {
	title string
	width float64
	align int // alignLeft, alignRight or alignCenter
}

const (
	alignLeft = iota
	alignRight
	alignCenter
)

// tableCell is one cell: its text and an optional smaller grey note below.
type tableCell struct {
	text, note string
}

// tableRow is one table row.
type tableRow struct {
	cells []tableCell
	bold  bool // a sum row
	muted bool // e.g. the state before a correction
}

const (
	tableFont = 8.0
	noteFont  = 6.8
	headFont  = 7.2
)

// table draws a table at x with a header that repeats after every page
// break. Cells wrap; a row never splits across pages.
func (w *pdfWriter) table(x float64, cols []column, rows []tableRow) {
	var total float64
	for _, c := range cols {
		total += c.width
	}
	drawHeader := func() {
		w.font(true, headFont)
		var wrapped [][]string
		n := 1
		for _, c := range cols {
			l := w.wrap(c.title, c.width-2*cellPad)
			wrapped = append(wrapped, l)
			n = max(n, len(l))
		}
		h := float64(n)*headFont*lineGap + 2*cellPad
		w.fillRect(x, w.y, total, h, colHeadBg)
		cx := x
		for i, c := range cols {
			w.strokeRect(cx, w.y, c.width, h, colBorder, 0.5)
			w.color(colText)
			for j, l := range wrapped[i] {
				w.alignedText(cx, c.width, c.align, w.y+cellPad+float64(j)*headFont*lineGap, l)
			}
			cx += c.width
		}
		w.y += h
	}
	w.ensure(40)
	drawHeader()
	prev := w.onNewPage
	w.onNewPage = drawHeader
	defer func() { w.onNewPage = prev }()

	for _, r := range rows {
		// Wrap every cell into a list of printed lines (text, then notes).
		cells := make([][]cellLine, len(cols))
		h := 0.0
		for i, c := range cols {
			if i >= len(r.cells) {
				break
			}
			w.font(r.bold, tableFont)
			for _, l := range w.wrap(r.cells[i].text, c.width-2*cellPad) {
				cells[i] = append(cells[i], cellLine{l, false})
			}
			if r.cells[i].note != "" {
				w.font(false, noteFont)
				for _, l := range w.wrap(r.cells[i].note, c.width-2*cellPad) {
					cells[i] = append(cells[i], cellLine{l, true})
				}
			}
			h = max(h, cellHeight(cells[i]))
		}
		h = max(h, tableFont*lineGap) + 2*cellPad
		w.ensure(h)
		// A row taller than what is left of the page (only with absurdly
		// long cells) is split into parts, each on its own page.
		for {
			avail := bottomY - w.y - 2*cellPad
			part := make([][]cellLine, len(cells))
			rest := make([][]cellLine, len(cells))
			more := false
			ph := 0.0
			for i, lines := range cells {
				used, n := 0.0, 0
				for n < len(lines) && used+lines[n].height() <= avail {
					used += lines[n].height()
					n++
				}
				if n == 0 && len(lines) > 0 && w.y <= marginT+60 {
					n, used = 1, lines[0].height() // never loop without progress
				}
				part[i], rest[i] = lines[:n], lines[n:]
				more = more || len(rest[i]) > 0
				ph = max(ph, used)
			}
			ph = max(ph, tableFont*lineGap) + 2*cellPad
			w.drawRow(x, cols, part, ph, r)
			if !more {
				break
			}
			cells = rest
			w.newPage()
		}
	}
}

// cellLine is one printed line of a table cell.
type cellLine struct {
	text string
	note bool
}

func (l cellLine) height() float64 {
	if l.note {
		return noteFont * lineGap
	}
	return tableFont * lineGap
}

func cellHeight(lines []cellLine) float64 {
	h := 0.0
	for _, l := range lines {
		h += l.height()
	}
	return h
}

// drawRow draws one table row (or part of one) h points high at the cursor.
func (w *pdfWriter) drawRow(x float64, cols []column, cells [][]cellLine, h float64, r tableRow) {
	total := 0.0
	for _, c := range cols {
		total += c.width
	}
	if r.bold {
		w.fillRect(x, w.y, total, h, colSumBg)
	}
	cx := x
	for i, c := range cols {
		w.strokeRect(cx, w.y, c.width, h, colBorder, 0.5)
		ty := w.y + cellPad
		for _, l := range cells[i] {
			switch {
			case l.note:
				w.font(false, noteFont)
				w.color(colMuted)
				w.alignedText(cx, c.width, c.align, ty+0.5, l.text)
			default:
				w.font(r.bold, tableFont)
				if r.muted {
					w.color(colMuted)
				} else {
					w.color(colText)
				}
				w.alignedText(cx, c.width, c.align, ty, l.text)
			}
			ty += l.height()
		}
		cx += c.width
	}
	w.color(colText)
	w.y += h
}

func (w *pdfWriter) alignedText(x, width float64, align int, y float64, s string) {
	switch align {
	case alignRight:
		w.textRight(x+width-cellPad, y, s)
	case alignCenter:
		w.textCenter(x+width/2, y, s)
	default:
		w.text(x+cellPad, y, s)
	}
}

// qr draws a QR symbol for link with its quiet zone as a size×size square
// with the top-left corner at (x, y), as vector rectangles.
func (w *pdfWriter) qr(x, y, size float64, link string) {
	m, err := qrMatrix(link)
	if err != nil {
		w.fail(err)
		return
	}
	n := float64(len(m) + 2*quietZone)
	mod := size / n
	w.fillRect(x, y, size, size, rgb{255, 255, 255})
	w.pdf.SetFillColor(0, 0, 0)
	// A hair of overlap keeps viewers from showing seams between rows.
	const seam = 0.05
	for _, r := range darkRuns(m) {
		w.pdf.RectFromUpperLeftWithStyle(x+float64(r.x+quietZone)*mod, y+float64(r.y+quietZone)*mod,
			float64(r.w)*mod+seam, mod+seam, "F")
	}
}

// finish writes the page footer (left text and "Strona i z n") on every
// page and returns the document bytes.
func (w *pdfWriter) finish(footerLeft string) ([]byte, error) {
	pages := w.pdf.GetNumberOfPages()
	for p := 1; p <= pages; p++ {
		w.fail(w.pdf.SetPage(p))
		y := pageH - marginB + 14
		w.hline(marginL, marginL+contentW, y, colBorder, 0.5)
		w.font(false, 7)
		w.color(colMuted)
		right := fmt.Sprintf("Strona %d z %d", p, pages)
		left := w.wrap(footerLeft, contentW-w.measure(right)-20)
		if len(left) > 0 {
			w.text(marginL, y+4, left[0])
		}
		w.textRight(marginL+contentW, y+4, right)
	}
	if w.err != nil {
		return nil, w.err
	}
	b, err := w.pdf.GetBytesPdfReturnErr()
	if err != nil {
		return nil, fmt.Errorf("visual: render PDF: %w", err)
	}
	return b, nil
}

// headerMeta writes the key/value column of a document header at x,
// starting at w.y, then the thick rule that closes the header under the
// lower of the column and the left side (which ends at leftBottom), and
// leaves w.y gap points below the rule.
func (w *pdfWriter) headerMeta(meta []KeyValue, x, leftBottom, gap float64) {
	for _, kv := range meta {
		w.font(false, 8)
		w.color(colMuted)
		w.text(x, w.y+1, kv.Key)
		w.font(true, 9)
		w.color(colText)
		w.textRight(marginL+contentW, w.y, kv.Value)
		w.y += 13
	}
	w.y = max(w.y, leftBottom) + 4
	w.pdf.SetStrokeColor(colText.r, colText.g, colText.b)
	w.pdf.SetLineWidth(1.5)
	w.pdf.Line(marginL, w.y, marginL+contentW, w.y)
	w.y += gap
}
