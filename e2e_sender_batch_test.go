package ksef_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

// memKeeper is an offline issuing for tests: Check answers offline after
// the first online answers, Keep records the invoices it was given.
type memKeeper struct {
	online int // Check answers online this many times, then offline
	checks int
	kept   []ksefsend.Input
}

func (m *memKeeper) issuing() *ksefsend.OfflineIssuing {
	return &ksefsend.OfflineIssuing{
		Check: func(context.Context) (string, bool) {
			m.checks++
			return "awaryjny", m.checks > m.online
		},
		Keep: func(_ context.Context, in ksefsend.Input, mode string) (string, error) {
			m.kept = append(m.kept, in)
			return fmt.Sprintf("q%d-%s", len(m.kept), mode), nil
		},
	}
}

// TestE2ESenderBatchOffline: with offline issuing set (`ksef send --batch
// --auto-offline`), each invoice is checked before it is packed: the
// invoices met while an offline mode applies are kept offline with their
// XML (an invalid one is Invalid, not kept) and only the others are sent;
// a technical correction, or an invoice whose mode is not the batch's, is
// never packed; BatchOptions.OfflineMode opens the session in offline
// mode, and KSeF registers the invoices as issued offline.
func TestE2ESenderBatchOffline(t *testing.T) {
	sim, id, a := senderClient(t)
	var inputs []ksefsend.Input
	for i := range 5 {
		inputs = append(inputs, ksefsend.Input{Name: fmt.Sprintf("b/%d.xml", i), Data: fa3Invoice(t, id.NIP, fmt.Sprintf("FV/off/%d", i))})
	}
	inputs[3].Data = []byte("<not-an-invoice/>")
	keeper := &memKeeper{online: 2}
	snd := &ksefsend.Sender{Sessions: a.Sessions, Form: ksef.FormFA3, Wait: fastWait, Offline: keeper.issuing()}
	outs, err := snd.SendBatch(t.Context(), slices.Values(inputs), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []ksefsend.Kind{ksefsend.Registered, ksefsend.Registered, ksefsend.IssuedOffline, ksefsend.Invalid, ksefsend.IssuedOffline}
	for i, o := range outs {
		if o.Kind != want[i] {
			t.Errorf("input %d: %v (%v), want %v", i, o.Kind, o.Err, want[i])
		}
	}
	if len(keeper.kept) != 2 || !bytes.Equal(keeper.kept[0].Data, inputs[2].Data) || !bytes.Equal(keeper.kept[1].Data, inputs[4].Data) ||
		outs[2].Offline == nil || outs[2].Offline.Mode != "awaryjny" {
		t.Errorf("kept %d invoices; outcome %+v", len(keeper.kept), outs[2])
	}
	if n := sim.Calls(ksef.OpBatchSessionOpen.String()); n != 1 {
		t.Errorf("%d batch sessions opened, want 1 (for the 2 sent while online)", n)
	}

	// Offline from the start: nothing is opened.
	all := &memKeeper{}
	snd.Offline = all.issuing()
	outs, err = snd.SendBatch(t.Context(), slices.Values(inputs[:3]), nil)
	if err != nil || len(all.kept) != 3 || sim.Calls(ksef.OpBatchSessionOpen.String()) != 1 {
		t.Fatalf("offline from the start: %v, kept %d, %d sessions", err, len(all.kept), sim.Calls(ksef.OpBatchSessionOpen.String()))
	}

	// The queue's invoices, issued offline, go in an offline batch session;
	// a technical correction and an online invoice among them are not sent.
	snd.Offline = nil
	queued := []ksefsend.Input{
		{Name: "q/1.xml", Data: fa3Invoice(t, id.NIP, "FV/q/1"), OfflineMode: true},
		{Name: "q/2.xml", Data: fa3Invoice(t, id.NIP, "FV/q/2"), OfflineMode: true, HashOfCorrectedInvoice: make([]byte, 32)},
		{Name: "q/3.xml", Data: fa3Invoice(t, id.NIP, "FV/q/3")},
	}
	outs, err = snd.SendBatch(t.Context(), slices.Values(queued), &ksefsend.BatchOptions{OfflineMode: true})
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].Kind != ksefsend.Registered || outs[1].Kind != ksefsend.Failed || outs[2].Kind != ksefsend.Failed ||
		!strings.Contains(outs[1].Err.Error(), "technical correction") || !strings.Contains(outs[2].Err.Error(), "offlineMode") {
		t.Fatalf("offline batch: %+v", outs)
	}
	st, err := a.Sessions.InvoiceStatus(t.Context(), outs[0].SessionReferenceNumber, outs[0].InvoiceReferenceNumber)
	if err != nil || st.InvoicingMode != ksef.InvoicingModeOffline {
		t.Errorf("invoice of the offline batch: %v, mode %q, want Offline", err, st.InvoicingMode)
	}
}

// TestE2EFindInvoiceSession: the session of an invoice is found from its
// KSeF number alone, for invoices sent online and in a batch session; an
// unknown number is ErrNotFound, saying where it looked.
func TestE2EFindInvoiceSession(t *testing.T) {
	_, id, a := senderClient(t)
	snd := &ksefsend.Sender{Sessions: a.Sessions, Form: ksef.FormFA3, Wait: fastWait}
	online, err := snd.Send(t.Context(), slices.Values([]ksefsend.Input{
		{Name: "o1.xml", Data: fa3Invoice(t, id.NIP, "FV/find/1")},
		{Name: "o2.xml", Data: fa3Invoice(t, id.NIP, "FV/find/2")},
	}))
	if err != nil {
		t.Fatal(err)
	}
	batch, err := snd.SendBatch(t.Context(), slices.Values([]ksefsend.Input{{Name: "b1.xml", Data: fa3Invoice(t, id.NIP, "FV/find/3")}}), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range append(online, batch...) {
		if o.Kind != ksefsend.Registered {
			t.Fatalf("%s: %v %v", o.Name, o.Kind, o.Err)
		}
		got, err := a.Sessions.FindInvoiceSession(t.Context(), o.KSeFNumber, nil)
		if err != nil {
			t.Fatalf("%s: %v", o.Name, err)
		}
		if got.SessionReferenceNumber != o.SessionReferenceNumber || got.Invoice.KSeFNumber != o.KSeFNumber || got.Invoice.ReferenceNumber != o.InvoiceReferenceNumber {
			t.Errorf("%s: found %+v, sent in %s as %s", o.Name, got, o.SessionReferenceNumber, o.InvoiceReferenceNumber)
		}
	}
	if got, _ := a.Sessions.FindInvoiceSession(t.Context(), batch[0].KSeFNumber, nil); got == nil || got.SessionType != ksef.SessionTypeBatch {
		t.Errorf("the batch invoice's session: %+v", got)
	}
	unknown := string(ksef.NewKSeFNumber(ksef.NIP(id.NIP), time.Now(), nil))
	_, err = a.Sessions.FindInvoiceSession(t.Context(), unknown, nil)
	if !errors.Is(err, ksef.ErrNotFound) || !strings.Contains(err.Error(), "none of the 2 sessions") {
		t.Errorf("unknown number: %v", err)
	}
	if _, err := a.Sessions.FindInvoiceSession(t.Context(), "not-a-number", nil); err == nil || errors.Is(err, ksef.ErrNotFound) {
		t.Errorf("malformed number: %v", err)
	}
}

// cancelFirstInList replaces, once, the status of the first registered
// invoice in a session's invoice list by 550; ksef is its KSeF number.
type cancelFirstInList struct {
	rewriteOnce
	ksef string
}

func newCancelFirstInList() *cancelFirstInList {
	c := &cancelFirstInList{}
	c.match = func(p []string) bool { return len(p) == 4 && p[1] == "sessions" && p[3] == "invoices" } // v2 sessions {ref} invoices
	c.edit = func(_ []string, m map[string]any) bool {
		invs, _ := m["invoices"].([]any)
		for _, v := range invs {
			inv, _ := v.(map[string]any)
			if num, _ := inv["ksefNumber"].(string); inv != nil && cancel550(inv) {
				c.ksef = num
				return true
			}
		}
		return false
	}
	return c
}

// TestE2ESenderBatchResendsCancelled: an invoice that its batch session
// reports cancelled (550) is read again and sent online; it ends with the
// one KSeF number KSeF gave it (here the simulator had registered it, so
// the online send is a 440 duplicate naming it), and every input has one
// outcome, reported once.
func TestE2ESenderBatchResendsCancelled(t *testing.T) {
	cancel := newCancelFirstInList()
	sim, id, a := senderClient(t, ksefsim.WithMiddleware(cancel.middleware))
	docs := map[string][]byte{}
	var openers []ksefsend.InputOpener
	for i := range 3 {
		name := fmt.Sprintf("c/%d.xml", i)
		docs[name] = fa3Invoice(t, id.NIP, fmt.Sprintf("FV/c550/%d", i))
		openers = append(openers, ksefsend.InputOpener{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(docs[name])), nil }})
	}
	var mu sync.Mutex
	reported := map[int]int{}
	snd := &ksefsend.Sender{Sessions: a.Sessions, Form: ksef.FormFA3, Wait: fastWait, OnOutcome: func(o ksefsend.Outcome) {
		mu.Lock()
		reported[o.Index]++
		mu.Unlock()
	}}
	outs, err := snd.SendBatchFrom(t.Context(), slices.Values(openers), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cancel.done {
		t.Fatal("no status was replaced")
	}
	seen := map[string]bool{}
	for i, o := range outs {
		if !o.OK() || o.KSeFNumber == "" || seen[o.KSeFNumber] || reported[i] != 1 {
			t.Errorf("input %d: %v %s (%v), reported %d times", i, o.Kind, o.KSeFNumber, o.Err, reported[i])
		}
		seen[o.KSeFNumber] = true
		if o.KSeFNumber == cancel.ksef && o.Kind != ksefsend.Duplicate {
			t.Errorf("the cancelled invoice: %v, want a duplicate of %s", o.Kind, cancel.ksef)
		}
	}
	if !seen[cancel.ksef] {
		t.Errorf("the cancelled invoice's number %s is not among the outcomes", cancel.ksef)
	}
	if n := sim.Calls(ksef.OpOnlineSessionOpen.String()); n != 1 {
		t.Errorf("%d online sessions opened, want 1 (for the one sent again)", n)
	}
}
