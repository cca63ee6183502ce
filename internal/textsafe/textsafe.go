// Package textsafe escapes the characters of server-provided text that
// could act on a terminal or disguise what is displayed. The SDK applies it
// to error strings and log attributes (ksef.SanitizeText) and the CLI to
// what it prints; both differ only in whether a newline stays.
package textsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Unsafe reports whether r must not reach a terminal as it is: C0 controls
// other than tab and newline (ESC, and with it CSI and OSC sequences; CR,
// BEL), DEL, the C1 controls U+0080–U+009F and the Unicode bidirectional
// controls that reorder what is displayed (U+061C, U+200E, U+200F,
// U+202A–U+202E, U+2066–U+2069). A newline is judged by the caller.
func Unsafe(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return true
	case r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
		return true
	}
	return false
}

// Escape returns s with every [Unsafe] character and every byte that is
// not UTF-8 written as a visible escape (\x1b, \u202e, \xff); newlines stay
// when keepNewlines is set and are written \n otherwise. Text with nothing
// to escape is returned as it is.
func Escape(s string, keepNewlines bool) string {
	bad := func(r rune) bool { return Unsafe(r) || (r == '\n' && !keepNewlines) }
	if !strings.ContainsFunc(s, bad) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && !keepNewlines:
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80 && bad(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case bad(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
