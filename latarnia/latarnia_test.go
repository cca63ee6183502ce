package latarnia_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ksef2/ksef/ksefsim/ksefsimtest"
	"github.com/ksef2/ksef/latarnia"
)

// TestDecode reads answers shaped as the documentation describes, with
// identifiers as numbers and as strings, and fields this client does not
// know.
func TestDecode(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/status":
			if calls.Add(1) == 1 {
				w.WriteHeader(http.StatusServiceUnavailable) // tried again
				return
			}
			w.Write([]byte(`{"status":"FAILURE","messages":[{"id":7,"eventId":3,"category":"FAILURE","type":"FAILURE_START",
				"title":"Awaria","text":"t","start":"2026-02-03T10:00:00+01:00","version":1,"published":"2026-02-03T10:05:00+01:00","extra":true}]}`))
		case "/messages":
			w.Write([]byte(`[{"id":"a1","eventId":"e1","category":"MAINTENANCE","type":"MAINTENANCE_ANNOUNCEMENT","title":"Prace",
				"text":"x","start":"2026-02-10T20:00:00Z","end":"2026-02-10T22:00:00Z","version":"2","published":"2026-02-01T08:00:00Z"}]`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, err := latarnia.NewClient(srv.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != latarnia.Failure || len(st.Messages) != 1 || st.Messages[0].ID != "7" || st.Messages[0].EventID != "3" ||
		st.Messages[0].Type != latarnia.FailureStart || st.Messages[0].End != nil || st.Messages[0].Start.UTC().Hour() != 9 {
		t.Errorf("status %+v", st)
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls, want 2 (one 503 tried again)", calls.Load())
	}
	ms, err := c.Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].End == nil || ms[0].Category != latarnia.CategoryMaintenance || ms[0].Version != "2" {
		t.Errorf("messages %+v", ms)
	}
	bad, _ := latarnia.NewClient(srv.URL+"/nothing", &latarnia.Options{Attempts: 1})
	var le *latarnia.Error
	if _, err := bad.Status(context.Background()); !errors.As(err, &le) || le.StatusCode != 404 {
		t.Errorf("unknown path: %v", err)
	}
	if _, err := latarnia.NewClient("ftp://x", nil); err == nil {
		t.Error("ftp base URL accepted")
	}
}

// TestSimulator switches the simulated Latarnia through maintenance and a
// failure and reads it with the client.
func TestSimulator(t *testing.T) {
	srv := ksefsimtest.NewServer(t)
	ctx := context.Background()
	c, err := latarnia.NewClient(srv.LatarniaURL(), &latarnia.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(ctx)
	if err != nil || st.Status != latarnia.Available || len(st.Messages) != 0 {
		t.Fatalf("status %+v, %v", st, err)
	}
	api := func() int {
		resp, err := http.Post(srv.URL+"/auth/challenge", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	m := srv.Simulator.StartOutage(latarnia.CategoryMaintenance, "")
	if st, _ := c.Status(ctx); st.Status != latarnia.Maintenance || len(st.Messages) != 1 || st.Messages[0].Type != latarnia.MaintenanceAnnouncement {
		t.Errorf("maintenance: %+v", st)
	}
	if code := api(); code != http.StatusOK {
		t.Errorf("API during maintenance: HTTP %d", code)
	}
	f := srv.Simulator.StartOutage(latarnia.CategoryFailure, "Awaria testowa")
	if st, _ := c.Status(ctx); st.Status != latarnia.Failure || len(st.Messages) != 2 {
		t.Errorf("failure: %+v", st)
	}
	if code := api(); code != http.StatusServiceUnavailable {
		t.Errorf("API during a failure: HTTP %d, want 503", code)
	}
	if err := srv.Simulator.EndOutage(f); err != nil {
		t.Fatal(err)
	}
	if err := srv.Simulator.EndOutage(f); err == nil {
		t.Error("ended twice")
	}
	if code := api(); code != http.StatusOK {
		t.Errorf("API after the failure: HTTP %d", code)
	}
	if err := srv.Simulator.EndOutage(m); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.Status(ctx); st.Status != latarnia.Available || len(st.Messages) != 0 {
		t.Errorf("after: %+v", st)
	}
	ms, err := c.Messages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// maintenance v1, failure start, failure end, maintenance v2
	if len(ms) != 4 || ms[2].Type != latarnia.FailureEnd || ms[2].EventID != ms[1].EventID || ms[2].End == nil ||
		ms[3].ID != ms[0].ID || ms[3].Version != "2" || ms[3].End == nil {
		t.Errorf("messages %+v", ms)
	}
	if got := latarnia.Latest(ms); len(got) != 3 {
		t.Errorf("Latest: %d messages, want 3", len(got))
	}
}
