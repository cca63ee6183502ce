package sqlq

import (
	"errors"
	"strconv"
	"testing"

	"github.com/ksef2/ksef/ksefsync"
)

// source yields n invoices numbered 0..n-1, then err when set, and records
// whether its iteration ended (its deferred release ran).
func source(n int, err error, released *bool) func(func(*ksefsync.Invoice, error) bool) {
	return func(yield func(*ksefsync.Invoice, error) bool) {
		defer func() { *released = true }()
		for i := range n {
			inv := &ksefsync.Invoice{XML: []byte("<x/>")}
			inv.Metadata.KSeFNumber = strconv.Itoa(i)
			if !yield(inv, nil) {
				return
			}
		}
		if err != nil {
			yield(nil, err)
		}
	}
}

func TestAheadOrderAndEnd(t *testing.T) {
	var released bool
	next, stop := Ahead(source(1000, nil, &released))
	defer stop()
	i := 0
	for {
		b, err := next()
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			break
		}
		for _, p := range b {
			if p.Row.KSeFNumber != strconv.Itoa(i) || len(p.Meta) == 0 || string(p.Invoice.XML) != "<x/>" {
				t.Fatalf("invoice %d: got %q (meta %d bytes)", i, p.Row.KSeFNumber, len(p.Meta))
			}
			i++
		}
	}
	if i != 1000 {
		t.Fatalf("%d invoices, want 1000", i)
	}
	stop()
	if !released {
		t.Fatal("the source was not released")
	}
}

func TestAheadSourceError(t *testing.T) {
	var released bool
	boom := errors.New("boom")
	next, stop := Ahead(source(300, boom, &released))
	defer stop()
	n := 0
	for {
		b, err := next()
		if err != nil {
			if !errors.Is(err, boom) {
				t.Fatalf("error %v, want boom", err)
			}
			break
		}
		if b == nil {
			t.Fatal("the package ended without the source's error")
		}
		n += len(b)
	}
	if n != 256 { // the whole batches before the error; the partial one is dropped
		t.Fatalf("%d invoices before the error, want 256", n)
	}
}

func TestAheadStopEarly(t *testing.T) {
	var released bool
	next, stop := Ahead(source(100_000, nil, &released))
	if _, err := next(); err != nil {
		t.Fatal(err)
	}
	stop() // the caller failed: the reading ends and the source is released
	if !released {
		t.Fatal("stop returned before the source was released")
	}
	stop() // a second stop is harmless
}
