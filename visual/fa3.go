package visual

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/ksef2/ksef/fa3"
)

// ErrNotInvoice reports a document that is not an FA(2)/FA(3) invoice
// (root element Faktura in one of the known namespaces).
var ErrNotInvoice = errors.New("visual: not an FA invoice")

// Namespaces of the structured invoice schemas FromFA3 reads. FA(2) shares
// the element names this package renders, so its invoices render too.
const (
	NamespaceFA3 = "http://crd.gov.pl/wzor/2025/06/25/13775/"
	NamespaceFA2 = "http://crd.gov.pl/wzor/2023/06/29/12648/"
)

// FromFA3 parses an FA(3) invoice with [fa3.Parse] and builds its view
// model with [FromFaktura]. FA(2) invoices are read too: their namespace is
// mapped onto FA(3), whose elements carry the same names for everything
// printed here (FA(2)-only elements are ignored).
//
// FromFA3 does not validate the invoice against its schema (see
// [fa3.Validate]); it fails only when the document is not well-formed XML
// or is not an FA invoice, and prints what it finds.
func FromFA3(doc []byte) (*Invoice, error) {
	space, local, err := rootName(doc)
	if err != nil {
		return nil, fmt.Errorf("visual: parse invoice: %w", err)
	}
	if local != "Faktura" || (space != NamespaceFA3 && space != NamespaceFA2) {
		return nil, fmt.Errorf("%w: root element {%s}%s", ErrNotInvoice, space, local)
	}
	if space == NamespaceFA2 {
		doc = bytes.ReplaceAll(doc, []byte(NamespaceFA2), []byte(NamespaceFA3))
	}
	f, err := fa3.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("visual: %w", err)
	}
	inv := FromFaktura(f)
	if space == NamespaceFA2 && inv.FormCode == "" {
		inv.FormCode = "FA (2)"
	}
	return inv, nil
}

// rootName returns the name of the document's root element.
func rootName(doc []byte) (space, local string, err error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", "", err
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Space, se.Name.Local, nil
		}
	}
}

// str returns the collapsed text of an optional element ("" when absent).
func str[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return clean(string(*p))
}

// val returns the collapsed text of a required element.
func val[T ~string](v T) string { return clean(string(v)) }

// clean collapses whitespace runs (including line breaks) to single spaces.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

// FromFaktura builds the view model of a parsed FA(3) invoice. The KSeF
// number and the QR links are not part of the invoice: set KSeFNumber,
// VerificationLink and CertificateLink on the result.
func FromFaktura(f *fa3.Faktura) *Invoice {
	fa := &f.Fa
	inv := &Invoice{
		Kind:         val(fa.RodzajFaktury),
		FormCode:     clean(f.Naglowek.KodFormularza.KodSystemowy),
		Number:       val(fa.P_2),
		IssueDate:    val(fa.P_1),
		IssuePlace:   str(fa.P_1M),
		SaleDate:     str(fa.P_6),
		Currency:     val(fa.KodWaluty),
		ExchangeRate: str(fa.KursWalutyZ),
	}
	inv.Title = invoiceTitle(inv.Kind)
	if fa.OkresFa != nil {
		inv.PeriodFrom, inv.PeriodTo = val(fa.OkresFa.P_6_Od), val(fa.OkresFa.P_6_Do)
	}

	p1 := &f.Podmiot1
	seller := partySrc{
		prefix: str(p1.PrefiksPodatnika), eori: str(p1.NrEORI),
		nip: val(p1.DaneIdentyfikacyjne.NIP), name: val(p1.DaneIdentyfikacyjne.Nazwa),
		address: addrSrc{val(p1.Adres.KodKraju), val(p1.Adres.AdresL1), str(p1.Adres.AdresL2), str(p1.Adres.GLN)}.lines(),
	}
	if a := p1.AdresKoresp; a != nil {
		seller.corr = addrSrc{val(a.KodKraju), val(a.AdresL1), str(a.AdresL2), str(a.GLN)}.lines()
	}
	for _, k := range p1.DaneKontaktowe {
		seller.contact(str(k.Email), str(k.Telefon))
	}
	inv.Seller = seller.view()
	if s := statusInfo[str(p1.StatusInfoPodatnika)]; s != "" {
		inv.Seller.Notes = append(inv.Seller.Notes, s)
	}

	p2 := &f.Podmiot2
	buyer := ids(p2.DaneIdentyfikacyjne.NIP, nil, p2.DaneIdentyfikacyjne.KodUE, p2.DaneIdentyfikacyjne.NrVatUE,
		p2.DaneIdentyfikacyjne.KodKraju, p2.DaneIdentyfikacyjne.NrID, p2.DaneIdentyfikacyjne.BrakID, p2.DaneIdentyfikacyjne.Nazwa)
	buyer.eori, buyer.customer, buyer.buyerID = str(p2.NrEORI), str(p2.NrKlienta), str(p2.IDNabywcy)
	buyer.address, buyer.corr = addrLines(p2.Adres), addrLines(p2.AdresKoresp)
	for _, k := range p2.DaneKontaktowe {
		buyer.contact(str(k.Email), str(k.Telefon))
	}
	inv.Buyer = buyer.view()

	for i := range f.Podmiot3 {
		p3 := &f.Podmiot3[i]
		d := &p3.DaneIdentyfikacyjne
		third := ids(d.NIP, d.IDWew, d.KodUE, d.NrVatUE, d.KodKraju, d.NrID, d.BrakID, d.Nazwa)
		third.eori, third.customer, third.buyerID, third.share = str(p3.NrEORI), str(p3.NrKlienta), str(p3.IDNabywcy), str(p3.Udzial)
		third.address, third.corr = addrLines(p3.Adres), addrLines(p3.AdresKoresp)
		for _, k := range p3.DaneKontaktowe {
			third.contact(str(k.Email), str(k.Telefon))
		}
		v := third.view()
		v.Role = thirdPartyRoles[str(p3.Rola)]
		if v.Role == "" {
			v.Role = str(p3.OpisRoli)
		}
		if v.Role == "" {
			v.Role = "Podmiot trzeci"
		}
		inv.ThirdParties = append(inv.ThirdParties, v)
	}
	if pu := f.PodmiotUpowazniony; pu != nil {
		auth := partySrc{
			eori: str(pu.NrEORI), nip: val(pu.DaneIdentyfikacyjne.NIP), name: val(pu.DaneIdentyfikacyjne.Nazwa),
			address: addrSrc{val(pu.Adres.KodKraju), val(pu.Adres.AdresL1), str(pu.Adres.AdresL2), str(pu.Adres.GLN)}.lines(),
			corr:    addrLines(pu.AdresKoresp),
		}
		for _, k := range pu.DaneKontaktowe {
			auth.contact(str(k.EmailPU), str(k.TelefonPU))
		}
		v := auth.view()
		v.Role = authorizedRoles[val(pu.RolaPU)]
		if v.Role == "" {
			v.Role = "Podmiot upoważniony"
		}
		inv.AuthorizedParty = &v
	}

	if isCorrection(inv.Kind) || fa.PrzyczynaKorekty != nil || len(fa.DaneFaKorygowanej) > 0 {
		c := &Correction{
			Reason: str(fa.PrzyczynaKorekty),
			Type:   correctionTypes[str(fa.TypKorekty)],
			Period: str(fa.OkresFaKorygowanej),
		}
		for _, d := range fa.DaneFaKorygowanej {
			ci := CorrectedInvoice{Number: val(d.NrFaKorygowanej), IssueDate: val(d.DataWystFaKorygowanej), KSeFNumber: str(d.NrKSeFFaKorygowanej)}
			if ci.KSeFNumber == "" && str(d.NrKSeFN) == "1" {
				ci.KSeFNumber = "faktura spoza KSeF"
			}
			c.Invoices = append(c.Invoices, ci)
		}
		inv.Correction = c
	}

	rates := map[string]bool{}
	for _, w := range fa.FaWiersz {
		inv.Lines = append(inv.Lines, Line{
			No:             val(w.NrWierszaFa),
			Name:           str(w.P_7),
			Index:          str(w.Indeks),
			GTIN:           str(w.GTIN),
			PKWiU:          str(w.PKWiU),
			Unit:           str(w.P_8A),
			Quantity:       str(w.P_8B),
			UnitNetPrice:   str(w.P_9A),
			UnitGrossPrice: str(w.P_9B),
			Discount:       str(w.P_10),
			Net:            str(w.P_11),
			Gross:          str(w.P_11A),
			VAT:            str(w.P_11Vat),
			VATRate:        lineRate(str(w.P_12), str(w.P_12_XII)),
			SaleDate:       str(w.P_6A),
			Before:         str(w.StanPrzed) == "1",
		})
		rates[str(w.P_12)] = true
	}
	if z := fa.Zamowienie; z != nil {
		o := &Order{Value: val(z.WartoscZamowienia)}
		for _, w := range z.ZamowienieWiersz {
			o.Lines = append(o.Lines, Line{
				No:           val(w.NrWierszaZam),
				Name:         str(w.P_7Z),
				Index:        str(w.IndeksZ),
				GTIN:         str(w.GTINZ),
				PKWiU:        str(w.PKWiUZ),
				Unit:         str(w.P_8AZ),
				Quantity:     str(w.P_8BZ),
				UnitNetPrice: str(w.P_9AZ),
				Net:          str(w.P_11NettoZ),
				VAT:          str(w.P_11VatZ),
				VATRate:      lineRate(str(w.P_12Z), str(w.P_12Z_XII)),
				Before:       str(w.StanPrzedZ) == "1",
			})
		}
		inv.Order = o
	}
	inv.VATSummary = vatSummary(fa, rates)
	inv.Totals = totals(inv.VATSummary, val(fa.P_15))
	inv.Annotations = annotations(&fa.Adnotacje)
	for _, d := range fa.DodatkowyOpis {
		k := val(d.Klucz)
		if n := str(d.NrWiersza); n != "" {
			k += " (wiersz " + n + ")"
		}
		inv.AdditionalInfo = append(inv.AdditionalInfo, KeyValue{k, val(d.Wartosc)})
	}
	for _, z := range fa.FakturaZaliczkowa {
		n := str(z.NrKSeFFaZaliczkowej)
		if n == "" {
			n = str(z.NrFaZaliczkowej)
		}
		inv.AdditionalInfo = append(inv.AdditionalInfo, KeyValue{"Faktura zaliczkowa", n})
	}
	for _, wz := range fa.WZ {
		inv.AdditionalInfo = append(inv.AdditionalInfo, KeyValue{"Numer WZ", val(wz)})
	}
	if str(fa.TP) == "1" {
		inv.AdditionalInfo = append(inv.AdditionalInfo, KeyValue{"Powiązania", "istnieją powiązania między nabywcą a dostawcą (TP)"})
	}
	if str(fa.FP) == "1" {
		inv.AdditionalInfo = append(inv.AdditionalInfo, KeyValue{"FP", "faktura, o której mowa w art. 109 ust. 3d ustawy"})
	}
	if wt := fa.WarunkiTransakcji; wt != nil {
		for _, u := range wt.Umowy {
			inv.Contracts = append(inv.Contracts, Reference{str(u.NrUmowy), str(u.DataUmowy)})
		}
		for _, z := range wt.Zamowienia {
			inv.Orders = append(inv.Orders, Reference{str(z.NrZamowienia), str(z.DataZamowienia)})
		}
	}
	if r := fa.Rozliczenie; r != nil {
		s := &Settlement{
			ChargesTotal:    str(r.SumaObciazen),
			DeductionsTotal: str(r.SumaOdliczen),
			Due:             str(r.DoZaplaty),
			ToSettle:        str(r.DoRozliczenia),
		}
		for _, o := range r.Obciazenia {
			s.Charges = append(s.Charges, KeyValue{val(o.Powod), val(o.Kwota)})
		}
		for _, o := range r.Odliczenia {
			s.Deductions = append(s.Deductions, KeyValue{val(o.Powod), val(o.Kwota)})
		}
		inv.Settlement = s
	}
	if p := fa.Platnosc; p != nil {
		inv.Payment = paymentView(p)
	}
	if st := f.Stopka; st != nil {
		for _, i := range st.Informacje {
			if t := str(i.StopkaFaktury); t != "" {
				inv.Footer.Texts = append(inv.Footer.Texts, t)
			}
		}
		for _, r := range st.Rejestry {
			for _, kv := range []KeyValue{{"Pełna nazwa", str(r.PelnaNazwa)}, {"KRS", str(r.KRS)}, {"REGON", str(r.REGON)}, {"BDO", str(r.BDO)}} {
				if kv.Value != "" {
					inv.Footer.Registries = append(inv.Footer.Registries, kv)
				}
			}
		}
	}
	return inv
}

// partySrc gathers the data of any of the invoice's party elements, whose
// generated types differ.
type partySrc struct {
	prefix, eori, buyerID, customer, share string
	nip, idWew, kodUE, nrVatUE, kodKraju   string
	nrID, brakID, name                     string
	address, corr                          []string
	emails, phones                         []string
}

func ids(nip *fa3.TNrNIP, idWew *fa3.TNIPIdWew, kodUE *fa3.TKodyKrajowUE, nrVatUE *fa3.TNrVatUE,
	kodKraju *fa3.TKodKraju, nrID *string, brakID *fa3.TWybor1, name *fa3.TZnakowy512) partySrc {
	return partySrc{
		nip: str(nip), idWew: str(idWew), kodUE: str(kodUE), nrVatUE: str(nrVatUE),
		kodKraju: str(kodKraju), nrID: str(nrID), brakID: str(brakID), name: str(name),
	}
}

func (p *partySrc) contact(email, phone string) {
	if email != "" {
		p.emails = append(p.emails, email)
	}
	if phone != "" {
		p.phones = append(p.phones, phone)
	}
}

func (p *partySrc) view() Party {
	v := Party{
		Name: p.name, NIP: p.nip, CustomerNumber: p.customer, EORI: p.eori, Share: p.share,
		Address: p.address, CorrespondenceAddress: p.corr, Emails: p.emails, Phones: p.phones,
	}
	if p.nip != "" && p.prefix != "" {
		v.TaxIDs = append(v.TaxIDs, KeyValue{"NIP UE", p.prefix + p.nip})
	}
	if p.idWew != "" {
		v.TaxIDs = append(v.TaxIDs, KeyValue{"Identyfikator wewnętrzny", p.idWew})
	}
	if p.nrVatUE != "" {
		v.TaxIDs = append(v.TaxIDs, KeyValue{"NIP VAT UE", p.kodUE + p.nrVatUE})
	}
	if p.nrID != "" {
		k := "Identyfikator podatkowy"
		if p.kodKraju != "" {
			k += " (" + p.kodKraju + ")"
		}
		v.TaxIDs = append(v.TaxIDs, KeyValue{k, p.nrID})
	}
	if p.brakID == "1" {
		v.TaxIDs = append(v.TaxIDs, KeyValue{"Identyfikator podatkowy", "brak"})
	}
	if p.buyerID != "" {
		v.TaxIDs = append(v.TaxIDs, KeyValue{"ID nabywcy", p.buyerID})
	}
	return v
}

// addrSrc is an address: country code, two lines and a GLN.
type addrSrc struct{ country, l1, l2, gln string }

func addrLines(a *fa3.TAdres) []string {
	if a == nil {
		return nil
	}
	return addrSrc{val(a.KodKraju), val(a.AdresL1), str(a.AdresL2), str(a.GLN)}.lines()
}

func (a addrSrc) lines() []string {
	var lines []string
	for _, s := range []string{a.l1, a.l2} {
		if s != "" {
			lines = append(lines, s)
		}
	}
	if a.country != "" && a.country != "PL" {
		name := countryNames[a.country]
		if name == "" {
			name = a.country
		}
		lines = append(lines, name)
	}
	if a.gln != "" {
		lines = append(lines, "GLN: "+a.gln)
	}
	return lines
}

func paymentView(p *fa3.Platnosc) *Payment {
	v := &Payment{
		Paid:     str(p.Zaplacono) == "1",
		PaidDate: str(p.DataZaplaty),
		Method:   paymentMethods[str(p.FormaPlatnosci)],
		Link:     str(p.LinkDoPlatnosci),
		IPKSeF:   str(p.IPKSeF),
	}
	if o := str(p.OpisPlatnosci); o != "" {
		v.Method = o
	}
	for _, z := range p.ZaplataCzesciowa {
		v.PartialPayments = append(v.PartialPayments, KeyValue{val(z.KwotaZaplatyCzesciowej), val(z.DataZaplatyCzesciowej)})
	}
	for _, t := range p.TerminPlatnosci {
		if d := str(t.Termin); d != "" {
			v.DueDates = append(v.DueDates, d)
		} else if o := t.TerminOpis; o != nil {
			v.DueDates = append(v.DueDates, clean(o.Ilosc+" "+string(o.Jednostka)+" "+string(o.ZdarzeniePoczatkowe)))
		}
	}
	for _, r := range p.RachunekBankowy {
		v.BankAccounts = append(v.BankAccounts, bankAccount(r))
	}
	for _, r := range p.RachunekBankowyFaktora {
		v.FactorAccounts = append(v.FactorAccounts, bankAccount(r))
	}
	if s := p.Skonto; s != nil {
		v.Discount = val(s.WarunkiSkonta) + ": " + val(s.WysokoscSkonta)
	}
	return v
}

func bankAccount(r fa3.TRachunekBankowy) BankAccount {
	return BankAccount{
		Number:      val(r.NrRB),
		SWIFT:       str(r.SWIFT),
		BankName:    str(r.NazwaBanku),
		Description: str(r.OpisRachunku),
	}
}

// lineRate prints P_12, or the OSS rate P_12_XII of the special procedure.
func lineRate(p12, p12XII string) string {
	if p12 == "" && p12XII != "" {
		return p12XII + "% (OSS)"
	}
	return rateLabel(p12)
}

func isCorrection(kind string) bool { return strings.HasPrefix(kind, "KOR") }

// vatSummary builds the per-rate rows from the P_13_x/P_14_x sums. The
// basic and first reduced rates are printed as 22%/7% when the invoice
// lines use those historical rates, otherwise as 23%/8%.
func vatSummary(fa *fa3.Fa, rates map[string]bool) []VATRow {
	pick := func(alt, def string) string {
		if rates[alt] && !rates[def] {
			return alt + "%"
		}
		return def + "%"
	}
	taxi := "4%"
	if rates["3"] && !rates["4"] {
		taxi = "3%"
	}
	type src struct {
		rate, net, vat, vatW string
	}
	var rows []VATRow
	for _, s := range []src{
		{pick("22", "23"), str(fa.P_13_1), str(fa.P_14_1), str(fa.P_14_1W)},
		{pick("7", "8"), str(fa.P_13_2), str(fa.P_14_2), str(fa.P_14_2W)},
		{"5%", str(fa.P_13_3), str(fa.P_14_3), str(fa.P_14_3W)},
		{taxi + " (ryczałt taxi)", str(fa.P_13_4), str(fa.P_14_4), str(fa.P_14_4W)},
		{"OSS", str(fa.P_13_5), str(fa.P_14_5), ""},
		{"0% (kraj)", str(fa.P_13_6_1), "", ""},
		{"0% WDT", str(fa.P_13_6_2), "", ""},
		{"0% eksport", str(fa.P_13_6_3), "", ""},
		{"zw", str(fa.P_13_7), "", ""},
		{"np (poza krajem)", str(fa.P_13_8), "", ""},
		{"np (art. 100 ust. 1 pkt 4)", str(fa.P_13_9), "", ""},
		{"oo", str(fa.P_13_10), "", ""},
		{"marża", str(fa.P_13_11), "", ""},
	} {
		net, vat := s.net, s.vat
		if net == "" && vat == "" {
			continue
		}
		row := VATRow{Rate: s.rate, Net: net, VAT: vat, VATPLN: s.vatW}
		if row.VAT == "" {
			row.VAT = "0.00"
		}
		if row.Net == "" {
			row.Net = "0.00"
		}
		row.Gross = addDecimals(row.Net, row.VAT)
		rows = append(rows, row)
	}
	return rows
}

func totals(rows []VATRow, gross string) Totals {
	t := Totals{Gross: gross, Net: "0.00", VAT: "0.00"}
	for _, r := range rows {
		t.Net = addDecimals(t.Net, r.Net)
		t.VAT = addDecimals(t.VAT, r.VAT)
	}
	return t
}

func annotations(a *fa3.Adnotacje) []string {
	var out []string
	add := func(cond bool, text string) {
		if cond {
			out = append(out, text)
		}
	}
	add(val(a.P_16) == "1", "metoda kasowa")
	add(val(a.P_17) == "1", "samofakturowanie")
	add(val(a.P_18) == "1", "odwrotne obciążenie")
	add(val(a.P_18A) == "1", "mechanizm podzielonej płatności")
	if z := &a.Zwolnienie; str(z.P_19) == "1" {
		basis := str(z.P_19A)
		if basis == "" {
			basis = str(z.P_19B)
		}
		if basis == "" {
			basis = str(z.P_19C)
		}
		text := "zwolnienie z podatku VAT"
		if basis != "" {
			text += " – podstawa: " + basis
		}
		out = append(out, text)
	}
	add(str(a.NoweSrodkiTransportu.P_22) == "1", "wewnątrzwspólnotowa dostawa nowych środków transportu")
	add(val(a.P_23) == "1", "VAT: faktura WE uproszczona na mocy art. 135-138 ustawy o ptu")
	add(str(a.PMarzy.P_PMarzy_2) == "1", "procedura marży dla biur podróży")
	add(str(a.PMarzy.P_PMarzy_3_1) == "1", "procedura marży - towary używane")
	add(str(a.PMarzy.P_PMarzy_3_2) == "1", "procedura marży - dzieła sztuki")
	add(str(a.PMarzy.P_PMarzy_3_3) == "1", "procedura marży - przedmioty kolekcjonerskie i antyki")
	return out
}
