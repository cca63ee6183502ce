package textsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEscape: whatever the input, the result is valid UTF-8 with no unsafe
// character (and no newline unless kept), and safe text comes back as it is.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "plain", "two\nlines", "\x1b[2J", "\r\n", "\u202e", "\xff\xfe", "tab\there", "\u009b"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, keep bool) {
		got := Escape(s, keep)
		if !utf8.ValidString(got) || strings.ContainsFunc(got, Unsafe) {
			t.Fatalf("Escape(%q, %v) = %q: unsafe", s, keep, got)
		}
		if !keep && strings.Contains(got, "\n") {
			t.Fatalf("Escape(%q, false) = %q keeps a newline", s, got)
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, Unsafe) && (keep || !strings.Contains(s, "\n")) && got != s {
			t.Fatalf("Escape(%q, %v) = %q changed safe text", s, keep, got)
		}
	})
}
