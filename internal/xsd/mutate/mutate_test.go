package mutate

import (
	"strings"
	"testing"

	"github.com/beevik/etree"
)

const doc = `<?xml version="1.0" encoding="UTF-8"?>
<Faktura xmlns="urn:t" a="1"><Naglowek><Kod x="y">FA</Kod><Data>2025-09-01</Data></Naglowek>
<Fa><P_1>2025-09-01</P_1><P_2>FV/1</P_2><Kwota>12.50</Kwota><Wiersz><Nr>1</Nr><Nazwa>Prąd</Nazwa></Wiersz></Fa></Faktura>`

// TestMutateCoversEveryOperation checks that the seeds reach every kind of
// mutation, that mutants are well-formed and differ from the base, and
// that a seed always gives the same mutant.
func TestMutateCoversEveryOperation(t *testing.T) {
	kinds := []string{"remove ", "duplicate ", "swap ", "move to ", "set ", "to ", "namespace of ", "insert unknown ",
		"rename ", "empty ", "pad ", "newline after ", "attribute", "text in ", "child in leaf ", "value of "}
	seen := map[string]int{}
	seenKind := map[Kind]int{}
	changed := 0
	for seed := range uint64(3000) {
		m, err := Mutate([]byte(doc), seed)
		if err != nil {
			t.Fatal(err)
		}
		d := etree.NewDocument()
		if err := d.ReadFromBytes(m.Doc); err != nil {
			t.Fatalf("seed %d (%s): mutant is not well-formed: %v", seed, m.Desc, err)
		}
		if string(m.Doc) != doc {
			changed++
		}
		for _, k := range kinds {
			if strings.Contains(m.Desc, k) {
				seen[k]++
			}
		}
		if len(m.Kinds) == 0 || len(m.Kinds) > 3 {
			t.Fatalf("seed %d: kinds %v", seed, m.Kinds)
		}
		for _, k := range m.Kinds {
			seenKind[k]++
		}
		again, _ := Mutate([]byte(doc), seed)
		if string(again.Doc) != string(m.Doc) || again.Desc != m.Desc {
			t.Fatalf("seed %d is not deterministic", seed)
		}
	}
	for _, k := range kinds {
		if seen[k] == 0 {
			t.Errorf("no mutation of kind %q", strings.TrimSpace(k))
		}
	}
	for _, k := range Kinds {
		if seenKind[k] == 0 {
			t.Errorf("kind %q never reported", k)
		}
	}
	if changed < 2500 {
		t.Errorf("only %d of 3000 mutants differ from the base", changed)
	}
	if _, err := Mutate([]byte("<a"), 1); err == nil {
		t.Error("malformed base accepted")
	}
}
