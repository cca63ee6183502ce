package offline

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func sampleInvoice(number string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><Faktura><Fa><P_1>2026-04-03</P_1><P_2>` + number + `</P_2></Fa></Faktura>`)
}

// TestQueueDurableAndOrdered: entries survive reopening, come earliest
// deadline first, and the send lock keeps a second sender out.
func TestQueueDurableAndOrdered(t *testing.T) {
	dir := t.TempDir()
	q, err := OpenQueue(dir)
	if err != nil {
		t.Fatal(err)
	}
	failure := Outage{Kind: Failure, Start: time.Date(2026, 4, 1, 9, 0, 0, 0, warsaw()), End: time.Date(2026, 4, 2, 9, 0, 0, 0, warsaw())}
	a, err := q.Add(AddParams{Name: "a", XML: sampleInvoice("A"), Mode: Failure, Issued: Date(2026, 4, 1), Outages: []Outage{failure}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := q.Add(AddParams{Name: "b", XML: sampleInvoice("B"), Mode: Offline24}) // P_1 2026-04-03, Good Friday
	if err != nil {
		t.Fatal(err)
	}
	c, err := q.Add(AddParams{Name: "c", XML: sampleInvoice("C"), Mode: Failure}) // no outage known yet
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Deadline.Due.Format(time.DateOnly); got != "2026-04-07" {
		t.Errorf("b due %s", got)
	}
	if got := a.Deadline.Due.Format(time.DateOnly); got != "2026-04-14" { // Good Friday counts, Easter Monday not
		t.Errorf("a due %s", got)
	}
	if !c.Deadline.Pending {
		t.Errorf("c: %+v", c.Deadline)
	}
	q2, err := OpenQueue(dir)
	if err != nil {
		t.Fatal(err)
	}
	ents, err := q2.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 3 || ents[0].Name != "b" || ents[1].Name != "a" || ents[2].Name != "c" {
		t.Fatalf("order: %+v", ents)
	}
	if x, err := q2.XML(a.ID); err != nil || string(x) != string(sampleInvoice("A")) {
		t.Errorf("XML: %q %v", x, err)
	}
	// Failures announced since: y (covering c's issue day) and x; b and a
	// move to 7 business days after x, c learns its outage.
	y := Outage{Kind: Failure, Start: time.Date(2026, 4, 2, 9, 0, 0, 0, warsaw()), End: time.Date(2026, 4, 4, 9, 0, 0, 0, warsaw()), ID: "y"}
	x := Outage{Kind: Failure, Start: time.Date(2026, 4, 5, 9, 0, 0, 0, warsaw()), End: time.Date(2026, 4, 8, 9, 0, 0, 0, warsaw()), ID: "x"}
	if err := q2.Refresh([]Outage{x, y}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID, c.ID} {
		e, _ := q2.Get(id)
		if got := e.Deadline.Due.Format(time.DateOnly); got != "2026-04-17" || e.Deadline.Pending {
			t.Errorf("%s after the failures: %s (%s)", e.Name, got, e.Deadline.Reason)
		}
	}
	ws, err := q2.Warnings(time.Date(2026, 4, 17, 12, 0, 0, 0, warsaw()), 24*time.Hour)
	if err != nil || len(ws) != 3 || ws[0].Past {
		t.Errorf("warnings on the last day %+v %v", ws, err)
	}
	ws, err = q2.Warnings(time.Date(2026, 4, 18, 0, 30, 0, 0, warsaw()), 24*time.Hour)
	if err != nil || len(ws) != 3 || !ws[0].Past {
		t.Errorf("warnings after the deadline %+v %v", ws, err)
	}
	if ws, _ := q2.Warnings(time.Date(2026, 4, 15, 12, 0, 0, 0, warsaw()), 24*time.Hour); len(ws) != 0 {
		t.Errorf("warnings two days before %+v", ws)
	}

	unlock, err := q2.lockSend()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.lockSend(); !errors.Is(err, ErrQueueBusy) {
		t.Errorf("second lock: %v", err)
	}
	unlock()
	// A stale lock (its process is gone) is taken over.
	if err := os.WriteFile(filepath.Join(dir, lockName), []byte("999999999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unlock, err = q.lockSend()
	if err != nil {
		t.Fatalf("stale lock: %v", err)
	}
	unlock()
	if err := q.Remove(a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Get(a.ID); err == nil {
		t.Error("removed entry still there")
	}
	if _, err := q.Get("../../etc/passwd0000"); err == nil {
		t.Error("path in an id accepted")
	}
}
