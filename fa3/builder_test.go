package fa3_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

const fa3Schema = "xsd/FA/schemat_FA(3)_v1-0E.xsd"

var created = time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)

func seller() fa3.Party {
	return fa3.Party{NIP: "5265877635", Name: "Elektrownia S.A.", AddressLine1: "ul. Kwiatowa 1 m. 2",
		AddressLine2: "00-001 Warszawa", Email: "biuro@elektrownia.pl", Phone: "667444555"}
}

func buyer() fa3.Party {
	return fa3.Party{NIP: "7773152431", Name: "F.H.U. Jan Kowalski", AddressLine1: "ul. Polna 1", AddressLine2: "00-001 Warszawa"}
}

func vatParams() fa3.InvoiceParams {
	return fa3.InvoiceParams{
		Number: "FV/1/2026", IssueDate: "2026-01-15", IssuePlace: "Warszawa", SaleDate: "2026-01-14",
		Seller: seller(), Buyer: buyer(), Created: created,
		Lines: []fa3.Line{
			{Name: "Energia czynna", Unit: "kWh", Quantity: "20.00", UnitPrice: "0.90", Rate: "23"},
			{Name: "Usługa dystrybucji", Unit: "okres", Quantity: "1", UnitPrice: "25.60", Rate: "23", GTU: "GTU_02"},
			{Name: "Książka", Unit: "szt.", Quantity: "2", UnitPrice: "39.99", Rate: "5"},
			{Name: "Kurs", Quantity: "1", UnitPrice: "100", Rate: "zw"},
		},
		ExemptionBasis: "art. 43 ust. 1 pkt 29 ustawy o VAT",
		SplitPayment:   true,
		Payment:        &fa3.Payment{DueDate: "2026-01-29", Method: 6, BankAccount: "73111111111111111111111111", BankName: "Bank"},
	}
}

// kinds returns one parameter set per kind and variant the builder supports.
func kinds() map[string]fa3.InvoiceParams {
	out := map[string]fa3.InvoiceParams{}
	out["vat"] = vatParams()

	minimal := fa3.InvoiceParams{Number: "1", IssueDate: "2026-01-15", Created: created,
		Seller: fa3.Party{NIP: "5265877635", Name: "S", AddressLine1: "A"},
		Buyer:  fa3.Party{Name: "Jan Konsument", AddressLine1: "ul. Długa 2"},
		Lines:  []fa3.Line{{Name: "x", Quantity: "1", UnitPrice: "1", Rate: "8"}}}
	out["vat-consumer-minimal"] = minimal

	rc := vatParams()
	rc.ExemptionBasis = ""
	rc.Lines = []fa3.Line{{Name: "Złom", Quantity: "1000", UnitPrice: "1.5", Rate: "oo"},
		{Name: "Eksport", Quantity: "1", UnitPrice: "10", Rate: "0 EX"},
		{Name: "WDT", Quantity: "1", UnitPrice: "10", Rate: "0 WDT"},
		{Name: "Usługa poza krajem", Quantity: "1", UnitPrice: "10", Rate: "np II"},
		{Name: "Poza krajem", Quantity: "1", UnitPrice: "10", Rate: "np I"},
		{Name: "Taxi", Quantity: "1", UnitPrice: "10", Rate: "4"},
		{Name: "Stare 7", Quantity: "1", UnitPrice: "10", Rate: "7"},
		{Name: "Stare 22", Quantity: "1", UnitPrice: "10", Rate: "22"}}
	out["vat-special-rates"] = rc

	wdt := vatParams()
	wdt.ExemptionBasis = ""
	wdt.Buyer = fa3.Party{EUVATNumber: "DE123456789", Name: "Käufer GmbH", CountryCode: "DE", AddressLine1: "Hauptstraße 1", AddressLine2: "10115 Berlin"}
	wdt.Lines = []fa3.Line{{Name: "Maszyna", Quantity: "1", UnitPrice: "10000", Rate: "0 WDT"}}
	wdt.Notes = []fa3.Note{{Key: "Incoterms", Value: "DAP Berlin"}}
	wdt.Footer = "Kapitał zakładowy 5 000 000 zł"
	out["vat-wdt-eu-buyer"] = wdt

	ex := wdt
	ex.Buyer = fa3.Party{ForeignID: "12-3456789", ForeignIDCountry: "US", Name: "Buyer Inc.", CountryCode: "US", AddressLine1: "1 Main St"}
	ex.Lines = []fa3.Line{{Name: "Towar", Quantity: "2", UnitPrice: "100", Rate: "0 EX"}}
	out["vat-export-foreign-buyer"] = ex

	eur := vatParams()
	eur.Currency, eur.ExchangeRate = "EUR", "4.2618"
	out["vat-eur"] = eur

	kor := vatParams()
	kor.Kind, kor.Number = fa3.KindKOR, "KOR/1/2026"
	kor.ExemptionBasis = ""
	kor.Correction = &fa3.Correction{Number: "FV/1/2026", IssueDate: "2026-01-10",
		KSeFNumber: string(ident.NewKSeFNumber("5265877635", time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), rand.New(rand.NewPCG(1, 2)))),
		Reason:     "Błędna cena", Type: fa3.CorrectionEffectOriginalDate}
	kor.Lines = []fa3.Line{
		{Name: "Energia czynna", Unit: "kWh", Quantity: "20", UnitPrice: "0.90", Rate: "23", Before: true},
		{Name: "Energia czynna", Unit: "kWh", Quantity: "20", UnitPrice: "0.80", Rate: "23"},
	}
	out["kor"] = kor

	korDiff := kor
	korDiff.Correction = &fa3.Correction{Number: "FV/7/2025", IssueDate: "2025-12-01"}
	korDiff.Lines = []fa3.Line{{Name: "Rabat", Quantity: "-1", UnitPrice: "10", Rate: "8"}}
	out["kor-outside-ksef-difference"] = korDiff

	zal := vatParams()
	zal.Kind, zal.Number = fa3.KindZAL, "ZAL/1/2026"
	zal.ExemptionBasis = ""
	zal.Lines = []fa3.Line{{Name: "Maszyna", Quantity: "1", UnitPrice: "1000", Rate: "23"}, {Name: "Dostawa", Quantity: "1", UnitPrice: "500", Rate: "8"}}
	zal.Advance = &fa3.Advance{Amount: "500", ReceivedOn: "2026-01-12"}
	out["zal"] = zal

	zalEUR := zal
	zalEUR.Currency, zalEUR.ExchangeRate = "EUR", "4.25"
	out["zal-eur"] = zalEUR

	roz := vatParams()
	roz.Kind, roz.Number = fa3.KindROZ, "ROZ/1/2026"
	roz.ExemptionBasis = ""
	roz.Lines = zal.Lines
	roz.AdvanceInvoices = []fa3.AdvanceInvoice{
		{KSeFNumber: string(ident.NewKSeFNumber("5265877635", time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC), rand.New(rand.NewPCG(3, 4)))),
			Amounts: []fa3.RateAmount{{Rate: "23", Net: "282.49", VAT: "64.97"}, {Rate: "8", Net: "141.24", VAT: "11.30"}}},
		{Number: "ZAL/0/2025", Amounts: []fa3.RateAmount{{Rate: "23", Net: "100", VAT: "23"}}},
	}
	out["roz"] = roz

	upr := fa3.InvoiceParams{Kind: fa3.KindUPR, Number: "P/1", IssueDate: "2026-01-15", Created: created,
		Seller: seller(), Buyer: fa3.Party{NIP: "7773152431"},
		Lines: []fa3.Line{{Name: "Paliwo", Unit: "l", Quantity: "40", UnitPrice: "5.99", Rate: "23"}}}
	out["upr"] = upr
	return out
}

// TestBuildKindsAreSchemaValid builds every kind and checks the documents
// with fa3.Validate and with xmllint.
func TestBuildKindsAreSchemaValid(t *testing.T) {
	ks := kinds()
	var cases []xsdtest.Case
	for name, p := range ks {
		doc, err := fa3.BuildXML(p)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := fa3.ValidateBytes(doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		f, err := fa3.Parse(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		kind := p.Kind
		if kind == "" {
			kind = fa3.KindVAT
		}
		if f.Fa.RodzajFaktury != kind || string(f.Fa.P_2) != p.Number {
			t.Errorf("%s: RodzajFaktury %s P_2 %s", name, f.Fa.RodzajFaktury, f.Fa.P_2)
		}
		cases = append(cases, xsdtest.Case{Name: name, Doc: doc})
	}
	verdicts, _ := xsdtest.Xmllint(t, fa3Schema, cases)
	for i, v := range verdicts {
		if !v.Valid {
			t.Errorf("xmllint rejects %s:\n%s\n%s", cases[i].Name, v.Output, cases[i].Doc)
		}
	}
	if len(verdicts) != len(ks) {
		t.Errorf("xmllint judged %d of %d kinds", len(verdicts), len(ks))
	}
}

func TestBuildVATContent(t *testing.T) {
	f, err := fa3.Build(vatParams())
	if err != nil {
		t.Fatal(err)
	}
	fa := f.Fa
	// 23%: 18.00 + 25.60 = 43.60, VAT 10.028 -> 10.03; 5%: 79.98, VAT 3.999 -> 4.00; zw: 100.00.
	checks := map[string][2]string{
		"P_13_1": {deref(fa.P_13_1), "43.60"}, "P_14_1": {deref(fa.P_14_1), "10.03"},
		"P_13_3": {deref(fa.P_13_3), "79.98"}, "P_14_3": {deref(fa.P_14_3), "4.00"},
		"P_13_7": {deref(fa.P_13_7), "100.00"}, "P_15": {string(fa.P_15), "237.61"},
		"P_13_2": {deref(fa.P_13_2), ""}, "P_14_1W": {deref(fa.P_14_1W), ""},
		"P_18A": {string(fa.Adnotacje.P_18A), "1"}, "P_18": {string(fa.Adnotacje.P_18), "2"},
		"P_19": {deref(fa.Adnotacje.Zwolnienie.P_19), "1"}, "P_19N": {deref(fa.Adnotacje.Zwolnienie.P_19N), ""},
		"KodWaluty": {string(fa.KodWaluty), "PLN"}, "P_1": {string(fa.P_1), "2026-01-15"},
		"DataWytworzeniaFa": {f.Naglowek.DataWytworzeniaFa, "2026-01-15T10:30:00Z"},
		"kodSystemowy":      {f.Naglowek.KodFormularza.KodSystemowy, "FA (3)"},
		"line2.P_11":        {deref(fa.FaWiersz[1].P_11), "25.60"}, "line3.P_12": {deref(fa.FaWiersz[2].P_12), "5"},
		"line1.P_8B": {deref(fa.FaWiersz[0].P_8B), "20.00"}, "line4.Nr": {string(fa.FaWiersz[3].NrWierszaFa), "4"},
		"NrRB": {string(fa.Platnosc.RachunekBankowy[0].NrRB), "73111111111111111111111111"},
	}
	for k, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s = %q, want %q", k, v[0], v[1])
		}
	}
}

func deref[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

func TestBuildKindSpecificContent(t *testing.T) {
	ks := kinds()
	build := func(name string) *fa3.Faktura {
		f, err := fa3.Build(ks[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return f
	}
	kor := build("kor").Fa
	// 16.00 - 18.00 = -2.00, VAT -0.46.
	if deref(kor.P_13_1) != "-2.00" || deref(kor.P_14_1) != "-0.46" || kor.P_15 != "-2.46" {
		t.Errorf("kor totals %s %s %s", deref(kor.P_13_1), deref(kor.P_14_1), kor.P_15)
	}
	if len(kor.DaneFaKorygowanej) != 1 || deref(kor.DaneFaKorygowanej[0].NrKSeF) != "1" ||
		kor.DaneFaKorygowanej[0].NrFaKorygowanej != "FV/1/2026" || deref(kor.FaWiersz[0].StanPrzed) != "1" ||
		kor.FaWiersz[1].StanPrzed != nil || deref(kor.TypKorekty) != "1" {
		t.Errorf("kor content %+v", kor.DaneFaKorygowanej)
	}
	if d := build("kor-outside-ksef-difference").Fa; deref(d.DaneFaKorygowanej[0].NrKSeFN) != "1" || d.P_15 != "-10.80" {
		t.Errorf("kor difference: NrKSeFN %s P_15 %s", deref(d.DaneFaKorygowanej[0].NrKSeFN), d.P_15)
	}

	zal := build("zal").Fa
	if zal.Zamowienie == nil || zal.Zamowienie.WartoscZamowienia != "1770.00" || len(zal.Zamowienie.ZamowienieWiersz) != 2 ||
		len(zal.FaWiersz) != 0 || zal.P_15 != "500.00" || deref(zal.P_13_1) != "282.49" || deref(zal.P_14_1) != "64.97" ||
		deref(zal.P_13_2) != "141.24" || deref(zal.P_14_2) != "11.30" || deref(zal.P_6) != "2026-01-12" {
		t.Errorf("zal: %+v", zal)
	}
	if z := build("zal-eur").Fa; deref(z.P_14_1W) != "276.12" || deref(z.KursWalutyZ) != "4.25" {
		// 64.97 * 4.25 = 276.1225
		t.Errorf("zal-eur: P_14_1W %s KursWalutyZ %s", deref(z.P_14_1W), deref(z.KursWalutyZ))
	}

	roz := build("roz").Fa
	// Lines: 1000 @23 (VAT 230) and 500 @8 (VAT 40); advances 382.49/87.97 at 23 and 141.24/11.30 at 8.
	if deref(roz.P_13_1) != "617.51" || deref(roz.P_14_1) != "142.03" || deref(roz.P_13_2) != "358.76" ||
		deref(roz.P_14_2) != "28.70" || roz.P_15 != "1147.00" || len(roz.FakturaZaliczkowa) != 2 ||
		deref(roz.FakturaZaliczkowa[1].NrKSeFZN) != "1" || len(roz.FaWiersz) != 2 {
		t.Errorf("roz: %s %s %s %s %s", deref(roz.P_13_1), deref(roz.P_14_1), deref(roz.P_13_2), deref(roz.P_14_2), roz.P_15)
	}

	upr := build("upr")
	if upr.Podmiot2.DaneIdentyfikacyjne.Nazwa != nil || upr.Podmiot2.Adres != nil || upr.Fa.P_15 != "294.71" {
		// 239.60 + 55.108 -> 55.11
		t.Errorf("upr: %+v P_15 %s", upr.Podmiot2, upr.Fa.P_15)
	}
	eur := build("vat-eur").Fa
	if deref(eur.P_14_1W) != "42.75" || deref(eur.P_14_3W) != "17.05" {
		// 10.03 * 4.2618 = 42.7459; 4.00 * 4.2618 = 17.0472
		t.Errorf("vat-eur: P_14_1W %s P_14_3W %s", deref(eur.P_14_1W), deref(eur.P_14_3W))
	}
	wdt := build("vat-wdt-eu-buyer")
	if id := wdt.Podmiot2.DaneIdentyfikacyjne; deref(id.KodUE) != "DE" || deref(id.NrVatUE) != "123456789" || id.NIP != nil ||
		len(wdt.Fa.DodatkowyOpis) != 1 || wdt.Fa.DodatkowyOpis[0].Wartosc != "DAP Berlin" ||
		wdt.Stopka == nil || deref(wdt.Stopka.Informacje[0].StopkaFaktury) != "Kapitał zakładowy 5 000 000 zł" {
		t.Errorf("wdt: %+v %+v", id, wdt.Fa.DodatkowyOpis)
	}
	if deref(wdt.Podmiot1.PrefiksPodatnika) != "PL" || build("vat").Podmiot1.PrefiksPodatnika != nil {
		t.Error("PrefiksPodatnika PL belongs to intra-Community supplies only")
	}
	if id := build("vat-export-foreign-buyer").Podmiot2.DaneIdentyfikacyjne; deref(id.NrID) != "12-3456789" || deref(id.KodKraju) != "US" {
		t.Errorf("export: %+v", id)
	}
	if id := build("vat-consumer-minimal").Podmiot2.DaneIdentyfikacyjne; deref(id.BrakID) != "1" || id.NIP != nil {
		t.Errorf("consumer: %+v", id)
	}
	sr := build("vat-special-rates").Fa
	if deref(sr.P_13_10) != "1500.00" || sr.Adnotacje.P_18 != "1" || deref(sr.P_13_6_3) != "10.00" ||
		deref(sr.P_13_6_2) != "10.00" || deref(sr.P_13_9) != "10.00" || deref(sr.P_13_8) != "10.00" ||
		deref(sr.P_13_4) != "10.00" || deref(sr.P_14_4) != "0.40" || deref(sr.P_14_2) != "0.70" || deref(sr.P_14_1) != "2.20" {
		t.Errorf("special rates: %+v", sr)
	}
}

func TestBuildRejectsBadInput(t *testing.T) {
	cases := []struct {
		name   string
		modify func(*fa3.InvoiceParams)
		want   string
	}{
		{"nip checksum", func(p *fa3.InvoiceParams) { p.Seller.NIP = "5265877636" }, "seller.nip: NIP \"5265877636\" has a wrong checksum"},
		{"nip shape", func(p *fa3.InvoiceParams) { p.Buyer.NIP = "123" }, "buyer.nip: NIP \"123\": must be 10 digits"},
		{"no seller nip", func(p *fa3.InvoiceParams) { p.Seller.NIP = "" }, "seller.nip: NIP is required"},
		{"no lines", func(p *fa3.InvoiceParams) { p.Lines = nil }, "at least one line is required"},
		{"negative quantity", func(p *fa3.InvoiceParams) { p.Lines[0].Quantity = "-1" }, "lines[1].quantity -1 is negative"},
		{"negative price", func(p *fa3.InvoiceParams) { p.Lines[1].UnitPrice = "-1" }, "lines[2].unitPrice -1 is negative"},
		{"zero quantity", func(p *fa3.InvoiceParams) { p.Lines[0].Quantity = "0" }, "lines[1].quantity is zero"},
		{"float quantity", func(p *fa3.InvoiceParams) { p.Lines[0].Quantity = "1e2" }, "lines[1].quantity: \"1e2\" is not a decimal"},
		{"too precise price", func(p *fa3.InvoiceParams) { p.Lines[0].UnitPrice = "0.123456789" }, "more than 8 decimal places"},
		{"bad rate", func(p *fa3.InvoiceParams) { p.Lines[0].Rate = "24" }, "lines[1].rate: unknown VAT rate \"24\""},
		{"no name", func(p *fa3.InvoiceParams) { p.Lines[2].Name = "" }, "lines[3].name is required"},
		{"bad gtu", func(p *fa3.InvoiceParams) { p.Lines[0].GTU = "GTU_14" }, "lines[1].gtu \"GTU_14\""},
		{"no number", func(p *fa3.InvoiceParams) { p.Number = "" }, "number is required"},
		{"bad date", func(p *fa3.InvoiceParams) { p.IssueDate = "15.01.2026" }, "issueDate \"15.01.2026\" is not a date"},
		{"date range", func(p *fa3.InvoiceParams) { p.IssueDate = "2051-01-01" }, "outside 2006-01-01..2050-01-01"},
		{"zw without basis", func(p *fa3.InvoiceParams) { p.ExemptionBasis = "" }, "exemptionBasis"},
		{"kind", func(p *fa3.InvoiceParams) { p.Kind = "KOR_ZAL" }, "kind \"KOR_ZAL\" is not supported"},
		{"kor without correction", func(p *fa3.InvoiceParams) { p.Kind = fa3.KindKOR }, "correction (the corrected invoice) is required"},
		{"correction on vat", func(p *fa3.InvoiceParams) { p.Correction = &fa3.Correction{} }, "correction is only allowed on KOR"},
		{"before on vat", func(p *fa3.InvoiceParams) { p.Lines[0].Before = true }, "before is only allowed on corrections"},
		{"bad ksef number", func(p *fa3.InvoiceParams) {
			p.Kind = fa3.KindKOR
			p.Correction = &fa3.Correction{Number: "1", IssueDate: "2026-01-01", KSeFNumber: "5265877635-20260101-0123456789AB-00"}
		}, "correction.ksefNumber: KSeF number \"5265877635-20260101-0123456789AB-00\" has a wrong checksum"},
		{"zal without advance", func(p *fa3.InvoiceParams) { p.Kind = fa3.KindZAL }, "advance (the amount received) is required"},
		{"zal too much", func(p *fa3.InvoiceParams) {
			p.Kind = fa3.KindZAL
			p.Advance = &fa3.Advance{Amount: "10000"}
		}, "exceeds the order's gross value"},
		{"roz without advances", func(p *fa3.InvoiceParams) { p.Kind = fa3.KindROZ }, "advanceInvoices (the advance invoices settled) are required"},
		{"roz too much", func(p *fa3.InvoiceParams) {
			p.Kind = fa3.KindROZ
			p.AdvanceInvoices = []fa3.AdvanceInvoice{{Number: "Z/1", Amounts: []fa3.RateAmount{{Rate: "5", Net: "1000", VAT: "50"}}}}
		}, "advances at rate 5"},
		{"upr over 450", func(p *fa3.InvoiceParams) {
			p.Kind = fa3.KindUPR
			p.Lines = []fa3.Line{{Name: "x", Quantity: "1", UnitPrice: "365.86", Rate: "23"}} // 450.01 gross
			p.ExemptionBasis = ""
		}, "gross amount 450.01 PLN exceeds 450.00 PLN"},
		{"upr without buyer nip", func(p *fa3.InvoiceParams) {
			p.Kind = fa3.KindUPR
			p.Buyer.NIP = ""
			p.Lines = p.Lines[:1]
			p.ExemptionBasis = ""
		}, "buyer.nip: NIP is required"},
		{"currency without rate", func(p *fa3.InvoiceParams) { p.Currency = "EUR" }, "exchangeRate (PLN per unit) is required"},
		{"payment method", func(p *fa3.InvoiceParams) { p.Payment.Method = 9 }, "payment.method 9"},
		{"two buyer ids", func(p *fa3.InvoiceParams) { p.Buyer.EUVATNumber = "DE1234" }, "give only one of nip, euVatNumber and foreignId"},
		{"eu vat prefix", func(p *fa3.InvoiceParams) { p.Buyer.NIP, p.Buyer.EUVATNumber = "", "de1234" }, "must start with a two-letter EU country code"},
		{"empty note", func(p *fa3.InvoiceParams) { p.Notes = []fa3.Note{{Key: "k"}} }, "notes[1].value is required"},
		{"huge line", func(p *fa3.InvoiceParams) {
			p.Lines[0].Quantity, p.Lines[0].UnitPrice = "99999999999999", "99999999999999"
		}, "is too large"},
		{"huge total", func(p *fa3.InvoiceParams) {
			p.Lines[0].Quantity, p.Lines[0].UnitPrice = "90000000000000", "100"
			p.Lines[1].Quantity, p.Lines[1].UnitPrice = "90000000000000", "100"
		}, "total too large"},
		{"created too early", func(p *fa3.InvoiceParams) { p.Created = time.Date(2025, 8, 31, 0, 0, 0, 0, time.UTC) }, "created 2025-08-31T00:00:00Z is outside"},
		{"country", func(p *fa3.InvoiceParams) { p.Seller.CountryCode = "pl" }, "seller.countryCode \"pl\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := vatParams()
			p.Lines = append([]fa3.Line(nil), p.Lines...)
			pay := *p.Payment
			p.Payment = &pay
			c.modify(&p)
			f, err := fa3.Build(p)
			if err == nil {
				t.Fatalf("accepted: %+v", f.Fa)
			}
			var be *fa3.BuildError
			if !errors.As(err, &be) {
				t.Fatalf("error %v is not a *BuildError", err)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "fa3: ") {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestBuildReportsEveryProblem(t *testing.T) {
	p := vatParams()
	p.Seller.NIP = "1234567890"
	p.Number = ""
	p.Lines = []fa3.Line{{Quantity: "-1", UnitPrice: "x", Rate: "1"}}
	_, err := fa3.Build(p)
	var be *fa3.BuildError
	if !errors.As(err, &be) || len(be.Problems) < 5 {
		t.Fatalf("got %v", err)
	}
}

// TestBuildSchemaViolation: what the builder does not check itself is
// caught by the schema validation of the result.
func TestBuildSchemaViolation(t *testing.T) {
	p := vatParams()
	p.Currency, p.ExchangeRate = "ABC", "1" // not an ISO 4217 code of the schema
	_, err := fa3.Build(p)
	var ve *fa3.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "KodWaluty") {
		t.Fatalf("got %v", err)
	}
}

// TestBuildChecksNIPWithIdent compares the builder's NIP check with
// ident.ParseNIP on random valid NIPs and their one-digit mutants.
func TestBuildChecksNIPWithIdent(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	p := vatParams()
	for i := range 300 {
		nip := string(ident.RandomNIP(r))
		if i%2 == 1 {
			b := []byte(nip)
			b[r.IntN(10)] = byte('0' + r.IntN(10))
			nip = string(b)
		}
		p.Seller.NIP = nip
		_, rootErr := ident.ParseNIP(nip)
		_, err := fa3.Build(p)
		if (rootErr == nil) != (err == nil) {
			t.Fatalf("NIP %s: ident.ParseNIP %v, Build %v", nip, rootErr, err)
		}
	}
}

func TestBuildChecksCorrectionKSeFNumberWithIdent(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	p := kinds()["kor"]
	for i := range 200 {
		n := string(ident.NewKSeFNumber(ident.RandomNIP(r), time.Date(2026, 1, 1+i%28, 0, 0, 0, 0, time.UTC), r))
		if i%2 == 1 {
			b := []byte(n)
			j := 20 + r.IntN(15)
			if b[j] != '-' {
				b[j] = "0123456789ABCDEF"[r.IntN(16)]
			}
			n = string(b)
		}
		c := *p.Correction
		c.KSeFNumber = n
		p.Correction = &c
		_, rootErr := ident.ParseKSeFNumber(n)
		_, err := fa3.Build(p)
		if (rootErr == nil) != (err == nil) {
			t.Fatalf("KSeF number %s: ident.ParseKSeFNumber %v, Build %v", n, rootErr, err)
		}
	}
}

const paramsJSON = `{
  "number": "FV/9/2026", "issueDate": "2026-02-01",
  "seller": {"nip": "5265877635", "name": "S.A.", "addressLine1": "ul. A 1"},
  "buyer": {"nip": "7773152431", "name": "B", "addressLine1": "ul. B 2"},
  "lines": [{"name": "x", "quantity": 3, "unitPrice": 0.10, "rate": "23"},
            {"name": "y", "quantity": "1.5", "unitPrice": "2", "rate": "8"}]
}`

const paramsYAML = `
number: FV/9/2026
issueDate: "2026-02-01"
seller: {nip: "5265877635", name: S.A., addressLine1: ul. A 1}
buyer: {nip: "7773152431", name: B, addressLine1: ul. B 2}
lines:
  - {name: x, quantity: 3, unitPrice: 0.10, rate: 23}
  - {name: y, quantity: "1.5", unitPrice: 2, rate: "8"}
`

// TestParamsFromJSONAndYAML: numbers in JSON and YAML keep their digits
// (0.10 stays 0.10, never a float64).
func TestParamsFromJSONAndYAML(t *testing.T) {
	var pj, py fa3.InvoiceParams
	if err := json.Unmarshal([]byte(paramsJSON), &pj); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(paramsYAML), &py); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]fa3.InvoiceParams{"json": pj, "yaml": py} {
		if p.Lines[0].UnitPrice != "0.10" || p.Lines[0].Rate != "23" || p.Lines[1].Quantity != "1.5" {
			t.Errorf("%s: lines %+v", name, p.Lines)
		}
		p.Created = created
		f, err := fa3.Build(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// 0.30 @23 -> VAT 0.069 -> 0.07; 3.00 @8 -> 0.24.
		if f.Fa.P_15 != "3.61" {
			t.Errorf("%s: P_15 %s", name, f.Fa.P_15)
		}
	}
}

// FuzzBuildJSON: any JSON description either fails with an error or
// yields a schema-valid invoice.
func FuzzBuildJSON(f *testing.F) {
	f.Add(paramsJSON)
	for _, p := range kinds() {
		b, _ := json.Marshal(p)
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		var p fa3.InvoiceParams
		if json.Unmarshal([]byte(s), &p) != nil {
			return
		}
		doc, err := fa3.BuildXML(p)
		if err != nil {
			return
		}
		if err := fa3.ValidateBytes(doc); err != nil {
			t.Fatalf("BuildXML returned an invalid document: %v", err)
		}
	})
}

func ExampleBuildXML() {
	doc, err := fa3.BuildXML(fa3.InvoiceParams{
		Number:    "FV/1/2026",
		IssueDate: "2026-01-15",
		Seller:    fa3.Party{NIP: "5265877635", Name: "Sprzedawca sp. z o.o.", AddressLine1: "ul. Kwiatowa 1", AddressLine2: "00-001 Warszawa"},
		Buyer:     fa3.Party{NIP: "7773152431", Name: "Nabywca S.A.", AddressLine1: "ul. Polna 1", AddressLine2: "00-001 Warszawa"},
		Lines: []fa3.Line{
			{Name: "Konsultacje", Unit: "h", Quantity: "10", UnitPrice: "150.00", Rate: "23"},
			{Name: "Książka", Unit: "szt.", Quantity: "1", UnitPrice: "49.90", Rate: "5"},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	f, _ := fa3.Parse(doc)
	fmt.Println(*f.Fa.P_13_1, *f.Fa.P_14_1, *f.Fa.P_13_3, *f.Fa.P_14_3, f.Fa.P_15)
	// Output: 1500.00 345.00 49.90 2.50 1897.40
}

// exampleParams reads the example descriptions of testdata/builder.
func exampleParams(t *testing.T) map[string]fa3.InvoiceParams {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "builder", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	out := map[string]fa3.InvoiceParams{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var p fa3.InvoiceParams
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		p.Created = created
		out[strings.TrimSuffix(filepath.Base(f), ".yaml")] = p
	}
	return out
}

// TestExampleDescriptions builds the documented examples of every kind and
// checks them with xmllint; the settlement example deducts exactly what
// the advance example taxed.
func TestExampleDescriptions(t *testing.T) {
	ex := exampleParams(t)
	var cases []xsdtest.Case
	built := map[string]*fa3.Faktura{}
	for _, name := range []string{"vat", "kor", "zal", "roz", "upr"} {
		p, ok := ex[name]
		if !ok {
			t.Fatalf("no example %s", name)
		}
		doc, err := fa3.BuildXML(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f, err := fa3.Parse(doc)
		if err != nil {
			t.Fatal(err)
		}
		if string(f.Fa.RodzajFaktury) != strings.ToUpper(name) {
			t.Errorf("%s: RodzajFaktury %s", name, f.Fa.RodzajFaktury)
		}
		built[name] = f
		cases = append(cases, xsdtest.Case{Name: name, Doc: doc})
	}
	zal, roz := built["zal"].Fa, built["roz"].Fa
	adv := ex["roz"].AdvanceInvoices[0].Amounts
	if deref(zal.P_13_1) != string(adv[0].Net) || deref(zal.P_14_1) != string(adv[0].VAT) ||
		deref(zal.P_13_2) != string(adv[1].Net) || deref(zal.P_14_2) != string(adv[1].VAT) {
		t.Errorf("roz.yaml deducts %+v, zal.yaml taxed %s/%s and %s/%s", adv,
			deref(zal.P_13_1), deref(zal.P_14_1), deref(zal.P_13_2), deref(zal.P_14_2))
	}
	// Order gross 13920.00, advance 5000.00: 8920.00 left to pay.
	if zal.P_15 != "5000.00" || roz.P_15 != "8920.00" {
		t.Errorf("zal P_15 %s, roz P_15 %s", zal.P_15, roz.P_15)
	}
	verdicts, _ := xsdtest.Xmllint(t, fa3Schema, cases)
	for i, v := range verdicts {
		if !v.Valid {
			t.Errorf("xmllint rejects %s:\n%s", cases[i].Name, v.Output)
		}
	}
}
