package offline

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Mode is an offline invoicing mode (tryby-offline.md).
type Mode string

// The offline modes.
const (
	// Offline24 is the taxpayer's own choice, at any time (art. 106nda of
	// the VAT act): send by the next business day after the issue date.
	Offline24 Mode = "offline24"
	// Unavailable is KSeF's announced unavailability ("offline", art.
	// 106nh): send by the next business day after the unavailability ends.
	Unavailable Mode = "offline"
	// Failure is a declared KSeF failure ("awaryjny", art. 106nf): send
	// within 7 business days after the failure ends.
	Failure Mode = "awaryjny"
	// TotalFailure is a total failure announced in the mass media: the
	// invoice need not be sent to KSeF at all (and carries no QR codes).
	TotalFailure Mode = "awaria-calkowita"
)

// Modes returns every offline mode.
func Modes() []Mode { return []Mode{Offline24, Unavailable, Failure, TotalFailure} }

// ParseMode reads a mode name: offline24; offline (or unavailable,
// niedostepnosc, maintenance); awaryjny (or failure, awaria); total-failure
// (or awaria-calkowita). Case does not matter.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "offline24", "offline-24":
		return Offline24, nil
	case "offline", "unavailable", "unavailability", "niedostepnosc", "niedostępność", "maintenance":
		return Unavailable, nil
	case "awaryjny", "failure", "awaria", "emergency":
		return Failure, nil
	case "awaria-calkowita", "awaria-całkowita", "total-failure", "totalfailure", "total":
		return TotalFailure, nil
	}
	return "", fmt.Errorf("offline: unknown mode %q (want offline24, offline, awaryjny or total-failure)", s)
}

// String returns the mode's name.
func (m Mode) String() string { return string(m) }

// Outage is an unavailability or failure of KSeF that was announced (in
// the BIP of the Ministry of Finance and in Latarnia, see
// [OutagesFromMessages]).
type Outage struct {
	// Kind is Unavailable, Failure or TotalFailure.
	Kind Mode
	// Start is when it began (an instant; its day in Poland counts).
	Start time.Time
	// End is when it ended; zero while it lasts.
	End time.Time
	// ID identifies the announcement (Latarnia's eventId), if known.
	ID string
}

// Ended reports whether the outage has ended.
func (o Outage) Ended() bool { return !o.End.IsZero() }

// DeadlineParams are the inputs of [ComputeDeadline].
type DeadlineParams struct {
	// Mode is the mode the invoice was issued in.
	Mode Mode
	// Issued is the issue date (P_1), a calendar day (see [Date]).
	Issued time.Time
	// Outages are the announced unavailabilities and failures known so
	// far, in any order. Mode Unavailable needs the unavailability the
	// invoice was issued in and Failure the failure; a failure announced
	// while an invoice waits to be sent moves its deadline, a total
	// failure lifts the duty to send.
	Outages []Outage
}

// Deadline is the legal deadline for sending an offline invoice to KSeF.
type Deadline struct {
	// Mode is the mode the deadline was computed for.
	Mode Mode
	// Due is the last calendar day (inclusive) on which the invoice may
	// be sent; zero when NoObligation or Pending.
	Due time.Time
	// NoObligation is true when a total failure was announced: the
	// invoice need not be sent to KSeF.
	NoObligation bool
	// Pending is true when the deadline counts from the end of an
	// outage that has not ended yet (Outage names it).
	Pending bool
	// Outage is the outage the deadline counts from, if any.
	Outage *Outage
	// Reason explains the deadline in one sentence.
	Reason string
}

// DueBy returns the instant the deadline passes: the start of the day
// after Due in Poland (zero when there is no due day).
func (d Deadline) DueBy() time.Time {
	if d.Due.IsZero() {
		return time.Time{}
	}
	n := d.Due.AddDate(0, 0, 1)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, warsaw())
}

// FailureBusinessDays is the number of business days after the end of a
// failure within which invoices must be sent.
const FailureBusinessDays = 7

// ErrNoOutage is returned for the modes Unavailable and Failure when no
// outage of that kind covers the issue date.
var ErrNoOutage = errors.New("offline: no announced outage of this kind covers the issue date")

// ComputeDeadline returns the sending deadline of an invoice issued on
// p.Issued in p.Mode, following tryby-offline.md:
//
//   - offline24: the next business day after the issue date;
//   - offline (unavailability): the next business day after the
//     unavailability ends;
//   - awaryjny (failure): 7 business days after the failure ends;
//   - a failure announced while the invoice waits (its start after the
//     issue day, or after the start of the outage the invoice was issued
//     in, and no later than the deadline) moves the deadline
//     to 7 business days after that failure ends, and a further one
//     restarts the count again;
//   - a total failure announced while the invoice waits lifts the duty to
//     send it (as does issuing in that mode).
//
// Business days exclude Saturdays, Sundays and Polish public holidays
// ([Holidays]).
func ComputeDeadline(p DeadlineParams) (Deadline, error) {
	if p.Issued.IsZero() {
		return Deadline{}, errors.New("offline: no issue date")
	}
	issued := Date(p.Issued.Year(), p.Issued.Month(), p.Issued.Day())
	d := Deadline{Mode: p.Mode}
	outs := slices.Clone(p.Outages)
	slices.SortStableFunc(outs, func(a, b Outage) int { return a.Start.Compare(b.Start) })
	covering := func(kind Mode) *Outage {
		var found *Outage
		for i := range outs {
			o := &outs[i]
			if o.Kind == kind && !DayOf(o.Start).After(issued) && (!o.Ended() || !DayOf(o.End).Before(issued)) {
				found = o
			}
		}
		return found
	}
	from := func(o *Outage, days int, what string) {
		d.Outage = o
		if !o.Ended() {
			d.Pending, d.Due = true, time.Time{}
			d.Reason = what + " has not ended yet: the deadline is " + plural(days) + " after its end"
			return
		}
		d.Pending = false
		d.Due = AddBusinessDays(DayOf(o.End), days)
		d.Reason = fmt.Sprintf("%s after %s ended on %s", plural(days), what, DayOf(o.End).Format(time.DateOnly))
	}
	switch p.Mode {
	case Offline24:
		d.Due = NextBusinessDay(issued)
		d.Reason = "the next business day after the issue date " + issued.Format(time.DateOnly)
	case Unavailable:
		o := covering(Unavailable)
		if o == nil {
			return Deadline{}, fmt.Errorf("%w (mode %s, issued %s)", ErrNoOutage, p.Mode, issued.Format(time.DateOnly))
		}
		from(o, 1, "the unavailability of KSeF")
	case Failure:
		o := covering(Failure)
		if o == nil {
			return Deadline{}, fmt.Errorf("%w (mode %s, issued %s)", ErrNoOutage, p.Mode, issued.Format(time.DateOnly))
		}
		from(o, FailureBusinessDays, "the failure of KSeF")
	case TotalFailure:
		d.NoObligation = true
		d.Reason = "issued during a total failure: no obligation to send it to KSeF"
		return d, nil
	default:
		return Deadline{}, fmt.Errorf("offline: unknown mode %q", p.Mode)
	}
	// Later announcements: failures restart the count, a total failure
	// lifts the duty.
	base := d.Outage
	for i := range outs {
		o := &outs[i]
		if o == d.Outage || (o.Kind != Failure && o.Kind != TotalFailure) {
			continue
		}
		if o.Ended() && DayOf(o.End).Before(issued) {
			continue
		}
		// Only a later announcement counts: after the issue day in
		// offline24 (conservatively: one made earlier on the issue day
		// does not), after the start of the outage the invoice was issued
		// in otherwise.
		if base == nil && !DayOf(o.Start).After(issued) || base != nil && !o.Start.After(base.Start) {
			continue
		}
		if !d.Pending && DayOf(o.Start).After(d.Due) {
			continue // announced after the deadline had passed
		}
		if o.Kind == TotalFailure {
			d.NoObligation, d.Pending, d.Due, d.Outage = true, false, time.Time{}, o
			d.Reason = "a total failure was announced on " + DayOf(o.Start).Format(time.DateOnly) + ": no obligation to send it to KSeF"
			return d, nil
		}
		if d.Pending {
			continue // an earlier outage has not ended: it still decides
		}
		from(o, FailureBusinessDays, "the failure of KSeF announced on "+DayOf(o.Start).Format(time.DateOnly))
	}
	return d, nil
}

func plural(n int) string {
	if n == 1 {
		return "the next business day"
	}
	return fmt.Sprintf("%d business days", n)
}
