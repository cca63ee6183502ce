package ksefsim

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/ksef2/ksef/latarnia"
)

// LatarniaPath is the path prefix under which the simulator serves
// Latarnia, KSeF's status service (GET /status, GET /messages; a separate
// service at KSeF, see package latarnia). It lies outside [BasePath].
const LatarniaPath = "/latarnia"

// LatarniaURL returns the Latarnia base URL ("http://host:port/latarnia")
// of a simulator listening on addr.
func LatarniaURL(addr net.Addr) string { return "http://" + addr.String() + LatarniaPath }

// latarniaState holds the announcements of the simulated Latarnia.
type latarniaState struct {
	mu       sync.Mutex
	next     int
	messages []latarnia.Message
	ongoing  map[string]latarnia.Category // eventId -> category of the outages in progress
}

// ErrUnknownOutage is returned by [Simulator.EndOutage] for an event that
// is not in progress.
var ErrUnknownOutage = errors.New("ksefsim: no outage in progress with this event id")

// StartOutage announces in Latarnia that an outage of category cat starts
// now and returns its event id, for [Simulator.EndOutage]:
//
//   - latarnia.CategoryMaintenance: a MAINTENANCE_ANNOUNCEMENT; GET /status
//     says MAINTENANCE and sends to the online sessions open now are
//     refused with 21184, as with [Simulator.SetMaintenance];
//   - latarnia.CategoryFailure, latarnia.CategoryTotalFailure: a
//     FAILURE_START message; GET /status says FAILURE (TOTAL_FAILURE) and
//     every KSeF API operation answers HTTP 503 until the failure ends, as
//     an unreachable KSeF would (Latarnia itself keeps answering).
//
// The admin API offers it as POST /_sim/outages {"category", "title"}.
func (s *Simulator) StartOutage(cat latarnia.Category, title string) string {
	now := s.now()
	l := &s.lat
	l.mu.Lock()
	l.next++
	event := "E" + strconv.Itoa(l.next)
	typ := latarnia.FailureStart
	if cat == latarnia.CategoryMaintenance {
		typ = latarnia.MaintenanceAnnouncement
	}
	if title == "" {
		title = defaultOutageTitle(cat)
	}
	l.addLocked(latarnia.Message{EventID: latarnia.ID(event), Category: cat, Type: typ, Title: title,
		Text: title + " (symulator KSeF)", Start: now, Published: now})
	if l.ongoing == nil {
		l.ongoing = map[string]latarnia.Category{}
	}
	l.ongoing[event] = cat
	l.mu.Unlock()
	if cat == latarnia.CategoryMaintenance {
		s.SetMaintenance(true)
	}
	return event
}

func defaultOutageTitle(cat latarnia.Category) string {
	switch cat {
	case latarnia.CategoryMaintenance:
		return "Prace serwisowe KSeF"
	case latarnia.CategoryTotalFailure:
		return "Awaria całkowita KSeF"
	}
	return "Awaria KSeF"
}

// EndOutage announces that the outage event (from [Simulator.StartOutage])
// ended now: a FAILURE_END message for a failure (start and end set), a
// new version of the maintenance announcement with its end for a
// maintenance. When no outage is left GET /status says AVAILABLE again.
// The admin API offers it as DELETE /_sim/outages/{eventId}.
func (s *Simulator) EndOutage(event string) error {
	now := s.now()
	l := &s.lat
	l.mu.Lock()
	cat, ok := l.ongoing[event]
	if !ok {
		l.mu.Unlock()
		return ErrUnknownOutage
	}
	delete(l.ongoing, event)
	var start latarnia.Message
	for _, m := range l.messages {
		if string(m.EventID) == event {
			start = m
			break
		}
	}
	end := now
	if cat == latarnia.CategoryMaintenance {
		m := start
		m.End, m.Published = &end, now
		v, _ := strconv.Atoi(string(m.Version))
		m.Version = latarnia.ID(strconv.Itoa(v + 1))
		l.messages = append(l.messages, m)
	} else {
		title := "Zakończenie: " + start.Title
		l.addLocked(latarnia.Message{EventID: start.EventID, Category: cat, Type: latarnia.FailureEnd, Title: title,
			Text: title + " (symulator KSeF)", Start: start.Start, End: &end, Published: now})
	}
	maint := false
	for _, c := range l.ongoing {
		maint = maint || c == latarnia.CategoryMaintenance
	}
	l.mu.Unlock()
	if cat == latarnia.CategoryMaintenance && !maint {
		s.SetMaintenance(false)
	}
	return nil
}

// addLocked appends m with a new message id and version 1.
func (l *latarniaState) addLocked(m latarnia.Message) {
	m.ID = latarnia.ID(strconv.Itoa(len(l.messages) + 1))
	if m.Version == "" {
		m.Version = "1"
	}
	l.messages = append(l.messages, m)
}

// LatarniaStatus returns what GET /status of the simulated Latarnia says
// now: the most serious outage in progress and its messages.
func (s *Simulator) LatarniaStatus() latarnia.Status {
	l := &s.lat
	l.mu.Lock()
	defer l.mu.Unlock()
	st := latarnia.Status{Status: latarnia.Available}
	rank := map[latarnia.Category]int{latarnia.CategoryMaintenance: 1, latarnia.CategoryFailure: 2, latarnia.CategoryTotalFailure: 3}
	state := map[latarnia.Category]latarnia.State{latarnia.CategoryMaintenance: latarnia.Maintenance,
		latarnia.CategoryFailure: latarnia.Failure, latarnia.CategoryTotalFailure: latarnia.TotalFailure}
	best := 0
	for _, c := range l.ongoing {
		if rank[c] > best {
			best, st.Status = rank[c], state[c]
		}
	}
	for _, m := range latarnia.Latest(l.messages) {
		if _, on := l.ongoing[string(m.EventID)]; on {
			st.Messages = append(st.Messages, m)
		}
	}
	return st
}

// failureDeclared reports whether a failure (or total failure) is in
// progress: the KSeF API is then down.
func (s *Simulator) failureDeclared() bool {
	l := &s.lat
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.ongoing {
		if c != latarnia.CategoryMaintenance {
			return true
		}
	}
	return false
}

// writeUnavailable answers a KSeF API request during a declared failure.
func (s *Simulator) writeUnavailable(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, &apiError{status: http.StatusServiceUnavailable,
		detail: "Trwa awaria systemu KSeF. Sprawdź komunikaty w Latarni."})
}

// registerLatarnia serves GET /latarnia/status and GET /latarnia/messages.
func (s *Simulator) registerLatarnia() {
	s.mux.HandleFunc("GET "+LatarniaPath+"/status", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, "application/json", s.LatarniaStatus())
	})
	s.mux.HandleFunc("GET "+LatarniaPath+"/messages", func(w http.ResponseWriter, _ *http.Request) {
		s.lat.mu.Lock()
		ms := append([]latarnia.Message{}, s.lat.messages...)
		s.lat.mu.Unlock()
		writeJSON(w, http.StatusOK, "application/json", ms)
	})
}

// registerOutageAdmin adds the outage commands to the admin API.
func (s *Simulator) registerOutageAdmin(h func(string, func(http.ResponseWriter, *http.Request) (any, int))) {
	h("POST "+AdminPath+"/outages", func(_ http.ResponseWriter, r *http.Request) (any, int) {
		var q struct {
			Category latarnia.Category `json:"category"`
			Title    string            `json:"title"`
		}
		if err := decodeAdmin(r, &q); err != nil {
			return adminError(err.Error()), http.StatusBadRequest
		}
		switch q.Category {
		case latarnia.CategoryMaintenance, latarnia.CategoryFailure, latarnia.CategoryTotalFailure:
		default:
			return adminError(`"category" must be MAINTENANCE, FAILURE or TOTAL_FAILURE`), http.StatusBadRequest
		}
		return map[string]string{"eventId": s.StartOutage(q.Category, q.Title)}, http.StatusCreated
	})
	h("DELETE "+AdminPath+"/outages/{eventId}", func(_ http.ResponseWriter, r *http.Request) (any, int) {
		if err := s.EndOutage(r.PathValue("eventId")); err != nil {
			return adminError(err.Error()), http.StatusNotFound
		}
		return nil, http.StatusNoContent
	})
}
