package ksef_test

import (
	"sync/atomic"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsend"
)

func TestSenderAgainstFake(t *testing.T) {
	a, f := fakeOnlineClient(t)
	var docs [][]byte
	for i := range 25 {
		docs = append(docs, invoiceXML(5000+i))
	}
	docs = append(docs, []byte("<broken"), invoiceXML(5003)) // invalid, then a duplicate of #3
	f.sendFault = []string{"", "500", "", "drop", "dropAfter"}
	f.closeFault = []string{"500"}
	var seen atomic.Int32
	snd := &ksefsend.Sender{Sessions: a.Sessions, Form: ksef.FormFA3, Concurrency: 4, MaxPerSession: 10, Wait: fastWait,
		Validate:  ksefsend.DefaultValidator(ksef.FormPEF3), // the fake's invoices are not FA(3): check well-formedness
		OnOutcome: func(ksefsend.Outcome) { seen.Add(1) }}
	outs, err := snd.Send(t.Context(), ksefsend.Bytes(docs...))
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != len(docs) || int(seen.Load()) != len(docs) {
		t.Fatalf("%d outcomes, %d callbacks for %d inputs", len(outs), seen.Load(), len(docs))
	}
	numbers := map[string]int{}
	counts := map[ksefsend.Kind]int{}
	for _, o := range outs {
		counts[o.Kind]++
		if o.Kind == ksefsend.Registered {
			numbers[o.KSeFNumber]++
		}
	}
	t.Logf("outcomes: %v; sessions opened %d", counts, len(f.sessions))
	if counts[ksefsend.Registered] != 25 || counts[ksefsend.Invalid] != 1 || counts[ksefsend.Duplicate] != 1 {
		t.Errorf("counts %v", counts)
	}
	if len(numbers) != 25 {
		t.Errorf("%d distinct KSeF numbers, want 25", len(numbers))
	}
	dup := outs[len(outs)-1]
	if dup.Kind == ksefsend.Duplicate && (dup.KSeFNumber != outs[3].KSeFNumber || !dup.OK()) {
		t.Errorf("duplicate %+v, original %s", dup, outs[3].KSeFNumber)
	}
	if outs[25].Kind != ksefsend.Invalid || outs[25].Err == nil {
		t.Errorf("invalid: %+v", outs[25])
	}
	if len(f.sessions) < 3 {
		t.Errorf("%d sessions for 26 sends with 10 per session", len(f.sessions))
	}
	for ref, s := range f.sessions {
		if s.status == 100 {
			t.Errorf("session %s left open", ref)
		}
		if len(s.invoices) > 10 {
			t.Errorf("session %s got %d invoices", ref, len(s.invoices))
		}
	}
	// every invoice of the fake ends in exactly one place
	var hashes [][]byte
	for _, s := range f.sessions {
		for _, inv := range s.invoices {
			if inv.status == 200 {
				hashes = append(hashes, inv.hash)
			}
		}
	}
	if len(hashes) != 25 {
		t.Errorf("%d invoices registered at the fake, want 25", len(hashes))
	}
}
