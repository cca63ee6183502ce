package rt

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// isXMLSpace reports whether c is one of the four XML white-space characters.
func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Normalize applies a whiteSpace facet value to s.
func Normalize(s string, ws WhiteSpace) string {
	switch ws {
	case Replace:
		if strings.ContainsAny(s, "\t\n\r") {
			return strings.Map(func(r rune) rune {
				if r == '\t' || r == '\n' || r == '\r' {
					return ' '
				}
				return r
			}, s)
		}
		return s
	case Collapse:
		return collapse(s)
	}
	return s
}

func collapse(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\t' || c == '\n' || c == '\r' || (c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' ')) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isXMLSpace(c) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// trimXMLSpace removes leading and trailing XML white space.
func trimXMLSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isXMLSpace(s[i]) {
		i++
	}
	for j > i && isXMLSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// strictLexical reports whether the primitive check must see the raw
// value: libxml2 does not strip surrounding white space for date, dateTime,
// gYear and the bounded integer types unless a pattern or enumeration facet
// made it normalise the value first.
func (t *SimpleType) strictLexical() bool {
	if len(t.Patterns) > 0 || len(t.Enumeration) > 0 {
		return false
	}
	switch t.Kind {
	case KindDate, KindDateTime, KindGYear:
		return true
	case KindInteger:
		return t.FixedSize
	}
	return false
}

// Check validates a lexical value and returns the problems found, each a
// complete English sentence fragment ("value \"x\" is longer than maxLength 3").
// It returns nil for a valid value.
func (t *SimpleType) Check(raw string) []string {
	if len(t.Union) > 0 {
		for _, m := range t.Union {
			if m.Check(raw) == nil {
				return nil
			}
		}
		return []string{fmt.Sprintf("value %q is not valid for any member type of the union %s", raw, t.display())}
	}
	ws := t.WhiteSpace
	if t.Kind != KindString {
		ws = Collapse
	}
	v := Normalize(raw, ws)
	var msgs []string
	var dec decimal
	var dt dateTime
	strict := t.Kind != KindString && t.strictLexical()
	lexical := raw
	if !strict {
		lexical = v
	} else if raw != trimXMLSpace(raw) {
		// libxml2 skips white space after a dateTime's time zone, nowhere
		// else on this path.
		trimmed := strings.TrimRight(raw, " \t\n\r")
		if t.Kind != KindDateTime || isXMLSpace(raw[0]) || !hasTimeZone(trimmed) {
			return []string{fmt.Sprintf("value %q is not a valid %s (surrounding white space)", raw, t.Kind)}
		}
		lexical = trimmed
	}
	switch t.Kind {
	case KindDecimal, KindInteger:
		var ok bool
		if t.Kind == KindDecimal {
			dec, ok = parseDecimal(lexical)
		} else {
			dec, ok = parseInteger(lexical)
		}
		if !ok {
			return []string{fmt.Sprintf("value %q is not a valid %s", raw, t.Kind)}
		}
	case KindDate, KindDateTime, KindGYear:
		var ok bool
		dt, ok = parseDateTime(lexical, t.Kind)
		if !ok {
			return []string{fmt.Sprintf("value %q is not a valid %s", raw, t.Kind)}
		}
	case KindBoolean:
		switch v {
		case "true", "false", "1", "0":
		default:
			return []string{fmt.Sprintf("value %q is not a valid boolean", raw)}
		}
	}
	if t.Kind == KindString {
		n := utf8.RuneCountInString(v)
		if t.Length >= 0 && n != t.Length {
			msgs = append(msgs, fmt.Sprintf("value %q has %d characters, length must be %d", v, n, t.Length))
		}
		if t.MinLength >= 0 && n < t.MinLength {
			msgs = append(msgs, fmt.Sprintf("value %q is shorter than minLength %d", v, t.MinLength))
		}
		if t.MaxLength >= 0 && n > t.MaxLength {
			msgs = append(msgs, fmt.Sprintf("value %q (%d characters) is longer than maxLength %d", abbreviate(v), n, t.MaxLength))
		}
	}
	for _, group := range t.Patterns {
		ok := false
		for _, p := range group {
			if p.Match(v) {
				ok = true
				break
			}
		}
		if !ok {
			srcs := make([]string, len(group))
			for i, p := range group {
				srcs[i] = p.Source
			}
			msgs = append(msgs, fmt.Sprintf("value %q does not match the pattern %s", abbreviate(v), strings.Join(srcs, " | ")))
		}
	}
	if len(t.Enumeration) > 0 && !t.inEnumeration(v, dec, dt) {
		msgs = append(msgs, fmt.Sprintf("value %q is not one of the allowed values %s", abbreviate(v), enumList(t.Enumeration)))
	}
	if t.Kind == KindDecimal || t.Kind == KindInteger {
		if t.TotalDigits >= 0 && dec.total > t.TotalDigits {
			msgs = append(msgs, fmt.Sprintf("value %q has %d digits, more than totalDigits %d", v, dec.total, t.TotalDigits))
		}
		if t.FractionDigits >= 0 && dec.frac() > t.FractionDigits {
			msgs = append(msgs, fmt.Sprintf("value %q has %d fraction digits, more than fractionDigits %d", v, dec.frac(), t.FractionDigits))
		}
	}
	for _, b := range t.Bounds {
		bv := b.Value
		var ok bool
		switch t.Kind {
		case KindDecimal, KindInteger:
			bd, _ := parseDecimal(bv)
			c := cmpDecimal(dec, bd)
			ok = boundHolds(b.Op, c, c)
		case KindDate, KindDateTime, KindGYear:
			bd, _ := parseDateTime(bv, t.Kind)
			ok = dateBoundHolds(b.Op, dt, bd)
		default:
			ok = true
		}
		if !ok {
			msgs = append(msgs, fmt.Sprintf("value %q violates %s %s", v, b.Op, bv))
		}
	}
	return msgs
}

// boundHolds decides a range facet. lo compares the smallest possible
// value with the largest possible bound, hi the largest possible value with
// the smallest possible bound (they differ only for date/time values
// without a time zone, whose position is known within ±14 hours).
func boundHolds(op BoundOp, lo, hi int) bool {
	switch op {
	case MinInclusive:
		return lo >= 0
	case MinExclusive:
		return lo > 0
	case MaxInclusive:
		return hi <= 0
	case MaxExclusive:
		return hi < 0
	}
	return false
}

func (t *SimpleType) inEnumeration(v string, dec decimal, dt dateTime) bool {
	for _, e := range t.Enumeration {
		switch t.Kind {
		case KindDecimal, KindInteger:
			if ed, ok := parseDecimal(e); ok && cmpDecimal(dec, ed) == 0 {
				return true
			}
		case KindDate, KindDateTime, KindGYear:
			if ed, ok := parseDateTime(e, t.Kind); ok && dt.equal(ed) {
				return true
			}
		default:
			if Normalize(e, t.WhiteSpace) == v {
				return true
			}
		}
	}
	return false
}

// hasTimeZone reports whether a date/time lexical value ends with a time
// zone ("Z" or "±hh:mm").
func hasTimeZone(s string) bool {
	if strings.HasSuffix(s, "Z") {
		return true
	}
	n := len(s)
	return n >= 6 && (s[n-6] == '+' || s[n-6] == '-') && s[n-3] == ':'
}

func (t *SimpleType) display() string {
	if t.Name == "" {
		return "(anonymous type)"
	}
	return t.Name
}

func abbreviate(s string) string {
	if utf8.RuneCountInString(s) <= 60 {
		return s
	}
	r := []rune(s)
	return string(r[:57]) + "..."
}

func enumList(vals []string) string {
	if len(vals) > 8 {
		return "{" + strings.Join(vals[:8], ", ") + fmt.Sprintf(", ... (%d values)}", len(vals))
	}
	return "{" + strings.Join(vals, ", ") + "}"
}
