package democmd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ksef2/ksef/ident"
)

// checkDemoBatch checks the batch step of a demo's -o json report: a
// batch session, a package in several parts, and three distinct KSeF
// numbers of the demo's seller.
func checkDemoBatch(t *testing.T, jsonOut string) {
	t.Helper()
	d := demoDetails(t, jsonOut)["Send three invoices in a batch session"]
	if d == nil {
		t.Fatal("batch step missing")
	}
	if !strings.Contains(d["batchSession"], "-SB-") || !strings.Contains(d["package"], "encrypted parts") {
		t.Errorf("batch step: %v", d)
	}
	seen := map[string]bool{}
	for i := 1; i <= demoBatchSize; i++ {
		n := d[fmt.Sprintf("fakturaB%dXmlKsefNumber", i)]
		if _, err := ident.ParseKSeFNumber(n); err != nil || seen[n] {
			t.Errorf("batch invoice %d: KSeF number %q: %v", i, n, err)
		}
		seen[n] = true
	}
}
