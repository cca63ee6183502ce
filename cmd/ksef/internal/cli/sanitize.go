package cli

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/ksef2/ksef/internal/textsafe"
)

// Sanitize makes text that may come from a server (error descriptions,
// session lists, warnings) safe to print on a terminal: control characters
// other than newline and tab (ESC, and with it CSI and OSC sequences that
// move the cursor, clear the screen or set the window title; CR, BEL, DEL,
// the C1 controls U+0080–U+009F), the Unicode bidirectional controls that
// reorder what is displayed (U+061C, U+200E, U+200F, U+202A–U+202E,
// U+2066–U+2069) and bytes that are not UTF-8 are written as visible
// escapes (\x1b, \u202e, \r, \xff). Everything else is unchanged.
func Sanitize(s string) string { return textsafe.Escape(s, true) }

// sanitizeJSON escapes, in JSON text made by encoding/json (which already
// escapes the C0 controls), the C1 controls and bidirectional controls as
// \uXXXX, so that -o json output is also safe on a terminal. Such
// characters occur only inside JSON strings, where the escape means the
// same character.
func sanitizeJSON(b []byte) []byte {
	if !bytes.ContainsFunc(b, textsafe.Unsafe) {
		return b
	}
	var out bytes.Buffer
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if textsafe.Unsafe(r) && r >= 0x80 {
			fmt.Fprintf(&out, `\u%04x`, r)
		} else {
			out.Write(b[i : i+n])
		}
		i += n
	}
	return out.Bytes()
}
