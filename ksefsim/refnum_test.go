package ksefsim

import (
	"testing"
	"time"

	"github.com/ksef2/ksef/ident"
)

// isRef reports whether s is a reference number as KSeF issues them: valid
// for ident.ParseReferenceNumber and with the CRC-8 checksum.
func isRef(s string) bool {
	r, err := ident.ParseReferenceNumber(s)
	return err == nil && r.HasValidChecksum()
}

func TestNewRefIsAReferenceNumber(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 5, 6, 23, 59, 59, 0, time.FixedZone("CEST", 2*3600))
	seen := map[string]bool{}
	for _, kind := range []string{KindChallenge, KindAuth, KindToken, KindOnline, KindBatch, KindInvoice, KindUPO, KindExport} {
		for range 50 {
			s := newRef(day, kind)
			r, err := ident.ParseReferenceNumber(s)
			if err != nil || !r.HasValidChecksum() || r.Category() != kind || r.Date() != time.Date(2026, 5, 6, 0, 0, 0, 0, time.UTC) {
				t.Fatalf("newRef = %q: %v", s, err)
			}
			if seen[s] {
				t.Fatalf("newRef repeated %q", s)
			}
			seen[s] = true
		}
	}
}
