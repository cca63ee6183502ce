package visual

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
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

// The xml* types below are a minimal private mirror of the FA(3) schema,
// covering only what the renderers print. Element names follow the XSD.

type xmlFaktura struct {
	XMLName    xml.Name     `xml:"Faktura"`
	Naglowek   xmlNaglowek  `xml:"Naglowek"`
	Podmiot1   xmlPodmiot   `xml:"Podmiot1"`
	Podmiot2   xmlPodmiot   `xml:"Podmiot2"`
	Upowaz     *xmlPodmiot  `xml:"PodmiotUpowazniony"`
	Fa         xmlFa        `xml:"Fa"`
	Stopka     *xmlStopka   `xml:"Stopka"`
	Podmiot3in []xmlPodmiot `xml:"Podmiot3"`
}

type xmlNaglowek struct {
	KodFormularza struct {
		KodSystemowy string `xml:"kodSystemowy,attr"`
		Value        string `xml:",chardata"`
	} `xml:"KodFormularza"`
}

type xmlPodmiot struct {
	PrefiksPodatnika string `xml:"PrefiksPodatnika"`
	NrEORI           string `xml:"NrEORI"`
	IDNabywcy        string `xml:"IDNabywcy"`
	Dane             struct {
		NIP      string `xml:"NIP"`
		IDWew    string `xml:"IDWew"`
		KodUE    string `xml:"KodUE"`
		NrVatUE  string `xml:"NrVatUE"`
		KodKraju string `xml:"KodKraju"`
		NrID     string `xml:"NrID"`
		BrakID   string `xml:"BrakID"`
		Nazwa    string `xml:"Nazwa"`
	} `xml:"DaneIdentyfikacyjne"`
	Adres          *xmlAdres    `xml:"Adres"`
	AdresKoresp    *xmlAdres    `xml:"AdresKoresp"`
	DaneKontaktowe []xmlKontakt `xml:"DaneKontaktowe"`
	StatusInfo     string       `xml:"StatusInfoPodatnika"`
	NrKlienta      string       `xml:"NrKlienta"`
	Rola           string       `xml:"Rola"`
	RolaInna       string       `xml:"RolaInna"`
	OpisRoli       string       `xml:"OpisRoli"`
	Udzial         string       `xml:"Udzial"`
	RolaPU         string       `xml:"RolaPU"`
}

type xmlAdres struct {
	KodKraju string `xml:"KodKraju"`
	AdresL1  string `xml:"AdresL1"`
	AdresL2  string `xml:"AdresL2"`
	GLN      string `xml:"GLN"`
}

type xmlKontakt struct {
	Email   string `xml:"Email"`
	Telefon string `xml:"Telefon"`
	EmailPU string `xml:"EmailPU"`
	TelPU   string `xml:"TelefonPU"`
}

type xmlFa struct {
	KodWaluty string   `xml:"KodWaluty"`
	P1        string   `xml:"P_1"`
	P1M       string   `xml:"P_1M"`
	P2        string   `xml:"P_2"`
	WZ        []string `xml:"WZ"`
	P6        string   `xml:"P_6"`
	OkresFa   *struct {
		Od string `xml:"P_6_Od"`
		Do string `xml:"P_6_Do"`
	} `xml:"OkresFa"`
	P13_1             string        `xml:"P_13_1"`
	P14_1             string        `xml:"P_14_1"`
	P14_1W            string        `xml:"P_14_1W"`
	P13_2             string        `xml:"P_13_2"`
	P14_2             string        `xml:"P_14_2"`
	P14_2W            string        `xml:"P_14_2W"`
	P13_3             string        `xml:"P_13_3"`
	P14_3             string        `xml:"P_14_3"`
	P14_3W            string        `xml:"P_14_3W"`
	P13_4             string        `xml:"P_13_4"`
	P14_4             string        `xml:"P_14_4"`
	P14_4W            string        `xml:"P_14_4W"`
	P13_5             string        `xml:"P_13_5"`
	P14_5             string        `xml:"P_14_5"`
	P13_6_1           string        `xml:"P_13_6_1"`
	P13_6_2           string        `xml:"P_13_6_2"`
	P13_6_3           string        `xml:"P_13_6_3"`
	P13_7             string        `xml:"P_13_7"`
	P13_8             string        `xml:"P_13_8"`
	P13_9             string        `xml:"P_13_9"`
	P13_10            string        `xml:"P_13_10"`
	P13_11            string        `xml:"P_13_11"`
	P15               string        `xml:"P_15"`
	KursWalutyZ       string        `xml:"KursWalutyZ"`
	Adnotacje         *xmlAdnotacje `xml:"Adnotacje"`
	RodzajFaktury     string        `xml:"RodzajFaktury"`
	PrzyczynaKorekty  string        `xml:"PrzyczynaKorekty"`
	TypKorekty        string        `xml:"TypKorekty"`
	DaneFaKorygowanej []struct {
		Data    string `xml:"DataWystFaKorygowanej"`
		Nr      string `xml:"NrFaKorygowanej"`
		NrKSeF  string `xml:"NrKSeFFaKorygowanej"`
		NrKSeFN string `xml:"NrKSeFN"`
	} `xml:"DaneFaKorygowanej"`
	OkresFaKorygowanej string `xml:"OkresFaKorygowanej"`
	NrFaKorygowany     string `xml:"NrFaKorygowany"`
	P15ZK              string `xml:"P_15ZK"`
	FP                 string `xml:"FP"`
	TP                 string `xml:"TP"`
	DodatkowyOpis      []struct {
		NrWiersza string `xml:"NrWiersza"`
		Klucz     string `xml:"Klucz"`
		Wartosc   string `xml:"Wartosc"`
	} `xml:"DodatkowyOpis"`
	FakturaZaliczkowa []struct {
		NrKSeFFaZaliczkowej string `xml:"NrKSeFFaZaliczkowej"`
		NrFaZaliczkowej     string `xml:"NrFaZaliczkowej"`
	} `xml:"FakturaZaliczkowa"`
	FaWiersz    []xmlWiersz     `xml:"FaWiersz"`
	Rozliczenie *xmlRozliczenie `xml:"Rozliczenie"`
	Platnosc    *xmlPlatnosc    `xml:"Platnosc"`
	Warunki     *struct {
		Umowy []struct {
			Data string `xml:"DataUmowy"`
			Nr   string `xml:"NrUmowy"`
		} `xml:"Umowy"`
		Zamowienia []struct {
			Data string `xml:"DataZamowienia"`
			Nr   string `xml:"NrZamowienia"`
		} `xml:"Zamowienia"`
	} `xml:"WarunkiTransakcji"`
}

type xmlAdnotacje struct {
	P16        string `xml:"P_16"`
	P17        string `xml:"P_17"`
	P18        string `xml:"P_18"`
	P18A       string `xml:"P_18A"`
	Zwolnienie struct {
		P19  string `xml:"P_19"`
		P19A string `xml:"P_19A"`
		P19B string `xml:"P_19B"`
		P19C string `xml:"P_19C"`
	} `xml:"Zwolnienie"`
	NoweSrodkiTransportu struct {
		P22 string `xml:"P_22"`
	} `xml:"NoweSrodkiTransportu"`
	P23    string `xml:"P_23"`
	PMarzy struct {
		P2  string `xml:"P_PMarzy_2"`
		P31 string `xml:"P_PMarzy_3_1"`
		P32 string `xml:"P_PMarzy_3_2"`
		P33 string `xml:"P_PMarzy_3_3"`
	} `xml:"PMarzy"`
}

type xmlWiersz struct {
	Nr        string `xml:"NrWierszaFa"`
	P6A       string `xml:"P_6A"`
	P7        string `xml:"P_7"`
	Indeks    string `xml:"Indeks"`
	GTIN      string `xml:"GTIN"`
	PKWiU     string `xml:"PKWiU"`
	P8A       string `xml:"P_8A"`
	P8B       string `xml:"P_8B"`
	P9A       string `xml:"P_9A"`
	P9B       string `xml:"P_9B"`
	P10       string `xml:"P_10"`
	P11       string `xml:"P_11"`
	P11A      string `xml:"P_11A"`
	P11Vat    string `xml:"P_11Vat"`
	P12       string `xml:"P_12"`
	StanPrzed string `xml:"StanPrzed"`
}

type xmlRozliczenie struct {
	Obciazenia []struct {
		Kwota string `xml:"Kwota"`
		Powod string `xml:"Powod"`
	} `xml:"Obciazenia"`
	SumaObciazen string `xml:"SumaObciazen"`
	Odliczenia   []struct {
		Kwota string `xml:"Kwota"`
		Powod string `xml:"Powod"`
	} `xml:"Odliczenia"`
	SumaOdliczen  string `xml:"SumaOdliczen"`
	DoZaplaty     string `xml:"DoZaplaty"`
	DoRozliczenia string `xml:"DoRozliczenia"`
}

type xmlPlatnosc struct {
	Zaplacono        string `xml:"Zaplacono"`
	DataZaplaty      string `xml:"DataZaplaty"`
	ZaplataCzesciowa []struct {
		Kwota string `xml:"KwotaZaplatyCzesciowej"`
		Data  string `xml:"DataZaplatyCzesciowej"`
	} `xml:"ZaplataCzesciowa"`
	TerminPlatnosci []struct {
		Termin     string `xml:"Termin"`
		TerminOpis *struct {
			Ilosc     string `xml:"Ilosc"`
			Jednostka string `xml:"Jednostka"`
			Zdarzenie string `xml:"ZdarzeniePoczatkowe"`
		} `xml:"TerminOpis"`
	} `xml:"TerminPlatnosci"`
	FormaPlatnosci string        `xml:"FormaPlatnosci"`
	OpisPlatnosci  string        `xml:"OpisPlatnosci"`
	Rachunki       []xmlRachunek `xml:"RachunekBankowy"`
	RachunkiF      []xmlRachunek `xml:"RachunekBankowyFaktora"`
	Skonto         *struct {
		Warunki  string `xml:"WarunkiSkonta"`
		Wysokosc string `xml:"WysokoscSkonta"`
	} `xml:"Skonto"`
	Link   string `xml:"LinkDoPlatnosci"`
	IPKSeF string `xml:"IPKSeF"`
}

type xmlRachunek struct {
	NrRB         string `xml:"NrRB"`
	SWIFT        string `xml:"SWIFT"`
	NazwaBanku   string `xml:"NazwaBanku"`
	OpisRachunku string `xml:"OpisRachunku"`
}

type xmlStopka struct {
	Informacje []struct {
		Tekst string `xml:"StopkaFaktury"`
	} `xml:"Informacje"`
	Rejestry []struct {
		PelnaNazwa string `xml:"PelnaNazwa"`
		KRS        string `xml:"KRS"`
		REGON      string `xml:"REGON"`
		BDO        string `xml:"BDO"`
	} `xml:"Rejestry"`
}

// FromFA3 builds the view model of an FA(3) invoice (FA(2) invoices are
// read too). The KSeF number and the QR links are not part of the invoice
// XML: set KSeFNumber, VerificationLink and CertificateLink on the result.
//
// FromFA3 does not validate the invoice against its schema; it fails only
// when the document is not well-formed XML or is not an FA invoice, and
// prints what it finds.
func FromFA3(doc []byte) (*Invoice, error) {
	var x xmlFaktura
	dec := xml.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&x); err != nil {
		if strings.Contains(err.Error(), "expected element type <Faktura>") {
			return nil, fmt.Errorf("%w: root element is not Faktura", ErrNotInvoice)
		}
		return nil, fmt.Errorf("visual: parse invoice: %w", err)
	}
	if x.XMLName.Space != NamespaceFA3 && x.XMLName.Space != NamespaceFA2 {
		return nil, fmt.Errorf("%w: namespace %q", ErrNotInvoice, x.XMLName.Space)
	}
	return x.view(), nil
}

// clean collapses whitespace runs (including line breaks) to single spaces.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

func (x *xmlFaktura) view() *Invoice {
	fa := &x.Fa
	inv := &Invoice{
		Kind:         clean(fa.RodzajFaktury),
		FormCode:     clean(x.Naglowek.KodFormularza.KodSystemowy),
		Number:       clean(fa.P2),
		IssueDate:    clean(fa.P1),
		IssuePlace:   clean(fa.P1M),
		SaleDate:     clean(fa.P6),
		Currency:     clean(fa.KodWaluty),
		ExchangeRate: clean(fa.KursWalutyZ),
	}
	inv.Title = invoiceTitle(inv.Kind)
	if fa.OkresFa != nil {
		inv.PeriodFrom, inv.PeriodTo = clean(fa.OkresFa.Od), clean(fa.OkresFa.Do)
	}
	inv.Seller = partyView(&x.Podmiot1)
	if s := statusInfo[clean(x.Podmiot1.StatusInfo)]; s != "" {
		inv.Seller.Notes = append(inv.Seller.Notes, s)
	}
	inv.Buyer = partyView(&x.Podmiot2)
	for i := range x.Podmiot3in {
		p := partyView(&x.Podmiot3in[i])
		p.Role = thirdPartyRole(&x.Podmiot3in[i])
		inv.ThirdParties = append(inv.ThirdParties, p)
	}
	if x.Upowaz != nil {
		p := partyView(x.Upowaz)
		p.Role = authorizedRoles[clean(x.Upowaz.RolaPU)]
		if p.Role == "" {
			p.Role = "Podmiot upoważniony"
		}
		inv.AuthorizedParty = &p
	}

	if isCorrection(inv.Kind) || clean(fa.PrzyczynaKorekty) != "" || len(fa.DaneFaKorygowanej) > 0 {
		c := &Correction{
			Reason: clean(fa.PrzyczynaKorekty),
			Type:   correctionTypes[clean(fa.TypKorekty)],
			Period: clean(fa.OkresFaKorygowanej),
		}
		for _, d := range fa.DaneFaKorygowanej {
			ci := CorrectedInvoice{Number: clean(d.Nr), IssueDate: clean(d.Data), KSeFNumber: clean(d.NrKSeF)}
			if ci.KSeFNumber == "" && clean(d.NrKSeFN) == "1" {
				ci.KSeFNumber = "faktura spoza KSeF"
			}
			c.Invoices = append(c.Invoices, ci)
		}
		inv.Correction = c
	}

	rates := map[string]bool{}
	for _, w := range fa.FaWiersz {
		l := Line{
			No:             clean(w.Nr),
			Name:           clean(w.P7),
			Index:          clean(w.Indeks),
			GTIN:           clean(w.GTIN),
			PKWiU:          clean(w.PKWiU),
			Unit:           clean(w.P8A),
			Quantity:       clean(w.P8B),
			UnitNetPrice:   clean(w.P9A),
			UnitGrossPrice: clean(w.P9B),
			Discount:       clean(w.P10),
			Net:            clean(w.P11),
			Gross:          clean(w.P11A),
			VAT:            clean(w.P11Vat),
			VATRate:        rateLabel(clean(w.P12)),
			SaleDate:       clean(w.P6A),
			Before:         clean(w.StanPrzed) == "1",
		}
		rates[clean(w.P12)] = true
		inv.Lines = append(inv.Lines, l)
	}
	inv.VATSummary = vatSummary(fa, rates)
	inv.Totals = totals(inv.VATSummary, clean(fa.P15))
	inv.Annotations = annotations(fa)
	for _, d := range fa.DodatkowyOpis {
		k := clean(d.Klucz)
		if n := clean(d.NrWiersza); n != "" {
			k += " (wiersz " + n + ")"
		}
		inv.AdditionalInfo = append(inv.AdditionalInfo, KeyValue{k, clean(d.Wartosc)})
	}
	for _, z := range fa.FakturaZaliczkowa {
		n := clean(z.NrKSeFFaZaliczkowej)
		if n == "" {
			n = clean(z.NrFaZaliczkowej)
		}
		inv.AdditionalInfo = append(inv.AdditionalInfo, KeyValue{"Faktura zaliczkowa", n})
	}
	for _, wz := range fa.WZ {
		inv.AdditionalInfo = append(inv.AdditionalInfo, KeyValue{"Numer WZ", clean(wz)})
	}
	if clean(fa.TP) == "1" {
		inv.AdditionalInfo = append(inv.AdditionalInfo, KeyValue{"Powiązania", "istnieją powiązania między nabywcą a dostawcą (TP)"})
	}
	if clean(fa.FP) == "1" {
		inv.AdditionalInfo = append(inv.AdditionalInfo, KeyValue{"FP", "faktura, o której mowa w art. 109 ust. 3d ustawy"})
	}
	if fa.Warunki != nil {
		for _, u := range fa.Warunki.Umowy {
			inv.Contracts = append(inv.Contracts, Reference{clean(u.Nr), clean(u.Data)})
		}
		for _, z := range fa.Warunki.Zamowienia {
			inv.Orders = append(inv.Orders, Reference{clean(z.Nr), clean(z.Data)})
		}
	}
	if r := fa.Rozliczenie; r != nil {
		s := &Settlement{
			ChargesTotal:    clean(r.SumaObciazen),
			DeductionsTotal: clean(r.SumaOdliczen),
			Due:             clean(r.DoZaplaty),
			ToSettle:        clean(r.DoRozliczenia),
		}
		for _, o := range r.Obciazenia {
			s.Charges = append(s.Charges, KeyValue{clean(o.Powod), clean(o.Kwota)})
		}
		for _, o := range r.Odliczenia {
			s.Deductions = append(s.Deductions, KeyValue{clean(o.Powod), clean(o.Kwota)})
		}
		inv.Settlement = s
	}
	if p := fa.Platnosc; p != nil {
		inv.Payment = paymentView(p)
	}
	if st := x.Stopka; st != nil {
		for _, i := range st.Informacje {
			if t := clean(i.Tekst); t != "" {
				inv.Footer.Texts = append(inv.Footer.Texts, t)
			}
		}
		for _, r := range st.Rejestry {
			for _, kv := range []KeyValue{{"Pełna nazwa", r.PelnaNazwa}, {"KRS", r.KRS}, {"REGON", r.REGON}, {"BDO", r.BDO}} {
				if v := clean(kv.Value); v != "" {
					inv.Footer.Registries = append(inv.Footer.Registries, KeyValue{kv.Key, v})
				}
			}
		}
	}
	return inv
}

func partyView(p *xmlPodmiot) Party {
	d := &p.Dane
	v := Party{
		Name:           clean(d.Nazwa),
		NIP:            clean(d.NIP),
		CustomerNumber: clean(p.NrKlienta),
		EORI:           clean(p.NrEORI),
		Share:          clean(p.Udzial),
	}
	if v.NIP != "" && clean(p.PrefiksPodatnika) != "" {
		v.TaxIDs = append(v.TaxIDs, KeyValue{"NIP UE", clean(p.PrefiksPodatnika) + v.NIP})
	}
	if id := clean(d.IDWew); id != "" {
		v.TaxIDs = append(v.TaxIDs, KeyValue{"Identyfikator wewnętrzny", id})
	}
	if nr := clean(d.NrVatUE); nr != "" {
		v.TaxIDs = append(v.TaxIDs, KeyValue{"NIP VAT UE", clean(d.KodUE) + nr})
	}
	if nr := clean(d.NrID); nr != "" {
		k := "Identyfikator podatkowy"
		if kk := clean(d.KodKraju); kk != "" {
			k += " (" + kk + ")"
		}
		v.TaxIDs = append(v.TaxIDs, KeyValue{k, nr})
	}
	if clean(d.BrakID) == "1" {
		v.TaxIDs = append(v.TaxIDs, KeyValue{"Identyfikator podatkowy", "brak"})
	}
	if id := clean(p.IDNabywcy); id != "" {
		v.TaxIDs = append(v.TaxIDs, KeyValue{"ID nabywcy", id})
	}
	v.Address = addressLines(p.Adres)
	v.CorrespondenceAddress = addressLines(p.AdresKoresp)
	for _, k := range p.DaneKontaktowe {
		for _, e := range []string{k.Email, k.EmailPU} {
			if e = clean(e); e != "" {
				v.Emails = append(v.Emails, e)
			}
		}
		for _, t := range []string{k.Telefon, k.TelPU} {
			if t = clean(t); t != "" {
				v.Phones = append(v.Phones, t)
			}
		}
	}
	return v
}

func addressLines(a *xmlAdres) []string {
	if a == nil {
		return nil
	}
	var lines []string
	for _, s := range []string{a.AdresL1, a.AdresL2} {
		if s = clean(s); s != "" {
			lines = append(lines, s)
		}
	}
	if k := clean(a.KodKraju); k != "" && k != "PL" {
		name := countryNames[k]
		if name == "" {
			name = k
		}
		lines = append(lines, name)
	}
	if g := clean(a.GLN); g != "" {
		lines = append(lines, "GLN: "+g)
	}
	return lines
}

func thirdPartyRole(p *xmlPodmiot) string {
	if r := thirdPartyRoles[clean(p.Rola)]; r != "" {
		return r
	}
	if o := clean(p.OpisRoli); o != "" {
		return o
	}
	return "Podmiot trzeci"
}

func paymentView(p *xmlPlatnosc) *Payment {
	v := &Payment{
		Paid:     clean(p.Zaplacono) == "1",
		PaidDate: clean(p.DataZaplaty),
		Method:   paymentMethods[clean(p.FormaPlatnosci)],
		Link:     clean(p.Link),
		IPKSeF:   clean(p.IPKSeF),
	}
	if o := clean(p.OpisPlatnosci); o != "" {
		v.Method = o
	}
	for _, z := range p.ZaplataCzesciowa {
		v.PartialPayments = append(v.PartialPayments, KeyValue{clean(z.Kwota), clean(z.Data)})
	}
	for _, t := range p.TerminPlatnosci {
		if d := clean(t.Termin); d != "" {
			v.DueDates = append(v.DueDates, d)
		} else if o := t.TerminOpis; o != nil {
			v.DueDates = append(v.DueDates, clean(o.Ilosc+" "+o.Jednostka+" "+o.Zdarzenie))
		}
	}
	for _, r := range p.Rachunki {
		v.BankAccounts = append(v.BankAccounts, bankAccount(r))
	}
	for _, r := range p.RachunkiF {
		v.FactorAccounts = append(v.FactorAccounts, bankAccount(r))
	}
	if s := p.Skonto; s != nil {
		v.Discount = clean(s.Warunki + ": " + s.Wysokosc)
	}
	return v
}

func bankAccount(r xmlRachunek) BankAccount {
	return BankAccount{
		Number:      clean(r.NrRB),
		SWIFT:       clean(r.SWIFT),
		BankName:    clean(r.NazwaBanku),
		Description: clean(r.OpisRachunku),
	}
}

func isCorrection(kind string) bool { return strings.HasPrefix(kind, "KOR") }

// vatSummary builds the per-rate rows from the P_13_x/P_14_x sums. The
// basic and first reduced rates are printed as 22%/7% when the invoice
// lines use those historical rates, otherwise as 23%/8%.
func vatSummary(fa *xmlFa, rates map[string]bool) []VATRow {
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
		{pick("22", "23"), fa.P13_1, fa.P14_1, fa.P14_1W},
		{pick("7", "8"), fa.P13_2, fa.P14_2, fa.P14_2W},
		{"5%", fa.P13_3, fa.P14_3, fa.P14_3W},
		{taxi + " (ryczałt taxi)", fa.P13_4, fa.P14_4, fa.P14_4W},
		{"OSS", fa.P13_5, fa.P14_5, ""},
		{"0% (kraj)", fa.P13_6_1, "", ""},
		{"0% WDT", fa.P13_6_2, "", ""},
		{"0% eksport", fa.P13_6_3, "", ""},
		{"zw", fa.P13_7, "", ""},
		{"np (poza krajem)", fa.P13_8, "", ""},
		{"np (art. 100 ust. 1 pkt 4)", fa.P13_9, "", ""},
		{"oo", fa.P13_10, "", ""},
		{"marża", fa.P13_11, "", ""},
	} {
		net, vat := clean(s.net), clean(s.vat)
		if net == "" && vat == "" {
			continue
		}
		row := VATRow{Rate: s.rate, Net: net, VAT: vat, VATPLN: clean(s.vatW)}
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

func annotations(fa *xmlFa) []string {
	a := fa.Adnotacje
	if a == nil {
		return nil
	}
	var out []string
	add := func(cond bool, text string) {
		if cond {
			out = append(out, text)
		}
	}
	add(clean(a.P16) == "1", "metoda kasowa")
	add(clean(a.P17) == "1", "samofakturowanie")
	add(clean(a.P18) == "1", "odwrotne obciążenie")
	add(clean(a.P18A) == "1", "mechanizm podzielonej płatności")
	if clean(a.Zwolnienie.P19) == "1" {
		basis := clean(a.Zwolnienie.P19A)
		if basis == "" {
			basis = clean(a.Zwolnienie.P19B)
		}
		if basis == "" {
			basis = clean(a.Zwolnienie.P19C)
		}
		text := "zwolnienie z podatku VAT"
		if basis != "" {
			text += " – podstawa: " + basis
		}
		out = append(out, text)
	}
	add(clean(a.NoweSrodkiTransportu.P22) == "1", "wewnątrzwspólnotowa dostawa nowych środków transportu")
	add(clean(a.P23) == "1", "VAT: faktura WE uproszczona na mocy art. 135-138 ustawy o ptu")
	add(clean(a.PMarzy.P2) == "1", "procedura marży dla biur podróży")
	add(clean(a.PMarzy.P31) == "1", "procedura marży - towary używane")
	add(clean(a.PMarzy.P32) == "1", "procedura marży - dzieła sztuki")
	add(clean(a.PMarzy.P33) == "1", "procedura marży - przedmioty kolekcjonerskie i antyki")
	return out
}
