package fa3

import (
	"encoding/xml"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ksef2/ksef/internal/checksum"
)

// Invoice kinds the builder produces (RodzajFaktury).
const (
	// KindVAT is the basic invoice.
	KindVAT = TRodzajFakturyVAT
	// KindKOR is a correction (faktura korygująca).
	KindKOR = TRodzajFakturyKOR
	// KindZAL is an advance payment invoice (faktura zaliczkowa).
	KindZAL = TRodzajFakturyZAL
	// KindROZ is a settlement invoice after advance payments (art. 106f
	// ust. 3 ustawy o VAT).
	KindROZ = TRodzajFakturyROZ
	// KindUPR is a simplified invoice (art. 106e ust. 5 pkt 3 ustawy o VAT).
	KindUPR = TRodzajFakturyUPR
)

// Simplified invoices (UPR) are allowed up to these gross amounts.
const (
	// MaxSimplifiedPLN is the largest gross amount of a simplified
	// invoice in PLN.
	MaxSimplifiedPLN Money = 450_00
	// MaxSimplifiedEUR is the largest gross amount of a simplified
	// invoice in EUR.
	MaxSimplifiedEUR Money = 100_00
)

// DefaultSystemInfo is written to Naglowek/SystemInfo when
// InvoiceParams.SystemInfo is empty.
const DefaultSystemInfo = "ksef2 Go SDK"

// Party is the seller (Podmiot1) or the buyer (Podmiot2) of an invoice.
type Party struct {
	// NIP is the Polish tax identification number, 10 digits with a valid
	// checksum. The seller's is required; a buyer without one is written
	// with BrakID (a consumer), except on simplified invoices, which
	// require it.
	NIP string `json:"nip,omitempty" yaml:"nip,omitempty"`
	// Name is the name or business name. Required for the seller and,
	// except on simplified invoices, for the buyer.
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// CountryCode is the ISO 3166 country of the address (default "PL").
	CountryCode string `json:"countryCode,omitempty" yaml:"countryCode,omitempty"`
	// AddressLine1 and AddressLine2 are the address (AdresL1, AdresL2).
	// AddressLine1 is required for the seller and for the buyer of every
	// kind but UPR.
	AddressLine1 string `json:"addressLine1,omitempty" yaml:"addressLine1,omitempty"`
	AddressLine2 string `json:"addressLine2,omitempty" yaml:"addressLine2,omitempty"`
	// EUVATNumber identifies a buyer from another EU country instead of
	// a NIP: the VAT number with its country prefix, e.g. "DE123456789"
	// (KodUE, NrVatUE).
	EUVATNumber string `json:"euVatNumber,omitempty" yaml:"euVatNumber,omitempty"`
	// ForeignID identifies another foreign buyer by a tax identifier of
	// its country (NrID, with KodKraju from ForeignIDCountry when given).
	ForeignID        string `json:"foreignId,omitempty" yaml:"foreignId,omitempty"`
	ForeignIDCountry string `json:"foreignIdCountry,omitempty" yaml:"foreignIdCountry,omitempty"`
	// Email and Phone are optional contact data (DaneKontaktowe).
	Email string `json:"email,omitempty" yaml:"email,omitempty"`
	Phone string `json:"phone,omitempty" yaml:"phone,omitempty"`
}

// Line is one invoice line (FaWiersz), or one order line (ZamowienieWiersz)
// of an advance payment invoice.
type Line struct {
	// Name of the goods or service (P_7), required.
	Name string `json:"name" yaml:"name"`
	// Unit of measure (P_8A), e.g. "szt.", "kWh", "h"; optional.
	Unit string `json:"unit,omitempty" yaml:"unit,omitempty"`
	// Quantity (P_8B), at most 6 decimal places. Negative quantities are
	// accepted only on corrections (KOR).
	Quantity Decimal `json:"quantity" yaml:"quantity"`
	// UnitPrice is the net unit price (P_9A), at most 8 decimal places.
	// Negative prices are accepted only on corrections (KOR).
	UnitPrice Decimal `json:"unitPrice" yaml:"unitPrice"`
	// Rate is the VAT rate (P_12), see [ParseRate].
	Rate TStawkaPodatku `json:"rate" yaml:"rate"`
	// GTU is the optional goods and services group code ("GTU_01".."GTU_13").
	GTU string `json:"gtu,omitempty" yaml:"gtu,omitempty"`
	// Index is the seller's optional product code (Indeks).
	Index string `json:"index,omitempty" yaml:"index,omitempty"`
	// Before marks, on a correction, a line describing the state before
	// the correction (StanPrzed); its value is subtracted in the totals.
	Before bool `json:"before,omitempty" yaml:"before,omitempty"`
}

// Payment is the optional payment information (Platnosc).
type Payment struct {
	// DueDate is the payment due date, YYYY-MM-DD (TerminPlatnosci/Termin).
	DueDate string `json:"dueDate,omitempty" yaml:"dueDate,omitempty"`
	// Method is the form of payment (FormaPlatnosci): 1 cash, 2 card,
	// 3 voucher, 4 cheque, 5 credit, 6 transfer, 7 mobile. Zero omits it.
	Method int `json:"method,omitempty" yaml:"method,omitempty"`
	// BankAccount is the account number (NrRB), e.g. an IBAN without
	// spaces; BankName its bank's name (NazwaBanku).
	BankAccount string `json:"bankAccount,omitempty" yaml:"bankAccount,omitempty"`
	BankName    string `json:"bankName,omitempty" yaml:"bankName,omitempty"`
	// PaidOn, when set (YYYY-MM-DD), marks the invoice as paid
	// (Zaplacono, DataZaplaty).
	PaidOn string `json:"paidOn,omitempty" yaml:"paidOn,omitempty"`
}

// TypKorekty values: when a correction takes effect.
const (
	// CorrectionEffectOriginalDate means the correction takes effect in the
	// period of the corrected invoice.
	CorrectionEffectOriginalDate = TTypKorekty_1
	// CorrectionEffectIssueDate means it takes effect in the period the
	// correction is issued.
	CorrectionEffectIssueDate = TTypKorekty_2
	// CorrectionEffectOther means it takes effect at another date.
	CorrectionEffectOther = TTypKorekty_3
)

// Correction identifies the invoice a correction (KOR) corrects.
type Correction struct {
	// Number is the corrected invoice's number (P_2 of that invoice),
	// IssueDate its issue date (P_1), both required.
	Number    string `json:"number" yaml:"number"`
	IssueDate string `json:"issueDate" yaml:"issueDate"`
	// KSeFNumber is the corrected invoice's KSeF number; empty when it
	// was issued outside KSeF (NrKSeFN).
	KSeFNumber string `json:"ksefNumber,omitempty" yaml:"ksefNumber,omitempty"`
	// Reason is the optional reason for the correction (PrzyczynaKorekty).
	Reason string `json:"reason,omitempty" yaml:"reason,omitempty"`
	// Type is the optional TypKorekty: "1", "2" or "3".
	Type TTypKorekty `json:"type,omitempty" yaml:"type,omitempty"`
}

// Advance is the payment documented by an advance payment invoice (ZAL).
// The invoice's lines are the ordered goods or services (Zamowienie); the
// advance is allocated to the VAT rates in proportion to the order's gross
// value per rate, and its tax is computed from the gross amount.
type Advance struct {
	// Amount is the gross amount received (P_15), required and positive.
	Amount Decimal `json:"amount" yaml:"amount"`
	// ReceivedOn is the date the payment was received (P_6), YYYY-MM-DD;
	// optional when equal to the issue date.
	ReceivedOn string `json:"receivedOn,omitempty" yaml:"receivedOn,omitempty"`
}

// RateAmount is a net amount and its tax at one VAT rate.
type RateAmount struct {
	Rate TStawkaPodatku `json:"rate" yaml:"rate"`
	Net  Decimal        `json:"net" yaml:"net"`
	VAT  Decimal        `json:"vat" yaml:"vat"`
}

// AdvanceInvoice is an advance payment invoice settled by a settlement
// invoice (ROZ): its reference (FakturaZaliczkowa) and the amounts per rate
// it already taxed, which the settlement invoice deducts.
type AdvanceInvoice struct {
	// KSeFNumber is the advance invoice's KSeF number; when empty, Number
	// (its P_2) identifies an advance invoice issued outside KSeF.
	KSeFNumber string `json:"ksefNumber,omitempty" yaml:"ksefNumber,omitempty"`
	Number     string `json:"number,omitempty" yaml:"number,omitempty"`
	// Amounts are the net and tax per rate of the advance invoice.
	Amounts []RateAmount `json:"amounts" yaml:"amounts"`
}

// InvoiceParams describes an invoice for [Build]. Dates are YYYY-MM-DD.
type InvoiceParams struct {
	// Kind is VAT (default), KOR, ZAL, ROZ or UPR.
	Kind TRodzajFaktury `json:"kind,omitempty" yaml:"kind,omitempty"`
	// Number is the invoice number (P_2), required.
	Number string `json:"number" yaml:"number"`
	// IssueDate (P_1) is required; IssuePlace (P_1M) is optional.
	IssueDate  string `json:"issueDate" yaml:"issueDate"`
	IssuePlace string `json:"issuePlace,omitempty" yaml:"issuePlace,omitempty"`
	// SaleDate (P_6) is the date of supply when it differs from the
	// issue date; optional.
	SaleDate string `json:"saleDate,omitempty" yaml:"saleDate,omitempty"`
	// Currency is the ISO 4217 code (KodWaluty), default "PLN". Another
	// currency requires ExchangeRate (PLN per unit), used for the tax in
	// PLN (P_14_xW).
	Currency     string  `json:"currency,omitempty" yaml:"currency,omitempty"`
	ExchangeRate Decimal `json:"exchangeRate,omitempty" yaml:"exchangeRate,omitempty"`

	Seller Party `json:"seller" yaml:"seller"`
	Buyer  Party `json:"buyer" yaml:"buyer"`

	// Lines are the invoice lines (for ZAL: the ordered goods or
	// services); at least one is required.
	Lines []Line `json:"lines" yaml:"lines"`

	// CashAccounting (P_16 metoda kasowa), SelfBilling (P_17
	// samofakturowanie) and SplitPayment (P_18A mechanizm podzielonej
	// płatności) set the annotations; P_18 (odwrotne obciążenie) is set
	// when a line has rate "oo".
	CashAccounting bool `json:"cashAccounting,omitempty" yaml:"cashAccounting,omitempty"`
	SelfBilling    bool `json:"selfBilling,omitempty" yaml:"selfBilling,omitempty"`
	SplitPayment   bool `json:"splitPayment,omitempty" yaml:"splitPayment,omitempty"`
	// ExemptionBasis is the legal basis of the exemption (P_19A), required
	// when a line has rate "zw", e.g. "art. 43 ust. 1 pkt 37 ustawy o VAT".
	ExemptionBasis string `json:"exemptionBasis,omitempty" yaml:"exemptionBasis,omitempty"`

	// Payment is optional.
	Payment *Payment `json:"payment,omitempty" yaml:"payment,omitempty"`
	// Correction is required for KOR and not allowed otherwise.
	Correction *Correction `json:"correction,omitempty" yaml:"correction,omitempty"`
	// Advance is required for ZAL and not allowed otherwise.
	Advance *Advance `json:"advance,omitempty" yaml:"advance,omitempty"`
	// AdvanceInvoices are required for ROZ and not allowed otherwise.
	AdvanceInvoices []AdvanceInvoice `json:"advanceInvoices,omitempty" yaml:"advanceInvoices,omitempty"`

	// Notes are additional key/value descriptions (DodatkowyOpis).
	Notes []Note `json:"notes,omitempty" yaml:"notes,omitempty"`
	// Footer is free text printed at the foot of the invoice
	// (Stopka/Informacje/StopkaFaktury).
	Footer string `json:"footer,omitempty" yaml:"footer,omitempty"`

	// SystemInfo names the issuing system (default DefaultSystemInfo).
	SystemInfo string `json:"systemInfo,omitempty" yaml:"systemInfo,omitempty"`
	// Created is DataWytworzeniaFa; zero means now.
	Created time.Time `json:"created,omitzero" yaml:"created,omitempty"`
}

// Note is a key/value description of the invoice (DodatkowyOpis).
type Note struct {
	Key   string `json:"key" yaml:"key"`
	Value string `json:"value" yaml:"value"`
}

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

func (b *builder) text(field, v string, max int, required bool) {
	switch {
	case v == "" && required:
		b.fail("%s is required", field)
	case utf8.RuneCountInString(v) > max:
		b.fail("%s is longer than %d characters", field, max)
	case strings.TrimSpace(v) != v:
		b.fail("%s %q has leading or trailing spaces", field, v)
	}
}

func (b *builder) date(field, v string, required bool) {
	if v == "" {
		if required {
			b.fail("%s is required", field)
		}
		return
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		b.fail("%s %q is not a date (want YYYY-MM-DD)", field, v)
		return
	}
	if d.Year() < 2006 || d.After(time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC)) {
		b.fail("%s %s is outside 2006-01-01..2050-01-01", field, v)
	}
}

func (b *builder) nip(field, v string) {
	if err := checkNIP(v); err != nil {
		b.fail("%s: %v", field, err)
	}
}

func (b *builder) address(field string, p Party, required bool) *TAdres {
	if p.AddressLine1 == "" && p.AddressLine2 == "" && p.CountryCode == "" && !required {
		return nil
	}
	b.text(field+".addressLine1", p.AddressLine1, 512, true)
	b.text(field+".addressLine2", p.AddressLine2, 512, false)
	cc := p.CountryCode
	if cc == "" {
		cc = "PL"
	}
	if len(cc) != 2 || strings.ToUpper(cc) != cc {
		b.fail("%s.countryCode %q is not a two-letter ISO 3166 code", field, cc)
	}
	a := &TAdres{KodKraju: TKodKraju(cc), AdresL1: TZnakowy512(p.AddressLine1)}
	if p.AddressLine2 != "" {
		a.AdresL2 = ptr(TZnakowy512(p.AddressLine2))
	}
	return a
}

func (b *builder) contacts(field string, p Party) (email *TAdresEmail, phone *TNumerTelefonu) {
	if p.Email != "" {
		if !strings.Contains(p.Email, "@") || len(p.Email) < 3 || len(p.Email) > 255 {
			b.fail("%s.email %q is not an e-mail address", field, p.Email)
		}
		email = ptr(TAdresEmail(p.Email))
	}
	if p.Phone != "" {
		b.text(field+".phone", p.Phone, 16, false)
		phone = ptr(TNumerTelefonu(p.Phone))
	}
	return email, phone
}

func (b *builder) seller(p Party) Podmiot1 {
	b.nip("seller.nip", p.NIP)
	b.text("seller.name", p.Name, 512, true)
	var s Podmiot1
	s.DaneIdentyfikacyjne = TPodmiot1{NIP: TNrNIP(p.NIP), Nazwa: TZnakowy512(p.Name)}
	if a := b.address("seller", p, true); a != nil {
		s.Adres = *a
	}
	if e, t := b.contacts("seller", p); e != nil || t != nil {
		s.DaneKontaktowe = []DaneKontaktowe{{Email: e, Telefon: t}}
	}
	return s
}

func (b *builder) buyer(p Party, simplified bool) Podmiot2 {
	var s Podmiot2
	id := &s.DaneIdentyfikacyjne
	ids := 0
	for _, v := range []string{p.NIP, p.EUVATNumber, p.ForeignID} {
		if v != "" {
			ids++
		}
	}
	switch {
	case ids > 1:
		b.fail("buyer: give only one of nip, euVatNumber and foreignId")
	case p.NIP != "" || simplified:
		b.nip("buyer.nip", p.NIP)
		id.NIP = ptr(TNrNIP(p.NIP))
	case p.EUVATNumber != "":
		v := p.EUVATNumber
		if len(v) < 4 || strings.ToUpper(v[:2]) != v[:2] || strings.Trim(v[:2], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			b.fail("buyer.euVatNumber %q must start with a two-letter EU country code", v)
		} else {
			id.KodUE = ptr(TKodyKrajowUE(v[:2]))
			id.NrVatUE = ptr(TNrVatUE(v[2:]))
		}
	case p.ForeignID != "":
		b.text("buyer.foreignId", p.ForeignID, 50, false)
		if p.ForeignIDCountry != "" {
			id.KodKraju = ptr(TKodKraju(p.ForeignIDCountry))
		}
		id.NrID = ptr(p.ForeignID)
	default:
		id.BrakID = ptr(TWybor1_1)
	}
	b.text("buyer.name", p.Name, 512, !simplified)
	if p.Name != "" {
		id.Nazwa = ptr(TZnakowy512(p.Name))
	}
	s.Adres = b.address("buyer", p, !simplified)
	if e, t := b.contacts("buyer", p); e != nil || t != nil {
		s.DaneKontaktowe = []Podmiot2DaneKontaktowe{{Email: e, Telefon: t}}
	}
	s.JST = "2"
	s.GV = "2"
	return s
}

// lines checks the lines and normalises their rates and numbers.
func (b *builder) lines(in []Line, correction bool) []Line {
	if len(in) == 0 {
		b.fail("at least one line is required")
		return nil
	}
	out := make([]Line, len(in))
	for i, l := range in {
		field := fmt.Sprintf("lines[%d]", i+1)
		b.text(field+".name", l.Name, 512, true)
		b.text(field+".unit", l.Unit, 256, false)
		b.text(field+".index", l.Index, 50, false)
		if l.Before && !correction {
			b.fail("%s.before is only allowed on corrections (KOR)", field)
		}
		r, err := ParseRate(string(l.Rate))
		if err != nil {
			b.fail("%s.rate: %v", field, trimPrefix(err))
		}
		l.Rate = r
		q, err := parseDecimal(string(l.Quantity), 6)
		switch {
		case l.Quantity == "":
			b.fail("%s.quantity is required", field)
		case err != nil:
			b.fail("%s.quantity: %v", field, trimPrefix(err))
		case q.Sign() < 0 && !correction:
			b.fail("%s.quantity %s is negative (allowed only on corrections)", field, l.Quantity)
		case q.Sign() == 0 && !correction:
			b.fail("%s.quantity is zero", field)
		default:
			l.Quantity = Decimal(canonicalDecimal(string(l.Quantity)))
		}
		pr, err := parseDecimal(string(l.UnitPrice), 8)
		switch {
		case l.UnitPrice == "":
			b.fail("%s.unitPrice is required", field)
		case err != nil:
			b.fail("%s.unitPrice: %v", field, trimPrefix(err))
		case pr.Sign() < 0 && !correction:
			b.fail("%s.unitPrice %s is negative (allowed only on corrections)", field, l.UnitPrice)
		default:
			l.UnitPrice = Decimal(canonicalDecimal(string(l.UnitPrice)))
		}
		if q != nil && pr != nil {
			if _, err := LineNet(l.Quantity, l.UnitPrice); err != nil {
				b.fail("%s: %v", field, trimPrefix(err))
			}
		}
		if l.GTU != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(l.GTU, "GTU_"))
			if err != nil || !strings.HasPrefix(l.GTU, "GTU_") || len(l.GTU) != 6 || n < 1 || n > 13 {
				b.fail("%s.gtu %q is not GTU_01..GTU_13", field, l.GTU)
			}
		}
		out[i] = l
	}
	return out
}

func faLines(lines []Line) []FaWiersz {
	out := make([]FaWiersz, len(lines))
	for i, l := range lines {
		net, _ := LineNet(l.Quantity, l.UnitPrice) // checked by builder.lines
		w := FaWiersz{
			NrWierszaFa: TNaturalny(strconv.Itoa(i + 1)),
			P_7:         ptr(TZnakowy512(l.Name)),
			P_8B:        ptr(TIlosci(l.Quantity)),
			P_9A:        ptr(TKwotowy2(l.UnitPrice)),
			P_11:        net.kwotowy(),
			P_12:        ptr(l.Rate),
		}
		if l.Unit != "" {
			w.P_8A = ptr(TZnakowy(l.Unit))
		}
		if l.Index != "" {
			w.Indeks = ptr(TZnakowy50(l.Index))
		}
		if l.GTU != "" {
			w.GTU = ptr(TGTU(l.GTU))
		}
		if l.Before {
			w.StanPrzed = ptr(TWybor1_1)
		}
		out[i] = w
	}
	return out
}

func (b *builder) annotations(hasRate map[TStawkaPodatku]bool) Adnotacje {
	yesNo := func(v bool) TWybor1_2 {
		if v {
			return TWybor1_2_1
		}
		return TWybor1_2("2")
	}
	a := Adnotacje{
		P_16:  yesNo(b.p.CashAccounting),
		P_17:  yesNo(b.p.SelfBilling),
		P_18:  yesNo(hasRate[TStawkaPodatkuoo]),
		P_18A: yesNo(b.p.SplitPayment),
		P_23:  TWybor1_2("2"),
	}
	if hasRate[TStawkaPodatkuzw] {
		if b.p.ExemptionBasis == "" {
			b.fail("exemptionBasis (legal basis of the exemption, P_19A) is required for lines with rate zw")
		}
		b.text("exemptionBasis", b.p.ExemptionBasis, 256, false)
		a.Zwolnienie = Zwolnienie{P_19: ptr(TWybor1_1), P_19A: ptr(TZnakowy(b.p.ExemptionBasis))}
	} else {
		if b.p.ExemptionBasis != "" {
			b.fail("exemptionBasis is given but no line has rate zw")
		}
		a.Zwolnienie = Zwolnienie{P_19N: ptr(TWybor1_1)}
	}
	a.NoweSrodkiTransportu = NoweSrodkiTransportu{P_22N: ptr(TWybor1_1)}
	a.PMarzy = PMarzy{P_PMarzyN: ptr(TWybor1_1)}
	return a
}

func (b *builder) payment(p *Payment) *Platnosc {
	out := &Platnosc{}
	b.date("payment.dueDate", p.DueDate, false)
	b.date("payment.paidOn", p.PaidOn, false)
	if p.PaidOn != "" {
		out.Zaplacono = ptr(TWybor1_1)
		out.DataZaplaty = ptr(TData(p.PaidOn))
	}
	if p.DueDate != "" {
		out.TerminPlatnosci = []TerminPlatnosci{{Termin: ptr(TData(p.DueDate))}}
	}
	if p.Method != 0 {
		if p.Method < 1 || p.Method > 7 {
			b.fail("payment.method %d is not 1..7", p.Method)
		}
		out.FormaPlatnosci = ptr(TFormaPlatnosci(strconv.Itoa(p.Method)))
	}
	if p.BankAccount != "" {
		acct := strings.ReplaceAll(p.BankAccount, " ", "")
		if len(acct) < 10 || len(acct) > 34 {
			b.fail("payment.bankAccount %q must have 10 to 34 characters", p.BankAccount)
		}
		ra := TRachunekBankowy{NrRB: TNrRB(acct)}
		if p.BankName != "" {
			b.text("payment.bankName", p.BankName, 256, false)
			ra.NazwaBanku = ptr(TZnakowy(p.BankName))
		}
		out.RachunekBankowy = []TRachunekBankowy{ra}
	} else if p.BankName != "" {
		b.fail("payment.bankName is given without payment.bankAccount")
	}
	return out
}

func (b *builder) correction(fa *Fa, c *Correction) {
	if c == nil {
		b.fail("correction (the corrected invoice) is required for KOR")
		return
	}
	b.text("correction.number", c.Number, 256, true)
	b.date("correction.issueDate", c.IssueDate, true)
	b.text("correction.reason", c.Reason, 256, false)
	d := DaneFaKorygowanej{DataWystFaKorygowanej: TDataT(c.IssueDate), NrFaKorygowanej: TZnakowy(c.Number)}
	if c.KSeFNumber != "" {
		if err := checkKSeFNumber(c.KSeFNumber); err != nil {
			b.fail("correction.ksefNumber: %v", err)
		}
		d.NrKSeF = ptr(TWybor1_1)
		d.NrKSeFFaKorygowanej = ptr(TNumerKSeF(c.KSeFNumber))
	} else {
		d.NrKSeFN = ptr(TWybor1_1)
	}
	fa.DaneFaKorygowanej = []DaneFaKorygowanej{d}
	if c.Reason != "" {
		fa.PrzyczynaKorekty = ptr(TZnakowy(c.Reason))
	}
	switch c.Type {
	case "":
	case TTypKorekty_1, TTypKorekty_2, TTypKorekty_3:
		fa.TypKorekty = ptr(c.Type)
	default:
		b.fail("correction.type %q is not 1, 2 or 3", c.Type)
	}
}

// advance fills an advance payment invoice: the order (Zamowienie) from
// the lines and the advance allocated to the rates.
func (b *builder) advance(fa *Fa, a *Advance, lines []Line, order *Totals, pln *big.Rat) *Totals {
	if a == nil {
		b.fail("advance (the amount received) is required for ZAL")
		return order
	}
	b.date("advance.receivedOn", a.ReceivedOn, false)
	amount, err := parseDecimal(string(a.Amount), 2)
	if err != nil || amount.Sign() <= 0 {
		b.fail("advance.amount %q must be a positive amount with at most 2 decimal places", a.Amount)
		return order
	}
	gross := roundHalfUp(amount)
	if gross > order.Gross {
		b.fail("advance.amount %s exceeds the order's gross value %s", gross, order.Gross)
		return order
	}
	if a.ReceivedOn != "" {
		fa.P_6 = ptr(TDataT(a.ReceivedOn))
	}
	zam := &Zamowienie{WartoscZamowienia: TKwotowy(order.Gross.String())}
	for i, l := range lines {
		net, _ := LineNet(l.Quantity, l.UnitPrice)
		w := ZamowienieWiersz{
			NrWierszaZam: TNaturalny(strconv.Itoa(i + 1)),
			P_7Z:         ptr(TZnakowy512(l.Name)),
			P_8BZ:        ptr(TIlosci(l.Quantity)),
			P_9AZ:        ptr(TKwotowy2(l.UnitPrice)),
			P_11NettoZ:   net.kwotowy(),
			P_11VatZ:     VATOf(net, l.Rate).kwotowy(),
			P_12Z:        ptr(l.Rate),
		}
		if l.Unit != "" {
			w.P_8AZ = ptr(TZnakowy(l.Unit))
		}
		if l.Index != "" {
			w.IndeksZ = ptr(TZnakowy50(l.Index))
		}
		if l.GTU != "" {
			w.GTUZ = ptr(TGTU(l.GTU))
		}
		zam.ZamowienieWiersz = append(zam.ZamowienieWiersz, w)
	}
	fa.Zamowienie = zam
	if pln != nil {
		fa.KursWalutyZ = ptr(TIlosci(canonicalDecimal(string(b.p.ExchangeRate))))
	}
	return AllocateAdvance(gross, order)
}

// AllocateAdvance splits a gross advance payment over the VAT rates of an
// order in proportion to the order's gross value per rate (the last rate
// takes the rounding remainder) and computes the tax contained in each
// part: VAT = round(gross × rate / (100 + rate), 2), half-up.
func AllocateAdvance(gross Money, order *Totals) *Totals {
	t := &Totals{}
	left := gross
	for i, r := range order.Rates {
		part := left
		if i < len(order.Rates)-1 && order.Gross != 0 {
			num := new(big.Int).Mul(big.NewInt(int64(gross)), big.NewInt(int64(r.Gross())))
			part = roundHalfUp(new(big.Rat).SetFrac(num, new(big.Int).Mul(big.NewInt(int64(order.Gross)), big.NewInt(100))))
		}
		left -= part
		vat := vatOfGross(part, r.Rate)
		rt := RateTotal{Rate: r.Rate, Net: part - vat, VAT: vat}
		t.Rates = append(t.Rates, rt)
		t.Net += rt.Net
		t.VAT += rt.VAT
	}
	t.Gross = t.Net + t.VAT
	return t
}

// settlement fills a settlement invoice: the references to the advance
// invoices and the totals less what they already taxed.
func (b *builder) settlement(fa *Fa, adv []AdvanceInvoice, total *Totals) *Totals {
	if len(adv) == 0 {
		b.fail("advanceInvoices (the advance invoices settled) are required for ROZ")
		return total
	}
	deducted := map[TStawkaPodatku][2]Money{}
	for i, a := range adv {
		field := fmt.Sprintf("advanceInvoices[%d]", i+1)
		var ref FakturaZaliczkowa
		switch {
		case a.KSeFNumber != "":
			if err := checkKSeFNumber(a.KSeFNumber); err != nil {
				b.fail("%s.ksefNumber: %v", field, err)
			}
			ref.NrKSeFFaZaliczkowej = ptr(TNumerKSeF(a.KSeFNumber))
		case a.Number != "":
			b.text(field+".number", a.Number, 256, true)
			ref.NrKSeFZN = ptr(TWybor1_1)
			ref.NrFaZaliczkowej = ptr(TZnakowy(a.Number))
		default:
			b.fail("%s needs ksefNumber or number", field)
		}
		fa.FakturaZaliczkowa = append(fa.FakturaZaliczkowa, ref)
		if len(a.Amounts) == 0 {
			b.fail("%s.amounts are required", field)
		}
		for j, ra := range a.Amounts {
			af := fmt.Sprintf("%s.amounts[%d]", field, j+1)
			r, err := ParseRate(string(ra.Rate))
			if err != nil {
				b.fail("%s.rate: %v", af, trimPrefix(err))
				continue
			}
			if total.Rate(r).Net == 0 && total.Rate(r).VAT == 0 {
				b.fail("%s.rate %s does not occur in the lines", af, r)
			}
			net, err1 := ParseMoney(string(ra.Net))
			vat, err2 := ParseMoney(string(ra.VAT))
			if err1 != nil || err2 != nil {
				b.fail("%s: net and vat must be amounts with at most 2 decimal places", af)
				continue
			}
			d := deducted[r]
			deducted[r] = [2]Money{d[0] + net, d[1] + vat}
		}
	}
	t := &Totals{}
	for _, r := range total.Rates {
		d := deducted[r.Rate]
		rt := RateTotal{Rate: r.Rate, Net: r.Net - d[0], VAT: r.VAT - d[1]}
		if rt.Net < 0 || rt.VAT < 0 {
			b.fail("advances at rate %s (net %s, VAT %s) exceed the invoice's (net %s, VAT %s)", r.Rate, d[0], d[1], r.Net, r.VAT)
		}
		t.Rates = append(t.Rates, rt)
		t.Net += rt.Net
		t.VAT += rt.VAT
	}
	t.Gross = t.Net + t.VAT
	return t
}

// checkNIP checks a NIP's shape and checksum (weights 6,5,7,2,3,4,5,6,7,
// sum modulo 11 equals the last digit), with the check digit of
// internal/checksum that ksef.ParseNIP uses too (fa3 does not import the
// root package).
func checkNIP(s string) error {
	if s == "" {
		return errors.New("NIP is required")
	}
	if len(s) != 10 || strings.Trim(s, "0123456789") != "" {
		return fmt.Errorf("NIP %q must be 10 digits", s)
	}
	if s[0] == '0' || (s[1] == '0' && s[2] == '0') {
		return fmt.Errorf("NIP %q is not a valid NIP", s)
	}
	if checksum.NIPCheckDigit(s) != int(s[9]-'0') {
		return fmt.Errorf("NIP %q has a wrong checksum", s)
	}
	return nil
}

// checkKSeFNumber checks a 35-character KSeF number's shape and CRC-8
// (polynomial 0x07 over the first 32 characters), or a legacy
// 36-character number's shape.
func checkKSeFNumber(s string) error {
	if len(s) == 36 && s[10] == '-' && s[19] == '-' && s[26] == '-' && s[33] == '-' {
		return nil
	}
	if len(s) != 35 || s[10] != '-' || s[19] != '-' || s[32] != '-' {
		return fmt.Errorf("KSeF number %q must look like NNNNNNNNNN-YYYYMMDD-XXXXXXXXXXXX-CC", s)
	}
	if strings.Trim(s[:10]+s[11:19], "0123456789") != "" || strings.Trim(s[20:32]+s[33:], "0123456789ABCDEF") != "" {
		return fmt.Errorf("KSeF number %q has invalid characters", s)
	}
	if want := checksum.CRC8Hex(s[:32]); want != s[33:] {
		return fmt.Errorf("KSeF number %q has a wrong checksum (want %s)", s, want)
	}
	return nil
}
