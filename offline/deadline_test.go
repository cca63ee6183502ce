package offline

import (
	"errors"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// at returns noon in Poland on the day s.
func at(s string) time.Time {
	d := day(s)
	return time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, warsaw())
}

// TestEaster checks Easter Sunday against published dates (including the
// earliest and latest possible ones).
func TestEaster(t *testing.T) {
	for y, want := range map[int]string{
		1818: "1818-03-22", 1943: "1943-04-25", 2000: "2000-04-23", 2019: "2019-04-21", 2024: "2024-03-31",
		2025: "2025-04-20", 2026: "2026-04-05", 2027: "2027-03-28", 2028: "2028-04-16", 2029: "2029-04-01",
		2030: "2030-04-21", 2038: "2038-04-25", 2285: "2285-03-22",
	} {
		if got := Easter(y).Format(time.DateOnly); got != want {
			t.Errorf("Easter(%d) = %s, want %s", y, got, want)
		}
	}
}

// TestHolidayTable checks every Polish public holiday of 2025-2030 against
// a table written from the published calendars.
func TestHolidayTable(t *testing.T) {
	movable := map[int][4]string{ // Easter Sunday, Easter Monday, Pentecost, Corpus Christi
		2025: {"04-20", "04-21", "06-08", "06-19"},
		2026: {"04-05", "04-06", "05-24", "06-04"},
		2027: {"03-28", "03-29", "05-16", "05-27"},
		2028: {"04-16", "04-17", "06-04", "06-15"},
		2029: {"04-01", "04-02", "05-20", "05-31"},
		2030: {"04-21", "04-22", "06-09", "06-20"},
	}
	fixed := []string{"01-01", "01-06", "05-01", "05-03", "08-15", "11-01", "11-11", "12-24", "12-25", "12-26"}
	for y := 2025; y <= 2030; y++ {
		want := map[string]bool{}
		for _, md := range fixed {
			want[md] = true
		}
		for _, md := range movable[y] {
			want[md] = true
		}
		hs := Holidays(y)
		if len(hs) != len(want) {
			t.Errorf("%d: %d holidays, want %d", y, len(hs), len(want))
		}
		for i, h := range hs {
			md := h.Date.Format("01-02")
			if h.Date.Year() != y || !want[md] {
				t.Errorf("%d: unexpected holiday %s %s", y, h.Date.Format(time.DateOnly), h.Name)
			}
			if i > 0 && !hs[i-1].Date.Before(h.Date) {
				t.Errorf("%d: holidays out of order at %s", y, h.Date.Format(time.DateOnly))
			}
		}
		m := movable[y]
		if n := HolidayName(day(itoa(y) + "-" + m[1])); n != "Poniedziałek Wielkanocny" {
			t.Errorf("%d: Easter Monday is %q", y, n)
		}
		if n := HolidayName(day(itoa(y) + "-" + m[3])); n != "Boże Ciało" {
			t.Errorf("%d: Corpus Christi is %q", y, n)
		}
	}
	// Christmas Eve is a holiday from 2025 on only.
	if HolidayName(day("2024-12-24")) != "" || HolidayName(day("2025-12-24")) == "" {
		t.Error("Christmas Eve: a holiday from 2025 only")
	}
}

func itoa(y int) string { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006") }

func TestBusinessDays(t *testing.T) {
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-04-03", 1, "2026-04-07"}, // Good Friday -> Sat, Easter, Easter Monday -> Tuesday
		{"2026-06-03", 1, "2026-06-05"}, // Corpus Christi on Thursday
		{"2025-12-23", 1, "2025-12-29"}, // 24-26 December, weekend
		{"2026-04-30", 1, "2026-05-04"}, // 1 May on Friday
		{"2025-11-07", 7, "2025-11-19"}, // 11 November skipped
		{"2025-07-12", 7, "2025-07-22"}, // from a Saturday
		{"2027-12-31", 1, "2028-01-03"},
		{"2025-01-02", 0, "2025-01-02"},
	} {
		if got := AddBusinessDays(day(tc.from), tc.n).Format(time.DateOnly); got != tc.want {
			t.Errorf("AddBusinessDays(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
	if IsBusinessDay(day("2026-04-06")) || IsBusinessDay(day("2026-04-04")) || !IsBusinessDay(day("2026-04-07")) {
		t.Error("IsBusinessDay around Easter 2026")
	}
}

func TestComputeDeadline(t *testing.T) {
	fail := func(start, end string) Outage {
		o := Outage{Kind: Failure, Start: at(start)}
		if end != "" {
			o.End = at(end)
		}
		return o
	}
	for _, tc := range []struct {
		name    string
		p       DeadlineParams
		want    string // due day, "none" for no obligation, "pending"
		wantErr error
	}{
		// tryby-offline.md, "Przykład: tryb offline24 z ogłoszoną awarią KSeF".
		{"doc example: offline24", DeadlineParams{Mode: Offline24, Issued: day("2025-07-08")}, "2025-07-09", nil},
		{"doc example: failure announced the next day", DeadlineParams{Mode: Offline24, Issued: day("2025-07-08"),
			Outages: []Outage{fail("2025-07-09", "2025-07-12")}}, "2025-07-22", nil},
		{"offline24 over Easter", DeadlineParams{Mode: Offline24, Issued: day("2026-04-03")}, "2026-04-07", nil},
		{"offline24 before Corpus Christi", DeadlineParams{Mode: Offline24, Issued: day("2030-06-19")}, "2030-06-21", nil},
		{"offline24 before Christmas", DeadlineParams{Mode: Offline24, Issued: day("2025-12-23")}, "2025-12-29", nil},
		{"failure after the deadline changes nothing", DeadlineParams{Mode: Offline24, Issued: day("2025-07-08"),
			Outages: []Outage{fail("2025-07-10", "2025-07-11")}}, "2025-07-09", nil},
		{"failure announced on the issue day changes nothing (conservative)", DeadlineParams{Mode: Offline24, Issued: day("2025-07-08"),
			Outages: []Outage{fail("2025-07-08", "2025-07-08")}}, "2025-07-09", nil},
		{"failure before the issue changes nothing", DeadlineParams{Mode: Offline24, Issued: day("2025-07-08"),
			Outages: []Outage{fail("2025-07-01", "2025-07-02")}}, "2025-07-09", nil},
		{"unavailability", DeadlineParams{Mode: Unavailable, Issued: day("2026-04-30"),
			Outages: []Outage{{Kind: Unavailable, Start: at("2026-04-29"), End: at("2026-04-30")}}}, "2026-05-04", nil},
		{"unavailability then failure", DeadlineParams{Mode: Unavailable, Issued: day("2026-04-30"),
			Outages: []Outage{{Kind: Unavailable, Start: at("2026-04-29"), End: at("2026-04-30")}, fail("2026-05-04", "2026-05-05")}}, "2026-05-14", nil},
		{"failure", DeadlineParams{Mode: Failure, Issued: day("2025-11-06"), Outages: []Outage{fail("2025-11-05", "2025-11-07")}}, "2025-11-19", nil},
		{"failure over Easter Monday 2027", DeadlineParams{Mode: Failure, Issued: day("2027-03-24"), Outages: []Outage{fail("2027-03-23", "2027-03-25")}}, "2027-04-06", nil},
		{"failure, new failure restarts the count", DeadlineParams{Mode: Failure, Issued: day("2025-07-10"),
			Outages: []Outage{fail("2025-07-15", "2025-07-16"), fail("2025-07-09", "2025-07-12")}}, "2025-07-25", nil},
		{"failure not ended", DeadlineParams{Mode: Failure, Issued: day("2025-07-10"), Outages: []Outage{fail("2025-07-09", "")}}, "pending", nil},
		{"offline24 then a failure that lasts", DeadlineParams{Mode: Offline24, Issued: day("2025-07-08"),
			Outages: []Outage{fail("2025-07-09", "")}}, "pending", nil},
		{"total failure announced", DeadlineParams{Mode: Failure, Issued: day("2025-07-10"),
			Outages: []Outage{fail("2025-07-09", "2025-07-12"), {Kind: TotalFailure, Start: at("2025-07-15")}}}, "none", nil},
		{"issued in total failure", DeadlineParams{Mode: TotalFailure, Issued: day("2025-07-10")}, "none", nil},
		{"unavailability unknown", DeadlineParams{Mode: Unavailable, Issued: day("2025-07-10")}, "", ErrNoOutage},
		{"failure unknown", DeadlineParams{Mode: Failure, Issued: day("2025-07-10"), Outages: []Outage{fail("2025-07-11", "2025-07-12")}}, "", ErrNoOutage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ComputeDeadline(tc.p)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := d.Due.Format(time.DateOnly)
			switch {
			case d.NoObligation:
				got = "none"
			case d.Pending:
				got = "pending"
			}
			if got != tc.want {
				t.Errorf("due %s, want %s (%s)", got, tc.want, d.Reason)
			}
			if d.Reason == "" {
				t.Error("no reason")
			}
		})
	}
}

func TestDueBy(t *testing.T) {
	d := Deadline{Due: day("2026-03-28")} // DST starts on 29 March 2026
	if got := d.DueBy().UTC().Format(time.RFC3339); got != "2026-03-28T23:00:00Z" {
		t.Errorf("DueBy = %s", got)
	}
	if !(Deadline{}).DueBy().IsZero() {
		t.Error("DueBy of no due day")
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"offline24": Offline24, "OFFLINE": Unavailable, "awaria": Failure, "total-failure": TotalFailure} {
		if m, err := ParseMode(in); err != nil || m != want {
			t.Errorf("ParseMode(%q) = %v, %v", in, m, err)
		}
	}
	if _, err := ParseMode("sometimes"); err == nil {
		t.Error("ParseMode accepted nonsense")
	}
}
