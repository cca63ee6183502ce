package visual

import (
	"math/big"
	"strings"
)

// Amounts are kept as decimal strings end to end; this file does the little
// arithmetic and formatting the renderers need, exactly, with math/big.

// parseDecimal parses a plain decimal ("-1234.50", "7", ".5") into an
// unscaled integer and its number of fraction digits.
func parseDecimal(s string) (*big.Int, int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, 0, false
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return nil, 0, false
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return nil, 0, false
		}
	}
	n, ok := new(big.Int).SetString("0"+intPart+frac, 10)
	if !ok {
		return nil, 0, false
	}
	if neg {
		n.Neg(n)
	}
	return n, len(frac), true
}

var ten = big.NewInt(10)

func rescale(n *big.Int, from, to int) *big.Int {
	if to <= from {
		return n
	}
	return new(big.Int).Mul(n, new(big.Int).Exp(ten, big.NewInt(int64(to-from)), nil))
}

// decimalString writes an unscaled integer with scale fraction digits.
func decimalString(n *big.Int, scale int) string {
	neg := n.Sign() < 0
	digits := new(big.Int).Abs(n).String()
	for len(digits) <= scale {
		digits = "0" + digits
	}
	out := digits
	if scale > 0 {
		out = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		out = "-" + out
	}
	return out
}

// addDecimals returns a+b exactly, with the larger of the two scales (at
// least two digits). It returns "" when either operand is not a decimal.
func addDecimals(a, b string) string {
	x, sx, ok1 := parseDecimal(a)
	y, sy, ok2 := parseDecimal(b)
	if !ok1 || !ok2 {
		return ""
	}
	scale := max(sx, sy, 2)
	sum := new(big.Int).Add(rescale(x, sx, scale), rescale(y, sy, scale))
	return decimalString(sum, scale)
}

// formatNumber writes a decimal the Polish way: a space between groups of
// thousands, a comma before the fraction, at least minFrac fraction digits.
// Values that are not decimals are returned unchanged.
func formatNumber(s string, minFrac int) string {
	n, scale, ok := parseDecimal(s)
	if !ok {
		return s
	}
	if scale < minFrac {
		n, scale = rescale(n, scale, minFrac), minFrac
	}
	plain := decimalString(n, scale)
	neg := strings.HasPrefix(plain, "-")
	plain = strings.TrimPrefix(plain, "-")
	intPart, frac, _ := strings.Cut(plain, ".")
	var b strings.Builder
	if neg {
		b.WriteString("-")
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteByte(',')
		b.WriteString(frac)
	}
	return b.String()
}

// formatAmount formats a money amount ("1234.5" → "1 234,50").
func formatAmount(s string) string { return formatNumber(s, 2) }

// formatQuantity formats a quantity keeping its own precision ("20.00" → "20,00", "3" → "3").
func formatQuantity(s string) string { return formatNumber(s, 0) }

// formatAccount groups a 26-digit Polish account number (NRB) as
// "NN NNNN NNNN NNNN NNNN NNNN NNNN"; other numbers (IBAN with a country
// prefix, foreign accounts) are grouped by four after the prefix.
func formatAccount(nr string) string {
	nr = strings.ReplaceAll(nr, " ", "")
	if nr == "" {
		return ""
	}
	if len(nr) == 26 && isDigits(nr) {
		return groupBy4(nr[:2], nr[2:])
	}
	if len(nr) == 28 && strings.HasPrefix(nr, "PL") && isDigits(nr[2:]) {
		return groupBy4(nr[:4], nr[4:])
	}
	return nr
}

func groupBy4(head, rest string) string {
	parts := []string{head}
	for len(rest) > 4 {
		parts = append(parts, rest[:4])
		rest = rest[4:]
	}
	return strings.Join(append(parts, rest), " ")
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

var (
	wordsUnits = []string{"zero", "jeden", "dwa", "trzy", "cztery", "pięć", "sześć", "siedem", "osiem", "dziewięć"}
	wordsTeens = []string{"dziesięć", "jedenaście", "dwanaście", "trzynaście", "czternaście", "piętnaście",
		"szesnaście", "siedemnaście", "osiemnaście", "dziewiętnaście"}
	wordsTens = []string{"", "", "dwadzieścia", "trzydzieści", "czterdzieści", "pięćdziesiąt", "sześćdziesiąt",
		"siedemdziesiąt", "osiemdziesiąt", "dziewięćdziesiąt"}
	wordsHundreds = []string{"", "sto", "dwieście", "trzysta", "czterysta", "pięćset", "sześćset", "siedemset",
		"osiemset", "dziewięćset"}
	wordsGroups = [][3]string{
		{"", "", ""},
		{"tysiąc", "tysiące", "tysięcy"},
		{"milion", "miliony", "milionów"},
		{"miliard", "miliardy", "miliardów"},
		{"bilion", "biliony", "bilionów"},
	}
)

// pluralForm picks the Polish form for n: 0 for one, 1 for 2–4 (but not
// 12–14), 2 otherwise.
func pluralForm(n uint64) int {
	switch {
	case n == 1:
		return 0
	case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
		return 1
	default:
		return 2
	}
}

func hundredsInWords(n uint64) []string {
	var w []string
	if h := n / 100; h > 0 {
		w = append(w, wordsHundreds[h])
	}
	switch r := n % 100; {
	case r >= 20:
		w = append(w, wordsTens[r/10])
		if r%10 > 0 {
			w = append(w, wordsUnits[r%10])
		}
	case r >= 10:
		w = append(w, wordsTeens[r-10])
	case r > 0:
		w = append(w, wordsUnits[r])
	}
	return w
}

// integerInWords writes n in Polish words ("dwa tysiące pięćset").
func integerInWords(n uint64) string {
	if n == 0 {
		return wordsUnits[0]
	}
	var groups []uint64
	for m := n; m > 0; m /= 1000 {
		groups = append(groups, m%1000)
	}
	var w []string
	for i := len(groups) - 1; i >= 0; i-- {
		g := groups[i]
		if g == 0 {
			continue
		}
		if i > 0 && g == 1 {
			w = append(w, wordsGroups[i][0])
			continue
		}
		w = append(w, hundredsInWords(g)...)
		if i > 0 {
			w = append(w, wordsGroups[i][pluralForm(g)])
		}
	}
	return strings.Join(w, " ")
}

// amountInWords writes an amount as Polish accountants print it under the
// total ("sto dwadzieścia trzy złote 45/100"). It returns "" for values it
// cannot write (not a decimal, more than two fraction digits that are not
// zero, or too large).
func amountInWords(amount, currency string) string {
	n, scale, ok := parseDecimal(amount)
	if !ok {
		return ""
	}
	neg := n.Sign() < 0
	n = new(big.Int).Abs(n)
	if scale < 2 {
		n, scale = rescale(n, scale, 2), 2
	}
	// Drop fraction digits beyond the grosze only when they are zeros.
	for scale > 2 {
		q, r := new(big.Int).QuoRem(n, ten, new(big.Int))
		if r.Sign() != 0 {
			return ""
		}
		n, scale = q, scale-1
	}
	whole, cents := new(big.Int).QuoRem(n, big.NewInt(100), new(big.Int))
	if !whole.IsUint64() || whole.Uint64() >= 1e15 {
		return ""
	}
	u := whole.Uint64()
	words := integerInWords(u)
	if neg {
		words = "minus " + words
	}
	unit := currency
	if currency == "" || currency == "PLN" {
		unit = [3]string{"złoty", "złote", "złotych"}[pluralForm(u)]
	}
	c := cents.String()
	if len(c) < 2 {
		c = "0" + c
	}
	return words + " " + unit + " " + c + "/100"
}

// grandTotal is how the invoice total (P_15) is printed: "Razem do
// zapłaty" and the amount, or, when the total is negative (a correction
// that gives money back), "Do zwrotu" and the amount without its minus, as
// Polish documents print it. Words is the amount in words, likewise
// without "minus" ("" when it cannot be written).
type grandTotal struct {
	Refund bool
	Amount string // the absolute amount as a decimal ("307.50")
	Words  string
}

// newGrandTotal describes the total gross of an invoice in currency.
func newGrandTotal(gross, currency string) grandTotal {
	t := grandTotal{Amount: strings.TrimSpace(gross)}
	if n, _, ok := parseDecimal(t.Amount); ok && n.Sign() < 0 {
		t.Refund, t.Amount = true, strings.TrimPrefix(t.Amount, "-")
	}
	t.Words = amountInWords(t.Amount, currency)
	return t
}

// Label is the label of the total: "Razem do zapłaty" or "Do zwrotu".
func (t grandTotal) Label() string {
	if t.Refund {
		return "Do zwrotu"
	}
	return "Razem do zapłaty"
}
