package ksef_test

import (
	"strings"
	"testing"

	"github.com/ksef2/ksef"
)

func FuzzParseSystemWarnings(f *testing.F) {
	for _, s := range []string{"[sig-001]: a | [b]: c", "", "|", "[", "[]", "[x] no colon", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, w := range ksef.ParseSystemWarnings(s) {
			if strings.Contains(w.Message, "|") || strings.Contains(w.Code, "|") {
				t.Fatalf("separator inside %+v", w)
			}
			if w.Code == "" && w.Message == "" {
				t.Fatalf("empty warning from %q", s)
			}
		}
	})
}
