package ksefsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ksef2/ksef/latarnia"
)

// TestOutageAdminAPI starts and ends outages through the admin API and
// reads the simulated Latarnia over HTTP.
func TestOutageAdminAPI(t *testing.T) {
	srv := newServer(t, WithAdminAPI(), WithoutRateLimits())
	origin := strings.TrimSuffix(srv.URL, BasePath)
	do := func(method, path, body string, want int, out any) {
		t.Helper()
		r, _ := http.NewRequestWithContext(t.Context(), method, origin+path, strings.NewReader(body))
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s: HTTP %d, want %d", method, path, resp.StatusCode, want)
		}
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatal(err)
			}
		}
	}
	var ev struct {
		EventID string `json:"eventId"`
	}
	do("POST", AdminPath+"/outages", `{"category":"MAINTENANCE"}`, http.StatusCreated, &ev)
	var st latarnia.Status
	st = latarnia.Status{}
	do("GET", LatarniaPath+"/status", "", http.StatusOK, &st)
	if st.Status != latarnia.Maintenance || len(st.Messages) != 1 || string(st.Messages[0].EventID) != ev.EventID {
		t.Errorf("status %+v", st)
	}
	var tf struct {
		EventID string `json:"eventId"`
	}
	do("POST", AdminPath+"/outages", `{"category":"TOTAL_FAILURE","title":"Awaria całkowita"}`, http.StatusCreated, &tf)
	st = latarnia.Status{}
	do("GET", LatarniaPath+"/status", "", http.StatusOK, &st)
	if st.Status != latarnia.TotalFailure || len(st.Messages) != 2 {
		t.Errorf("status %+v", st)
	}
	do("POST", BasePath+"/auth/challenge", "", http.StatusServiceUnavailable, nil)
	do("DELETE", AdminPath+"/outages/"+tf.EventID, "", http.StatusNoContent, nil)
	do("DELETE", AdminPath+"/outages/"+tf.EventID, "", http.StatusNotFound, nil)
	do("POST", AdminPath+"/outages", `{"category":"RAIN"}`, http.StatusBadRequest, nil)
	do("DELETE", AdminPath+"/outages/"+ev.EventID, "", http.StatusNoContent, nil)
	st = latarnia.Status{}
	do("GET", LatarniaPath+"/status", "", http.StatusOK, &st)
	if st.Status != latarnia.Available || len(st.Messages) != 0 {
		t.Errorf("status %+v", st)
	}
	var ms []latarnia.Message
	do("GET", LatarniaPath+"/messages", "", http.StatusOK, &ms)
	// maintenance v1, total failure start, total failure end, maintenance v2
	if len(ms) != 4 || ms[2].Type != latarnia.FailureEnd || ms[2].Category != latarnia.CategoryTotalFailure || ms[3].End == nil {
		t.Errorf("messages %+v", ms)
	}
}
