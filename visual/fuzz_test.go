package visual_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/visual"
)

// FuzzFromFA3 feeds arbitrary documents to FromFA3 and renders whatever it
// accepts: neither the adapter nor the renderers may panic or fail on odd
// but well-formed input, and the HTML never contains an unescaped tag from
// the document.
func FuzzFromFA3(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	more, _ := filepath.Glob(filepath.Join(testenv.SpecDirPath(), "samples", "invoices", "*", "*.xml"))
	for _, file := range append(files, more...) {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"><Fa><P_2>&lt;b&gt;</P_2><P_15>1e9</P_15><FaWiersz><P_7>x</P_7><P_11>-.5</P_11></FaWiersz></Fa></Faktura>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		if len(doc) > 1<<16 {
			return
		}
		inv, err := visual.FromFA3(doc)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "visual: ") {
				t.Fatalf("error without package prefix: %v", err)
			}
			return
		}
		var html bytes.Buffer
		if err := visual.RenderInvoiceHTML(&html, inv); err != nil {
			// Only links too long for a QR code may fail, and FromFA3 sets none.
			t.Fatalf("RenderInvoiceHTML: %v", err)
		}
		if strings.Contains(inv.Number, "<b>") && strings.Contains(html.String(), "<b>") {
			t.Fatal("invoice number not escaped")
		}
		if err := visual.RenderInvoicePDF(io.Discard, inv); err != nil {
			t.Fatalf("RenderInvoicePDF: %v", err)
		}
	})
}
