package visual

import (
	"io"
	"strconv"
	"strings"
)

// RenderInvoicePDF writes the invoice as an A4 PDF with embedded Go fonts
// (full Polish character set). Long names wrap; many lines continue on
// further pages with the table header repeated; every page carries the
// invoice number and "Strona i z n". The output has no timestamps: equal
// invoices give byte-identical files.
func RenderInvoicePDF(w io.Writer, inv *Invoice) error {
	b, err := InvoicePDF(inv)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// InvoicePDF is [RenderInvoicePDF] returning the bytes.
func InvoicePDF(inv *Invoice) ([]byte, error) {
	title := strings.TrimSpace(inv.Title)
	if title == "" {
		title = invoiceTitle(inv.Kind)
	}
	w, err := newPDFWriter(title + " " + inv.Number)
	if err != nil {
		return nil, err
	}
	cur := inv.currency()

	// Header: title and number on the left, dates on the right.
	metaX := marginL + contentW - 230
	var meta []KeyValue
	meta = append(meta, KeyValue{"Data wystawienia", inv.IssueDate})
	if inv.IssuePlace != "" {
		meta = append(meta, KeyValue{"Miejsce wystawienia", inv.IssuePlace})
	}
	if inv.SaleDate != "" {
		meta = append(meta, KeyValue{inv.saleDateLabel(), inv.SaleDate})
	}
	if inv.PeriodFrom != "" || inv.PeriodTo != "" {
		meta = append(meta, KeyValue{"Okres rozliczeniowy", inv.PeriodFrom + " – " + inv.PeriodTo})
	}
	rate := ""
	if inv.ExchangeRate != "" {
		rate = " (kurs " + formatQuantity(inv.ExchangeRate) + ")"
	}
	meta = append(meta, KeyValue{"Waluta", cur + rate})

	top := w.y
	w.font(true, 20)
	w.color(colText)
	w.text(marginL, w.y, title)
	w.y += 26
	w.font(false, 9)
	w.color(colMuted)
	w.text(marginL, w.y+2, "nr")
	w.font(true, 12)
	w.color(colText)
	numberLines := w.wrap(inv.Number, metaX-marginL-30)
	if len(numberLines) > 4 {
		numberLines = append(numberLines[:3], "…")
	}
	for _, l := range numberLines {
		w.text(marginL+14, w.y, l)
		w.y += 15
	}
	if inv.KSeFNumber != "" {
		w.y += 2
		w.font(false, 8)
		w.color(colMuted)
		w.text(marginL, w.y, "Numer KSeF")
		w.y += 10
		w.font(true, 9.5)
		w.color(colText)
		w.text(marginL, w.y, inv.KSeFNumber)
		w.y += 12
	}
	leftBottom := w.y
	w.y = top
	w.headerMeta(meta, metaX, leftBottom, 10)

	// Parties.
	half := (contentW - 12) / 2
	w.partyRow([]partyBox{{"Sprzedawca", inv.Seller}, {"Nabywca", inv.Buyer}}, half)
	var others []partyBox
	for _, p := range inv.ThirdParties {
		others = append(others, partyBox{"Podmiot trzeci – " + p.Role, p})
	}
	if p := inv.AuthorizedParty; p != nil {
		others = append(others, partyBox{"Podmiot upoważniony – " + p.Role, *p})
	}
	for i := 0; i < len(others); i += 2 {
		w.partyRow(others[i:min(i+2, len(others))], half)
	}

	if c := inv.Correction; c != nil {
		w.sectionTitle("Dane korekty", 30)
		var kvs []KeyValue
		if c.Reason != "" {
			kvs = append(kvs, KeyValue{"Przyczyna korekty", c.Reason})
		}
		if c.Type != "" {
			kvs = append(kvs, KeyValue{"Typ korekty", c.Type})
		}
		if c.Period != "" {
			kvs = append(kvs, KeyValue{"Okres korygowany", c.Period})
		}
		for _, ci := range c.Invoices {
			v := ci.Number
			if ci.IssueDate != "" {
				v += " z dnia " + ci.IssueDate
			}
			if ci.KSeFNumber != "" {
				v += ", numer KSeF: " + ci.KSeFNumber
			}
			kvs = append(kvs, KeyValue{"Faktura korygowana", v})
		}
		w.keyValues(marginL, contentW, 130, kvs)
	}

	// Lines (an advance invoice may have none).
	if len(inv.Lines) > 0 {
		w.sectionTitle("Pozycje faktury", 50)
		w.lineTable(inv.Lines)
	}
	if o := inv.Order; o != nil && len(o.Lines) > 0 {
		title := "Zamówienie"
		if o.Value != "" {
			title += " – wartość zamówienia " + formatAmount(o.Value) + " " + cur
		}
		w.sectionTitle(title, 50)
		w.lineTable(o.Lines)
	}

	// VAT summary and the amount due.
	w.y += 10
	hasPLN := false
	for _, r := range inv.VATSummary {
		hasPLN = hasPLN || r.VATPLN != ""
	}
	vcols := []column{{"Stawka VAT", 62, alignLeft}, {"Wartość netto", 68, alignRight},
		{"Kwota VAT", 62, alignRight}, {"Wartość brutto", 68, alignRight}}
	if hasPLN {
		vcols = append(vcols, column{"Kwota VAT w PLN", 62, alignRight})
	}
	var vrows []tableRow
	for _, r := range inv.VATSummary {
		cells := []tableCell{{text: r.Rate}, {text: formatAmount(r.Net)}, {text: formatAmount(r.VAT)}, {text: formatAmount(r.Gross)}}
		if hasPLN {
			cells = append(cells, tableCell{text: formatAmount(r.VATPLN)})
		}
		vrows = append(vrows, tableRow{cells: cells})
	}
	vrows = append(vrows, tableRow{bold: true, cells: []tableCell{{text: "Razem"},
		{text: formatAmount(inv.Totals.Net)}, {text: formatAmount(inv.Totals.VAT)}, {text: formatAmount(inv.Totals.Gross)}}})
	vatW := 0.0
	for _, c := range vcols {
		vatW += c.width
	}
	boxX := marginL + vatW + 14
	boxW := marginL + contentW - boxX
	total := newGrandTotal(inv.Totals.Gross, cur)
	words := total.Words
	w.font(false, 7.5)
	wordLines := w.wrap("Słownie: "+words, boxW-16)
	if words == "" {
		wordLines = nil
	}
	boxH := 52 + float64(len(wordLines))*7.5*lineGap
	tableH := float64(len(vrows)+2) * (tableFont*lineGap + 2*cellPad)
	w.ensure(max(boxH, tableH) + 14)
	w.font(true, 8)
	w.color(colMuted)
	w.text(marginL, w.y, "PODSUMOWANIE WEDŁUG STAWEK VAT")
	boxY := w.y
	w.y += 12
	w.table(marginL, vcols, vrows)
	vatBottom := w.y
	// The total box, level with the summary table.
	w.strokeRect(boxX, boxY, boxW, boxH, colText, 1.5)
	w.font(true, 8)
	w.color(colMuted)
	w.text(boxX+8, boxY+7, strings.ToUpper(total.Label()))
	w.font(true, 17)
	w.color(colText)
	w.textRight(boxX+boxW-8, boxY+20, formatAmount(total.Amount)+" "+cur)
	w.font(false, 7.5)
	w.color(colMuted)
	for i, l := range wordLines {
		w.text(boxX+8, boxY+44+float64(i)*7.5*lineGap, l)
	}
	w.color(colText)
	w.y = max(vatBottom, boxY+boxH) + 4

	if s := inv.Settlement; s != nil {
		var kvs []KeyValue
		for _, c := range s.Charges {
			kvs = append(kvs, KeyValue{"Obciążenie: " + c.Key, formatAmount(c.Value) + " " + cur})
		}
		if s.ChargesTotal != "" {
			kvs = append(kvs, KeyValue{"Suma obciążeń", formatAmount(s.ChargesTotal) + " " + cur})
		}
		for _, c := range s.Deductions {
			kvs = append(kvs, KeyValue{"Odliczenie: " + c.Key, formatAmount(c.Value) + " " + cur})
		}
		if s.DeductionsTotal != "" {
			kvs = append(kvs, KeyValue{"Suma odliczeń", formatAmount(s.DeductionsTotal) + " " + cur})
		}
		if s.Due != "" {
			kvs = append(kvs, KeyValue{"Do zapłaty", formatAmount(s.Due) + " " + cur})
		}
		if s.ToSettle != "" {
			kvs = append(kvs, KeyValue{"Do rozliczenia", formatAmount(s.ToSettle) + " " + cur})
		}
		if len(kvs) > 0 {
			w.sectionTitle("Rozliczenie", 12)
			w.keyValues(marginL, contentW, 160, kvs)
		}
	}

	if p := inv.Payment; p != nil {
		if kvs := paymentKeyValues(p, cur); len(kvs) > 0 {
			w.sectionTitle("Płatność", 24)
			w.keyValues(marginL, contentW, 160, kvs)
		}
	}

	if len(inv.Annotations) > 0 {
		w.sectionTitle("Adnotacje", 12)
		w.font(true, 8.5)
		for _, a := range inv.Annotations {
			for i, l := range w.wrap(a, contentW-12) {
				w.ensure(8.5 * lineGap)
				if i == 0 {
					w.text(marginL, w.y, "•")
				}
				w.text(marginL+10, w.y, l)
				w.y += 8.5 * lineGap
			}
		}
	}

	var info []KeyValue
	info = append(info, inv.AdditionalInfo...)
	for _, o := range inv.Orders {
		info = append(info, KeyValue{"Zamówienie", withDate(o)})
	}
	for _, c := range inv.Contracts {
		info = append(info, KeyValue{"Umowa", withDate(c)})
	}
	if len(info) > 0 {
		w.sectionTitle("Informacje dodatkowe", 12)
		w.keyValues(marginL, contentW, 160, info)
	}

	if codes := inv.qrCodes(); len(codes) > 0 {
		const size, boxW = 118.0, 200.0
		w.font(false, 6.5)
		linkH := 0.0
		for _, c := range codes {
			linkH = max(linkH, float64(len(w.wrap(c.link, boxW)))*6.5*lineGap)
		}
		w.sectionTitle("Sprawdź, czy faktura jest w KSeF", size+20+linkH)
		y := w.y + 2
		for i, c := range codes {
			x := marginL + float64(i)*(boxW+24)
			w.qr(x+(boxW-size)/2, y, size, c.link)
			w.font(true, 8.5)
			w.color(colText)
			w.textCenter(x+boxW/2, y+size+3, c.label)
			w.font(false, 6.5)
			w.color(colMuted)
			for j, l := range w.wrap(c.link, boxW) {
				w.textCenter(x+boxW/2, y+size+15+float64(j)*6.5*lineGap, l)
			}
		}
		w.color(colText)
		w.y = y + size + 16 + linkH
	}

	if len(inv.Footer.Texts) > 0 || len(inv.Footer.Registries) > 0 {
		w.y += 8
		w.ensure(24)
		w.hline(marginL, marginL+contentW, w.y, colBorder, 0.5)
		w.y += 4
		w.font(false, 7.5)
		w.color(colMuted)
		for _, t := range inv.Footer.Texts {
			w.paragraph(marginL, contentW, t)
		}
		var regs []string
		for _, r := range inv.Footer.Registries {
			regs = append(regs, r.Key+": "+r.Value)
		}
		if len(regs) > 0 {
			w.paragraph(marginL, contentW, strings.Join(regs, " · "))
		}
	}

	footer := title + " nr " + inv.Number
	if inv.KSeFNumber != "" {
		footer += " · Numer KSeF: " + inv.KSeFNumber
	}
	return w.finish(footer)
}

func withDate(r Reference) string {
	if r.Date == "" {
		return r.Number
	}
	return r.Number + " z dnia " + r.Date
}

func paymentKeyValues(p *Payment, cur string) []KeyValue {
	var kvs []KeyValue
	if p.Method != "" {
		kvs = append(kvs, KeyValue{"Forma płatności", p.Method})
	}
	for _, d := range p.DueDates {
		kvs = append(kvs, KeyValue{"Termin płatności", d})
	}
	if p.Paid {
		v := "Zapłacono"
		if p.PaidDate != "" {
			v += " dnia " + p.PaidDate
		}
		kvs = append(kvs, KeyValue{"Status", v})
	}
	for _, z := range p.PartialPayments {
		v := formatAmount(z.Key) + " " + cur
		if z.Value != "" {
			v += " dnia " + z.Value
		}
		kvs = append(kvs, KeyValue{"Zapłata częściowa", v})
	}
	for _, a := range p.BankAccounts {
		kvs = append(kvs, KeyValue{"Rachunek bankowy", accountText(a)})
	}
	for _, a := range p.FactorAccounts {
		kvs = append(kvs, KeyValue{"Rachunek faktora", accountText(a)})
	}
	if p.Discount != "" {
		kvs = append(kvs, KeyValue{"Skonto", p.Discount})
	}
	if p.Link != "" {
		kvs = append(kvs, KeyValue{"Link do płatności", p.Link})
	}
	if p.IPKSeF != "" {
		kvs = append(kvs, KeyValue{"Identyfikator płatności (IPKSeF)", p.IPKSeF})
	}
	return kvs
}

func accountText(a BankAccount) string {
	s := formatAccount(a.Number)
	if a.SWIFT != "" {
		s += ", SWIFT: " + a.SWIFT
	}
	if a.BankName != "" {
		s += ", " + a.BankName
	}
	if a.Description != "" {
		s += " (" + a.Description + ")"
	}
	return s
}

type partyBox struct {
	title string
	p     Party
}

// partyLine is one printed line of a party box.
type partyLine struct {
	text string
	bold bool
	size float64
}

func partyLines(p Party) []partyLine {
	var ls []partyLine
	add := func(s string, bold bool, size float64) {
		if strings.TrimSpace(s) != "" {
			ls = append(ls, partyLine{s, bold, size})
		}
	}
	add(p.Name, true, 10)
	if p.NIP != "" {
		add("NIP: "+p.NIP, true, 9)
	}
	for _, id := range p.TaxIDs {
		add(id.Key+": "+id.Value, false, 8.5)
	}
	for _, a := range p.Address {
		add(a, false, 8.5)
	}
	if len(p.CorrespondenceAddress) > 0 {
		add("Adres do korespondencji: "+strings.Join(p.CorrespondenceAddress, ", "), false, 7.5)
	}
	for _, e := range p.Emails {
		add("e-mail: "+e, false, 8.5)
	}
	for _, t := range p.Phones {
		add("tel.: "+t, false, 8.5)
	}
	if p.CustomerNumber != "" {
		add("Numer klienta: "+p.CustomerNumber, false, 8.5)
	}
	if p.EORI != "" {
		add("EORI: "+p.EORI, false, 8.5)
	}
	if p.Share != "" {
		add("Udział: "+p.Share+"%", false, 8.5)
	}
	for _, n := range p.Notes {
		add(n, false, 7.5)
	}
	return ls
}

// partyRow draws up to two party boxes side by side, of equal height.
func (w *pdfWriter) partyRow(boxes []partyBox, width float64) {
	const titleH, pad = 15.0, 6.0
	type wrappedLine struct {
		partyLine
		text string
	}
	wrapped := make([][]wrappedLine, len(boxes))
	h := 0.0
	for i, b := range boxes {
		bh := 0.0
		for _, pl := range partyLines(b.p) {
			w.font(pl.bold, pl.size)
			for _, l := range w.wrap(pl.text, width-2*pad) {
				wrapped[i] = append(wrapped[i], wrappedLine{pl, l})
				bh += pl.size * lineGap
			}
		}
		// Parties never span pages: cut absurdly long boxes (names are at
		// most 512 characters in FA(3), so real invoices are not affected).
		limit := bottomY - marginT - 20 - titleH - 2*pad
		for bh > limit && len(wrapped[i]) > 1 {
			last := wrapped[i][len(wrapped[i])-1]
			bh -= last.size * lineGap
			wrapped[i] = wrapped[i][:len(wrapped[i])-1]
		}
		if n := len(wrapped[i]); bh > limit || n > 0 && bh+wrapped[i][n-1].size*lineGap > limit {
			wrapped[i][n-1].text = "…"
		}
		h = max(h, bh)
	}
	h += titleH + 2*pad
	w.ensure(h + 8)
	for i, b := range boxes {
		x := marginL + float64(i)*(width+12)
		w.fillRect(x, w.y, width, titleH, colHeadBg)
		w.strokeRect(x, w.y, width, h, colBorder, 0.7)
		w.font(true, 8)
		w.color(colText)
		w.text(x+pad, w.y+4, strings.ToUpper(b.title))
		y := w.y + titleH + pad
		for _, l := range wrapped[i] {
			w.font(l.bold, l.size)
			w.text(x+pad, y, l.text)
			y += l.size * lineGap
		}
	}
	w.y += h + 8
}

// lineTable draws a table of invoice (or order) lines.
func (w *pdfWriter) lineTable(lines []Line) {
	grossPrices, hasGross, hasDiscount := lineColumns(lines)
	priceTitle := "Cena jedn. netto"
	if grossPrices {
		priceTitle = "Cena jedn. brutto"
	}
	cols := []column{{"Lp.", 22, alignCenter}, {"Nazwa towaru lub usługi", 0, alignLeft},
		{"Ilość", 42, alignRight}, {"J.m.", 32, alignCenter}, {priceTitle, 58, alignRight}}
	if hasDiscount {
		cols = append(cols, column{"Rabat", 46, alignRight})
	}
	cols = append(cols, column{"Wartość netto", 62, alignRight}, column{"Stawka VAT", 36, alignCenter})
	if hasGross {
		cols = append(cols, column{"Wartość brutto", 62, alignRight})
	}
	fixed := 0.0
	for _, c := range cols {
		fixed += c.width
	}
	cols[1].width = contentW - fixed
	var rows []tableRow
	for i, l := range lines {
		no := l.No
		if no == "" {
			no = strconv.Itoa(i + 1)
		}
		var notes []string
		if l.Before {
			notes = append(notes, "stan przed korektą")
		}
		for _, kv := range []KeyValue{{"Indeks", l.Index}, {"GTIN", l.GTIN}, {"PKWiU", l.PKWiU}, {"Data dostawy", l.SaleDate}} {
			if kv.Value != "" {
				notes = append(notes, kv.Key+": "+kv.Value)
			}
		}
		price := l.UnitNetPrice
		if grossPrices {
			price = l.UnitGrossPrice
		}
		cells := []tableCell{{text: no}, {text: l.Name, note: strings.Join(notes, " · ")},
			{text: formatQuantity(l.Quantity)}, {text: l.Unit}, {text: formatAmount(price)}}
		if hasDiscount {
			cells = append(cells, tableCell{text: formatAmount(l.Discount)})
		}
		cells = append(cells, tableCell{text: formatAmount(l.Net)}, tableCell{text: l.VATRate})
		if hasGross {
			cells = append(cells, tableCell{text: formatAmount(l.Gross)})
		}
		rows = append(rows, tableRow{cells: cells, muted: l.Before})
	}
	w.table(marginL, cols, rows)
}
