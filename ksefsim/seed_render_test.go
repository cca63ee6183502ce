package ksefsim

import (
	"bytes"
	"strings"
	"testing"
)

// TestSeedRenderMatchesReplacer checks the template cutting against
// strings.Replacer, the reference for what render must produce, on every
// seed template and on values longer and shorter than the placeholders.
func TestSeedRenderMatchesReplacer(t *testing.T) {
	tmpls, err := seedTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range [][4]string{
		{"5260250274", "7010002137", "SEED/1", "2026-01-31"},
		{"1234563218", "9999999999", "FV/2026/12/000123/a-very-long-number", "2025-02-03"},
	} {
		for i, tm := range tmpls {
			want := strings.NewReplacer("1111111111", v[0], "2222222222", v[1], seedNumber, v[2], seedDay, v[3]).Replace(string(tm.doc))
			got := tm.render(v[0], v[1], v[2], v[3])
			if !bytes.Equal(got, []byte(want)) {
				t.Fatalf("template %d: render differs from strings.Replacer", i)
			}
			if !strings.Contains(want, v[2]) || strings.Contains(want, seedNumber) {
				t.Fatalf("template %d: the number placeholder was not replaced", i)
			}
		}
	}
}
