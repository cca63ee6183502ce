package offline

import (
	"slices"
	"time"

	"github.com/ksef2/ksef/latarnia"
)

// ModeFromStatus returns the offline mode that applies while Latarnia
// reports st, and whether one applies at all: MAINTENANCE is an announced
// unavailability ([Unavailable]), FAILURE a failure ([Failure]),
// TOTAL_FAILURE a total failure ([TotalFailure]); AVAILABLE (or an unknown
// state) gives false. Offline24 is the taxpayer's own choice and never
// comes from the status.
func ModeFromStatus(st *latarnia.Status) (Mode, bool) {
	if st == nil {
		return "", false
	}
	return modeOfState(st.Status)
}

func modeOfState(s latarnia.State) (Mode, bool) {
	switch s {
	case latarnia.Maintenance:
		return Unavailable, true
	case latarnia.Failure:
		return Failure, true
	case latarnia.TotalFailure:
		return TotalFailure, true
	}
	return "", false
}

func modeOfCategory(c latarnia.Category) (Mode, bool) {
	switch c {
	case latarnia.CategoryMaintenance:
		return Unavailable, true
	case latarnia.CategoryFailure:
		return Failure, true
	case latarnia.CategoryTotalFailure:
		return TotalFailure, true
	}
	return "", false
}

// OutagesFromMessages turns Latarnia's messages into outages for
// [ComputeDeadline], one per event (eventId; the message id when there is
// none), using the latest version of each message. A failure starts at the
// start of its FAILURE_START message and has ended once a FAILURE_END
// message was published (at that message's end, or its publication when
// it gives none). A maintenance announcement gives its planned window; it
// counts as ended only once its end is before now. Outages come in start
// order.
func OutagesFromMessages(ms []latarnia.Message, now time.Time) []Outage {
	byEvent := map[latarnia.ID]*Outage{}
	var order []latarnia.ID
	for _, m := range latarnia.Latest(ms) {
		kind, ok := modeOfCategory(m.Category)
		if !ok {
			continue
		}
		key := m.EventID
		if key == "" {
			key = m.ID
		}
		o := byEvent[key]
		if o == nil {
			o = &Outage{Kind: kind, ID: string(key)}
			byEvent[key] = o
			order = append(order, key)
		}
		if kind == TotalFailure {
			o.Kind = TotalFailure // an event escalated to a total failure
		}
		if !m.Start.IsZero() && (o.Start.IsZero() || m.Start.Before(o.Start)) {
			o.Start = m.Start
		}
		switch m.Type {
		case latarnia.FailureEnd:
			end := m.Published
			if m.End != nil && !m.End.IsZero() {
				end = *m.End
			}
			if end.IsZero() {
				end = m.Start
			}
			o.End = end
		case latarnia.MaintenanceAnnouncement:
			if m.End != nil && !m.End.IsZero() && !m.End.After(now) {
				o.End = *m.End
			}
		}
	}
	out := make([]Outage, 0, len(order))
	for _, k := range order {
		out = append(out, *byEvent[k])
	}
	slices.SortStableFunc(out, func(a, b Outage) int { return a.Start.Compare(b.Start) })
	return out
}
