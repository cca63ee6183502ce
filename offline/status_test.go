package offline

import (
	"testing"
	"time"

	"github.com/ksef2/ksef/latarnia"
)

func TestModeFromStatus(t *testing.T) {
	for st, want := range map[latarnia.State]Mode{latarnia.Maintenance: Unavailable, latarnia.Failure: Failure,
		latarnia.TotalFailure: TotalFailure, latarnia.Available: ""} {
		m, ok := ModeFromStatus(&latarnia.Status{Status: st})
		if m != want || ok != (want != "") {
			t.Errorf("%s: %q %v", st, m, ok)
		}
	}
	if _, ok := ModeFromStatus(nil); ok {
		t.Error("nil status gives a mode")
	}
}

// TestOutagesFromMessages turns the documentation's example (a failure
// announced on 2025-07-09, ended on Saturday 2025-07-12) into outages and
// a deadline.
func TestOutagesFromMessages(t *testing.T) {
	end := at("2025-07-12")
	plannedEnd := at("2025-07-30")
	ms := []latarnia.Message{
		{ID: "1", EventID: "10", Category: latarnia.CategoryFailure, Type: latarnia.FailureStart, Start: at("2025-07-09"), Version: "1"},
		{ID: "2", EventID: "11", Category: latarnia.CategoryMaintenance, Type: latarnia.MaintenanceAnnouncement, Start: at("2025-07-29"), End: &plannedEnd, Version: "1"},
		{ID: "3", EventID: "10", Category: latarnia.CategoryFailure, Type: latarnia.FailureEnd, Start: at("2025-07-09"), End: &end, Version: "1"},
	}
	outs := OutagesFromMessages(ms, at("2025-07-14"))
	if len(outs) != 2 || outs[0].Kind != Failure || !outs[0].End.Equal(end) || outs[0].ID != "10" ||
		outs[1].Kind != Unavailable || outs[1].Ended() {
		t.Fatalf("outages %+v", outs)
	}
	d, err := ComputeDeadline(DeadlineParams{Mode: Offline24, Issued: day("2025-07-08"), Outages: outs})
	if err != nil || d.Due.Format(time.DateOnly) != "2025-07-22" {
		t.Errorf("deadline %+v, %v", d, err)
	}
	// Before the end message: the failure lasts.
	outs = OutagesFromMessages(ms[:2], at("2025-07-10"))
	if outs[0].Ended() {
		t.Error("failure without an end message has ended")
	}
	// After the planned window the maintenance has ended.
	if outs = OutagesFromMessages(ms, at("2025-07-31")); !outs[1].Ended() {
		t.Error("maintenance after its window has not ended")
	}
}
