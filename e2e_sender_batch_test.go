package ksef_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsend"
	"github.com/ksef2/ksef/ksefsim"
)

// TestE2ESenderBatchSplitsSessions: the Sender sends a batch larger than
// one session allows (here 3 invoices per session, as the simulator's
// limit) in several batch sessions; every input gets one outcome in input
// order: a locally invalid invoice is not sent, of an invoice given twice
// (in different sessions) one copy is registered and the other is a
// Duplicate with its KSeF number, the others are registered, each in the
// session that carried it.
func TestE2ESenderBatchSplitsSessions(t *testing.T) {
	sim, id, a := senderClient(t, ksefsim.WithSessionInvoiceLimit(3))
	var inputs []ksefsend.Input
	for i := range 6 {
		inputs = append(inputs, ksefsend.Input{Name: fmt.Sprintf("in/%d.xml", i), Data: fa3Invoice(t, id.NIP, fmt.Sprintf("FV/b/%d", i))})
	}
	inputs[2].Data = []byte("<not-an-invoice/>")
	inputs = append(inputs, ksefsend.Input{Name: "again/0.xml", Data: inputs[0].Data}) // same base name as in/0.xml
	var sessions []string
	var outcomes int
	snd := &ksefsend.Sender{Sessions: a.Sessions, Form: ksef.FormFA3, Wait: fastWait, OnOutcome: func(ksefsend.Outcome) { outcomes++ }}
	outs, err := snd.SendBatch(t.Context(), slices.Values(inputs), &ksefsend.BatchOptions{
		MaxPerSession: 3,
		OnSession:     func(bs *ksef.BatchSession) { sessions = append(sessions, bs.ReferenceNumber()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != len(inputs) || outcomes != len(inputs) {
		t.Fatalf("%d outcomes (%d reported), want %d", len(outs), outcomes, len(inputs))
	}
	if len(sessions) != 2 || sim.Calls(ksef.OpBatchSessionOpen.String()) != 2 {
		t.Fatalf("sessions %v, want 2 batch sessions for 6 valid invoices at 3 per session", sessions)
	}
	for i, o := range outs {
		if o.Index != i || o.Name != inputs[i].Name {
			t.Fatalf("outcome %d: %+v out of order", i, o)
		}
		switch i {
		case 2:
			if o.Kind != ksefsend.Invalid || o.SessionReferenceNumber != "" {
				t.Errorf("invalid input: %+v", o)
			}
		case 0, 6:
			// The two sessions are processed concurrently (as by KSeF):
			// either copy may be the one registered.
		default:
			if o.Kind != ksefsend.Registered || o.KSeFNumber == "" || !slices.Contains(sessions, o.SessionReferenceNumber) || o.InvoiceReferenceNumber == "" {
				t.Errorf("input %d: %+v %v", i, o, o.Err)
			}
		}
	}
	if outs[0].SessionReferenceNumber != sessions[0] || outs[6].SessionReferenceNumber != sessions[1] {
		t.Errorf("sessions of the outcomes: %s, %s", outs[0].SessionReferenceNumber, outs[6].SessionReferenceNumber)
	}
	orig, dup := outs[0], outs[6]
	if orig.Kind == ksefsend.Duplicate {
		orig, dup = dup, orig
	}
	if orig.Kind != ksefsend.Registered || dup.Kind != ksefsend.Duplicate || dup.KSeFNumber != orig.KSeFNumber ||
		dup.Duplicate == nil || dup.Duplicate.OriginalSessionReferenceNumber != orig.SessionReferenceNumber {
		t.Errorf("the same invoice twice: %+v and %+v, want one registered and one duplicate of it", orig, dup)
	}
}

// TestE2ESenderBatchUploadFails: when a part cannot be uploaded, every
// invoice of that package fails with the BatchUploadError naming the
// session, and nothing is reported registered.
func TestE2ESenderBatchUploadFails(t *testing.T) {
	sim, id, a := senderClient(t)
	sim.Faults().Fail(ksefsim.PartUploadOperation, 100, ksefsim.Fault{Status: 403})
	var inputs []ksefsend.Input
	for i := range 3 {
		inputs = append(inputs, ksefsend.Input{Name: fmt.Sprintf("%d.xml", i), Data: fa3Invoice(t, id.NIP, fmt.Sprintf("FV/u/%d", i))})
	}
	snd := &ksefsend.Sender{Sessions: a.Sessions, Form: ksef.FormFA3, Wait: fastWait}
	outs, err := snd.SendBatch(t.Context(), slices.Values(inputs), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if o.Kind != ksefsend.Failed || !errors.Is(o.Err, ksef.ErrBatchUpload) || o.SessionReferenceNumber == "" {
			t.Errorf("%s: %+v, want Failed with the upload error", o.Name, o)
		}
	}
}
