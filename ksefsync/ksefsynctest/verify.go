package ksefsynctest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/ksef2/ksef/ksefsync"
)

// Counts is what [Verify] found.
type Counts struct {
	// Expected counts the (stream, invoice) pairs the fake serves;
	// Stored those the store holds.
	Expected, Stored int
	// Distinct counts the distinct KSeF numbers the store holds.
	Distinct int
	// Missing, Extra and Twice count the pairs missing, not expected and
	// held twice; BadXML the invoices whose XML differs.
	Missing, Extra, Twice, BadXML int
}

// OK reports that the store holds exactly the fake's invoices.
func (c Counts) OK() bool {
	return c.Missing == 0 && c.Extra == 0 && c.Twice == 0 && c.BadXML == 0 && c.Expected == c.Stored
}

// String prints the counts.
func (c Counts) String() string {
	return fmt.Sprintf("expected %d stream invoices, stored %d (%d distinct KSeF numbers); missing %d, extra %d, twice %d, bad XML %d",
		c.Expected, c.Stored, c.Distinct, c.Missing, c.Extra, c.Twice, c.BadXML)
}

// Verify compares what the store holds with what the fake serves: every
// (context, subject type, KSeF number) once, each XML byte for byte (by
// hash). With checkXML false the XML is not read back (fast, for big sets).
func Verify(ctx context.Context, r ksefsync.Reader, f *Fake, checkXML bool) (Counts, error) {
	var c Counts
	hashes := map[string][32]byte{}
	for _, ctxID := range f.Contexts {
		for _, st := range ksefsync.SubjectTypes {
			var want []string
			for e := range f.Expected() {
				if e.Context == ctxID && e.SubjectType == st {
					want = append(want, e.KSeFNumber)
					hashes[e.KSeFNumber] = e.Hash
				}
			}
			var got []string
			for inv, err := range r.Invoices(ctx, ksefsync.Filter{Context: ctxID, SubjectType: st}) {
				if err != nil {
					return c, err
				}
				got = append(got, inv.KSeFNumber)
			}
			c.Expected += len(want)
			c.Stored += len(got)
			slices.Sort(want)
			slices.Sort(got)
			i, j := 0, 0
			for i < len(want) || j < len(got) {
				switch {
				case j > 0 && j < len(got) && got[j] == got[j-1]:
					c.Twice++
					j++
				case j >= len(got) || (i < len(want) && want[i] < got[j]):
					c.Missing++
					i++
				case i >= len(want) || got[j] < want[i]:
					c.Extra++
					j++
				default:
					i++
					j++
				}
			}
		}
	}
	for inv, err := range r.Invoices(ctx, ksefsync.Filter{}) {
		if err != nil {
			return c, err
		}
		c.Distinct++
		if !checkXML {
			continue
		}
		full, err := r.Invoice(ctx, inv.KSeFNumber)
		if err != nil {
			return c, err
		}
		if h, ok := hashes[inv.KSeFNumber]; !ok || h != sha256.Sum256(full.XML) {
			c.BadXML++
		}
	}
	return c, nil
}
