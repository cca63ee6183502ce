package xsd

import (
	"fmt"
	"regexp"
	"strings"
)

// TranslateRegexp translates an XSD regular expression (XML Schema Part 2,
// appendix F) into an anchored RE2 expression with the same language:
// the whole value must match, '^' and '$' are ordinary characters, '.'
// excludes only newline and carriage return, \d is any Unicode decimal
// digit and \s only the four XML white-space characters. Constructs with
// no faithful translation (\i, \c, block escapes, character class
// subtraction) are errors.
func TranslateRegexp(x string) (string, error) {
	t := &reTranslator{src: []rune(x)}
	var b strings.Builder
	b.WriteString(`^(?:`)
	if err := t.regExp(&b, 0); err != nil {
		return "", fmt.Errorf("xsd: pattern %q: %w", x, err)
	}
	b.WriteString(`)$`)
	out := b.String()
	if _, err := regexp.Compile(out); err != nil {
		return "", fmt.Errorf("xsd: pattern %q translated to %q does not compile: %w", x, out, err)
	}
	return out, nil
}

type reTranslator struct {
	src []rune
	pos int
}

func (t *reTranslator) more() bool { return t.pos < len(t.src) }
func (t *reTranslator) peek() rune { return t.src[t.pos] }

// regExp translates branches separated by '|' until ')' or the end.
func (t *reTranslator) regExp(b *strings.Builder, depth int) error {
	for t.more() {
		c := t.peek()
		switch c {
		case '|':
			b.WriteByte('|')
			t.pos++
		case ')':
			if depth == 0 {
				return fmt.Errorf("unbalanced ')' at %d", t.pos)
			}
			return nil
		default:
			if err := t.piece(b, depth); err != nil {
				return err
			}
		}
	}
	if depth > 0 {
		return fmt.Errorf("missing ')'")
	}
	return nil
}

func (t *reTranslator) piece(b *strings.Builder, depth int) error {
	c := t.peek()
	atomStart := b.Len()
	switch c {
	case '(':
		t.pos++
		b.WriteString("(?:")
		if err := t.regExp(b, depth+1); err != nil {
			return err
		}
		if !t.more() || t.peek() != ')' {
			return fmt.Errorf("missing ')'")
		}
		t.pos++
		b.WriteByte(')')
	case '[':
		if err := t.charClass(b); err != nil {
			return err
		}
	case '\\':
		s, err := t.escape(false)
		if err != nil {
			return err
		}
		b.WriteString(s)
	case '.':
		t.pos++
		b.WriteString(`[^\n\r]`)
	case '*', '+', '?', '{':
		return fmt.Errorf("quantifier %q without an atom at %d", c, t.pos)
	case ']', '}':
		return fmt.Errorf("unescaped %q at %d", c, t.pos)
	default:
		t.pos++
		b.WriteString(regexp.QuoteMeta(string(c)))
	}
	if b.Len() == atomStart {
		return fmt.Errorf("empty atom at %d", t.pos)
	}
	// Quantifier.
	if !t.more() {
		return nil
	}
	switch q := t.peek(); q {
	case '*', '+', '?':
		t.pos++
		b.WriteRune(q)
	case '{':
		end := t.pos + 1
		for end < len(t.src) && t.src[end] != '}' {
			end++
		}
		if end >= len(t.src) {
			return fmt.Errorf("unterminated quantifier")
		}
		body := string(t.src[t.pos+1 : end])
		if !regexp.MustCompile(`^[0-9]+(,[0-9]*)?$`).MatchString(body) {
			return fmt.Errorf("bad quantifier {%s}", body)
		}
		b.WriteString("{" + body + "}")
		t.pos = end + 1
	}
	if t.more() {
		switch t.peek() {
		case '*', '+', '?', '{':
			return fmt.Errorf("repeated quantifier at %d", t.pos)
		}
	}
	return nil
}

// escape translates a backslash escape. Inside a character class it
// returns class items (no brackets) where possible.
func (t *reTranslator) escape(inClass bool) (string, error) {
	t.pos++ // backslash
	if !t.more() {
		return "", fmt.Errorf("trailing backslash")
	}
	c := t.peek()
	t.pos++
	switch c {
	case 'n':
		return `\n`, nil
	case 'r':
		return `\r`, nil
	case 't':
		return `\t`, nil
	case '\\', '|', '.', '-', '^', '?', '*', '+', '{', '}', '(', ')', '[', ']':
		return regexp.QuoteMeta(string(c)), nil
	case 'd':
		return `\p{Nd}`, nil
	case 'D':
		return `\P{Nd}`, nil
	case 's':
		if inClass {
			return `\x20\t\n\r`, nil
		}
		return `[\x20\t\n\r]`, nil
	case 'S':
		if inClass {
			return "", fmt.Errorf(`\S inside a character class is not supported`)
		}
		return `[^\x20\t\n\r]`, nil
	case 'w':
		if inClass {
			return "", fmt.Errorf(`\w inside a character class is not supported`)
		}
		return `[^\p{P}\p{Z}\p{C}]`, nil
	case 'W':
		if inClass {
			return `\p{P}\p{Z}\p{C}`, nil
		}
		return `[\p{P}\p{Z}\p{C}]`, nil
	case 'p', 'P':
		if !t.more() || t.peek() != '{' {
			return "", fmt.Errorf(`\%c without {`, c)
		}
		end := t.pos
		for end < len(t.src) && t.src[end] != '}' {
			end++
		}
		if end >= len(t.src) {
			return "", fmt.Errorf(`unterminated \%c{`, c)
		}
		name := string(t.src[t.pos+1 : end])
		t.pos = end + 1
		if strings.HasPrefix(name, "Is") {
			return "", fmt.Errorf(`block escape \%c{%s} is not supported`, c, name)
		}
		if !regexp.MustCompile(`^(L[ultmo]?|M[nce]?|N[dlo]?|P[cdseifo]?|Z[slp]?|S[mcko]?|C[cfon]?)$`).MatchString(name) {
			return "", fmt.Errorf(`unknown category \%c{%s}`, c, name)
		}
		if name == "Cn" {
			return "", fmt.Errorf(`category Cn is not supported`)
		}
		return `\` + string(c) + `{` + name + `}`, nil
	case 'i', 'I', 'c', 'C':
		return "", fmt.Errorf(`name character escape \%c is not supported`, c)
	}
	return "", fmt.Errorf(`unknown escape \%c`, c)
}

// charClass translates [...] including negation; subtraction is an error.
func (t *reTranslator) charClass(b *strings.Builder) error {
	t.pos++ // [
	var out strings.Builder
	out.WriteByte('[')
	if t.more() && t.peek() == '^' {
		out.WriteByte('^')
		t.pos++
	}
	first := true
	for {
		if !t.more() {
			return fmt.Errorf("unterminated character class")
		}
		c := t.peek()
		if c == ']' && !first {
			t.pos++
			break
		}
		if c == '[' {
			return fmt.Errorf("nested '[' (character class subtraction) is not supported")
		}
		if c == '-' && !first && t.pos+1 < len(t.src) && t.src[t.pos+1] == '[' {
			return fmt.Errorf("character class subtraction is not supported")
		}
		first = false
		item, single, err := t.classChar()
		if err != nil {
			return err
		}
		if single && t.pos+1 < len(t.src) && t.peek() == '-' && t.src[t.pos+1] != ']' && t.src[t.pos+1] != '[' {
			t.pos++ // '-'
			hi, hsingle, err := t.classChar()
			if err != nil {
				return err
			}
			if !hsingle {
				return fmt.Errorf("bad range end")
			}
			out.WriteString(item + "-" + hi)
			continue
		}
		out.WriteString(item)
	}
	out.WriteByte(']')
	if out.String() == "[]" || out.String() == "[^]" {
		return fmt.Errorf("empty character class")
	}
	b.WriteString(out.String())
	return nil
}

// classChar returns one class item; single reports a single character
// (usable as a range end point).
func (t *reTranslator) classChar() (string, bool, error) {
	c := t.peek()
	if c == '\\' {
		if t.pos+1 < len(t.src) {
			switch t.src[t.pos+1] {
			case 'n', 'r', 't', '\\', '|', '.', '-', '^', '?', '*', '+', '{', '}', '(', ')', '[', ']':
				s, err := t.escape(true)
				return s, true, err
			}
		}
		s, err := t.escape(true)
		return s, false, err
	}
	t.pos++
	if c == '-' {
		return `\-`, true, nil
	}
	return regexp.QuoteMeta(string(c)), true, nil
}
