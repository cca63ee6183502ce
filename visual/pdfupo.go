package visual

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ksef2/ksef/upo"
)

// RenderUPOPDF writes a UPO (of one invoice or a session page) as an A4 PDF:
// the session and its context, then the table of accepted documents with
// their KSeF numbers, dates and hashes. The output has no timestamps of its
// own: equal UPOs give byte-identical files.
func RenderUPOPDF(w io.Writer, u *upo.UPO) error {
	b, err := UPOPDF(u)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// UPOPDF is [RenderUPOPDF] returning the bytes.
func UPOPDF(u *upo.UPO) ([]byte, error) {
	w, err := newPDFWriter("UPO " + u.SessionReferenceNumber)
	if err != nil {
		return nil, err
	}
	top := w.y
	w.font(true, 18)
	w.color(colText)
	w.text(marginL, w.y, "Urzędowe Poświadczenie Odbioru")
	w.y += 22
	w.font(false, 9)
	w.color(colMuted)
	w.text(marginL, w.y, "dokumentów elektronicznych przesłanych do Krajowego Systemu e-Faktur")
	w.y += 14
	left := w.y
	w.y = top
	kind := "UPO faktury"
	if u.IsSessionUPO() {
		kind = "UPO sesji"
	}
	meta := []KeyValue{{"Rodzaj", kind}}
	count := strconv.Itoa(len(u.Documents))
	if p := u.Page; p != nil {
		meta = append(meta, KeyValue{"Strona", strconv.Itoa(p.Page) + " z " + strconv.Itoa(p.PageCount)})
		count += " (łącznie " + strconv.Itoa(p.TotalDocuments) + ")"
	}
	meta = append(meta, KeyValue{"Liczba dokumentów", count})
	metaX := marginL + contentW - 150
	w.headerMeta(meta, metaX, left, 8)

	w.sectionTitle("Dane sesji", 40)
	kvs := []KeyValue{
		{"Podmiot przyjmujący", u.ReceivingEntity},
		{"Numer referencyjny sesji", u.SessionReferenceNumber},
		{"Kontekst (" + contextLabel(u.Authentication.Context.Type) + ")", u.Authentication.Context.Value},
	}
	if v := u.Authentication.KSeFTokenReferenceNumber; v != "" {
		kvs = append(kvs, KeyValue{"Uwierzytelnienie tokenem KSeF", v})
	}
	if v := u.Authentication.AuthenticationDocumentHash; v != "" {
		kvs = append(kvs, KeyValue{"Skrót dokumentu uwierzytelniającego", v})
	}
	kvs = append(kvs, KeyValue{"Struktura logiczna", u.LogicalStructureName}, KeyValue{"Kod formularza", u.FormCode})
	if p := u.Page; p != nil {
		kvs = append(kvs, KeyValue{"Zakres dokumentów", strconv.Itoa(p.FirstDocument) + "–" + strconv.Itoa(p.EndDocument)})
	}
	sig := "brak podpisu w dokumencie"
	if u.Signed {
		sig = "dokument zawiera podpis (nie weryfikowano)"
	}
	kvs = append(kvs, KeyValue{"Podpis elektroniczny", sig})
	w.keyValues(marginL, contentW, 170, kvs)

	w.sectionTitle("Przyjęte dokumenty", 50)
	cols := []column{{"Lp.", 20, alignCenter}, {"Numer KSeF / skrót dokumentu", 186, alignLeft},
		{"Numer faktury", 0, alignLeft}, {"Data przesłania", 70, alignLeft},
		{"Data nadania numeru KSeF", 70, alignLeft}, {"Tryb", 34, alignCenter}}
	fixed := 0.0
	for _, c := range cols {
		fixed += c.width
	}
	cols[2].width = contentW - fixed
	var rows []tableRow
	for i, d := range u.Documents {
		rows = append(rows, tableRow{cells: []tableCell{
			{text: strconv.Itoa(i + 1)},
			{text: d.KSeFNumber, note: "Skrót dokumentu (SHA-256):\n" + d.DocumentHash},
			{text: d.InvoiceNumber, note: "NIP sprzedawcy: " + d.SellerNIP + "\nData wystawienia: " + d.IssueDate.Format("2006-01-02")},
			{text: timestampLines(d.SubmittedAt)}, {text: timestampLines(d.KSeFNumberAssignedAt)},
			{text: string(d.Mode)},
		}})
	}
	w.table(marginL, cols, rows)
	return w.finish("UPO · sesja " + u.SessionReferenceNumber)
}

// timestampLines prints a timestamp as date and time on two lines.
func timestampLines(t time.Time) string {
	return strings.Replace(formatTimestamp(t), " ", "\n", 1)
}
