package sqlq

import (
	"encoding/json"
	"fmt"
	"iter"

	"github.com/ksef2/ksef/ksefsync"
)

// Prepared is an invoice made ready for a store's insert: its key fields
// and its metadata as JSON.
type Prepared struct {
	Invoice *ksefsync.Invoice
	Row     ksefsync.StoredInvoice
	Meta    []byte
}

// aheadBatch is the number of invoices handed over at once, aheadDepth the
// batches prepared ahead of the store: a few hundred invoices in memory.
const (
	aheadBatch = 128
	aheadDepth = 2
)

// Ahead reads a package on its own goroutine, preparing each invoice (the
// source's work: reading, for an export its spooled XML; the key fields;
// the metadata JSON) while the caller inserts the batches prepared before,
// so that the two share the CPUs. The batches come in the package's order.
// The caller must call stop, which ends the reading (the source releases
// what it holds) and waits for the goroutine, before it returns.
func Ahead(invoices iter.Seq2[*ksefsync.Invoice, error]) (next func() ([]Prepared, error), stop func()) {
	ch := make(chan []Prepared, aheadDepth)
	quit := make(chan struct{})
	done := make(chan struct{})
	var err error // set before ch is closed
	go func() {
		defer close(done)
		defer close(ch)
		b := make([]Prepared, 0, aheadBatch)
		send := func() bool {
			select {
			case ch <- b:
				b = make([]Prepared, 0, aheadBatch)
				return true
			case <-quit:
				return false
			}
		}
		for inv, e := range invoices {
			if e != nil {
				err = e
				break
			}
			r := ksefsync.Row(inv)
			meta, e := json.Marshal(&inv.Metadata)
			if e != nil {
				err = fmt.Errorf("%s: %w", r.KSeFNumber, e)
				break
			}
			b = append(b, Prepared{Invoice: inv, Row: r, Meta: meta})
			if len(b) == aheadBatch && !send() {
				return
			}
		}
		if err == nil && len(b) > 0 {
			send()
		}
	}()
	next = func() ([]Prepared, error) {
		b, ok := <-ch
		if ok {
			return b, nil
		}
		return nil, err // nil at the end of the package
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			close(quit)
		}
		<-done
	}
	return next, stop
}
