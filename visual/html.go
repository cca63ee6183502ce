package visual

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"sync"
	"time"

	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/qr"
	"github.com/ksef2/ksef/upo"
)

//go:embed templates/*.gohtml
var templateFS embed.FS

// templates are the parsed HTML templates, parsed on first use so that a
// program importing visual does not parse them at start-up.
var templates = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Funcs(template.FuncMap{
		"amount":    formatAmount,
		"qty":       formatQuantity,
		"account":   formatAccount,
		"inc":       func(i int) int { return i + 1 },
		"date":      func(t time.Time) string { return t.Format(time.DateOnly) },
		"timestamp": formatTimestamp,
		"party": func(title string, p Party) partyData {
			return partyData{Title: title, P: p}
		},
	}).ParseFS(templateFS, "templates/*.gohtml"))
})

type partyData struct {
	Title string
	P     Party
}

// qrView is one QR code as the HTML template prints it.
type qrView struct {
	SVG   template.HTML
	Label string
	Link  string
}

// invoiceData is what the invoice template sees.
type invoiceData struct {
	Inv        *Invoice
	SaleLabel  string
	Currency   string
	Total      grandTotal
	Lines      *linesData
	OrderLines *linesData
	HasVATPLN  bool
	QR         []qrView
}

// Labels printed under the QR codes.
const (
	// LabelOffline is printed under KOD I when the invoice has no KSeF number yet.
	LabelOffline = qr.LabelOffline
	// LabelCertificate is printed under KOD II.
	LabelCertificate = qr.LabelCertificate
)

// qrCode is a QR code to print: the link and its label.
type qrCode struct{ link, label string }

// qrCodes lists the codes the invoice carries: KOD I when a verification link
// is set (labelled with the KSeF number or OFFLINE), then KOD II when a
// certificate link is set.
func (inv *Invoice) qrCodes() []qrCode {
	var codes []qrCode
	if inv.VerificationLink != "" {
		codes = append(codes, qrCode{inv.VerificationLink, qr.InvoiceLabel(inv.KSeFNumber)})
	}
	if inv.CertificateLink != "" {
		codes = append(codes, qrCode{inv.CertificateLink, LabelCertificate})
	}
	return codes
}

func (inv *Invoice) currency() string {
	if inv.Currency == "" {
		return "PLN"
	}
	return inv.Currency
}

// saleDateLabel names P_6: on advance invoices it is the date the payment
// was received, otherwise the date of delivery or of the service.
func (inv *Invoice) saleDateLabel() string {
	if inv.Kind == "ZAL" || inv.Kind == "KOR_ZAL" {
		return "Data otrzymania zapłaty"
	}
	return "Data dostawy / wykonania usługi"
}

// lineColumns reports which optional columns a table of lines needs:
// gross unit prices (when no line has a net price), a gross value column
// and a discount column.
func lineColumns(lines []Line) (grossPrices, hasGross, hasDiscount bool) {
	grossPrices = len(lines) > 0
	for _, l := range lines {
		if l.UnitNetPrice != "" || l.UnitGrossPrice == "" {
			grossPrices = false
		}
		hasGross = hasGross || l.Gross != ""
		hasDiscount = hasDiscount || l.Discount != ""
	}
	return
}

// linesData is what the line-table template sees.
type linesData struct {
	Lines                              []Line
	GrossPrices, HasGross, HasDiscount bool
}

func newLinesData(lines []Line) *linesData {
	if len(lines) == 0 {
		return nil
	}
	d := &linesData{Lines: lines}
	d.GrossPrices, d.HasGross, d.HasDiscount = lineColumns(lines)
	return d
}

// RenderInvoiceHTML writes the invoice as one self-contained HTML page
// (inline CSS, QR codes as inline SVG, no external resources). All text from
// the invoice is HTML-escaped. The output depends only on inv.
func RenderInvoiceHTML(w io.Writer, inv *Invoice) error {
	d := invoiceData{Inv: inv, Currency: inv.currency(), SaleLabel: inv.saleDateLabel()}
	d.Total = newGrandTotal(inv.Totals.Gross, d.Currency)
	d.Lines = newLinesData(inv.Lines)
	if inv.Order != nil {
		d.OrderLines = newLinesData(inv.Order.Lines)
	}
	for _, r := range inv.VATSummary {
		d.HasVATPLN = d.HasVATPLN || r.VATPLN != ""
	}
	for _, c := range inv.qrCodes() {
		svg, err := qrSVG(c.link, 180)
		if err != nil {
			return err
		}
		d.QR = append(d.QR, qrView{SVG: template.HTML(svg), Label: c.label, Link: c.link})
	}
	if err := templates().ExecuteTemplate(w, "invoice.gohtml", d); err != nil {
		return fmt.Errorf("visual: render invoice HTML: %w", err)
	}
	return nil
}

// upoData is what the UPO template sees.
type upoData struct {
	U            *upo.UPO
	ContextLabel string
}

// RenderUPOHTML writes a UPO (of one invoice or a session page) as one
// self-contained HTML page.
func RenderUPOHTML(w io.Writer, u *upo.UPO) error {
	d := upoData{U: u, ContextLabel: contextLabel(u.Authentication.Context.Type)}
	if err := templates().ExecuteTemplate(w, "upo.gohtml", d); err != nil {
		return fmt.Errorf("visual: render UPO HTML: %w", err)
	}
	return nil
}

func contextLabel(t ident.Type) string {
	switch t {
	case ident.TypeNip:
		return "NIP"
	case ident.TypeInternalID:
		return "identyfikator wewnętrzny"
	case ident.TypeNipVatUe:
		return "NIP + numer VAT UE"
	case ident.TypePeppolID:
		return "dostawca usług Peppol"
	default:
		return string(t)
	}
}

// formatTimestamp prints a UPO timestamp in the offset it was given in.
func formatTimestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02 15:04:05 -07:00")
}
