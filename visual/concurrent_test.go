package visual_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/ksef2/ksef/visual"
)

// TestRenderConcurrently renders the same invoice from several goroutines
// (run with -race): the renderers share fonts and templates, and every
// result must equal a sequential render.
func TestRenderConcurrently(t *testing.T) {
	want, err := visual.InvoicePDF(ownInvoice(t))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 4 {
		inv := ownInvoice(t)
		wg.Go(func() {
			got, err := visual.InvoicePDF(inv)
			if err != nil || !bytes.Equal(got, want) {
				errs <- "PDF differs from the sequential render"
			}
			var html bytes.Buffer
			if err := visual.RenderInvoiceHTML(&html, inv); err != nil {
				errs <- err.Error()
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
