package rt

import "strings"

// decimal is a parsed xsd:decimal: sign, integer digits without leading
// zeros and fraction digits without trailing zeros. total counts digits
// the way libxml2 does (leading zeros of the integer part are skipped,
// zeros after the decimal point are not).
type decimal struct {
	neg   bool
	intg  string
	fracd string
	total int
}

func (d decimal) frac() int { return len(d.fracd) }

func (d decimal) isZero() bool { return d.intg == "" && d.fracd == "" }

// maxDecimalDigits is libxml2's limit on the digits of a decimal or
// integer value (leading zeros excluded); longer values are rejected.
const maxDecimalDigits = 24

// cutSign removes a leading sign from s; neg reports a minus.
func cutSign(s string) (rest string, neg bool) {
	if s == "" {
		return s, false
	}
	switch s[0] {
	case '-':
		return s[1:], true
	case '+':
		return s[1:], false
	}
	return s, false
}

// parseDecimal parses an xsd:decimal lexical value (surrounding XML white
// space allowed) following libxml2's rules, including its 24-digit limit.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	s, d.neg = cutSign(trimXMLSpace(s))
	if s == "" {
		return d, false
	}
	leadingZeros := false
	for s != "" && s[0] == '0' {
		s = s[1:]
		leadingZeros = true
	}
	var digits []byte
	integ := -1
	for len(s) > 0 && len(digits) < maxDecimalDigits {
		c := s[0]
		if c >= '0' && c <= '9' {
			digits = append(digits, c)
			s = s[1:]
			continue
		}
		if c == '.' {
			s = s[1:]
			integ = len(digits)
			for len(s) > 0 && len(digits) < maxDecimalDigits && s[0] >= '0' && s[0] <= '9' {
				digits = append(digits, s[0])
				s = s[1:]
			}
			if len(digits) == 0 && !leadingZeros {
				return d, false
			}
		}
		break
	}
	if s != "" {
		return d, false
	}
	if integ < 0 {
		integ = len(digits)
	}
	n := len(digits)
	for n > integ && digits[n-1] == '0' {
		n--
	}
	d.intg = string(digits[:integ])
	d.fracd = string(digits[integ:n])
	d.total = n
	if n == 0 {
		d.total = 1
		d.neg = false
	}
	d.intg = strings.TrimLeft(d.intg, "0")
	return d, true
}

// parseInteger parses an xsd:integer lexical value the way libxml2 does.
func parseInteger(s string) (decimal, bool) {
	var d decimal
	s, d.neg = cutSign(trimXMLSpace(s))
	if s == "" || s[0] < '0' || s[0] > '9' {
		return d, false
	}
	s = strings.TrimLeft(s, "0")
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return d, false
		}
	}
	if len(s) > maxDecimalDigits {
		return d, false
	}
	d.intg = s
	d.total = len(s)
	if s == "" {
		d.neg = false
	}
	return d, true
}

// cmpDecimal compares two decimals by value.
func cmpDecimal(a, b decimal) int {
	if a.isZero() && b.isZero() {
		return 0
	}
	if a.neg != b.neg {
		if a.neg {
			return -1
		}
		return 1
	}
	c := cmpMagnitude(a, b)
	if a.neg {
		return -c
	}
	return c
}

func cmpMagnitude(a, b decimal) int {
	if len(a.intg) != len(b.intg) {
		if len(a.intg) < len(b.intg) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(a.intg, b.intg); c != 0 {
		return c
	}
	return strings.Compare(a.fracd, b.fracd)
}
