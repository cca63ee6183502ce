package fa3

import (
	"fmt"
	"math/big"
	"strconv"
)

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
