package fa3

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Money is an amount in grosze (hundredths of the currency unit). Totals
// are kept as integers so that sums are exact; String formats the amount
// the way FA(3) writes TKwotowy values ("1234.50", "-0.07").
type Money int64

// String formats m with two decimal places and a dot separator.
func (m Money) String() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign = "-"
		v = -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// MarshalText encodes m as its String form, so JSON and YAML carry exact
// decimal strings.
func (m Money) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses an amount written as by MarshalText.
func (m *Money) UnmarshalText(b []byte) error {
	v, err := ParseMoney(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ParseMoney parses a decimal amount with at most two decimal places
// ("12", "12.3", "-0.07").
func ParseMoney(s string) (Money, error) {
	r, err := parseDecimal(s, 2)
	if err != nil {
		return 0, err
	}
	return roundHalfUp(r), nil
}

func (m Money) kwotowy() *TKwotowy {
	v := TKwotowy(m.String())
	return &v
}

// Decimal is an exact decimal number written as a string ("20", "0.90",
// "-1.5"). It is used for quantities, unit prices and amounts given to the
// builder. In JSON it may be a number or a string; the digits are kept
// as written, never converted to float64.
type Decimal string

// UnmarshalJSON accepts a JSON number or a JSON string.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = Decimal(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("fa3: decimal must be a number or a string, got %s", b)
	}
	*d = Decimal(n.String())
	return nil
}

// decimalRE is a plain decimal: optional minus, digits, optional fraction
// (".5" is accepted for "0.5").
var decimalRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^-?([0-9]+(\.[0-9]+)?|\.[0-9]+)$`) })

// parseDecimal parses a plain decimal with at most maxFrac fraction digits
// into an exact rational. Exponents, fractions "a/b", signs "+" and spaces
// are rejected.
func parseDecimal(s string, maxFrac int) (*big.Rat, error) {
	if !decimalRE().MatchString(s) {
		return nil, fmt.Errorf("fa3: %q is not a decimal number", s)
	}
	if _, frac, ok := strings.Cut(s, "."); ok && len(frac) > maxFrac {
		return nil, fmt.Errorf("fa3: %q has more than %d decimal places", s, maxFrac)
	}
	intPart, _, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if len(strings.TrimLeft(intPart, "0")) > 14 {
		return nil, fmt.Errorf("fa3: %q is too large", s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("fa3: %q is not a decimal number", s)
	}
	return r, nil
}

// canonicalDecimal rewrites a valid decimal without superfluous leading
// zeros ("007.50" → "7.50", "-0" → "0") so that it matches the FA(3)
// decimal patterns.
func canonicalDecimal(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	out := intPart
	if hasFrac {
		out += "." + frac
	}
	if neg && strings.Trim(out, "0.") != "" {
		out = "-" + out
	}
	return out
}

// roundHalfUp rounds r (an amount in currency units) to grosze, halves
// away from zero: the commercial rounding used for Polish VAT.
func roundHalfUp(r *big.Rat) Money {
	x := new(big.Rat).Mul(r, big.NewRat(100, 1))
	neg := x.Sign() < 0
	if neg {
		x.Neg(x)
	}
	// floor(x + 1/2)
	x.Add(x, big.NewRat(1, 2))
	q := new(big.Int).Quo(x.Num(), x.Denom())
	v := q.Int64()
	if neg {
		v = -v
	}
	return Money(v)
}

// rateInfo describes one value of TStawkaPodatku: the percentage (nil when
// no tax is charged) and the summary fields of Fa it is totalled in.
type rateInfo struct {
	percent int64 // -1: no VAT amount (0%, zw, oo, np)
	group   int   // index into rateGroups
}

var rates = map[TStawkaPodatku]rateInfo{
	TStawkaPodatku_23:    {23, 0},
	TStawkaPodatku_22:    {22, 0},
	TStawkaPodatku_8:     {8, 1},
	TStawkaPodatku_7:     {7, 1},
	TStawkaPodatku_5:     {5, 2},
	TStawkaPodatku_4:     {4, 3},
	TStawkaPodatku_3:     {3, 3},
	TStawkaPodatku_0_KR:  {0, 4},
	TStawkaPodatku_0_WDT: {0, 5},
	TStawkaPodatku_0_EX:  {0, 6},
	TStawkaPodatkuzw:     {-1, 7},
	TStawkaPodatkunp_I:   {-1, 8},
	TStawkaPodatkunp_II:  {-1, 9},
	TStawkaPodatkuoo:     {-1, 10},
}

// rateOrder is the order of rates in Totals.Rates.
var rateOrder = []TStawkaPodatku{
	TStawkaPodatku_23, TStawkaPodatku_22, TStawkaPodatku_8, TStawkaPodatku_7,
	TStawkaPodatku_5, TStawkaPodatku_4, TStawkaPodatku_3,
	TStawkaPodatku_0_KR, TStawkaPodatku_0_WDT, TStawkaPodatku_0_EX,
	TStawkaPodatkuzw, TStawkaPodatkunp_I, TStawkaPodatkunp_II, TStawkaPodatkuoo,
}

// ParseRate parses a VAT rate as written in P_12: "23", "22", "8", "7",
// "5", "4", "3", "0 KR", "0 WDT", "0 EX", "zw", "oo", "np I", "np II".
// "0" is accepted for "0 KR" and "np" for "np I"; a trailing "%" is
// ignored.
func ParseRate(s string) (TStawkaPodatku, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "%")
	switch t {
	case "0":
		t = string(TStawkaPodatku_0_KR)
	case "np":
		t = string(TStawkaPodatkunp_I)
	}
	if _, ok := rates[TStawkaPodatku(t)]; !ok {
		names := make([]string, len(rateOrder))
		for i, r := range rateOrder {
			names[i] = strconv.Quote(string(r))
		}
		return "", fmt.Errorf("fa3: unknown VAT rate %q (want one of %s)", s, strings.Join(names, ", "))
	}
	return TStawkaPodatku(t), nil
}

// RateTotal is the sum of the lines of one VAT rate.
type RateTotal struct {
	Rate TStawkaPodatku `json:"rate"`
	Net  Money          `json:"net"`
	VAT  Money          `json:"vat"`
}

// Gross is Net + VAT.
func (r RateTotal) Gross() Money { return r.Net + r.VAT }

// Totals are the amounts of an invoice per VAT rate and in total.
type Totals struct {
	// Rates lists the rates present, in the order 23, 22, 8, 7, 5, 4, 3,
	// 0 KR, 0 WDT, 0 EX, zw, np I, np II, oo.
	Rates []RateTotal `json:"rates"`
	Net   Money       `json:"net"`
	VAT   Money       `json:"vat"`
	Gross Money       `json:"gross"`
}

// Rate returns the total of one rate (zero when absent).
func (t *Totals) Rate(r TStawkaPodatku) RateTotal {
	for _, x := range t.Rates {
		if x.Rate == r {
			return x
		}
	}
	return RateTotal{Rate: r}
}

// LineNet returns the net value of a line, quantity × unit price rounded
// half-up to grosze.
func LineNet(quantity, unitPrice Decimal) (Money, error) {
	q, err := parseDecimal(string(quantity), 6)
	if err != nil {
		return 0, fmt.Errorf("fa3: quantity: %w", trimPrefix(err))
	}
	p, err := parseDecimal(string(unitPrice), 8)
	if err != nil {
		return 0, fmt.Errorf("fa3: unit price: %w", trimPrefix(err))
	}
	net := new(big.Rat).Mul(q, p)
	if new(big.Rat).Abs(net).Cmp(maxAmount) >= 0 {
		return 0, fmt.Errorf("fa3: line value %s × %s is too large", quantity, unitPrice)
	}
	return roundHalfUp(net), nil
}

// maxAmount bounds amounts: TKwotowy allows 16 integer digits.
var maxAmount = new(big.Rat).SetInt64(1e16)

// maxMoney is maxAmount in grosze.
const maxMoney = Money(1e18)

// addMoney adds b to *a, failing when the sum leaves the range of
// TKwotowy (which also keeps it far from int64 overflow).
func addMoney(a *Money, b Money) error {
	if b <= -maxMoney || b >= maxMoney {
		return errors.New("fa3: amount too large")
	}
	s := *a + b
	if s <= -maxMoney || s >= maxMoney {
		return errors.New("fa3: total too large")
	}
	*a = s
	return nil
}

// VATOf returns the tax on a net amount at rate r: net × percent / 100
// rounded half-up; zero for the rates without tax (0 %, zw, oo, np).
func VATOf(net Money, r TStawkaPodatku) Money {
	info, ok := rates[r]
	if !ok || info.percent <= 0 {
		return 0
	}
	x := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(int64(net)), big.NewInt(info.percent)), big.NewInt(100*100))
	return roundHalfUp(x)
}

// vatOfGross returns the tax contained in a gross amount at rate r:
// gross × percent / (100 + percent), rounded half-up.
func vatOfGross(gross Money, r TStawkaPodatku) Money {
	info, ok := rates[r]
	if !ok || info.percent <= 0 {
		return 0
	}
	x := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(int64(gross)), big.NewInt(info.percent)), big.NewInt(100*(100+info.percent)))
	return roundHalfUp(x)
}

// NetAmount is a net amount at one VAT rate, the input of [SumByRate].
type NetAmount struct {
	Rate TStawkaPodatku
	Net  Money
}

// SumByRate totals net amounts per VAT rate the way Polish VAT practice
// does on invoices: the nets of each rate are summed first and the tax of
// the rate is computed once from that sum (VAT = round(net × rate, 2),
// half-up), not line by line. Unknown rates are an error.
func SumByRate(amounts []NetAmount) (*Totals, error) {
	sums := map[TStawkaPodatku]Money{}
	for _, a := range amounts {
		if _, ok := rates[a.Rate]; !ok {
			return nil, fmt.Errorf("fa3: unknown VAT rate %q", a.Rate)
		}
		sum := sums[a.Rate]
		if err := addMoney(&sum, a.Net); err != nil {
			return nil, err
		}
		sums[a.Rate] = sum
	}
	t := &Totals{}
	for _, r := range rateOrder {
		net, ok := sums[r]
		if !ok {
			continue
		}
		rt := RateTotal{Rate: r, Net: net, VAT: VATOf(net, r)}
		t.Rates = append(t.Rates, rt)
		if err := errors.Join(addMoney(&t.Net, rt.Net), addMoney(&t.VAT, rt.VAT)); err != nil {
			return nil, err
		}
	}
	t.Gross = t.Net + t.VAT
	if t.Gross <= -maxMoney || t.Gross >= maxMoney {
		return nil, errors.New("fa3: total too large")
	}
	return t, nil
}

// ComputeTotals returns the totals of invoice lines: each line's net value
// (quantity × unit price, rounded to grosze) summed per rate, then the VAT of
// each rate. Lines marked Before (the state before a correction) are
// subtracted, so that a correction's totals are the differences.
func ComputeTotals(lines []Line) (*Totals, error) {
	amounts := make([]NetAmount, 0, len(lines))
	for i, l := range lines {
		r, err := ParseRate(string(l.Rate))
		if err != nil {
			return nil, fmt.Errorf("fa3: line %d: %w", i+1, trimPrefix(err))
		}
		net, err := LineNet(l.Quantity, l.UnitPrice)
		if err != nil {
			return nil, fmt.Errorf("fa3: line %d: %w", i+1, trimPrefix(err))
		}
		if l.Before {
			net = -net
		}
		amounts = append(amounts, NetAmount{Rate: r, Net: net})
	}
	return SumByRate(amounts)
}

// setSummary writes the per-rate totals into the P_13_x/P_14_x fields of
// fa; when pln is non-nil (an invoice in a foreign currency), the tax
// converted to PLN at that exchange rate goes to P_14_xW.
func setSummary(fa *Fa, t *Totals, pln *big.Rat) {
	type group struct{ net, vat Money }
	var g [11]group
	var used [11]bool
	for _, r := range t.Rates {
		i := rates[r.Rate].group
		g[i].net += r.Net
		g[i].vat += r.VAT
		used[i] = true
	}
	w := func(vat Money) *TKwotowy {
		if pln == nil {
			return nil
		}
		x := new(big.Rat).Mul(new(big.Rat).SetFrac64(int64(vat), 100), pln)
		return roundHalfUp(x).kwotowy()
	}
	net := func(i int) *TKwotowy {
		if !used[i] {
			return nil
		}
		return g[i].net.kwotowy()
	}
	vat := func(i int) *TKwotowy {
		if !used[i] {
			return nil
		}
		return g[i].vat.kwotowy()
	}
	vatW := func(i int) *TKwotowy {
		if !used[i] {
			return nil
		}
		return w(g[i].vat)
	}
	fa.P_13_1, fa.P_14_1, fa.P_14_1W = net(0), vat(0), vatW(0)
	fa.P_13_2, fa.P_14_2, fa.P_14_2W = net(1), vat(1), vatW(1)
	fa.P_13_3, fa.P_14_3, fa.P_14_3W = net(2), vat(2), vatW(2)
	fa.P_13_4, fa.P_14_4, fa.P_14_4W = net(3), vat(3), vatW(3)
	fa.P_13_6_1 = net(4)
	fa.P_13_6_2 = net(5)
	fa.P_13_6_3 = net(6)
	fa.P_13_7 = net(7)
	fa.P_13_8 = net(8)
	fa.P_13_9 = net(9)
	fa.P_13_10 = net(10)
	fa.P_15 = TKwotowy(t.Gross.String())
}

// trimPrefix drops the "fa3: " prefix of an error that is being wrapped in
// another fa3 error, to avoid "fa3: line 1: fa3: ...".
func trimPrefix(err error) error {
	return prefixless{err}
}

type prefixless struct{ err error }

func (p prefixless) Error() string { return strings.TrimPrefix(p.err.Error(), "fa3: ") }
func (p prefixless) Unwrap() error { return p.err }
