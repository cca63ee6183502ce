package fa3

import (
	"fmt"
	"strconv"
	"strings"
)

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
