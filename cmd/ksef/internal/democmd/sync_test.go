package democmd

import (
	"context"
	"strings"
	"testing"

	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/sqlitestore"
)

// checkDemoStore opens the demo's SQLite store: it holds the two invoices
// whose KSeF numbers the demo printed, each once, in the Subject1 stream.
func checkDemoStore(t *testing.T, path, out string) {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := 0
	for inv, err := range st.Invoices(context.Background(), ksefsync.Filter{SubjectType: "Subject1"}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if !strings.Contains(out, "KSeF number:  "+inv.KSeFNumber) || len(inv.Metadata) == 0 {
			t.Errorf("stored %s was not printed as sent by the demo", inv.KSeFNumber)
		}
	}
	if n != 2 {
		t.Errorf("the demo store holds %d invoices, want 2", n)
	}
}
