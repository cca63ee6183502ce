package ksefsynctest

import (
	"context"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsync"
)

// The overlap detector of the worker tests sees two fetches of one
// stream read at once.
func TestOverlapDetected(t *testing.T) {
	f := NewFake(10, 100)
	w := ksefsync.Window{Context: f.Contexts[0], SubjectType: ksef.InvoiceQuerySubjectTypeSubject1, From: Base}
	a, err := f.Fetch(context.Background(), w)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Fetch(context.Background(), w)
	if err != nil {
		t.Fatal(err)
	}
	for range a.Invoices {
	}
	for range b.Invoices {
	}
	if f.Overlaps() != 1 {
		t.Fatalf("overlaps %d, want 1", f.Overlaps())
	}
	if l := f.Log(); len(l) != 2 || !l[1].Start.Before(l[0].End) {
		t.Fatalf("log %+v does not show the overlap", l)
	}
}
