package cli

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sanitize makes text that may come from a server (error descriptions,
// session lists, warnings) safe to print on a terminal: control characters
// other than newline and tab (ESC, and with it CSI and OSC sequences that
// move the cursor, clear the screen or set the window title; CR, BEL, DEL,
// the C1 controls U+0080–U+009F), the Unicode bidirectional controls that
// reorder what is displayed (U+061C, U+200E, U+200F, U+202A–U+202E,
// U+2066–U+2069) and bytes that are not UTF-8 are written as visible
// escapes (\x1b, \u202e, \xff). Everything else is unchanged.
func Sanitize(s string) string {
	i := strings.IndexFunc(s, unsafe)
	if i < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafe(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafe reports whether r must not reach a terminal as it is.
func unsafe(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return true
	case r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
		return true
	}
	return false
}

// sanitizeJSON escapes, in JSON text made by encoding/json (which already
// escapes the C0 controls), the C1 controls and bidirectional controls as
// \uXXXX, so that -o json output is also safe on a terminal. Such
// characters occur only inside JSON strings, where the escape means the
// same character.
func sanitizeJSON(b []byte) []byte {
	if !bytes.ContainsFunc(b, unsafe) {
		return b
	}
	var out bytes.Buffer
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if unsafe(r) && r >= 0x80 {
			fmt.Fprintf(&out, `\u%04x`, r)
		} else {
			out.Write(b[i : i+n])
		}
		i += n
	}
	return out.Bytes()
}
