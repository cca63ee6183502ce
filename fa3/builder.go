package fa3

import (
	"encoding/xml"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"
)

// BuildError lists every problem found in the InvoiceParams given to
// [Build] before an invoice was assembled.
type BuildError struct {
	Problems []string
}

// Error joins the problems, one per line, each prefixed with "fa3: ".
func (e *BuildError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("fa3: ")
		b.WriteString(p)
	}
	return b.String()
}

// builder collects problems while filling the model.
type builder struct {
	p        *InvoiceParams
	problems []string
}

func (b *builder) fail(format string, args ...any) {
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

// Build assembles an FA(3) invoice of the common kinds (VAT, KOR, ZAL, ROZ,
// UPR) from p: header, parties, per-rate totals computed exactly
// ([ComputeTotals]), annotations, lines and payment. It checks the input
// first (a *[BuildError] lists every problem, e.g. a NIP with a wrong
// checksum or a line without a name) and then validates the result against
// the schema (a *[ValidationError] on failure), so a nil error means the
// invoice marshals to a schema-valid document.
func Build(p InvoiceParams) (*Faktura, error) {
	f, err := assemble(&p)
	if err != nil {
		return nil, err
	}
	doc, err := f.Marshal()
	if err != nil {
		return nil, err
	}
	if err := ValidateBytes(doc); err != nil {
		return nil, err
	}
	return f, nil
}

// BuildXML is [Build] returning the validated document: UTF-8 with an
// XML declaration, indented by two spaces, ending with a newline.
func BuildXML(p InvoiceParams) ([]byte, error) {
	f, err := assemble(&p)
	if err != nil {
		return nil, err
	}
	body, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("fa3: marshalling invoice: %w", err)
	}
	doc := append([]byte(xml.Header), body...)
	doc = append(doc, '\n')
	if err := ValidateBytes(doc); err != nil {
		return nil, err
	}
	return doc, nil
}

func assemble(p *InvoiceParams) (*Faktura, error) {
	b := &builder{p: p}
	kind := p.Kind
	if kind == "" {
		kind = KindVAT
	}
	switch kind {
	case KindVAT, KindKOR, KindZAL, KindROZ, KindUPR:
	default:
		b.fail("kind %q is not supported (want VAT, KOR, ZAL, ROZ or UPR)", kind)
	}
	currency := p.Currency
	if currency == "" {
		currency = "PLN"
	}
	var pln *big.Rat
	if currency != "PLN" {
		if p.ExchangeRate == "" {
			b.fail("currency %s: exchangeRate (PLN per unit) is required", currency)
		} else if r, err := parseDecimal(string(p.ExchangeRate), 6); err != nil || r.Sign() <= 0 {
			b.fail("exchangeRate %q must be a positive decimal with at most 6 decimal places", p.ExchangeRate)
		} else {
			pln = r
		}
	}
	b.text("number", p.Number, 256, true)
	b.date("issueDate", p.IssueDate, true)
	b.date("saleDate", p.SaleDate, false)
	b.text("issuePlace", p.IssuePlace, 256, false)

	f := &Faktura{}
	f.Naglowek = TNaglowek{
		KodFormularza:     KodFormularza{Value: TKodFormularzaFA, KodSystemowy: "FA (3)", WersjaSchemy: "1-0E"},
		WariantFormularza: "3",
	}
	created := p.Created
	if created.IsZero() {
		created = time.Now()
	}
	if created.Before(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)) || created.After(time.Date(2050, 1, 1, 23, 59, 59, 0, time.UTC)) {
		b.fail("created %s is outside 2025-09-01..2050-01-01 (DataWytworzeniaFa)", created.UTC().Format(time.RFC3339))
	}
	f.Naglowek.DataWytworzeniaFa = created.UTC().Format("2006-01-02T15:04:05Z")
	sys := TZnakowy(p.SystemInfo)
	if sys == "" {
		sys = DefaultSystemInfo
	}
	f.Naglowek.SystemInfo = &sys

	f.Podmiot1 = b.seller(p.Seller)
	f.Podmiot2 = b.buyer(p.Buyer, kind == KindUPR)

	fa := &f.Fa
	fa.KodWaluty = TKodWaluty(currency)
	fa.P_1 = TDataT(p.IssueDate)
	if p.IssuePlace != "" {
		fa.P_1M = ptr(TZnakowy(p.IssuePlace))
	}
	fa.P_2 = TZnakowy(p.Number)
	if p.SaleDate != "" {
		fa.P_6 = ptr(TDataT(p.SaleDate))
	}
	fa.RodzajFaktury = kind

	lines := b.lines(p.Lines, kind == KindKOR)
	hasRate := map[TStawkaPodatku]bool{}
	for _, l := range lines {
		hasRate[l.Rate] = true
	}
	fa.Adnotacje = b.annotations(hasRate)
	if hasRate[TStawkaPodatku_0_WDT] {
		// An intra-Community supply states the seller's EU VAT prefix.
		f.Podmiot1.PrefiksPodatnika = ptr(TKodyKrajowUE("PL"))
	}

	if kind != KindKOR && p.Correction != nil {
		b.fail("correction is only allowed on KOR invoices")
	}
	if kind != KindZAL && p.Advance != nil {
		b.fail("advance is only allowed on ZAL invoices")
	}
	if kind != KindROZ && len(p.AdvanceInvoices) > 0 {
		b.fail("advanceInvoices are only allowed on ROZ invoices")
	}
	if len(b.problems) > 0 {
		return nil, &BuildError{Problems: b.problems}
	}

	totals, err := ComputeTotals(lines)
	if err != nil {
		return nil, &BuildError{Problems: []string{trimPrefix(err).Error()}}
	}
	switch kind {
	case KindKOR:
		b.correction(fa, p.Correction)
		fa.FaWiersz = faLines(lines)
	case KindZAL:
		totals = b.advance(fa, p.Advance, lines, totals, pln)
	case KindROZ:
		totals = b.settlement(fa, p.AdvanceInvoices, totals)
		fa.FaWiersz = faLines(lines)
	case KindUPR:
		limit := MaxSimplifiedPLN
		switch currency {
		case "PLN":
		case "EUR":
			limit = MaxSimplifiedEUR
		default:
			b.fail("simplified invoices (UPR) must be in PLN or EUR, not %s", currency)
		}
		if totals.Gross > limit {
			b.fail("simplified invoice (UPR) gross amount %s %s exceeds %s %s", totals.Gross, currency, limit, currency)
		}
		fa.FaWiersz = faLines(lines)
	default:
		if totals.Gross < 0 {
			b.fail("gross total %s is negative", totals.Gross)
		}
		fa.FaWiersz = faLines(lines)
	}
	for i, n := range p.Notes {
		b.text(fmt.Sprintf("notes[%d].key", i+1), n.Key, 256, true)
		b.text(fmt.Sprintf("notes[%d].value", i+1), n.Value, 256, true)
		fa.DodatkowyOpis = append(fa.DodatkowyOpis, TKluczWartosc{Klucz: TZnakowy(n.Key), Wartosc: TZnakowy(n.Value)})
	}
	if p.Payment != nil {
		fa.Platnosc = b.payment(p.Payment)
	}
	if p.Footer != "" {
		if utf8.RuneCountInString(p.Footer) > 3500 {
			b.fail("footer is longer than 3500 characters")
		}
		f.Stopka = &Stopka{Informacje: []Informacje{{StopkaFaktury: ptr(TTekstowy(p.Footer))}}}
	}
	if len(b.problems) > 0 {
		return nil, &BuildError{Problems: b.problems}
	}
	setSummary(fa, totals, pln)
	return f, nil
}

func ptr[T any](v T) *T { return &v }
